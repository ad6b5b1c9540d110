"""XML sitemaps, sitemap indexes, Google News sitemaps and text sitemaps → Links and child sitemap URLs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from dateutil import parser as dateparser
from lxml import etree

from scraper.errors import Skip
from scraper.extract.dates import to_utc
from scraper.records import Link
from scraper.urls import joined

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sitemap:
    """What one sitemap file holds: article links, and (for an index) further sitemaps with their lastmod."""

    links: tuple[Link, ...]
    children: tuple[tuple[str, datetime | None], ...]


def _local(tag: object) -> str:
    try:
        return etree.QName(tag).localname if isinstance(tag, str) else ""
    except ValueError:  # a tag lxml's recovery let through that is no valid name ("rss:")
        return ""


def _date(text: str | None, zone: str) -> datetime | None:
    """A W3C date of a sitemap; one without an offset ("2026-11-30", "2026-11-30T10:00") is in the outlet's zone."""
    if not text or not text.strip():
        return None
    try:
        return to_utc(dateparser.isoparse(text.strip()), zone)
    except (ValueError, OverflowError):
        return None


def _child_text(node: etree._Element, name: str) -> str | None:
    for child in node.iter():
        if _local(child.tag) == name and child.text:
            return str(child.text)
    return None


def _text_sitemap(text: str, sitemap_url: str, source_id: str) -> Sitemap:
    """A text sitemap (sitemaps.org): one absolute URL a line, nothing else. Lines that are no URL are left out
    with a warning; a file with none (a page of prose, an error message) is no sitemap."""
    links: list[Link] = []
    others = 0
    for line in text.lstrip("\ufeff").splitlines():
        line = line.strip()
        if not line:
            continue
        url = joined(sitemap_url, line) if line.startswith(("http://", "https://")) and " " not in line else None
        if url is None:
            others += 1
            continue
        links.append(Link(url=url, source_id=source_id, found_in=sitemap_url))
    if not links:
        raise Skip("bad_sitemap", f"{sitemap_url}: not a sitemap (neither XML nor one URL a line)")
    if others:
        log.warning("text sitemap %s has %d lines that are no URL; using its %d URLs", sitemap_url, others,
                    len(links))
    return Sitemap(links=tuple(links), children=())


def parse_sitemap(text: str, sitemap_url: str, source_id: str, zone: str = "UTC") -> Sitemap:
    """Parse a sitemap or sitemap index (XML), or a text sitemap, its dates without an offset in `zone` (the
    outlet's); raise Skip("bad_sitemap") if it is none of them."""
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        return _text_sitemap(text, sitemap_url, source_id)
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False,
                             encoding="utf-8")
    try:
        root = etree.fromstring(text.encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise Skip("bad_sitemap", f"{sitemap_url}: {exc}") from None
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        raise Skip("bad_sitemap", f"{sitemap_url}: not a sitemap")
    links: list[Link] = []
    children: list[tuple[str, datetime | None]] = []
    for node in root:
        name = _local(node.tag)
        loc = _child_text(node, "loc")
        if not loc:
            continue
        url = joined(sitemap_url, loc)
        if url is None:
            continue
        if name == "sitemap":
            children.append((url, _date(_child_text(node, "lastmod"), zone)))
        elif name == "url":
            # A Google News sitemap's publication date is the article's; lastmod may be a later edit.
            published = (_date(_child_text(node, "publication_date"), zone)
                         or _date(_child_text(node, "lastmod"), zone))
            title = _child_text(node, "title")
            links.append(Link(url=url, source_id=source_id, found_in=sitemap_url,
                              title=title.strip() if title else None, published_at=published))
    return Sitemap(links=tuple(links), children=tuple(children))
