"""Find a page's main text as blocks, choosing between extractors by how much they agree.

trafilatura in precision mode is the base: on the shared eval pages it measures best of its modes.
Its failures are whole sections dropped (text under class names like "paywall" or "hidden", the later
chunks of an article cut up between ads) or a wrong container. The selectolax text-density pass
(density.py) fails differently, so it is the witness:

1. precision and density agree → the precision text. trafilatura's fast precision mode (without its
   readability/jusText comparison) reads every page; its full cascade runs only where the density pass does
   not confirm that text and the text is short (under trafilatura's minimum, or half the density text),
   which is what the comparison is for;
2. otherwise trafilatura's balanced mode runs too (fast, the full cascade again only for a short text), and
   - the density text holds both trafilatura texts and is much longer → density (they stopped early);
   - the two trafilatura modes agree → balanced (what it adds to an agreed text was dropped text);
   - else the candidate agreeing best with the other two (a medoid vote, precision winning ties);
3. no prose anywhere → the text the page carries in scripts (JSON-LD `articleBody`, an HTML string in
   a framework's data blob).

Each threshold was set on the eval pages (bench/extract_eval.py) and checked on both halves of them.

Speed: the page is parsed once by each parser, without its scripts and styles, from the same UTF-8 bytes
(lexbor, shared with the metadata; lxml, shared by every trafilatura mode and stripped first of what
trafilatura deletes anyway), trafilatura hands back its body tree unrendered, and the agreement of two texts
is computed on their shingles once. bench/extract_eval.py measures the result against bare trafilatura with
its defaults: about as many pages a second, up from a half. What is left is mostly trafilatura's own fast
precision run (half the time of its defaults, much of it in the regular expressions its XPath pruning calls
back into Python for each <div>), and the density pass, metadata and cleaning around it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import trafilatura
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, fromstring
from lxml.html import HTMLParser as HTMLParser_lxml
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from trafilatura.settings import MANUALLY_CLEANED, Document, Extractor
from trafilatura.utils import DOCTYPE_TAG, load_html

from scraper.extract.blocks import Block, from_trafilatura
from scraper.extract.density import density_blocks, fragment_blocks
from scraper.extract.depth import flattened
from scraper.text import scrub_json

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
# trafilatura's MIN_EXTRACTED_SIZE: a shorter text sends its full cascade to jusText.
MIN_EXTRACTED_SIZE = 250
# A page of more tags than this (its scripts left out) is read by the density pass alone: trafilatura takes
# tens of microseconds a paragraph in each of its modes, seconds for a megabyte of short paragraphs. News pages
# have a few thousand (the eval pages 5,800 at most); a megabyte of one-line paragraphs has 100,000.
MAX_TAGS = 20_000

_TOKEN = re.compile(r"\w+")
_NOT_ALNUM = re.compile(r"[\W_]+")  # \w less "_" is exactly str.isalnum
# Tooltips and hover cards: their text would be read into the middle of a sentence. Most pages have none,
# and lexbor's selector engine says so in a tenth of the time lxml takes to hand Python every class name.
_POPUP_SELECTOR = '[class*="tooltip" i], [class*="popover" i], [class*="hovercard" i]'
# Elements trafilatura deletes with their content before it extracts anything (settings.MANUALLY_CLEANED),
# deleted here in one C call, so that its XPath pruning passes have fewer elements to test. Not forms
# (kept when they wrap the article), figures (kept when they hold a table), <math> (its formulas are
# salvaged first), <head> (JSON-LD) nor <svg> (trafilatura misses those after a nested <svg>: deleting
# them all changes its text).
_DROPPED_ANYWAY = tuple(tag for tag in MANUALLY_CLEANED
                        if tag not in {"form", "figure", "head", "math", "script", "svg"})
# The pop-ups in the lxml tree, where the page has any: the same case-blind test of the class names (only
# ASCII capitals lower-case into these words). In Python: an XPath of translate() calls took six times longer.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_POPUP_WORDS = ("tooltip", "popover", "hovercard")
# The characters trafilatura's load_html deletes before parsing (utils.INVALID_XML_CHARS), as UTF-8: the
# C0 controls but tab and line ends are single bytes, U+FFFE and U+FFFF three.
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
# The doctype load_html deletes from the first line (libxml2 misreads XHTML ones); its pattern is ASCII.
_DOCTYPE = re.compile(DOCTYPE_TAG.pattern.encode(), DOCTYPE_TAG.flags & re.IGNORECASE)
# trafilatura's parser (utils.HTML_PARSER) less lxml.html's element class lookup, a Python call each time
# lxml hands Python an element, which trafilatura's XPath pruning does thousands of times a page. Every
# element is then an HtmlElement; the form fields that would have had classes of their own are deleted
# before trafilatura reads the tree (_precleaned), and it uses none of their methods.
_PARSER = HTMLParser_lxml(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                          remove_pis=True)
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))
# Where a <script> or <style> element starts (half a page's bytes, which every extractor drops), or a comment,
# which may hold a "<script>" that is no element; and where the element ends, as the HTML parser reads it.
_SCRIPT_STYLE_OR_COMMENT = re.compile(r"<(?:(script|style|SCRIPT|STYLE|Script|Style)[\s>]|!--)")
_CLOSING = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in ("script", "style")}
# A JSON string literal long enough to hold an article (Next.js, React Query and similar data blobs).
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){400,})"')
_HTML_PARAGRAPH = re.compile(r"<p[\s>]|<br\s*/?>", re.IGNORECASE)
# trafilatura's settings for each (favor precision, fast) mode, built once: bare_extraction would otherwise
# build them for every call from its keyword arguments (a dozen configparser reads).
_EXTRACTORS = {
    (precision, fast): Extractor(
        comments=False,  # reader comments are not the article
        tables=True,
        links=True,  # kept so the cleaner can measure link density; rendered as plain text
        precision=precision,
        fast=fast,  # without the readability/jusText comparison
        output_format="xml",  # the body tree, without its rendering as text (format "python"), which goes unread
    )
    for precision in (True, False) for fast in (True, False)
}

Shingles = Counter[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class MainText:
    """The blocks of a page's main text and the extractor that found them."""

    blocks: tuple[Block, ...]
    method: str = "trafilatura"


