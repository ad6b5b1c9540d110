"""Retries before the breaker judges a host, retries ahead of new work; a host the network does not reach is named
once per cause, retried soon (30 s, doubling), and freed as soon as it answers."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from conftest import read_records, run_cli, write_sources
from localsite import LocalSite, Page
from pytest_httpx import HTTPXMock
from test_fetch import SOURCE, URL, FakeTime, fetcher
from test_output_contract import article_page

from scraper.errors import Skip
from scraper.fetch.client import network_cause
from scraper.fetch.robots import RobotsAnswer, RobotsCache


class FlakySite(LocalSite):
    """Each article answers 503 to its first two requests, then the page; one answers 429 with Retry-After: 3
    to its first request."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.asked: dict[str, int] = {}
        self.lock = threading.Lock()
        self.rate_limited_at: float | None = None
        for number in range(count):
            self.routes[f"/a/{number}"] = Page(article_page(number))

    def answer(self, path: str, query: str = "") -> Page | None:
        with self.lock:
            self.asked[path] = self.asked.get(path, 0) + 1
            tries = self.asked[path]
        if path == "/a/0" and tries == 1:
            return Page(b"slow down", "text/plain", 429, headers={"Retry-After": "3"})
        if path.startswith("/a/") and path != "/a/0" and tries <= 2:
            return Page(b"busy", "text/plain", 503)
        return None


def test_a_host_answering_503_twice_per_article_and_one_429_loses_nothing_in_one_run(tmp_path: Path) -> None:
    site = FlakySite(3)
    feed_items = "".join(f"<item><title>R{n}</title><link>{{base}}/a/{n}</link></item>" for n in range(3))
    with site:
        site.routes["/feed"] = Page(f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
                                    f"{feed_items.replace('{base}', site.url(''))}</channel></rss>".encode(),
                                    "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [
            {"id": "flaky", "name": "Flaky", "homepage": site.url("/"), "feeds": [site.url("/feed")]}])
        done = run_cli("backfill", cwd=tmp_path, timeout=120)  # the defaults: retries = 3, breaker after 5
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("backfill: written=3 "), done.stdout
    assert "pausing" not in done.stderr
    assert sorted(int(r["url"].rsplit("/", 1)[1]) for r in read_records(tmp_path / "output")) == list(range(3))
    # From the server's log: after the 429, nothing reached it for its Retry-After.
    after = [t for t, path in zip(site.started, site.paths, strict=True) if path.startswith("/a/")]
    first_429 = site.started[site.paths.index("/a/0")]
    later = [t for t in after if t > first_429]
    assert later and min(later) - first_429 >= 2.9


