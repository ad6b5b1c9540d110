"""Pathological pages (deep, wide, huge) and inputs over the size cap: each is read in time linear in its size,
or refused with a reason, never with a RecursionError.

Linear is tested by counting work, not by timing it: the depth every parser is handed (their time grows with
depth times tags), the text the density pass reads, the Python calls an extraction makes, at two or three
sizes of the same page.
"""

from __future__ import annotations

import cProfile
import gzip
import pstats
import re
import sys
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, run_cli, write_sources
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml.html import HTMLParser as LxmlParser
from lxml.html import fromstring
from selectolax.lexbor import LexborHTMLParser, LexborNode

import scraper.extract.clean as clean_module
from scraper.analyse import Analyser
from scraper.cli import LOCAL_SOURCE, _read_input
from scraper.errors import Skip
from scraper.extract import extract_article
from scraper.extract.blocks import HEADING, Block
from scraper.extract.body import MAX_TAGS, main_text
from scraper.extract.clean import MAX_TITLE, cut_recommendations, is_breadcrumb
from scraper.extract.density import density_blocks
from scraper.extract.depth import MAX_DEPTH, MAX_TABLES, depth, flattened
from scraper.prepare import prepare_feed_only
from scraper.records import Article, Fetched, Link, Source

SOURCE = Source(id="t", name="T", languages=(), homepage="https://news.example.org/", timezone="UTC",
                any_language=True)
SENTENCE = "The ministry said on Tuesday that the two countries would expand trade across their shared border."


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Trade talks</title></head><body>{body}</body></html>"