@dataclass(frozen=True, eq=False)
class _Candidate:
    """One extractor's blocks, with what the vote compares them by (computed once, shingles when asked)."""

    name: str
    blocks: tuple[Block, ...]
    text: str
    letters: int  # letters and digits (str.isalnum)
    tokens: list[str]  # \w+

    @classmethod
    def of(cls, name: str, blocks: tuple[Block, ...] | list[Block]) -> _Candidate:
        text = "\n".join(b.text for b in blocks)
        tokens = _TOKEN.findall(text)
        # \w is isalnum or "_", and every "_" of the text is inside a token.
        return cls(name, tuple(blocks), text, sum(map(len, tokens)) - text.count("_"), tokens)

    @cached_property
    def shingles(self) -> Shingles:
        return _shingles_of(self.tokens)


def without_scripts(html: str) -> str:
    """The page less its <script> and <style> elements; JSON-LD kept (the metadata, and trafilatura, read it).

    Every extractor drops them, but they are half of a news page's bytes: without them lexbor and lxml parse,
    and trafilatura copies, half as much. A plain scan, not a regex over the page, which would cost as much
    as it saves. Comments are skipped whole; an element whose end is not found is left to the parsers.
    """
    parts: list[str] = []
    position = 0
    while (found := _SCRIPT_STYLE_OR_COMMENT.search(html, position)) is not None:
        start, name = found.start(), found.group(1)
        if name is None:  # a comment
            end = html.find("-->", found.end())
            if end < 0:
                break
            parts.append(html[position:end + 3])
            position = end + 3
            continue
        head_end = html.find(">", found.end() - 1)
        closing = _CLOSING[name.lower()].search(html, head_end) if head_end >= 0 else None
        end = html.find(">", closing.end() - 1) if closing is not None else -1
        if end < 0:
            break
        if "ld+json" in html[start:head_end].lower():
            parts.append(html[position:end + 1])
        else:
            parts.append(html[position:start])
        position = end + 1
    if not parts:
        return html
    parts.append(html[position:])
    return "".join(parts)


