"""Paragraph-level blocks of a page's main text, with the evidence the chrome cleaner judges them by."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree
from trafilatura.xml import xmltotxt

# Kinds of block; the cleaner treats headings, list items and table rows differently from prose.
PARAGRAPH, HEADING, ITEM, QUOTE, ROW, CODE = "p", "head", "item", "quote", "row", "code"
_KINDS = {"p": PARAGRAPH, "head": HEADING, "quote": QUOTE, "code": CODE}


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph, heading, list item or table row of the extracted text."""

    text: str
    kind: str = PARAGRAPH
    links: float = 0.0  # share of the text's characters that sit inside links, 0..1
    group: int = 0  # the items of one list (or the rows of one table) share a group number; 0 = none

    def with_text(self, text: str) -> Block:
        return replace(self, text=text)


def _link_share(element: Any) -> float:
    total = len("".join(element.itertext()).strip())
    if not total:
        return 0.0
    # An <a name=...> anchor (a footnote mark) is no link; only those with a target count.
    linked = sum(len("".join(ref.itertext()).strip()) for ref in element.iter("ref") if ref.get("target"))
    return min(1.0, linked / total)


def _text(element: Any) -> str:
    wrapper = etree.Element("body")
    copy = deepcopy(element)
    copy.tail = None
    etree.strip_tags(copy, "ref")  # links would render as Markdown
    wrapper.append(copy)
    text: str = xmltotxt(wrapper, False)
    return text


def _split(text: str, kind: str, links: float, group: int) -> list[Block]:
    # A <br> inside one paragraph separates lines the reader sees apart (a dateline, a credit, a caption).
    return [Block(line.strip(), kind, links, group) for line in text.split("\n") if line.strip()]


def from_trafilatura(body: Any) -> list[Block]:
    """Blocks from trafilatura's internal XML body (p, head, list/item, quote, table/row/cell, code)."""
    blocks: list[Block] = []
    group = 0
    for child in body:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == "list":
            group += 1
            for item in child.iterchildren("item"):
                blocks.extend(_split(_text(item), ITEM, _link_share(item), group))
        elif tag == "table":
            group += 1
            for row in child.iter("row"):
                cells = [" ".join(_text(cell).split()) for cell in row.iterchildren("cell")]
                line = " | ".join(cell for cell in cells if cell)
                if line:
                    blocks.append(Block(line, ROW, _link_share(row), group))
        else:
            blocks.extend(_split(_text(child), _KINDS.get(tag, PARAGRAPH), _link_share(child), 0))
    return blocks
