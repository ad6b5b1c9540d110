"""The fetch layer with pytest-httpx: skips with reasons, caps, charsets, redirects, retries, robots.txt."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import socket
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pytest_httpx import HTTPXMock, IteratorStream

from scraper.errors import Skip
from scraper.fetch import Fetcher
from scraper.fetch.client import parse_retry_after
from scraper.records import Fetched, Source
from scraper.summary import Summary

SOURCE = Source(id="t", name="T", languages=("ko", "en"), homepage="https://news.example/", timezone="Asia/Seoul",
                delay=0.0, user_agent="newsnorm-test/1", max_bytes=100_000, retries=2)
URL = "https://news.example/view/1"
KOREAN = "<html><head><title>북한</title></head><body><p>북한이 화요일 탄도미사일을 발사했다.</p></body></html>"


class FakeTime:
    """An injectable clock and sleep: waits are recorded and pass instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def fetcher(fake: FakeTime | None = None, robots: bool = False, **kwargs: object) -> Fetcher:
    fake = fake or FakeTime()
    return Fetcher(robots=robots, clock=fake.clock, sleep=fake.sleep, jitter=lambda: 0.0, **kwargs)  # type: ignore[arg-type]


async def _get(url: str = URL, source: Source = SOURCE, kind: str = "page") -> Fetched:
    async with fetcher() as client:
        return await client.get(url, source, kind)  # type: ignore[arg-type]


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
    assert "북한이" in fetched.text


async def test_http_errors_become_skips_with_the_status_and_are_not_retried(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=404)
    assert await _reason() == "http_404"
    assert len(httpx_mock.get_requests()) == 1


async def test_non_html_pages_are_refused(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, content=b"\x89PNG....", headers={"Content-Type": "image/png"})
    assert await _reason() == "not_html"


async def test_size_cap_by_header_and_by_stream(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, content=b"<p>x</p>" * 20_000, headers={"Content-Type": "text/html"})
    assert await _reason() == "too_large"
    chunks = [b"<p>" + b"x" * 40_000 + b"</p>"] * 100  # no Content-Length: only counting can stop it
    httpx_mock.add_response(url=URL, stream=IteratorStream(chunks), headers={"Content-Type": "text/html"})
    assert await _reason() == "too_large"


async def test_a_compression_bomb_stops_early_with_bounded_memory() -> None:
    from localsite import LocalSite, Page

    bomb = gzip.compress(b"<p>" + b"\0" * 200_000_000 + b"</p>", compresslevel=9)  # 200 MB in ~200 KB
    assert len(bomb) < 400_000
    page = Page(bomb, "text/html", headers={"Content-Encoding": "gzip"})
    with LocalSite({"/bomb": page}) as site:
        tracemalloc.start()
        try:
            with pytest.raises(Skip, match="too_large"):
                await _get(site.url("/bomb"), replace(SOURCE, allow_private=True))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 20_000_000, f"peak {peak / 1e6:.0f} MB while inflating a bomb"


