"""A readability-style text-density pass with selectolax: the container with the most prose, as blocks.

It scores every container by the paragraphs it holds (their length and punctuation, less their link
text), takes the best one (and the other chunks of the same article), and reads its paragraphs, headings
and list items in document order. body.py uses it as the witness that confirms or overrules trafilatura,
and as the fallback when trafilatura finds nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from scraper.extract.blocks import HEADING, ITEM, PARAGRAPH, QUOTE, Block
from scraper.extract.depth import flattened
from scraper.extract.wordlists import one_of

# Never article text, whatever their content.
_STRIP = ("script, style, noscript, template, button, select, textarea, iframe, svg, canvas, video, audio, "
          "figure, figcaption, picture, dialog, [hidden]")
# Page regions that are chrome unless a whole article sits inside them (some sites wrap the page in a <form>).
_REGIONS = ("nav, header, footer, aside, form, [aria-hidden=true], [role=navigation], [role=banner], "
            "[role=contentinfo], [role=complementary]")
# Class or id words of boxes around the article (readability's "unlikely candidates") ...
_UNLIKELY_WORDS = (
    "comment", "share", "social", "related", "recommend", "footer", "header", "masthead", "menu", "sidebar",
    "promo", "advert", "banner", "newsletter", "subscri", "cookie", "popup", "modal", "breadcrumb", "taglist",
    "author-?bio", "tooltip", "popover", "hovercard", "rollover", "caption", "credit", "byline", "toolbar",
    "pagination", "pager", "widget", "outbrain", "taboola", "teaser", "more-?stories", "read-?more", "signup",
    "login", "paywall-?prompt",
)
_UNLIKELY = re.compile(one_of((r"\bnav", r"\bads?\b", r"\btags?\b", *_UNLIKELY_WORDS)))
# ... unless they also say they hold the article. (Both are matched against the lower-cased label: a
# case-blind regex is several times slower, and they run on every labelled node of the page.)
_LIKELY = re.compile(r"article|body|content|main|story|text|entry|post|news|view|detail")
_BLOCK_TAGS = frozenset({"p", "div", "section", "article", "main", "ul", "ol", "li", "dl", "dd", "dt",
                         "blockquote", "pre", "table", "tbody", "thead", "tr", "td", "th", "h1", "h2", "h3",
                         "h4", "h5", "h6", "header", "footer", "center", "figure", "hr", "address", "details"})
_LEAF_KINDS = {"p": PARAGRAPH, "pre": PARAGRAPH, "li": ITEM, "dd": PARAGRAPH, "dt": PARAGRAPH,
               "blockquote": QUOTE, "h2": HEADING, "h3": HEADING, "h4": HEADING, "h5": HEADING, "h6": HEADING,
               "td": PARAGRAPH, "th": PARAGRAPH}
_COMMAS = (",", "，", "、", ";", "；")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
_MIN_PARAGRAPH = 25  # characters; CJK characters count double


# The nodes the pass asks about nest (lists in lists, tables in tables, boxes in boxes), and lexbor reads a
# node's text with its descendants': once the characters read pass this many times the page's text (and this
# floor), every node is measured in one pass from the leaves up instead (_Measure).
_READ_BUDGET = 4
_READ_FLOOR = 200_000


def _length(text: str) -> int:
    return len(text) if text.isascii() else len(text) + len(_CJK.findall(text))


def _cjk(text: str) -> int:
    return 0 if text.isascii() else len(_CJK.findall(text))


# What the pass knows of a node, summed over the text nodes below it (and the node itself): the length and
# CJK characters of its text with each run stripped, its link characters (the text of each <a>, as
# node.css("a") finds them, the node itself included), its real paragraphs (as holds_prose counts them), the
# length of its text as it stands, the white space that text starts and ends with, whether it is all white
# space, and its commas.
_Stats = tuple[int, int, int, int, int, int, int, bool, int]
_NO_TEXT: _Stats = (0, 0, 0, 0, 0, 0, 0, True, 0)


class _Measure:
    """The text lengths, link characters and paragraphs of the nodes of one state of the tree (build another
    after the tree changes).

    lexbor reads a node's text in C, which is fast for the few nodes a normal page asks about. Read node by
    node, nested nodes are read again with each ancestor asked about, which is quadratic in the depth: so the
    characters read are counted, and past _READ_BUDGET times the page's text every node is measured at once,
    from the leaves up, and the rest is answered from that table. Both give the same numbers. `work` counts
    the characters read and the nodes measured, for tests and benchmarks.
    """

    def __init__(self, root: Node, work: Counter[str] | None = None) -> None:
        self._root = root
        self._work: Counter[str] = work if work is not None else Counter()
        self._table: dict[int, _Stats] | None = None
        self._read = 0
        self._budget = -1  # set at the first read: the page's text, which is one read too

    def _reading(self, text: str) -> str:
        self._read += len(text)
        self._work["chars_read"] += len(text)
        return text

    def _stats(self, node: Node) -> _Stats | None:
        """The table's numbers for the node, once reading node by node has cost too much; else None."""
        if self._table is None:
            if self._budget < 0:
                self._budget = _READ_BUDGET * len(self._reading(self._root.text(deep=True))) + _READ_FLOOR
            if self._read <= self._budget:
                return None
            self._table = self._measure_all()
        return self._table.get(node.mem_id, _NO_TEXT)

    def stripped(self, node: Node) -> tuple[int, int]:
        """len() and _length() of node.text(deep=True, strip=True)."""
        if (stats := self._stats(node)) is not None:
            return stats[0], stats[0] + stats[1]
        text = self._reading(node.text(deep=True, strip=True))
        return len(text), len(text) + _cjk(text)

    def links(self, node: Node) -> int:
        """The characters of link text in the node (_link_chars)."""
        if (stats := self._stats(node)) is not None:
            return stats[2]
        return sum(len(self._reading(a.text(deep=True, strip=True))) for a in node.css("a"))

    def holds_prose(self, node: Node) -> bool:
        """Three or more real paragraphs, or a long text that is not mostly links: an article, even inside a box
        whose name says otherwise."""
        characters, length = self.stripped(node)
        if length >= 1500 and min(1.0, self.links(node) / characters) < 0.25:
            return True
        if (stats := self._stats(node)) is not None:
            return stats[3] >= 3
        count = 0
        for paragraph in node.css("p"):
            characters, length = self.stripped(paragraph)
            # A real paragraph: 80 characters or more, less than half of them links.
            if length >= 80 and min(1.0, self.links(paragraph) / characters) < 0.5:
                count += 1
                if count >= 3:
                    return True
        return False

    def paragraph(self, node: Node) -> tuple[int, int, int]:
        """len(), _length() and the commas of node.text(deep=True, separator="", strip=False).strip()."""
        if (stats := self._stats(node)) is not None:
            characters = 0 if stats[7] else stats[4] - stats[5] - stats[6]
            return characters, characters + stats[1], stats[8]
        text = self._reading(node.text(deep=True, separator="", strip=False)).strip()
        return len(text), _length(text), sum(map(text.count, _COMMAS))

    def _measure_all(self) -> dict[int, _Stats]:
        """Every node's _Stats, in one pass over the tree (no recursion: a page may be thousands deep)."""
        order: list[Node] = []
        stack = [self._root]
        while stack:
            node = stack.pop()
            order.append(node)
            child = node.last_child
            while child is not None:
                stack.append(child)
                child = child.prev
        self._work["nodes_measured"] += len(order)
        table: dict[int, _Stats] = {}
        for node in reversed(order):  # (children before their parents)
            tag = node.tag
            if tag == "-text":
                raw = node.text_content or ""
                text = raw.strip()
                table[node.mem_id] = (len(text), _cjk(text), 0, 0, len(raw), len(raw) - len(raw.lstrip()),
                                      len(raw) - len(raw.rstrip()), not text, sum(map(raw.count, _COMMAS)))
                continue
            if tag == "-comment" or tag is None:
                continue
            characters = cjk = links = paragraphs = size = lead = trail = commas = 0
            blank = True
            child = node.last_child
            while child is not None:  # (right to left: the white space at either end of the text)
                if (stats := table.get(child.mem_id)) is not None:
                    characters += stats[0]
                    cjk += stats[1]
                    links += stats[2]
                    paragraphs += stats[3]
                    if blank:
                        trail += stats[4] if stats[7] else stats[6]
                    lead = stats[4] + lead if stats[7] else stats[5]
                    size += stats[4]
                    blank = blank and stats[7]
                    commas += stats[8]
                child = child.prev
            if tag == "a":
                links += characters
            if tag == "p" and characters + cjk >= 80 and min(1.0, links / characters) < 0.5:
                paragraphs += 1  # (as holds_prose counts them)
            table[node.mem_id] = (characters, cjk, links, paragraphs, size, lead, trail, blank, commas)
        return table


