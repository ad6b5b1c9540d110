"""Conditional GET of feeds: validators sent, a 304 does no work, bogus validators stop being trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from conftest import rss
from pytest_httpx import HTTPXMock

from scraper.analyse import Analyser
from scraper.fetch import Fetcher
from scraper.fetch.conditional import Validators, after_fetch, not_modified, request_headers
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


def test_validators_are_sent_until_they_prove_bogus_and_then_not_for_a_day() -> None:
    first = after_fetch(None, _fetched("<rss>1</rss>"), {}, NOW)
    assert first is not None and first.trusted(NOW)
    assert request_headers(first, NOW + timedelta(minutes=15)) == {"If-None-Match": '"v1"'}
    # Same ETag, different content: the server's 304s cannot be believed, for a day.
    bogus = after_fetch(first, _fetched("<rss>2</rss>"), {"If-None-Match": '"v1"'}, NOW)
    assert bogus is not None and not bogus.trusted(NOW)
    assert request_headers(bogus, NOW + timedelta(minutes=30)) == {}
    assert request_headers(bogus, NOW + timedelta(hours=23)) == {}
    # A day later they are tried again (from the next unconditional fetch on).
    again = after_fetch(bogus, _fetched("<rss>2</rss>"), {}, NOW + timedelta(days=1, minutes=1))
    assert again is not None and again.trusted(NOW + timedelta(days=1, minutes=1))
    assert request_headers(again, NOW + timedelta(days=1, minutes=16)) == {"If-None-Match": '"v1"'}
    # Once a day we look without validators, whatever they say.
    assert request_headers(first, NOW + timedelta(days=1, minutes=1)) == {}
    # A server without validators has nothing to store.
    assert after_fetch(first, _fetched("<rss/>", etag=None), {}, NOW) is None


def test_every_sixth_request_of_a_feed_is_unconditional() -> None:
    known = after_fetch(None, _fetched("<rss>1</rss>"), {}, NOW)
    assert known is not None
    sent = []
    for poll in range(12):
        headers = request_headers(known, NOW + timedelta(minutes=poll))
        sent.append(bool(headers))
        known = not_modified(known) if headers else after_fetch(known, _fetched("<rss>1</rss>"), {}, NOW)
        assert known is not None
    assert sent == [True] * 5 + [False] + [True] * 5 + [False]


def test_a_new_etag_with_new_content_stays_trusted() -> None:
    first = Validators(FEED, '"v1"', None, "x", NOW)
    second = after_fetch(first, _fetched("<rss>2</rss>", etag='"v2"'), {"If-None-Match": '"v1"'}, NOW)
    assert second is not None and second.trusted(NOW) and second.etag == '"v2"'


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
        links = await pipeline.discovery.discover(SOURCE, second)
        pipeline.close()
    sink.close()
    assert first.written == 1
    assert links == [] and second.skips.total() == 0
    requests = httpx_mock.get_requests(url=FEED)
    assert "If-None-Match" not in requests[0].headers
    assert requests[1].headers["If-None-Match"] == '"v1"'
    assert requests[1].headers["If-Modified-Since"] == "Fri, 31 Oct 2025 00:00:00 GMT"
    state.close()


async def test_a_feed_whose_etag_never_changes_shows_its_new_items_within_six_polls_after(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    """The server answers 304 to every conditional request, whatever is new: the sixth request, unconditional,
    finds the new item (and the lie: the validators are not sent for a day after)."""
    items = [("Item 1", "https://wire.example/a/1", "Fri, 31 Oct 2025 00:00:00 GMT")]

    def feed(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=rss(items), headers={"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    httpx_mock.add_callback(feed, url=FEED, is_reusable=True)
    for n in (1, 2):
        httpx_mock.add_response(url=f"https://wire.example/a/{n}", html="<html><body><article><p>" + (
            f"Report number {n}: Pyongyang said on Friday that the talks had gone well, according to the agency. ")
            * 3 + "</p></article></body></html>")
    state = State(tmp_path / "s.sqlite")
    sink = JsonlSink(tmp_path / "out")
    written = []
    async with Fetcher(robots=False) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser())
        written.append((await pipeline.poll(SOURCE)).written)
        items.append(("Item 2", "https://wire.example/a/2", "Fri, 31 Oct 2025 01:00:00 GMT"))  # new, same ETag
        for _ in range(7):
            written.append((await pipeline.poll(SOURCE)).written)
        pipeline.flush()
        pipeline.close()
    sink.close()
    conditional = [bool(r.headers.get("If-None-Match")) for r in httpx_mock.get_requests(url=FEED)]
    # One in six requests looks for real: the first, then five conditional ones (304), then the seventh.
    assert conditional == [False, True, True, True, True, True, False, False]
    assert written == [1, 0, 0, 0, 0, 0, 1, 0]  # the new item, then: the lie is caught, no validators for a day
    state.close()


async def test_a_304_to_a_request_without_validators_is_no_answer(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    # A broken cache in front of the feed answers 304 to everything: "not modified" since nothing is a lie, and the
    # poll is an error, not a read that found nothing new.
    httpx_mock.add_response(url=FEED, status_code=304, is_reusable=True)
    state = State(tmp_path / "s.sqlite")
    sink = JsonlSink(tmp_path / "out")
    async with Fetcher(robots=False) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser())
        summary = await pipeline.poll(SOURCE)
        backfill = await pipeline.poll(SOURCE, backfill=True)
        pipeline.close()
    sink.close()
    state.close()
    assert summary.result() == ("error", "http_304=1")
    assert backfill.result() == ("error", "http_304=1")
