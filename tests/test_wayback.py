"""Reaching an outlet that does not answer through a web archive: a local fake of the Wayback Machine (its CDX index
and `id_` captures) on 127.0.0.5, and an outlet whose host refuses connections."""

from __future__ import annotations

import itertools
import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import read_records, rss, run_cli
from localsite import LocalSite, Page
from test_output_contract import article_page

from scraper.analyse import Analyser
from scraper.config import load_settings
from scraper.fetch import Fetcher
from scraper.fetch.wayback import Capture, Wayback, capture_url, cdx_url, newest_captures, parse_cdx
from scraper.pipeline import Pipeline
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.verify import verify_output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeArchive(LocalSite):
    """The archive's two interfaces: /cdx/search/cdx (JSON, the fields asked for) and /web/<ts>id_/<url>."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.5")
        self.captures: dict[tuple[str, str], bytes] = {}  # (timestamp, url) -> the page as captured

    def capture(self, url: str, when: datetime, body: bytes) -> None:
        self.captures[(when.strftime("%Y%m%d%H%M%S"), url)] = body

    def answer(self, path: str, query: str = "") -> Page | None:
        if path == "/cdx/search/cdx":
            params = {key: values[-1] for key, values in parse_qs(query).items()}
            target, prefix = params["url"], params.get("matchType") == "prefix"
            rows = sorted((ts, url) for ts, url in self.captures
                          if (url.split("://", 1)[1].startswith(target) if prefix else url == target)
                          and params.get("from", "0") <= ts[:len(params.get("from", "0"))]
                          and (not params.get("to") or ts[:len(params["to"])] <= params["to"]))
            if params.get("limit") == "-1":
                rows = rows[-1:]
            table = [["timestamp", "original", "statuscode"], *([ts, url, "200"] for ts, url in rows)]
            return Page(json.dumps(table).encode(), "application/json")
        if path.startswith("/web/"):
            stamp, _, url = path[5:].partition("id_/")
            body = self.captures.get((stamp, url))
            if body is not None:
                kind = "text/plain" if url.endswith("robots.txt") else "text/html; charset=utf-8"
                return Page(body, kind)
        return None


def write_blocked_outlet(path: Path, archive: FakeArchive, port: int, *, archive_delay: str) -> None:
    """sources.toml of one outlet, "blocked", at 127.0.0.1:`port` (its feed at /feed, its articles /a/N), read
    through `archive` when it does not answer, or for a backfill --from-archive."""
    base = f"http://127.0.0.1:{port}"
    path.write_text(f"""
