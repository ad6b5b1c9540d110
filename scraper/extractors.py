"""Articles prepared off the event loop (scraper/prepare.py): in one thread, or in a pool of worker processes
(scraper/workers.py) that is replaced after a number of pages, and at once when a worker dies; the pages that were in
flight then run again, each alone, so that the one that kills a worker again is skipped and the others are not
blamed for it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool

from scraper.analyse import Analyser
from scraper.errors import Skip, WorkerError
from scraper.prepare import Prepared, prepare
from scraper.records import Fetched, Link, Source
from scraper.workers import hard_limit, make_executor, prepare_in_worker, stop_executor, worker_ready

log = logging.getLogger(__name__)

# New worker pools started in a row, each checked to run an empty task, before the run gives up on them.
MAX_POOL_STARTS = 3
# Pages a pool of worker processes reads, per worker, before it is replaced by a new one (a second and a half of
# start-up per worker, every few hours of a busy run). What a process keeps for good is then bounded: lxml's parser
# dictionary keeps every distinct tag and attribute name it ever parsed (46 bytes each; build-hashed names such
# as Vue's data-v-1a2b3c4d add up over weeks), and a heap fragments.
PAGES_PER_WORKER = 10_000
# Seconds a page may take in a worker process: the longest eval page takes well under one.
PAGE_TIMEOUT = 120.0


class Quarantine:
    """Pages run in the worker pool together; a suspect (a page in flight when a worker died) runs alone.

    A dead worker breaks the whole pool: every page in flight fails with it, and nothing says which one
    killed it. Each runs again with nothing beside it, so the one that kills a worker once more is the
    culprit, and the others are not blamed for it.
    """

    def __init__(self) -> None:
        self._running = 0  # pages in the pool now
        self._suspects = 0  # suspects waiting to run, or running
        self._alone = False  # a suspect is running
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def together(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self._suspects == 0)
            self._running += 1
        try:
            yield
        finally:
            async with self._changed:
                self._running -= 1
                self._changed.notify_all()

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        async with self._changed:
            self._suspects += 1
            await self._changed.wait_for(lambda: self._running == 0 and not self._alone)
            self._alone = True
        try:
            yield
        finally:
            async with self._changed:
                self._suspects -= 1
                self._alone = False
                self._changed.notify_all()


class Extractors:
    """Prepares one article at a time for its caller, many at once: in one thread (trafilatura's caches are not
    thread-safe) when `workers` is 0, else in a pool of that many processes. Close it with `close()`."""

    def __init__(self, workers: int, alias_files: Sequence[str] = (), *, analyser: Analyser | None = None,
                 fault: str = "", page_timeout: float = PAGE_TIMEOUT,
                 pages_per_worker: int = PAGES_PER_WORKER) -> None:
        """`analyser`: the one thread's (built at its first page when None); worker processes build their own.
        `fault`: the test hook of scraper/workers.py."""
        self._workers = workers
        self._alias_files = tuple(alias_files)
        self._analyser = analyser
        self._fault = fault
        self._page_timeout = page_timeout  # in worker processes only: a thread cannot be interrupted
        self._executor = make_executor(workers, alias_files, fault, page_timeout)
        self._pool_pages = max(1, workers) * pages_per_worker  # then the pool is replaced (`_pool`)
        self._pages_in_pool = 0
        self._pool_lock = asyncio.Lock()
        self._quarantine = Quarantine()
        self._failed = ""  # why the worker pools were given up on, once they were

    @property
    def problem(self) -> str:
        """Why extraction cannot run (its worker processes die as they start); empty when it can."""
        return self._failed

    def close(self) -> None:
        """Stop the workers. A page one of them is still reading (a stop came mid-run) is dropped with it: its
        link is pending, and the next run reads it; waiting could take the whole page time limit, past any
        container's stop timeout."""
        stop_executor(self._executor)

    async def prepare(self, fetched: Fetched | None, source: Source, link: Link | None) -> Prepared:
        """The article's record and story print, from its page, or (`fetched` None) from its feed item alone."""
        loop = asyncio.get_running_loop()
        if self._workers <= 0:
            if self._analyser is None:
                self._analyser = Analyser(alias_files=self._alias_files)
            return await loop.run_in_executor(self._executor, prepare, fetched, source, self._analyser, link)
        suspect = False
        while True:
            if self._failed:
                raise WorkerError(self._failed)
            async with self._quarantine.alone() if suspect else self._quarantine.together():
                executor = self._pool()
                started = loop.time()
                try:
                    return await loop.run_in_executor(executor, prepare_in_worker, fetched, source, link)
                except BrokenProcessPool:
                    # A worker died (killed, out of memory, on one of the pages in flight, or ended at a page's
                    # hard limit): the pool is unusable from then on. A new one, and one more try for the page, alone.
                    took = loop.time() - started
                    await self._replace_pool(executor)
            if suspect:
                # It killed a worker with nothing else running, and a new pool ran its empty task since.
                if self._page_timeout > 0 and took >= hard_limit(self._page_timeout):
                    raise Skip("extract_timeout", f"still running after {hard_limit(self._page_timeout):g}s, "
                                                  "in a call its time limit could not interrupt: its worker was ended")
                raise Skip("worker_died", "its extraction worker died on it, twice")
            suspect = True

    def _pool(self) -> Executor:
        """The worker pool to give the next page to: a new one every `_pool_pages` pages. The old one finishes
        the pages it has and its processes exit (never while a broken pool is being replaced)."""
        self._pages_in_pool += 1
        if self._pages_in_pool > self._pool_pages and not self._pool_lock.locked():
            log.info("replacing the extraction workers after %d pages", self._pages_in_pool - 1,
                     extra={"event": "pool_rotate"})
            old, self._pages_in_pool = self._executor, 1
            self._executor = make_executor(self._workers, self._alias_files, self._fault, self._page_timeout)
            old.shutdown(wait=False)
        return self._executor

    async def _replace_pool(self, broken: Executor) -> None:
        """A new pool for a broken one, started once for all the pages that saw it break, and checked to run
        an empty task: workers that die as they start are no page's fault. WorkerError after
        MAX_POOL_STARTS pools in a row that could not."""
        async with self._pool_lock:
            if self._failed:
                raise WorkerError(self._failed)
            if self._executor is not broken:
                return  # replaced, and checked, while this page waited for the lock
            loop = asyncio.get_running_loop()
            for _ in range(MAX_POOL_STARTS):
                log.error("an extraction worker died; starting a new pool", extra={"event": "pool_restart"})
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = broken = make_executor(self._workers, self._alias_files, self._fault,
                                                        self._page_timeout)
                self._pages_in_pool = 0
                try:
                    await loop.run_in_executor(broken, worker_ready)
                    return
                except BrokenProcessPool:
                    continue
            self._failed = (f"the extraction workers die as they start ({MAX_POOL_STARTS} new pools in a row; "
                                 "out of memory?): stopped, the pages in flight are left for the next run")
            log.error(self._failed, extra={"event": "pool_failed"})
            raise WorkerError(self._failed)
