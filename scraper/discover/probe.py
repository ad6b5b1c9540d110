"""What an outlet's feeds, sitemaps and listings give right now: one request each, nothing remembered.

`scraper sources check --live` prints it, so that a selector with a typo, a moved feed or a dead sitemap is
seen before a backfill walks a month of pages that list nothing. A listing is read at its first page (a
`{date}` listing at today's page, or yesterday's when today's lists nothing yet); a sitemap index at its
newest child sitemap. Each probe says which of the outlet's own rules matched and which fell back (a
listing's selectors against its `article_url`); and one article the outlet lists now is extracted, to say
the same of its page selectors (title, date, body).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from scraper.discover.feeds import keep_articles, parse_feed
from scraper.discover.listings import listing_pages, parse_listing
from scraper.discover.sitemaps import parse_sitemap
from scraper.errors import Skip
from scraper.extract import extract_article
from scraper.extract.sites import rules_for
from scraper.fetch.client import Kind
from scraper.fetch.guard import decoded
from scraper.records import Fetched, Link, Listing, RuleOutcome, Source
from scraper.urls import front_page

Get = Callable[[str, Source, Kind], Awaitable[Fetched]]


@dataclass(frozen=True, slots=True)
class Probe:
    """What one feed, sitemap or listing of an outlet gave."""

    outlet: str
    kind: str  # "feed", "sitemap", "listing" or "article"
    url: str  # what was read: the feed, the sitemap (or its newest child), the listing page, the article
    links: int = 0  # article links found
    dated: int = 0  # of which with a date
    newest: datetime | None = None
    problem: str = ""  # the skip reason, or "no links" when the page was read but listed nothing
    rules: tuple[RuleOutcome, ...] = ()  # the outlet's own rules judged on this page
    feed_only: int = 0  # of the links, aggregator items with no readable publisher page

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def fell_back(self) -> list[str]:
        """The rules that matched nothing here (the generic path, or the article_url pattern, stood in)."""
        return [outcome.rule for outcome in self.rules if not outcome.matched]


def _found(outlet: str, kind: str, url: str, links: Sequence[Link], rules: Sequence[RuleOutcome] = ()) -> Probe:
    dates = [link.published_at for link in links if link.published_at is not None]
    return Probe(outlet, kind, url, len(links), len(dates), max(dates, default=None),
                 "" if links else "no links", tuple(rules), sum(link.feed_only for link in links))


async def probe_outlet(source: Source, get: Get, now: datetime) -> list[Probe]:
    """One Probe per feed, sitemap and listing of `source`, in that order, then one for an article they list
    when the outlet has page rules of its own; never raises Skip. `now` (aware) gives a `{date}` listing its
    page of today in the outlet's time zone."""
    probes = []
    found: list[Link] = []
    for url in source.feeds:
        try:
            fetched = await get(url, source, "feed")
            items = parse_feed(fetched.text, url, source.id, source.timezone)
            links, outcome = keep_articles([link for link in items if not front_page(link.url, source.homepage)],
                                           source.article_url)
            probes.append(_found(source.id, "feed", url, links, [outcome] if outcome else []))
            found.extend(links)
        except Skip as skip:
            probes.append(Probe(source.id, "feed", url, problem=skip.reason))
    for url in source.sitemaps:
        probe, links = await _sitemap(source, url, get)
        probes.append(probe)
        found.extend(links)
    for number, listing in enumerate(source.listings):
        probe, links = await _listing(source, listing, get, now.astimezone(ZoneInfo(source.timezone)).date(),
                                      f"listing[{number}]")
        probes.append(probe)
        found.extend(links)
    readable = [link for link in found if not link.feed_only]
    if readable and rules_for(readable[0].url, source) is not None:
        probes.append(await _article(source, readable[0], get))
    return probes


async def _article(source: Source, link: Link, get: Get) -> Probe:
    """Extract one listed article, to judge the outlet's page selectors on a page it serves today."""
    try:
        fetched = await get(link.url, source, "page")
        article = extract_article(decoded(fetched), source, link)
    except Skip as skip:
        return Probe(source.id, "article", link.url, problem=skip.reason)
    return Probe(source.id, "article", link.url, 1, int(article.published_at is not None), article.published_at,
                 rules=article.rules)


async def _sitemap(source: Source, url: str, get: Get) -> tuple[Probe, list[Link]]:
    try:
        sitemap = parse_sitemap((await get(url, source, "feed")).text, url, source.id, source.timezone)
        if sitemap.children:
            # An index: its newest child (by lastmod, else the last listed) says whether articles come out of it.
            dated = [(when, number, child) for number, (child, when) in enumerate(sitemap.children) if when]
            url = max(dated)[2] if dated else sitemap.children[-1][0]
            sitemap = parse_sitemap((await get(url, source, "feed")).text, url, source.id, source.timezone)
        # As discovery takes them: not the front page, and what the outlet's article_url matches.
        links, outcome = keep_articles([link for link in sitemap.links if not front_page(link.url, source.homepage)],
                                       source.article_url, rule="sitemap.article_url")
        return _found(source.id, "sitemap", url, links, [outcome] if outcome else []), links
    except Skip as skip:
        return Probe(source.id, "sitemap", url, problem=skip.reason), []


async def _listing(source: Source, listing: Listing, get: Get, today: date,
                   name: str) -> tuple[Probe, list[Link]]:
    pages = [url for url, _ in islice(listing_pages(listing, None, None, today, timezone=source.timezone),
                                      2 if listing.kind == "date" else 1)]
    probe, links = Probe(source.id, "listing", listing.url, problem="no page"), []
    for url in pages:  # today's page, then yesterday's: early in the day today's may list nothing yet
        try:
            fetched = await get(url, source, "page")
        except Skip as skip:
            probe = Probe(source.id, "listing", url, problem=skip.reason)
            continue
        page = parse_listing(fetched.text, url, listing, source.id, source.timezone,
                             article_url=source.article_url, name=name)
        links = list(page.links)
        probe = _found(source.id, "listing", url, links, page.rules)
        if probe.ok:
            break
    return probe, links
