"""A poll says what happened: `ok`, `unreachable`, `refused` or `error`; only `ok` is a success, /healthz names the
outlets without one for too long, `stats` lists every outlet, and a backfill that read nothing exits 3."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import read_records, rss, run_cli, write_sources
from localsite import LocalSite, Page
from test_output_contract import FlakyDisk, article_page

from scraper.analyse import Analyser
from scraper.daemon import Daemon
from scraper.fetch import Fetcher
from scraper.metrics import Metrics
from scraper.pipeline import Pipeline
from scraper.records import Settings, Source
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary


@pytest.mark.parametrize(("read", "failures", "expected"), [
    (1, {"fetch_error": 2}, "ok"),  # one feed answered: the outlet is reachable
    (0, {}, "ok"),  # nothing to read (a stopped poll)
    (0, {"fetch_error": 1, "robots_unavailable": 2, "timeout": 1}, "unreachable"),
    (0, {"host_paused": 3}, "unreachable"),
    (0, {"robots": 1, "http_403": 2}, "refused"),
    (0, {"http_404": 1}, "refused"),
    (0, {"http_429": 1}, "error"),  # too many requests is no refusal: it passes
    (0, {"http_503": 1, "fetch_error": 1}, "error"),
    (0, {"bad_feed": 2}, "error"),
])
def test_a_poll_result_says_whether_the_outlet_could_be_read(read: int, failures: dict[str, int],
                                                             expected: str) -> None:
    summary = Summary(indexes_read=read, index_failures=Counter(failures))
    result, why = summary.result()
    assert result == expected
    assert (why == "") == (expected == "ok")
    if failures and expected != "ok":
        assert why.split(", ")[0].split("=")[0] == Counter(failures).most_common(1)[0][0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _metric(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@contextlib.asynccontextmanager
async def _daemon_running(daemon: Daemon, *closed: Pipeline | JsonlSink | State) -> AsyncIterator[None]:
    """The daemon running for the block; then stopped, and `closed` closed in order."""
    running = asyncio.ensure_future(daemon.run())
    try:
        yield
    finally:
        daemon.stop()
        await running
        for thing in closed:
            thing.close()


@contextlib.asynccontextmanager
async def _daemon_on_site(site: LocalSite, sink: JsonlSink, state: State, **changes: Any) -> AsyncIterator[Daemon]:
    """A daemon running for the block over one outlet "wire" reading the feed at /feed of `site` (polled every
    0.3 s, no retries; `changes` to its Source); then stopped, and its pipeline, `sink` and `state` closed."""
    fields: dict[str, Any] = {"id": "wire", "name": "Wire", "languages": ("en",), "homepage": site.url("/"),
                              "timezone": "UTC", "feeds": (site.url("/feed"),), "interval": 0.3, "delay": 0.0,
                              "retries": 0, "allow_private": True, **changes}
    async with Fetcher(robots=False) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser())
        daemon = Daemon(Settings(path="sources.toml", sources=(Source(**fields),)), pipeline,
                        output_root=sink.root)
        async with _daemon_running(daemon, pipeline, sink, state):
            yield daemon


async def _health_until(daemon: Daemon, done: Callable[[list[str]], bool]) -> list[str]:
    """The daemon's health problems once `done` says so of them, or after 20 s (bounded)."""
    for _ in range(200):
        problems = daemon.health()
        if done(problems):
            break
        await asyncio.sleep(0.1)
    return daemon.health()


