"""The fleet's commands, called by scraper/cli.py when a database URL is given: a worker (`worker`, `run`), and a
backfill handed to the fleet (`backfill --warc`, `backfill --cc-news`; a backfill of outlets while the fleet runs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import cast

import procrastinate
import psycopg

from scraper.daemon import STOP_SIGNALS
from scraper.db import public_address
from scraper.discover.ccnews import CCNews, Period
from scraper.errors import ScraperError, StateError
from scraper.fetch import Fetcher
from scraper.fetch.shared import SharedHosts
from scraper.fleet.health import STALE_COMMITTER
from scraper.fleet.queue import DATABASE_RETRY, one_line
from scraper.fleet.worker import Worker, enqueue_outlets, enqueue_warc, progress
from scraper.records import Settings
from scraper.summary import PollResult, Summary, counted

log = logging.getLogger(__name__)

WAIT_EVERY = 1.0  # seconds between two looks at a batch's progress
START_WAIT = 60.0  # seconds a worker waits at start for its database to answer


async def work(database: str, settings: Settings, output: str | Path, *, schedule: bool, concurrency: int,
               page_timeout: float, listen: tuple[str, int] | None = None, health_grace: float = 3.0,
               fault: str = "") -> bool:
    """Run a worker until SIGTERM or SIGINT (jobs in flight are finished or left for another worker). False when
    it stopped on its own (its job loop failed): the exit code says so. A database that goes away while the worker
    starts (before its job loop) is waited for again, as at the start, for up to START_WAIT from that first loss."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    asked = asyncio.Event()

    def ask_stop() -> None:
        asked.set()
        stop.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, ask_stop)
    lost: float | None = None  # (monotonic time the database first went away during a start)
    try:
        while True:
            if not await _database_answers(database, stop):
                return True  # stopped while waiting for it
            worker = Worker(database, settings, output, concurrency=concurrency, page_timeout=page_timeout,
                            fault=fault, listen=listen, health_grace=health_grace)
            log.info("worker %s: %d jobs at a time%s", worker.name, concurrency,
                     ", keeping the schedule" if schedule else "", extra={"event": "worker_start"})
            try:
                await worker.run(schedule=schedule, stop=stop)
                break
            except (psycopg.Error, procrastinate.exceptions.ConnectorException, StateError) as exc:
                lost = lost if lost is not None else time.monotonic()
                if (worker.started or stop.is_set() or time.monotonic() - lost >= START_WAIT
                        or not _went_away(exc)):
                    if isinstance(exc, StateError):
                        raise
                    raise unreachable(database, exc) from None
                log.warning("the fleet's database went away while the worker started (%s); waiting for it again",
                            one_line(exc), extra={"event": "database_wait"})
                with contextlib.suppress(TimeoutError):  # (not a loop as fast as the database fails)
                    await asyncio.wait_for(stop.wait(), timeout=DATABASE_RETRY)
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    return asked.is_set()


async def _database_answers(database: str, stop: asyncio.Event) -> bool:
    """Wait up to START_WAIT for the fleet's database to take a connection (a worker started with its database, in
    one compose file, usually starts first); at once a StateError when the server refuses us (a wrong role,
    password or database name). False when stopped while waiting."""
    deadline, said = time.monotonic() + START_WAIT, None
    while True:
        try:
            await asyncio.to_thread(lambda: psycopg.connect(database, connect_timeout=5).close())
            return True
        except psycopg.Error as exc:
            if _refused(exc) or time.monotonic() >= deadline:
                raise unreachable(database, exc) from None
            if said is None or time.monotonic() - said >= 10:
                log.warning("the fleet's database does not answer yet (%s); waiting up to %g s", one_line(exc),
                            START_WAIT, extra={"event": "database_wait"})
                said = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        if stop.is_set():
            return False


