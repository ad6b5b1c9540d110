"""Paginated listing and archive pages → Links: page URLs from a template, links and dates by CSS selectors.

An outlet's listing is configured as data (`[[outlet.listings]]` in sources.toml, validated by
`parse_listing_table`). Everything here is pure: the caller fetches each URL `page_urls` gives, hands the
HTML to `parse_listing`, and asks `stop_reason` whether to fetch the next page.

How the selectors pair links with dates:

* with `item`: each element matching `item` is one list entry; its link is the first match of `links`
  inside it (preferring one with text, so an image link before the headline does not win), and its date
  the first match of `dates` inside it (a `datetime` attribute wins over the text);
* without `item`: every match of `links` is a link, undated (`dates` needs `item`: a free-standing list of
  dates cannot be paired reliably with a list of links, and a wrong date drops articles from a range).

`links` may select the `<a>` itself or an element inside it (Yonhap's `... div.news-con a strong`); the
link is then the nearest enclosing `<a href>`, and the title the selected element's text.

Selectors break when an outlet redesigns its pages; its article URLs rarely change. So an outlet's
`article_url` pattern (sources.toml) is the ground truth of what an article link is: the selectors refine it
(titles, dates, the order of the list), and when they find nothing the pattern's links are taken, and the
miss is reported (`ListingPage.rules`) for the drift counters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from urllib.parse import urldefrag, urlsplit
from zoneinfo import ZoneInfo

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from scraper.errors import ConfigError
from scraper.extract.dates import CLOCK_SKEW, parse_date, plausible, to_utc
from scraper.extract.depth import flattened
from scraper.records import Link, Listing, RuleOutcome, template_kind
from scraper.urls import joined

_LINKS = frozenset({"a"})  # what a listing page is read for: kept however deep it is nested
StopReason = Literal["empty_page", "older_than_since", "no_new_links"]

_KEYS = ("url", "links", "item", "dates", "first_page", "max_pages")
# Listings often print the day without a year: Yonhap's "07-23 14:05", KCNA-style "07.23." (month first).
_MONTH_DAY = re.compile(r"^\D{0,12}?(\d{1,2})\s*[-./]\s*(\d{1,2})\.?(?:\s+(\d{1,2}):(\d{2}))?\s*\D{0,12}$")


def _check_selector(selector: str) -> str:
    if not selector.strip():
        raise ValueError("expected a CSS selector, got an empty string")
    try:
        LexborHTMLParser("<p></p>").css(selector.strip())
    except SelectolaxError:
        raise ValueError(f'not a valid CSS selector: "{selector}"') from None
    return selector.strip()


# --- configuration ----------------------------------------------------------------------------------------
def parse_listing_table(table: object, *, path: str, outlet: str, key: str = "listings") -> Listing:
    """Validate one `[[outlet.listings]]` table; ConfigError names the file, the outlet and the key.

    `key` is how the caller names this table in messages, e.g. `listings[1]`; a bad field is reported as
    `listings[1].links`.
    """

    def fail(message: str, name: str | None = None) -> ConfigError:
        return ConfigError(message, path=path, outlet=outlet, key=f"{key}.{name}" if name else key)

    if not isinstance(table, Mapping):
        raise fail(f'expected a table like {{url = "https://…/list/{{page}}", links = "li a"}}, got {table!r}')
    fields: Mapping[str, object] = table
    for name in fields:
        if name not in _KEYS:
            raise fail(f'unknown key "{name}" (known keys: {", ".join(sorted(_KEYS))})', str(name))

    def text(name: str, check: Callable[[str], object]) -> str | None:
        if name not in fields:
            return None
        value = fields[name]
        if not isinstance(value, str):
            raise fail(f"expected a string, got {value!r}", name)
        try:
            check(value)
        except ValueError as exc:
            raise fail(str(exc), name) from None
        return value.strip()

    def number(name: str, least: int, default: int) -> int:
        value = fields.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise fail(f"expected a whole number ≥ {least}, got {value!r}", name)
        return value

    url = text("url", template_kind)
    links = text("links", _check_selector)
    item = text("item", _check_selector)
    dates = text("dates", _check_selector)
    if dates is not None and item is None:
        raise fail('"dates" needs "item", the selector of each list entry; the date is read inside it', "dates")
    if item is not None and links is None:
        raise fail('"item" needs "links", the selector of the article link inside each entry', "links")
    if url is None:
        raise fail('missing key "url"', "url")
    return Listing(url=url, links=links, item=item, dates=dates,
                   first_page=number("first_page", 0, 1), max_pages=number("max_pages", 1, 50))


def parse_listing_tables(value: object, *, path: str, outlet: str, key: str = "listings") -> tuple[Listing, ...]:
    """Validate an outlet's `listings` (an array of tables, `[[outlet.listings]]` or `listings = [{...}]`)."""
    if not isinstance(value, list):
        raise ConfigError(f'expected an array of tables ([[outlet.listings]]), got {value!r}', path=path,
                          outlet=outlet, key=key)
    return tuple(parse_listing_table(table, path=path, outlet=outlet, key=f"{key}[{number}]")
                 for number, table in enumerate(value))


