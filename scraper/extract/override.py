"""Apply an outlet's CSS selectors (scraper/extract/sites, sources.toml) to a page: body, title, date, authors."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from scraper.extract.blocks import Block
from scraper.extract.density import walk_blocks
from scraper.extract.sites.rules import SiteRules

_DATE_ATTRIBUTES = ("content", "datetime", "data-published-time", "data-date", "title")


@dataclass(frozen=True, slots=True)
class Picked:
    """What the selectors found; empty fields fall back to the generic path."""

    blocks: tuple[Block, ...] = ()
    title: str | None = None
    subtitle: str | None = None
    date: str | None = None
    authors: tuple[str, ...] = ()


def alternatives(selector: str) -> list[str]:
    """Split a selector list at its top-level commas ("a, b[x='1,2']" → ["a", "b[x='1,2']"])."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in selector:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _text(node: Node) -> str:
    return " ".join((node.text(deep=True, separator=" ") or "").split())


def _outermost(nodes: list[Node]) -> list[Node]:
    """Drop nodes inside another selected node, so no text is read twice."""
    chosen: list[Node] = []
    for node in nodes:
        parent, inside = node.parent, False
        ids = {c.mem_id for c in chosen}
        while parent is not None:
            if parent.mem_id in ids:
                inside = True
                break
            parent = parent.parent
        if not inside:
            chosen.append(node)
    return chosen


def first_match(tree: HTMLParser | Node, selector: str | None) -> list[Node]:
    """The nodes of the first alternative that matches any text (or a date attribute)."""
    if not selector:
        return []
    for alternative in alternatives(selector):
        nodes = [n for n in tree.css(alternative)
                 if _text(n) or any(n.attributes.get(a) for a in _DATE_ATTRIBUTES)]
        if nodes:
            return _outermost(nodes)
    return []


def _cut_from(stop: Node, container: Node) -> None:
    """Remove `stop`, everything after it, and everything after its ancestors up to `container`."""
    node: Node | None = stop
    while node is not None and node.mem_id != container.mem_id:
        following = node.next
        while following is not None:
            after = following.next
            following.decompose()
            following = after
        parent = node.parent
        if node is stop:
            node.decompose()
        node = parent


def _body(tree: HTMLParser, rules: SiteRules) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for node in first_match(tree, rules.selectors.body):
        if rules.drop:
            for unwanted in _outermost(node.css(rules.drop)):
                unwanted.decompose()
        if rules.stop and (stop := node.css_first(rules.stop)) is not None:
            _cut_from(stop, node)
        blocks.extend(walk_blocks(node))
    return tuple(blocks)


def _date(nodes: list[Node]) -> str | None:
    for node in nodes:
        for attribute in _DATE_ATTRIBUTES:
            if value := (node.attributes.get(attribute) or "").strip():
                return value
        if text := _text(node):
            return text
    return None


def pick(html: str, rules: SiteRules) -> Picked:
    """Read the page with the outlet's selectors (a fresh parse: dropping nodes must not touch the caller's)."""
    tree = HTMLParser(html)
    titles = first_match(tree, rules.selectors.title)
    subtitles = first_match(tree, rules.subtitle)
    authors = tuple(text for node in first_match(tree, rules.selectors.authors) if (text := _text(node)))
    date = _date(first_match(tree, rules.selectors.date))
    return Picked(
        blocks=_body(tree, rules),
        title=_text(titles[0]) if titles else None,
        subtitle=_text(subtitles[0]) if subtitles else None,
        date=date,
        authors=authors,
    )