async def test_gzip_pages_are_inflated(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, content=gzip.compress(KOREAN.encode()),
                            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"})
    assert "탄도미사일" in (await _get()).text


async def test_a_body_that_is_not_what_its_encoding_says_is_the_servers_fault_not_the_networks() -> None:
    # Said gzip, sent plain (a misconfigured proxy); said a coding we never asked for: `bad_encoding`, which a poll
    # reports as the outlet's error, not as a host that cannot be reached (`fetch_error`).
    from localsite import LocalSite, Page

    with LocalSite({"/plain": Page(KOREAN.encode(), "text/html", headers={"Content-Encoding": "gzip"}),
                    "/compress": Page(KOREAN.encode(), "text/html", headers={"Content-Encoding": "compress"})}) as site:
        for path in ("/plain", "/compress"):
            assert await _reason(url=site.url(path), source=replace(SOURCE, allow_private=True)) == "bad_encoding"
    result, why = Summary(index_failures=Counter({"bad_encoding": 1})).result()
    assert (result, why) == ("error", "bad_encoding=1")


SITEMAP = (b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>https://news.example/view/1</loc></url></urlset>")


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/x-gzip"},  # sitemap.xml.gz as stored
    {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"},  # ...and gzipped again on the wire
])
async def test_a_gzip_sitemap_file_is_read_bounded_like_a_compressed_body(httpx_mock: HTTPXMock,
                                                                          headers: dict[str, str]) -> None:
    url = "https://news.example/sitemap.xml.gz"
    stored = gzip.compress(SITEMAP)
    sent = gzip.compress(stored) if "Content-Encoding" in headers else stored
    httpx_mock.add_response(url=url, content=sent, headers=headers)
    assert (await _get(url, kind="feed")).text == SITEMAP.decode()
    # A bomb in the file is stopped at max_bytes of output; a file cut off, or not gzip past its magic, is
    # the server's fault.
    for body, reason in ((gzip.compress(b"<urlset>" + b" " * 50_000_000), "too_large"),
                         (stored[: len(stored) // 2], "bad_encoding"),
                         (b"\x1f\x8b" + b"not gzip at all" * 10, "bad_encoding")):
        httpx_mock.add_response(url=url, content=body, headers={"Content-Type": "application/x-gzip"})
        assert await _reason(url=url, kind="feed") == reason
    # Two members, as `cat a.gz b.gz` makes: both read.
    httpx_mock.add_response(url=url, content=gzip.compress(SITEMAP[:40]) + gzip.compress(SITEMAP[40:]),
                            headers={"Content-Type": "application/x-gzip"})
    assert (await _get(url, kind="feed")).text == SITEMAP.decode()
    # An article page is never unpacked: a page that is a gzip file is no page.
    httpx_mock.add_response(url=URL, content=gzip.compress(KOREAN.encode()), headers={"Content-Type": "text/html"})
    assert await _reason() == "binary"


def _refreshing(target: str, delay: str = "0") -> bytes:
    return (f'<html><head><meta http-equiv="refresh" content="{delay}; url={target}"><title>Moved</title></head>'
            f'<body><p>This page has moved to <a href="{target}">its new address</a>.</p></body></html>').encode()


async def test_a_page_that_is_only_a_meta_refresh_is_followed_as_a_redirect(httpx_mock: HTTPXMock) -> None:
    moved, old = "https://news.example/view/2", "https://news.example/old/2"
    httpx_mock.add_response(url=old, content=_refreshing("/view/2"), headers={"Content-Type": "text/html"})
    httpx_mock.add_response(url=moved, content=KOREAN.encode(), headers={"Content-Type": "text/html"})
    async with fetcher() as client:
        page = await client.page(old, SOURCE)
    assert (page.url, page.final_url) == (old, moved)
    assert "탄도미사일" in page.text


@pytest.mark.parametrize("head", [
    '<meta http-equiv="refresh" content="900">',  # reload every quarter of an hour (a real Spanish daily's)
    '<meta http-equiv="refresh" content="60; url=/">',  # back to the front page after a minute
    '<noscript><meta http-equiv="refresh" content="0; url=/nojs"></noscript>',  # for browsers without JavaScript
    '<!--[if lte IE 9]><meta http-equiv="refresh" content="1;url=/unsupp.html" /><![endif]-->',  # a real CNN page's
    '<meta http-equiv="refresh" content="0; url=javascript:void(0)">',
    '<meta http-equiv="refresh" content="0; url=/view/1#top">',  # the page itself
    '<meta http-equiv="refresh" content="' + "9" * 5000 + '; url=/view/2">',  # past what int() reads
])
async def test_a_meta_refresh_that_is_no_redirect_is_not_followed(httpx_mock: HTTPXMock, head: str) -> None:
    page = KOREAN.replace("<head>", f"<head>{head}")
    httpx_mock.add_response(url=URL, content=page.encode(), headers={"Content-Type": "text/html"})
    async with fetcher() as client:
        fetched = await client.page(URL, SOURCE)
    assert fetched.final_url == URL and "탄도미사일" in fetched.text
    assert len(httpx_mock.get_requests()) == 1


async def test_meta_refreshes_in_a_loop_or_a_long_chain_end(httpx_mock: HTTPXMock) -> None:
    a, b = "https://news.example/a", "https://news.example/b"
    httpx_mock.add_response(url=a, content=_refreshing(b), headers={"Content-Type": "text/html"}, is_reusable=True)
    httpx_mock.add_response(url=b, content=_refreshing(a), headers={"Content-Type": "text/html"}, is_reusable=True)
    async with fetcher() as client:
        looped = await client.page(a, SOURCE)
    assert looped.final_url == b and len(httpx_mock.get_requests()) == 2  # each once
    chain = [f"https://news.example/c/{n}" for n in range(5)]
    for here, there in itertools.pairwise(chain):
        httpx_mock.add_response(url=here, content=_refreshing(there), headers={"Content-Type": "text/html"})
    async with fetcher() as client:
        ended = await client.page(chain[0], SOURCE)
    assert ended.final_url == chain[3]  # three refreshes followed, then the page is what it is


async def test_a_meta_refresh_is_fetched_under_the_same_rules(httpx_mock: HTTPXMock) -> None:
    # robots.txt is asked about the refresh's target as about any URL.
    httpx_mock.add_response(url="https://news.example/robots.txt", content=b"User-agent: *\nDisallow: /private/\n",
                            headers={"Content-Type": "text/plain"})
    httpx_mock.add_response(url=URL, content=_refreshing("/private/1"), headers={"Content-Type": "text/html"})
    async with fetcher(robots=True) as client:
        with pytest.raises(Skip) as caught:
            await client.page(URL, SOURCE)
    assert caught.value.reason == "robots"


async def test_a_304_answers_only_a_conditional_request(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=304, is_reusable=True)  # a broken cache: 304 to anything
    assert await _reason() == "http_304"  # an article page, or a listing page: no text, and no answer
    async with fetcher() as client:
        asked = await client.get(URL, SOURCE, "feed", headers={"If-None-Match": '"v1"'})
    assert asked.status == 304


@contextlib.contextmanager
def _raw_server(answer: bytes) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every connection with `answer`, bytes as they are (no HTTP library
    between), then closes it; yields its base URL."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = server.accept()
                with client:
                    client.recv(65536)
                    client.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


@pytest.mark.parametrize(("answer", "reason"), [
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n<p>x</p>",
     "bad_response"),  # no HTTP: the server's fault
    (b"HTTP/1.1 200 OK\r\nContent-Type text/html\r\n\r\n<p>x</p>", "bad_response"),  # an illegal header line
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n<p>cut</p>", "fetch_error"),
    (b"", "fetch_error"),  # closed without a word: the network's, or a crash's
])
async def test_an_answer_that_is_no_http_is_the_servers_fault_not_the_networks(answer: bytes, reason: str) -> None:
    with _raw_server(answer) as base:
        assert await _reason(url=base + "/a", source=replace(SOURCE, allow_private=True, retries=0)) == reason


async def test_random_bytes_are_binary(httpx_mock: HTTPXMock) -> None:
    noise = bytes(range(256)) * 100
    httpx_mock.add_response(url=URL, content=noise, headers={"Content-Type": "text/html"})
    assert await _reason() == "binary"


RUSSIAN = ("<html><head><title>Новости</title></head><body><p>Министр иностранных дел Белоруссии "
           "Максим Рыженков прибыл в Пхеньян с официальным визитом, сообщило Центральное телеграфное "
           "агентство Кореи.</p></body></html>")
CHINESE = ("<html><head><title>新闻</title></head><body><p>据报道，白俄罗斯外交部长雷任科夫当地时间7月23日抵达朝鲜，"
           "开始正式访问。朝鲜外务相崔善姬当晚在平壤高丽饭店设宴款待。</p></body></html>")
JAPANESE = ("<html><head><title>ニュース</title></head><body><p>北朝鮮の崔善姫外相は、ベラルーシのルイジェンコフ外相と"
            "平壌で会談し、両国関係の発展について意見を交わしたと朝鮮中央通信が伝えた。</p></body></html>")


@pytest.mark.parametrize(
    ("page", "encoding", "content_type", "expected"),
    [
        (KOREAN, "euc-kr", "text/html; charset=euc-kr", "북한이 화요일 탄도미사일을 발사했다."),  # header
        (KOREAN.replace("<head>", '<head><meta charset="euc-kr">'), "cp949", "text/html", "탄도미사일"),  # meta
        (KOREAN, "cp949", "text/html", "탄도미사일"),  # no declaration at all
        (RUSSIAN, "windows-1251", "text/html; charset=windows-1251", "Рыженков"),
        (RUSSIAN, "windows-1251", "text/html", "Пхеньян"),  # no declaration: detected
        (CHINESE, "gbk", "text/html; charset=gb2312", "崔善姬"),  # GBK text labelled GB2312
        (CHINESE, "gb18030", "text/html", "雷任科夫"),
        (JAPANESE, "shift_jis", "text/html; charset=Shift_JIS", "崔善姫外相"),
        (JAPANESE, "shift_jis", "text/html", "朝鮮中央通信"),
        (RUSSIAN, "utf-16", "text/html", "Рыженков"),  # BOM
        (KOREAN, "utf-8", "text/html; charset=iso-8859-1", "북한이"),  # header lies: UTF-8 wins
        (CHINESE, "utf-8", "text/html; charset=euc-kr", "崔善姬"),  # header lies the other way
        (RUSSIAN, "windows-1251", "text/html; charset=iso-8859-1", "Рыженков"),  # lying latin-1 label
    ],
)
async def test_charsets_are_decoded_by_the_evidence(
    httpx_mock: HTTPXMock, page: str, encoding: str, content_type: str, expected: str
) -> None:
    httpx_mock.add_response(url=URL, content=page.encode(encoding), headers={"Content-Type": content_type})
    fetched = await _get()
    assert expected in fetched.text
    assert "\ufffd" not in fetched.text


async def test_redirect_to_another_scheme_is_refused(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=302, headers={"Location": "file:///etc/passwd"})
    assert await _reason() == "bad_url"
    assert await _reason(url="ftp://news.example/x") == "bad_url"


async def test_retries_back_off_exponentially(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=503)
    httpx_mock.add_exception(httpx.ConnectError("reset"), url=URL)
    httpx_mock.add_response(url=URL, html=KOREAN)
    fake = FakeTime()
    async with fetcher(fake) as client:
        assert "북한이" in (await client.get(URL, SOURCE)).text
    assert fake.waits == [1.0, 2.0]  # base 1 s, doubled; the jitter is zero here


async def test_retry_after_is_honoured_for_the_host_and_capped(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "30"})
    httpx_mock.add_response(url=URL, html=KOREAN)
    httpx_mock.add_response(url=URL + "0", status_code=503, headers={"Retry-After": "86400"})
    httpx_mock.add_response(url=URL + "0", html=KOREAN)
    fake = FakeTime()
    async with fetcher(fake) as client:
        await client.get(URL, SOURCE)
        assert max(fake.waits) == 30.0
        fake.waits.clear()
        await client.get(URL + "0", replace(SOURCE, max_retry_after=120.0))
        assert max(fake.waits) == 120.0  # a day is cut to the cap


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(minutes=5), usegmt=True), now) == 300.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


