"""The fetch guard with `allow_private` set: private targets refused at every redirect hop, embedded IPv4 forms,
URLs that cannot be requested (a counted skip, never a crash), the breaker charging the host that failed, and UTF-8
pages with stray bytes.

Nothing here connects to a private address: the guard's network is a recording backend that only reaches the
127.0.0.x test servers, and host names are answered by a fake resolver.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from conftest import rss, run_cli, write_sources
from localsite import LocalSite, Page

from scraper.errors import Skip
from scraper.fetch import Fetcher
from scraper.fetch.guard import PrivateAllowance, carried_ipv4, decode_text, is_public_address, parse_allowance
from scraper.records import Source

LOOPBACK = ("127.0.0.0/8",)
SOURCE = Source(id="mirror", name="Intranet mirror", languages=("en",), homepage="http://127.0.0.1/",
                timezone="UTC", delay=0.0, retries=0, allow_private=LOOPBACK)
ARTICLE = Page(b"<html><body><p>" + b"North Korea said on Tuesday it had launched a satellite. " * 5
               + b"</p></body></html>")


class RecordingNetwork(httpcore.AsyncNetworkBackend):
    """The network under the guard: records every address it is asked to connect to, and connects only to
    loopback (the test servers); anything else fails as if unreachable, so no test reaches a real private host."""

    def __init__(self) -> None:
        self.connected: list[str] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"the test network does not reach {host}")
        return await self._real.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise AssertionError("the guard never opens unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


class FakeDNS:
    """Answers for a few test names; any other name (or an IP literal, which the guard must not resolve) fails."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        try:
            return self.answers[host]
        except KeyError:
            raise OSError(f"no such test host: {host}") from None


def _redirects(site: LocalSite, targets: dict[str, str]) -> None:
    for path, location in targets.items():
        site.routes[path] = Page(b"", status=302, headers={"Location": location})


# --- redirect chains under allow_private = ["127.0.0.0/8"] ------------------------------------------------
PRIVATE_TARGETS = {
    "/to-10": "http://10.0.0.1/admin",
    "/to-metadata": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "/to-nat64": "http://[64:ff9b::a00:1]/",
    "/to-192": "http://192.168.1.1/",
    "/to-mapped": "http://[::ffff:a9fe:a9fe]/",
    "/to-named": "http://router.test/",  # resolves to 192.168.1.1
    "/to-rebinding": "http://rebind.test/",  # one loopback answer, one private: refused as a whole
}


async def test_an_allowed_loopback_network_lets_the_test_server_through_and_no_private_hop() -> None:
    network = FakeDNS({"router.test": ["192.168.1.1"], "rebind.test": ["127.0.0.1", "10.0.0.1"]})
    recording = RecordingNetwork()
    with LocalSite({"/a": ARTICLE}, host="127.0.0.8") as site:
        _redirects(site, {**PRIVATE_TARGETS, "/to-a": site.url("/a")})
        async with Fetcher(robots=False, network=recording, resolver=network) as client:
            fetched = await client.get(site.url("/to-a"), SOURCE)
            assert "launched a satellite" in fetched.text and fetched.final_url == site.url("/a")
            for path, target in PRIVATE_TARGETS.items():
                with pytest.raises(Skip) as caught:
                    await client.get(site.url(path), SOURCE)
                assert caught.value.reason == "private_address", (target, caught.value)
    # Only the test server was ever connected to; no private target, not even a resolved one.
    assert set(recording.connected) == {"127.0.0.8"}
    assert network.asked == ["router.test", "rebind.test"]  # IP literals are checked, never resolved


async def test_without_an_allowance_even_the_first_hop_to_loopback_is_refused_unconnected() -> None:
    recording = RecordingNetwork()
    with LocalSite({"/a": ARTICLE}, host="127.0.0.8") as site:
        async with Fetcher(robots=False, network=recording, resolver=FakeDNS({})) as client:
            with pytest.raises(Skip, match="private_address"):
                await client.get(site.url("/a"), replace(SOURCE, allow_private=False))
            with pytest.raises(Skip, match="private_address"):  # another network allowed is not this one
                await client.get(site.url("/a"), replace(SOURCE, allow_private=("10.0.0.0/8",)))
            # The same Fetcher still serves the outlet that may reach loopback: pools are per allowance.
            assert (await client.get(site.url("/a"), SOURCE)).status == 200
    assert recording.connected == ["127.0.0.8"]


