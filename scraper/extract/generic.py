"""Any fetched page → Article: the outlet's selectors or the generic main text, cleaned, with its metadata.

    page ─┬─ site/sources.toml selectors (override.py) ─┐
          └─ trafilatura + density vote (body.py) ───────┴─ chrome cleaner (clean.py)
             ─ dateline/credit (wire.py) ─ title, subtitle, authors (meta.py), dates in UTC (dates.py)
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from htmldate import find_date
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from scraper.errors import Skip
from scraper.extract.blocks import Block
from scraper.extract.body import encoded, main_text, without_scripts
from scraper.extract.clean import MAX_SUBTITLE, MAX_TITLE, bounded, clean, normalise_line, same_text
from scraper.extract.dates import date_from_dateline, page_day, parse_date, url_date
from scraper.extract.depth import flattened
from scraper.extract.meta import choose_title, clean_authors, read_meta
from scraper.extract.notfound import not_found_page
from scraper.extract.override import Picked, pick
from scraper.extract.sites import SiteRules, rules_for
from scraper.extract.wire import agency, split_wire_lines
from scraper.records import Article, Fetched, Link, RuleOutcome, Source
from scraper.urls import canonicalize, joined, parsable, same_site

# Less than this many letters and digits is a menu, a "Home" link or an error stub, not an article
# (the shortest real briefs, even in Korean or Chinese, run to a sentence of 30+ characters).
MIN_BODY_CHARS = 25
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w less "_" is exactly str.isalnum
# Full-width digits and Latin letters (０-９, Ａ-Ｚ, ａ-ｚ) as ASCII; not NFKC, which would also turn a Chinese page's
# full-width punctuation (，。：) into ASCII.
_FULL_WIDTH = {code: code - 0xFEE0 for block in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
               for code in range(block[0], block[1] + 1)}


def _canonical(declared: str | None, final_url: str, source: Source) -> str:
    """The page's own canonical URL when it is on the same site and not just the home page.

    A page read from a file or stdin has no site of its own: its declared URL is the best we know.
    """
    fetched_online = final_url.startswith(("http://", "https://"))
    # A declared URL that is no URL ("http://[::1") leaves the page its own.
    candidate = (joined(final_url, declared) if fetched_online else declared) if declared else None
    if candidate and parsable(candidate):
        path = urlsplit(candidate).path
        if (candidate.startswith(("http://", "https://")) and path not in ("", "/")
                and (not fetched_online or same_site(candidate, final_url))):
            return canonicalize(candidate, source.strip_query)
    return canonicalize(final_url, source.strip_query) if fetched_online else final_url


def _has_text(paragraphs: list[str] | tuple[str, ...]) -> bool:
    """At least MIN_BODY_CHARS letters and digits (counted until there are enough)."""
    letters = 0
    for line in paragraphs:
        letters += len(_NOT_ALNUM.sub("", line))
        if letters >= MIN_BODY_CHARS:
            return True
    return False


def _without_subtitle(blocks: list[Block], subtitle: str | None) -> list[Block]:
    """The standfirst is its own field: drop it where it opens the text."""
    if not subtitle:
        return blocks
    for index, block in enumerate(blocks[:3]):
        if same_text(block.text, subtitle):
            return blocks[:index] + blocks[index + 1:]
    return blocks


def _guessed_date(html: str, fetched_at: datetime, url: str) -> str | None:
    """htmldate's reading of the page (a date in its URL first, then visible dates, headers): a day, not a
    time; the last resort. `url` is the page's canonical URL (htmldate looks for one itself, but misses some)."""
    try:
        # Not the extensive search: it loads dateparser (seconds) to guess from free text.
        return find_date(html, url=url if url.startswith(("http://", "https://")) else None, original_date=True,
                         extensive_search=False, max_date=fetched_at.strftime("%Y-%m-%d"))
    except (ValueError, TypeError):
        return None


def _published(picked: Picked, meta_date: str | None, link: Link | None, dateline_date: str | None,
               source: Source, fetched: Fetched, url: str) -> datetime | None:
    """The outlet's own selector, then what the page declares (meta, JSON-LD), then the feed's or listing's
    date, then the day in the article's URL: each a full date. Only then the dateline's day ("SEOUL, June 1",
    no year; the KCNA page prints nothing else), its year taken from the page's other dates (the day it prints
    most often) or else from the fetch, a web archive's capture; and last htmldate's day-only reading."""
    now = fetched.fetched_at
    for text in (picked.date, meta_date):
        if moment := parse_date(text, source.timezone, now=now):
            return moment
    if link is not None and link.published_at is not None:
        return link.published_at
    for address in dict.fromkeys((url, fetched.final_url)):
        if moment := url_date(address, source.timezone, now):
            return moment
    if dateline_date and (moment := date_from_dateline(dateline_date, now, source.timezone,
                                                       near=page_day(fetched.text, now))):
        return moment
    return parse_date(_guessed_date(fetched.text, now, url), source.timezone, now=now)