async def test_a_url_that_keeps_failing_is_a_skip_after_the_retries(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("reset"), url=URL, is_reusable=True)
    assert await _reason() == "fetch_error"
    assert len(httpx_mock.get_requests()) == 3  # one try and two retries
    httpx_mock.reset()
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=URL, is_reusable=True)
    assert await _reason() == "timeout"


async def test_the_circuit_breaker_pauses_a_failing_host_only(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=500, is_reusable=True)
    httpx_mock.add_response(url="https://other.example/a", html=KOREAN, is_reusable=True)
    fake = FakeTime()
    source = replace(SOURCE, retries=0)
    async with fetcher(fake, pause_after_failures=3, pause_for=600.0) as client:
        for _ in range(3):
            with pytest.raises(Skip, match="http_500"):
                await client.get(URL, source)
        assert list(client.paused_hosts()) == ["news.example"]
        with pytest.raises(Skip, match="host_paused"):
            await client.get(URL, source)
        assert len(httpx_mock.get_requests(url=URL)) == 3  # the paused host was not asked again
        assert (await client.get("https://other.example/a", source)).status == 200
        fake.now += 601
        assert client.paused_hosts() == {}
        with pytest.raises(Skip, match="http_500"):
            await client.get(URL, source)


# --- robots.txt -----------------------------------------------------------------------------------------
ROBOTS = "https://news.example/robots.txt"


