"""A fleet worker: procrastinate jobs (polls, WARC files, outlets to backfill) over the pipeline's stages, the
schedule, the committer.

`scraper --database URL worker` runs jobs; `scraper --database URL run` also keeps the schedule. Every worker also
tries to be the fleet's committer (scraper/fleet/committer.py). Jobs are idempotent and guarded by advisory locks
rather than procrastinate's own locks: a poll takes its outlet's lock (held by its own connection, so it dies with
its worker) and returns at once when another worker is polling that outlet; a WARC file's job, or an outlet's in a
backfill handed to the fleet, clears what an interrupted run of it handed and reads on from its committed progress.
Jobs of a worker that died (no heartbeat) are put back in the queue by the others; the task queue, the schedule and
that housekeeping are scraper/fleet/queue.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
from procrastinate.types import JSONValue

from scraper.daemon import output_problems
from scraper.dedup import DedupOptions
from scraper.discover.ccnews import CCNews, RemoteWarc
from scraper.discover.selection import archive_selection
from scraper.errors import Skip, StateError
from scraper.fetch import Fetcher
from scraper.fetch.shared import SharedHosts
from scraper.fetch.wayback import Wayback
from scraper.fleet.committer import FleetCommitter
from scraper.fleet.handoff import Handoff, create_schema
from scraper.fleet.health import CHECK_EVERY, fleet_problems, look
from scraper.fleet.queue import (
    ARCHIVES,
    DATABASE_RETRY,
    HEARTBEAT,
    POLLS,
    SCHEDULE,
    STALLED_AFTER,
    apply_queue_schema,
    keep_schedule,
    make_app,
    one_line,
    retry_stalled,
)
from scraper.metrics import Metrics
from scraper.pipeline import STOP_GRACE, Pipeline, PipelineOptions
from scraper.records import Settings
from scraper.runs import warc as warc_run
from scraper.runs.archive import backfill_archive
from scraper.service import StatusServer
from scraper.state import State
from scraper.summary import Summary, backfill_result, found_new

log = logging.getLogger(__name__)

STOP_WAIT = 20.0  # seconds the job loop is given to stop: 5 for jobs in flight, POOL_WAIT to unregister
RESTARTS_AT_MOST = 5  # restarts of the job loop (its database away) within RESTARTS_WITHIN seconds, before
RESTARTS_WITHIN = 600.0  # the worker gives up and exits (code 1)
# A WARC file's or an outlet's job that met the database away (a restart) is tried again, from its committed
# progress, rather than failed: a failed job holds its whole batch.
DATABASE_AWAY = procrastinate.RetryStrategy(max_attempts=12, wait=5, linear_wait=5, retry_exceptions={
    psycopg.Error, StateError, procrastinate.exceptions.ConnectorException})


def outlet_lock(outlet: str) -> int:
    """The advisory lock a poll of `outlet` holds: one poll per outlet at a time in the fleet."""
    return int.from_bytes(hashlib.sha256(f"poll:{outlet}".encode()).digest()[:8], "big", signed=True)


@dataclass
class WarcJob:
    """What a WARC file's job reads: its place in its batch, and the selection of the backfill (as the command line
    gave it: outlets, hosts, only configured outlets' hosts; a range of dates)."""

    stream: str
    seq: int
    path: str
    outlets: list[str]
    hosts: list[str]
    only_configured: bool
    since: str | None
    until: str | None


@dataclass
class OutletJob:
    """What an outlet's job of a backfill handed to the fleet reads: its place in its batch, the outlet, the range
    of dates, and whether from the web archive (else its feeds, sitemaps and listings)."""

    stream: str
    seq: int
    outlet: str
    since: str | None
    until: str | None
    from_archive: bool