async def test_an_allowed_host_name_may_resolve_to_a_private_address() -> None:
    recording = RecordingNetwork()
    dns = FakeDNS({"mirror.intranet": ["127.0.0.8"]})
    with LocalSite({"/a": ARTICLE}, host="127.0.0.8") as site:
        url = site.url("/a").replace("127.0.0.8", "mirror.intranet")
        async with Fetcher(robots=False, network=recording, resolver=dns) as client:
            assert (await client.get(url, replace(SOURCE, allow_private=("mirror.intranet",)))).status == 200
            with pytest.raises(Skip, match="private_address"):
                await client.get(url, replace(SOURCE, allow_private=("other.intranet",)))
    assert recording.connected == ["127.0.0.8"]


async def test_allow_private_true_still_allows_anything_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    recording = RecordingNetwork()
    anything = replace(SOURCE, allow_private=True)
    with LocalSite({"/a": ARTICLE}, host="127.0.0.8") as site:
        _redirects(site, {"/to-10": "http://10.0.0.1/admin"})
        async with Fetcher(robots=False, network=recording, resolver=FakeDNS({})) as client:
            with caplog.at_level(logging.WARNING, logger="scraper.fetch"):
                assert (await client.get(site.url("/a"), anything)).status == 200
                with pytest.raises(Skip) as caught:
                    await client.get(site.url("/to-10"), replace(anything, id="other"))
    # The guard let the hop through (the recording network was asked for it, and could not reach it).
    assert caught.value.reason == "fetch_error"
    assert recording.connected[-1] == "10.0.0.1" and set(recording.connected) == {"127.0.0.8", "10.0.0.1"}
    warnings = [r for r in caplog.records if "allow_private = true" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


# --- addresses that carry an IPv4 address -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("64:ff9b::a00:1", False), ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::7f00:1", False),  # NAT64
        ("64:ff9b::808:808", True),
        ("64:ff9b:1::a00:1", False), ("64:ff9b:1:a00:0:100::", False),  # local-use NAT64, /96 and /48 forms
        ("2002:a00:1::", False), ("2002:c0a8:101::1", False), ("2002:7f00:1::", False),  # 6to4
        ("2002:808:808::1", True),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo, client 10.0.0.1 (XOR 0xffffffff)
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", True),  # Teredo, client 8.8.8.8
        ("::ffff:10.0.0.1", False), ("::ffff:169.254.169.254", False), ("::ffff:8.8.8.8", True),  # mapped
        ("::10.0.0.1", False), ("::a9fe:a9fe", False), ("::8.8.8.8", True), ("::1", False), ("::", False),
        ("::ffff:0:a00:1", False),  # IPv4-translated
        ("2001:4860:4860::8888", True), ("fc00::1", False),  # plain IPv6 is judged as itself
    ],
)
def test_embedded_ipv4_forms_are_judged_by_the_ipv4_address_they_carry(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_the_carried_ipv4_addresses() -> None:
    def carried(address: str) -> list[str]:
        return [str(ip) for ip in carried_ipv4(ipaddress.IPv6Address(address))]

    assert carried("64:ff9b::a00:1") == ["10.0.0.1"]
    assert carried("2002:a00:1::") == ["10.0.0.1"]
    assert carried("2001:0:4136:e378:8000:63bf:f5ff:fffe") == ["10.0.0.1"]
    assert carried("::ffff:a00:1") == ["10.0.0.1"] and carried("::a00:1") == ["10.0.0.1"]
    # 64:ff9b:1::/48 does not say its prefix length: every RFC 6052 position is a candidate.
    assert "10.0.0.1" in carried("64:ff9b:1:a00:0:100::")  # /48
    assert "10.0.0.1" in carried("64:ff9b:1:a:0:1::")  # /56
    assert "10.0.0.1" in carried("64:ff9b:1:0:a:0:100:0")  # /64
    assert "10.0.0.1" in carried("64:ff9b:1::a00:1")  # /96
    assert carried("2001:4860:4860::8888") == []


def test_an_allowed_network_covers_the_embedded_forms_of_its_addresses() -> None:
    ten = PrivateAllowance.of(("10.0.0.0/8",))
    for address in ("10.0.0.1", "64:ff9b::a00:1", "::ffff:10.0.0.1", "2002:a00:1::", "8.8.8.8"):
        assert ten.permits("x.test", address), address
    for address in ("169.254.169.254", "64:ff9b::a9fe:a9fe", "192.168.1.1", "127.0.0.1", "fd00::1"):
        assert not ten.permits("x.test", address), address
    assert PrivateAllowance.of(("fd00::/8",)).permits("x.test", "fd00::1")
    assert PrivateAllowance.of(True).permits("x.test", "169.254.169.254")
    assert not PrivateAllowance.of(False).permits("x.test", "127.0.0.1")
    assert parse_allowance(["127.0.0.0/8", "Mirror.Intranet.", "[::1]", "10.1.2.3"]) == (
        "127.0.0.0/8", "mirror.intranet", "::1/128", "10.1.2.3/32")


# --- URLs that cannot be requested ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "location",
    ["data:text/html,x", "data:text/html;base64,PHA+eDwvcD4=", "javascript:alert(1)", "javascript:", "file:///etc/passwd"],
)
async def test_a_redirect_to_something_not_http_is_a_bad_url_skip_without_a_traceback(
    location: str, caplog: pytest.LogCaptureFixture
) -> None:
    with LocalSite(host="127.0.0.9") as site:
        _redirects(site, {"/x": location})
        async with Fetcher(robots=True) as client:
            with caplog.at_level(logging.DEBUG), pytest.raises(Skip) as caught:
                await client.get(site.url("/x"), SOURCE)
    assert caught.value.reason == "bad_url"
    assert "\n" not in str(caught.value)
    assert not [r for r in caplog.records if r.exc_info]
    assert site.hits["/x"] == 1  # refused, not retried as a fetch error


