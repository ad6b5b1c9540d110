"""Page metadata the publisher declares (canonical link, Open Graph, article:*, JSON-LD, bylines), read with
selectolax, and the rules that turn raw values into a title, a subtitle and a clean list of authors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from scraper.extract.clean import is_ui_line, is_web_address
from scraper.text import scrub_json

_PUBLISHED_META = (
    'meta[property="article:published_time"]',
    'meta[property="og:article:published_time"]',
    'meta[name="article:published_time"]',
    'meta[itemprop="datePublished"]',
    'meta[name="pubdate"]',
    'meta[name="publishdate"]',
    'meta[name="publish-date"]',
    'meta[name="mediator_published_time"]',
    'meta[name="date"]',
    'meta[name="dc.date.issued"]',
    'meta[name="DC.date.issued"]',
    'meta[name="sailthru.date"]',
)
_UPDATED_META = (
    'meta[property="article:modified_time"]',
    'meta[property="og:updated_time"]',
    'meta[name="article:modified_time"]',
    'meta[itemprop="dateModified"]',
    'meta[name="last-modified"]',
    'meta[name="mediator_modified_time"]',
)
_AUTHOR_NODES = ('[rel="author"]', '[itemprop="author"] [itemprop="name"]', '[itemprop="author"]',
                 ".byline__name", ".author-name", ".byline")
# Class or itemprop words of a standfirst printed under the headline.
# (Matched against the lower-cased label.)
_SUBTITLE_CLASS = re.compile(r"(?:^|[\s_-])(?:sub-?title|sub-?head(?:line)?|standfirst|dek|deck|tit-sub|"
                             r"alternative-?headline|summary-lead|article-lead|lead-text)(?:$|[\s_-])")
# Components that carry a "subtitle" of their own: site widgets, app and newsletter promotions, teasers.
_NOT_STANDFIRST_CLASS = re.compile(r"widget|promo|banner|teaser|related|popular|recommend|newsletter|summary-?item|"
                                   r"(?:^|[\s_-])(?:nav|menu|card)(?:$|[\s_-])")
# The nodes whose class or itemprop holds a word every _SUBTITLE_CLASS match contains, in document order:
# the selector engine finds them in C, where testing every labelled node in Python cost a millisecond a page.
_SUBTITLE_CANDIDATES = ", ".join(f'[{attribute}*="{word}" i]' for attribute in ("class", "itemprop")
                                 for word in ("sub", "standfirst", "dek", "deck", "lead", "alternative"))


@dataclass(frozen=True, slots=True)
class PageMeta:
    """Raw metadata strings as the page declares them; dates are parsed later with the outlet's zone."""

    canonical: str | None = None
    title: str | None = None  # og:title (or twitter:title)
    html_title: str | None = None  # <title>
    headings: tuple[str, ...] = ()  # the page's <h1> texts
    site_name: str | None = None
    subtitle: str | None = None
    published: str | None = None
    updated: str | None = None
    authors: tuple[str, ...] = ()


def _attr(tree: HTMLParser, selector: str, attribute: str) -> str | None:
    node = tree.css_first(selector)
    value = node.attributes.get(attribute) if node is not None else None
    return value.strip() if value and value.strip() else None


def _json_ld(tree: HTMLParser) -> Iterator[dict[str, Any]]:
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = scrub_json(json.loads(node.text(deep=True) or ""))
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


def _text(node: Any) -> str:
    return " ".join((node.text(deep=True, separator=" ") or "").split())


_WORDS = re.compile(r"\w+")


def _standfirst_like(text: str) -> bool:
    """A sentence or two: not a fragment ("your local region", "… groups concerned"), a label ("« Désaccord
    total »", "STREAM BIG") or a line of interface words."""
    words = len(_WORDS.findall(text))
    shouted = text.upper() == text != text.lower()  # capitals only (a script without case is never shouted)
    return (bool(text) and not text[:1].islower() and not text.startswith(("…", "...")) and not shouted
            and (words >= 4 or (len(text) >= 10 and bool(_CJK_CHAR.search(text)))) and not is_ui_line(text))


