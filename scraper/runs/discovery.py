"""An outlet's article links, found where it lists them: its feeds (by conditional GET), sitemaps (indexes followed,
within a budget), and listing pages (walked to a stop rule); each link recorded as pending in the state store as soon
as the page listing it is read, and taken from there by the poll, oldest first. A backfill reads them in full and
marks the pages it has finished for its range."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scraper.commit import in_range
from scraper.discover import parse_feed, parse_sitemap
from scraper.discover.feeds import keep_articles
from scraper.discover.listings import listing_pages, page_urls, parse_listing, stop_reason
from scraper.drift import RuleWatch
from scraper.errors import Skip
from scraper.fetch import Fetcher
from scraper.fetch.conditional import after_fetch, not_modified, request_headers
from scraper.fetch.wayback import Wayback
from scraper.records import EPOCH, Fetched, Link, Listing, RuleOutcome, Source
from scraper.skips import Skips
from scraper.state import State
from scraper.summary import Summary
from scraper.urls import canonicalize, front_page

log = logging.getLogger(__name__)

MAX_SITEMAPS_PER_POLL = 50
MAX_SITEMAPS_PER_BACKFILL = 5000
# A discovered link waits in the state store until it is written or given up on; one still waiting this long
# (its host down for weeks) is given up on, counted as `expired`.
PENDING_FOR = timedelta(days=14)
POLL_LISTING_PAGES = 3
# A {date} listing page this many days old no longer changes: a backfill that has every article it
# lists marks it done and does not read it again for the same range.
SETTLED_DAYS = 2


@dataclass
class Seen:
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


class Discovery:
    """Finds the article links of outlets for one pipeline, through its fetcher and state store."""

    def __init__(self, fetcher: Fetcher, state: State, rules: RuleWatch, skips: Skips,
                 unconditional_every: int) -> None:
        self._fetcher = fetcher
        self._state = state
        self._rules = rules
        self._skips = skips
        self._unconditional_every = unconditional_every  # every this many requests of a feed is unconditional
        self._said_once: set[str] = set()  # sitemaps listed in a loop, outlets over the poll budget: warned once

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
        seen = Seen()

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
                    self._rules.note(source.id, [outcome] if outcome is not None else [])
                    found.extend(self.remember(source, items, since, until, seen))
                # Read once it parses (or is not modified): an HTML page served in the feed's place (a portal, a
                # redesign that dropped the feed) is no success, whatever its status.
                summary.indexes_read += 1
            except Skip as skip:
                self._skips.index_failed(summary, source, feed_url, skip)
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
                self._skips.count(summary, source, "sitemap_loop")
                told = f"{source.id} {sitemap_url}" in self._said_once
                self._said_once.add(f"{source.id} {sitemap_url}")
                log.log(logging.DEBUG if told else logging.WARNING,
                        "%s: %s is listed again by a sitemap index (a loop): read once", source.id, sitemap_url,
                        extra={"event": "skip", "outlet": source.id, "url": sitemap_url, "reason": "sitemap_loop"})
                continue
            read.add(sitemap_url)
            if done_mark and self._state.progress(f"sitemap:{sitemap_url}") == done_mark:
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
                self._skips.index_failed(summary, source, sitemap_url, skip)
                continue
            links = list(sitemap.links)
            if source.article_url is not None and links:
                pattern = source.article_url
                unmatched[sitemap_url] = [link for link in links if not pattern.search(link.url)]
                links = [link for link in links if pattern.search(link.url)]
                matched = matched or bool(links)
            links = self.remember(source, links, since, until, seen)
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
                listed = tuple(sorted(listed, key=lambda child: (child[1] is None, -(child[1] or EPOCH).timestamp())))
            children = [(url, f"{lastmod.isoformat()} {mark}" if backfill and lastmod else "")
                        for url, lastmod in listed
                        if since is None or lastmod is None or lastmod >= since]
            queue.extend(children)
            # Read once it parses, as a feed; an index that lists sitemaps to read is read once one of them is:
            # an index whose every sitemap fails (gone, no sitemap, refused) has given nothing.
            if sitemap.links or not children:
                summary.indexes_read += 1
        if unmatched and not stopped():  # (some sitemap listed links: the pattern was judged)
            self._rules.note(source.id, [RuleOutcome("sitemap.article_url", matched)])
            if not matched:
                log.debug("%s: article_url matches none of the sitemaps' %d links: taking them all", source.id,
                          sum(map(len, unmatched.values())))
                for sitemap_url, links in unmatched.items():
                    links = self.remember(source, links, since, until, seen)
                    found.extend(links)
                    key = f"sitemap:{sitemap_url}"
                    if walked is not None:
                        walked[:] = [replace(item, links=item.links + tuple(links)) if item.key == key else item
                                     for item in walked]
        if queue and not stopped():
            self._skips.count(summary, source, "sitemap_budget")
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
            known_ids = [known for _, link in keyed
                         if (known := self._state.known_article(link.url, source.strip_query))]
            self._state.revisits.note_listed(known_ids, now)
        fresh: dict[str, Link] = {}
        skipped: set[str] = set()
        for key, link in keyed:
            link = with_date(link, key)
            if (key in fresh or key in skipped or self._state.known_article(link.url, source.strip_query)
                    or not self._state.links.retry_due(key, now)):
                continue
            if not in_range(link.published_at, since, until):
                skipped.add(key)
                self._skips.count(summary, source, "out_of_range")
                continue
            fresh[key] = link
        far_future = datetime.max.replace(tzinfo=UTC)
        return sorted(fresh.values(), key=lambda link: link.published_at or far_future)

    async def _walk_listing(
        self, source: Source, listing: Listing, summary: Summary, since: datetime | None,
        until: datetime | None, backfill: bool, marks: list[Walked] | None = None, *, name: str = "listing",
        stop: asyncio.Event | None = None, seen: Seen | None = None,
    ) -> list[Link]:
        """Article links from a listing's pages, until a stop rule, `max_pages`, a page read before (a redirect
        back to an earlier page) or `stop`."""
        today = datetime.now(ZoneInfo(source.timezone)).date()
        walked: set[str] = set()
        pages_read: set[str] = set()
        seen = seen if seen is not None else Seen()
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
            if settled and self._state.progress(f"listing:{page_url}") == done_mark:
                log.debug("%s: %s done by an earlier backfill", source.id, page_url)
                continue
            try:
                fetched = await self._fetcher.get(page_url, source)
                summary.indexes_read += 1
            except Skip as skip:
                self._skips.index_failed(summary, source, page_url, skip)
                if listing.kind == "page":
                    break  # past the last page, or the outlet is down: either way the walk ends
                continue  # one missing day of a date archive says nothing about the day before
            if fetched.final_url in pages_read:
                self._skips.count(summary, source, "listing_loop")
                log.warning("%s: %s leads back to a page already read (%s): the walk ends", source.id, page_url,
                            fetched.final_url, extra={"event": "skip", "outlet": source.id, "url": page_url,
                                                      "reason": "listing_loop"})
                break
            pages_read.update((page_url, fetched.final_url))
            page = parse_listing(fetched.text, page_url, listing, source.id, source.timezone,
                                 article_url=source.article_url, name=name)
            self._rules.note(source.id, page.rules)
            if page.fallback:
                log.info("%s: %s: the listing's selectors found nothing; took %d links by article_url", source.id,
                         page_url, len(page.links), extra={"event": "listing_fallback", "outlet": source.id})
            links = self.remember(source, page.links, since, until, seen)
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
                return self._state.known_article(url, source.strip_query) is not None

            reason = stop_reason(links, known, since)
            walked.update(link.url for link in links)
            if reason:
                log.info("%s: listing %s stops at %s (%s)", source.id, listing.url, page_url, reason,
                         extra={"event": "listing_end", "outlet": source.id, "url": page_url, "reason": reason})
                break
        return found

    async def from_archive(self, source: Source, since: datetime | None, until: datetime | None, wayback: Wayback
                           ) -> int:
        """The outlet's feeds and listings' first pages as last captured: their links become pending. How many
        of them could be read."""
        read = 0
        seen = Seen()
        pages = [(url, "feed") for url in source.feeds]
        pages += [(next(iter(page_urls(listing, since, until, datetime.now(UTC).date(),
                                       timezone=source.timezone))), f"listing[{number}]")
                  for number, listing in enumerate(source.listings)]
        for url, kind in pages:
            try:
                fetched, _ = await wayback.read(url, source, kind="feed" if kind == "feed" else "page")
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
            self.remember(source, links, since, until, seen)
        return read

    def remember(self, source: Source, links: Sequence[Link], since: datetime | None, until: datetime | None,
                  seen: Seen) -> list[Link]:
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
            if not in_range(when, since, until):
                if key in seen.recorded:
                    seen.recorded.discard(key)
                    out.append(key)
                continue
            if self._state.known_article(link.url, source.strip_query) is None:
                keyed.append((key, link if link.published_at or when is None else replace(link, published_at=when)))
                seen.recorded.add(key)
        self._state.links.add_pending(source.id, keyed, datetime.now(UTC))
        if out:
            self._state.links.drop_pending(out)
        return articles

    def waiting(self, source: Source, summary: Summary, since: datetime | None, until: datetime | None,
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
        for key, link, found_at in self._state.links.pending(source.id):
            if self._state.known_url(key) is not None or self._state.known_article(link.url, source.strip_query):
                forget.append(key)
            elif now - found_at > PENDING_FOR:
                forget.append(key)
                self._skips.count(summary, source, "expired")
            elif self._state.links.retry_due(key, now) and in_range(link.published_at, since, until):
                taken.append((found_at >= started, link.published_at or newest, link))
        if forget:
            self._state.links.drop_pending(forget)
        taken.sort(key=lambda entry: (entry[0], -(entry[1] - EPOCH).total_seconds()))
        if limit is not None and len(taken) > limit:
            log.info("%s: %d links waiting, taking %d this poll", source.id, len(taken), limit)
            taken = taken[:limit]
        return [link for _, _, link in sorted(taken, key=lambda entry: entry[1])]

    async def _fetch_index(self, url: str, source: Source, *, conditional: bool = True) -> Fetched | None:
        """A feed or sitemap, by conditional GET; None when the server says it has not changed (304)."""
        known = self._state.outlets.validators(url)
        now = datetime.now(UTC)
        sent = request_headers(known, now, self._unconditional_every) if conditional else {}
        fetched = await self._fetcher.get(url, source, kind="feed", headers=sent)
        if fetched.status == 304:
            log.debug("%s: %s not modified", source.id, url)
            if known is not None:
                self._state.outlets.save_validators(not_modified(known), url)
            return None
        self._state.outlets.save_validators(after_fetch(known, fetched, sent, now), url)
        return fetched