# --- page URLs --------------------------------------------------------------------------------------------
def _local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def page_urls(
    listing: Listing,
    since: datetime | None,
    until: datetime | None,
    today: date,
    *,
    timezone: str = "UTC",
) -> Iterator[str]:
    """The listing's page URLs in the order to fetch them (`listing_pages` without the days)."""
    return (url for url, _ in listing_pages(listing, since, until, today, timezone=timezone))


def listing_pages(
    listing: Listing,
    since: datetime | None,
    until: datetime | None,
    today: date,
    *,
    timezone: str = "UTC",
) -> Iterator[tuple[str, date | None]]:
    """The listing's page URLs in the order to fetch them, each with its local day (None but for `{date}`).

    `{page}`: first_page, first_page + 1, ... (max_pages of them); the caller stops earlier on
    `stop_reason`. `{date}`: one URL per day, newest first, from the day of `until` (exclusive, as in
    the pipeline's range check; `today` if None or later) back to the day of `since` (or max_pages days
    when `since` is None). Days are the outlet's local days (`timezone`): a KST archive page for 23 July
    holds articles from 22 July 15:00 UTC.
    """
    if listing.kind == "single":
        yield listing.url, None
        return
    if listing.kind == "page":
        for page in range(listing.first_page, listing.first_page + listing.max_pages):
            yield listing.url.format(page=page), None
        return
    last = today if until is None else min(today, _local_day(until - timedelta(microseconds=1), timezone))
    first = (_local_day(since, timezone) if since is not None
             else last - timedelta(days=listing.max_pages - 1))
    day = last
    while day >= first:
        yield listing.url.format(date=day), day
        day -= timedelta(days=1)


# --- one listing page -------------------------------------------------------------------------------------
def _text(node: LexborNode) -> str:
    return " ".join((node.text(deep=True, separator=" ") or "").split())


def _href_of(node: LexborNode) -> str | None:
    """The link a selected element stands for: its own href, its nearest `<a href>` ancestor's, or
    (for a selected heading or list item) the first `<a href>` inside it."""
    current: LexborNode | None = node
    while current is not None:
        href = current.attributes.get("href")
        if current.tag == "a" and href:
            return href
        current = current.parent
    inner = node.css_first("a[href]")
    return inner.attributes.get("href") if inner is not None else None


def _absolute(href: str | None, base: str) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    absolute = joined(base, href)
    if absolute is None:
        return None
    url = urldefrag(absolute).url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None  # javascript:, mailto:, tel:, data: ...
    return url


def _inside(node: LexborNode, ancestor: LexborNode) -> bool:
    """Whether `ancestor` holds `node`. (Nodes are told apart by `mem_id`: selectolax's `==` compares their HTML,
    which costs the size of the page's biggest ancestors on every step, and calls two identical items one.)"""
    current = node.parent
    while current is not None:
        if current.mem_id == ancestor.mem_id:
            return True
        current = current.parent
    return False


