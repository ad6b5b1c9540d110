"""Many workers on one PostgreSQL behave as one process: the same records and story decisions from a WARC batch
split over three workers as from one backfill; polls on schedule, one at a time per outlet; a worker or the
committer killed with SIGKILL loses and duplicates nothing."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import read_records, run_cli, write_sources
from localsite import LocalSite, Page
from test_ccnews import DELAY, OCTOBER, SEPTEMBER_LAST, FakeCommonCrawl, configure, crawl
from test_output_contract import article_page, numbered_site
from test_service import _free_port, _get
from test_warc import Archive

from scraper.fleet.health import STALE_COMMITTER, FleetLook, fleet_problems
from scraper.records import Source
from scraper.verify import verify_output

WORDS = [
    "ministry", "delegation", "talks", "trade", "border", "railway", "fertiliser", "season", "statement",
    "visit", "minister", "capital", "agreement", "cooperation", "fisheries", "bridge", "repair", "exchange",
    "delegates", "programme", "week", "meeting", "leader",
]


def _article(story: int, variant: int) -> bytes:
    """Story `story`'s text; variants 1.. are copies cut or with a different lead (still the same story)."""
    rng = random.Random(story)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + f" (story {story}.{i})."
                  for i in range(5)]
    if variant % 3 == 1:
        paragraphs = paragraphs[:4]
    elif variant % 3 == 2:
        paragraphs = [f"Reported by outlet {variant}.", *paragraphs]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>Story {story}</title></head><body><article><h1>Story {story}</h1>{body}"
            "</article></body></html>").encode()


def _batch(folder: Path, files: int = 4, per_file: int = 12) -> list[Path]:
    """WARC files whose pages are copies of stories spread over every file (a story's copies cross files)."""
    folder.mkdir()
    paths = []
    for number in range(files):
        archive = Archive(folder / f"part-{number}.warc.gz", gzipped=True)
        for item in range(per_file):
            story = (number * per_file + item) % 10
            archive.response(f"r{item}", f"https://site{(number + item) % 3}.example/{number}/{item}",
                             _article(story, number * per_file + item))
        paths.append(archive.close().path)
    return paths


def _decisions(output: Path) -> list[tuple[Any, ...]]:
    by_url = {r["url"]: r for r in read_records(output)}
    ids = {r["id"]: url for url, r in by_url.items()}
    return sorted((url, r["story"]["role"], ids.get(r["story"]["id"]), ids.get(r["duplicate_of"]))
                  for url, r in by_url.items())


