"""A readability-style text-density pass with selectolax: the container with the most prose, as blocks.

It scores every container by the paragraphs it holds (their length and punctuation, less their link
text), takes the best one (and the other chunks of the same article), and reads its paragraphs, headings
and list items in document order. body.py uses it as the witness that confirms or overrules trafilatura,
and as the fallback when trafilatura finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from scraper.extract.blocks import HEADING, ITEM, PARAGRAPH, QUOTE, Block
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


def _length(text: str) -> int:
    return len(text) if text.isascii() else len(text) + len(_CJK.findall(text))


def _link_chars(node: Node) -> int:
    return sum(len(a.text(deep=True, strip=True)) for a in node.css("a"))


def _link_share(node: Node, text: str) -> float:
    return min(1.0, _link_chars(node) / len(text)) if text else 0.0


def _prune(root: Node) -> None:
    for node in root.css(_STRIP):
        node.decompose()
    for node in root.css("p span"):
        if node.css_first("img") is not None:
            node.decompose()
    for node in root.css(_REGIONS):
        if not _holds_prose(node):
            node.decompose()
    unlikely: dict[str, bool] = {}  # by label: list items and cards repeat theirs
    for node in root.css("[class], [id]"):
        if node.tag in ("html", "body", "main", "article"):
            continue
        attributes = node.attributes
        label = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".lower()
        if (found := unlikely.get(label)) is None:
            found = unlikely[label] = bool(_UNLIKELY.search(label)) and not _LIKELY.search(label)
        if found and not _holds_prose(node):
            node.decompose()


def _holds_prose(node: Node) -> bool:
    """Three or more real paragraphs: an article, even inside a box whose name says otherwise."""
    text = node.text(deep=True, strip=True)
    if _length(text) >= 1500 and _link_share(node, text) < 0.25:
        return True
    count = 0
    for paragraph in node.css("p"):
        text = paragraph.text(deep=True, strip=True)
        if _length(text) >= 80 and _link_share(paragraph, text) < 0.5:
            count += 1
            if count >= 3:
                return True
    return False


def _direct_text(node: Node) -> str:
    return " ".join((child.text_content or "").strip() for child in node.iter(include_text=True)
                    if child.tag == "-text").strip()


def _candidates(root: Node) -> Iterator[tuple[Node, str]]:
    for node in root.css("p, pre, td, blockquote, li, dd"):
        yield node, node.text(deep=True, separator="", strip=False).strip()
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
            yield node, text


def _containers(root: Node) -> list[Node]:
    """The best-scoring container, and its twins when a long article is cut into chunks between ads.

    A chunk is a sibling of the best node (or of the wrapper it alone fills) with the same tag and
    class that also holds prose.
    """
    scores: dict[int, float] = {}
    nodes: dict[int, Node] = {}
    for node, text in _candidates(root):
        length = _length(text)
        if length < _MIN_PARAGRAPH:
            continue
        commas = sum(map(text.count, _COMMAS))
        score = (1 + commas + min(length // 100, 3)) * (1.0 - _link_share(node, text))
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
    top, top_length = best, -1  # (each wrapper's text is read once: a long article's is long)
    while top.parent is not None and top.parent.tag not in ("body", "html"):
        if top_length < 0:
            top_length = _length(top.text(deep=True, strip=True))
        parent_length = _length(top.parent.text(deep=True, strip=True))
        if top_length < 0.8 * parent_length:
            break
        top, top_length = top.parent, parent_length
    parent = top.parent
    if parent is None or top.tag in ("body", "html") or not top.attributes.get("class"):
        return [best]
    signature = (top.tag, top.attributes.get("class"))
    twins = [node for node in parent.iter(include_text=False)
             if (node.tag, node.attributes.get("class")) == signature]
    chunks = [node for node in twins if node.mem_id == top.mem_id or _holds_prose(node)]
    return [best] if len(chunks) < 2 else chunks


def walk_blocks(node: Node) -> Iterator[Block]:
    """Blocks in document order: inline runs split at <br> and at nested blocks, leaves by their tag."""
    kind = _LEAF_KINDS.get(node.tag or "", PARAGRAPH)
    parts: list[str] = []
    linked = 0

    def flush() -> Iterator[Block]:
        text = " ".join("".join(parts).split())
        if text:
            yield Block(text, kind, min(1.0, linked / len(text)))

    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            parts.append(child.text_content or "")
        elif tag == "-comment":
            continue
        elif tag == "br" or tag in _BLOCK_TAGS:
            yield from flush()
            parts, linked = [], 0
            if tag != "br":
                yield from walk_blocks(child)
        else:
            text = child.text(deep=True, separator="", strip=False)
            parts.append(text)
            linked += len(text.strip()) if tag == "a" else _link_chars(child)
    yield from flush()


def density_blocks(tree: HTMLParser) -> list[Block]:
    """The main text by text density; empty when no container holds prose.

    The tree is pruned on the way (scripts, chrome): read anything else from it first.
    """
    root = tree.body
    if root is None:
        return []
    _prune(root)
    blocks: list[Block] = []
    for container in _containers(root):
        found = list(walk_blocks(container))
        if not found:
            text = " ".join(container.text(deep=True, separator=" ").split())
            found = [Block(text)] if text else []
        blocks.extend(found)
    return blocks


def fragment_blocks(html: str) -> list[Block]:
    """Blocks of an HTML fragment that is all article (an HTML string found in a script)."""
    tree = HTMLParser(f"<html><body><article>{html}</article></body></html>")
    root = tree.body
    if root is None:
        return []
    _prune(root)
    return list(walk_blocks(root))
