"""Page metadata the publisher declares (canonical link, Open Graph, article:*, JSON-LD), read with selectolax."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser

_PUBLISHED_META = (
    'meta[property="article:published_time"]',
    'meta[property="og:article:published_time"]',
    'meta[name="article:published_time"]',
    'meta[itemprop="datePublished"]',
    'meta[name="pubdate"]',
    'meta[name="publishdate"]',
    'meta[name="publish-date"]',
    'meta[name="date"]',
    'meta[name="dc.date.issued"]',
    'meta[name="DC.date.issued"]',
    'meta[name="sailthru.date"]',
)


@dataclass(frozen=True, slots=True)
class PageMeta:
    canonical: str | None = None
    title: str | None = None
    published: str | None = None  # the raw string; dates.py turns it into UTC with the outlet's zone
    authors: tuple[str, ...] = ()


def _attr(tree: HTMLParser, selector: str, attribute: str) -> str | None:
    node = tree.css_first(selector)
    value = node.attributes.get(attribute) if node is not None else None
    return value.strip() if value and value.strip() else None


def _json_ld(tree: HTMLParser) -> Iterator[dict[str, Any]]:
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text(deep=True) or "")
        except (json.JSONDecodeError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def read_meta(tree: HTMLParser) -> PageMeta:
    canonical = _attr(tree, 'link[rel="canonical"]', "href") or _attr(tree, 'meta[property="og:url"]', "content")
    title = _attr(tree, 'meta[property="og:title"]', "content")
    published = next((v for s in _PUBLISHED_META if (v := _attr(tree, s, "content"))), None)
    authors: list[str] = []
    for item in _json_ld(tree):
        if not published and isinstance(item.get("datePublished"), str):
            published = item["datePublished"]
        if not authors:
            authors = [a.strip() for a in _names(item.get("author")) if a.strip()]
    if not published:
        published = _attr(tree, "time[datetime]", "datetime")
    if not authors and (author := _attr(tree, 'meta[name="author"]', "content")):
        authors = [author]
    # An author given as a profile URL is not a name.
    authors = [a for a in authors if not a.startswith(("http://", "https://"))]
    return PageMeta(canonical=canonical, title=title, published=published, authors=tuple(authors))