def encoded(markup: str) -> bytes:
    """The page (less scripts) as UTF-8, which both parsers read: given a string, each encodes it first.

    A lone surrogate (text decoded with surrogateescape) is dropped, as lexbor drops it from a string.
    """
    try:
        return markup.encode()
    except UnicodeEncodeError:
        return markup.encode("utf-8", "ignore")


def _parsed(markup: bytes) -> HtmlElement | None:
    """The tree trafilatura's load_html makes of the page (its elements all HtmlElements: _PARSER), at less cost.

    load_html repairs the page as a string (it deletes control characters, an XHTML doctype and a
    self-closing <html/>) before lxml parses the string. Here the doctype goes from the bytes, one C scan of
    them (a third of the regex scan of the string) tells whether there are control characters, and lxml
    parses the bytes lexbor reads too; the rare page with control characters or an <html/> goes to load_html.
    """
    head = markup[:4096].decode("utf-8", "ignore")
    beginning = head[:50].lower()
    if (len(markup.translate(None, _CONTROL_BYTES)) != len(markup) or any(c in markup for c in _NONCHARACTERS)
            or any("<html" in line and line.endswith("/>") for line in head.splitlines()[:4])):
        return load_html(markup.decode())
    if "doctype" in beginning:
        first_line, _, rest = markup.partition(b"\n")
        if _DOCTYPE.match(first_line):
            markup = _DOCTYPE.sub(b"", first_line, count=1) + b"\n" + rest
    try:
        tree = fromstring(markup, parser=_PARSER)
    except Exception:  # as in load_html: lxml raises several kinds on broken input ("Document is empty")
        return None
    if "html" not in beginning and len(tree) < 2:
        return None  # (load_html's test for what is no HTML page)
    return tree


def _lxml_tree(markup: bytes, *, popups: bool = True) -> HtmlElement | None:
    """The page (less scripts: without_scripts, encoded) as trafilatura reads it, less the pop-ups inside
    running text (`popups`: whether the page has any)."""
    tree = _parsed(markup)
    if tree is None:
        return None
    doomed = []
    for image in tree.iter("img"):
        # A person's photo and latest headlines shown on hover: the span around an image in a paragraph.
        span = next(image.iterancestors("span"), None)
        if span is not None and next(span.iterancestors("p"), None) is not None:
            doomed.append(span)
    if popups:
        doomed.extend(_popups(tree))
    for element in dict.fromkeys(doomed):  # (a span with two pictures is found twice)
        if element.getparent() is not None:
            element.drop_tree()  # keeps the running text that followed it
    # Ruby (readings over CJK names): keep base text and reading inline, "尹錫悦（ユンソンニョル）",
    # instead of letting the parts break the sentence into lines.
    etree.strip_tags(tree, "ruby", "rb", "rt", "rp", "rtc")
    return tree


def _popups(tree: HtmlElement) -> list[HtmlElement]:
    """Elements whose class names say tooltip, popover or hovercard, in any case, in document order."""
    found = []
    for element in tree.iter(etree.Element):
        names = element.get("class")
        if names is not None:
            names = names.translate(_ASCII_LOWER)
            if any(word in names for word in _POPUP_WORDS):
                found.append(element)
    return found