@pytest.mark.parametrize(
    "url",
    ["https://news.exa\x00mple/feed", "https://news.exa\u202emple/feed", "https://\u2066news.example/",
     "http://[::1/", "http://exa mple.com/", "https://news.example:99999/", "http://0x7f.1/"],
)
async def test_a_url_httpx_cannot_request_is_a_bad_url_skip(url: str) -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"requested {request.url}")

    async with Fetcher(robots=True, transport=httpx.MockTransport(never)) as client:
        with pytest.raises(Skip) as caught:
            await client.get(url, SOURCE)
    assert caught.value.reason == "bad_url"


def _feed_site() -> LocalSite:
    site = LocalSite(host="127.0.0.10")
    site.routes["/good"] = ARTICLE
    _redirects(site, {"/to-data": "data:text/html,x", "/to-script": "javascript:alert(1)"})
    site.routes["/feed"] = Page(rss([
        ("Satellite launched", site.url("/good"), "Tue, 21 Oct 2025 01:00:00 GMT"),
        ("Moved to data", site.url("/to-data"), "Tue, 21 Oct 2025 02:00:00 GMT"),
        ("Moved to a script", site.url("/to-script"), "Tue, 21 Oct 2025 03:00:00 GMT"),
        ("Bidi host", "http://127.0.0.10\u202e.example/x", "Tue, 21 Oct 2025 04:00:00 GMT"),
    ]), "application/rss+xml")
    return site