def _prune(root: Node, work: Counter[str] | None = None) -> None:
    """Take out scripts and page chrome. Each step decides on the tree as it stands, then takes its nodes out
    from the last to the first: a node is taken out before the box around it, never read after it is gone."""
    _take_out(root.css(_STRIP))
    _take_out([node for node in root.css("p span") if node.css_first("img") is not None])
    measure = _Measure(root, work)
    _take_out([node for node in root.css(_REGIONS) if not measure.holds_prose(node)])
    measure = _Measure(root, work)
    unlikely: dict[str, bool] = {}  # by label: list items and cards repeat theirs
    doomed = []
    for node in root.css("[class], [id]"):
        if node.tag in ("html", "body", "main", "article"):
            continue
        attributes = node.attributes
        label = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".lower()
        if (found := unlikely.get(label)) is None:
            found = unlikely[label] = bool(_UNLIKELY.search(label)) and not _LIKELY.search(label)
        if found and not measure.holds_prose(node):
            doomed.append(node)
    _take_out(doomed)


def _take_out(nodes: list[Node]) -> None:
    """Decompose nodes given in document order, the last first (a node inside another goes before it)."""
    for node in reversed(nodes):
        node.decompose()


def _direct_text(node: Node) -> str:
    return " ".join((child.text_content or "").strip() for child in node.iter(include_text=True)
                    if child.tag == "-text").strip()