[defaults]
delay = "10ms"
retries = 0
allow_private = ["127.0.0.0/8"]
revisit_every = "off"
[archive]
url = "{archive.url('')}"
delay = "{archive_delay}"
allow_private = ["127.0.0.0/8"]
[[outlet]]
id = "blocked"
name = "Blocked"
homepage = "{base}/"
feeds = ["{base}/feed"]
fallback = "wayback"
archive_prefixes = ["127.0.0.1:{port}/"]
article_url = '^http://127\\.0\\.0\\.1:{port}/a/\\d+$'
""", encoding="utf-8")


def archived_feed(archive: FakeArchive, base: str, articles: int) -> None:
    """The outlet at `base` as `archive` captured it in the last hours: its feed at /feed of `articles` articles."""
    now = datetime.now(UTC)
    archive.capture(f"{base}/feed", now - timedelta(hours=3), rss(
        [(f"Report {n}", f"{base}/a/{n}", "01 Dec 2026 08:00:00 GMT") for n in range(articles)]))
    for n in range(articles):
        archive.capture(f"{base}/a/{n}", now - timedelta(hours=2), article_page(n))


def _listing(base: str, numbers: list[int]) -> bytes:
    items = "".join(f"<li><a href='{base}/a/{n}'>Report {n}</a></li>" for n in numbers)
    return f"<html><body><ul class='news'>{items}</ul></body></html>".encode()


def test_cdx_answers_are_read_and_the_newest_capture_of_an_article_is_kept() -> None:
    text = json.dumps([["timestamp", "original", "statuscode"], ["20261101000000", "http://x.kp/a/1", "200"],
                       ["20261103000000", "http://www.x.kp/a/1", "200"], ["20261102000000", "http://x.kp/a/2", "200"],
                       ["2026110", "http://x.kp/a/3", "200"], ["20261104000000", "javascript:x", "200"],
                       ["20261104000000", "http://[x.kp/a/5", "200"], ["20261104000000", "http://x.kp:99999/", "200"],
                       ["20261105000000", "http://x.kp/a/4", "404"]])
    captures = parse_cdx(text)
    assert [c.url for c in captures] == ["http://x.kp/a/1", "http://www.x.kp/a/1", "http://x.kp/a/2", "http://x.kp/a/4"]
    newest = newest_captures(captures)
    assert [(c.url, c.timestamp) for c in newest] == [("http://x.kp/a/2", "20261102000000"),
                                                      ("http://www.x.kp/a/1", "20261103000000")]
    assert parse_cdx("") == [] and parse_cdx("[]") == []
    capture = Capture("http://x.kp/a/1", "20261103000000")
    assert capture_url("https://web.archive.org/", capture) == "https://web.archive.org/web/20261103000000id_/http://x.kp/a/1"
    assert capture.captured_at == datetime(2026, 11, 3, tzinfo=UTC)
    query = cdx_url("https://web.archive.org", "www.kcna.kp/en/article/", prefix=True,
                    since=datetime(2026, 9, 1, tzinfo=UTC), until=datetime(2026, 10, 1, tzinfo=UTC))
    assert "matchType=prefix" in query and "collapse" not in query and "from=20260901000000" in query
    assert "filter=statuscode%3A200" in query and "output=json" in query


async def test_an_outlet_that_refuses_us_is_read_through_the_archive_once_then_live_again(tmp_path: Path) -> None:
    port = _free_port()  # the outlet: nothing listens (a blocked network, as for KCNA)
    base = f"http://127.0.0.1:{port}"
    now = datetime.now(UTC)
    archive = FakeArchive()
    archive.capture(f"{base}/list", now - timedelta(hours=3), _listing(base, [1, 2]))
    archive.capture(f"{base}/a/1", now - timedelta(days=2), article_page(101))  # an older version of it
    archive.capture(f"{base}/a/1", now - timedelta(hours=2), article_page(1))
    archive.capture(f"{base}/a/2", now - timedelta(hours=2), article_page(2))
    archive.capture(f"{base}/robots.txt", now - timedelta(days=9), b"User-agent: *\nDisallow: /private/\n")
    (tmp_path / "sources.toml").write_text(f"""