def _precleaned(tree: HtmlElement | None) -> HtmlElement | None:
    """The tree less the elements trafilatura deletes before extracting anything (in place).

    Half the elements for its XPath passes to test. Its fast mode gives the same text; its full cascade,
    where readability and jusText also read the page, differs on one eval page by a thousandth of F1.
    (Unwrapping what it unwraps first, img, font, small..., would save a little more, but changes what
    readability reads: that cost a page of the eval set six points.)
    """
    if tree is not None:
        etree.strip_elements(tree, *_DROPPED_ANYWAY, with_tail=False)
        # The page's metadata elements, which trafilatura reads only when asked for metadata (the JSON-LD, which
        # tells it a forum thread and holds the baseline's articleBody, stays): 3% of each of its runs, same text.
        head = tree.find("head")
        if head is not None:
            etree.strip_elements(head, "meta", "link", "title", "base", with_tail=False)
    return tree


def _trafilatura(tree: HtmlElement | None, *, precision: bool, fast: bool = False) -> _Candidate:
    name = "trafilatura" if precision else "trafilatura_balanced"
    if tree is None:
        return _Candidate.of(name, ())
    # The tree is copied by trafilatura, so the same tree serves every mode; the settings are copied here (a few
    # microseconds), so that no version of trafilatura that changed them could make one page's text depend on
    # the pages a worker read before it.
    document = trafilatura.bare_extraction(tree, options=copy(_EXTRACTORS[precision, fast]))
    if not isinstance(document, Document) or document.body is None:
        return _Candidate.of(name, ())
    return _Candidate.of(name, from_trafilatura(document.body))


def _shingles_of(tokens: Sequence[str]) -> Shingles:
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(zip(tokens, tokens[1:], tokens[2:], tokens[3:], strict=False))


def _shingles(text: str) -> Shingles:
    return _shingles_of(_TOKEN.findall(text))


def _common(sa: Shingles, sb: Shingles) -> int:
    """The size of the multiset intersection (Counter's & builds it, over the larger side too)."""
    if len(sa) > len(sb):
        sa, sb = sb, sa
    return sum(map(min, sa.values(), map(sb.get, sa.keys(), repeat(0))))


def _f1(sa: Shingles, sb: Shingles) -> float:
    if not sa or not sb:
        return 0.0
    common = _common(sa, sb)
    precision, recall = common / sum(sb.values()), common / sum(sa.values())
    return 2 * precision * recall / (precision + recall) if common else 0.0


def _similarity(a: _Candidate, b: _Candidate) -> float:
    if a.tokens and a.tokens == b.tokens:
        return 1.0  # a third of the pages: the density pass reads the very words trafilatura does
    return _f1(a.shingles, b.shingles)


def _containment(part: _Candidate, whole: _Candidate) -> float:
    total = sum(part.shingles.values())
    return _common(part.shingles, whole.shingles) / total if total else 0.0


def similarity(a: str, b: str) -> float:
    """F1 of 4-token shingles between two texts (the eval metric, used here as agreement)."""
    return _f1(_shingles(a), _shingles(b))


def containment(part: str, whole: str) -> float:
    """How much of `part`'s shingles are found in `whole` (0..1)."""
    sp = _shingles(part)
    total = sum(sp.values())
    return _common(sp, _shingles(whole)) / total if total else 0.0


def _letter_count(text: str) -> int:
    return len(_NOT_ALNUM.sub("", text))


def _letters(blocks: tuple[Block, ...] | list[Block]) -> int:
    return sum(_letter_count(block.text) for block in blocks)


