"""Conditional GET of feeds: validators sent, a 304 does no work, bogus validators stop being trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import rss
from pytest_httpx import HTTPXMock

from scraper.analyse import Analyser
from scraper.fetch import Fetcher
from scraper.fetch.conditional import Validators, after_fetch, request_headers
from scraper.pipeline import Pipeline
from scraper.records import Fetched, Source
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary

FEED = "https://wire.example/feed"
SOURCE = Source(id="wire", name="Wire", languages=("en",), homepage="https://wire.example/", timezone="UTC",
                feeds=(FEED,), delay=0.001)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _fetched(text: str, etag: str | None = '"v1"', modified: str | None = None) -> Fetched:
    return Fetched(url=FEED, final_url=FEED, status=200, content_type="application/rss+xml", text=text,
                   encoding="utf-8", fetched_at=NOW, etag=etag, last_modified=modified)


def test_validators_are_sent_until_they_prove_bogus() -> None:
    first = after_fetch(None, _fetched("<rss>1</rss>"), {}, NOW)
    assert first is not None and first.trusted
    assert request_headers(first, NOW + timedelta(minutes=15)) == {"If-None-Match": '"v1"'}
    # Same ETag, different content: the server's 304s cannot be believed any more.
    bogus = after_fetch(first, _fetched("<rss>2</rss>"), {"If-None-Match": '"v1"'}, NOW)
    assert bogus is not None and not bogus.trusted
    assert request_headers(bogus, NOW + timedelta(minutes=30)) == {}
    # Once a day we look without validators, whatever they say.
    assert request_headers(first, NOW + timedelta(days=1, minutes=1)) == {}
    # A server without validators has nothing to store.
    assert after_fetch(first, _fetched("<rss/>", etag=None), {}, NOW) is None


def test_a_new_etag_with_new_content_stays_trusted() -> None:
    first = Validators(FEED, '"v1"', None, "x", True, NOW)
    second = after_fetch(first, _fetched("<rss>2</rss>", etag='"v2"'), {"If-None-Match": '"v1"'}, NOW)
    assert second is not None and second.trusted and second.etag == '"v2"'


async def test_pipeline_sends_validators_and_a_304_does_no_work(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    feed = rss([("Item", "https://wire.example/a/1", "Fri, 31 Oct 2025 00:00:00 GMT")])
    httpx_mock.add_response(url=FEED, content=feed, headers={"ETag": '"v1"', "Last-Modified": "Fri, 31 Oct 2025 "
                                                              "00:00:00 GMT", "Content-Type": "application/rss+xml"})
    httpx_mock.add_response(url="https://wire.example/a/1", html="<html><body><article><p>" + "Pyongyang said "
                            "on Friday that the talks had gone well, according to the state news agency. " * 3
                            + "</p></article></body></html>")
    httpx_mock.add_response(url=FEED, status_code=304, match_headers={"If-None-Match": '"v1"'})
    state = State(tmp_path / "s.sqlite")
    sink = JsonlSink(tmp_path / "out")
    async with Fetcher(robots=False) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser())
        first = await pipeline.poll(SOURCE)
        pipeline.flush()
        second = Summary()
        links = await pipeline.discover(SOURCE, second)
        pipeline.close()
    sink.close()
    assert first.written == 1
    assert links == [] and second.skips.total() == 0
    requests = httpx_mock.get_requests(url=FEED)
    assert "If-None-Match" not in requests[0].headers
    assert requests[1].headers["If-None-Match"] == '"v1"'
    assert requests[1].headers["If-Modified-Since"] == "Fri, 31 Oct 2025 00:00:00 GMT"
    state.close()