def _unreachable_outlet(tmp_path: Path) -> tuple[int, Settings, State, JsonlSink]:
    """One outlet, polled every 0.3 s, on a port nothing listens on (yet): connections are refused, as with no
    route; its settings, and a state store and output for a daemon."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    wire = Source(id="wire", name="Wire", languages=("en",), homepage=f"{base}/", timezone="UTC",
                  feeds=(f"{base}/feed",), interval=0.3, delay=0.0, retries=0, allow_private=True)
    return port, Settings(path="sources.toml", sources=(wire,)), State(tmp_path / "state.sqlite"), \
        JsonlSink(tmp_path / "out")


async def test_an_offline_daemon_is_unhealthy_and_recovers_when_the_network_returns(tmp_path: Path) -> None:
    port, settings, state, sink = _unreachable_outlet(tmp_path)
    base = f"http://127.0.0.1:{port}"
    metrics = Metrics()
    routes = {"/feed": Page(rss([("One", f"{base}/a/1", "Mon, 02 Nov 2026 10:00:00 GMT")]), "application/rss+xml"),
              "/a/1": Page(article_page(1))}
    async with Fetcher(robots=False, observer=metrics) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser(), observer=metrics)
        daemon = Daemon(settings, pipeline, metrics=metrics, output_root=tmp_path / "out", health_grace=3)
        async with _daemon_running(daemon, pipeline, sink):
            offline = await _health_until(daemon, lambda problems: any(
                problem.startswith("wire: no successful poll") for problem in problems))
            unreachable = _metric(metrics, "scraper_polls_total", outlet="wire", result="unreachable")
            ok_before = _metric(metrics, "scraper_polls_total", outlet="wire", result="ok")
            stats = {row["outlet"]: row for row in state.outlets.outlet_stats(daemon._started)}
            with LocalSite(routes, port=port):  # the network returns (a server binds the port only now)
                online = await _health_until(daemon, lambda problems: not problems)
    assert any("wire: no successful poll since the daemon started" in p and "unreachable" in p for p in offline)
    assert unreachable >= 2 and ok_before == 0
    assert _metric(metrics, "scraper_last_successful_poll_timestamp_seconds", outlet="wire") > 0  # moved on ok only
    assert stats["wire"]["last_result"] == "unreachable" and stats["wire"]["last_success"] is None
    assert "fetch_error" in str(stats["wire"]["last_error"])
    assert online == []
    state.close()


def test_stats_lists_every_configured_outlet_with_its_last_result(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources.toml", [
        {"id": "polled", "name": "P", "homepage": "https://p.example/", "feeds": ["https://p.example/feed"]},
        {"id": "never", "name": "N", "homepage": "https://n.example/", "feeds": ["https://n.example/feed"]},
        {"id": "frozen", "name": "F", "homepage": "https://f.example/", "feeds": ["https://f.example/feed"],
         "quiet_after": "2d"},
        {"id": "weekly", "name": "W", "homepage": "https://w.example/", "feeds": ["https://w.example/feed"],
         "quiet_after": "8d"}])
    state = State(tmp_path / "output.state.sqlite")
    state.outlets.record_poll("polled", datetime(2026, 11, 1, tzinfo=UTC), "refused", "robots=1", [])
    now = datetime.now(UTC)
    for outlet in ("frozen", "weekly"):  # something new five days ago, nothing since, though every poll succeeds
        state.outlets.record_poll(outlet, now - timedelta(days=5), "ok", "", [], found_new=True)
        state.outlets.record_poll(outlet, now - timedelta(hours=1), "ok", "", [])
    state.close()
    table = run_cli("stats", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:8] == ["outlet", "last", "poll", "last", "success", "last", "new", "result"]
    assert any(line.startswith("frozen: no new article since ") for line in lines)
    assert not any(line.startswith("weekly: no new article") for line in lines)
    assert next(line for line in lines if line.startswith("never")).split()[1:3] == ["never", "never"]
    assert "refused" in next(line for line in lines if line.startswith("polled"))
    assert "polled: last poll refused: robots=1" in lines
    rows = {row["outlet"]: row for row in map(json.loads, run_cli("stats", "--json", cwd=tmp_path).stdout.splitlines())}
    assert set(rows) == {"polled", "never", "frozen", "weekly"} and rows["polled"]["last_result"] == "refused"
    assert rows["frozen"]["last_new"].startswith(str((now - timedelta(days=5)).date()))


def test_a_backfill_that_can_read_nothing_exits_3_and_says_why(tmp_path: Path) -> None:
    port = _free_port()
    write_sources(tmp_path / "sources.toml", [
        {"id": "gone", "name": "Gone", "homepage": f"http://127.0.0.1:{port}/", "retries": 0,
         "feeds": [f"http://127.0.0.1:{port}/feed"]}])
    offline = run_cli("backfill", cwd=tmp_path)
    assert offline.returncode == 3, offline.stderr
    assert "scraper: gone: nothing could be read (unreachable:" in offline.stderr
    assert "no outlet could be read at all" in offline.stderr and "Traceback" not in offline.stderr
    with LocalSite() as site:  # one outlet readable, the other not: a partial run is no failure
        site.routes["/feed"] = Page(rss([]), "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [
            {"id": "gone", "name": "Gone", "homepage": f"http://127.0.0.1:{port}/", "retries": 0,
             "feeds": [f"http://127.0.0.1:{port}/feed"]},
            {"id": "here", "name": "Here", "homepage": site.url("/"), "feeds": [site.url("/feed")]}])
        partial = run_cli("backfill", cwd=tmp_path)
    assert partial.returncode == 0, partial.stderr
    assert "scraper: gone: nothing could be read" in partial.stderr
    assert "scraper: here: nothing" not in partial.stderr


async def test_healthz_names_an_outlet_that_failed_its_first_poll_before_it_turns_unhealthy(tmp_path: Path) -> None:
    _, settings, state, sink = _unreachable_outlet(tmp_path)  # every poll of the outlet fails
    async with Fetcher(robots=False) as fetcher, httpx.AsyncClient() as client:
        pipeline = Pipeline(fetcher, state, sink, Analyser())
        daemon = Daemon(settings, pipeline, output_root=tmp_path / "out", listen=("127.0.0.1", 0),
                        health_grace=1000)  # unhealthy only after 300 s without an ok poll
        async with _daemon_running(daemon, pipeline, sink, state):
            body: dict[str, object] = {}
            for _ in range(200):  # bounded: 20 s at most
                if daemon.server is not None and daemon.server.port:
                    answer = await client.get(f"http://127.0.0.1:{daemon.server.port}/healthz")
                    body = answer.json()
                    if body["warnings"]:
                        break
                await asyncio.sleep(0.1)
    assert answer.status_code == 200 and body["status"] == "ok" and body["problems"] == []
    [warning] = body["warnings"]  # type: ignore[misc]
    assert warning.startswith("wire: last poll unreachable (") and "unhealthy from 2" in warning


async def test_healthz_clears_a_write_failure_once_records_are_written_again(tmp_path: Path) -> None:
    """A full disk turns /healthz unhealthy; once space is back and a poll writes, it is healthy again, also when
    the segments close by count during the poll (no segment closes by age in this test)."""
    with LocalSite() as site:
        site.routes.update({f"/a/{n}": Page(article_page(n)) for n in range(3)})
        site.routes["/feed"] = Page(rss([(f"R{n}", site.url(f"/a/{n}"), "Mon, 02 Nov 2026 10:00:00 GMT")
                                         for n in range(3)]), "application/rss+xml")
        sink = FlakyDisk(tmp_path / "out", segment_records=2, segment_seconds=3600)
        async with _daemon_on_site(site, sink, State(tmp_path / "state.sqlite")) as daemon:
            full = await _health_until(daemon, lambda problems: any(
                problem.startswith("the last write failed") for problem in problems))
            sink.full = False  # space is back
            after = await _health_until(daemon, lambda problems: not problems)
    assert full[0] == "the last write failed: " + str(tmp_path / "out") + ": cannot write a record: ENOSPC"
    # (on a loaded machine the outlet's polls, failing on the same write, may be overdue by then too)
    assert all("cannot write a record: ENOSPC" in problem for problem in full[1:]), full
    assert after == []
    assert sorted(record["url"] for record in read_records(tmp_path / "out")) == [site.url(f"/a/{n}") for n in range(3)]


async def test_healthz_names_an_outlet_whose_feed_answers_and_lists_nothing_new(tmp_path: Path) -> None:
    """A feed frozen on an old copy (a CDN serving it stale, a CMS that stopped updating it): every poll is `ok`
    and nothing is collected. After `quiet_after` without a new article /healthz says so, the metric and `stats`
    show when the last one came; a new article clears it."""
    with LocalSite() as site:
        site.routes.update({f"/a/{n}": Page(article_page(n)) for n in range(4)})
        items = [(f"R{n}", site.url(f"/a/{n}"), "Mon, 02 Nov 2026 10:00:00 GMT") for n in range(3)]
        site.routes["/feed"] = Page(rss(items), "application/rss+xml")
        sink = JsonlSink(tmp_path / "out", segment_records=1)
        async with _daemon_on_site(site, sink, State(tmp_path / "state.sqlite"), interval=0.2,
                                   quiet_after=1.0) as daemon:
            frozen = await _health_until(daemon, lambda problems: any(
                problem.startswith("wire: no new article") for problem in problems))
            metrics = daemon.metrics.render().decode()
            site.routes["/feed"] = Page(rss([("R3", site.url("/a/3"), "Mon, 02 Nov 2026 11:00:00 GMT"), *items]),
                                        "application/rss+xml")
            lively = await _health_until(daemon, lambda problems: not problems)
    [problem] = frozen
    assert problem.startswith("wire: no new article since 20") and "while its polls succeed" in problem
    assert 'scraper_last_new_article_timestamp_seconds{outlet="wire"}' in metrics
    assert lively == []
    assert len(read_records(tmp_path / "out")) == 4


def test_a_web_page_served_for_the_feed_and_the_sitemap_is_no_successful_read(tmp_path: Path) -> None:
    """A captive portal, or a redesign that dropped the feed and answers its address with a page, status 200:
    nothing can be collected, and the run says so instead of reporting the outlet read."""
    with LocalSite() as site:
        site.routes["/feed"] = Page(article_page(1))
        site.routes["/sitemap.xml"] = Page(b"<html><body><h1>Welcome</h1><p>Please sign in.</p></body></html>")
        write_sources(tmp_path / "sources.toml", [
            {"id": "portal", "name": "Portal", "homepage": site.url("/"), "feeds": [site.url("/feed")],
             "sitemaps": [site.url("/sitemap.xml")]}])
        backfill = run_cli("backfill", cwd=tmp_path)
        site.routes["/feed"] = Page(rss([("One", site.url("/a/1"), "Mon, 02 Nov 2026 10:00:00 GMT")]),
                                    "application/rss+xml")
        site.routes["/a/1"] = Page(article_page(1))
        repaired = run_cli("backfill", cwd=tmp_path)  # the feed is back; the sitemap still is a page
    _unread_then_read(backfill, repaired, "scraper: portal: nothing could be read (error: bad_feed=1, bad_sitemap=1)")


def _unread_then_read(broken: subprocess.CompletedProcess[str], repaired: subprocess.CompletedProcess[str],
                      message: str) -> None:
    """A backfill that could read nothing (exit 3, saying why), then one that read the article now there."""
    assert broken.returncode == 3, broken.stderr
    assert message in broken.stderr
    assert repaired.returncode == 0, repaired.stderr
    assert "nothing could be read" not in repaired.stderr
    assert "backfill: written=1 " in repaired.stdout


def test_a_sitemap_index_whose_every_sitemap_fails_is_no_successful_read(tmp_path: Path) -> None:
    """The index parses but lists only sitemaps that are gone: no article can be found, and the run says so.
    One sitemap of the index read is enough for the outlet to have been read."""
    with LocalSite() as site:
        index = "".join(f"<sitemap><loc>{site.url(f'/sitemap-{n}.xml')}</loc></sitemap>" for n in (1, 2))
        site.routes["/index.xml"] = Page(
            f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}'
            "</sitemapindex>".encode(), "application/xml")
        write_sources(tmp_path / "sources.toml", [
            {"id": "gone", "name": "Gone", "homepage": site.url("/"), "sitemaps": [site.url("/index.xml")]}])
        broken = run_cli("backfill", cwd=tmp_path)
        site.routes["/sitemap-2.xml"] = Page(
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
            f'{site.url("/a/1")}</loc></url></urlset>'.encode(), "application/xml")
        site.routes["/a/1"] = Page(article_page(1))
        half = run_cli("backfill", cwd=tmp_path)
    _unread_then_read(broken, half, "scraper: gone: nothing could be read (refused: http_404=2)")


def _walled_site(articles: int) -> LocalSite:
    """A feed that answers, and articles behind a bot wall (403 with a challenge page, as Cloudflare sends)."""
    site = LocalSite()
    challenge = (b"<html><head><title>Just a moment...</title></head><body>Enable JavaScript and cookies to "
                 b"continue</body></html>")
    for number in range(articles):
        site.routes[f"/a/{number}"] = Page(challenge, status=403, headers={"cf-mitigated": "challenge"})
    site.routes["/feed"] = Page(rss([(f"Report {n}", site.url(f"/a/{n}"), "Mon, 02 Nov 2026 10:00:00 GMT")
                                     for n in range(articles)]), "application/rss+xml")
    return site


async def test_an_outlet_whose_articles_all_fail_is_an_error_until_one_is_collected(tmp_path: Path) -> None:
    """The feed answers, every article it lists is refused: nothing is collected, and polls say so from the tenth
    article in a row (a few deleted articles in a feed stay under that); across a restart too, on the quiet polls
    that follow; the first article collected ends it."""
    with _walled_site(12) as site:
        source = Source(id="walled", name="Walled", languages=("en",), homepage=site.url("/"), timezone="UTC",
                        feeds=(site.url("/feed"),), delay=0.0, retries=0, allow_private=True)
        results = []
        for _ in range(2):  # a poll, then (another process) a quiet poll: the failed articles wait for a day
            async with Fetcher(robots=False) as fetcher:
                state, sink = State(tmp_path / "s.sqlite"), JsonlSink(tmp_path / "out")
                pipeline = Pipeline(fetcher, state, sink, Analyser())
                results.append((await pipeline.poll(source)).result())
                pipeline.close()
                sink.close()
                state.close()
        site.routes["/a/12"] = Page(article_page(12))
        site.routes["/feed"] = Page(rss([("Report 12", site.url("/a/12"), "Mon, 02 Nov 2026 11:00:00 GMT")]),
                                    "application/rss+xml")
        async with Fetcher(robots=False) as fetcher:
            state, sink = State(tmp_path / "s.sqlite"), JsonlSink(tmp_path / "out")
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            after = await pipeline.poll(source)
            pipeline.close()
            sink.close()
            state.close()
    expected = ("error", "its last 12 articles could not be read (http_403=12)")
    assert results == [expected, expected]
    assert after.result() == ("ok", "") and after.written == 1


def test_a_backfill_that_can_read_no_article_says_so_and_exits_3(tmp_path: Path) -> None:
    with _walled_site(3) as walled, LocalSite() as fine:
        fine.routes["/a/1"] = Page(article_page(1))
        fine.routes["/feed"] = Page(rss([("One", fine.url("/a/1"), "Mon, 02 Nov 2026 10:00:00 GMT")]),
                                    "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [
            {"id": "walled", "name": "Walled", "homepage": walled.url("/"), "feeds": [walled.url("/feed")]}])
        alone = run_cli("backfill", cwd=tmp_path)
        write_sources(tmp_path / "sources.toml", [
            {"id": "walled", "name": "Walled", "homepage": walled.url("/"), "feeds": [walled.url("/feed")]},
            {"id": "fine", "name": "Fine", "homepage": fine.url("/"), "feeds": [fine.url("/feed")]}])
        (tmp_path / "output.state.sqlite").unlink()
        for leftover in tmp_path.glob("output.state.sqlite*"):
            leftover.unlink()
        shutil.rmtree(tmp_path / "output")
        both = run_cli("backfill", cwd=tmp_path)
    message = "scraper: walled: nothing could be read (error: none of the 3 articles tried could be read (http_403=3))"
    assert alone.returncode == 3 and message in alone.stderr, alone.stderr
    assert both.returncode == 0 and message in both.stderr, both.stderr
    assert "backfill: written=1 " in both.stdout