class Worker:
    """One worker process: `concurrency` pipelines, each running one job at a time, over one fetcher."""

    def __init__(self, database: str, settings: Settings, output: str | Path, *,
                 concurrency: int = 2, metrics: Metrics | None = None,
                 page_timeout: float = 120.0, fault: str = "", listen: tuple[str, int] | None = None,
                 health_grace: float = 3.0) -> None:
        self.database = database
        self.settings = settings
        self.output = output
        self.concurrency = concurrency
        self.metrics = metrics or Metrics()
        self.page_timeout = page_timeout
        self.fault = fault
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.app = make_app(database)
        self._stop = asyncio.Event()
        self._pipelines: asyncio.Queue[Pipeline] = asyncio.Queue()
        self.listen = listen
        self.health_grace = health_grace
        self.port: int | None = None  # where /healthz is served, once it is
        self._all: list[Pipeline] = []
        self._committer: FleetCommitter | None = None
        self._shared: SharedHosts | None = None  # the hosts' pacing shared with the fleet, while running
        self._running = False
        self.started = False  # the job loop ran (a database error before it is one of the start)
        self._schedule = False
        self._started = datetime.now(UTC)
        self._fleet: list[str] = []  # the fleet's problems at the last look at the database
        self._register()

    # --- the jobs --------------------------------------------------------------------------------------------
    def _register(self) -> None:
        @self.app.task(name="poll_outlet", queue=POLLS)
        async def poll_outlet(outlet: str) -> None:
            await self.poll(outlet)

        @self.app.task(name="read_warc", queue=ARCHIVES, retry=DATABASE_AWAY)
        async def read_warc(stream: str, seq: int, path: str, outlets: list[str], hosts: list[str],
                            only_configured: bool, since: str | None, until: str | None) -> None:
            await self.read_warc(WarcJob(stream, seq, path, outlets, hosts, only_configured, since, until))

        @self.app.task(name="backfill_outlet", queue=ARCHIVES, retry=DATABASE_AWAY)
        async def backfill_outlet(stream: str, seq: int, outlet: str, since: str | None, until: str | None,
                                  from_archive: bool) -> None:
            await self.backfill_outlet(OutletJob(stream, seq, outlet, since, until, from_archive))

    async def poll(self, outlet: str) -> Summary | None:
        """One poll of an outlet, unless another worker is polling it now (then None: coalesced)."""
        try:
            source = self.settings.source(outlet)
        except KeyError:
            log.error("a poll of %s, which this worker's configuration does not have: skipped", outlet,
                      extra={"event": "skip", "outlet": outlet, "reason": "unknown_outlet"})
            return None
        with psycopg.connect(self.database, autocommit=True) as lock:
            held = lock.execute("SELECT pg_try_advisory_lock(%s)", (outlet_lock(outlet),)).fetchone()
            if not held or not held[0]:
                log.info("%s: another worker is polling it", outlet, extra={"event": "poll_skipped",
                                                                              "outlet": outlet})
                return None
            pipeline = await self._pipelines.get()
            started = datetime.now(UTC)
            with psycopg.connect(self.database, autocommit=True) as handoff:
                pipeline.writer = Handoff(handoff, f"poll:{outlet}:{uuid.uuid4().hex}")
                try:
                    await self._fresh_connections(pipeline)
                    pipeline.state.outlets.record_poll_start(outlet, started)
                    summary = await pipeline.poll(source, limit=source.max_articles, stop=self._stop)
                    result, why = summary.result()
                    pipeline.state.outlets.record_poll(outlet, datetime.now(UTC), result, why,
                                                       sorted(pipeline.fetcher.paused_hosts()),
                                                       found_new=found_new(summary))
                    self.metrics.polled(outlet, result, datetime.now().timestamp())
                    return summary
                finally:
                    self._pipelines.put_nowait(pipeline)

    async def read_warc(self, job: WarcJob) -> Summary:
        """One WARC file of an ordered batch, from its committed progress; its end handed last."""
        configured = [s for s in self.settings.sources if not job.outlets or s.id in job.outlets]
        hosts, source_for = archive_selection(configured, job.hosts, job.only_configured or bool(job.outlets))
        pipeline = await self._pipelines.get()
        summary = Summary()
        try:
            await self._fresh_connections(pipeline)
            with psycopg.connect(self.database, autocommit=True) as db:
                handoff = Handoff(db, job.stream, job.seq)
                # What an interrupted run of this file handed and the committer has not taken. In a thread: it may
                # wait for the committer, which may be this worker's own loop.
                await asyncio.to_thread(handoff.restart)
                pipeline.writer = handoff
                try:
                    await warc_run.read_warc(
                        pipeline, self._warc(job.path, pipeline), source_for, summary, hosts=hosts,
                        since=datetime.fromisoformat(job.since) if job.since else None,
                        until=datetime.fromisoformat(job.until) if job.until else None, stop=self._stop)
                except Skip as skip:
                    if not self._stop.is_set():  # as one process does: counted, and the batch goes on
                        log.error("%s: %s; a later backfill of the same files goes on from there", job.path, skip,
                                  extra={"event": "skip", "reason": skip.reason, "url": job.path})
                        # (counted as one process counts it: a local file by why, a CC-NEWS file as unreadable)
                        summary.skips["unreadable" if is_remote(job.path) else skip.reason] += 1
                if self._stop.is_set():
                    # Stopped mid-file: the file goes back in the queue, for any worker to go on from its
                    # committed progress (returning would mark the job done and leave its batch waiting for ever).
                    await self._defer(job)
                else:
                    handoff.end_file(summary.skips)
        finally:
            self._pipelines.put_nowait(pipeline)
        log.info(summary.line(f"{job.path}"), extra={"event": "warc_done"})
        return summary

    async def backfill_outlet(self, job: OutletJob) -> Summary:
        """One outlet of a backfill handed to the fleet, as a one-process backfill reads it (listing pages and
        sitemaps a run over the same range marked done are passed over; an article written is not written again),
        its result handed with its end. Polls of the outlet go on meanwhile: what both find is written once."""
        summary = Summary()
        since = datetime.fromisoformat(job.since) if job.since else None
        until = datetime.fromisoformat(job.until) if job.until else None
        pipeline = await self._pipelines.get()
        try:
            await self._fresh_connections(pipeline)
            with psycopg.connect(self.database, autocommit=True) as db:
                handoff = Handoff(db, job.stream, job.seq)
                await asyncio.to_thread(handoff.restart)  # (what an interrupted run of it handed; see read_warc)
                pipeline.writer = handoff
                try:
                    source = self.settings.source(job.outlet)
                except KeyError:
                    log.error("a backfill of %s, which this worker's configuration does not have", job.outlet,
                              extra={"event": "skip", "outlet": job.outlet, "reason": "unknown_outlet"})
                    handoff.end_file(result=(job.outlet, "error", "not in the configuration of the worker that "
                                             f"took it ({self.name})"))
                    return summary
                if job.from_archive:
                    await backfill_archive(pipeline, source, summary, since, until, self._stop)
                else:
                    await pipeline.poll(source, since=since, until=until, stop=self._stop, summary=summary,
                                        backfill=True, stop_grace=STOP_GRACE)
                if self._stop.is_set():  # stopped mid-way: queued again, for any worker to go on from there
                    await self._defer_outlet(job)
                else:
                    handoff.end_file(summary.skips, (job.outlet, *backfill_result(summary)))
        finally:
            self._pipelines.put_nowait(pipeline)
        log.info(summary.line(f"backfill of {job.outlet}"), extra={"event": "outlet_backfilled", "outlet": job.outlet})
        return summary

    async def _defer_outlet(self, job: OutletJob) -> None:
        await self.app.configure_task("backfill_outlet", queue=ARCHIVES).defer_async(
            stream=job.stream, seq=job.seq, outlet=job.outlet, since=job.since, until=job.until,
            from_archive=job.from_archive)
        log.info("%s: stopped mid-way; queued again", job.outlet, extra={"event": "outlet_requeued"})

    async def _fresh_connections(self, pipeline: Pipeline) -> None:
        """Before a job: the long-lived connections it uses made again if the server dropped them since (a restart),
        so that the job does not fail on the first statement of each."""
        pipeline.state.ping()
        if self._shared is not None:
            await self._shared.ping()

    async def _defer(self, job: WarcJob) -> None:
        await self.app.configure_task("read_warc", queue=ARCHIVES).defer_async(
            stream=job.stream, seq=job.seq, path=job.path, outlets=list[JSONValue](job.outlets),
            hosts=list[JSONValue](job.hosts), only_configured=job.only_configured, since=job.since, until=job.until)
        log.info("%s: stopped mid-file; queued again", job.path, extra={"event": "warc_requeued"})

    def _warc(self, path: str, pipeline: Pipeline) -> str | RemoteWarc:
        """A job's file: a local path, or a CC-NEWS file on Common Crawl's server (its host's politeness shared)."""
        if not is_remote(path):
            return path
        return CCNews.of(pipeline.fetcher, self.settings).warc(path, stop=self._stop)

    # --- running ---------------------------------------------------------------------------------------------
    async def run(self, *, schedule: bool, stop: asyncio.Event | None = None) -> None:
        """Run jobs (and, with `schedule`, keep the schedule) until `stop`. A database error before the job loop
        starts (`started` still False) leaves nothing open: the caller may start another Worker."""
        if stop is not None:
            self._stop = stop
        async with contextlib.AsyncExitStack() as opened:  # (closed in reverse, also when the start fails)
            with psycopg.connect(self.database, autocommit=True) as db:
                create_schema(db)
                with db.transaction():
                    db.execute("SELECT pg_advisory_xact_lock(7326006)")
                    db.execute(SCHEDULE)
            state = State(self.database)  # this worker's reads and its at-once writes; the committer writes the rest
            opened.callback(state.close)
            shared = self._shared = SharedHosts(self.database, holder=self.name)
            opened.callback(shared.close)
            fetcher = Fetcher(concurrency=self.settings.concurrency, observer=self.metrics,
                              pause_after_failures=self.settings.pause_after_failures,
                              pause_for=self.settings.pause_for)
            opened.push_async_callback(fetcher.aclose)
            fetcher.gate.shared = shared
            idle = psycopg.connect(self.database, autocommit=True)  # the pipelines' writer between jobs (unused)
            opened.callback(idle.close)
            committer = FleetCommitter(self.database, self.settings, self.output, observer=self.metrics,
                                       dedup=DedupOptions(window=timedelta(seconds=self.settings.dedup_window)),
                                       fault=self.fault)
            opened.callback(committer.close)
            self._committer = committer
            # (the web archive: outlets with `fallback = "wayback"`, and backfills `--from-archive` handed to it)
            wayback = Wayback.of(fetcher, self.settings)
            for _ in range(self.concurrency):
                options = PipelineOptions(workers=1, alias_files=self.settings.alias_files,
                                          page_timeout=self.page_timeout, drift_after=self.settings.drift_after,
                                          fault=self.fault)
                pipeline = Pipeline(fetcher, state, None, None, options, observer=self.metrics, wayback=wayback,
                                    writer=Handoff(idle, "idle"))
                opened.callback(pipeline.close)
                self._all.append(pipeline)
                self._pipelines.put_nowait(pipeline)
            self._schedule = schedule
            server = StatusServer(*self.listen, self.metrics, self.health) if self.listen else None
            tasks: list[asyncio.Task[Any]] = []
            try:
                if server is not None:
                    await server.start()
                    self.port = server.port
                async with self.app.open_async():
                    await apply_queue_schema(self.app, self.database)
                    tasks = [asyncio.create_task(committer.run(self._stop)),
                             asyncio.create_task(retry_stalled(self.app, self._stop)),
                             asyncio.create_task(self._watch())]
                    if schedule:
                        schedule_kept = keep_schedule(self.app, self.database, self.settings.sources, self._stop)
                        tasks.append(asyncio.create_task(schedule_kept))
                    await self._run_jobs()
                    await asyncio.gather(*tasks, return_exceptions=True)
            finally:
                self._running = False
                if server is not None:
                    await server.close()
                for task in tasks:
                    task.cancel()

    # --- health ----------------------------------------------------------------------------------------------
    def health(self) -> list[str]:
        """What keeps this worker, or the fleet, from collecting (empty: healthy); see scraper/fleet/health.py."""
        problems = [] if self._running and not self._stop.is_set() else ["the worker's job loop is not running"]
        problems += output_problems(self.output)
        if self._committer is not None and self._committer.leading and self._committer.error:
            problems.append(f"the committer's last step failed: {self._committer.error}")
        if self._committer is not None and self._committer.cannot_lead:
            problems.append(f"this worker cannot be the fleet's committer: {self._committer.cannot_lead}")
        for pipeline in self._all:
            problems += [p for p in pipeline.problems() if p not in problems]
        return problems + self._fleet

    async def _run_jobs(self) -> None:
        """procrastinate's job loop, until `stop`. The loop stops by itself when its database fails it (its
        heartbeat waited POOL_WAIT seconds for a connection): it is started again once the database answers,
        /healthz saying meanwhile that it is not running. A loop that ends with another error, or stops for the
        RESTARTS_AT_MOSTth time within RESTARTS_WITHIN seconds, stops the worker, which exits with code 1."""
        restarts: list[float] = []
        while not self._stop.is_set():
            jobs = asyncio.create_task(self.app.run_worker_async(
                queues=[POLLS, ARCHIVES], name=self.name, concurrency=self.concurrency, wait=True,
                install_signal_handlers=False, update_heartbeat_interval=HEARTBEAT,
                stalled_worker_timeout=STALLED_AFTER, shutdown_graceful_timeout=5.0))
            stopping = asyncio.create_task(self._stop.wait())
            self._running = self.started = True
            await asyncio.wait({jobs, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if self._stop.is_set():
                jobs.cancel()  # jobs in flight get procrastinate's graceful time, then are left for another worker
                await asyncio.wait({jobs}, timeout=STOP_WAIT)
                if not jobs.done():  # (its database away: it would wait for a connection to unregister itself)
                    jobs.cancel()
                    await asyncio.wait({jobs}, timeout=1.0)
                if jobs.done() and not jobs.cancelled() and jobs.exception() is not None:
                    log.info("the job loop could not unregister this worker (%s): its jobs are taken up by others",
                             one_line(jobs.exception()), extra={"event": "worker_stop"})
                return
            stopping.cancel()
            self._running = False
            error = None if jobs.cancelled() else jobs.exception()
            now = time.monotonic()
            restarts = [at for at in restarts if now - at < RESTARTS_WITHIN]
            if (error is not None and not isinstance(error, procrastinate.exceptions.ConnectorException)) or (
                    len(restarts) >= RESTARTS_AT_MOST):
                log.error("the job loop stopped: %s", one_line(error) or "it ended", extra={"event": "worker_failed"})
                self._stop.set()
                return
            restarts.append(now)
            log.error("the job loop stopped: its database did not answer (%s); it starts again when it does",
                      one_line(error) or "its heartbeat failed", extra={"event": "worker_paused"})
            await self._until_database_answers()

    async def _until_database_answers(self) -> None:
        """Return once the fleet's database takes a connection (or at `stop`)."""
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(lambda: _health_connection(self.database).close())
                # A new pool for the task queue: the old one's tries to connect again have backed off to half a
                # minute and more by the end of an outage. (Its other users meanwhile meet AppNotOpen, and try again.)
                with contextlib.suppress(psycopg.Error, procrastinate.exceptions.ProcrastinateException):
                    await self.app.connector.close_async()
                await self.app.connector.open_async()
            except (psycopg.Error, procrastinate.exceptions.ProcrastinateException):  # (PoolTimeout is one)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=DATABASE_RETRY)
                continue
            log.info("the fleet's database answers again: the job loop starts again", extra={"event": "worker_resumed"})
            return

    async def _watch(self) -> None:
        """Look at the fleet's tables every CHECK_EVERY seconds: /healthz and the gauges answer from the last look."""
        db: psycopg.Connection[Any] | None = None
        try:
            while not self._stop.is_set():
                try:
                    if db is None or db.closed or db.broken:
                        db = None
                        db = await asyncio.to_thread(_health_connection, self.database)
                    seen = await asyncio.to_thread(look, db)
                    if self._shared is not None:  # (connected again: leases left behind by an outage let go)
                        await self._shared.ping()
                    sources = self.settings.sources if self._schedule else ()
                    self._fleet = fleet_problems(seen, datetime.now(UTC), started=self._started, outlets=sources,
                                                 grace=self.health_grace)
                    self.metrics.fleet(waiting=seen.waiting, silent=seen.committer_silent,
                                       committer=bool(self._committer and self._committer.leading),
                                       problems=len(self.health()))
                except psycopg.Error as exc:
                    self._fleet = [f"the fleet's database does not answer: {exc}"]
                    self.metrics.fleet(waiting=0, silent=None, problems=len(self.health()),
                                       committer=bool(self._committer and self._committer.leading))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=CHECK_EVERY)
        finally:
            if db is not None:
                db.close()

    def stop(self) -> None:
        self._stop.set()


async def enqueue_warc(database: str, paths: list[str], *, outlets: list[str], hosts: list[str],
                       only_configured: bool, since: datetime | None, until: datetime | None) -> str:
    """One job per WARC file (a path, or a CC-NEWS file's URL), in the order given, as one ordered stream: its
    name (to wait for it with `progress`)."""
    stream = _new_stream(database, "warc", len(paths))
    await _defer_all(database, "read_warc", [
        {"stream": stream, "seq": seq, "path": path if is_remote(path) else str(Path(path).resolve()),
         "outlets": list[JSONValue](outlets), "hosts": list[JSONValue](hosts), "only_configured": only_configured,
         "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}
        for seq, path in enumerate(paths)])
    return stream


async def enqueue_outlets(database: str, outlets: list[str], *, since: datetime | None, until: datetime | None,
                          from_archive: bool) -> str:
    """One job per outlet to backfill, as one ordered stream (committed outlet after outlet, in the order given): its
    name (to wait for it with `progress`)."""
    stream = _new_stream(database, "outlets", len(outlets))
    await _defer_all(database, "backfill_outlet", [
        {"stream": stream, "seq": seq, "outlet": outlet, "since": since.isoformat() if since else None,
         "until": until.isoformat() if until else None, "from_archive": from_archive}
        for seq, outlet in enumerate(outlets)])
    return stream


async def _defer_all(database: str, task: str, jobs: list[dict[str, JSONValue]]) -> None:
    """Queue `jobs` of `task` on the backfills' queue, in order."""
    app = make_app(database)
    async with app.open_async():
        await apply_queue_schema(app, database)
        for arguments in jobs:
            await app.configure_task(task, queue=ARCHIVES).defer_async(**arguments)


def _new_stream(database: str, kind: str, parts: int) -> str:
    stream = f"{kind}:{uuid.uuid4().hex}"
    with psycopg.connect(database, autocommit=True) as db:
        create_schema(db)
        db.execute("INSERT INTO fleet_streams (stream, files) VALUES (%s, %s)", (stream, parts))
    return stream


@dataclass(frozen=True, slots=True)
class StreamProgress:
    files: int
    done: int  # files committed, in order
    written: int
    duplicates: int
    already: int
    skipped: int
    failed: int = 0  # jobs of the stream that failed (a bug, the output or the state failing): the batch waits
    skips: dict[str, int] = field(default_factory=dict)  # skipped, by reason
    results: dict[str, tuple[str, str]] = field(default_factory=dict)  # an outlets' batch: each one's result, why





def _health_connection(database: str) -> psycopg.Connection[Any]:
    return psycopg.connect(database, autocommit=True, connect_timeout=5, application_name="newsnorm-health")


def is_remote(path: str) -> bool:
    return path.startswith(("http://", "https://"))


def progress(database: str, stream: str) -> StreamProgress:
    with psycopg.connect(database, autocommit=True) as db:
        row = db.execute("SELECT files, current, written, duplicates, already, skipped, skips, results"
                         " FROM fleet_streams WHERE stream = %s", (stream,)).fetchone()
        failed = db.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name IN ('read_warc',"
                            " 'backfill_outlet') AND args ->> 'stream' = %s AND status = 'failed'",
                            (stream,)).fetchone()
    if row is None:
        raise KeyError(stream)
    files, current, written, duplicates, already, skipped = (int(value) for value in row[:6])
    return StreamProgress(files, current, written, duplicates, already, skipped, int(failed[0]) if failed else 0,
                          {str(reason): int(count) for reason, count in (row[6] or {}).items()},
                          {str(outlet): (str(said[0]), str(said[1])) for outlet, said in (row[7] or {}).items()})
