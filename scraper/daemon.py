"""The long-lived service: one APScheduler job per outlet, /healthz and /metrics; SIGTERM drains and flushes."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.interval import IntervalTrigger

from scraper.errors import OutputError, ScraperError
from scraper.metrics import Metrics
from scraper.pipeline import Pipeline
from scraper.records import Settings, Source, iso_utc
from scraper.service import StatusServer
from scraper.summary import PollResult, Summary, found_new, quiet

log = logging.getLogger(__name__)

# The signals that stop a run, a backfill or a worker cleanly (in-flight work finished, segments written): SIGHUP
# too, which a closed terminal or SSH session sends (its default would end the process on the spot).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

# Seconds in-flight work may take after SIGTERM. With the flush after it, the daemon exits within 10 s,
# Docker's default stop timeout before SIGKILL.
DEFAULT_GRACE = 7.0
# An outlet with no `ok` poll for this many times its interval makes /healthz answer 503.
DEFAULT_HEALTH_GRACE = 3.0


async def flush_while_running(pipeline: Pipeline, every: float) -> None:
    """Close output segments that reached their age limit while polls are still running."""
    while True:
        await asyncio.sleep(every)
        try:
            pipeline.flush_if_due()
        except ScraperError as exc:
            log.error("flushing output failed: %s", exc, extra={"event": "output_error"})


def output_problems(root: str | os.PathLike[str]) -> list[str]:
    """Why the output directory cannot take records now (empty when it can)."""
    try:
        with tempfile.NamedTemporaryFile(dir=root, prefix=".healthz-", suffix=".tmp"):
            pass
    except OSError as exc:
        return [f"output directory {root} is not writable: {exc.strerror}"]
    return []


class Daemon:
    """Owns the scheduler, the status endpoint and the stop signal; the pipeline does the work."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        *,
        grace: float = DEFAULT_GRACE,
        listen: tuple[str, int] | None = None,
        metrics: Metrics | None = None,
        output_root: str | os.PathLike[str] = "output",
        health_grace: float = DEFAULT_HEALTH_GRACE,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.grace = grace
        self.listen = listen
        self.metrics = metrics or Metrics()
        self.output_root = output_root
        self.total = Summary()
        self.server: StatusServer | None = None
        self._stop = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._output_error: str | None = None
        self.health_grace = health_grace
        self._started = datetime.now(UTC)
        # The last `ok` poll of each outlet (from the state store: a restart does not reset the clock).
        self._last_ok: dict[str, datetime] = {
            str(row["outlet"]): datetime.fromisoformat(str(row["last_success"]))
            for row in pipeline.state.outlets.outlet_stats(self._started) if row["last_success"]}
        self._last_result: dict[str, str] = {}
        self._overrunning: dict[str, datetime] = {}  # outlet -> start of a poll still running past its interval
        self._poll_started: dict[str, datetime] = {}  # outlet -> start of its running poll
        # The last poll of each outlet that found an article not written before (state store too).
        self._last_new: dict[str, datetime] = pipeline.state.outlets.last_new()
        for outlet, when in self._last_new.items():
            self.metrics.found_new(outlet, when.timestamp())

    def stop(self) -> None:
        self._stop.set()

    def health(self) -> list[str]:
        problems = []
        if self._scheduler is None or self._scheduler.state != STATE_RUNNING or self._stop.is_set():
            problems.append("the scheduler is not running")
        problems += output_problems(self.output_root)
        if self._output_error:
            problems.append(f"the last write failed: {self._output_error}")
        problems += self.pipeline.problems()
        now = datetime.now(UTC)
        problems += self._silent(now)
        problems += [said for source in self.settings.sources if self._last_result.get(source.id) == "ok"
                     and (said := quiet(source.id, source.quiet_after, self._last_new.get(source.id), self._started,
                                        now))]
        return problems

    def warnings(self) -> list[str]:
        """The outlets whose last poll failed but which are not silent for long enough to be a problem yet: what
        /healthz lists beside its problems, so that an outlet that cannot be reached shows from its first poll,
        while a container does not turn unhealthy on one failed poll."""
        now = datetime.now(UTC)
        found = []
        for source in self.settings.sources:
            last = self._last_result.get(source.id, "ok")
            since = self._last_ok.get(source.id) or self._started
            deadline = since + timedelta(seconds=self.health_grace * source.interval)
            if last != "ok" and now <= deadline:
                found.append(f"{source.id}: last poll {last}; unhealthy from {iso_utc(deadline)} if no poll "
                             f"succeeds before")
        return found

    async def _poll(self, source: Source) -> None:
        if self._stop.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        self._poll_started[source.id] = datetime.now(UTC)
        try:
            self.pipeline.state.outlets.record_poll_start(source.id, datetime.now(UTC))
        except ScraperError as exc:
            log.error("%s: %s", source.id, exc)
        summary = Summary()
        error: str | None = "abandoned at shutdown"
        try:
            # Segments close when they are full or old enough (`_close_segments`), not after each poll: a tailing
            # consumer gets the files `[output]` promises, and what is not yet on disk is still pending.
            await self.pipeline.poll(source, limit=source.max_articles, stop=self._stop, summary=summary)
            error = None
            if summary.written or summary.revised or summary.deleted:
                self._output_error = None  # the output took records again (a segment closed by count does too)
        except asyncio.CancelledError:
            # Only our own shutdown cancels a poll: what it had fetched is already in the sink.
            log.warning("%s: poll abandoned at shutdown; the rest waits for the next run", source.id,
                        extra={"event": "poll_abandoned", "outlet": source.id})
        except ScraperError as exc:
            error = str(exc)
            if isinstance(exc, OutputError):
                self._output_error = error
            log.error("%s: poll failed: %s", source.id, exc, extra={"event": "poll_failed", "outlet": source.id})
        except Exception as exc:
            # One outlet's bad day must not stop the others; the next poll tries again.
            error = f"{type(exc).__name__}: {exc}"
            log.exception("%s: poll failed unexpectedly", source.id, extra={"event": "poll_failed",
                                                                             "outlet": source.id})
        finally:
            self.total.merge(summary)
            self._running.discard(task)
            self._poll_started.pop(source.id, None)
            if (overran := self._overrunning.pop(source.id, None)) is not None:
                log.info("%s: the poll that overran its interval ended after %.0f s", source.id,
                         (datetime.now(UTC) - overran).total_seconds(), extra={"event": "poll_overran",
                                                                               "outlet": source.id})
            outcome: tuple[PollResult, str] = ("error", error) if error is not None else summary.result()
            self._record_poll(source, *outcome, new=found_new(summary))

    def _record_poll(self, source: Source, result: PollResult, why: str, *, new: bool = False) -> None:
        now = datetime.now(UTC)
        self._last_result[source.id] = f"{result} ({why})" if why else result
        if new:
            self._last_new[source.id] = now
            self.metrics.found_new(source.id, now.timestamp())
        if result == "ok":
            self._last_ok[source.id] = now
        else:
            log.warning("%s: poll %s: %s", source.id, result, why,
                        extra={"event": "poll_" + result, "outlet": source.id, "reason": why})
        paused = sorted(self.pipeline.fetcher.paused_hosts())
        self.metrics.polled(source.id, result, now.timestamp())
        self.metrics.hosts_paused(len(paused))
        try:
            self.pipeline.state.outlets.record_poll(source.id, now, result, why, paused, found_new=new)
        except ScraperError as exc:
            log.error("%s: %s", source.id, exc)

    def _silent(self, now: datetime) -> list[str]:
        """The outlets that have had no `ok` poll for `health_grace` times their interval (counted from the
        daemon's start for those that never had one)."""
        silent = []
        for source in self.settings.sources:
            since = self._last_ok.get(source.id) or self._started
            if now - since > timedelta(seconds=self.health_grace * source.interval):
                last = self._last_ok.get(source.id)
                when = f"since {iso_utc(last)}" if last else "since the daemon started"
                silent.append(f"{source.id}: no successful poll {when} (every {source.interval:g}s; last: "
                              f"{self._last_result.get(source.id, 'none yet')})")
        return silent

    async def _close_segments(self, every: float) -> None:
        """Close the output segments that reached `segment_records` or `segment_seconds`, as they do."""
        while True:
            await asyncio.sleep(every)
            try:
                if self.pipeline.flush_if_due():
                    self._output_error = None
            except ScraperError as exc:
                if isinstance(exc, OutputError):
                    self._output_error = str(exc)
                log.error("closing an output segment failed: %s", exc, extra={"event": "output_error"})

    def _missed(self, event: JobExecutionEvent) -> None:
        # With coalesce=True a backlog of missed runs arrives as one event: one line per gap.
        log.warning("%s: a scheduled poll was missed (the loop was blocked or the machine slept); "
                    "polling once now", event.job_id, extra={"event": "poll_missed", "outlet": event.job_id})

    def _still_running(self, event: JobEvent) -> None:
        """A poll came due while the last is still running (APScheduler skips it): said once per long poll."""
        started = self._poll_started.get(event.job_id)
        if started is None or event.job_id in self._overrunning:
            return
        self._overrunning[event.job_id] = started
        interval = next((s.interval for s in self.settings.sources if s.id == event.job_id), 0.0)
        log.warning("%s: the poll started at %s is still running after its interval (%gs): the next starts at the "
                    "first interval after it ends (fewer max_articles, or a longer interval, keep polls shorter)",
                    event.job_id, iso_utc(started), interval,
                    extra={"event": "poll_overran", "outlet": event.job_id})

    def _schedule(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_listener(self._missed, EVENT_JOB_MISSED)
        scheduler.add_listener(self._still_running, EVENT_JOB_MAX_INSTANCES)
        now = datetime.now(UTC)
        for source in self.settings.sources:
            scheduler.add_job(
                self._poll,
                IntervalTrigger(seconds=source.interval, timezone=UTC),
                args=[source],
                id=source.id,
                name=source.name,
                next_run_time=now,  # poll every outlet once at start-up
                coalesce=True,  # runs missed while the machine slept become one
                max_instances=1,  # never two polls of one outlet at once
                misfire_grace_time=max(1, int(source.interval // 2)),
            )
        return scheduler

    async def run(self) -> Summary:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self.stop)
        if self.listen is not None:
            self.server = StatusServer(*self.listen, metrics=self.metrics, health=self.health,
                                       warnings=self.warnings)
            await self.server.start()
        self._scheduler = scheduler = self._schedule()
        flusher = asyncio.create_task(self._close_segments(min(1.0, self.settings.segment_seconds / 4)))
        scheduler.start()
        log.info("daemon started: %d outlets", len(self.settings.sources), extra={"event": "start"})
        try:
            await self._stop.wait()
        finally:
            log.info("stopping: no new polls; waiting up to %gs for running ones", self.grace,
                     extra={"event": "stopping"})
            # Pause, not shutdown: shutting down APScheduler's asyncio executor cancels running jobs
            # at once, and in-flight fetches deserve their grace period.
            scheduler.pause()
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)
            await self._drain()
            scheduler.shutdown(wait=False)
            flusher.cancel()
            self.pipeline.flush()  # everything fetched so far is written before we exit
            if self.server is not None:
                await self.server.close()
        log.info(self.total.line("daemon stopped"), extra={"event": "stopped"})
        return self.total

    async def _drain(self) -> None:
        running: set[asyncio.Task[Any]] = set(self._running)
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=self.grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
