"""One poll of one outlet through every stage: discover → fetch → extract → analyse → dedup → sink.

No scheduling and no argv here: the daemon calls `poll` on a timer, backfill calls it once, and
`scraper extract` uses `analyse_page`, the pure part, on single pages. Each article goes through `process`
(fetch, prepare in a worker process through extractors.py, then the writer: the single-writer stage of commit.py,
or a fleet's hand-off). A poll finds its links through runs/discovery.py and ends by reading the outlet's recent
articles again (runs/revisits.py); a WARC file is read through the same `process` by runs/warc.py, and an outlet's
captures in the web archive by runs/archive.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scraper.analyse import Analyser
from scraper.commit import Committer, Writer, in_range
from scraper.dedup import DedupOptions
from scraper.drift import DEFAULT_LIMIT, RuleWatch
from scraper.errors import OutputError, ScraperError, Skip, StateError, WorkerError
from scraper.extractors import PAGE_TIMEOUT, PAGES_PER_WORKER, Extractors
from scraper.fetch import Fetcher
from scraper.fetch.conditional import UNCONDITIONAL_EVERY
from scraper.fetch.wayback import Wayback
from scraper.observe import NullObserver, Observer
from scraper.prepare import Prepared, from_feed
from scraper.records import EPOCH, Archive, Fetched, Link, Source
from scraper.revisit import gone_to_front_page
from scraper.runs.discovery import PENDING_FOR, Discovery, Walked
from scraper.runs.revisits import Revisits
from scraper.sink import Sink
from scraper.skips import Skips
from scraper.state import State
from scraper.summary import EXTRACTION_FAILURES, TRANSIENT, UNREACHABLE, Summary
from scraper.urls import canonicalize

log = logging.getLogger(__name__)

# Articles in a row that could not be read (their indexes answering) before the outlet's polls are errors: it
# collects nothing. A feed listing a few deleted articles stays well under it.
ARTICLES_IN_ROW = 10
# After a stop signal, articles in flight get this long before a one-shot run drops them (they stay pending).
STOP_GRACE = 1.0
WORKERS_PER_POLL = 8


class InOrder:
    """Lets numbered tasks through one at a time in number order; a number marked done is passed over."""

    def __init__(self) -> None:
        self._next = 0
        self._done: set[int] = set()
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._stopped: ScraperError | None = None

    async def wait(self, position: int) -> None:
        if self._stopped is not None:
            raise type(self._stopped)(*self._stopped.args)
        if self._next != position:
            waiter = self._waiters[position] = asyncio.get_running_loop().create_future()
            await waiter
            if self._stopped is not None:  # stopped after its turn came, before it ran
                raise type(self._stopped)(*self._stopped.args)

    def stop(self, error: ScraperError) -> None:
        """No later number gets its turn: each one waiting, or to wait, gets `error` (a copy) instead.
        For a failure that ends the run, so that nothing after the failed task is recorded."""
        self._stopped = error
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(type(error)(*error.args))
        self._waiters.clear()

    def done(self, position: int) -> None:
        if self._stopped is not None:
            return
        self._done.add(position)
        while self._next in self._done:
            self._done.discard(self._next)
            self._next += 1
        waiter = self._waiters.pop(self._next, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)




@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """How a pipeline runs, beside what it runs on."""

    workers: int = 0  # extraction processes; 0: one thread (trafilatura's caches are not thread-safe)
    alias_files: tuple[str, ...] = ()  # the name alias tables each extraction worker loads
    page_timeout: float = PAGE_TIMEOUT  # seconds a page may take in a worker process (`extract_timeout`)
    pages_per_worker: int = PAGES_PER_WORKER  # then a pool of worker processes is replaced
    drift_after: int = DEFAULT_LIMIT  # pages in a row an outlet's own rule may match nothing before it has drifted
    unconditional_every: int = UNCONDITIONAL_EVERY  # every this many requests of a feed is unconditional
    dedup: DedupOptions | None = None  # the story index's; None: its defaults
    fault: str = ""  # the test hook (SCRAPER_FAULT; scraper/workers.py)


class Pipeline:
    """Runs polls against one fetcher, state store and sink. Close it with `close()`."""

    def __init__(
        self,
        fetcher: Fetcher,
        state: State,
        sink: Sink | None,
        analyser: Analyser | None = None,
        options: PipelineOptions | None = None,
        *,
        observer: Observer | None = None,
        wayback: Wayback | None = None,
        writer: Writer | None = None,
    ) -> None:
        """`writer`: where prepared records go; by default a Committer of `state` and `sink` in this process (a
        fleet's worker hands them to the database instead: scraper/fleet/). `wayback`: the web archive outlets with
        `fallback = "wayback"` are read through."""
        options = options or PipelineOptions()
        self.fetcher = fetcher
        self.state = state
        self.sink = sink
        self.observer = observer or NullObserver()
        self.workers = options.workers
        if writer is None:
            if sink is None:
                raise ValueError("a pipeline that writes itself needs a sink (or give it a writer)")
            writer = Committer(state, sink, options.dedup, observer=self.observer, fault=options.fault)
        self.writer: Writer = writer
        self.rules = RuleWatch(state, self.observer, options.drift_after)
        self.wayback = wayback
        self.extractors = Extractors(options.workers, options.alias_files, analyser=analyser, fault=options.fault,
                                     page_timeout=options.page_timeout, pages_per_worker=options.pages_per_worker)
        self.revisits = Revisits(fetcher, state, self.extractors, self.writer)
        self.skips = Skips(state, self.observer)
        self.discovery = Discovery(fetcher, state, self.rules, self.skips, options.unconditional_every)
        self._failures_pruned: dict[str, datetime] = {}  # outlet -> when its old failed URLs were last pruned

    def problems(self) -> list[str]:
        """What keeps the pipeline from collecting as it should, for /healthz."""
        problems = [self.extractors.problem] if self.extractors.problem else []
        return problems + self.writer.problems() + self.rules.problems() + self.revisits.problems()

    def close(self) -> None:
        """Stop the extraction workers (a page one of them is still reading is dropped with it: see
        `Extractors.close`)."""
        self.extractors.close()

    def flush(self) -> None:
        """Make written records durable, then record them in the state store (`Committer.flush`); and the rule
        counters."""
        self.writer.flush()
        self.rules.save()

    def flush_if_due(self) -> bool:
        """Close segments that reached their size or age limit (called on a timer); True when it did."""
        return self.writer.flush_if_due()

    def abort(self) -> None:
        """Drop what is not durable yet, in the sink and in the state alike; it is fetched again later."""
        self.writer.abort()

    def reconcile(self, strip_query: Mapping[str, tuple[str, ...]]) -> int:
        """Commit the reports of segments that reached the disk but whose state commit was lost in a crash."""
        return self.writer.reconcile(strip_query)

    # --- one article ---------------------------------------------------------------------------------
    async def process(
        self, source: Source, link: Link, summary: Summary,
        since: datetime | None = None, until: datetime | None = None,
        *, fetched: Fetched | None = None, archive: Archive | None = None,
        turns: InOrder | None = None, position: int = 0,
        on_turn: Callable[[str | None], None] | None = None, via_archive: bool = False,
    ) -> None:
        """Fetch (unless `fetched` is given), extract, analyse and deduplicate one link; hand it to the sink.

        With `turns`, links are deduplicated and written in `position` order whatever order their
        fetches and extractions finish in, so several workers decide exactly as one would. `on_turn` is
        called in the link's turn with the reason it was skipped for before deduplication (None if it was not).
        """
        try:
            prepared = await self._prepare(source, link, summary, fetched, via_archive)
            if turns is not None:
                await turns.wait(position)
            if not isinstance(prepared, str):
                page, ready, captured = prepared
                self.writer.finish(source, link, summary, since, until, page.final_url if page else link.url, ready,
                                   captured or archive)
            if on_turn is not None:
                # Still this link's turn: whatever it records follows every earlier link.
                on_turn(prepared if isinstance(prepared, str) else None)
        except Exception as exc:
            # The run ends here (output, workers or state store failing; or a bug): no later link may take its
            # turn and record its progress past this one.
            if turns is not None:
                turns.stop(exc if isinstance(exc, ScraperError) else ScraperError(f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            if turns is not None:
                turns.done(position)

    async def _prepare(
        self, source: Source, link: Link, summary: Summary, fetched: Fetched | None, via_archive: bool = False,
    ) -> tuple[Fetched | None, Prepared, Archive | None] | str:
        """The page (None for a feed-only item), its record and its fingerprint, and where it was read when that
        was a web archive; or, when it was skipped (and counted), the reason."""
        try:
            captured: Archive | None = None
            if fetched is None and not link.feed_only:
                if via_archive:
                    assert self.wayback is not None
                    fetched, captured = await self.wayback.read(link.url, source)
                else:
                    fetched = await self.fetcher.page(link.url, source)
                    if gone_to_front_page(fetched.final_url, link.url, source.homepage):
                        # Not an article: its front page would be taken for one (a removed article, or a link
                        # that never led to one).
                        raise Skip("redirect_home", f"redirected to the front page {fetched.final_url}")
            prepared = await self.extractors.prepare(fetched, source, link)
            self.rules.note(source.id, prepared.rules)
            return fetched, prepared, captured
        except Skip as skip:
            if (link.aggregator_url is not None and not link.feed_only and not via_archive
                    and skip.reason not in TRANSIENT and skip.reason not in UNREACHABLE):
                # An aggregator's item whose publisher page cannot be had (a consent wall, a 403, no article on
                # it): the item itself (headline, publisher, date) is the report, as for an opaque link.
                log.info("%s: the publisher's page %s cannot be had (%s): the feed item is the record", source.id,
                         link.url, skip, extra={"event": "feed_only", "outlet": source.id, "url": link.url,
                                                "reason": skip.reason})
                return await self._prepare(source, replace(link, feed_only=True), summary, None)
            self.skips.skipped(summary, source, link.url, skip)
            return skip.reason
        except WorkerError:
            raise  # no fault of the page's: it is left for the next run
        except Exception as exc:
            # A bug or a pathological page in a library must cost one article, never the daemon.
            log.exception("%s: extracting %s failed", source.id, link.url)
            self.skips.skipped(summary, source, link.url, Skip("extract_error", f"{type(exc).__name__}: {exc}"))
            return "extract_error"

    # --- a whole poll --------------------------------------------------------------------------------
    async def poll(
        self,
        source: Source,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        stop: asyncio.Event | None = None,
        summary: Summary | None = None,
        backfill: bool = False,
        stop_grace: float | None = None,
    ) -> Summary:
        """Discover and process an outlet's new articles once. `stop` ends it early; nothing is lost.

        With `stop_grace` (a one-shot run), articles still in flight that long after `stop` are dropped and
        stay pending; without it the caller decides (the daemon gives them its own grace, then cancels the poll).

        Counts go into `summary` as they happen (a new one if none is given), so a caller that cancels
        the poll still knows what it did.
        """
        summary = summary if summary is not None else Summary()
        walked: list[Walked] = []
        started = datetime.now(UTC)
        discovery = asyncio.ensure_future(self.discovery.discover(source, summary, since, until, backfill=backfill,
                                                                  walked=walked, stop=stop))
        if stop is not None:
            # A stop signal ends discovery at once (a request can take its whole timeout): what it found is
            # pending already.
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({discovery, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not discovery.done():
                discovery.cancel()
                await asyncio.gather(discovery, return_exceptions=True)
                log.info("%s: stopped while discovering; the links found wait for the next run", source.id,
                         extra={"event": "poll_stopped", "outlet": source.id})
                return summary
        await discovery
        if stop is not None and stop.is_set():
            return summary
        via_archive = False
        result, why = summary.result()
        if result in ("unreachable", "refused") and source.fallback == "wayback" and self.wayback is not None:
            # The outlet does not answer us: read it as the web archive last captured it.
            read = await self.discovery.from_archive(source, since, until, self.wayback)
            summary.archive_indexes += read
            via_archive = True
            log.info("%s: %s (%s); read through the archive: %d of its feeds and listings", source.id, result, why,
                     read, extra={"event": "archive_fallback", "outlet": source.id})
        links = self.discovery.waiting(source, summary, since, until, started, limit)
        self.observer.discovered(source.id, len(links))
        queue: asyncio.Queue[tuple[int, Link]] = asyncio.Queue()
        for position, link in enumerate(links):
            queue.put_nowait((position, link))
        turns = InOrder()
        failure: list[OutputError | WorkerError | StateError] = []

        async def worker() -> None:
            while not queue.empty() and not failure and not (stop and stop.is_set()):
                position, link = queue.get_nowait()
                try:
                    await self.process(source, link, summary, since, until, turns=turns, position=position,
                                       fetched=from_feed(link) if source.from_feed else None,
                                       via_archive=via_archive)
                except (OutputError, WorkerError, StateError) as exc:
                    failure.append(exc)  # the other workers stop too: nothing can be written now
                finally:
                    self.observer.processed(source.id)

        # Enough links in flight to keep every extraction worker and the network busy.
        tasks = [asyncio.ensure_future(worker()) for _ in range(min(WORKERS_PER_POLL + 2 * self.workers, len(links)))]
        running: set[asyncio.Future[Any]] = set(tasks)
        if running and stop is not None and stop_grace is not None:
            stopping = asyncio.ensure_future(stop.wait())
            while running and not stopping.done():
                _, running = await asyncio.wait(running | {stopping}, return_when=asyncio.FIRST_COMPLETED)
                running.discard(stopping)
            stopping.cancel()
            if running:
                # Stopped: the articles in flight get a moment, then stay pending for the next run.
                await asyncio.wait(running, timeout=stop_grace)
                for task in running:
                    task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
                raise outcome
        if failure:
            raise failure[0]
        self._mark_walked(source, walked, since, until)
        self._count_articles(source, summary, backfill)
        if not backfill and started - self._failures_pruned.get(source.id, EPOCH) > timedelta(days=1):
            # URLs that failed and that no index has listed since: `stats` counts what is failing now.
            self.state.links.prune_failures(source.id, started - PENDING_FOR)
            self._failures_pruned[source.id] = started
        if (not backfill and since is None and until is None and not via_archive and result == "ok"
                and source.revisit_every is not None):
            await self.revisits.run(source, summary, started, stop)
        self.rules.save()
        log.info(summary.line(source.id), extra={"event": "poll", "outlet": source.id})
        return summary

    def _count_articles(self, source: Source, summary: Summary, backfill: bool) -> None:
        """Keep the outlet's streak of articles that could not be read; when it reaches ARTICLES_IN_ROW (or, in a
        backfill, when none of the articles tried could be read), the poll is an `error` that says why."""
        collected = summary.written + summary.duplicates + summary.already + summary.handed
        failed = summary.article_failures
        in_row, reasons = self.state.outlets.note_articles(source.id, collected, failed, datetime.now(UTC))
        if in_row >= ARTICLES_IN_ROW:
            why = ", ".join(f"{reason}={count}" for reason, count in Counter(reasons).most_common())
            summary.failing_articles = f"its last {in_row} articles could not be read ({why})"
        elif backfill and failed and not collected:
            why = ", ".join(f"{reason}={count}" for reason, count in failed.most_common())
            summary.failing_articles = f"none of the {failed.total()} articles tried could be read ({why})"

    def _mark_walked(self, source: Source, walked: list[Walked], since: datetime | None,
                     until: datetime | None) -> None:
        """Stage the done marks of listing pages and sitemaps whose every article in range is now known
        (staged with them: committed with the segment that holds the last of them) or failed for good.
        A link that is still missing (a timeout, a stopped run) keeps its page unmarked and read again."""
        for item in walked:
            if all(self._settled(link, source, since, until) for link in item.links):
                self.writer.progress(item.key, item.value)

    def _settled(self, link: Link, source: Source, since: datetime | None, until: datetime | None) -> bool:
        if not in_range(link.published_at, since, until):
            return True  # the mark is for this range only
        url = canonicalize(link.url, source.strip_query)
        if self.state.known_article(link.url, source.strip_query):
            return True
        reason = self.state.links.failure_reason(url)
        return reason is not None and reason not in TRANSIENT and reason not in EXTRACTION_FAILURES