def test_a_backfill_counts_unusable_article_urls_and_writes_the_rest(tmp_path: Path) -> None:
    with _feed_site() as site:
        write_sources(tmp_path / "sources.toml", [{
            "id": "wire", "name": "Wire", "languages": ["en"], "homepage": site.url("/"),
            "feeds": [site.url("/feed")],
        }])
        result = run_cli("backfill", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "extract_error" not in result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("backfill: written=1 ") and "bad_url=3" in summary, summary


# --- the circuit breaker and redirects -------------------------------------------------------------------
async def test_a_failing_redirect_target_is_charged_not_the_host_that_redirected() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.host == "news.example":
            return httpx.Response(302, headers={"Location": f"https://cdn.example{request.url.path}"})
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(503)

    source = replace(SOURCE, retries=0, allow_private=False)
    async with Fetcher(robots=False, transport=httpx.MockTransport(handler), pause_after_failures=3) as client:
        for path, reason in (("/a", "http_503"), ("/down", "fetch_error"), ("/b", "http_503")):
            with pytest.raises(Skip) as caught:
                await client.get(f"https://news.example{path}", source)
            assert caught.value.reason == reason
        assert list(client.paused_hosts()) == ["cdn.example"]
        asked.clear()
        with pytest.raises(Skip, match="host_paused"):  # the paused target is not asked again, even by redirect
            await client.get("https://news.example/c", source)
        assert asked == ["https://news.example/c"]
        with pytest.raises(Skip, match="host_paused"):
            await client.get("https://cdn.example/c", source)


# --- UTF-8 with stray bytes -----------------------------------------------------------------------------
KOREAN = ("<html><head><title>북한</title></head><body><p>북한이 화요일 동해상으로 탄도미사일을 발사했다고 "
          "합동참모본부가 밝혔다. 군은 추가 발사에 대비해 감시와 경계를 강화했다.</p></body></html>")
ENGLISH = ("<html><head><title>Kim Yo-jong’s statement</title></head><body><p>Kim Yo-jong’s statement, carried "
           "by KCNA on Tuesday, called the drills “reckless”. The café by the Taedong river was closed.</p>"
           "<p>Pyongyang{stray}s foreign ministry said nothing more.</p></body></html>")


FRENCH = ("<html><body><p>Le ministre des Affaires étrangères a déclaré que la délégation arrivera à Pyongyang "
          "après une escale à Pékin. Élu en été, il a été reçu à l’aéroport.</p></body></html>")


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/html"])
@pytest.mark.parametrize(("page", "after", "expected"), [
    pytest.param(KOREAN, "화요일", "북한이 화요일\ufffd 동해상으로 탄도미사일을 발사했다고", id="korean"),
    pytest.param(FRENCH, "Pékin.", "une escale à Pékin.\ufffd Élu en été", id="french"),
])
def test_a_utf8_page_with_a_stray_byte_stays_utf8(content_type: str, page: str, after: str, expected: str) -> None:
    body = page.encode().replace(after.encode(), after.encode() + b"\xff")
    text, encoding = decode_text(body, content_type)
    assert encoding == "utf-8"
    assert expected in text and text.count("\ufffd") == 1


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/html"])
def test_a_stray_cp1252_quote_does_not_turn_utf8_into_mojibake(content_type: str) -> None:
    body = ENGLISH.replace("{stray}", "\x00").encode().replace(b"\x00", b"\x92")
    text, encoding = decode_text(body, content_type)
    assert encoding == "utf-8"
    assert "Kim Yo-jong’s statement" in text and "“reckless”" in text and "café" in text
    assert "Ã" not in text and "â€" not in text
    assert "Pyongyang\ufffds" in text


def test_an_ascii_page_with_one_stray_byte_is_read_as_utf8_unless_it_declares_otherwise() -> None:
    body = (b"<html><body><p>" + b"North Korea fired a missile on Tuesday, officials said. " * 20
            + b"It\x92s the third.</p>")
    for content_type in ("text/html; charset=utf-8", "text/html"):
        text, encoding = decode_text(body, content_type)
        assert (encoding, text.count("\ufffd")) == ("utf-8", 1), content_type
    assert "It’s the third" in decode_text(body, "text/html; charset=windows-1252")[0]


def test_a_legacy_page_is_still_read_in_its_charset() -> None:
    for content_type in ("text/html", "text/html; charset=utf-8"):  # undeclared, and a lying UTF-8 label
        text, encoding = decode_text(FRENCH.encode("cp1252"), content_type)
        assert "délégation" in text and "\ufffd" not in text, (content_type, encoding)
    text, _ = decode_text(KOREAN.encode("euc-kr"), "text/html")
    assert "탄도미사일을" in text and "\ufffd" not in text