def _subtitle(tree: HTMLParser) -> str | None:
    """The standfirst: under the headline (after the page's first <h1>, where it has one), labelled as such by its
    class or itemprop, and not part of a widget, promotion or teaser that happens to have a "subtitle" too."""
    nodes = tree.css(f"h1, {_SUBTITLE_CANDIDATES}")  # in document order
    under_headline = not any(node.tag == "h1" for node in nodes)
    for node in nodes:
        if node.tag == "h1":
            under_headline = True
            continue
        if not under_headline or node.tag in ("html", "body", "meta", "script", "style", "article", "main",
                                              "section"):
            continue
        attributes = node.attributes
        label = f"{attributes.get('class') or ''} {attributes.get('itemprop') or ''}".lower()
        if _SUBTITLE_CLASS.search(label) and not _NOT_STANDFIRST_CLASS.search(label):
            text = _text(node)
            if (len(text.split()) <= 60 or len(text) <= 200) and _standfirst_like(text):
                return text
    heading = tree.css_first("h1")
    following = heading.next if heading is not None else None
    while following is not None and following.tag in ("-text", "-comment"):
        following = following.next
    if following is not None and following.tag == "h2":
        text = _text(following)
        if 4 <= len(text.split()) <= 40 and _standfirst_like(text):
            return text
    return None


def read_meta(tree: HTMLParser) -> PageMeta:
    canonical = _attr(tree, 'link[rel="canonical"]', "href") or _attr(tree, 'meta[property="og:url"]', "content")
    title = _attr(tree, 'meta[property="og:title"]', "content") or _attr(tree, 'meta[name="twitter:title"]',
                                                                          "content")
    title_node = tree.css_first("title")
    html_title = _text(title_node) if title_node is not None else None
    headings = tuple(text for node in tree.css("h1")[:5] if (text := _text(node)))
    site_name = _attr(tree, 'meta[property="og:site_name"]', "content")
    published = next((v for s in _PUBLISHED_META if (v := _attr(tree, s, "content"))), None)
    updated = next((v for s in _UPDATED_META if (v := _attr(tree, s, "content"))), None)
    authors: list[str] = []
    for item in _json_ld(tree):
        if not published and isinstance(item.get("datePublished"), str):
            published = item["datePublished"]
        if not updated and isinstance(item.get("dateModified"), str):
            updated = item["dateModified"]
        if not authors:
            authors = [a for a in _names(item.get("author")) if a.strip()]
    if not published:
        published = _attr(tree, "time[datetime]", "datetime")
    if not authors:
        authors = [v for node in tree.css('meta[name="author"], meta[property="article:author"]')
                   if (v := (node.attributes.get("content") or "").strip())]
    if not authors:
        for selector in _AUTHOR_NODES:
            found = [text for node in tree.css(selector)[:5] if (text := _text(node))]
            if found:
                authors = found
                break
    return PageMeta(canonical=canonical, title=title, html_title=html_title, headings=headings,
                    site_name=site_name, subtitle=_subtitle(tree), published=published, updated=updated,
                    authors=tuple(authors))


# --- titles -----------------------------------------------------------------------------------------------
# Korean sites also separate with the jamo "ㅣ" (never alone in Korean text), spaced or not.
_TITLE_SEPARATORS = re.compile(r"\s+[|–—:-]\s+|\s+[|｜]\s*|\s*[|｜]\s+|\s*ㅣ\s*")
# "Headline-정치ㅣ한국일보": the section's name, glued to the headline and to the "ㅣ" before the site's.
_KOREAN_SECTION = re.compile(r"(?<=\S)-[가-힣]{1,4}(?=\s*ㅣ)")


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def choose_title(meta: PageMeta, *fallbacks: str) -> str:
    """The headline: an <h1> the declared titles confirm, else og:title or <title> without the site's name."""
    declared = [t for t in (meta.title, meta.html_title, *fallbacks) if t]
    for heading in meta.headings:
        key = _key(heading)
        if key and len(key) >= 8 and any(key in _key(title) for title in declared):
            return heading
    for title in declared:
        stripped = strip_site_name(title, meta.site_name)
        if stripped:
            return stripped
    return meta.headings[0] if meta.headings else ""