def _went_away(exc: BaseException | None) -> bool:
    """Whether an error comes of the connection to the database lost or refused for now (an OperationalError, as
    such or wrapped: the state store says "cannot open the state database: ..."), not of what was asked."""
    while exc is not None:
        if isinstance(exc, psycopg.OperationalError | procrastinate.exceptions.ConnectorException):
            return not (isinstance(exc, psycopg.Error) and _refused(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _refused(exc: psycopg.Error) -> bool:
    """The server answered and refused the connection for good (libpq's "FATAL:"), not while it starts or stops."""
    message = str(exc)
    return "FATAL:" in message and not any(word in message for word in (
        "starting up", "shutting down", "not yet accepting", "not currently accepting", "recovery", "too many"))


def committer_running(database: str) -> bool:
    """Whether a fleet runs on `database`: its committer (which holds the state store) beat lately."""
    try:
        with psycopg.connect(database, autocommit=True, connect_timeout=5) as db:
            if db.execute("SELECT to_regclass('fleet_committer') IS NULL").fetchone() == (True,):
                return False
            beat = db.execute("SELECT extract(epoch FROM now() - beat) FROM fleet_committer").fetchone()
    except psycopg.Error as exc:
        raise unreachable(database, exc) from None
    return beat is not None and float(beat[0]) < STALE_COMMITTER


def unreachable(database: str, exc: Exception) -> StateError:
    """A database that cannot be reached or refuses us, as one line for the user."""
    return StateError(f"cannot connect to the fleet's database {public_address(database)}: {one_line(exc)}")


async def backfill_warc(database: str, paths: list[str], *, outlets: list[str], hosts: list[str],
                        only_configured: bool, since: datetime | None, until: datetime | None,
                        wait: bool) -> Summary | None:
    """Hand one job per file to the fleet; with `wait`, follow the batch until every file is committed and return
    its summary (without, None: the fleet does the rest)."""
    try:
        stream = await enqueue_warc(database, paths, outlets=outlets, hosts=hosts, only_configured=only_configured,
                                    since=since, until=until)
    except (psycopg.Error, procrastinate.exceptions.ConnectorException) as exc:  # (the queue's: its pool)
        raise unreachable(database, exc) from None
    return await _follow(database, stream, len(paths), "file", wait=wait)


async def backfill_outlets(database: str, outlets: list[str], *, since: datetime | None, until: datetime | None,
                           from_archive: bool, wait: bool) -> Summary | None:
    """Hand one job per outlet to the running fleet (its committer holds the state store, so no other process may
    write it); with `wait`, follow the batch as `backfill_warc` does, each outlet's result in the summary."""
    try:
        stream = await enqueue_outlets(database, outlets, since=since, until=until, from_archive=from_archive)
    except (psycopg.Error, procrastinate.exceptions.ConnectorException) as exc:
        raise unreachable(database, exc) from None
    print(f"backfill: the fleet's committer holds the state store: {counted(len(outlets), 'outlet')} handed to the "
          f"running fleet as {stream}", file=sys.stderr)
    return await _follow(database, stream, len(outlets), "outlet", wait=wait)


async def _follow(database: str, stream: str, parts: int, what: str, *, wait: bool) -> Summary | None:
    """A batch just queued: without `wait`, its line (None: the fleet does the rest); with, its progress until
    every file or outlet of it is committed, and its summary."""
    if not wait:
        print(f"backfill: queued={parts} batch={stream}")
        return None
    print(f"backfill: {counted(parts, what)} queued as {stream}", file=sys.stderr)
    summary = Summary()
    shown, away = -1.0, None  # (when the database stopped answering)
    while True:
        try:
            now = progress(database, stream)
            away = None
        except psycopg.Error as exc:  # a restart: waited out like a worker's start; the batch is the fleet's anyway
            began, away = away is None, away if away is not None else time.monotonic()
            if _refused(exc) or time.monotonic() - away >= START_WAIT:
                raise StateError(f"{unreachable(database, exc)}; the fleet goes on with {stream} when it answers"
                                 " (`scraper --database ... stats`)") from None
            if began or time.monotonic() - shown >= 10:
                print(f"progress: the fleet's database does not answer ({one_line(exc)}); waiting up to "
                      f"{START_WAIT:g} s", file=sys.stderr)
                shown = time.monotonic()
            await asyncio.sleep(WAIT_EVERY)
            continue
        if now.done >= now.files:
            break
        if now.failed:
            raise ScraperError(f"{counted(now.failed, what)} of {stream} failed in the fleet (the batch cannot go past"
                               " them): see the workers' logs, and `scraper --database ... stats`")
        if time.monotonic() - shown >= 10:
            print(f"progress: {now.done}/{counted(now.files, what)} committed, {now.written} written", file=sys.stderr)
            shown = time.monotonic()
        await asyncio.sleep(WAIT_EVERY)
    summary.written, summary.duplicates, summary.already = now.written, now.duplicates, now.already
    summary.skips.update({reason: count for reason, count in now.skips.items() if count})
    summary.results.update({outlet: (cast(PollResult, result), why) for outlet, (result, why) in now.results.items()})
    return summary


async def backfill_ccnews(database: str, settings: Settings, period: Period, *, outlets: list[str], hosts: list[str],
                          only_configured: bool, since: datetime | None, until: datetime | None,
                          wait: bool) -> Summary | None:
    """The period's CC-NEWS files, listed here and handed to the fleet one job per file, oldest first: the
    workers stream each from Common Crawl's server as a one-machine `--cc-news` does. A listing that cannot be
    read, or that holds no file of the period, is the summary's `cc-news` result and nothing is queued."""
    summary = Summary()
    try:
        shared = SharedHosts(database)  # the listings are asked for in the fleet's pace of the host
    except psycopg.Error as exc:
        raise unreachable(database, exc) from None
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
