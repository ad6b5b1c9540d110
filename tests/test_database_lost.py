"""The PostgreSQL server restarting under a fleet (an upgrade, a failover, an idle timeout cutting connections):
every connection a worker holds is dropped at once. The worker must go on once the server answers, with nothing
lost or written twice, and a committer whose lock another worker took meanwhile must stop committing. A worker
started before its database waits for it; one given a role the server refuses says so in one line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import psycopg
import pytest
from conftest import read_records, rss, run_cli, write_sources
from localsite import LocalSite, Page
from test_fleet import _stop, _worker
from test_output_contract import article_page
from test_service import _free_port, _get

from scraper.db import PostgresDatabase
from scraper.errors import StateError
from scraper.state import STORE_LOCK, State
from scraper.verify import verify_output

LOCK = 424242


def _drop_connections(database: str) -> int:
    """What a server restart does to the clients of `database`: every other connection is ended."""
    with psycopg.connect(database, autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
                             " current_database() AND pid <> pg_backend_pid()").fetchall()
    return len(rows)


def _lock_holder(database: str, key: int) -> int | None:
    with psycopg.connect(database, autocommit=True) as admin:
        row = admin.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
                            (key,)).fetchone()
    return int(row[0]) if row else None


def _backend(db: PostgresDatabase) -> int:
    return int(db.execute("SELECT pg_backend_pid()").fetchone()[0])


def test_a_dropped_connection_costs_one_statement_and_its_locks_are_taken_again(pg_database: str) -> None:
    db = PostgresDatabase(pg_database)
    try:
        assert db.hold_lock(LOCK)
        first = _backend(db)
        assert _drop_connections(pg_database) >= 1
        with pytest.raises(psycopg.OperationalError):
            db.execute("SELECT 1")  # the statement that meets the loss fails...
        assert _backend(db) != first  # ...the next runs on a new connection
        assert _lock_holder(pg_database, LOCK) == _backend(db)  # holding the lock again
        assert db.reconnections == 1 and db.lost is None
        _drop_connections(pg_database)
        db.ping()  # a round trip that replaces a dropped connection at once: the next statement does not fail
        assert db.execute("SELECT 2").fetchone()[0] == 2 and db.reconnections == 2
        # Inside a transaction nothing is run on a new connection (its statements would commit one by one).
        db.begin()
        db.execute("CREATE TABLE t (x INTEGER)")
        _drop_connections(pg_database)
        with pytest.raises(psycopg.OperationalError):
            db.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(psycopg.OperationalError):
            db.execute("INSERT INTO t VALUES (2)")
        assert db.in_transaction
        db.rollback()  # the server rolled it back already: no error
        assert db.execute("SELECT to_regclass('t') IS NULL").fetchone()[0]  # nothing of it was kept
    finally:
        db.close()


def test_a_lock_another_process_took_meanwhile_makes_the_database_lost_for_good(pg_database: str) -> None:
    db = PostgresDatabase(pg_database)
    try:
        assert db.hold_lock(LOCK)
        _drop_connections(pg_database)
        with psycopg.connect(pg_database, autocommit=True) as other:
            assert other.execute("SELECT pg_try_advisory_lock(%s)", (LOCK,)).fetchone()[0]
            with pytest.raises(psycopg.OperationalError):
                db.execute("SELECT 1")  # the loss
            with pytest.raises(psycopg.OperationalError, match="another process"):
                db.execute("SELECT 1")  # the lock, gone to `other`
            assert db.lost is not None
        with pytest.raises(psycopg.OperationalError, match="another process"):
            db.execute("SELECT 1")  # for good, even once the other let go: its owner must start again
    finally:
        db.close()


def test_a_state_store_goes_on_after_the_server_dropped_it(pg_database: str, tmp_path: Path) -> None:
    state = State(pg_database)
    try:
        state.claim(tmp_path / "output")
        state.outlets.record_poll_start("wire", datetime(2026, 12, 7, 1, tzinfo=UTC))
        before = _lock_holder(pg_database, STORE_LOCK)
        _drop_connections(pg_database)
        state.ping()  # (what a fleet's job does first) connected again at once, the store's lock with it
        assert state.lost is None
        assert _lock_holder(pg_database, STORE_LOCK) not in (None, before)
        assert _lock_holder(pg_database, STORE_LOCK) is not None
        state.outlets.record_poll("wire", datetime(2026, 12, 7, 1, 1, tzinfo=UTC), "ok", "", [], found_new=True)
        assert state.outlets.last_new() == {"wire": datetime(2026, 12, 7, 1, 1, tzinfo=UTC)}
        # Dropped again, and another process claims the store first: this one may not write it any more.
        _drop_connections(pg_database)
        other = State(pg_database)
        try:
            other.claim(tmp_path / "output")
            with pytest.raises(StateError, match="another process"):
                state.ping()
            assert state.lost is not None
        finally:
            other.close()
    finally:
        state.close()


def _slot_holder(database: str, host: str) -> str | None:
    with psycopg.connect(database, autocommit=True) as admin:
        row = admin.execute("SELECT holder FROM fleet_host_slots WHERE host = %s AND slot = 0 AND lease_until >"
                            " clock_timestamp()", (host,)).fetchone()
    return str(row[0]) if row and row[0] is not None else None


def test_a_host_lease_whose_release_met_the_database_away_is_let_go_once_it_answers(
        pg_server: str, pg_database: str) -> None:
    """A request that ends while the database is away cannot free its slot there: the host stayed held for the
    whole fleet until the lease ran out (its time limit and a margin: two minutes), so every poll of the outlet
    waited that long after a restart. It is let go as soon as the worker is connected again, and only it: a lease
    of a request still in flight is kept."""
    from scraper.fetch.shared import SharedHosts

    one = SharedHosts(pg_database, holder="one")
    other = SharedHosts(pg_database, holder="other")

    async def requests() -> None:
        # The server restarts (every connection ended, new ones taken at once) as a request ends.
        lease = await one.acquire("wire.example", 0.0, 1, 60.0)
        _drop_connections(pg_database)
        await one.release(lease, 0.0, one_at_a_time=True)  # no error: the request's outcome stands
        assert _slot_holder(pg_database, "wire.example") is None
        # The database away for a while: let go once it answers, and a request in flight keeps its lease.
        lease = await one.acquire("wire.example", 0.0, 1, 60.0)
        running = await one.acquire("files.example", 0.0, 1, 60.0)
        _away(pg_server, pg_database, True)
        try:
            await one.release(lease, 0.0, one_at_a_time=True)
        finally:
            _away(pg_server, pg_database, False)
        assert _slot_holder(pg_database, "wire.example") == "one"  # (the worker has not connected again yet)
        await one.ping()  # what a worker does at every look at the fleet, and before each job
        assert _slot_holder(pg_database, "wire.example") is None
        assert _slot_holder(pg_database, "files.example") == "one"
        await other.ping()
        assert other._try("wire.example", 0.0, 1, 60.0)[0] is not None  # another worker's request goes at once
        await one.release(running, 0.0, one_at_a_time=True)
        assert _slot_holder(pg_database, "files.example") is None

    try:
        asyncio.run(requests())
    finally:
        one.close()
        other.close()


def test_a_committer_whose_store_lock_went_to_another_worker_stops_committing(pg_database: str,
                                                                             tmp_path: Path) -> None:
    from scraper.fleet.committer import FleetCommitter
    from scraper.records import Settings

    committer = FleetCommitter(pg_database, Settings(path="sources.toml", sources=()), tmp_path / "output")

    async def scenario() -> tuple[bool, bool, bool]:
        stop = asyncio.Event()
        running = asyncio.create_task(committer.run(stop))
        try:
            led = await _until(lambda: committer.leading)
            _drop_connections(pg_database)
            # Another worker takes the store's lock while this one's connection is gone.
            with psycopg.connect(pg_database, autocommit=True) as other:
                assert other.execute("SELECT pg_try_advisory_lock(%s)", (STORE_LOCK,)).fetchone()[0]
                stepped_down = await _until(lambda: not committer.leading)
            # The other worker lets go (it stopped): this one leads again.
            leads_again = await _until(lambda: committer.leading)
        finally:
            stop.set()
            await running
        return led, stepped_down, leads_again

    try:
        led, stepped_down, leads_again = asyncio.run(scenario())
    finally:
        committer.close()
    assert led and stepped_down and leads_again


async def _until(condition: object, seconds: float = 30.0) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return bool(condition())


class GrowingSite(LocalSite):
    """A site whose feed lists the articles published so far."""

    def __init__(self) -> None:
        super().__init__()
        self.published = 0
        self.publish(0)

    def publish(self, count: int) -> None:
        for number in range(self.published, self.published + count):
            self.routes[f"/a/{number}"] = Page(article_page(number))
        self.published += count
        items = [(f"Report {n}", self.url(f"/a/{n}"), f"{1 + n % 28:02d} Nov 2026 08:00:00 GMT")
                 for n in range(self.published)]
        self.routes["/feed"] = Page(rss(items), "application/rss+xml")


def _away(server: str, database: str, away: bool) -> None:
    """The database refuses connections (and ends those it has), as a server that is down; or takes them again."""
    name = database.split("?", 1)[0].rsplit("/", 1)[1]
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if away else "true"}')
        if away:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def test_a_fleet_goes_on_collecting_when_the_database_drops_every_connection_or_is_away(
        pg_server: str, pg_database: str, tmp_path: Path) -> None:
    port = _free_port()
    output = tmp_path / "output"

    def health() -> tuple[int, str]:
        try:
            return _get(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            return 0, ""

    def until_written(count: int) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(read_records(output)) < count:
            time.sleep(0.25)

    with GrowingSite() as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")], "interval": "1s"}],
                      revisit_every="off")
        worker = _worker(tmp_path, pg_database, output, "--listen", f"127.0.0.1:{port}", verb="run")
        written: list[int] = []
        try:
            for _ in range(2):
                site.publish(3)
                until_written(site.published)
                written.append(len(read_records(output)))
                _drop_connections(pg_database)  # a restart: every connection ended, new ones taken at once
            site.publish(3)
            until_written(site.published)
            written.append(len(read_records(output)))
            # Away for longer than the task queue waits for a connection: its job loop stops and starts again.
            _away(pg_server, pg_database, True)
            try:
                site.publish(2)
                deadline, during = time.monotonic() + 60, (0, "")
                while time.monotonic() < deadline and "job loop is not running" not in during[1]:
                    time.sleep(0.5)
                    during = health()
            finally:
                _away(pg_server, pg_database, False)
            deadline, after = time.monotonic() + 120, (0, "")
            while time.monotonic() < deadline and (len(read_records(output)) < site.published or after[0] != 200):
                time.sleep(0.5)
                after = health()
            running = worker.poll() is None
        finally:
            (log,) = _stop([worker])
    assert written == [3, 6, 9], log
    assert during[0] == 503 and "the fleet's database does not answer" in during[1], (during, log)
    assert running, log  # it waited for the database: no exit, no restart needed
    records = read_records(output)
    assert sorted(r["url"] for r in records) == sorted(site.url(f"/a/{n}") for n in range(11)), log
    assert after[0] == 200, (after, log)  # healthy again
    assert "connected again" in log and "the job loop starts again" in log
    assert worker.returncode == 0
    assert verify_output(output).ok


def _as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}").geturl()


def _polled_every_second(site: GrowingSite, workdir: Path) -> None:
    """`site` as the one outlet of `workdir`'s sources.toml, polled every second; two articles published."""
    write_sources(workdir / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                              "feeds": [site.url("/feed")], "interval": "1s"}], revisit_every="off")
    site.publish(2)


