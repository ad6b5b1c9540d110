"""The long-lived service: one APScheduler job per outlet; SIGTERM/SIGINT drain, flush and exit."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scraper.errors import ScraperError
from scraper.pipeline import Pipeline, Summary
from scraper.records import Settings, Source

log = logging.getLogger(__name__)

DEFAULT_GRACE = 7.0  # seconds in-flight work may take after a stop signal; flush and exit follow well within 10 s


async def flush_while_running(pipeline: Pipeline, every: float) -> None:
    """Close output segments that reached their age limit while polls are still running."""
    while True:
        await asyncio.sleep(every)
        try:
            pipeline.flush_if_due()
        except ScraperError as exc:
            log.error("flushing output failed: %s", exc)


class Daemon:
    """Owns the scheduler and the stop signal; the pipeline does the work."""

    def __init__(self, settings: Settings, pipeline: Pipeline, *, grace: float = DEFAULT_GRACE) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.grace = grace
        self.total = Summary()
        self._stop = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        self._stop.set()

    async def _poll(self, source: Source) -> None:
        if self._stop.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        summary = Summary()
        try:
            await self.pipeline.poll(source, limit=source.max_articles, stop=self._stop, summary=summary)
            self.pipeline.flush()
        except asyncio.CancelledError:
            # Only our own shutdown cancels a poll: what it had fetched is already in the sink.
            log.warning("%s: poll abandoned at shutdown; the rest waits for the next run", source.id)
        except ScraperError as exc:
            log.error("%s: poll failed: %s", source.id, exc)
        except Exception:
            # One outlet's bad day must not stop the others; the next poll tries again.
            log.exception("%s: poll failed unexpectedly", source.id)
        finally:
            self.total.merge(summary)
            self._running.discard(task)

    async def run(self) -> Summary:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        scheduler = AsyncIOScheduler(timezone=UTC)
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
        flusher = asyncio.create_task(flush_while_running(self.pipeline, self.settings.segment_seconds / 4))
        scheduler.start()
        log.info("daemon started: %d outlets", len(self.settings.sources))
        try:
            await self._stop.wait()
        finally:
            log.info("stopping: no new polls; waiting up to %gs for running ones", self.grace)
            # Pause, not shutdown: shutting down APScheduler's asyncio executor cancels running jobs
            # at once, and in-flight fetches deserve their grace period.
            scheduler.pause()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            running = set(self._running)
            if running:
                _, late = await asyncio.wait(running, timeout=self.grace)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            scheduler.shutdown(wait=False)
            flusher.cancel()
            self.pipeline.flush()  # everything fetched so far is written before we exit
        log.info(self.total.line("daemon stopped"))
        return self.total
