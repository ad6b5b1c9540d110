"""Pages nested deeper than any article needs, flattened before a parser reads them.

An HTML5 tree builder looks down its stack of open elements for most tags it reads ("is a <p> open in button
scope?"), so lexbor's time grows with the page's depth times its tags: 40,000 nested <div>s took over a second
to parse, and a megabyte of them (200,000) would take half a minute. libxml2 stops at a depth of 256 with a
fatal error (trafilatura then reads nothing), trafilatura's readability pass reads the text of every element
that holds a paragraph (so again depth times text), its table handler walks every table below the one it
reads, and Python that recurses over such a tree runs out of stack. News pages are a few dozen elements deep
(at most 34 on the eval pages, 32 by the model below) and nest tables three deep at most.

So a page's tags below MAX_DEPTH, and its tables nested deeper than MAX_TABLES with their rows and cells, are
taken out before any parser sees it: their text stays where it was, and a run of block tags (<div>, <p>,
<li>...) leaves one <br>, so that its paragraphs stay apart. Every parser then works in time linear in the
page. A page no deeper than that is returned as it came (the same string).

The depth is estimated in one pass over the tags, by a model of the tree builder that is only as exact as a
bound needs: a <p> is closed by the next <p> or block, an <li> by the next <li>, a cell by the next cell, an end
tag closes what is still open above its element (unless a block or a table stands in between, as the parser
decides). Comments and the text of <script>, <style>, <textarea>, <title> and the like hold no tags. On the
eval pages the model is within four of lexbor's depth. The pass first only checks (no positions, which
Python's regex matches are slow to hand over); a page it finds too deep is read again, with positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import repeat

# Four times as deep as any news page's markup, and well under libxml2's limit of 256 (with html and body on
# top, and the elements a parser adds by itself, such as <tbody>). A parser then looks down at most this many
# elements for a tag (lexbor: a twentieth of a second a megabyte at worst), and trafilatura's readability reads
# a text at most this many times.
MAX_DEPTH = 128
# Tables in tables: trafilatura's handle_table walks every table below the one it reads, for each of them,
# which is quadratic in their nesting. Old layouts nest four or five.
MAX_TABLES = 8

# A tag's start and name (the rest of it is not read: matching every attribute would double the time of the
# scan, and only a "/>" inside <svg> or <math> changes what a tag does).
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/<>]*)")
# Where the tags stop being tags: a comment, or an element whose text holds none (a <script> left in, <title>,
# <textarea>...); and where each such element ends.
_NO_TAGS = re.compile(r"<(?:!--|(script|style|textarea|title|xmp|iframe|noembed|noframes)(?=[\s/>]))",
                      re.IGNORECASE)
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE)
                 for name in ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")}
_VOID = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
                   "input", "keygen", "link", "meta", "param", "source", "track", "wbr"})
# Never pushed twice: the parser has one of each, whatever the page says.
_ROOTS = frozenset({"html", "head", "body"})
# The HTML standard's "special" elements: an end tag of another element is ignored when one of these is open
# above it ("any other end tag"), and a formatting element's end tag leaves them open.
_SPECIAL = frozenset({
    "address", "applet", "article", "aside", "blockquote", "button", "caption", "center", "colgroup", "dd",
    "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "li", "listing", "main", "marquee",
    "menu", "nav", "noscript", "object", "ol", "p", "pre", "search", "section", "select", "summary", "table",
    "tbody", "td", "template", "tfoot", "th", "thead", "tr", "ul", "foreignobject"})
# Where "in scope" stops looking: an end tag (or a <p>) does not reach past these.
_SCOPE = frozenset({"applet", "caption", "marquee", "object", "table", "td", "th", "template", "button",
                    "foreignobject"})
# Start tags that close an open <p> (in button scope).
_CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "p", "search", "section",
    "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "form", "table", "xmp", "li", "dd",
    "dt", "plaintext"})
# Start tags that close an open element of the same kind (a list item the next item, a cell the next cell), and
# which elements stop the parser from looking further down for one: a list or other block (not <div> or <p>)
# for a list item; the table for a cell or row; for <a> and <nobr>, any special element (their end tag would
# leave a block open); for <option>, only the element on top of the stack counts.
_SIBLINGS = {"li": ("li",), "dd": ("dd", "dt"), "dt": ("dd", "dt"), "td": ("td", "th"), "th": ("td", "th"),
             "tr": ("tr", "td", "th"), "tbody": ("tbody", "thead", "tfoot", "tr", "td", "th"),
             "thead": ("tbody", "thead", "tfoot", "tr", "td", "th"),
             "tfoot": ("tbody", "thead", "tfoot", "tr", "td", "th"), "option": ("option",),
             "optgroup": ("option", "optgroup"), "a": ("a",), "nobr": ("nobr",)}
_LIST_PARTS = frozenset({"li", "dd", "dt"})
_TABLE_PARTS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup"})
_TOP_ONLY = frozenset({"option", "optgroup"})
_FOREIGN = frozenset({"svg", "math"})
# What each name does in the model, as bits: one dictionary look-up per tag (most tags do none of these).
_SKIPPED, _IS_SPECIAL, _IS_BLOCK, _IS_SCOPE, _IS_TABLE, _CLOSES_A_P, _HAS_SIBLINGS, _IS_TABLE_PART, _IS_FOREIGN = (
    1, 2, 4, 8, 16, 32, 64, 128, 256)
_KINDS = {name: sum(bit for names, bit in (
    (_VOID | _ROOTS, _SKIPPED), (_SPECIAL, _IS_SPECIAL), (_SPECIAL - {"address", "div", "p"}, _IS_BLOCK),
    (_SCOPE, _IS_SCOPE), ({"table"}, _IS_TABLE), (_CLOSES_P, _CLOSES_A_P), (_SIBLINGS.keys(), _HAS_SIBLINGS),
    (_TABLE_PARTS, _IS_TABLE_PART), (_FOREIGN, _IS_FOREIGN)) if name in names)
    for name in _VOID | _ROOTS | _SPECIAL | _SCOPE | _CLOSES_P | _SIBLINGS.keys() | _TABLE_PARTS | _FOREIGN}


def flattened(html: str, limit: int = MAX_DEPTH, table_limit: int = MAX_TABLES,
              keep: frozenset[str] = frozenset()) -> str:
    """`html` less its tags below `limit`, and its tables nested deeper than `table_limit` with their rows and
    cells (see the module's docstring); the very same string if it is no deeper than that. Elements named in
    `keep` stay at any depth (a listing's <a>: one never holds another, so they add one level at most)."""
    if html.count("<") <= min(limit, table_limit):
        return html  # (no deeper than it has tags)
    if _scan(html, limit, table_limit, rewrite=False, keep=keep) is not None:
        return html
    flat = _scan(html, limit, table_limit, rewrite=True, keep=keep)
    return html if flat is None else flat[0]


def depth(html: str) -> int:
    """How deep the page is by the model of this module (what `flattened` holds to its limit)."""
    scanned = _scan(html, len(html) + 1, len(html) + 1, rewrite=True)
    return 0 if scanned is None else scanned[1]


class _Stack:
    """The model's stack of open elements: their names, and the positions of each name and of the elements
    the parser stops at when it looks down the stack."""

    __slots__ = ("blocks", "foreign", "names", "scope", "special", "tables", "where")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.where: dict[str, list[int]] = {}  # the positions of each open element, by name
        # The positions of the open special elements, of those less <address>, <div> and <p>, of scope
        # boundaries and of tables.
        self.special: list[int] = []
        self.blocks: list[int] = []
        self.scope: list[int] = []
        self.tables: list[int] = []
        self.foreign = 0  # open <svg> and <math>, in which "/>" closes an element

    def open(self, name: str, kind: int) -> None:
        """A start tag: what it closes first (a <p>, an element of the same kind), then the element itself."""
        if kind:
            if kind & _CLOSES_A_P and (at := self.where.get("p")) and at[-1] > (self.scope[-1] if self.scope else -1):
                self.pop_to(at[-1])
            if kind & _HAS_SIBLINGS:
                self._close_sibling(name, kind)
        position = len(self.names)
        self.names.append(name)
        if (positions := self.where.get(name)) is None:
            self.where[name] = [position]
        else:
            positions.append(position)
        if kind:
            if kind & _IS_SPECIAL:
                self.special.append(position)
                if kind & _IS_BLOCK:
                    self.blocks.append(position)
            if kind & _IS_SCOPE:
                self.scope.append(position)
            if kind & _IS_TABLE:
                self.tables.append(position)
            if kind & _IS_FOREIGN:
                self.foreign += 1

    def close(self, name: str, kind: int) -> None:
        """An end tag: its element and what is open above it, unless the parser would not look that far."""
        if (at := self.where.get(name)) is None or not at:
            return
        marks = (self.tables if kind & _IS_TABLE_PART else self.scope) if kind & _IS_SPECIAL else self.special
        if at[-1] >= (marks[-1] if marks else -1):
            self.pop_to(at[-1])

    def _close_sibling(self, name: str, kind: int) -> None:
        siblings = _SIBLINGS[name]
        if name in _TOP_ONLY:
            if self.names and self.names[-1] in siblings:
                self.pop_to(len(self.names) - 1)
            return
        marks = self.blocks if name in _LIST_PARTS else self.tables if kind & _IS_TABLE_PART else self.special
        barrier = marks[-1] if marks else -1
        found = [at[-1] for sibling in siblings if (at := self.where.get(sibling)) and at[-1] >= barrier]
        if found:
            # A row closes the cell and the row it is in; a list item the nearest item.
            self.pop_to(min(found) if kind & _IS_TABLE_PART else max(found))

    def pop_top(self, kind: int) -> None:
        """Close the element on top (`kind`: its bits; its positions are the last of those it is in)."""
        self.where[self.names.pop()].pop()
        if kind:
            if kind & _IS_SPECIAL:
                self.special.pop()
                if kind & _IS_BLOCK:
                    self.blocks.pop()
            if kind & _IS_SCOPE:
                self.scope.pop()
            if kind & _IS_TABLE:
                self.tables.pop()
            if kind & _IS_FOREIGN:
                self.foreign -= 1

    def pop_to(self, index: int) -> None:
        names, where = self.names, self.where
        while len(names) > index:
            name = names.pop()
            where[name].pop()
            if name in _FOREIGN:
                self.foreign -= 1
        for marks in (self.special, self.blocks, self.scope, self.tables):
            while marks and marks[-1] >= index:
                marks.pop()


def _scan(html: str, limit: int, table_limit: int, *, rewrite: bool, keep: frozenset[str] = frozenset()
          ) -> tuple[str, int] | None:
    """The page less what is below the limits, and the depth it reaches; without `rewrite`, None as soon as
    something would be taken out (and the page itself when nothing is)."""
    stack = _Stack()
    names = stack.names
    deepest = 0
    dropped: dict[str, int] = {}  # tags taken out and not yet closed, by name
    pieces: list[str] = []
    copied = 0  # html[:copied] is in pieces
    blank = False  # nothing but white space in pieces since the last <br> put in

    def take_out(start: int, name_end: int, kind: int) -> None:
        nonlocal copied, blank
        gap = html[copied:start]
        pieces.append(gap)
        if gap and not gap.isspace():
            blank = False
        if kind & _IS_SPECIAL and not blank:  # one <br> for a run of block tags: their text stays apart
            pieces.append("<br>")
            blank = True
        end = html.find(">", name_end)
        copied = name_end if end < 0 else end + 1

    position, size = 0, len(html)
    while position < size:
        stop = _NO_TAGS.search(html, position)
        end = size if stop is None else stop.start()
        # The tags up to the next comment or element of text; with their positions only to take some out.
        tokens: Iterable[tuple[tuple[str, str], re.Match[str] | None]] = (
            (((token[1], token[2]), token) for token in _TAG.finditer(html, position, end)) if rewrite
            else zip(_TAG.findall(html, position, end), repeat(None)))
        raw = stop[1] if stop is not None else None
        if raw is not None:  # an element of text: its start tag is read like any other
            tokens = [*tokens, (("", raw), stop if rewrite else None)]
        for (slash, name), token in tokens:
            name = name.lower()
            kind = _KINDS.get(name, 0)
            if kind & _SKIPPED:
                continue
            if slash:  # an end tag
                if dropped and dropped.get(name) and token is not None:
                    dropped[name] -= 1
                    take_out(token.start(), token.end(), kind)
                elif names and names[-1] == name:  # (most end tags: the element on top)
                    stack.pop_top(kind)
                else:
                    stack.close(name, kind)
                continue
            if (len(names) >= limit and name not in keep) or (kind & _IS_TABLE_PART and (
                    dropped.get("table") or (kind & _IS_TABLE and len(stack.tables) >= table_limit))):
                if token is None:  # (checking only: the page is read again, with positions)
                    return None
                # Taken out before it closes anything, as the parser will never see it; inside a table taken
                # out, so are its rows and cells.
                dropped[name] = dropped.get(name, 0) + 1
                take_out(token.start(), token.end(), kind)
                continue
            if token is not None and stack.foreign and (close := html.find(">", token.end())) > 0 and (
                    html[close - 1] == "/"):
                continue  # <path/> in an <svg> is closed as it opens (the check counts it open: more, not less)
            stack.open(name, kind)
            if len(names) > deepest:
                deepest = len(names)
        if stop is None:
            break
        if raw is None:  # a comment, to the end of the page if it is never closed (as parsers read it)
            close = html.find("-->", stop.end())
            position = size if close < 0 else close + 3
        else:  # the text of a <script>, <title>...: the scan goes on at its end tag
            closing = _RAW_TEXT_END[raw.lower()].search(html, stop.end())
            position = size if closing is None else closing.start()
    if not pieces:
        return html, deepest
    pieces.append(html[copied:])
    return "".join(pieces), deepest
