"""The fetch layer with pytest-httpx: skips with reasons, caps, charsets, redirects, one retry."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock, IteratorStream

from scraper.errors import Skip
from scraper.fetch import Fetcher
from scraper.records import Source

SOURCE = Source(id="t", name="T", languages=("ko", "en"), homepage="https://news.example/", timezone="Asia/Seoul",
                delay=0.0, user_agent="newsnorm-test/1", max_bytes=100_000)
URL = "https://news.example/view/1"
KOREAN = "<html><head><title>북한</title></head><body><p>북한이 화요일 탄도미사일을 발사했다.</p></body></html>"


async def _get(url: str = URL, source: Source = SOURCE, kind: str = "page") -> object:
    async with Fetcher(retry_pause=0) as fetcher:
        return await fetcher.get(url, source, kind)  # type: ignore[arg-type]


async def _reason(**kwargs: object) -> str:
    with pytest.raises(Skip) as caught:
        await _get(**kwargs)  # type: ignore[arg-type]
    return caught.value.reason


async def test_sends_our_user_agent_and_languages(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, html=KOREAN)
    fetched = await _get()
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["User-Agent"] == "newsnorm-test/1"
    assert request.headers["Accept-Language"] == "ko,en"
    assert "북한이" in fetched.text  # type: ignore[attr-defined]


async def test_http_errors_become_skips_with_the_status(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=404)
    assert await _reason() == "http_404"


async def test_non_html_pages_are_refused(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, content=b"\x89PNG....", headers={"Content-Type": "image/png"})
    assert await _reason() == "not_html"


async def test_size_cap_by_header_and_by_stream(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, content=b"<p>x</p>" * 20_000, headers={"Content-Type": "text/html"})
    assert await _reason() == "too_large"
    chunks = [b"<p>" + b"x" * 40_000 + b"</p>"] * 100  # no Content-Length: only counting can stop it
    httpx_mock.add_response(url=URL, stream=IteratorStream(chunks), headers={"Content-Type": "text/html"})
    assert await _reason() == "too_large"


async def test_random_bytes_are_binary(httpx_mock: HTTPXMock) -> None:
    noise = bytes(range(256)) * 100
    httpx_mock.add_response(url=URL, content=noise, headers={"Content-Type": "text/html"})
    assert await _reason() == "binary"


@pytest.mark.parametrize(
    ("content_type", "page"),
    [
        ("text/html; charset=euc-kr", KOREAN),  # declared in the header
        ("text/html", KOREAN.replace("<head>", '<head><meta charset="euc-kr">')),  # declared in <meta>
        ("text/html", KOREAN),  # not declared at all: UTF-8 fails, CP949 fits
    ],
)
async def test_korean_legacy_charsets_decode(httpx_mock: HTTPXMock, content_type: str, page: str) -> None:
    httpx_mock.add_response(url=URL, content=page.encode("euc-kr"), headers={"Content-Type": content_type})
    fetched = await _get()
    assert "북한이 화요일 탄도미사일을 발사했다." in fetched.text  # type: ignore[attr-defined]


async def test_redirect_to_another_scheme_is_refused(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=302, headers={"Location": "file:///etc/passwd"})
    assert await _reason() == "bad_url"
    assert await _reason(url="ftp://news.example/x") == "bad_url"


async def test_a_connection_error_is_retried_once(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("reset"), url=URL)
    httpx_mock.add_response(url=URL, html=KOREAN)
    assert "북한이" in (await _get()).text  # type: ignore[attr-defined]
    assert len(httpx_mock.get_requests()) == 2


async def test_two_connection_errors_and_timeouts_are_skips(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("reset"), url=URL, is_reusable=True)
    assert await _reason() == "fetch_error"
    httpx_mock.reset()
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=URL)
    assert await _reason() == "timeout"