def listing_date(text: str | None, timezone: str, now: datetime | None = None) -> datetime | None:
    """A listing entry's date: anything `parse_date` reads (`[2024.06.15]`, `(Juche113.3.9.)`), or a
    month and day without a year (`07-23 14:05`), dated in the latest year that is not in the future."""
    moment = parse_date(text, timezone, now=now)
    if moment is not None or not text:
        return moment
    match = _MONTH_DAY.match(text.strip())
    if not match:
        return None
    month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
    now = now or datetime.now(UTC)
    year = now.astimezone(ZoneInfo(timezone)).year
    for candidate_year in (year, year - 1):
        try:
            local = datetime(candidate_year, month, day, hour, minute)
        except ValueError:  # 02-30, 13-01, 24:00
            return None
        candidate = to_utc(local, timezone)
        if candidate <= now + CLOCK_SKEW:
            return plausible(candidate, now)
    return None


def _entry(node: LexborNode, base: str, date_node: LexborNode | None,
           article_url: re.Pattern[str] | None = None) -> tuple[str, str | None] | None:
    href = _href_of(node)
    if article_url is not None and href and href.strip().lower().startswith("javascript:"):
        url = _pattern_url(href, base, article_url)  # the article the script opens, when the pattern knows it
    else:
        url = _absolute(href, base)
    if url is None:
        return None
    title = _text(node)
    if date_node is not None and (node.mem_id == date_node.mem_id or _inside(date_node, node)):
        # KCNA prints the date inside the link: "Title [2024.06.15]".
        title = " ".join(title.replace(_text(date_node), " ", 1).split())
    if not title:
        title = " ".join((node.attributes.get("title") or "").split())
    return url, title or None


@dataclass(frozen=True, slots=True)
class ListingPage:
    """What one listing page gave: its article links, and how the listing's selectors fared on it."""

    links: tuple[Link, ...]
    rules: tuple[RuleOutcome, ...] = ()  # one per configured selector that could be judged on this page
    fallback: bool = False  # the links were taken by the outlet's article URL pattern: the selectors found none


def _selected(tree: LexborHTMLParser, base: str, listing: Listing, timezone: str, now: datetime | None,
              article_url: re.Pattern[str] | None) -> tuple[list[tuple[str, str | None, datetime | None]], bool]:
    """Entries by the listing's selectors, and whether its `item` selector matched any element."""
    entries: list[tuple[str, str | None, datetime | None]] = []
    assert listing.links is not None
    if listing.item is None:
        for node in tree.css(listing.links):
            if (found := _entry(node, base, None, article_url)) is not None:
                entries.append((*found, None))
        return entries, True
    items = tree.css(listing.item)
    for item in items:
        date_node = item.css_first(listing.dates) if listing.dates else None
        candidates = [found for node in item.css(listing.links)
                      if (found := _entry(node, base, date_node, article_url)) is not None]
        if not candidates:
            continue
        url, title = next((c for c in candidates if c[1]), candidates[0])
        published = None
        if date_node is not None:
            raw = date_node.attributes.get("datetime") or _text(date_node)
            published = listing_date(raw, timezone, now)
        entries.append((url, title, published))
    return entries, bool(items)


_QUOTED = re.compile(r"""["']([^"'\s]{1,2000})["']""")


def _pattern_url(href: str | None, base: str, article_url: re.Pattern[str]) -> str | None:
    """The article URL a link leads to, if any: its href, or a quoted argument of a `javascript:` href
    (Rodong Sinmun's "javascript:article_open('index.php?…')", which no selector-free reader follows)."""
    if href and href.strip().lower().startswith("javascript:"):
        for quoted in _QUOTED.findall(href):
            url = _absolute(quoted, base)
            if url is not None and article_url.search(url):
                return url
        return None
    url = _absolute(href, base)
    return url if url is not None and article_url.search(url) else None