def _extract(html: str) -> Article:
    fetched = Fetched(url="https://news.example.org/a", final_url="https://news.example.org/a", status=200,
                      content_type="text/html", text=html, encoding="utf-8",
                      fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
    return extract_article(fetched, SOURCE)


def _words(n: int) -> str:
    """A different run of letters for each n (no digits: a line of digits reads as a date stamp)."""
    letters = ""
    while True:
        n, rest = divmod(n, 26)
        letters += chr(97 + rest)
        if not n:
            return letters


# --- the shapes --------------------------------------------------------------------------------------------
def nested_divs(n: int) -> str:
    return _page("<div>" * n + f"<p>{SENTENCE}</p>" + "</div>" * n)


def nested_inline(n: int) -> str:
    tags = [("b", "i", "span", "em")[i % 4] for i in range(n)]
    return _page("<p>" + "".join(f"<{t}>" for t in tags) + SENTENCE + "".join(f"</{t}>" for t in reversed(tags))
                 + "</p>")


def unclosed_chain(n: int) -> str:
    """Block, list, table and inline elements opened one in the other and never closed."""
    tags = ("div", "span", "b", "section", "i", "article", "em", "font", "ul", "li", "table", "tr", "td",
            "blockquote", "a", "p")
    return _page("".join(f"<{tags[i % len(tags)]}>" for i in range(n)) + SENTENCE)


def nested_tables(n: int) -> str:
    return _page("<table><tr><td>" * n + SENTENCE + "</td></tr></table>" * n)


def nested_lists(n: int) -> str:
    return _page("<ul><li>" * n + SENTENCE + "</li></ul>" * n)


def flat_paragraphs(n: int) -> str:
    return _page("<article>" + "".join(f"<p>Report {_words(i)} of the day, from the ministry.</p>" for i in range(n))
                 + "</article>")


def one_text_node(size: int) -> str:
    return _page("<p>" + (SENTENCE + " ") * (size // (len(SENTENCE) + 1)) + "</p>")


def prose_at_every_level(n: int) -> str:
    """Boxes in boxes, each with a paragraph of its own."""
    return _page("".join(f"<div class='box'><p>{SENTENCE} Said {_words(i)}.</p>" for i in range(n)) + "</div>" * n)


DEEP = {
    "100,000 nested divs": (nested_divs, 100_000),
    "100,000 nested inline tags": (nested_inline, 100_000),
    "a 100,000-deep chain of tags never closed": (unclosed_chain, 100_000),
    "tables nested 10,000 deep": (nested_tables, 10_000),
    "lists nested 50,000 deep": (nested_lists, 50_000),
}


def _lexbor_depth(node: LexborNode) -> int:
    """The depth of a lexbor tree, without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        child = node.child
        while child is not None:
            if child.tag != "-text":
                stack.append((child, level + 1))
            child = child.next
    return deepest


# --- every shape is read, nothing is lost ------------------------------------------------------------------
@pytest.mark.parametrize("shape", DEEP)
def test_deep_pages_are_read_to_their_last_paragraph(shape: str) -> None:
    build, size = DEEP[shape]
    article = _extract(build(size))
    assert any(SENTENCE in paragraph for paragraph in article.paragraphs)  # (in a table: a row of cells)


def test_a_flat_page_of_200_000_paragraphs_is_read_whole() -> None:
    article = _extract(flat_paragraphs(200_000))
    assert len(article.paragraphs) == 200_000
    assert article.paragraphs[-1] == f"Report {_words(199_999)} of the day, from the ministry."


def test_a_megabyte_in_one_text_node_is_one_paragraph() -> None:
    article = _extract(one_text_node(1_000_000))
    assert len(article.paragraphs) == 1 and len(article.paragraphs[0]) > 990_000


def test_paragraphs_below_the_depth_limit_stay_apart() -> None:
    # Below the limit each box's paragraph is a line of its own in the deepest box kept, which holds most of
    # the text: the extractors take that box for the article (as the box holding most of a page's paragraphs).
    levels = 1000
    article = _extract(prose_at_every_level(levels))
    assert {f"{SENTENCE} Said {_words(i)}." for i in range(MAX_DEPTH, levels)} <= set(article.paragraphs)


# --- what the parsers are handed ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", DEEP)
def test_every_parser_is_handed_a_shallow_page(shape: str) -> None:
    build, size = DEEP[shape]
    flat = flattened(build(size))
    assert depth(flat) <= MAX_DEPTH
    assert _lexbor_depth(LexborHTMLParser(flat).root) <= MAX_DEPTH + 12  # html, body, and a <tbody> per table
    # libxml2 stops at a depth of 256, and trafilatura then reads nothing; here it reads to the last paragraph.
    parser = LxmlParser()
    tree = fromstring(flat.encode(), parser=parser)
    assert not parser.error_log.filter_from_level(etree.ErrorLevels.FATAL)
    assert SENTENCE in tree.text_content()
    assert all(sum(1 for _ in table.iterancestors("table")) < MAX_TABLES for table in tree.iter("table"))


def test_pages_as_deep_as_news_pages_are_handed_over_untouched() -> None:
    pages = [path for path in FIXTURES.rglob("*.htm*")]
    assert len(pages) >= 10
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert flattened(html) is html, path
        # The model follows the parser (closing what it closes): within a few elements of lexbor's depth.
        assert abs(depth(html) + 2 - _lexbor_depth(LexborHTMLParser(html).root)) <= 4, path


def test_the_limit_is_the_depth_of_the_model() -> None:
    fits = nested_divs(MAX_DEPTH - 1)  # (and the <p>)
    assert flattened(fits) is fits and depth(fits) == MAX_DEPTH
    deeper = nested_divs(MAX_DEPTH)
    assert flattened(deeper) != deeper and depth(flattened(deeper)) == MAX_DEPTH
    # What the parser closes by itself is not depth: a thousand <p>, <li> and <td> left open, <path/> in <svg>.
    sloppy = _page("<ul>" + "<li><p>item <b>bold" * 1000 + "</ul><table>" + "<tr><td>cell" * 1000 + "</table>"
                   + "<svg>" + "<path d='M0 0'/>" * 1000 + "</svg>")
    assert flattened(sloppy) is sloppy
    # Comments and the text of a <script> or <textarea> hold no tags.
    hidden = _page("<!--" + "<div>" * 1000 + "--><textarea>" + "<div>" * 1000 + "</textarea><script>"
                   + "'<div>'" * 1000 + "</script>")
    assert flattened(hidden) is hidden


def test_tables_in_tables_past_the_limit_become_lines() -> None:
    cells = [f"cell {_words(i)}" for i in range(3 * MAX_TABLES)]
    page = _page("".join(f"<table><tr><td>{cell}" for cell in cells) + "</td></tr></table>" * len(cells))
    tree = fromstring(flattened(page).encode())
    assert max(sum(1 for _ in table.iterancestors("table")) + 1 for table in tree.iter("table")) == MAX_TABLES
    assert [cell in tree.text_content() for cell in cells] == [True] * len(cells)


# --- counting the work -------------------------------------------------------------------------------------
def _ratios(counts: list[int]) -> list[float]:
    return [later / earlier for earlier, later in pairwise(counts)]


@pytest.mark.parametrize("build", [
    lambda n: _page("<ul><li>" + "".join(f"{SENTENCE} {_words(i)}<ul><li>" for i in range(n))),
    lambda n: _page("<table><tr><td>" + "".join(f"{SENTENCE} {_words(i)}<table><tr><td>" for i in range(n))),
    lambda n: _page("".join(f"<div class='sidebar'><p>{SENTENCE} {_words(i)}</p>" for i in range(n))),
], ids=["lists in lists", "tables in tables", "boxes in boxes"])
def test_the_density_pass_reads_nested_text_a_bounded_number_of_times(build: Callable[[int], str]) -> None:
    # Handed the page as it is (no flattening: the pass must be linear on its own, and must not recurse).
    counts = []
    for levels in (1000, 2000, 4000):
        work: Counter[str] = Counter()
        blocks = density_blocks(LexborHTMLParser(build(levels)), work=work)
        assert blocks
        counts.append(work["chars_read"] + work["nodes_measured"])
    assert max(_ratios(counts)) < 2.3, counts  # reading each level's text below it again: 4x


def _python_calls(function: Callable[[], object]) -> int:
    profile = cProfile.Profile()
    profile.enable()
    try:
        function()
    except Skip:
        pass
    finally:
        profile.disable()
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return sum(calls for calls, *_ in stats.values())


@pytest.mark.parametrize("build,size", [
    (prose_at_every_level, 500), (nested_inline, 20_000), (nested_tables, 2_000), (flat_paragraphs, 1_000),
    (lambda n: _page("<article>" + f"<p>{SENTENCE}</p>" + "<p>—</p><h2>You may also like</h2>" * n + "</article>"),
     1_000),
    (lambda n: _page("<table>" + f"<tr><td>{' | '.join(['cell'] * n)}</td></tr>" * 3 + "</table>"), 2_000),
], ids=["prose at every level", "nested inline", "nested tables", "flat", "recommendation headings", "wide rows"])
def test_extraction_makes_python_calls_in_proportion_to_the_page(build: Callable[[int], str], size: int) -> None:
    _python_calls(lambda: _extract(build(size // 2)))  # (once first: imports and caches)
    counts = [_python_calls(lambda n=n: _extract(build(n))) for n in (size, 2 * size, 4 * size)]  # type: ignore[misc]
    assert max(_ratios(counts)) < 2.3, counts


def test_recommendation_headings_count_the_words_before_them_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[str] = []
    real_words = clean_module.words

    def words(text: str) -> int:
        counted.append(text)
        return real_words(text)

    monkeypatch.setattr(clean_module, "words", words)
    counts = []
    for n in (500, 1000, 2000):
        counted.clear()
        blocks = [block for _ in range(n) for block in (Block("—"), Block("You may also like", HEADING))]
        assert len(cut_recommendations(blocks, "")) == n  # (never an article's worth of words: nothing is cut)
        counts.append(len(counted))
    assert max(_ratios(counts)) < 2.1, counts


def test_a_page_of_too_many_tags_is_read_by_the_density_pass_alone() -> None:
    paragraphs = MAX_TAGS // 2 + 1
    assert main_text(flat_paragraphs(paragraphs)).method == "density"
    assert main_text(flat_paragraphs(100)).method == "trafilatura"


# --- breadcrumbs -------------------------------------------------------------------------------------------
_BREADCRUMB_REGEX = re.compile(r"^[^.!?]{1,60}(?:\s[>›»/|]\s[^.!?]{1,60}){2,}$")  # what is_breadcrumb decides


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["a", "News", " ", " > ", " | ", " / ", "›", ">", ".", "\n", "x" * 25, "\t"]),
                max_size=16).map("".join))
def test_breadcrumbs_are_told_as_the_regex_told_them(line: str) -> None:
    assert is_breadcrumb(line) == bool(_BREADCRUMB_REGEX.match(line))


def test_a_long_row_of_cells_is_no_breadcrumb_and_is_told_at_once() -> None:
    # The regex tried every way of cutting such a row: 25 cells took seconds, 30 minutes.
    assert is_breadcrumb(" > ".join(["News"] * 5000))
    assert not is_breadcrumb(" | ".join(["cell"] * 5000) + " | " + "x" * 61)
    assert not is_breadcrumb(" | ".join(["cell"] * 5000) + ".")


# --- the size cap of `scraper extract` ---------------------------------------------------------------------
def _html_of(size: int) -> bytes:
    head = f"<html><body><p>{SENTENCE}</p><p>".encode()
    return head + b"a" * (size - len(head) - len(b"</p></body></html>")) + b"</p></body></html>"


def test_extract_refuses_a_file_over_the_cap_and_goes_on(tmp_path: Path) -> None:
    cap = LOCAL_SOURCE.max_bytes  # (no outlet: the default, 5 MB)
    (tmp_path / "over.html").write_bytes(_html_of(cap + 1))
    (tmp_path / "good.html").write_bytes(_html_of(2000))
    result = run_cli("extract", str(tmp_path / "over.html"), str(tmp_path / "good.html"), cwd=tmp_path)
    assert result.returncode == 1
    assert f"over.html: skipped: too_large: {tmp_path / 'over.html'}: more than {cap} bytes" in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the next input is read


def test_extract_refuses_a_gzip_bomb_and_stdin_over_the_outlet_s_cap(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(_html_of(LOCAL_SOURCE.max_bytes + 1_000_000), compresslevel=9))
    assert bomb.stat().st_size < 50_000
    result = run_cli("extract", str(bomb), cwd=tmp_path)
    assert result.returncode == 1 and "skipped: too_large" in result.stderr
    assert "once decompressed" in result.stderr
    # An outlet's own max_bytes is the cap for its pages read from stdin too.
    write_sources(tmp_path / "sources.toml", [{"id": "small", "name": "Small", "homepage": "http://127.0.0.1/",
                                               "feeds": ["http://127.0.0.1/f"], "max_bytes": "10KB"}])
    refused = run_cli("extract", "--source", "small", "-", cwd=tmp_path, stdin=_html_of(10_001))
    assert refused.returncode == 1 and "-: skipped: too_large: -: more than 10000 bytes" in refused.stderr
    read = run_cli("extract", "--source", "small", "-", cwd=tmp_path, stdin=_html_of(10_000))
    assert read.returncode == 0, read.stderr


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = BytesIO(data)
        self.asked: list[int] = []
        read = self.buffer.read

        def recording(size: int | None = -1) -> bytes:
            self.asked.append(-1 if size is None else size)
            return read(size)

        self.buffer.read = recording  # type: ignore[method-assign]


def test_inputs_are_never_read_past_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = _Stdin(b"<p>" + b"a" * 20_000 + b"</p>")
    monkeypatch.setattr(sys, "stdin", stdin)
    source = Source(id="s", name="S", languages=(), homepage="http://127.0.0.1/", timezone="UTC", max_bytes=1000)
    with pytest.raises(Skip, match="too_large"):
        _read_input("-", source)
    assert stdin.asked == [1001]
    # A file of a gigabyte (sparse: no disk used) is refused having read the cap and a byte.
    huge = tmp_path / "huge.html"
    with huge.open("wb") as handle:
        handle.truncate(1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(Skip, match="too_large"):
            _read_input(str(huge), LOCAL_SOURCE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * LOCAL_SOURCE.max_bytes


def test_a_listing_page_nested_deep_gives_its_links() -> None:
    """Listing pages are flattened like articles: links under 100,000 nested divs are found."""
    from scraper.discover.listings import parse_listing
    from scraper.records import Listing

    depth = 100_000
    links = "".join(f"<a href='/a/{n}'>Report {n}</a>" for n in range(3))
    html = f"<html><body>{'<div>' * depth}{links}{'</div>' * depth}</body></html>"
    page = parse_listing(html, "https://x.example/list", Listing("https://x.example/list"), "x", "UTC",
                         article_url=re.compile(r"/a/\d+$"))
    assert [link.url for link in page.links] == [f"https://x.example/a/{n}" for n in range(3)]


def test_a_title_of_fifty_thousand_characters_is_cut_at_a_word() -> None:
    keywords = "Headline keywords " * 3000  # a <title> stuffed with keywords, and the same in the h1
    article = _extract(f"<html><head><title>{keywords}</title></head><body><article><h1>{keywords}</h1>"
                       f"<p>{_words(120)}</p></article></body></html>")
    assert len(article.title) <= MAX_TITLE and article.title.endswith("…")
    assert article.title[:-1].split()[-1] in ("Headline", "keywords")  # a whole word
    assert _extract(_page(f"<p>{SENTENCE}</p>")).title == "Trade talks"


def test_a_feed_only_record_bounds_its_title_too() -> None:
    link = Link(url="https://news.google.com/rss/articles/x", source_id="t", found_in="https://news.google.com/rss",
                title="Breaking news " * 500)
    record = prepare_feed_only(link, SOURCE, Analyser()).record
    assert len(record.title) <= MAX_TITLE and record.title.endswith("…")
