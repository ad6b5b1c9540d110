"""One poll of one outlet through every stage: discover → fetch → extract → analyse → dedup → sink.

No scheduling and no argv here: the daemon calls `poll` on a timer, backfill calls it once, and
`scraper extract` uses `analyse_page`, the pure part, on single pages. Each article goes through `process`
(fetch, prepare in a worker process through extractors.py, then the writer: the single-writer stage of commit.py,
or a fleet's hand-off); a WARC file is read through the same `process` by runs/warc.py, and an outlet's captures
in the web archive by `backfill_archive`. A poll ends by reading the outlet's recent articles again
(runs/revisits.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from scraper.analyse import Analyser
from scraper.commit import Committer, Writer, in_range
from scraper.dedup import DedupOptions
from scraper.discover import parse_feed, parse_sitemap
from scraper.discover.feeds import keep_articles
from scraper.discover.listings import listing_pages, page_urls, parse_listing, stop_reason
from scraper.drift import DEFAULT_LIMIT, RuleWatch
from scraper.errors import OutputError, ScraperError, Skip, StateError, WorkerError
from scraper.extractors import PAGE_TIMEOUT, PAGES_PER_WORKER, Extractors
from scraper.fetch import Fetcher
from scraper.fetch.client import Kind
from scraper.fetch.conditional import UNCONDITIONAL_EVERY, after_fetch, not_modified, request_headers
from scraper.fetch.wayback import SERVICE, Capture, Wayback, capture_url, newest_captures
from scraper.observe import NullObserver, Observer
from scraper.prepare import Prepared, from_feed
from scraper.records import Archive, Fetched, Link, Listing, RuleOutcome, Source
from scraper.revisit import gone_to_front_page
from scraper.runs.revisits import Revisits
from scraper.sink import Sink
from scraper.state import State
from scraper.summary import EXTRACTION_FAILURES, TRANSIENT, UNREACHABLE, Summary
from scraper.urls import canonicalize, front_page

log = logging.getLogger(__name__)

# Failures that will not mend by the next poll wait a day before the URL is tried again.
PERMANENT_RETRY = timedelta(days=1)
MAX_SITEMAPS_PER_POLL = 50
MAX_SITEMAPS_PER_BACKFILL = 5000
# A discovered link waits in the state store until it is written or given up on; one still waiting this long
# (its host down for weeks) is given up on, counted as `expired`.
PENDING_FOR = timedelta(days=14)
# Articles in a row that could not be read (their indexes answering) before the outlet's polls are errors: it
# collects nothing. A feed listing a few deleted articles stays well under it.
ARTICLES_IN_ROW = 10
# After a stop signal, articles in flight get this long before a one-shot run drops them (they stay pending).
STOP_GRACE = 1.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
POLL_LISTING_PAGES = 3
WORKERS_PER_POLL = 8
# A {date} listing page this many days old no longer changes: a backfill that has every article it
# lists marks it done and does not read it again for the same range.
SETTLED_DAYS = 2


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


@dataclass
class _Seen:
    """What one discovery has seen so far: the dates its findings gave each article, the links it recorded."""

    dates: dict[str, datetime] = field(default_factory=dict)
    recorded: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Walked:
    """A listing page or child sitemap a backfill read, and the mark it earns in the state store (`key` =
    `value`) once every article it listed is known or has failed for good."""

    key: str
    value: str
    links: tuple[Link, ...]


def range_mark(since: datetime | None, until: datetime | None) -> str:
    return f"{since.isoformat() if since else ''}..{until.isoformat() if until else ''}"


def digest(text: str) -> str:
    """A short, stable name for a setting in a progress key or mark (selectors, a host list)."""
    return hashlib.sha1(text.encode()).hexdigest()[:16]


_in_range = in_range  # undated links are kept; the article's own date is checked after extraction


class Pipeline:
    """Runs polls against one fetcher, state store and sink. Close it with `close()`."""

    def __init__(
        self,
        fetcher: Fetcher,
        state: State,
        sink: Sink | None,
        analyser: Analyser | None,
        *,
        observer: Observer | None = None,
        dedup: DedupOptions | None = None,
        workers: int = 0,
        alias_files: tuple[str, ...] = (),
        fault: str = "",
        page_timeout: float = PAGE_TIMEOUT,
        pages_per_worker: int = PAGES_PER_WORKER,
        drift_after: int = DEFAULT_LIMIT,
        unconditional_every: int = UNCONDITIONAL_EVERY,
        wayback: Wayback | None = None,
        writer: Writer | None = None,
    ) -> None:
        """`writer`: where prepared records go; by default a Committer of `state` and `sink` in this process (a
        fleet's worker hands them to the database instead: scraper/fleet/)."""
        self.fetcher = fetcher
        self.state = state
        self.sink = sink
        self.observer = observer or NullObserver()
        self.workers = workers
        if writer is None:
            if sink is None:
                raise ValueError("a pipeline that writes itself needs a sink (or give it a writer)")
            writer = Committer(state, sink, dedup, observer=self.observer, fault=fault)
        self.writer: Writer = writer
        self.rules = RuleWatch(state, self.observer, drift_after)
        self._unconditional_every = unconditional_every  # every this many requests of a feed is unconditional
        self.wayback = wayback  # the web archive outlets with `fallback = "wayback"` are read through
        # Extraction is CPU-bound: one thread when `workers` is 0, else that many processes.
        self.extractors = Extractors(workers, alias_files, analyser=analyser, fault=fault, page_timeout=page_timeout,
                                     pages_per_worker=pages_per_worker)
        self.revisits = Revisits(fetcher, state, self.extractors, self.writer)
        self._failures_pruned: dict[str, datetime] = {}  # outlet -> when its old failed URLs were last pruned
        self._said_once: set[str] = set()  # sitemaps listed in a loop, outlets over the poll budget: warned once

    @property
    def worker_problem(self) -> str:
        """Why extraction cannot run (its worker processes die as they start); empty when it can."""
        return self.extractors.problem

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

    # --- discovery -----------------------------------------------------------------------------------
    async def discover(
        self, source: Source, summary: Summary, since: datetime | None = None, until: datetime | None = None,
        *, backfill: bool = False, walked: list[Walked] | None = None, stop: asyncio.Event | None = None,
    ) -> list[Link]:
        """Every article link the outlet's feeds, sitemaps and listings give now, oldest first, not yet known.

        Each is also recorded as pending in the state store as soon as the page that lists it is read (those a
        backfill's range leaves out excepted): a poll cut short anywhere after that loses none of them.

        A backfill reads feeds and sitemaps in full (no conditional GET: an unchanged sitemap index can
        still list articles an earlier, narrower backfill left out) and walks listings to their end. It
        passes over the child sitemaps (same `lastmod`) and past days' listing pages that a run over the
        same range marked done, and lists in `walked` those it reads that can earn that mark. A sitemap is read
        once per discovery, however often indexes list it (one that lists itself, or two that list each other,
        are a counted `sitemap_loop`), and no more than a poll's or a backfill's budget of them. `stop` ends the
        walk between two requests.
        """
        mark = range_mark(since, until)
        found: list[Link] = []
        seen = _Seen()

        def stopped() -> bool:
            return stop is not None and stop.is_set()

        for feed_url in source.feeds:
            if stopped():
                return []
            try:
                feed = await self._fetch_index(feed_url, source, conditional=not backfill)
                if feed is not None:
                    items, outcome = keep_articles(parse_feed(feed.text, feed_url, source.id, source.timezone),
                                                   source.article_url)
                    self.rules.note(source.id, [outcome] if outcome is not None else [])
                    found.extend(self._remember(source, items, since, until, seen))
                # Read once it parses (or is not modified): an HTML page served in the feed's place (a portal, a
                # redesign that dropped the feed) is no success, whatever its status.
                summary.indexes_read += 1
            except Skip as skip:
                self._index_failed(summary, source, feed_url, skip)
        queue: list[tuple[str, str]] = [(url, "") for url in source.sitemaps]
        read: set[str] = set()
        # Sitemaps list sections, tags and authors beside articles: with the outlet's `article_url`, what it does not
        # match waits here, taken only when it matches nothing in any sitemap (a stale pattern, as with feeds).
        unmatched: dict[str, list[Link]] = {}
        matched = False
        for _ in range(MAX_SITEMAPS_PER_BACKFILL if backfill else MAX_SITEMAPS_PER_POLL):
            if not queue or stopped():
                break
            sitemap_url, done_mark = queue.pop(0)
            if sitemap_url in read:
                self.count_skip(summary, source, "sitemap_loop")
                told = f"{source.id} {sitemap_url}" in self._said_once
                self._said_once.add(f"{source.id} {sitemap_url}")
                log.log(logging.DEBUG if told else logging.WARNING,
                        "%s: %s is listed again by a sitemap index (a loop): read once", source.id, sitemap_url,
                        extra={"event": "skip", "outlet": source.id, "url": sitemap_url, "reason": "sitemap_loop"})
                continue
            read.add(sitemap_url)
            if done_mark and self.state.progress(f"sitemap:{sitemap_url}") == done_mark:
                log.debug("%s: %s done by an earlier backfill", source.id, sitemap_url)
                continue
            try:
                fetched = await self._fetch_index(sitemap_url, source, conditional=not backfill)
                if fetched is None:
                    summary.indexes_read += 1  # not modified since the last poll
                    continue
                read.add(fetched.final_url)
                sitemap = parse_sitemap(fetched.text, sitemap_url, source.id, source.timezone)
            except Skip as skip:
                self._index_failed(summary, source, sitemap_url, skip)
                continue
            links = list(sitemap.links)
            if source.article_url is not None and links:
                pattern = source.article_url
                unmatched[sitemap_url] = [link for link in links if not pattern.search(link.url)]
                links = [link for link in links if pattern.search(link.url)]
                matched = matched or bool(links)
            links = self._remember(source, links, since, until, seen)
            found.extend(links)
            # An index is never marked itself; nor is a sitemap that lists nothing (served empty that day).
            if done_mark and walked is not None and not sitemap.children and sitemap.links:
                walked.append(Walked(f"sitemap:{sitemap_url}", done_mark, tuple(links)))
            # A child sitemap last modified before `since` holds nothing new for this range. One with a
            # `lastmod` can be marked done by a backfill (for its range, at that `lastmod`).
            listed = sitemap.children
            if not backfill:
                # A poll wants the news, and reads at most MAX_SITEMAPS_PER_POLL sitemaps: those changed last come
                # first (an index lists a growing series oldest first, as WordPress's do), undated ones after them.
                listed = tuple(sorted(listed, key=lambda child: (child[1] is None, -(child[1] or _EPOCH).timestamp())))
            children = [(url, f"{lastmod.isoformat()} {mark}" if backfill and lastmod else "")
                        for url, lastmod in listed
                        if since is None or lastmod is None or lastmod >= since]
            queue.extend(children)
            # Read once it parses, as a feed; an index that lists sitemaps to read is read once one of them is:
            # an index whose every sitemap fails (gone, no sitemap, refused) has given nothing.
            if sitemap.links or not children:
                summary.indexes_read += 1
        if unmatched and not stopped():  # (some sitemap listed links: the pattern was judged)
            self.rules.note(source.id, [RuleOutcome("sitemap.article_url", matched)])
            if not matched:
                log.debug("%s: article_url matches none of the sitemaps' %d links: taking them all", source.id,
                          sum(map(len, unmatched.values())))
                for sitemap_url, links in unmatched.items():
                    links = self._remember(source, links, since, until, seen)
                    found.extend(links)
                    key = f"sitemap:{sitemap_url}"
                    if walked is not None:
                        walked[:] = [replace(item, links=item.links + tuple(links)) if item.key == key else item
                                     for item in walked]
        if queue and not stopped():
            self.count_skip(summary, source, "sitemap_budget")
            if backfill:
                log.warning("%s: %d more sitemaps than a backfill reads; the next backfill goes on with them",
                            source.id, len(queue), extra={"event": "skip", "outlet": source.id,
                                                          "reason": "sitemap_budget"})
            else:  # (at every poll: said once)
                told = f"{source.id} sitemap_budget" in self._said_once
                self._said_once.add(f"{source.id} sitemap_budget")
                log.log(logging.DEBUG if told else logging.WARNING,
                        "%s: its sitemaps list %d more than a poll reads (%d): a poll reads those changed last, a "
                        "backfill all of them", source.id, len(queue), MAX_SITEMAPS_PER_POLL,
                        extra={"event": "skip", "outlet": source.id, "reason": "sitemap_budget"})
        for number, listing in enumerate(source.listings):
            if stopped():
                return []
            found.extend(await self._walk_listing(source, listing, summary, since, until, backfill, walked,
                                                  name=f"listing[{number}]", stop=stop, seen=seen))

        now = datetime.now(UTC)
        # One article found twice (a sitemap and an undated listing) is as old as the dated finding says.
        keyed = [(canonicalize(link.url, source.strip_query), link) for link in found]
        dated: dict[str, datetime] = {}
        for key, link in keyed:
            if link.published_at is not None:
                dated.setdefault(key, link.published_at)

        def with_date(link: Link, key: str) -> Link:
            if link.published_at is None and (when := dated.get(key)):
                return replace(link, published_at=when)
            return link

        if walked:
            walked[:] = [replace(item, links=tuple(with_date(link, canonicalize(link.url, source.strip_query))
                                                   for link in item.links)) for item in walked]
        if source.revisit_every is not None and not backfill:
            # What the outlet lists now: an article no index lists any more, and gone from its URL, is deleted.
            self.state.revisits.note_listed([known for _, link in keyed
                                             if (known := self.state.known_article(link.url, source.strip_query))], now)
        fresh: dict[str, Link] = {}
        skipped: set[str] = set()
        for key, link in keyed:
            link = with_date(link, key)
            if (key in fresh or key in skipped or self.state.known_article(link.url, source.strip_query)
                    or not self.state.links.retry_due(key, now)):
                continue
            if not _in_range(link.published_at, since, until):
                skipped.add(key)
                self.count_skip(summary, source, "out_of_range")
                continue
            fresh[key] = link
        far_future = datetime.max.replace(tzinfo=UTC)
        return sorted(fresh.values(), key=lambda link: link.published_at or far_future)

    async def _walk_listing(
        self, source: Source, listing: Listing, summary: Summary, since: datetime | None,
        until: datetime | None, backfill: bool, marks: list[Walked] | None = None, *, name: str = "listing",
        stop: asyncio.Event | None = None, seen: _Seen | None = None,
    ) -> list[Link]:
        """Article links from a listing's pages, until a stop rule, `max_pages`, a page read before (a redirect
        back to an earlier page) or `stop`."""
        today = datetime.now(ZoneInfo(source.timezone)).date()
        walked: set[str] = set()
        pages_read: set[str] = set()
        seen = seen if seen is not None else _Seen()
        found: list[Link] = []
        # The mark holds how the pages were read: a corrected selector (or time zone) reads them again.
        reading = "\n".join((listing.links or "", listing.item or "", listing.dates or "", source.timezone,
                             source.article_url.pattern if source.article_url else ""))
        done_mark = f"done {range_mark(since, until)} {digest(reading)}"
        pages = listing_pages(listing, since, until, today, timezone=source.timezone)
        # A poll needs the newest pages only; walking a whole archive is a backfill's job.
        for page_url, day in pages if backfill else itertools.islice(pages, POLL_LISTING_PAGES):
            if stop is not None and stop.is_set():
                break
            settled = backfill and day is not None and (today - day).days >= SETTLED_DAYS
            if settled and self.state.progress(f"listing:{page_url}") == done_mark:
                log.debug("%s: %s done by an earlier backfill", source.id, page_url)
                continue
            try:
                fetched = await self.fetcher.get(page_url, source)
                summary.indexes_read += 1
            except Skip as skip:
                self._index_failed(summary, source, page_url, skip)
                if listing.kind == "page":
                    break  # past the last page, or the outlet is down: either way the walk ends
                continue  # one missing day of a date archive says nothing about the day before
            if fetched.final_url in pages_read:
                self.count_skip(summary, source, "listing_loop")
                log.warning("%s: %s leads back to a page already read (%s): the walk ends", source.id, page_url,
                            fetched.final_url, extra={"event": "skip", "outlet": source.id, "url": page_url,
                                                      "reason": "listing_loop"})
                break
            pages_read.update((page_url, fetched.final_url))
            page = parse_listing(fetched.text, page_url, listing, source.id, source.timezone,
                                 article_url=source.article_url, name=name)
            self.rules.note(source.id, page.rules)
            if page.fallback:
                log.info("%s: %s: the listing's selectors found nothing; took %d links by article_url", source.id,
                         page_url, len(page.links), extra={"event": "listing_fallback", "outlet": source.id})
            links = self._remember(source, page.links, since, until, seen)
            found.extend(links)
            if settled and marks is not None and links:
                # (A page that lists nothing is no proof of a day without news: a selector that matches
                # nothing, a page served empty. It is read again next time.)
                marks.append(Walked(f"listing:{page_url}", done_mark, tuple(links)))
            if listing.kind != "page":
                continue

            def known(url: str) -> bool:
                # A backfill stops on pages it has seen in this walk (an archive repeating its last page);
                # the daemon stops at the first page whose articles are all in the state store. (A re-run
                # backfill must not stop there: it would end at page 1.)
                if backfill:
                    return url in walked
                return self.state.known_article(url, source.strip_query) is not None

            reason = stop_reason(links, known, since)
            walked.update(link.url for link in links)
            if reason:
                log.info("%s: listing %s stops at %s (%s)", source.id, listing.url, page_url, reason,
                         extra={"event": "listing_end", "outlet": source.id, "url": page_url, "reason": reason})
                break
        return found

    def _remember(self, source: Source, links: Sequence[Link], since: datetime | None, until: datetime | None,
                  seen: _Seen) -> list[Link]:
        """Record the links not yet known (and in the range, if one is given) as pending; return the links that
        may be articles: all but a site's root or the outlet's homepage (`front_page`), which a sitemap or feed
        may list and which would be taken for an article.

        One article found twice in a discovery (an undated listing entry, a dated sitemap entry) is as old as
        the dated finding says, whichever came first: a link recorded undated is forgotten again when a later
        finding dates it out of the range."""
        keyed, out = [], []
        articles = [link for link in links if not front_page(link.url, source.homepage)]
        if len(articles) < len(links):
            log.debug("%s: %s lists the front page; not an article", source.id, links[0].found_in)
        for link in articles:
            key = canonicalize(link.url, source.strip_query)
            if link.published_at is not None:
                seen.dates.setdefault(key, link.published_at)
            when = link.published_at or seen.dates.get(key)
            if not _in_range(when, since, until):
                if key in seen.recorded:
                    seen.recorded.discard(key)
                    out.append(key)
                continue
            if self.state.known_article(link.url, source.strip_query) is None:
                keyed.append((key, link if link.published_at or when is None else replace(link, published_at=when)))
                seen.recorded.add(key)
        self.state.links.add_pending(source.id, keyed, datetime.now(UTC))
        if out:
            self.state.links.drop_pending(out)
        return articles

    def _waiting(self, source: Source, summary: Summary, since: datetime | None, until: datetime | None,
                 started: datetime, limit: int | None) -> list[Link]:
        """The pending links this poll takes, in the order to process them (oldest first).

        Links left by earlier polls (past `max_articles`, or a poll cut short) are taken first, then this poll's;
        the newest first within each, so a backlog never holds back the news and a cap leaves the oldest. Links
        whose retry is not due yet, or outside a backfill's range, wait; links waiting for longer than
        PENDING_FOR are given up on (`expired`), and links that became known meanwhile are forgotten."""
        now = datetime.now(UTC)
        newest = datetime.max.replace(tzinfo=UTC)  # undated links (a front page's) are the newest
        forget: list[str] = []
        taken: list[tuple[bool, datetime, Link]] = []
        for key, link, found_at in self.state.links.pending(source.id):
            if self.state.known_url(key) is not None or self.state.known_article(link.url, source.strip_query):
                forget.append(key)
            elif now - found_at > PENDING_FOR:
                forget.append(key)
                self.count_skip(summary, source, "expired")
            elif self.state.links.retry_due(key, now) and _in_range(link.published_at, since, until):
                taken.append((found_at >= started, link.published_at or newest, link))
        if forget:
            self.state.links.drop_pending(forget)
        taken.sort(key=lambda entry: (entry[0], -(entry[1] - _EPOCH).total_seconds()))
        if limit is not None and len(taken) > limit:
            log.info("%s: %d links waiting, taking %d this poll", source.id, len(taken), limit)
            taken = taken[:limit]
        return [link for _, _, link in sorted(taken, key=lambda entry: entry[1])]

    async def _fetch_index(self, url: str, source: Source, *, conditional: bool = True) -> Fetched | None:
        """A feed or sitemap, by conditional GET; None when the server says it has not changed (304)."""
        known = self.state.outlets.validators(url)
        now = datetime.now(UTC)
        sent = request_headers(known, now, self._unconditional_every) if conditional else {}
        fetched = await self.fetcher.get(url, source, kind="feed", headers=sent)
        if fetched.status == 304:
            log.debug("%s: %s not modified", source.id, url)
            if known is not None:
                self.state.outlets.save_validators(not_modified(known), url)
            return None
        self.state.outlets.save_validators(after_fetch(known, fetched, sent, now), url)
        return fetched

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
                    fetched, captured = await self._from_archive(link.url, source)
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
            self._skipped(summary, source, link.url, skip)
            return skip.reason
        except WorkerError:
            raise  # no fault of the page's: it is left for the next run
        except Exception as exc:
            # A bug or a pathological page in a library must cost one article, never the daemon.
            log.exception("%s: extracting %s failed", source.id, link.url)
            self._skipped(summary, source, link.url, Skip("extract_error", f"{type(exc).__name__}: {exc}"))
            return "extract_error"

    def _index_failed(self, summary: Summary, source: Source, url: str, skip: Skip) -> None:
        """A feed, sitemap or listing page that could not be read: a skip, and evidence for the poll's result."""
        summary.index_failures[skip.reason] += 1
        self._skipped(summary, source, url, skip, remember=False)

    def count_skip(self, summary: Summary, source: Source, reason: str) -> None:
        summary.skips[reason] += 1
        self.observer.skipped(source.id, reason)

    def _skipped(self, summary: Summary, source: Source, url: str, skip: Skip, remember: bool = True) -> None:
        self.count_skip(summary, source, skip.reason)
        if remember:  # an article's, not an index's
            summary.article_failures[skip.reason] += 1
        # A host the network does not reach is named once by the fetcher, not once per URL.
        level = logging.INFO if skip.reason in UNREACHABLE else logging.WARNING
        log.log(level, "%s: skipped %s (%s)", source.id, url, skip,
                extra={"event": "skip", "outlet": source.id, "url": url, "reason": skip.reason})
        if remember:
            key = canonicalize(url, source.strip_query)
            wait = timedelta(0) if skip.reason in TRANSIENT else PERMANENT_RETRY
            self.state.links.note_failure(key, source.id, skip.reason, datetime.now(UTC) + wait)
            if skip.reason not in TRANSIENT:
                self.state.links.drop_pending([key])  # given up on, with its reason; a transient failure waits on

    # --- a web archive ---------------------------------------------------------------------------------
    async def _from_archive(self, url: str, source: Source, capture: Capture | None = None,
                            kind: Kind = "page") -> tuple[Fetched, Archive]:
        """A page as the web archive last captured it (or as `capture`), and where it came from. Skip
        `not_archived` when there is no recent capture (the link waits), `robots` when the outlet's own
        robots.txt, as captured, forbids it."""
        assert self.wayback is not None
        now = datetime.now(UTC)
        if capture is None:
            capture = await self.wayback.latest(url, source, now)
            if capture is None:
                raise Skip("not_archived", f"no capture of it in the last {self.wayback.max_age.days} days: {url}")
        if not await self.wayback.allowed(capture.url, source, now):
            raise Skip("robots", f"the outlet's robots.txt (as captured) disallows {capture.url}")
        fetched = await self.wayback.fetch(capture, source, kind)
        return fetched, Archive(service=SERVICE, timestamp=capture.timestamp,
                                url=capture_url(self.wayback.archive, capture))

    async def _discover_from_archive(self, source: Source, summary: Summary, since: datetime | None,
                                     until: datetime | None) -> int:
        """The outlet's feeds and listings' first pages as last captured: their links become pending. How many
        of them could be read."""
        read = 0
        seen = _Seen()
        pages = [(url, "feed") for url in source.feeds]
        pages += [(next(iter(page_urls(listing, since, until, datetime.now(UTC).date(),
                                       timezone=source.timezone))), f"listing[{number}]")
                  for number, listing in enumerate(source.listings)]
        for url, kind in pages:
            try:
                fetched, _ = await self._from_archive(url, source, kind="feed" if kind == "feed" else "page")
            except Skip as skip:
                log.info("%s: %s from the archive: %s", source.id, url, skip)
                continue
            read += 1
            if kind == "feed":
                try:
                    links, _ = keep_articles(parse_feed(fetched.text, url, source.id, source.timezone),
                                             source.article_url)
                except Skip:
                    continue
            else:
                listing = source.listings[int(kind[8:-1])]
                links = list(parse_listing(fetched.text, url, listing, source.id, source.timezone,
                                           article_url=source.article_url, name=kind).links)
            self._remember(source, links, since, until, seen)
        return read

    async def backfill_archive(self, source: Source, summary: Summary, since: datetime | None = None,
                               until: datetime | None = None, stop: asyncio.Event | None = None) -> Summary:
        """Every article of an outlet the web archive captured in a range: the captures under its
        `archive_prefixes` (one per article, the newest), those matching its `article_url`, each read once (an
        article already written is not read again: a run cut short resumes where it stopped)."""
        assert self.wayback is not None
        prefixes = source.archive_prefixes or (urlsplit(source.homepage).netloc + "/",)
        captures: list[Capture] = []
        for prefix in prefixes:
            try:
                captures += await self.wayback.captures(prefix, source, since, until)
            except Skip as skip:
                self._index_failed(summary, source, prefix, skip)
                continue
            summary.indexes_read += 1
        captures = newest_captures(captures)
        wanted = [capture for capture in captures
                  if (source.article_url is None or source.article_url.search(capture.url))
                  and self.state.known_article(capture.url, source.strip_query) is None]
        log.info("%s: %d captures in the archive, %d articles to read", source.id, len(captures), len(wanted),
                 extra={"event": "archive_backfill", "outlet": source.id})
        self.observer.discovered(source.id, len(wanted))
        turns = InOrder()
        for position, capture in enumerate(wanted):
            if stop is not None and stop.is_set():
                break
            link = Link(url=capture.url, source_id=source.id, found_in=f"{SERVICE}:{prefixes[0]}")
            try:
                fetched, archive = await self._from_archive(capture.url, source, capture)
            except Skip as skip:
                self._skipped(summary, source, capture.url, skip, remember=False)
                turns.done(position)
                continue
            await self.process(source, link, summary, since, until, fetched=fetched, archive=archive, turns=turns,
                               position=position)
            self.observer.processed(source.id)
        return summary

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
        discovery = asyncio.ensure_future(self.discover(source, summary, since, until, backfill=backfill,
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
            read = await self._discover_from_archive(source, summary, since, until)
            summary.archive_indexes += read
            via_archive = True
            log.info("%s: %s (%s); read through the archive: %d of its feeds and listings", source.id, result, why,
                     read, extra={"event": "archive_fallback", "outlet": source.id})
        links = self._waiting(source, summary, since, until, started, limit)
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
        if not backfill and started - self._failures_pruned.get(source.id, _EPOCH) > timedelta(days=1):
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
        if not _in_range(link.published_at, since, until):
            return True  # the mark is for this range only
        url = canonicalize(link.url, source.strip_query)
        if self.state.known_article(link.url, source.strip_query):
            return True
        reason = self.state.links.failure_reason(url)
        return reason is not None and reason not in TRANSIENT and reason not in EXTRACTION_FAILURES