class YieldingTime(FakeTime):
    """Fake time whose sleeps let the other tasks run, as a real back-off does."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        for _ in range(20):
            await asyncio.sleep(0)


async def test_retries_go_ahead_of_new_work_and_the_breaker_counts_requests(httpx_mock: HTTPXMock) -> None:
    """Five articles on one host, each failing once: no pause (five attempts failed, no request did), and each
    retry is sent before any article after it has its first try."""
    asked: list[str] = []
    tries: dict[str, int] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        asked.append(path)
        tries[path] = tries.get(path, 0) + 1
        return httpx.Response(503 if tries[path] == 1 else 200, html="<html><body><p>" + "Text. " * 50 + "</p>"
                              "</body></html>")

    httpx_mock.add_callback(answer, is_reusable=True)
    fake = YieldingTime()
    async with fetcher(fake, pause_after_failures=3) as client:
        results = await asyncio.gather(*(client.get(f"https://news.example/{n}", SOURCE) for n in range(5)))
        paused = client.paused_hosts()
    assert all(result.status == 200 for result in results) and paused == {}
    assert asked == ["/0", "/0", "/1", "/1", "/2", "/2", "/3", "/3", "/4", "/4"]


async def test_a_request_that_fails_after_its_retries_is_what_the_breaker_counts(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=503, is_reusable=True)
    fake = FakeTime()
    async with fetcher(fake, pause_after_failures=2) as client:
        with pytest.raises(Skip, match="http_503"):
            await client.get(URL, SOURCE)  # three attempts, one failed request
        assert client.paused_hosts() == {}
        with pytest.raises(Skip, match="http_503"):
            await client.get(URL, SOURCE)
        assert list(client.paused_hosts()) == ["news.example"]
    assert len(httpx_mock.get_requests()) == 6


async def test_an_unreachable_host_is_paused_briefly_then_longer_and_freed_when_it_answers(
        httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    source = replace(SOURCE, retries=0)
    httpx_mock.add_exception(httpx.ConnectError("[Errno -2] Name or service not known"), url=URL, is_reusable=True)
    with caplog.at_level(logging.WARNING, logger="scraper.fetch"):
        async with fetcher(fake, pause_after_failures=2, pause_for=600.0) as client:
            pauses = []
            tries = []
            for _ in range(3):  # fail until paused; after a pause, one failed probe pauses it again, for longer
                attempts = 0
                while "news.example" not in client.paused_hosts() and attempts < 10:
                    attempts += 1
                    with pytest.raises(Skip, match="fetch_error"):
                        await client.get(URL, source)
                tries.append(attempts)
                pauses.append(round(client.paused_hosts()["news.example"]))
                fake.now += pauses[-1] + 1
            assert tries == [2, 1, 1]
            httpx_mock.reset()
            httpx_mock.add_response(url=URL, html="<html><body><p>" + "Back. " * 30 + "</p></body></html>")
            assert (await client.get(URL, source)).status == 200
            assert client.paused_hosts() == {}
    assert pauses == [30, 60, 120]  # not ten minutes: the network, not the site
    lines = [r.getMessage() for r in caplog.records if "cannot reach" in r.getMessage()]
    assert len(lines) == 1 and "the name does not resolve (DNS)" in lines[0]  # once per host and cause


async def test_robots_txt_out_of_reach_is_the_network_not_the_site() -> None:
    clock = [0.0]
    answers = [RobotsAnswer(0, cause="the name does not resolve (DNS)")] * 3 + [RobotsAnswer(404)]
    asked = []

    async def fetch(url: str, source: object) -> RobotsAnswer:
        asked.append(clock[0])
        return answers[len(asked) - 1]

    cache = RobotsCache(fetch, clock=lambda: clock[0])  # type: ignore[arg-type]
    waits = []
    for _ in range(3):
        with pytest.raises(Skip) as caught:
            await cache.check(URL, SOURCE)
        assert caught.value.reason == "unreachable" and "the name does not resolve" in str(caught.value)
        entry_wait = cache._entries["https://news.example"].expires - clock[0]
        waits.append(entry_wait)
        clock[0] += entry_wait
    assert waits == [30.0, 60.0, 120.0]
    assert await cache.check(URL, SOURCE) == 0.0  # reachable again: allowed at once


@pytest.mark.parametrize(("detail", "cause"), [
    ("ConnectError: [Errno -2] Name or service not known", "the name does not resolve (DNS)"),
    ("ConnectError: [Errno -3] Temporary failure in name resolution", "the name does not resolve (DNS)"),
    ("ConnectError: [Errno 111] Connection refused", "the connection is refused"),
    ("ConnectError: [Errno 101] Network is unreachable", "no route to it"),
    ("ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "the TLS handshake failed"),
    ("no complete answer within 30s", "it does not answer in time"),
    ("RemoteProtocolError: Server disconnected without sending a response.", "it drops the connection"),
])
def test_network_failures_are_named(detail: str, cause: str) -> None:
    assert network_cause(detail) == cause


def test_offline_the_backfill_names_the_network_and_the_log_says_it_once(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources.toml", [
        {"id": "gone", "name": "Gone", "homepage": "http://127.0.0.1:9/", "retries": 0,
         "feeds": ["http://127.0.0.1:9/feed", "http://127.0.0.1:9/other", "http://127.0.0.1:9/third"]}])
    offline = run_cli("--log-format", "text", "backfill", cwd=tmp_path)
    assert offline.returncode == 3
    assert offline.stderr.count("cannot reach 127.0.0.1: the connection is refused") == 1
    assert "gone: nothing could be read (unreachable" in offline.stderr