def _by_pattern(tree: LexborHTMLParser, base: str, article_url: re.Pattern[str]) -> list[tuple[str, str | None, None]]:
    """Every link on the page whose absolute URL is an article's, in page order (undated: the article page
    dates it)."""
    entries: list[tuple[str, str | None, None]] = []
    for node in tree.css("a[href]"):
        url = _pattern_url(node.attributes.get("href"), base, article_url)
        if url is not None:
            title = _text(node) or " ".join((node.attributes.get("title") or "").split())
            entries.append((url, title or None, None))
    return entries


def parse_listing(
    html: str,
    page_url: str,
    listing: Listing,
    source_id: str,
    timezone: str,
    *,
    now: datetime | None = None,
    article_url: re.Pattern[str] | None = None,
    name: str = "listing",
) -> ListingPage:
    """The article links of one listing page, absolute and deduplicated, in page order.

    Titles are the link text; dates (when `item` and `dates` are set) are read in the outlet's
    `timezone`. A URL listed twice keeps its first position and takes a title or date it lacked from the
    later entry (an image link and a headline link to the same article).

    With the outlet's `article_url` pattern, links the selectors find are kept only when they match it, and
    when the selectors find none (a redesign renamed the classes) every link on the page that matches it is
    taken instead: the page's `rules` then say which selector found nothing (`<name>.item`, `<name>.links`,
    `<name>.dates`), for the drift report. A listing without selectors takes the pattern's links, and
    judges no selector.
    """
    # A page nested 100,000 deep costs what a flat one does; its links stay at any depth.
    tree = LexborHTMLParser(flattened(html, keep=_LINKS))
    base = page_url
    if (base_node := tree.css_first("base[href]")) is not None:
        base = joined(page_url, base_node.attributes.get("href") or "") or page_url
    entries: list[tuple[str, str | None, datetime | None]] = []
    rules: list[RuleOutcome] = []
    if listing.links is not None:
        entries, items_found = _selected(tree, base, listing, timezone, now, article_url)
        if article_url is not None:
            entries = [entry for entry in entries if article_url.search(entry[0])]
        if listing.item is not None:
            rules.append(RuleOutcome(f"{name}.item", items_found))
        if items_found:
            rules.append(RuleOutcome(f"{name}.links", bool(entries)))
            if listing.dates is not None and entries:
                rules.append(RuleOutcome(f"{name}.dates", any(entry[2] is not None for entry in entries)))
    fallback = not entries and article_url is not None
    if fallback:
        assert article_url is not None
        entries = list(_by_pattern(tree, base, article_url))
    links: dict[str, Link] = {}
    for url, title, published in entries:
        known = links.get(url)
        if known is None:
            links[url] = Link(url=url, source_id=source_id, found_in=page_url, title=title, published_at=published)
        elif (known.title is None and title) or (known.published_at is None and published):
            links[url] = replace(known, title=known.title or title, published_at=known.published_at or published)
    return ListingPage(tuple(links.values()), tuple(rules), fallback and listing.links is not None)


# --- when to stop paging ----------------------------------------------------------------------------------
def stop_reason(links: list[Link], known: Callable[[str], bool], since: datetime | None) -> StopReason | None:
    """Why the page after this one need not be fetched, or None to go on (up to max_pages).

    * `empty_page`: nothing listed (past the last page, or the layout changed);
    * `older_than_since`: every dated link is older than `since` (undated links do not vote; a page
      with no dated link never stops for this);
    * `no_new_links`: every link is `known`. What "known" means is the caller's choice: in a backfill,
      links already seen earlier in the same walk (BelTA-style archives repeat page 1 for every page
      number); in an incremental poll, links in the state store.

    Meant for `{page}` walks. A `{date}` walk is bounded by `since` already, and an empty or already
    seen day (a holiday, a re-run) says nothing about the day before.
    """
    if not links:
        return "empty_page"
    dated = [link.published_at for link in links if link.published_at is not None]
    if since is not None and dated and all(moment < since for moment in dated):
        return "older_than_since"
    if all(known(link.url) for link in links):
        return "no_new_links"
    return None
