"""The pure, CPU-bound part of handling one article: a page (or a feed item) → a Record and its story print.

No I/O, no state: worker processes run `prepare_page` (scraper/workers.py), the pipeline runs the rest of
the stages around it, and `scraper extract` calls `analyse_page` on single pages.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from scraper.analyse import Analyser
from scraper.dedup import StoryPrint, content_hash, story_print
from scraper.errors import Skip
from scraper.extract import extract_article
from scraper.extract.clean import MAX_TITLE, bounded, normalise_line
from scraper.fetch.guard import decoded
from scraper.records import Fetched, Link, Record, RuleOutcome, Source
from scraper.urls import canonicalize, record_id

# Query parameters of an aggregator's item link that say nothing about the article (Google News "?oc=5").
AGGREGATOR_QUERY = ("oc", "hl", "gl", "ceid")


@dataclass(frozen=True, slots=True)
class Prepared:
    """One article ready for the single writer: its record (not yet deduplicated), its story print, and how
    the outlet's own page rules fared on it (for the drift counters)."""

    record: Record
    printed: StoryPrint
    rules: tuple[RuleOutcome, ...] = ()


def analyse_page(fetched: Fetched, source: Source, analyser: Analyser,
                 link: Link | None = None) -> tuple[Record, tuple[RuleOutcome, ...]]:
    """Extract the article and analyse it into a Record (not yet deduplicated), with the rule outcomes."""
    article = extract_article(decoded(fetched), source, link)
    # The extractor's cleaner removes whole chrome lines; this pass takes language menus and interface
    # strings glued to a paragraph, and both reach the translation analysis as evidence.
    paragraphs, removed = analyser.strip_residue(article.paragraphs)
    if not paragraphs:
        raise Skip("empty", f"nothing left after removing interface residue: {fetched.final_url}")
    body = "\n\n".join(paragraphs)
    analysis = analyser.analyse(paragraphs, source.languages, article.residue + removed,
                                any_language=source.any_language)
    record = Record(
        id=record_id(source.id, article.canonical_url),
        url=fetched.url,
        canonical_url=article.canonical_url,
        source_id=source.id,
        source_name=source.name,
        title=article.title,
        body=body,
        authors=article.authors,
        published_at=article.published_at,
        fetched_at=article.fetched_at,
        language=analysis.language,
        translation=analysis.translation,
        names=analysis.names,
        content_hash=content_hash(body),
        subtitle=article.subtitle,
        dateline=article.dateline,
        credit=article.credit,
        updated_at=article.updated_at,
        editor_notes=article.editor_notes,
        publisher=link.publisher if link is not None else None,
        aggregator_url=link.aggregator_url if link is not None else None,
    )
    return record, article.rules


def prepare_page(fetched: Fetched, source: Source, analyser: Analyser, link: Link | None = None) -> Prepared:
    """`analyse_page` and the record's story fingerprint: everything before the single-writer stages."""
    record, rules = analyse_page(fetched, source, analyser, link)
    return Prepared(record, story_print(record), rules)


def prepare_feed_only(link: Link, source: Source, analyser: Analyser, now: datetime | None = None) -> Prepared:
    """The record of an aggregator's item whose publisher page cannot be located: title, publisher, date, the
    aggregator's link, an empty body. Its language is the title's; its content hash the title's, so that two
    feeds listing one headline agree."""
    title = bounded(normalise_line(link.title or ""), MAX_TITLE)
    if not title:
        raise Skip("empty", f"a feed item with neither a readable link nor a title: {link.url}")
    canonical = canonicalize(link.url, AGGREGATOR_QUERY)
    analysis = analyser.analyse([title], source.languages, any_language=source.any_language)
    record = Record(
        id=record_id(source.id, canonical),
        url=link.url,
        canonical_url=canonical,
        source_id=source.id,
        source_name=source.name,
        title=title,
        body="",
        authors=(),
        published_at=link.published_at,
        fetched_at=now or datetime.now(UTC),
        language=analysis.language,
        content_hash=content_hash(title),
        publisher=link.publisher,
        aggregator_url=link.aggregator_url or link.url,
        feed_only=True,
    )
    return Prepared(record, story_print(record))


def prepare(fetched: Fetched | None, source: Source, analyser: Analyser, link: Link | None = None) -> Prepared:
    """An article's page, or (`fetched` None) its feed item alone, ready for the single writer."""
    if fetched is None:
        if link is None:
            raise ValueError("prepare needs a page or a feed item")
        return prepare_feed_only(link, source, analyser)
    return prepare_page(fetched, source, analyser, link)


# WordPress appends "The post <a>Title</a> appeared first on <a>Site</a>." to every feed item: not the article.
_FEED_FOOTER = re.compile(r"<p>\s*The post\b.{0,500}?\bappeared first on\b.{0,300}?</p>\s*$", re.S | re.I)


def from_feed(link: Link) -> Fetched | None:
    """The article as the feed carries it, as a page the extractor can read; None if the feed has no body."""
    if not link.content:
        return None
    title = html.escape(link.title or "")
    content = _FEED_FOOTER.sub("", link.content)
    page = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{content}</article>"
            "</body></html>")
    return Fetched(url=link.url, final_url=link.url, status=200, content_type="text/html; charset=utf-8",
                   text=page, encoding="utf-8", fetched_at=datetime.now(UTC), size=len(page))
