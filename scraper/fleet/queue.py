"""The fleet's task queue and its clock: procrastinate on the fleet's database (the app, its tables, the two queues),
each outlet's poll deferred when it is due (every worker that keeps the schedule looks; the database lets one update
move it), the jobs of workers that stopped queued again, old jobs deleted; and an error of the queue's database in
one line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import procrastinate
import psycopg

from scraper.records import Source

log = logging.getLogger(__name__)

POLLS = "polls"
ARCHIVES = "archives"
SCHEDULE = """
CREATE TABLE IF NOT EXISTS fleet_schedule (
    outlet  TEXT PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL  -- the next poll is due then; the worker whose update moves it defers it
);
"""
TICK = 0.5  # seconds between two looks at the schedule
DATABASE_RETRY = 2.0  # seconds between two tries (the schedule, the job loop) while the database is away
SCHEDULE_WARN_EVERY = 60.0  # ...and between two warnings that it is
POOL_WAIT = 10.0  # seconds the task queue's calls wait for a connection from its pool
STALLED_EVERY = 15.0  # seconds between two looks for jobs of dead workers
HEARTBEAT = 2.0  # seconds between a worker's heartbeats; one silent for STALLED_AFTER is dead
STALLED_AFTER = 10.0
SWEEP_EVERY = 3600.0  # seconds between two deletions of old finished jobs
JOBS_KEPT_HOURS = 7 * 24  # finished jobs are kept this long (failed ones until someone deletes them)


def make_app(database: str) -> procrastinate.App:
    """The task queue: procrastinate on the fleet's database (its tables made on first use)."""
    # A job waits at most POOL_WAIT for a connection: with the database away, the job loop stops that soon (and
    # the worker's `_run_jobs` starts it again), and a worker stopped then exits in seconds, not in the pool's
    # default 30.
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=database, timeout=POOL_WAIT))


async def apply_queue_schema(app: procrastinate.App, database: str) -> None:
    """Create procrastinate's tables once, whichever worker starts first (the app open)."""
    with psycopg.connect(database, autocommit=True) as db:
        db.execute("SELECT pg_advisory_lock(7326005)")  # (let go when this connection closes)
        present = db.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (present and present[0]):
            await app.schema_manager.apply_schema_async()


async def keep_schedule(app: procrastinate.App, database: str, sources: Sequence[Source], stop: asyncio.Event
                        ) -> None:
    """Defer each outlet's poll when it is due: every worker looks, the database lets one update move it. When
    the database is away (a restart, a failover), again once it answers; each failure is a warning."""
    task = app.tasks["poll_outlet"]
    db: psycopg.Connection[Any] | None = None
    failing_since: float | None = None  # monotonic time of the first failure of an outage
    warned = 0.0
    try:
        while not stop.is_set():
            wait = TICK
            try:
                if db is None or db.closed or db.broken:
                    if db is not None:
                        db.close()
                    db = None
                    db = await asyncio.to_thread(_schedule_connection, database, sources)
                for source in sources:
                    # Missed periods are coalesced: the next is one interval from now, never a backlog.
                    due = db.execute(
                        "UPDATE fleet_schedule SET next_at = next_at + make_interval(secs => %(every)s"
                        " * (floor(extract(epoch FROM now() - next_at) / %(every)s) + 1))"
                        " WHERE outlet = %(outlet)s AND next_at <= now() RETURNING outlet",
                        {"every": source.interval, "outlet": source.id}).fetchone()
                    if due is not None:
                        await task.defer_async(outlet=source.id)
                if failing_since is not None:
                    log.info("the schedule is kept again (the database was away for %.0f s)",
                             time.monotonic() - failing_since, extra={"event": "schedule_recovered"})
                    failing_since = None
            except (psycopg.Error, procrastinate.exceptions.ProcrastinateException) as exc:
                now, wait = time.monotonic(), DATABASE_RETRY
                if failing_since is None or now - warned >= SCHEDULE_WARN_EVERY:  # (not one line per try)
                    log.warning("keeping the schedule failed: %s; trying again every %g s", one_line(exc),
                                DATABASE_RETRY, extra={"event": "schedule_error"})
                    warned = now
                if failing_since is None:
                    failing_since = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        if db is not None:
            db.close()


def _schedule_connection(database: str, sources: Sequence[Source]) -> psycopg.Connection[Any]:
    """A connection for the schedule, every configured outlet in it (a new outlet due at once)."""
    db = psycopg.connect(database, autocommit=True, connect_timeout=10, application_name="newsnorm-schedule")
    try:
        with db.cursor() as cursor:
            cursor.executemany("INSERT INTO fleet_schedule (outlet, next_at) VALUES (%s, now())"
                               " ON CONFLICT DO NOTHING", [(s.id,) for s in sources])
    except BaseException:
        db.close()
        raise
    return db


async def retry_stalled(app: procrastinate.App, stop: asyncio.Event) -> None:
    """Put the jobs of workers that stopped beating back in the queue (procrastinate leaves that to us), and
    delete the old jobs that are done."""
    swept: float | None = None  # (monotonic time: since boot on Linux, so no "0 = long ago")
    while not stop.is_set():
        try:
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER):
                log.warning("job %s of a worker that stopped: queued again", job.id, extra={"event": "stalled"})
                await app.job_manager.retry_job(job)
            if swept is None or time.monotonic() - swept >= SWEEP_EVERY:
                # A poll every few minutes is a job: done ones older than JOBS_KEPT go. A failed poll (the
                # database restarting under it) goes too, as the next poll did its work; a failed WARC file
                # stays, for its batch cannot go past it until someone looks.
                await app.job_manager.delete_old_jobs(nb_hours=JOBS_KEPT_HOURS)
                await app.job_manager.delete_old_jobs(nb_hours=JOBS_KEPT_HOURS, queue=POLLS, include_failed=True)
                swept = time.monotonic()
        except Exception as exc:  # the queue's database away for a moment: look again later
            log.warning("looking for stalled jobs failed: %s", one_line(exc), extra={"event": "stalled"})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=STALLED_EVERY)


def one_line(error: BaseException | None) -> str:
    """An error in one line (its first); procrastinate's ConnectorException says only "Database error": its cause
    says what."""
    if error is None:
        return ""
    if isinstance(error, procrastinate.exceptions.ConnectorException) and error.__cause__ is not None:
        error = error.__cause__
    return " ".join(str(error).strip().split("\n", 1)[0].split()) or type(error).__name__