def strip_site_name(title: str, site_name: str | None = None) -> str:
    """"Headline | Yonhap News Agency" → "Headline"; a title of only the site's name → ""."""
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return "" if site_name and _key(title) == _key(site_name) else title.strip()
    site_key = _key(site_name or "")
    kept = [p for p in parts if not (site_key and (_key(p) == site_key or _key(p) in site_key))]
    if kept and len(kept) < len(parts) and (section := _KOREAN_SECTION.search(title)):
        # (only after a headline of some words: "김정은-푸틴ㅣ연합뉴스" names two people)
        kept = [p.removesuffix(section.group()) if " " in p else p for p in kept]
    # No site name declared: drop a short last part ("- TASS", "| Reuters") if the rest is a headline.
    if len(kept) == len(parts) and len(parts[-1].split()) <= 4 and len(" ".join(parts[:-1]).split()) >= 3:
        kept = parts[:-1]
    return " – ".join(kept) if len(kept) > 1 else (kept[0] if kept else "")


# --- authors ----------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
# A web address after a name, in brackets or after a comma ("Deutsche Welle (www.dw.com)", "Troy L. Smith,
# Cleveland.com"); a name that is a web address ("mdr.de", "STERN.de": the outlet, not a person); and a profile
# slug for a name ("chuck-ross").
_BRACKETED_SITE = re.compile(r"\s*(?:[(\[]\s*(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+/?\s*[)\]]|"
                             r",\s*(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}$)")
_SLUG = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
_BY = re.compile(r"^(?:(?:written|reported|posted|text|words|photos?)\s+)?(?:by|von|par|por|di|door|av|af|"
                 r"(?:staff |senior )?(?:reporter|correspondent|writer)|"
                 r"автор|текст|글(?:\s*·\s*사진)?|사진|文|記者|记者|撰文)\s*[:：/]?\s+", re.IGNORECASE)
_ROLE = re.compile(r"\s*[,(/|-]?\s*(?:(?:senior|chief|staff|special|political|foreign|diplomatic|"
                   r"our|local|north korea|correspondent)\s+)*(?:reporter|correspondent|writer|editor|"
                   r"journalist|contributor|staff|staff writer|columnist)s?\)?\s*$", re.IGNORECASE)
_CJK_ROLE = re.compile(r"\s*(?:선임기자|기자|특파원|통신원|논설위원|記者|记者|特派員|特派员|撮影)$")
# Between names: separators, "and" in our languages and a few more; the one-letter ones ("y", "o", "и") only in lower
# case and between spaces, which keeps the initials of "Bruce Y. Lee", "И. Петров" and the "O" of "Conan O'Brien".
_SPLIT = re.compile(r"\s*(?:;|\||/|·|、|&|(?i:\b(?:and|und|et|og)\b)|(?<=\s)[yoи](?=\s))\s*")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]")


def _clean_author(name: str) -> str:
    name = _EMAIL.sub(" ", name)
    name = _BRACKETED_SITE.sub(" ", name)
    name = _HANDLE.sub(" ", name)
    name = re.sub(r"\(\s*\)|\[\s*\]", " ", name)
    name = " ".join(name.split()).strip(" ,;:-–—|/")
    for _ in range(2):
        name = _BY.sub("", name).strip(" ,;:-–—|/")
        name = _ROLE.sub("", name).strip(" ,;:-–—|/")
        name = _CJK_ROLE.sub("", name).strip(" ,;:-–—|/")
    return name


def clean_authors(raw: Iterable[str]) -> tuple[str, ...]:
    """Names only: no "By", no e-mail or handle, no "Reporter"/"기자" suffix; split on "and", ";", "·"...

    Values that are not a person's name (URLs, sentences, dates) are dropped.
    """
    names: dict[str, str] = {}
    for value in raw:
        if (value or "").strip().startswith(("http://", "https://", "www.")):
            continue
        value = _EMAIL.sub(" ", value or "")
        value = _BY.sub("", " ".join(value.split()))
        parts = _SPLIT.split(value)
        if len(parts) == 1 and "," in value:
            pieces = [p.strip() for p in value.split(",")]
            # "Jane Doe, John Roe" is two people; "Doe, Jane" or "Jane Doe, Seoul" is one.
            parts = pieces if all(len(p.split()) >= 2 or _CJK_CHAR.search(p) for p in pieces) else [value]
        for part in parts:
            name = _clean_author(part)
            if (not name or name.startswith(("http://", "https://", "www.")) or is_web_address(name)
                    or any(ch.isdigit() for ch in name)):
                continue
            if _SLUG.match(name):
                name = name.replace("-", " ").title()
            if len(name) > 60 or len(name.split()) > 5:
                continue
            names.setdefault(name.casefold(), name)
    return tuple(names.values())
