"""`scraper run` as a subprocess: polls on its interval, picks up new items, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

from conftest import fixture_page, read_records, rss, running_daemon, write_sources
from localsite import LocalSite, Page

BRIEF = b"""<html><head><title>Kim Yo Jong issues statement</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Kim Yo Jong issues statement</h1><p>SEOUL, Nov. 3 (Yonhap) -- Kim Yo Jong, the powerful sister of
North Korean leader Kim Jong-un, issued a statement on Monday denouncing the allies' joint air drills.</p>
<p>The statement was carried by the Korean Central News Agency.</p></article></body></html>"""


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _wire_outlet(site: LocalSite, workdir: Path, items: list[tuple[str, str, str]]) -> None:
    """An outlet polled every second whose one feed lists `items` (title, URL, date)."""
    site.routes["/feed"] = Page(rss(items), "application/rss+xml")
    write_sources(workdir / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                              "interval": "1s", "feeds": [site.url("/feed")]}])
    with (workdir / "sources.toml").open("a") as config:  # records visible a second after they are fetched
        config.write('[output]\nsegment_seconds = "1s"\n')


def test_daemon_polls_on_schedule_and_drains_on_sigterm(tmp_path: Path) -> None:
    with LocalSite() as site:
        base = site.url("")
        site.routes.update({
            "/a/1": Page(fixture_page("wire-1.html", base)),
            "/a/2": Page(fixture_page("wire-2.html", base)),
            "/b/1": Page(fixture_page("daily-1.html", base)),
            "/a/3": Page(BRIEF),
            "/a/slow": Page(BRIEF.replace(b"Kim Yo Jong", b"Pak Jong Chon"), delay=30),
        })
        items = [("one", site.url("/a/1"), "Fri, 31 Oct 2025 00:12:00 GMT"),
                 ("two", site.url("/a/2"), "Sun, 02 Nov 2025 00:30:00 GMT")]
        _wire_outlet(site, tmp_path, items)
        output = tmp_path / "output"
        with running_daemon(tmp_path) as (daemon, result):
            assert _wait(lambda: len(read_records(output)) == 2, 60), "first poll wrote nothing"
            # A new item in the feed is picked up by a later poll, without a restart.
            items.append(("copy", site.url("/b/1"), "Fri, 31 Oct 2025 01:40:00 GMT"))
            site.routes["/feed"] = Page(rss(items), "application/rss+xml")
            assert _wait(lambda: len(read_records(output)) == 3, 30), "second poll wrote nothing"
            assert site.hits["/feed"] >= 2

            # One fast and one very slow new article; stop while the slow one is in flight.
            items += [("brief", site.url("/a/3"), "Mon, 03 Nov 2025 01:00:00 GMT"),
                      ("slow", site.url("/a/slow"), "Mon, 03 Nov 2025 02:00:00 GMT")]
            site.routes["/feed"] = Page(rss(items), "application/rss+xml")
            assert _wait(lambda: site.hits["/a/slow"] > 0, 30), "the slow article was never asked for"
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=15)
            took = time.monotonic() - started
    assert daemon.returncode == 0, result["stderr"]
    assert took < 10, f"SIGTERM took {took:.1f}s"
    records = read_records(output)
    urls = sorted(r["url"] for r in records)
    # The brief fetched just before the stop is written out; the slow one is not, and nothing twice.
    assert urls == sorted(site.url(p) for p in ("/a/1", "/a/2", "/b/1", "/a/3"))
    copy = next(r for r in records if r["url"] == site.url("/b/1"))
    assert copy["duplicate_of"] == next(r["id"] for r in records if r["url"] == site.url("/a/1"))
    assert not list(output.rglob(".*.tmp"))


def test_a_page_that_crashes_its_worker_costs_the_daemon_that_page_only(tmp_path: Path) -> None:
    # Extraction runs in a worker process: a page that kills it (a crash in a C library) is skipped, the worker
    # is replaced, and the daemon goes on polling.
    with LocalSite() as site:
        base = site.url("")
        site.routes.update({"/a/1": Page(fixture_page("wire-1.html", base)),
                            "/a/crash": Page(BRIEF), "/a/3": Page(fixture_page("daily-1.html", base))})
        items = [("one", site.url("/a/1"), "Fri, 31 Oct 2025 00:12:00 GMT"),
                 ("crash", site.url("/a/crash"), "Sat, 01 Nov 2025 00:30:00 GMT")]
        _wire_outlet(site, tmp_path, items)
        output = tmp_path / "output"
        with running_daemon(tmp_path, SCRAPER_FAULT="worker_dies_on:/a/crash") as (daemon, result):
            assert _wait(lambda: len(read_records(output)) == 1, 60), "first poll wrote nothing"
            items.append(("three", site.url("/a/3"), "Sun, 02 Nov 2025 00:30:00 GMT"))
            site.routes["/feed"] = Page(rss(items), "application/rss+xml")
            assert _wait(lambda: len(read_records(output)) == 2, 60), "the daemon stopped after the crash"
            assert daemon.poll() is None
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=15)
    assert daemon.returncode == 0, result["stderr"]
    assert sorted(r["url"] for r in read_records(output)) == [site.url("/a/1"), site.url("/a/3")]
    assert "worker_died" in result["stderr"] and "pool_restart" in result["stderr"]


def test_a_poll_longer_than_its_interval_is_said_once_in_our_words(tmp_path: Path) -> None:
    """A poll that outlasts its interval (slow pages, many of them) makes APScheduler skip the runs that come due
    meanwhile. It used to log its own warning at every interval ('Execution of job "Wire (trigger: interval[...
    ]...)" skipped: maximum number of running instances reached (1)'); the daemon says it once, and when it ended."""
    with LocalSite() as site:
        site.routes["/a/slow"] = Page(BRIEF, delay=4)
        _wire_outlet(site, tmp_path, [("slow", site.url("/a/slow"), "Mon, 03 Nov 2025 02:00:00 GMT")])
        output = tmp_path / "output"
        with running_daemon(tmp_path) as (daemon, result):
            assert _wait(lambda: len(read_records(output)) == 1, 60), "the slow article was never written"
            time.sleep(1.5)  # the poll's end is logged
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=15)
    log = result["stderr"]
    assert "maximum number of running instances" not in log
    overran = [line for line in log.splitlines() if '"poll_overran"' in line]
    assert len(overran) == 2, log  # one warning while it ran past 1 s, one line when it ended
    assert "is still running after its interval (1s)" in overran[0] and "ended after" in overran[1]
