"""What an outlet's feeds, sitemaps and listings give right now: one request each, nothing remembered.

`scraper sources check --live` prints it, so that a selector with a typo, a moved feed or a dead sitemap is
seen before a backfill walks a month of pages that list nothing. A listing is read at its first page (a
`{date}` listing at today's page, or yesterday's when today's lists nothing yet); a sitemap index at its
newest child sitemap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from scraper.discover.feeds import parse_feed
from scraper.discover.listings import Listing, listing_pages, parse_listing
from scraper.discover.sitemaps import parse_sitemap
from scraper.errors import Skip
from scraper.fetch.client import Kind
from scraper.records import Fetched, Link, Source

Get = Callable[[str, Source, Kind], Awaitable[Fetched]]


@dataclass(frozen=True, slots=True)
class Probe:
    """What one feed, sitemap or listing of an outlet gave."""

    outlet: str
    kind: str  # "feed", "sitemap" or "listing"
    url: str  # what was read: the feed, the sitemap (or its newest child), the listing page
    links: int = 0  # article links found
    dated: int = 0  # of which with a date
    newest: datetime | None = None
    problem: str = ""  # the skip reason, or "no links" when the page was read but listed nothing

    @property
    def ok(self) -> bool:
        return not self.problem


def _found(outlet: str, kind: str, url: str, links: Sequence[Link]) -> Probe:
    dates = [link.published_at for link in links if link.published_at is not None]
    return Probe(outlet, kind, url, len(links), len(dates), max(dates, default=None),
                 "" if links else "no links")


async def probe_outlet(source: Source, get: Get, now: datetime) -> list[Probe]:
    """One Probe per feed, sitemap and listing of `source`, in that order; never raises Skip. `now` (aware)
    gives a `{date}` listing its page of today in the outlet's time zone."""
    probes = []
    for url in source.feeds:
        try:
            fetched = await get(url, source, "feed")
            probes.append(_found(source.id, "feed", url, parse_feed(fetched.text, url, source.id)))
        except Skip as skip:
            probes.append(Probe(source.id, "feed", url, problem=skip.reason))
    for url in source.sitemaps:
        probes.append(await _sitemap(source, url, get))
    for listing in source.listings:
        probes.append(await _listing(source, listing, get, now.astimezone(ZoneInfo(source.timezone)).date()))
    return probes


async def _sitemap(source: Source, url: str, get: Get) -> Probe:
    try:
        sitemap = parse_sitemap((await get(url, source, "feed")).text, url, source.id)
        if not sitemap.children:
            return _found(source.id, "sitemap", url, sitemap.links)
        # An index: its newest child (by lastmod, else the last listed) says whether articles come out of it.
        dated = [(when, number, child) for number, (child, when) in enumerate(sitemap.children) if when]
        url = max(dated)[2] if dated else sitemap.children[-1][0]
        return _found(source.id, "sitemap", url, parse_sitemap((await get(url, source, "feed")).text, url,
                                                                source.id).links)
    except Skip as skip:
        return Probe(source.id, "sitemap", url, problem=skip.reason)


async def _listing(source: Source, listing: Listing, get: Get, today: date) -> Probe:
    pages = [url for url, _ in islice(listing_pages(listing, None, None, today, timezone=source.timezone),
                                      2 if listing.kind == "date" else 1)]
    probe = Probe(source.id, "listing", listing.url, problem="no page")
    for url in pages:  # today's page, then yesterday's: early in the day today's may list nothing yet
        try:
            fetched = await get(url, source, "page")
        except Skip as skip:
            probe = Probe(source.id, "listing", url, problem=skip.reason)
            continue
        probe = _found(source.id, "listing", url, parse_listing(fetched.text, url, listing, source.id,
                                                                  source.timezone))
        if probe.ok:
            break
    return probe