def _rule_outcomes(rules: SiteRules | None, picked: Picked, blocks_found: bool, date_found: bool) -> tuple[
        RuleOutcome, ...]:
    """Which of the outlet's own selectors found what they are for on this page (authors are not judged:
    many real articles have none)."""
    if rules is None:
        return ()
    selectors = rules.selectors
    outcomes = []
    if selectors.title:
        outcomes.append(RuleOutcome("title", bool(picked.title)))
    if selectors.date:
        outcomes.append(RuleOutcome("date", date_found))
    if selectors.body:
        outcomes.append(RuleOutcome("body", blocks_found))
    return tuple(outcomes)


def extract_article(fetched: Fetched, source: Source, link: Link | None = None) -> Article:
    """Extract one fetched page. Raises Skip("empty") when no article text is found."""
    # Parsed once by lexbor, for the metadata and the density pass, and without its scripts and styles
    # (half the bytes of a page; the JSON-LD is kept), from the UTF-8 bytes lxml reads too; every parser reads
    # the page flattened below the depth of any article (depth.py: their time grows with depth times tags).
    html = flattened(fetched.text)
    markup = encoded(without_scripts(html))
    tree = HTMLParser(markup)
    meta = read_meta(tree)
    rules = rules_for(fetched.final_url, source)
    picked = pick(html, rules) if rules is not None else Picked()

    blocks = list(picked.blocks)
    body_by_rule = _has_text([b.text for b in blocks])
    if not body_by_rule:
        blocks = list(main_text(html, tree, markup=markup).blocks)
    title = bounded(normalise_line(picked.title or choose_title(meta, link.title if link and link.title else "")),
                     MAX_TITLE)
    subtitle = bounded(normalise_line(picked.subtitle or meta.subtitle or ""), MAX_SUBTITLE) or None
    if subtitle and same_text(subtitle, title):
        subtitle = None
    cleaned, residue = clean(_without_subtitle(blocks, subtitle), title)
    paragraphs = [b.text for b in cleaned]
    if rules is not None and rules.full_width:
        paragraphs = [p.translate(_FULL_WIDTH) for p in paragraphs]
        title = title.translate(_FULL_WIDTH)
    wire = split_wire_lines(paragraphs)
    paragraphs = [p for p in wire.paragraphs if p.strip()]
    if not _has_text(paragraphs):
        raise Skip("empty", f"no article text found: {fetched.final_url}")
    if not_found_page(title, paragraphs):
        raise Skip("not_found_page", f"the page says it is not found (HTTP {fetched.status}): {fetched.final_url}")

    raw_authors = picked.authors or meta.authors
    credit = wire.credit
    authors: list[str] = []
    for name in (*clean_authors(raw_authors), *wire.authors):
        # An agency given as the author is the credit, not a person; the outlet's own name is neither.
        if (wire_name := agency(name)) is not None:
            credit = credit or wire_name
        elif any(outlet and same_text(name, outlet)
                 for outlet in (meta.site_name, source.name, *(rules.own_names if rules else ()))):
            continue
        elif name not in authors:
            authors.append(name)

    canonical = _canonical(meta.canonical, fetched.final_url, source)
    published = _published(picked, meta.published, link, wire.dateline.date_text if wire.dateline else None,
                           source, fetched, canonical)
    updated = parse_date(meta.updated, source.timezone, now=fetched.fetched_at)
    if updated is not None and (published is None or updated <= published):
        updated = None  # an "update" no later than the publication is the publication
    return Article(
        url=fetched.url,
        canonical_url=canonical,
        title=title,
        paragraphs=tuple(paragraphs),
        authors=tuple(authors),
        published_at=published,
        fetched_at=fetched.fetched_at,
        subtitle=subtitle,
        dateline=wire.dateline,
        credit=credit,
        updated_at=updated,
        residue=residue,
        editor_notes=wire.notes,
        rules=_rule_outcomes(rules, picked, body_by_rule,
                             parse_date(picked.date, source.timezone, now=fetched.fetched_at) is not None),
    )