[defaults]
delay = "10ms"
retries = 0
allow_private = ["127.0.0.0/8"]
[archive]
url = "{archive.url('')}"
delay = "300ms"
allow_private = ["127.0.0.0/8"]
[[outlet]]
id = "blocked"
name = "Blocked"
homepage = "{base}/"
fallback = "wayback"
article_url = '^http://127\\.0\\.0\\.1:{port}/a/\\d+$'
[[outlet.listings]]
url = "{base}/list"
""", encoding="utf-8")
    settings = load_settings(tmp_path / "sources.toml")
    source = settings.sources[0]
    state = State(tmp_path / "state.sqlite")
    sink = JsonlSink(tmp_path / "out")
    later = [0.0]  # the fetcher's clock runs ahead by this: time passing without waiting for it
    with archive:
        async with Fetcher(clock=lambda: time.monotonic() + later[0]) as fetcher:
            wayback = Wayback(lambda url, src, kind, robots: fetcher.get(url, src, kind, check_robots=robots),
                              settings.archive_url, delay=settings.archive_delay,
                              allow_private=settings.archive_allow_private)
            pipeline = Pipeline(fetcher, state, sink, Analyser(), wayback=wayback)
            first = await pipeline.poll(source)
            pipeline.flush()
            second = await pipeline.poll(source)
            pipeline.flush()
            archive_requests = list(zip(archive.started, archive.paths, strict=True))
            # The outlet answers again: live polling resumes, a new article is fetched from the outlet itself.
            live = LocalSite({"/list": Page(_listing(base, [1, 2, 3])), "/a/3": Page(article_page(3))}, port=port)
            later[0] += 300  # past the short wait an unreachable host gets before it is asked again
            with live:
                third = await pipeline.poll(replace(source))
                pipeline.flush()
            pipeline.close()
    sink.close()
    state.close()
    assert first.result()[0] == "unreachable" and first.written == 2
    assert second.written == 0 and second.skips.total() >= 1  # nothing new; the outlet still refused
    assert third.result()[0] == "ok" and third.written == 1 and live.hits["/a/3"] == 1 and live.hits["/list"] == 1
    records = {r["url"]: r for r in read_records(tmp_path / "out")}
    assert set(records) == {f"{base}/a/{n}" for n in (1, 2, 3)}
    one = records[f"{base}/a/1"]
    assert one["archive"]["service"] == "wayback" and one["archive"]["url"].startswith(archive.url("/web/"))
    assert one["archive"]["url"].endswith(f"id_/{base}/a/1")
    assert "Report 1" in one["title"]  # the newest capture, not the older version (item 101)
    captured_at = datetime.strptime(one["archive"]["timestamp"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    assert one["fetched_at"] == captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert records[f"{base}/a/3"]["archive"] is None  # read live
    starts = [started for started, _ in archive_requests]
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.29  # one request per its delay
    assert verify_output(tmp_path / "out").ok


def test_a_backfill_from_the_archive_takes_each_article_once_in_range_and_resumes(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    archive = FakeArchive()
    day = datetime(2026, 9, 1, 12, tzinfo=UTC)
    for n in range(12):
        archive.capture(f"{base}/a/{n}", day + timedelta(days=n), article_page(200 + n))  # an early version...
        archive.capture(f"{base}/a/{n}", day + timedelta(days=n, hours=6), article_page(n))  # ...and the newest
    archive.capture(f"{base}/about", day, b"<html><body><p>About us</p></body></html>")  # no article
    archive.routes["/slow"] = Page(b"")
    write_blocked_outlet(tmp_path / "sources.toml", archive, port, archive_delay="150ms")
    command = [sys.executable, "-m", "scraper", "backfill", "--workers", "1", "--from-archive", "--since", "2026-09-03",
               "--until", "2026-09-10"]
    with archive:
        killed = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):  # bounded: until it has read a few captures, then SIGKILL it
            if sum(1 for path in archive.paths if path.startswith("/web/")) >= 4:
                break
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        done = run_cli("backfill", "--from-archive", "--since", "2026-09-03", "--until", "2026-09-10", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = read_records(tmp_path / "output")
    numbers = sorted(int(r["url"].rsplit("/", 1)[1]) for r in records)
    assert numbers == list(range(2, 10))  # captured 3 to 10 September, each once
    assert all(f"Report {int(r['url'].rsplit('/', 1)[1])}" in r["title"] for r in records)  # the newest capture
    assert all(r["archive"]["service"] == "wayback" for r in records)
    assert verify_output(tmp_path / "output").ok
    # Each capture read once per run: the killed run's (not yet written out) again by the second, no more.
    assert max(archive.paths.count(path) for path in archive.paths if path.startswith("/web/")) <= 2
    assert all("id_/" in path and path.endswith(tuple(f"/a/{n}" for n in range(2, 10)))
               for path in archive.paths if path.startswith("/web/"))  # nothing outside the range was read


@pytest.mark.parametrize("value", ["web", "yes", 1])
def test_fallback_takes_wayback_or_none(tmp_path: Path, value: object) -> None:
    (tmp_path / "sources.toml").write_text(
        f'[[outlet]]\nid = "x"\nname = "X"\nhomepage = "https://x.example/"\nfeeds = ["https://x.example/f"]\n'
        f"fallback = {json.dumps(value)}\n", encoding="utf-8")
    checked = run_cli("sources", "check", cwd=tmp_path)
    assert checked.returncode == 2 and 'key "fallback"' in checked.stderr


def test_a_backfill_of_an_outlet_read_through_the_archive_is_no_failure(tmp_path: Path) -> None:
    """The outlet does not answer, the archive gives its feed and articles: the backfill wrote them, so it exits 0
    and does not say that nothing could be read (it did, with exit code 3)."""
    port = _free_port()  # (nothing listens there)
    base = f"http://127.0.0.1:{port}"
    archive = FakeArchive()
    archived_feed(archive, base, 2)
    write_blocked_outlet(tmp_path / "sources.toml", archive, port, archive_delay="10ms")
    with archive:
        done = run_cli("backfill", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("backfill: written=2 ")
    assert "nothing could be read" not in done.stderr
    assert len(read_records(tmp_path / "output")) == 2