async def test_robots_disallow_and_cache(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=ROBOTS, text="User-agent: *\nDisallow: /private/\n\nUser-agent: newsnorm-test\n"
                                             "Disallow: /members/\n")
    httpx_mock.add_response(url=URL, html=KOREAN, is_reusable=True)
    async with fetcher(robots=True) as client:
        await client.get(URL, SOURCE)
        await client.get(URL, SOURCE)
        with pytest.raises(Skip, match="robots"):
            await client.get("https://news.example/members/1", SOURCE)  # our own group applies
        await_private = await client.get(URL, SOURCE)  # the * group does not, we have our own
        assert await_private.status == 200
    assert len(httpx_mock.get_requests(url=ROBOTS)) == 1  # fetched once, then cached


async def test_crawl_delay_raises_the_host_delay_or_skips_the_host(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=ROBOTS, text="User-agent: *\nCrawl-delay: 5\n")
    httpx_mock.add_response(url=URL, html=KOREAN, is_reusable=True)
    fake = FakeTime()
    async with fetcher(fake, robots=True) as client:
        await client.get(URL, SOURCE)
        await client.get(URL, SOURCE)
    assert 5.0 in fake.waits  # the second page waited for the crawl delay, though our delay is 0
    httpx_mock.reset()
    httpx_mock.add_response(url=ROBOTS, text="User-agent: *\nCrawl-delay: 3600\n")
    async with fetcher(robots=True) as client:
        with pytest.raises(Skip, match="crawl_delay"):
            await client.get(URL, SOURCE)


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
@pytest.mark.parametrize(("status", "allowed"), [(404, True), (403, True), (503, False), (429, False)])
async def test_robots_status_matrix(httpx_mock: HTTPXMock, status: int, allowed: bool) -> None:
    httpx_mock.add_response(url=ROBOTS, status_code=status, is_reusable=True)
    httpx_mock.add_response(url=URL, html=KOREAN, is_reusable=True)
    fake = FakeTime()
    async with fetcher(fake, robots=True) as client:
        source = replace(SOURCE, retries=0)
        if allowed:
            assert (await client.get(URL, source)).status == 200
            return
        with pytest.raises(Skip, match="robots_unavailable"):
            await client.get(URL, source)
        assert not httpx_mock.get_requests(url=URL)
        fake.now += 601  # robots.txt is asked again later
        with pytest.raises(Skip, match="robots_unavailable"):
            await client.get(URL, source)
        assert len(httpx_mock.get_requests(url=ROBOTS)) == 2


