"""Find a page's main text as blocks, choosing between extractors by how much they agree.

trafilatura in precision mode is the base: on the shared eval pages it measures best of its modes.
Its failures are whole sections dropped (text under class names like "paywall" or "hidden", the later
chunks of an article cut up between ads) or a wrong container. The selectolax text-density pass
(density.py) fails differently, so it is the witness:

1. precision and density agree → the precision text;
2. otherwise trafilatura's balanced mode runs too, and
   - the density text holds both trafilatura texts and is much longer → density (they stopped early);
   - the two trafilatura modes agree → balanced (what it adds to an agreed text was dropped text);
   - else the candidate agreeing best with the other two (a medoid vote, precision winning ties);
3. no prose anywhere → the text the page carries in scripts (JSON-LD `articleBody`, an HTML string in
   a framework's data blob).

Each threshold was set on the eval pages (bench/extract_eval.py) and checked on both halves of them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from trafilatura.settings import Document
from trafilatura.utils import load_html

from scraper.extract.blocks import Block, from_trafilatura
from scraper.extract.density import density_blocks, fragment_blocks

# Two texts this similar (shingle F1) are taken to agree.
AGREEMENT = 0.85
# A density text this much longer that contains both trafilatura texts is the whole of what they cut short.
CHUNKED = 1.5
CONTAINED = 0.9
# Precision and density texts this similar confirm each other (they fail in different ways).
WITNESS_AGREEMENT = 0.8
# The precision candidate wins a close vote: it carries the least chrome when it is right.
PRECISION_BIAS = 0.05
# Fewer letters than this is no article text (a menu, an error stub).
MIN_TEXT_CHARS = 25

_TOKEN = re.compile(r"\w+")
# Tooltips and hover cards: their text would be read into the middle of a sentence.
_POPUP_CLASS = re.compile(r"tooltip|popover|hovercard", re.IGNORECASE)
# A JSON string literal long enough to hold an article (Next.js, React Query and similar data blobs).
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){400,})"')
_HTML_PARAGRAPH = re.compile(r"<p[\s>]|<br\s*/?>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MainText:
    """The blocks of a page's main text and the extractor that found them."""

    blocks: tuple[Block, ...]
    method: str = "trafilatura"


@dataclass(frozen=True, slots=True)
class _Candidate:
    name: str
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


def _lxml_tree(html: str) -> HtmlElement | None:
    """The page as trafilatura reads it, less the pop-ups inside running text (parsed once, used twice)."""
    tree = load_html(html)
    if tree is None:
        return None
    doomed = []
    for image in tree.iter("img"):
        # A person's photo and latest headlines shown on hover: the span around an image in a paragraph.
        span = next(image.iterancestors("span"), None)
        if span is not None and next(span.iterancestors("p"), None) is not None:
            doomed.append(span)
    for element in tree.xpath("//*[@class]"):
        if _POPUP_CLASS.search(element.get("class", "")):
            doomed.append(element)
    for element in doomed:
        element.drop_tree()  # keeps the running text that followed it
    # Ruby (readings over CJK names): keep base text and reading inline, "尹錫悦（ユンソンニョル）",
    # instead of letting the parts break the sentence into lines.
    etree.strip_tags(tree, "ruby", "rb", "rt", "rp", "rtc")
    return tree


def _trafilatura(tree: HtmlElement | None, *, precision: bool) -> _Candidate:
    name = "trafilatura" if precision else "trafilatura_balanced"
    if tree is None:
        return _Candidate(name, ())
    document = trafilatura.bare_extraction(
        tree,  # copied by trafilatura, so the same tree serves both modes
        include_comments=False,  # reader comments are not the article
        include_tables=True,
        include_links=True,  # kept so the cleaner can measure link density; rendered as plain text
        favor_precision=precision,
    )
    if not isinstance(document, Document) or document.body is None:
        return _Candidate(name, ())
    return _Candidate(name, tuple(from_trafilatura(document.body)))


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