def _run_logging_to(stderr: IO[str], workdir: Path, database: str, output: Path) -> subprocess.Popen[str]:
    """A fleet worker keeping the schedule, its log in a file the test reads while it runs."""
    return subprocess.Popen([sys.executable, "-m", "scraper", "--database", database, "--output", str(output),
                             "--log-format", "text", "run", "--listen", "off"], cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=stderr, text=True)


def test_a_worker_started_before_its_database_waits_for_it_and_a_wrong_role_is_one_line(
        pg_server: str, pg_database: str, tmp_path: Path) -> None:
    output = tmp_path / "output"
    with GrowingSite() as site:
        _polled_every_second(site, tmp_path)
        # A role the server does not know: refused at once, in one line (not after the wait, not a traceback).
        refused = run_cli("--database", _as_role(pg_database, "no_such_role"), "--output", str(output), "worker",
                          cwd=tmp_path, timeout=60)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines()[-1].startswith("scraper: cannot connect to the fleet's database")
        assert "no_such_role" in refused.stderr and "Traceback" not in refused.stderr
        queued = run_cli("--database", _as_role(pg_database, "no_such_role"), "--output", str(output), "backfill",
                         "--warc", str(tmp_path / "crawl.warc.gz"), cwd=tmp_path, timeout=60)
        assert queued.returncode == 1 and "Traceback" not in queued.stderr, queued.stderr
        # The database is not up yet when the worker starts (one compose file starting both): it waits for it.
        _away(pg_server, pg_database, True)
        said = tmp_path / "worker.log"  # (read while it runs: away until the worker has said that it waits)
        try:
            with said.open("w") as stderr:
                worker = _run_logging_to(stderr, tmp_path, pg_database, output)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and "does not answer yet" not in said.read_text():
                time.sleep(0.25)
            waiting = worker.poll() is None
        finally:
            _away(pg_server, pg_database, False)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(read_records(output)) < 2:
                time.sleep(0.25)
        finally:
            _stop([worker])
    log = said.read_text()
    assert waiting, log
    assert "does not answer yet" in log
    assert sorted(r["url"] for r in read_records(output)) == [site.url("/a/0"), site.url("/a/1")], log
    assert worker.returncode == 0