async def test_robots_redirect_is_followed_and_a_huge_file_is_cut(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=ROBOTS, status_code=301, headers={"Location": "https://news.example/r.txt"})
    padding = "# " + "x" * 600_000 + "\n"
    httpx_mock.add_response(url="https://news.example/r.txt",
                            text="User-agent: *\nDisallow: /a/\n" + padding + "Disallow: /view/\n")
    httpx_mock.add_response(url=URL, html=KOREAN)
    async with fetcher(robots=True) as client:
        with pytest.raises(Skip, match="robots"):
            await client.get("https://news.example/a/1", SOURCE)
        # The rule past 500 KB was cut off, so /view/ stays allowed.
        assert (await client.get(URL, SOURCE)).status == 200


# --- private addresses ----------------------------------------------------------------------------------
async def test_private_addresses_are_refused_unless_allowed() -> None:
    from localsite import LocalSite, Page

    with LocalSite({"/a": Page(KOREAN.encode())}) as site:
        async with Fetcher(robots=False) as client:
            with pytest.raises(Skip, match="private_address"):
                await client.get(site.url("/a"), SOURCE)
            started = time.monotonic()
            fetched = await client.get(site.url("/a"), replace(SOURCE, allow_private=True))
            assert "북한이" in fetched.text and time.monotonic() - started < 5