def similarity(a: str, b: str) -> float:
    """F1 of 4-token shingles between two texts (the eval metric, used here as agreement)."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return 0.0
    common = sum((sa & sb).values())
    precision, recall = common / sum(sb.values()), common / sum(sa.values())
    return 2 * precision * recall / (precision + recall) if common else 0.0


def containment(part: str, whole: str) -> float:
    """How much of `part`'s shingles are found in `whole` (0..1)."""
    sp, sw = _shingles(part), _shingles(whole)
    total = sum(sp.values())
    return sum((sp & sw).values()) / total if total else 0.0


def _letters(blocks: tuple[Block, ...] | list[Block]) -> int:
    return sum(sum(map(str.isalnum, block.text)) for block in blocks)


def _json_ld_body(tree: HTMLParser) -> list[Block]:
    best = ""
    for node in tree.css('script[type="application/ld+json"]'):
        text = node.text(deep=True) or ""
        if "articleBody" not in text:
            continue
        for match in re.finditer(r'"articleBody"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
            try:
                body = json.loads(f'"{match.group(1)}"')
            except json.JSONDecodeError:
                continue
            if isinstance(body, str) and len(body) > len(best):
                best = body
    if _HTML_PARAGRAPH.search(best):
        return fragment_blocks(best)
    return [Block(line.strip()) for line in best.splitlines() if line.strip()]


def _script_html(tree: HTMLParser) -> list[Block]:
    """The longest HTML string in the page's inline scripts, as blocks (client-rendered sites)."""
    best: list[Block] = []
    for node in tree.css("script"):
        if node.attributes.get("src"):
            continue
        text = node.text(deep=True) or ""
        if len(text) < 400 or ("<p" not in text and "\\u003cp" not in text.lower()):
            continue
        for match in _JSON_STRING.finditer(text):
            try:
                value = json.loads(f'"{match.group(1)}"')
            except json.JSONDecodeError:
                continue
            if not isinstance(value, str) or len(_HTML_PARAGRAPH.findall(value)) < 2:
                continue
            blocks = fragment_blocks(value)
            if _letters(blocks) > _letters(best):
                best = blocks
    return best


def _vote(candidates: list[_Candidate]) -> _Candidate:
    """The candidate that agrees best with the others; the first (precision) wins close calls."""
    texts = [c.text for c in candidates]
    scores = []
    for i, text in enumerate(texts):
        score = sum(similarity(text, other) for j, other in enumerate(texts) if j != i)
        scores.append(score + (PRECISION_BIAS if i == 0 else 0.0))
    return candidates[max(range(len(candidates)), key=lambda i: scores[i])]


def main_text(html: str, tree: HTMLParser | None = None) -> MainText:
    """The main text of a page; no blocks when nothing like an article is found."""
    lxml_tree = _lxml_tree(html)
    precise = _trafilatura(lxml_tree, precision=True)
    density = _Candidate("density", tuple(density_blocks(html)))
    chosen = precise
    if _letters(precise.blocks) < MIN_TEXT_CHARS or similarity(precise.text, density.text) < WITNESS_AGREEMENT:
        balanced = _trafilatura(lxml_tree, precision=False)
        candidates = [c for c in (precise, balanced, density) if _letters(c.blocks) >= MIN_TEXT_CHARS]
        if (density in candidates and len(density.text) >= CHUNKED * max(len(precise.text), len(balanced.text))
                and containment(precise.text, density.text) >= CONTAINED
                and containment(balanced.text, density.text) >= CONTAINED):
            # Both trafilatura modes stopped inside an article the density pass reads in full (an
            # article cut into chunks between ads): the longer text holds theirs and more.
            chosen = density
        elif precise in candidates and balanced in candidates and similarity(precise.text, balanced.text) >= AGREEMENT:
            # The two modes agree and the density pass sees something else: what balanced mode adds to
            # an agreed text is, on the eval pages, sections precision mode dropped, not chrome.
            chosen = balanced
        elif len(candidates) >= 3:
            chosen = _vote(candidates)
        elif candidates:
            chosen = max(candidates, key=lambda c: _letters(c.blocks))
    if _letters(chosen.blocks) < MIN_TEXT_CHARS:
        tree = tree or HTMLParser(html)
        for name, blocks in (("json_ld", _json_ld_body(tree)), ("script_html", _script_html(tree))):
            if _letters(blocks) >= MIN_TEXT_CHARS:
                chosen = _Candidate(name, tuple(blocks))
                break
    return MainText(chosen.blocks, chosen.name)
