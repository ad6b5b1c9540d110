"""Nothing lost, nothing twice: links left by a cap or a cut-short poll are taken by the next one whatever the feed's
validators say; a full disk fails, waits and recovers without a duplicate; sitemap loops are read once; a stop
signal ends discovery at once; one state store per output."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from articles import news_pages
from conftest import read_records, rss, run_cli, write_sources
from localsite import LocalSite, Page
from pytest_httpx import HTTPXMock
from test_output_contract import article_page

from scraper.analyse import Analyser
from scraper.errors import OutputError, StateError
from scraper.fetch import Fetcher
from scraper.observe import NullObserver, Observer
from scraper.pipeline import Pipeline
from scraper.records import Source
from scraper.runs.discovery import PENDING_FOR
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary
from scraper.verify import verify_output

FEED = "https://wire.example/feed"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _source(**changes: object) -> Source:
    fields: dict[str, object] = {"id": "wire", "name": "Wire", "languages": ("en",), "homepage": "https://wire.example/",
                                 "timezone": "UTC", "feeds": (FEED,), "delay": 0.0, "retries": 0}
    fields.update(changes)
    return Source(**fields)  # type: ignore[arg-type]


def _feed(count: int) -> bytes:
    """RSS of `count` articles, number n published n hours after T0 (so a higher number is newer)."""
    items = "".join(f"<item><title>Report {n}</title><link>https://wire.example/a/{n}</link>"
                    f"<pubDate>{format_datetime(T0 + timedelta(hours=n))}</pubDate></item>" for n in range(count))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>').encode()


def _serve(httpx_mock: HTTPXMock, count: int) -> None:
    """The feed once in full with an ETag, then 304 to a conditional request, as a server with a validator does."""
    httpx_mock.add_response(url=FEED, status_code=304, match_headers={"If-None-Match": '"v1"'}, is_reusable=True,
                            is_optional=True)
    httpx_mock.add_response(url=FEED, content=_feed(count), is_reusable=True,
                            headers={"ETag": '"v1"', "Content-Type": "application/rss+xml"})
    httpx_mock.add_callback(lambda request: httpx.Response(
        200, content=article_page(int(request.url.path.rsplit("/", 1)[1])), headers={"Content-Type": "text/html"}),
        url=re.compile(r"https://wire\.example/a/\d+"), is_reusable=True, is_optional=True)


def _numbers(output: Path) -> list[int]:
    return sorted(int(record["url"].rsplit("/", 1)[1]) for record in read_records(output))


@contextlib.contextmanager
def _pipeline(tmp_path: Path, fetcher: Fetcher, *, segment_records: int = 1000,
              observer: Observer | None = None) -> Iterator[Pipeline]:
    state = State(tmp_path / "state.sqlite")
    sink = JsonlSink(tmp_path / "out", segment_records=segment_records)
    pipeline = Pipeline(fetcher, state, sink, Analyser(), observer=observer)
    pipeline.reconcile({})
    try:
        yield pipeline
    finally:
        pipeline.close()
        with contextlib.suppress(OutputError):
            sink.close()
        state.close()


# --- 1. links past the cap, and polls cut short -----------------------------------------------------------------
async def test_links_past_max_articles_wait_for_the_next_poll_though_the_feed_answers_304(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    _serve(httpx_mock, 20)
    source = _source(max_articles=6)
    written = []
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            for _ in range(5):
                summary = await pipeline.poll(source, limit=source.max_articles)
                pipeline.flush()
                written.append(_numbers(tmp_path / "out"))
            waiting = pipeline.state.links.count_pending("wire")
    statuses = [r.headers.get("If-None-Match") for r in httpx_mock.get_requests(url=FEED)]
    assert statuses == [None, '"v1"', '"v1"', '"v1"', '"v1"']  # every poll after the first got a 304
    assert written[0] == list(range(14, 20))  # the cap leaves the oldest, not the newest
    assert written[1] == list(range(8, 20)) and written[3] == list(range(20))  # then the backlog, newest first
    assert written[4] == list(range(20)) and summary.written == 0 and waiting == 0


async def test_a_poll_stopped_mid_way_leaves_its_links_to_the_next_run(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    _serve(httpx_mock, 12)
    stop = asyncio.Event()

    class StopAfterThree(NullObserver):
        written_so_far = 0

        def written(self, outlet: str, duplicate: bool) -> None:
            self.written_so_far += 1
            if self.written_so_far == 3:
                stop.set()  # SIGTERM, with articles still in flight and more waiting

    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher, observer=StopAfterThree()) as pipeline:
            first = await pipeline.poll(_source(), stop=stop, stop_grace=0.0)
            pipeline.flush()
        after_stop = _numbers(tmp_path / "out")
        # A new process (the same state store): the feed answers 304, the waiting links are fetched all the same.
        with _pipeline(tmp_path, fetcher) as pipeline:
            second = await pipeline.poll(_source())
            pipeline.flush()
    assert 3 <= first.written < 12 and len(after_stop) == first.written
    assert second.written == 12 - first.written
    assert _numbers(tmp_path / "out") == list(range(12))
    assert verify_output(tmp_path / "out").ok


async def test_links_of_a_discovery_killed_before_any_fetch_are_not_lost(tmp_path: Path,
                                                                         httpx_mock: HTTPXMock) -> None:
    """SIGKILL right after the feed was read (its validator saved): the next run, fed 304, still has them."""
    _serve(httpx_mock, 5)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            await pipeline.discovery.discover(_source(), Summary())  # and then the process dies: nothing else happens
        with _pipeline(tmp_path, fetcher) as pipeline:
            summary = await pipeline.poll(_source())
            pipeline.flush()
    assert summary.written == 5 and _numbers(tmp_path / "out") == list(range(5))


async def test_a_permanent_failure_is_given_up_on_and_a_transient_one_waits(tmp_path: Path,
                                                                          httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://wire.example/a/1", status_code=404)
    httpx_mock.add_response(url="https://wire.example/a/2", status_code=503)
    _serve(httpx_mock, 3)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            summary = await pipeline.poll(_source())
            pipeline.flush()
            waiting = [url for url, _, _ in pipeline.state.links.pending("wire")]
            again = await pipeline.poll(_source())  # 304; the 503 is due again at once, and now answers
            pipeline.flush()
    assert summary.skips == {"http_404": 1, "http_503": 1} and summary.written == 1
    assert waiting == ["https://wire.example/a/2"]  # the 404 is a skip with its reason, not a waiting link
    assert again.written == 1 and _numbers(tmp_path / "out") == [0, 2]


# --- 2. a full disk ----------------------------------------------------------------------------------------------
class _Full:
    """Makes the state store's commits fail as on a full disk, while `full` is set."""

    def __init__(self, state: State) -> None:
        self.full = False
        self._commit = state.commit
        state.commit = self  # type: ignore[method-assign]

    def __call__(self, *args: object, **kwargs: object) -> None:
        if self.full:
            raise StateError("state.sqlite: cannot record reports: database or disk is full")
        self._commit(*args, **kwargs)  # type: ignore[arg-type]


