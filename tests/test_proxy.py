"""Fetching through an HTTP proxy (sources.toml `proxy`): every request of the outlet goes through it, its
credentials are sent, the address guard still judges the sites asked for (the proxy itself may be on a private
address: the operator named it), a proxy that refuses or is down is a visible failure, and the proxy variables of
the environment, which are not read, are named in a warning."""

from __future__ import annotations

import logging
import ssl
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import read_records, rss, run_cli, write_sources
from localproxy import LocalProxy
from localsite import LocalSite, Page
from test_output_contract import article_page

from scraper.config import load_settings
from scraper.errors import ConfigError, Skip
from scraper.fetch import Fetcher
from scraper.records import Source

SOURCE = Source(id="wire", name="Wire", languages=("en",), homepage="http://127.0.0.1/", timezone="UTC", delay=0.0,
                retries=0)


def _site() -> LocalSite:
    site = LocalSite()
    site.routes["/feed"] = Page(rss([(f"Report {n}", site.url(f"/a/{n}"), "Tue, 01 Dec 2026 10:00:00 GMT")
                                     for n in (1, 2)]), "application/rss+xml")
    for n in (1, 2):
        site.routes[f"/a/{n}"] = Page(article_page(n))
    return site


def test_an_outlet_collects_through_its_proxy(tmp_path: Path) -> None:
    with _site() as site, LocalProxy("127.0.0.2", credentials=("analyst", "s3cret")) as proxy:
        port = proxy.url.rsplit(":", 1)[1]
        write_sources(tmp_path / "sources.toml", [
            {"id": "wire", "name": "Wire", "homepage": site.url("/"), "feeds": [site.url("/feed")],
             "allow_private": ["127.0.0.1"]}],  # the site's address; the proxy's needs no allowance
            proxy=f"http://analyst:s3cret@127.0.0.2:{port}")
        result = run_cli("backfill", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(record["url"] for record in read_records(tmp_path / "output")) == [site.url("/a/1"),
                                                                                      site.url("/a/2")]
    # Every request went through the proxy, with its credentials (none refused), in absolute form.
    assert sorted(proxy.asked) == sorted([site.url("/robots.txt"), site.url("/feed"), site.url("/a/1"),
                                          site.url("/a/2")])
    assert proxy.refused == 0 and "s3cret" not in result.stderr


async def test_the_address_guard_still_judges_the_sites_asked_for_through_a_proxy() -> None:
    with _site() as site, LocalProxy("127.0.0.2") as proxy:
        async with Fetcher(robots=False) as fetcher:
            with pytest.raises(Skip) as refused:  # 127.0.0.1 is allowed to no outlet here
                await fetcher.get(site.url("/a/1"), replace(SOURCE, proxy=proxy.url))
            allowed = await fetcher.get(site.url("/a/1"), replace(SOURCE, proxy=proxy.url,
                                                                   allow_private=("127.0.0.1",)))
    assert refused.value.reason == "private_address"
    assert proxy.asked == [site.url("/a/1")]  # the refused request never reached the proxy
    assert allowed.status == 200 and "Report 1" in allowed.text


async def test_an_https_site_is_reached_through_a_tunnel_of_the_proxy(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A certificate for 127.0.0.1 that the client trusts (SSL_CERT_FILE, which httpx's TLS context reads).
    certificate, key = tmp_path / "site.pem", tmp_path / "site.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True, timeout=60)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(certificate, key)
    with _site() as site, LocalProxy("127.0.0.2", credentials=("analyst", "s3cret")) as proxy:
        site.server.socket = tls.wrap_socket(site.server.socket, server_side=True)
        address = site.url("/a/1").replace("http://", "https://")
        port = proxy.url.rsplit(":", 1)[1]
        source = replace(SOURCE, allow_private=("127.0.0.1",), proxy=f"http://analyst:s3cret@127.0.0.2:{port}")
        async with Fetcher(robots=False) as fetcher:
            fetched = await fetcher.get(address, source)
            with pytest.raises(Skip) as refused:  # the guard holds for https too
                await fetcher.get(address, replace(source, allow_private=False))
    assert fetched.status == 200 and "Report 1" in fetched.text
    assert proxy.asked == [f"CONNECT 127.0.0.1:{site.server.server_port}"] and proxy.refused == 0
    assert refused.value.reason == "private_address"


async def test_a_proxy_that_refuses_or_is_down_is_a_failure_that_says_so() -> None:
    with _site() as site, LocalProxy("127.0.0.2", credentials=("analyst", "s3cret")) as proxy:
        source = replace(SOURCE, allow_private=("127.0.0.1",))
        async with Fetcher(robots=False) as fetcher:
            with pytest.raises(Skip) as unauthorised:
                await fetcher.get(site.url("/a/1"), replace(source, proxy=proxy.url))  # no credentials
            with pytest.raises(Skip) as wrong:
                await fetcher.get(site.url("/a/2"), replace(source, proxy=proxy.url.replace("//", "//analyst:no@")))
        down = proxy.url  # closed below: nothing listens there any more
    async with Fetcher(robots=False) as fetcher:
        with pytest.raises(Skip) as gone:
            await fetcher.get(site.url("/a/1"), replace(source, proxy=down))
    assert unauthorised.value.reason == wrong.value.reason == "http_407" and proxy.refused == 2
    assert gone.value.reason == "fetch_error" and f"through the proxy {down[7:]}: " in str(gone.value)


async def test_proxy_variables_of_the_environment_are_named_not_read(monkeypatch: pytest.MonkeyPatch,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.9:3128")  # nothing listens there: it must not be used
    with _site() as site:
        source = replace(SOURCE, allow_private=("127.0.0.1",))
        async with Fetcher(robots=False) as fetcher:
            fetched = [await fetcher.get(site.url(f"/a/{n}"), source) for n in (1, 2)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "PROXY" in r.getMessage()]
    assert [page.status for page in fetched] == [200, 200]
    assert warnings == ["HTTPS_PROXY is set, but outlet wire connects directly: the scraper reads no proxy from the "
                        'environment; name it in sources.toml ([defaults] proxy = "http://host:port")']


@pytest.mark.parametrize(("value", "says"), [
    ("socks5://127.0.0.1:1080", "socks5 proxies are not supported"),
    ("proxy.example:3128", "expected a proxy URL"),
    ("http://proxy.example:3128/path", "no path"),
    ("http://proxy.example:99999", "expected a proxy URL"),
    ("http://analyst:s3cret@proxy.example:3128/path", "got 'http://analyst:***@proxy.example:3128/path'"),
    (3128, "expected a proxy URL"),
])
def test_a_proxy_that_cannot_be_one_stops_start_up(tmp_path: Path, value: object, says: str) -> None:
    path = write_sources(tmp_path / "sources.toml", [
        {"id": "wire", "name": "Wire", "homepage": "https://wire.example/", "feeds": ["https://wire.example/feed"],
         "proxy": value}])
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert says in str(caught.value) and 'key "proxy"' in str(caught.value) and "s3cret" not in str(caught.value)


def test_proxy_is_inherited_and_none_connects_directly(tmp_path: Path) -> None:
    path = write_sources(tmp_path / "sources.toml", [
        {"id": "wire", "name": "Wire", "homepage": "https://wire.example/", "feeds": ["https://wire.example/feed"]},
        {"id": "direct", "name": "Direct", "homepage": "https://d.example/", "feeds": ["https://d.example/feed"],
         "proxy": "none"}], proxy="http://proxy.example:3128")
    settings = load_settings(path)
    assert [source.proxy for source in settings.sources] == ["http://proxy.example:3128", None]
    assert settings.proxy == "http://proxy.example:3128"  # the web archive's, CC-NEWS's and extract's
