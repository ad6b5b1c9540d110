"""JSON Feed (https://jsonfeed.org/version/1.1) → Links: the third syndication format beside RSS and Atom.

feedparser (6.0) reads no JSON, and the packages that do are unmaintained; the format is small: an object with a
`version` naming jsonfeed.org and a list of `items`, each with a `url` (or only an `external_url`), a `title`,
`date_published` (RFC 3339) and its text as `content_html` or `content_text`. What is not of that shape costs its
item, not the feed.
"""

from __future__ import annotations

import html
import json
from typing import Any

from scraper.errors import Skip
from scraper.extract.dates import parse_date
from scraper.records import Link
from scraper.urls import joined


def looks_like_json(text: str) -> bool:
    """Whether a feed's text is JSON rather than XML (no XML document starts with "{")."""
    return text.lstrip("\ufeff \t\r\n").startswith("{")


def _text(value: Any) -> str | None:
    return (" ".join(value.split()) or None) if isinstance(value, str) else None


def _content(item: dict[str, Any]) -> str | None:
    """The item's own text as HTML: `content_html`, else `content_text` in paragraphs."""
    if isinstance(value := item.get("content_html"), str) and value.strip():
        return value
    if isinstance(value := item.get("content_text"), str) and value.strip():
        paragraphs = [" ".join(block.split()) for block in value.replace("\r\n", "\n").split("\n\n")]
        return "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in paragraphs if paragraph)
    return None


def parse_json_feed(text: str, feed_url: str, source_id: str, zone: str = "UTC") -> list[Link]:
    """The article links of a JSON Feed, dates without an offset read in `zone`; Skip("bad_feed") when the text
    is no JSON Feed."""
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:  # (a document nested thousands deep is refused, not a crash)
        raise Skip("bad_feed", f"{feed_url}: not valid JSON ({type(exc).__name__}: {str(exc)[:200]})") from None
    version = document.get("version") if isinstance(document, dict) else None
    items = document.get("items") if isinstance(document, dict) else None
    if not (isinstance(version, str) and "jsonfeed.org/version/" in version and isinstance(items, list)):
        raise Skip("bad_feed", f"{feed_url}: JSON, but no JSON Feed (it needs a jsonfeed.org \"version\" and "
                               "a list of \"items\"); give an RSS, Atom or JSON Feed address")
    links: list[Link] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        href = item.get("url") if isinstance(item.get("url"), str) else item.get("external_url")
        if not isinstance(href, str) or (url := joined(feed_url, href)) is None or url in seen:
            continue
        seen.add(url)
        published = next((moment for key in ("date_published", "date_modified")
                          if (moment := parse_date(_text(item.get(key)), zone)) is not None), None)
        links.append(Link(url=url, source_id=source_id, found_in=feed_url, title=_text(item.get("title")),
                          published_at=published, content=_content(item)))
    return links