def _worker(tmp_path: Path, database: str, output: Path, *extra: str, verb: str = "worker",
            env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    if verb == "run" and "--listen" not in extra:  # (`run` serves /healthz on 9108 by default: one per machine)
        extra = ("--listen", "off", *extra)
    return subprocess.Popen([sys.executable, "-m", "scraper", "--database", database, "--output", str(output),
                             "--log-format", "text", verb, *extra], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _stop(workers: list[subprocess.Popen[str]]) -> list[str]:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    logs = []
    for worker in workers:
        try:
            _, errors = worker.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            _, errors = worker.communicate()
        logs.append(errors)
    return logs


def test_a_warc_batch_over_three_workers_decides_as_one_process(pg_server: str, tmp_path: Path) -> None:
    import pgserver

    paths = _batch(tmp_path / "crawl")
    write_sources(tmp_path / "sources.toml", [{"id": "none", "name": "None", "homepage": "https://none.example/",
                                               "feeds": ["https://none.example/feed"]}])
    alone = run_cli("--output", str(tmp_path / "alone"), "--state", str(tmp_path / "alone.sqlite"), "backfill",
                    "--workers", "1", "--warc", *map(str, paths), cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    database = pgserver.fresh_database(pg_server, "fleet_warc")
    workers = [_worker(tmp_path, database, tmp_path / "fleet") for _ in range(3)]
    try:
        queued = run_cli("--database", database, "--output", str(tmp_path / "fleet"), "backfill", "--wait",
                         "--warc", *map(str, paths), cwd=tmp_path, timeout=300)
    finally:
        logs = _stop(workers)
    assert queued.returncode == 0, queued.stderr + "\n".join(logs)
    assert queued.stdout.strip().splitlines()[-1].startswith("backfill: written=48 ")
    assert _decisions(tmp_path / "fleet") == _decisions(tmp_path / "alone")
    assert len(read_records(tmp_path / "fleet")) == 48 and verify_output(tmp_path / "fleet").ok


def test_a_cc_news_month_over_two_workers_is_read_as_one_process_reads_it(pg_server: str, tmp_path: Path) -> None:
    import pgserver

    files, _ = crawl(per_file=4)
    with FakeCommonCrawl(files) as server:
        configure(tmp_path, server.base)
        alone = run_cli("--output", str(tmp_path / "alone"), "--state", str(tmp_path / "alone.sqlite"), "backfill",
                        "--workers", "1", "--cc-news", "2026-10", cwd=tmp_path)
        assert alone.returncode == 0, alone.stderr
        server.requests.clear()
        database = pgserver.fresh_database(pg_server, "fleet_ccnews")
        workers = [_worker(tmp_path, database, tmp_path / "fleet") for _ in range(2)]
        try:
            queued = run_cli("--database", database, "--output", str(tmp_path / "fleet"), "backfill", "--wait",
                             "--cc-news", "2026-10", cwd=tmp_path, timeout=300)
        finally:
            logs = _stop(workers)
    assert queued.returncode == 0, queued.stderr + "\n".join(logs)
    # One job per file of the month (and the September file running into it), each file asked for once.
    assert sorted(server.asked()) == sorted([SEPTEMBER_LAST, *OCTOBER])
    # Common Crawl's host is paced across the fleet as in one process: requests `delay` apart.
    times = sorted(moment for moment, _, _ in server.requests)
    assert all(later - earlier >= DELAY - 0.02 for earlier, later in itertools.pairwise(times)), server.requests
    # The same summary: written, duplicates, and the skips by reason.
    assert queued.stdout.strip().splitlines()[-1] == alone.stdout.strip().splitlines()[-1]
    assert not alone.stdout.strip().splitlines()[-1].startswith("backfill: written=0 ")
    assert _decisions(tmp_path / "fleet") == _decisions(tmp_path / "alone")
    assert verify_output(tmp_path / "fleet").ok


def test_a_missing_file_is_counted_and_a_worker_stopped_mid_file_gives_it_back(pg_server: str, tmp_path: Path) -> None:
    import pgserver

    database = pgserver.fresh_database(pg_server, "fleet_stopped")
    paths = _batch(tmp_path / "crawl", files=6, per_file=15)
    missing = tmp_path / "crawl" / "part-2b.warc.gz"  # listed, but gone by the time a worker gets to it
    write_sources(tmp_path / "sources.toml", [{"id": "none", "name": "None", "homepage": "https://none.example/",
                                               "feeds": ["https://none.example/feed"]}], revisit_every="off")
    output = tmp_path / "output"
    workers = [_worker(tmp_path, database, output, "--concurrency", "1") for _ in range(2)]
    try:
        waiting = subprocess.Popen([sys.executable, "-m", "scraper", "--database", database, "--output", str(output),
                                    "backfill", "--wait", "--warc", *map(str, paths[:3]), str(missing),
                                    *map(str, paths[3:])], cwd=tmp_path, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not read_records(output):
            time.sleep(0.2)
        workers[0].send_signal(signal.SIGTERM)  # stopped mid-file: its file goes back in the queue
        workers.append(_worker(tmp_path, database, output, "--concurrency", "1"))
        out, errors = waiting.communicate(timeout=300)
    finally:
        logs = _stop(workers)
    assert waiting.returncode == 0, errors + "\n".join(logs)
    line = out.strip().splitlines()[-1]
    assert line.startswith("backfill: written=90 "), line  # every page of the six files, once
    assert line.endswith("skipped=1 (unreadable=1)"), line  # the missing file
    records = read_records(output)
    assert len(records) == 90 and len({r["url"] for r in records}) == 90
    assert verify_output(output).ok


def test_a_fleet_polls_on_schedule_one_poll_per_outlet_at_a_time(pg_server: str, tmp_path: Path) -> None:
    import pgserver

    database = pgserver.fresh_database(pg_server, "fleet_polls")
    with numbered_site(8) as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")], "interval": "2s"}],
                      revisit_every="off")
        workers = [_worker(tmp_path, database, tmp_path / "output", verb="run") for _ in range(3)]
        try:
            deadline = time.monotonic() + 120  # (three workers starting on a small machine take a while)
            while time.monotonic() < deadline and len(read_records(tmp_path / "output")) < 8:
                time.sleep(0.5)
            before, started = site.hits["/feed"], time.monotonic()
            time.sleep(10)
            polls = site.hits["/feed"] - before
            feed_times = [at for at, path in zip(site.started, site.paths, strict=True) if path == "/feed"]
        finally:
            logs = _stop(workers)
    assert 3 <= polls <= 6, (polls, time.monotonic() - started, logs)  # every 2 s, by whichever worker
    assert min(b - a for a, b in itertools.pairwise(feed_times)) > 1.0  # never two polls at once
    assert site.max_in_flight == 1
    records = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in records) == sorted(site.url(f"/a/{n}") for n in range(8))
    assert verify_output(tmp_path / "output").ok


def test_killing_a_worker_or_the_committer_loses_and_duplicates_nothing(pg_server: str, tmp_path: Path) -> None:
    import pgserver

    database = pgserver.fresh_database(pg_server, "fleet_kill")
    paths = _batch(tmp_path / "crawl", files=6, per_file=15)
    write_sources(tmp_path / "sources.toml", [{"id": "none", "name": "None", "homepage": "https://none.example/",
                                               "feeds": ["https://none.example/feed"]}], revisit_every="off")
    output = tmp_path / "output"
    # The first worker dies between publishing a segment and recording it, as the committer.
    first = _worker(tmp_path, database, output, env={"SCRAPER_FAULT": "after_publish"})
    time.sleep(3)
    queued = run_cli("--database", database, "--output", str(output), "backfill", "--warc", *map(str, paths),
                     cwd=tmp_path)
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.startswith("backfill: queued=6 batch=warc:")  # queued and returned: the fleet reads them
    first.communicate(timeout=120)
    assert first.returncode != 0  # it died at its first published segment
    others = [_worker(tmp_path, database, output) for _ in range(2)]
    try:
        time.sleep(4)
        others[0].kill()  # SIGKILL, mid-job
        others.append(_worker(tmp_path, database, output))
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(read_records(output)) < 90:
            time.sleep(1)
    finally:
        logs = _stop(others)
    records = read_records(output)
    assert len(records) == 90, logs
    assert len({r["id"] for r in records}) == 90
    assert verify_output(output).ok


def test_a_fleet_worker_says_on_healthz_and_metrics_what_stops_collection(pg_server: str, tmp_path: Path) -> None:
    import pgserver

    database = pgserver.fresh_database(pg_server, "fleet_health")
    port, dead = _free_port(), _free_port()  # nothing listens on `dead`: the outlet is unreachable
    with numbered_site(3) as site:
        write_sources(tmp_path / "sources.toml", [
            {"id": "wire", "name": "Wire", "homepage": site.url("/"), "feeds": [site.url("/feed")], "interval": "2s"},
            {"id": "gone", "name": "Gone", "homepage": f"http://127.0.0.1:{dead}/",
             "feeds": [f"http://127.0.0.1:{dead}/feed"], "interval": "2s", "retries": 0}], revisit_every="off")
        worker = _worker(tmp_path, database, tmp_path / "output", "--listen", f"127.0.0.1:{port}",
                         "--health-grace", "1", verb="run")
        try:
            deadline, status, body = time.monotonic() + 120, 0, ""
            while time.monotonic() < deadline:
                time.sleep(1)
                written = len(read_records(tmp_path / "output"))
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/healthz")
                except OSError:
                    continue
                # Wait for the answering outlet's poll to be on record too: its records can be written (by the
                # committer) just before the poll that handed them ends, and on a loaded machine the first poll
                # may outlast the grace. An outlet that never comes right keeps the loop to its deadline.
                if "gone" in body and written == 3 and '"wire: ' not in body:
                    break
            _, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        finally:
            (errors,) = _stop([worker])
    assert status == 503, (status, body, errors)
    problems = json.loads(body)["problems"]
    assert [p for p in problems if p.startswith("gone: no successful poll")], problems
    assert not [p for p in problems if p.startswith("wire")], problems  # the outlet that answers is fine
    assert "scraper_fleet_committer 1.0" in metrics
    assert 'scraper_polls_total{outlet="gone",result="unreachable"}' in metrics
    assert worker.returncode == 0  # stopped by SIGTERM, as asked
    assert len(read_records(tmp_path / "output")) == 3
    # `scraper stats` on the database says it too: the outlet's last poll, and the fleet's committer and queue.
    stats = run_cli("--database", database, "stats", cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert "gone: last poll unreachable" in stats.stdout
    (fleet,) = [line for line in stats.stdout.splitlines() if line.startswith("fleet: committer")]
    assert "0 hand-offs waiting" in fleet and "jobs:" in fleet
    # The committer dies with work handed to it: nothing is written any more, and stats says why.
    import psycopg

    with psycopg.connect(database, autocommit=True) as db:
        db.execute("UPDATE fleet_committer SET beat = now() - interval '5 minutes'")
        db.execute("INSERT INTO fleet_handoff (stream, seq, position, payload) VALUES ('poll:wire:x', 0, 0, '')")
    stuck = run_cli("--database", database, "stats", cwd=tmp_path).stdout
    assert "fleet: 1 hand-offs wait and nothing is written: the committer" in stuck, stuck


def test_hand_offs_waiting_on_a_silent_committer_are_every_workers_problem() -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    source = Source(id="wire", name="Wire", languages=("en",), homepage="https://wire.example/",
                    timezone="UTC", interval=60)
    fresh = {"wire": (now - timedelta(seconds=30), "ok")}
    healthy = FleetLook(waiting=40, committer_silent=3.0, committer="a:1", polls=fresh)
    assert fleet_problems(healthy, now, started=now, outlets=[source], grace=3) == []
    stuck = FleetLook(waiting=40, committer_silent=STALE_COMMITTER + 1, committer="a:1", polls=fresh)
    (problem,) = fleet_problems(stuck, now, started=now, outlets=[source], grace=3)
    assert problem.startswith("40 hand-offs wait and nothing is written: the committer (a:1) last beat")
    never = FleetLook(waiting=1, committer_silent=None, committer="", polls={})
    assert "no committer has ever taken them" in fleet_problems(never, now, started=now, outlets=[], grace=3)[0]
    idle = FleetLook(waiting=0, committer_silent=None, committer="", polls={})
    assert fleet_problems(idle, now, started=now, outlets=[], grace=3) == []  # nothing waits: nothing is wrong
    # A worker keeping the schedule reports outlets silent for `grace` intervals, as the one-process daemon does.
    stale = FleetLook(waiting=0, committer_silent=1.0, committer="a:1",
                      polls={"wire": (now - timedelta(seconds=200), "unreachable")})
    (silent,) = fleet_problems(stale, now, started=now - timedelta(hours=1), outlets=[source], grace=3)
    assert silent.startswith("wire: no successful poll since 2026-12-06T11:56:40") and "unreachable" in silent
    # ...and outlets whose polls succeed and have found nothing new for their `quiet_after` (three days by default).
    frozen = FleetLook(waiting=0, committer_silent=1.0, committer="a:1", polls=fresh,
                       last_new={"wire": now - timedelta(days=4)})
    (quiet,) = fleet_problems(frozen, now, started=now - timedelta(hours=1), outlets=[source], grace=3)
    assert quiet.startswith("wire: no new article since 2026-12-02T12:00:00Z (3 days without one")
    lively = FleetLook(waiting=0, committer_silent=1.0, committer="a:1", polls=fresh,
                       last_new={"wire": now - timedelta(days=2)})
    assert fleet_problems(lively, now, started=now - timedelta(days=9), outlets=[source], grace=3) == []
    weekly = replace(source, quiet_after=14 * 86400.0)
    assert fleet_problems(frozen, now, started=now, outlets=[weekly], grace=3) == []
    assert fleet_problems(frozen, now, started=now, outlets=[replace(source, quiet_after=None)], grace=3) == []


@pytest.fixture(autouse=True)
def _no_stray_pages() -> None:
    """(The pages of these tests are built here; none is fetched from the network.)"""
    assert article_page(1) and Page and LocalSite


def test_a_file_read_again_waits_until_the_committer_has_recorded_what_it_took(pg_server: str, tmp_path: Path) -> None:
    """A worker that takes over a file an interrupted run left clears that run's rows and reads the file's
    committed progress. Rows the committer has already replayed must not be cleared under it, and the progress read
    must include them; else their records are handed again and the batch counts them twice (as `already`)."""
    import threading

    import pgserver
    import psycopg

    from scraper.fleet.committer import FleetCommitter
    from scraper.fleet.handoff import Handoff
    from scraper.records import Settings
    from scraper.state import State

    database = pgserver.fresh_database(pg_server, "fleet_restart")
    committer = FleetCommitter(database, Settings(path="sources.toml", sources=()), tmp_path / "output")
    cleared = threading.Event()
    with psycopg.connect(database, autocommit=True) as first, psycopg.connect(database, autocommit=True) as second:
        first.execute("INSERT INTO fleet_streams (stream, files) VALUES ('warc:batch', 1)")
        Handoff(first, "warc:batch", 0).progress("warc:part-0", "4096")  # the interrupted run got this far
        try:
            assert committer.try_lead()
            replayed = committer.step()  # taken, not yet committed
            takeover = threading.Thread(target=lambda: (Handoff(second, "warc:batch", 0).restart(), cleared.set()))
            takeover.start()
            cleared_before_commit = cleared.wait(1.0)
            idle = committer.step()  # nothing more to take: the commit
            takeover.join(timeout=30)
        finally:
            committer.close()
    assert replayed == 1 and idle == 0
    assert not cleared_before_commit and cleared.is_set()
    state = State(database)
    assert state.progress("warc:part-0") == "4096"  # what the worker reads next: the committer's progress
    state.close()


def test_a_worker_given_another_output_directory_says_why_it_cannot_be_the_committer(
        pg_database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The store records its output directory; a worker started with another path (a mount elsewhere, a relative
    path from another directory) is refused as committer. It used to be refused in silence: when the committer
    died, it never took over, and nothing said why."""
    import logging

    from scraper.fleet.committer import FleetCommitter
    from scraper.records import Settings

    settings = Settings(path="sources.toml", sources=())
    first = FleetCommitter(pg_database, settings, tmp_path / "output")
    elsewhere = FleetCommitter(pg_database, settings, tmp_path / "elsewhere")
    later = FleetCommitter(pg_database, settings, tmp_path / "output")
    try:
        assert first.try_lead()
        assert not elsewhere.try_lead() and elsewhere.cannot_lead is None  # the committer's turn: nothing wrong
        first.close()
        with caplog.at_level(logging.ERROR, logger="scraper.fleet.committer"):
            assert not elsewhere.try_lead() and not elsewhere.try_lead()
        assert elsewhere.cannot_lead is not None and str(tmp_path / "output") in elsewhere.cannot_lead
        said = [r.getMessage() for r in caplog.records if "cannot be the fleet's committer" in r.getMessage()]
        assert len(said) == 1  # once, not at every try
        assert later.try_lead() and later.cannot_lead is None  # a worker with the store's directory takes over
    finally:
        elsewhere.close()
        later.close()


def test_failed_polls_are_swept_with_old_jobs_and_a_failed_warc_file_is_kept(pg_database: str,
                                                                            tmp_path: Path) -> None:
    """A poll that failed (the database restarting under it) is history once the next poll has run: kept for ever
    it made `stats` say "jobs failed" for ever. A failed WARC file holds its batch and stays until someone looks."""
    import asyncio

    import psycopg

    from scraper.fleet.queue import ARCHIVES, POLLS, apply_queue_schema, make_app

    async def queue_two_jobs() -> None:
        app = make_app(pg_database)
        async with app.open_async():
            await apply_queue_schema(app, pg_database)
            await app.configure_task("poll_outlet", queue=POLLS).defer_async(outlet="wire")
            await app.configure_task("read_warc", queue=ARCHIVES).defer_async(stream="warc:x", seq=0, path="/x")

    asyncio.run(queue_two_jobs())
    with psycopg.connect(pg_database, autocommit=True) as db:
        db.execute("UPDATE procrastinate_jobs SET status = 'doing'")
        db.execute("UPDATE procrastinate_jobs SET status = 'failed'")
        db.execute("UPDATE procrastinate_events SET at = now() - interval '8 days'")
    write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": "https://wire.example/",
                                               "feeds": ["https://wire.example/feed"]}], revisit_every="off")
    worker = _worker(tmp_path, pg_database, tmp_path / "output")
    try:
        deadline, left = time.monotonic() + 60, ["poll_outlet", "read_warc"]
        while time.monotonic() < deadline and "poll_outlet" in left:
            time.sleep(1)
            with psycopg.connect(pg_database, autocommit=True) as db:
                left = [str(row[0]) for row in db.execute("SELECT task_name FROM procrastinate_jobs")]
    finally:
        (log,) = _stop([worker])
    assert left == ["read_warc"], log


def test_a_backfill_of_outlets_beside_a_running_fleet_is_handed_to_it(pg_database: str, tmp_path: Path) -> None:
    """The fleet's committer holds the state store, so a backfill of the outlets cannot run in its own process (it
    exited 1, "stop the fleet first"): it is handed to the running fleet, one job per outlet, followed with --wait
    as a one-process backfill would end — its summary line, each outlet that could not be read named, exit 3 when
    none could — or queued without."""
    with numbered_site(12) as site:
        write_sources(tmp_path / "sources.toml", [
            {"id": "wire", "name": "Wire", "homepage": site.url("/"), "feeds": [site.url("/feed")]},
            {"id": "gone", "name": "Gone", "homepage": site.url("/"), "feeds": [site.url("/no-feed")], "retries": 0}],
            revisit_every="off")
        output = tmp_path / "output"
        worker = _worker(tmp_path, pg_database, output)  # (no schedule: nothing is polled but what is handed)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not output.exists():  # the committer has the store and the output
                time.sleep(0.25)
            fleet = ["--database", pg_database, "--output", str(output), "backfill"]
            both = run_cli(*fleet, "--wait", "--workers", "2", cwd=tmp_path, timeout=120)
            alone = run_cli(*fleet, "--source", "gone", "--wait", cwd=tmp_path, timeout=120)
            queued = run_cli(*fleet, "--source", "wire", cwd=tmp_path, timeout=120)
            again = run_cli(*fleet, "--source", "wire", "--wait", cwd=tmp_path, timeout=120)
        finally:
            (log,) = _stop([worker])
    assert both.returncode == 0, (both.stderr, log)
    assert "handed to the running fleet" in both.stderr
    assert "--workers not used: a running fleet holds this database" in both.stderr  # said, not ignored in silence
    assert both.stdout.strip().splitlines()[-1].startswith("backfill: written=12 duplicates=0"), both.stdout
    assert "scraper: gone: nothing could be read (refused: http_404=1)" in both.stderr, both.stderr
    assert sorted(r["url"] for r in read_records(output)) == sorted(site.url(f"/a/{n}") for n in range(12))
    assert alone.returncode == 3, alone.stderr  # nothing could be read at all, as a one-process backfill ends
    assert "no outlet could be read at all" in alone.stderr
    assert queued.returncode == 0 and queued.stdout.startswith("backfill: queued=1 batch=outlets:"), queued.stdout
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1].startswith("backfill: written=0 duplicates=0"), again.stdout
    assert len(read_records(output)) == 12  # nothing twice
    assert verify_output(output).ok


def test_an_outlet_backfill_whose_worker_stops_mid_way_is_finished_by_another(pg_database: str,
                                                                             tmp_path: Path) -> None:
    """A worker stopped (a deploy) while it backfills an outlet queues the outlet again; another worker goes on
    from what was committed, and the batch ends with every article written once."""
    with numbered_site(16) as site:
        for number in range(16):
            site.routes[f"/a/{number}"] = replace(site.routes[f"/a/{number}"], delay=0.3)  # a slow server
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}], revisit_every="off")
        output = tmp_path / "output"
        first = _worker(tmp_path, pg_database, output)
        second = None
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not output.exists():
                time.sleep(0.25)
            backfill = subprocess.Popen([sys.executable, "-m", "scraper", "--database", pg_database, "--output",
                                         str(output), "backfill", "--wait"], cwd=tmp_path, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(read_records(output)) < 3:
                time.sleep(0.1)
            stopped_at = len(read_records(output))
            (first_log,) = _stop([first])
            second = _worker(tmp_path, pg_database, output)
            out, err = backfill.communicate(timeout=120)
        finally:
            (second_log,) = _stop([second]) if second is not None else ("",)
            _stop([first])
    assert 3 <= stopped_at < 16, first_log
    assert "stopped mid-way; queued again" in first_log, first_log
    assert backfill.returncode == 0, (err, first_log, second_log)
    assert out.strip().splitlines()[-1].startswith("backfill: written=16 duplicates=0"), out
    assert sorted(r["url"] for r in read_records(output)) == sorted(site.url(f"/a/{n}") for n in range(16))
    assert verify_output(output).ok


def test_a_fleet_reads_the_web_archive_for_an_outlet_that_refuses_it_and_for_a_backfill_from_it(
        pg_database: str, tmp_path: Path) -> None:
    """Workers had no web archive: `fallback = "wayback"` did nothing in a fleet. An outlet that cannot be reached
    is read as the archive captured it, and `backfill --from-archive` beside the fleet is handed to it."""
    from test_wayback import FakeArchive, archived_feed, write_blocked_outlet

    port = _free_port()  # (nothing listens there: the outlet cannot be reached)
    base = f"http://127.0.0.1:{port}"
    archive = FakeArchive()
    archived_feed(archive, base, 3)
    september = datetime(2026, 9, 1, 12, tzinfo=UTC)
    for n in range(10, 14):
        archive.capture(f"{base}/a/{n}", september + timedelta(days=n), article_page(n))
    write_blocked_outlet(tmp_path / "sources.toml", archive, port, archive_delay="50ms")
    output = tmp_path / "output"
    with archive:
        worker = _worker(tmp_path, pg_database, output)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not output.exists():
                time.sleep(0.25)
            fleet = ["--database", pg_database, "--output", str(output), "backfill", "--wait"]
            from_archive = run_cli(*fleet, "--from-archive", "--since", "2026-09-01", "--until", "2026-09-30",
                                   cwd=tmp_path, timeout=120)
            fallback = run_cli(*fleet, cwd=tmp_path, timeout=120)
        finally:
            (log,) = _stop([worker])
    assert from_archive.returncode == 0, (from_archive.stderr, log)
    assert from_archive.stdout.strip().splitlines()[-1].startswith("backfill: written=4 "), from_archive.stdout
    assert fallback.returncode == 0, (fallback.stderr, log)
    assert fallback.stdout.strip().splitlines()[-1].startswith("backfill: written=3 "), fallback.stdout
    assert "read through the archive" in log
    records = read_records(output)
    assert sorted(r["url"] for r in records) == sorted(f"{base}/a/{n}" for n in (0, 1, 2, 10, 11, 12, 13))
    assert all(r["archive"]["service"] == "wayback" for r in records)