async def test_a_state_store_that_cannot_commit_after_a_segment_is_out_loses_and_duplicates_nothing(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    _serve(httpx_mock, 30)
    source = _source(max_articles=10)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher, segment_records=4) as pipeline:
            disk = _Full(pipeline.state)
            disk.full = True
            failures = 0
            for _ in range(3):  # the disk stays full: each poll fails, and says why
                with contextlib.suppress(StateError):
                    await pipeline.poll(source, limit=source.max_articles)
                    pipeline.flush()
                    continue
                failures += 1
            assert any("not in the state store yet" in problem for problem in pipeline.problems())
            disk.full = False  # space again
            for _ in range(6):
                await pipeline.poll(source, limit=source.max_articles)
                pipeline.flush()
            assert pipeline.problems() == []
            recorded = pipeline.state.count_reports()
    assert failures == 3
    report = verify_output(tmp_path / "out")
    assert report.ok, report.problems[:5]
    assert _numbers(tmp_path / "out") == list(range(30)) and recorded == 30


async def test_a_segment_published_before_the_output_failed_is_recorded_not_fetched_again(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    """The sink publishes one day's segment, then fails on the next: the first is on disk and stays counted."""
    _serve(httpx_mock, 8)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            sink = pipeline.sink
            original = sink.flush
            calls = 0

            def flaky_flush() -> list[str]:
                nonlocal calls
                calls += 1
                if calls == 1:
                    published = original()
                    raise OutputError("out: cannot publish a segment: No space left on device", tuple(published))
                return original()

            sink.flush = flaky_flush  # type: ignore[method-assign]
            await pipeline.poll(_source())
            with pytest.raises(OutputError):
                pipeline.flush()
            again = await pipeline.poll(_source())
            pipeline.flush()
    assert again.written == 0  # nothing was fetched twice: the published segment was recorded
    assert _numbers(tmp_path / "out") == list(range(8)) and verify_output(tmp_path / "out").ok


def _can_mount_tmpfs(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(path)], capture_output=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


async def test_a_really_full_filesystem_holding_output_and_state_recovers_exactly_once(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    """Output and state store on one small tmpfs, filled by a ballast file; when it is removed, every article is
    written once. Needs the right to mount (root); elsewhere the injected failures above stand in."""
    disk = tmp_path / "disk"
    if not _can_mount_tmpfs(disk):
        pytest.skip("cannot mount a tmpfs here (not root, or no mount permission): the injected-fault tests cover it")
    try:
        _serve(httpx_mock, 40)
        source = _source(max_articles=8)
        async with Fetcher(robots=False) as fetcher:
            with _pipeline(disk, fetcher, segment_records=3) as pipeline:
                await pipeline.poll(source, limit=source.max_articles)  # a first segment, while there is room
                pipeline.flush()
                ballast = disk / "ballast"
                descriptor = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
                try:
                    with contextlib.suppress(OSError):
                        while True:  # every byte left
                            os.write(descriptor, b"\0" * 4096)
                finally:
                    os.close(descriptor)
                errors = 0
                for _ in range(3):
                    try:
                        await pipeline.poll(source, limit=source.max_articles)
                        pipeline.flush()
                    except (StateError, OutputError):
                        errors += 1
                ballast.unlink()
                for _ in range(12):
                    with contextlib.suppress(StateError, OutputError):
                        await pipeline.poll(source, limit=source.max_articles)
                        pipeline.flush()
                recorded = pipeline.state.count_reports()
        assert errors >= 1
        report = verify_output(disk / "out")
        assert report.ok, report.problems[:5]
        assert _numbers(disk / "out") == list(range(40)) and recorded == 40
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, check=False)


# --- 4. sitemap loops and stopping -------------------------------------------------------------------------------
INDEX = "https://wire.example/sitemap.xml"


def _index(*children: str) -> bytes:
    entries = "".join(f"<sitemap><loc>{child}</loc></sitemap>" for child in children)
    return (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
            "</sitemapindex>").encode()


def _urlset(*urls: str) -> bytes:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return (f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
            "</urlset>").encode()


@pytest.mark.parametrize("backfill", [False, True])
async def test_a_sitemap_index_that_lists_itself_or_a_cycle_is_read_once(tmp_path: Path, httpx_mock: HTTPXMock,
                                                                         backfill: bool,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    other = "https://wire.example/sitemap-b.xml"
    child = "https://wire.example/sitemap-1.xml"
    httpx_mock.add_response(url=INDEX, content=_index(INDEX, other, child), is_reusable=True)
    httpx_mock.add_response(url=other, content=_index(INDEX, other), is_reusable=True)  # b lists a, and itself
    httpx_mock.add_response(url=child, content=_urlset("https://wire.example/a/1"), is_reusable=True)
    source = _source(feeds=(), sitemaps=(INDEX,))
    summary, again = Summary(), Summary()
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            links = await pipeline.discovery.discover(source, summary, backfill=backfill)
            hits = [str(request.url) for request in httpx_mock.get_requests()]
            warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            caplog.clear()
            await pipeline.discovery.discover(source, again, backfill=backfill)  # the next poll: same site, same loop
    assert sorted(hits) == sorted([INDEX, other, child])  # each once
    assert [link.url for link in links] == ["https://wire.example/a/1"]
    assert summary.skips["sitemap_loop"] == 3  # the index twice, b once
    assert sorted(warned) == sorted(f"{source.id}: {url} is listed again by a sitemap index (a loop): read once"
                                    for url in (INDEX, other))  # once per sitemap...
    assert again.skips["sitemap_loop"] == 3  # ...then only counted, not warned of at every poll
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_poll_of_a_long_sitemap_index_reads_the_sitemaps_changed_last_first(tmp_path: Path,
                                                                                     httpx_mock: HTTPXMock) -> None:
    """An index lists a growing series oldest first (WordPress: post-sitemap1.xml ... post-sitemap60.xml), and a
    poll reads at most 50 sitemaps: in the index's order it read the 50 oldest at every poll and never the one where
    new articles appear. It now reads them newest `lastmod` first; a backfill still walks them all in order."""
    children = [f"https://wire.example/post-sitemap{n}.xml" for n in range(1, 61)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    entries = "".join(f"<sitemap><loc>{url}</loc><lastmod>{(start + timedelta(days=n)).isoformat()}</lastmod>"
                      "</sitemap>" for n, url in enumerate(children, start=1))
    httpx_mock.add_response(url=INDEX, is_reusable=True, content=(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>").encode())
    for n, url in enumerate(children, start=1):
        httpx_mock.add_response(url=url, content=_urlset(f"https://wire.example/a/{n}"), is_reusable=True)
    source = _source(feeds=(), sitemaps=(INDEX,))
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            polled = await pipeline.discovery.discover(source, Summary())
            backfilled = await pipeline.discovery.discover(source, Summary(), backfill=True)
    found = {link.url for link in polled}
    assert "https://wire.example/a/60" in found  # the newest sitemap's article
    assert found == {f"https://wire.example/a/{n}" for n in range(12, 61)}  # the index and the 49 changed last
    assert len({link.url for link in backfilled}) == 60


async def test_a_text_sitemap_is_read_served_alone_or_from_an_index(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    text = "https://wire.example/sitemap.txt"
    httpx_mock.add_response(url=INDEX, content=_index(text), is_reusable=True)
    httpx_mock.add_response(url=text, content=b"https://wire.example/a/1\nhttps://wire.example/a/2\n",
                            headers={"Content-Type": "text/plain; charset=utf-8"}, is_reusable=True)
    httpx_mock.add_callback(lambda request: httpx.Response(
        200, content=article_page(int(request.url.path.rsplit("/", 1)[1])), headers={"Content-Type": "text/html"}),
        url=re.compile(r"https://wire\.example/a/\d+"), is_reusable=True)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            alone = await pipeline.discovery.discover(_source(feeds=(), sitemaps=(text,)), Summary(), backfill=False)
            summary = await pipeline.poll(_source(feeds=(), sitemaps=(INDEX,)))
            pipeline.flush()
    assert [link.url for link in alone] == ["https://wire.example/a/1", "https://wire.example/a/2"]
    assert summary.written == 2 and _numbers(tmp_path / "out") == [1, 2]


async def test_a_stop_signal_ends_discovery_without_waiting_for_a_slow_server(tmp_path: Path,
                                                                             httpx_mock: HTTPXMock) -> None:
    stop = asyncio.Event()
    child = "https://wire.example/sitemap-1.xml"
    httpx_mock.add_response(url=INDEX, content=_index(child))

    async def slow(request: httpx.Request) -> httpx.Response:
        stop.set()  # SIGTERM, while this sitemap takes its time
        await asyncio.sleep(3600)
        return httpx.Response(200, content=_urlset())

    httpx_mock.add_callback(slow, url=child)
    source = _source(feeds=(), sitemaps=(INDEX,), timeout=3600.0, read_timeout=3600.0)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            # A generous bound, not a measurement: without the stop this poll would wait an hour.
            summary = await asyncio.wait_for(pipeline.poll(source, stop=stop, stop_grace=1.0), timeout=30)
    assert summary.written == 0


# --- 5. one article, spelled two ways -----------------------------------------------------------------------------
async def test_one_article_spelled_differently_by_feed_and_sitemap_is_one_record_fetched_once(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    # A Korean path raw in the feed and escaped, in either case, in the sitemap; a digit escaped; a dot segment.
    items = [("기사 하나", "https://wire.example/기사/1", format_datetime(T0)),
             ("Two", "https://wire.example/a/%32", format_datetime(T0))]
    httpx_mock.add_response(url=FEED, content=rss(items), is_reusable=True)
    httpx_mock.add_response(url=INDEX, content=_urlset(
        "https://wire.example/%ea%b8%b0%ec%82%ac/1", "https://wire.example/%EA%B8%B0%EC%82%AC/1",
        "https://wire.example/a/2", "https://wire.example/a/./2"), is_reusable=True)
    pages = {"/기사/1": article_page(1), "/a/2": article_page(2)}
    httpx_mock.add_callback(lambda request: httpx.Response(200, content=pages[unquote(request.url.path)],
                                                           headers={"Content-Type": "text/html"}),
                            url=re.compile(r"https://wire\.example/(?!feed|sitemap).+"), is_reusable=True)
    source = _source(sitemaps=(INDEX,))
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            first = await pipeline.poll(source)
            pipeline.flush()
            second = await pipeline.poll(source)
            pipeline.flush()
    fetched = [unquote(r.url.path) for r in httpx_mock.get_requests() if r.url.path not in ("/feed", "/sitemap.xml")]
    records = read_records(tmp_path / "out")
    assert sorted(fetched) == ["/a/2", "/기사/1"]  # each page once
    assert sorted(record["title"] for record in records) == ["Report 1", "Report 2"]
    assert sorted(record["canonical_url"] for record in records) == ["https://wire.example/%EA%B8%B0%EC%82%AC/1",
                                                                     "https://wire.example/a/2"]
    assert first.written == 2 and first.duplicates == 0 and second.written == 0
    assert verify_output(tmp_path / "out").ok


@pytest.mark.parametrize(("before", "after"), [((), ("input",)), (("input",), ()), (("input",), ("input", "section"))])
async def test_a_change_of_strip_query_writes_no_article_again(tmp_path: Path, httpx_mock: HTTPXMock,
                                                               before: tuple[str, ...], after: tuple[str, ...]) -> None:
    # The feed's links carry ?section=news&input=rss, the pages declare no canonical URL: a parameter named in
    # strip_query, or no longer named, changes every link's canonical URL and the record id it would get.
    items = [(f"Report {n}", f"https://wire.example/a/{n}?section=news&input=rss", format_datetime(T0)) for n in (1, 2)]
    httpx_mock.add_response(url=FEED, content=rss(items), is_reusable=True)
    httpx_mock.add_callback(lambda request: httpx.Response(200, content=article_page(int(request.url.path[3:])),
                                                           headers={"Content-Type": "text/html"}),
                            url=re.compile(r"https://wire\.example/a/\d.*"), is_reusable=True)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            first = await pipeline.poll(_source(strip_query=before))
            pipeline.flush()
            fetched = len(httpx_mock.get_requests()) - 1
            second = await pipeline.poll(_source(strip_query=after))
            pipeline.flush()
    assert first.written == 2 and fetched == 2
    assert second.written == 0 and len(httpx_mock.get_requests()) - 1 == fetched + 1  # the feed only
    assert len(read_records(tmp_path / "out")) == 2


async def test_an_outlet_that_moves_to_https_or_www_or_lists_mobile_pages_lists_no_article_written_before_as_new(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    def feed(prefix: str, numbers: range) -> bytes:
        return rss([(f"Report {n}", f"{prefix}/a/{n}", format_datetime(T0 + timedelta(hours=n))) for n in numbers])

    httpx_mock.add_callback(lambda request: httpx.Response(200, content=article_page(int(request.url.path[3:])),
                                                           headers={"Content-Type": "text/html"}),
                            url=re.compile(r"https?://(?:www\.|m\.)?wire\.example/a/\d+"), is_reusable=True)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            written = []
            for feed_url, prefix, numbers in (("http://wire.example/feed", "http://wire.example", range(1, 3)),
                                              (FEED, "https://www.wire.example", range(1, 4)),
                                              (FEED, "https://m.wire.example", range(1, 5))):  # mobile
                httpx_mock.add_response(url=feed_url, content=feed(prefix, numbers))
                summary = await pipeline.poll(_source(feeds=(feed_url,)))
                pipeline.flush()
                written.append(summary.written)
            # One poll listing one article at two addresses writes it once.
            both = rss([("Report 5", f"{prefix}/a/5", format_datetime(T0)) for prefix in ("http://wire.example",
                                                                                         "https://www.wire.example")])
            httpx_mock.add_response(url=FEED, content=both)
            written.append((await pipeline.poll(_source())).written)
            pipeline.flush()
    pages = [str(r.url) for r in httpx_mock.get_requests() if "/a/" in r.url.path and "/a/5" not in r.url.path]
    assert written == [2, 1, 1, 1]
    assert sorted(pages) == ["http://wire.example/a/1", "http://wire.example/a/2", "https://m.wire.example/a/4",
                             "https://www.wire.example/a/3"]  # each once, at the address that listed it first
    assert len(read_records(tmp_path / "out")) == 5


@pytest.mark.parametrize("pattern", [r"/a/\d+$", r"/story/\d+$", None])
async def test_a_sitemap_of_sections_and_the_front_page_gives_only_articles(tmp_path: Path, httpx_mock: HTTPXMock,
                                                                            pattern: str | None) -> None:
    # As a WordPress sitemap index does: the front page, a section page and a tag page beside the articles; a feed
    # whose item links to the front page. The outlet's article_url keeps only articles (and when it matches none of
    # them, it is out of date: every link but the front page is taken, and the rule's miss counted).
    httpx_mock.add_response(url=FEED, content=rss([("Wire", "https://wire.example/", format_datetime(T0))]),
                            is_reusable=True)
    httpx_mock.add_response(url=INDEX, content=_index("https://wire.example/page-sitemap.xml",
                                                      "https://wire.example/post-sitemap.xml"), is_reusable=True)
    httpx_mock.add_response(url="https://wire.example/page-sitemap.xml", is_reusable=True, content=_urlset(
        "https://wire.example/", "https://wire.example/section/politics/", "https://wire.example/tag/trade"))
    httpx_mock.add_response(url="https://wire.example/post-sitemap.xml", is_reusable=True,
                            content=_urlset("https://wire.example/a/1", "https://wire.example/a/2"))
    number = {"/a/1": 1, "/a/2": 2, "/section/politics/": 3, "/tag/trade": 4}
    httpx_mock.add_callback(lambda request: httpx.Response(200, content=article_page(number[request.url.path]),
                                                           headers={"Content-Type": "text/html"}),
                            url=re.compile(r"https://wire\.example/(?:a|section|tag)/.+"), is_reusable=True,
                            is_optional=True)
    source = _source(sitemaps=(INDEX,), article_url=re.compile(pattern) if pattern else None)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            summary = await pipeline.poll(source)
            pipeline.flush()
            checks = {check.rule: check for check in pipeline.state.outlets.rule_checks()}
    written = sorted(urlsplit(record["url"]).path for record in read_records(tmp_path / "out"))
    fetched = sorted(r.url.path for r in httpx_mock.get_requests() if r.url.path not in ("/feed", "/sitemap.xml"))
    articles = ["/a/1", "/a/2"] if pattern == r"/a/\d+$" else ["/a/1", "/a/2", "/section/politics/", "/tag/trade"]
    assert written == articles and summary.written == len(articles)
    assert "/" not in fetched  # the front page is never fetched as an article
    if pattern is None:
        assert "sitemap.article_url" not in checks
    else:
        check = checks["sitemap.article_url"]
        assert (check.pages, check.misses) == ((1, 0) if pattern == r"/a/\d+$" else (1, 1))


async def test_a_sitemap_pattern_that_matches_every_link_again_is_no_longer_drifting(tmp_path: Path,
                                                                                    httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=INDEX, content=_urlset("https://wire.example/a/1"), is_reusable=True)
    httpx_mock.add_callback(lambda request: httpx.Response(200, content=article_page(1),
                                                           headers={"Content-Type": "text/html"}),
                            url="https://wire.example/a/1")
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            misses = []
            for pattern in (r"/story/\d+$", r"/a/\d+$"):  # out of date, then fixed
                await pipeline.poll(_source(feeds=(), sitemaps=(INDEX,), article_url=re.compile(pattern)))
                pipeline.flush()
                (check,) = pipeline.state.outlets.rule_checks()
                misses.append(check.misses_in_row)
    assert misses == [1, 0]


# --- 7. one state store per output, and a poll under way ---------------------------------------------------------
def test_two_outputs_cannot_share_one_state_store(tmp_path: Path) -> None:
    state = State(tmp_path / "shared.sqlite")
    state.claim(tmp_path / "out-a")
    with pytest.raises(StateError, match="another scraper process"):
        State(tmp_path / "shared.sqlite").claim(tmp_path / "out-a")  # a second process, same store
    state.close()
    again = State(tmp_path / "shared.sqlite")
    again.claim(tmp_path / "out-a")  # the owner, after a restart: fine
    again.close()
    other = State(tmp_path / "shared.sqlite")
    with pytest.raises(StateError, match="give each output directory its own --state"):
        other.claim(tmp_path / "out-b")
    other.close()


def test_the_cli_refuses_a_second_output_on_one_state_store(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('[[outlet]]\nid = "x"\nname = "X"\nhomepage = "http://127.0.0.1:9/"\n'
                                           'feeds = ["http://127.0.0.1:9/feed"]\nretries = 0\n', encoding="utf-8")
    first = run_cli("--output", "a", "--state", "shared.sqlite", "backfill", cwd=tmp_path)
    second = run_cli("--output", "b", "--state", "shared.sqlite", "backfill", cwd=tmp_path)
    assert first.returncode == 3, first.stderr  # nothing listens there: nothing read, and the store is a's now
    assert second.returncode == 1 and "give each output directory its own --state" in second.stderr
    assert "Traceback" not in second.stderr


def test_stats_shows_a_poll_under_way_not_never(tmp_path: Path) -> None:
    state = State(tmp_path / "output.state.sqlite")
    state.outlets.record_poll_start("kcna-en", T0)
    state.close()
    table = run_cli("stats", "--json", cwd=tmp_path)
    (row,) = map(json.loads, table.stdout.splitlines())
    assert row["outlet"] == "kcna-en" and row["last_poll"] == "2026-11-01T08:00:00Z" and row["last_success"] is None


def test_a_corrupt_state_store_says_what_to_do_and_the_output_rebuilds_it(tmp_path: Path) -> None:
    """A state file cut short (a disk that failed, a careless copy) stops the run with a message that says how to go
    on; doing that writes the new articles only: every record already in the output is read back, none twice."""
    pages = news_pages(8)
    with LocalSite() as site:
        def serve(count: int) -> None:
            items = [(f"Report {n}", site.url(f"/a/{n}"), "Mon, 30 Nov 2026 10:00:00 GMT") for n in range(count)]
            site.routes["/feed"] = Page(rss(items), "application/rss+xml")
            site.routes.update({f"/a/{n}": Page(pages[n]) for n in range(count)})

        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                    "feeds": [site.url("/feed")]}])
        serve(5)
        assert run_cli("backfill", cwd=tmp_path).returncode == 0
        store = tmp_path / "output.state.sqlite"
        with store.open("r+b") as handle:
            handle.truncate(store.stat().st_size // 2)
        broken = run_cli("backfill", cwd=tmp_path)
        assert broken.returncode == 1 and "Traceback" not in broken.stderr
        assert "output.state.sqlite: cannot open the state database" in broken.stderr
        assert "move it aside" in broken.stderr
        store.rename(tmp_path / "broken.sqlite")
        serve(8)
        again = run_cli("backfill", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "backfill: written=3 duplicates=0" in again.stdout
    urls = [record["url"] for record in read_records(tmp_path / "output")]
    assert sorted(urls) == sorted(site.url(f"/a/{n}") for n in range(8))


async def test_a_failed_url_no_index_lists_any_more_stops_counting_as_failing(tmp_path: Path,
                                                                             httpx_mock: HTTPXMock) -> None:
    """`stats` shows the URLs failing now. A 404 still listed is tried again each day and stays; one that no
    feed has listed for PENDING_FOR is gone from the site, not failing, and is forgotten."""
    httpx_mock.add_response(url=FEED, content=_feed(1), is_reusable=True,
                            headers={"Content-Type": "application/rss+xml"})
    httpx_mock.add_response(url="https://wire.example/a/0", status_code=404, is_reusable=True)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            pipeline.state.links.note_failure("https://wire.example/a/old", "wire", "http_404",
                                              datetime.now(UTC) - timedelta(days=1))
            pipeline.state.links.note_failure("https://other.example/a/old", "other", "http_404",
                                              datetime.now(UTC) - timedelta(days=1))
            old = (datetime.now(UTC) - PENDING_FOR - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            pipeline.state._db.execute("UPDATE failures SET last_at = ?", (old,))  # as if tried 15 days ago
            await pipeline.poll(_source())
            failing = [(url, reason) for url, _, reason, _ in pipeline.state.links.failures()]
            await pipeline.poll(_source())  # the same day: not pruned again, the 404 waits for its retry
            again = [(url, reason) for url, _, reason, _ in pipeline.state.links.failures()]
    assert failing == again == [("https://other.example/a/old", "http_404"), ("https://wire.example/a/0", "http_404")]
