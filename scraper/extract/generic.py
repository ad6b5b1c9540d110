"""Generic extraction with trafilatura, plus the metadata the publisher declares: any page → Article."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import trafilatura
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from scraper.errors import Skip
from scraper.extract.clean import normalise_line, paragraphs
from scraper.extract.dates import parse_date
from scraper.extract.meta import read_meta
from scraper.records import Article, Fetched, Link, Source
from scraper.urls import canonicalize, same_site

# Less than this many letters and digits is a menu, a "Home" link or an error stub, not an article
# (the shortest real briefs, even in Korean or Chinese, run to a sentence of 30+ characters).
MIN_BODY_CHARS = 25


def _trafilatura(html: str, url: str, *, precision: bool) -> tuple[str, str, str, str]:
    """(text, title, author, date) from trafilatura; empty strings when it finds nothing."""
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,  # reader comments are not the article
        include_tables=True,
        favor_precision=precision,
        favor_recall=not precision,
    )
    if document is None:
        return "", "", "", ""
    return (document.text or "", document.title or "", document.author or "", document.date or "")


def _canonical(declared: str | None, final_url: str, source: Source) -> str:
    """The page's own canonical URL when it is on the same site and not just the home page.

    A page read from a file or stdin has no site of its own: its declared URL is the best we know.
    """
    fetched_online = final_url.startswith(("http://", "https://"))
    if declared:
        candidate = urljoin(final_url, declared) if fetched_online else declared
        path = urlsplit(candidate).path
        if (candidate.startswith(("http://", "https://")) and path not in ("", "/")
                and (not fetched_online or same_site(candidate, final_url))):
            return canonicalize(candidate, source.strip_query)
    return canonicalize(final_url, source.strip_query) if fetched_online else final_url


def extract_article(fetched: Fetched, source: Source, link: Link | None = None) -> Article:
    """Extract one fetched page. Raises Skip("empty") when no article text is found."""
    tree = HTMLParser(fetched.text)
    meta = read_meta(tree)
    text, title, author, date = _trafilatura(fetched.text, fetched.final_url, precision=True)
    if not text.strip():
        # Precision mode drops short articles whole; recall mode is the evidence-based second try.
        text, title, author, date = _trafilatura(fetched.text, fetched.final_url, precision=False)
    title = normalise_line(meta.title or title or (link.title if link else "") or "")
    body = paragraphs(text, title)
    if sum(ch.isalnum() for line in body for ch in line) < MIN_BODY_CHARS:
        raise Skip("empty", f"no article text found: {fetched.final_url}")

    # A date with a time of day beats the feed's, which beats trafilatura's day-only guess.
    published = parse_date(meta.published, source.timezone)
    if published is None and link is not None:
        published = link.published_at
    if published is None:
        published = parse_date(date, source.timezone)

    authors = meta.authors or tuple(a.strip() for a in author.split(";") if a.strip())
    return Article(
        url=fetched.url,
        canonical_url=_canonical(meta.canonical, fetched.final_url, source),
        title=title,
        paragraphs=tuple(body),
        authors=tuple(authors),
        published_at=published,
        fetched_at=fetched.fetched_at,
    )