def _json_ld_body(tree: HTMLParser) -> list[Block]:
    best = ""
    for node in tree.css('script[type="application/ld+json"]'):
        text = node.text(deep=True) or ""
        if "articleBody" not in text:
            continue
        for match in re.finditer(r'"articleBody"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
            try:
                body = scrub_json(json.loads(f'"{match.group(1)}"'))
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
                value = scrub_json(json.loads(f'"{match.group(1)}"'))
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
    scores = []
    for i, candidate in enumerate(candidates):
        score = sum(_similarity(candidate, other) for j, other in enumerate(candidates) if j != i)
        scores.append(score + (PRECISION_BIAS if i == 0 else 0.0))
    return candidates[max(range(len(candidates)), key=lambda i: scores[i])]


def _confirmed(candidate: _Candidate, density: _Candidate) -> bool:
    return (candidate.letters >= MIN_TEXT_CHARS
            and _similarity(candidate, density) >= WITNESS_AGREEMENT)


def _short_of(candidate: _Candidate, density: _Candidate) -> bool:
    """Shorter than trafilatura's own minimum, or than half the density text: what its comparison with
    readability is there for (readability reads the page much as the density pass does)."""
    return len(candidate.text) < MIN_EXTRACTED_SIZE or 2 * len(candidate.text) < len(density.text)


def _disputed(precise: _Candidate, density: _Candidate, lxml_tree: HtmlElement | None) -> _Candidate:
    """Precision mode and the density pass disagree: balanced mode breaks the tie.

    Its fast mode first, and its full cascade only for a short text, as with precision mode: the cascade
    costs twice as much on these pages (the longest ones), and elsewhere it changed two eval pages, one
    for the worse (a text cut to a fifth by what jusText kept).
    """
    balanced = _trafilatura(lxml_tree, precision=False, fast=True)
    if _short_of(balanced, density):
        balanced = _trafilatura(lxml_tree, precision=False)
    candidates = [c for c in (precise, balanced, density) if c.letters >= MIN_TEXT_CHARS]
    if (density.letters >= MIN_TEXT_CHARS and len(density.text) >= CHUNKED * max(len(precise.text), len(balanced.text))
            and _containment(precise, density) >= CONTAINED
            and _containment(balanced, density) >= CONTAINED):
        # Both trafilatura modes stopped inside an article the density pass reads in full (an
        # article cut into chunks between ads): the longer text holds theirs and more.
        return density
    if (precise.letters >= MIN_TEXT_CHARS and balanced.letters >= MIN_TEXT_CHARS
            and _similarity(precise, balanced) >= AGREEMENT):
        # The two modes agree and the density pass sees something else: what balanced mode adds to
        # an agreed text is, on the eval pages, sections precision mode dropped, not chrome.
        return balanced
    if len(candidates) >= 3:
        return _vote(candidates)
    if candidates:
        return max(candidates, key=lambda c: c.letters)
    return precise


def main_text(html: str, tree: HTMLParser | None = None, *, markup: bytes | None = None) -> MainText:
    """The main text of a page; no blocks when nothing like an article is found.

    `markup` is the page less its scripts (without_scripts, encoded) and `tree` lexbor's parse of it, if the
    caller has them (read anything else from the tree first: the density pass prunes it). Without them, the
    page is flattened first (depth.py), as the caller's markup should be: parsers are quadratic in its depth.
    """
    markup = encoded(without_scripts(flattened(html))) if markup is None else markup
    page = tree if tree is not None else HTMLParser(markup)
    popups = page.css_first(_POPUP_SELECTOR) is not None  # asked before the density pass prunes the tree
    density = _Candidate.of("density", density_blocks(page))
    if markup.count(b"<") > MAX_TAGS:
        chosen = density
    else:
        # trafilatura's fast precision mode (no readability/jusText comparison) is twice as fast as its full
        # cascade, and gives the same text wherever the density pass confirms it (checked on the eval pages).
        lxml_tree = _precleaned(_lxml_tree(markup, popups=popups))
        chosen = _trafilatura(lxml_tree, precision=True, fast=True)
        if not _confirmed(chosen, density):
            if _short_of(chosen, density):
                # The comparison is there for short texts (readability's replaces one half its length, jusText's
                # one under the minimum); on the eval pages it changed no other.
                chosen = _trafilatura(lxml_tree, precision=True)
            if not _confirmed(chosen, density):
                chosen = _disputed(chosen, density, lxml_tree)
    if chosen.letters < MIN_TEXT_CHARS:
        scripts = HTMLParser(flattened(html))  # all of them: `markup` has only the JSON-LD
        for name, blocks in (("json_ld", _json_ld_body(scripts)), ("script_html", _script_html(scripts))):
            if _letters(blocks) >= MIN_TEXT_CHARS:
                chosen = _Candidate.of(name, blocks)
                break
    return MainText(chosen.blocks, chosen.name)
