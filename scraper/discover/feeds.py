"""RSS and Atom feeds → Links, with feedparser (lenient: a feed with small XML errors still yields items); a JSON
Feed by scraper/discover/jsonfeed.py.

An aggregator's item (Google News) names its publisher in `<source url="…">Name</source>` and appends
" - Name" to its title: the Link carries the publisher and the bare title. Its own link is the aggregator's;
when that link encodes the publisher's URL (scraper/discover/aggregators.py) the Link points there, and when
it does not, the Link is `feed_only`: its record is made of the item, and nothing is fetched.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from scraper.discover.aggregators import aggregator_id, publisher_url
from scraper.discover.jsonfeed import looks_like_json, parse_json_feed
from scraper.errors import Skip
from scraper.extract.dates import parse_date, plausible
from scraper.records import Link, Publisher, RuleOutcome
from scraper.urls import joined, same_site

log = logging.getLogger(__name__)


def _entry_date(entry: Any, zone: str) -> datetime | None:
    """An item's date as the feed prints it, read by our date parser: a date without an offset ("Mon, 30 Nov
    2026 10:00:00", "2026-11-30 10:00") is in the outlet's zone, and "KST" is +09:00 (feedparser takes both for
    UTC, nine hours off for a Korean feed); then, for a form only feedparser knows, its UTC reading."""
    # dict.get: the item's own keys (feedparser's get() answers "updated" with "published", and warns).
    for key in ("published", "updated", "created"):
        if isinstance(text := dict.get(entry, key), str) and (moment := parse_date(text, zone)) is not None:
            return moment
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)
        if parsed:
            try:
                moment = plausible(datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC))
            except (OverflowError, ValueError, OSError):
                continue
            if moment is not None:
                return moment
    return None


def _publisher(entry: Any) -> Publisher | None:
    source = entry.get("source") or {}
    name = " ".join(str(source.get("title") or "").split())
    if not name:
        return None
    url = str(source.get("href") or source.get("url") or "").strip()
    try:
        usable = urlsplit(url).scheme in ("http", "https")
    except ValueError:
        usable = False
    return Publisher(name, url if usable else None)


def _without_publisher(title: str | None, publisher: Publisher | None) -> str | None:
    """An aggregator's "Headline - Publisher" as the publisher printed it: "Headline"."""
    if not title or publisher is None:
        return title
    for dash in (" - ", " – ", " — ", " | "):
        suffix = f"{dash}{publisher.name}"
        if title.casefold().endswith(suffix.casefold()) and len(title) > len(suffix):
            return title[:-len(suffix)].rstrip()
    return title


def _aggregated(link: Link) -> Link:
    """An aggregator's item: the publisher's page when its link encodes it, else a feed-only link."""
    if aggregator_id(link.url) is None:
        return link
    target = publisher_url(link.url)
    if target is not None:
        return Link(url=target, source_id=link.source_id, found_in=link.found_in, title=link.title,
                    published_at=link.published_at, publisher=link.publisher, aggregator_url=link.url)
    return Link(url=link.url, source_id=link.source_id, found_in=link.found_in, title=link.title,
                published_at=link.published_at, publisher=link.publisher, aggregator_url=link.url, feed_only=True)


def keep_articles(links: list[Link], article_url: re.Pattern[str] | None,
                  rule: str = "feed.article_url") -> tuple[list[Link], RuleOutcome | None]:
    """The feed's links that are the outlet's articles by its `article_url` pattern (an aggregator's items
    are other sites' articles, and always kept). When the pattern matches none of the feed's own links, it is
    out of date rather than the feed wrong: every link is kept, and the outcome says the rule missed."""
    own = [link for link in links if link.aggregator_url is None]
    if article_url is None or not own:
        return links, None
    kept = [link for link in links if link.aggregator_url is not None or article_url.search(link.url)]
    if len(kept) == len(links) - len(own):
        return links, RuleOutcome(rule, False)
    if len(kept) < len(links):
        log.debug("%s: %d links that are not articles by the outlet's article_url", links[0].found_in,
                  len(links) - len(kept))
    return kept, RuleOutcome(rule, True)


def _item_link(entry: Any) -> str:
    """An item's link, or its first alternate link."""
    href = entry.get("link") or ""
    if not href:
        for alt in entry.get("links") or []:
            if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                return str(alt["href"])
    return str(href)


def _root(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.path in ("", "/") and not parts.query


def _guid_address(entry: Any, feed_url: str, link: str | None) -> str | None:
    """The item's guid when it is an address on the site its link is on (not the site's root)."""
    guid = dict.get(entry, "id")
    if not isinstance(guid, str) or not guid.startswith(("http://", "https://")):
        return None
    url = joined(feed_url, guid.strip())
    return url if url is not None and link is not None and not _root(url) and same_site(url, link) else None


def parse_feed(text: str, feed_url: str, source_id: str, zone: str = "UTC") -> list[Link]:
    """Parse a feed (RSS, Atom or JSON Feed), its dates without an offset in `zone` (the outlet's); raise
    Skip("bad_feed") when nothing usable is in it."""
    if looks_like_json(text):
        items = parse_json_feed(text, feed_url, source_id, zone)
        if not items:
            log.info("feed %s is empty", feed_url)
        return [_aggregated(link) for link in items]
    try:
        # XML allows no NUL characters (feedparser fails on them); some feeds carry stray ones. Blank lines before
        # the XML declaration (a PHP include's) break the strict parser too: the loose one, and a warning, each poll.
        parsed = feedparser.parse(text.replace("\x00", "").lstrip("\ufeff \t\r\n"), sanitize_html=False,
                                  resolve_relative_uris=False)
    except Exception as exc:  # feedparser's own bugs on odd markup (a stray </height> in a malformed feed: int(None))
        raise Skip("bad_feed", f"{feed_url}: the feed parser failed: {type(exc).__name__}: {exc}") from None
    entries = parsed.get("entries") or []
    if parsed.get("bozo") and not entries:
        error = parsed.get("bozo_exception")
        raise Skip("bad_feed", f"{feed_url}: {type(error).__name__}: {error}")
    if not entries and not parsed.get("version"):
        raise Skip("bad_feed", f"{feed_url}: not an RSS or Atom feed")
    if not entries:
        log.info("feed %s is empty", feed_url)  # KCNA Watch's feed is empty now and then
    links: list[Link] = []
    seen: set[str] = set()
    hrefs = [_item_link(entry) for entry in entries]
    shared = {href for href, count in Counter(hrefs).items() if count > 1}
    for entry, href in zip(entries, hrefs, strict=True):
        if href and (href in shared or _root(joined(feed_url, href))):
            # Items that all link to the site (or one page) and name their article in the guid, as some CMS
            # feeds do: the guid is the item's address.
            href = _guid_address(entry, feed_url, joined(feed_url, href)) or href
        if not href:
            continue
        url = joined(feed_url, href)
        if url is None or url in seen:
            continue
        seen.add(url)
        publisher = _publisher(entry)
        title = _without_publisher(" ".join((entry.get("title") or "").split()) or None, publisher)
        # content:encoded / atom:content holds the whole article on some feeds; a summary is only a teaser.
        contents = entry.get("content") or []
        content = next((c.get("value") for c in contents if c.get("value")), None)
        links.append(_aggregated(Link(url=url, source_id=source_id, found_in=feed_url, title=title,
                                      published_at=_entry_date(entry, zone), content=content, publisher=publisher)))
    if parsed.get("bozo"):
        log.warning("feed %s is malformed (%s); using the %d links in the %d items recovered",
                    feed_url, parsed.get("bozo_exception"), len(links), len(entries))
    return links