def _candidates(root: Node, measure: _Measure) -> Iterator[tuple[Node, int, int, int]]:
    """Nodes that hold a paragraph, with its len(), _length() and commas."""
    for node in root.css("p, pre, td, blockquote, li, dd"):
        yield node, *measure.paragraph(node)
    # Pages that separate paragraphs with <br> inside one <div> (older state-media sites among them).
    for node in root.css("div, section, article, font, span"):
        # Most have little text of their own, which lexbor measures in C: joined by _direct_text, their text
        # runs are at most twice as long (a space for each run, none empty), so these cannot reach the bar.
        if 4 * len(node.text(deep=False, strip=False)) < 3 * _MIN_PARAGRAPH:
            continue
        text = _direct_text(node)
        # (_length is at most twice len: only the lengths in between need the CJK count.)
        if len(text) >= 3 * _MIN_PARAGRAPH or (2 * len(text) >= 3 * _MIN_PARAGRAPH
                                               and _length(text) >= 3 * _MIN_PARAGRAPH):
            yield node, len(text), _length(text), sum(map(text.count, _COMMAS))


def _containers(root: Node, measure: _Measure) -> list[Node]:
    """The best-scoring container, and its twins when a long article is cut into chunks between ads.

    A chunk is a sibling of the best node (or of the wrapper it alone fills) with the same tag and
    class that also holds prose.
    """
    scores: dict[int, float] = {}
    nodes: dict[int, Node] = {}
    for node, characters, length, commas in _candidates(root, measure):
        if length < _MIN_PARAGRAPH:
            continue
        score = (1 + commas + min(length // 100, 3)) * (1.0 - min(1.0, measure.links(node) / characters))
        target = node if node.tag in ("div", "section", "article", "font", "span") else node.parent
        for depth in range(3):
            if target is None or target.tag in ("html", None):
                break
            scores[target.mem_id] = scores.get(target.mem_id, 0.0) + score / (1 + depth)
            nodes[target.mem_id] = target
            target = target.parent
    if not scores:
        return []
    best = nodes[max(scores, key=lambda key: scores[key])]
    top, top_length = best, -1
    while top.parent is not None and top.parent.tag not in ("body", "html"):
        if top_length < 0:
            top_length = measure.stripped(top)[1]
        parent_length = measure.stripped(top.parent)[1]
        if top_length < 0.8 * parent_length:
            break
        top, top_length = top.parent, parent_length
    parent = top.parent
    if parent is None or top.tag in ("body", "html") or not top.attributes.get("class"):
        return [best]
    signature = (top.tag, top.attributes.get("class"))
    twins = [node for node in parent.iter(include_text=False)
             if (node.tag, node.attributes.get("class")) == signature]
    chunks = [node for node in twins if node.mem_id == top.mem_id or measure.holds_prose(node)]
    return [best] if len(chunks) < 2 else chunks


def _link_chars(node: Node) -> int:
    return sum(len(a.text(deep=True, strip=True)) for a in node.css("a"))


class _Open:
    """A block being walked: its kind, the inline text gathered since its last break, and its children left."""

    __slots__ = ("children", "kind", "linked", "parts")

    def __init__(self, node: Node) -> None:
        self.kind = _LEAF_KINDS.get(node.tag or "", PARAGRAPH)
        self.parts: list[str] = []
        self.linked = 0
        self.children = node.iter(include_text=True)

    def flush(self) -> Iterator[Block]:
        text = " ".join("".join(self.parts).split())
        if text:
            yield Block(text, self.kind, min(1.0, self.linked / len(text)))
        self.parts, self.linked = [], 0


def walk_blocks(node: Node) -> Iterator[Block]:
    """Blocks in document order: inline runs split at <br> and at nested blocks, leaves by their tag.

    A stack of open blocks rather than recursion: a page may nest blocks deeper than Python's stack.
    """
    stack = [_Open(node)]
    while stack:
        block = stack[-1]
        child = next(block.children, None)
        if child is None:
            yield from block.flush()
            stack.pop()
            continue
        tag = child.tag
        if tag == "-text":
            block.parts.append(child.text_content or "")
        elif tag == "-comment":
            continue
        elif tag == "br" or tag in _BLOCK_TAGS:
            yield from block.flush()
            if tag != "br":
                stack.append(_Open(child))
        else:
            text = child.text(deep=True, separator="", strip=False)
            block.parts.append(text)
            block.linked += len(text.strip()) if tag == "a" else _link_chars(child)


def density_blocks(tree: HTMLParser, work: Counter[str] | None = None) -> list[Block]:
    """The main text by text density; empty when no container holds prose.

    The tree is pruned on the way (scripts, chrome): read anything else from it first. `work` counts the text
    read and the nodes measured (_Measure).
    """
    root = tree.body
    if root is None:
        return []
    _prune(root, work)
    blocks: list[Block] = []
    for container in _containers(root, _Measure(root, work)):
        found = list(walk_blocks(container))
        if not found:
            text = " ".join(container.text(deep=True, separator=" ").split())
            found = [Block(text)] if text else []
        blocks.extend(found)
    return blocks


def fragment_blocks(html: str) -> list[Block]:
    """Blocks of an HTML fragment that is all article (an HTML string found in a script)."""
    tree = HTMLParser(f"<html><body><article>{flattened(html)}</article></body></html>")
    root = tree.body
    if root is None:
        return []
    _prune(root)
    return list(walk_blocks(root))
