"""RSS and Atom feeds → Links, with feedparser (lenient: a feed with small XML errors still yields items)."""

from __future__ import annotations

import calendar
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from scraper.errors import Skip
from scraper.records import Link

log = logging.getLogger(__name__)


def _entry_date(entry: Any) -> datetime | None:
    # feedparser normalises every date format it knows to a UTC struct_time.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def parse_feed(text: str, feed_url: str, source_id: str) -> list[Link]:
    """Parse a feed; raise Skip("bad_feed") when nothing usable is in it."""
    parsed = feedparser.parse(text, sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    if parsed.get("bozo") and not entries:
        error = parsed.get("bozo_exception")
        raise Skip("bad_feed", f"{feed_url}: {type(error).__name__}: {error}")
    if not entries and not parsed.get("version"):
        raise Skip("bad_feed", f"{feed_url}: not an RSS or Atom feed")
    if not entries:
        log.info("feed %s is empty", feed_url)  # KCNA Watch's feed is empty now and then
    if parsed.get("bozo"):
        log.warning("feed %s is malformed (%s); using the %d items recovered",
                    feed_url, parsed.get("bozo_exception"), len(entries))
    links: list[Link] = []
    seen: set[str] = set()
    for entry in entries:
        href = entry.get("link") or ""
        if not href:
            for alt in entry.get("links") or []:
                if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                    href = alt["href"]
                    break
        if not href:
            continue
        url = urljoin(feed_url, href.strip())
        if url in seen:
            continue
        seen.add(url)
        title = (entry.get("title") or "").strip() or None
        # content:encoded / atom:content holds the whole article on some feeds; a summary is only a teaser.
        contents = entry.get("content") or []
        content = next((c.get("value") for c in contents if c.get("value")), None)
        links.append(Link(url=url, source_id=source_id, found_in=feed_url, title=title,
                          published_at=_entry_date(entry), content=content))
    return links
