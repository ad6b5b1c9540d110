"""The fleet's commands, called by scraper/cli.py when a database URL is given: a worker (`worker`, `run`), and a
WARC backfill handed to the fleet (`backfill --warc`, `backfill --cc-news`)."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import datetime
from pathlib import Path

from scraper.daemon import STOP_SIGNALS
from scraper.discover.ccnews import CCNews, Period
from scraper.errors import ScraperError
from scraper.fetch import Fetcher
from scraper.fetch.shared import SharedHosts
from scraper.fleet.worker import Worker, enqueue_warc, progress
from scraper.records import Settings
from scraper.summary import Summary

log = logging.getLogger(__name__)

WAIT_EVERY = 1.0  # seconds between two looks at a batch's progress


async def work(database: str, settings: Settings, output: str | Path, *, schedule: bool, concurrency: int,
               page_timeout: float, listen: tuple[str, int] | None = None, health_grace: float = 3.0,
               fault: str = "") -> bool:
    """Run a worker until SIGTERM or SIGINT (jobs in flight are finished or left for another worker). False when
    it stopped on its own (its job loop failed): the exit code says so."""
    worker = Worker(database, settings, output, concurrency=concurrency, page_timeout=page_timeout, fault=fault,
                    listen=listen, health_grace=health_grace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    asked = asyncio.Event()

    def ask_stop() -> None:
        asked.set()
        stop.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, ask_stop)
    log.info("worker %s: %d jobs at a time%s", worker.name, concurrency, ", keeping the schedule" if schedule else "",
             extra={"event": "worker_start"})
    try:
        await worker.run(schedule=schedule, stop=stop)
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    return asked.is_set()


async def backfill_warc(database: str, paths: list[str], *, outlets: list[str], hosts: list[str],
                        only_configured: bool, since: datetime | None, until: datetime | None,
                        wait: bool) -> Summary | None:
    """Hand one job per file to the fleet; with `wait`, follow the batch until every file is committed and return
    its summary (without, None: the fleet does the rest)."""
    stream = await enqueue_warc(database, paths, outlets=outlets, hosts=hosts, only_configured=only_configured,
                                since=since, until=until)
    if not wait:
        print(f"backfill: queued={len(paths)} batch={stream}")
        return None
    print(f"backfill: {len(paths)} files queued as {stream}", file=sys.stderr)
    summary = Summary()
    shown = -1.0
    while True:
        now = progress(database, stream)
        if now.done >= now.files:
            break
        if now.failed:
            raise ScraperError(f"{now.failed} files of {stream} failed in the fleet (the batch cannot go past them):"
                               " see the workers' logs, and `scraper --database ... stats`")
        if time.monotonic() - shown >= 10:
            print(f"progress: {now.done}/{now.files} files committed, {now.written} written", file=sys.stderr)
            shown = time.monotonic()
        await asyncio.sleep(WAIT_EVERY)
    summary.written, summary.duplicates, summary.already = now.written, now.duplicates, now.already
    summary.skips.update({reason: count for reason, count in now.skips.items() if count})
    return summary


async def backfill_ccnews(database: str, settings: Settings, period: Period, *, outlets: list[str], hosts: list[str],
                          only_configured: bool, since: datetime | None, until: datetime | None,
                          wait: bool) -> Summary | None:
    """The period's CC-NEWS files, listed here and handed to the fleet one job per file, oldest first: the
    workers stream each from Common Crawl's server as a one-machine `--cc-news` does. A listing that cannot be
    read, or that holds no file of the period, is the summary's `cc-news` result and nothing is queued."""
    summary = Summary()
    shared = SharedHosts(database)  # the listings are asked for in the fleet's pace of the host
    async with Fetcher(concurrency=settings.concurrency) as fetcher:
        fetcher.gate.shared = shared
        try:
            urls, failed = await CCNews.of(fetcher, settings).listed(period)
        finally:
            shared.close()
    if failed is not None:
        summary.results["cc-news"] = failed
        return summary
    return await backfill_warc(database, urls, outlets=outlets, hosts=hosts, only_configured=only_configured,
                               since=since, until=until, wait=wait)