def test_waiting_for_a_batch_outlasts_the_database_going_away_for_a_moment(pg_server: str, pg_database: str,
                                                                           tmp_path: Path) -> None:
    """`backfill --warc FILES --wait` follows the batch through a restart of the database (as the workers do) and
    prints its summary, rather than ending at the first read that fails."""
    import os
    import subprocess
    import sys

    from test_fleet import _batch

    paths = _batch(tmp_path / "crawl", files=3, per_file=8)
    write_sources(tmp_path / "sources.toml", [{"id": "none", "name": "None", "homepage": "https://none.example/",
                                               "feeds": ["https://none.example/feed"]}], revisit_every="off")
    output = tmp_path / "output"
    worker = _worker(tmp_path, pg_database, output)
    deadline, started = time.monotonic() + 90, False
    while time.monotonic() < deadline and not started:  # its job loop runs (a loaded machine starts it slowly)
        time.sleep(0.25)
        with psycopg.connect(pg_database, autocommit=True) as db:
            if db.execute("SELECT to_regclass('procrastinate_workers') IS NOT NULL").fetchone()[0]:
                started = bool(db.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    waiting = subprocess.Popen([sys.executable, "-m", "scraper", "--database", pg_database, "--output", str(output),
                                "backfill", "--wait", "--warc", *map(str, paths)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, queued = time.monotonic() + 60, 0
        while time.monotonic() < deadline and queued < 3:  # queued, and being followed
            time.sleep(0.25)
            with psycopg.connect(pg_database, autocommit=True) as db:
                present = db.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
                if present and present[0]:
                    queued = int(db.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'read_warc'"
                                            ).fetchone()[0])
        _away(pg_server, pg_database, True)
        time.sleep(6)
        _away(pg_server, pg_database, False)
        out, err = waiting.communicate(timeout=150)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            out, err = waiting.communicate()
        (log,) = _stop([worker])
    assert waiting.returncode == 0, (err, log)
    assert out.startswith("backfill: written=24"), (out, err, log)
    assert "does not answer" in err  # it said why it was waiting
    assert len(read_records(output)) == 24


def test_a_worker_whose_database_goes_away_while_it_starts_waits_for_it_again(pg_database: str,
                                                                              tmp_path: Path) -> None:
    """A restart of the server in the second between a worker's first connection and its job loop ended it with
    exit code 1. Every connection is ended every 50 ms for the first seconds of the worker's life (its import,
    its start): it waits for its database again, then collects."""
    import threading

    output = tmp_path / "output"
    with GrowingSite() as site:
        _polled_every_second(site, tmp_path)
        said = tmp_path / "worker.log"
        restarting = threading.Event()
        ended = [0]

        def restart_for_ever() -> None:  # (until told: a server that keeps dropping its clients)
            while not restarting.is_set():
                ended[0] += _drop_connections(pg_database)
                time.sleep(0.05)

        dropper = threading.Thread(target=restart_for_ever)
        with said.open("w") as stderr:
            worker = _run_logging_to(stderr, tmp_path, pg_database, output)
        dropper.start()
        try:
            deadline = time.monotonic() + 60  # until the worker has met it while starting, at least once
            while (time.monotonic() < deadline and worker.poll() is None
                   and "went away while the worker started" not in said.read_text()):
                time.sleep(0.1)
        finally:
            restarting.set()
            dropper.join()
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and worker.poll() is None and len(read_records(output)) < 2:
                time.sleep(0.25)
            running = worker.poll() is None
        finally:
            _stop([worker])
    log = said.read_text()
    assert ended[0] > 0
    assert running, log  # (it exited 1: "cannot connect to the fleet's database")
    assert "went away while the worker started" in log
    assert sorted(r["url"] for r in read_records(output)) == [site.url("/a/0"), site.url("/a/1")], log
    assert worker.returncode == 0
