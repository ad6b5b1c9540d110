"""XML sitemaps, sitemap indexes and Google News sitemaps → Links and child sitemap URLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dateutil import parser as dateparser
from lxml import etree

from scraper.errors import Skip
from scraper.records import Link
from scraper.urls import joined


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


def _date(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    try:
        moment = dateparser.isoparse(text.strip())
    except (ValueError, OverflowError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _child_text(node: etree._Element, name: str) -> str | None:
    for child in node.iter():
        if _local(child.tag) == name and child.text:
            return str(child.text)
    return None


def parse_sitemap(text: str, sitemap_url: str, source_id: str) -> Sitemap:
    """Parse a sitemap or sitemap index; raise Skip("bad_sitemap") if it is neither."""
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
            children.append((url, _date(_child_text(node, "lastmod"))))
        elif name == "url":
            # A Google News sitemap's publication date is the article's; lastmod may be a later edit.
            published = _date(_child_text(node, "publication_date")) or _date(_child_text(node, "lastmod"))
            title = _child_text(node, "title")
            links.append(Link(url=url, source_id=source_id, found_in=sitemap_url,
                              title=title.strip() if title else None, published_at=published))
    return Sitemap(links=tuple(links), children=tuple(children))
