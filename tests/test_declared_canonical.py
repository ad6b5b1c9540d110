"""A canonical URL a page declares names its article, unless other articles declare it too.

Sites get this wrong in ways seen in the wild: every page's `<link rel="canonical">` (or `og:url`) names the section
it sits in, a placeholder a template left ("/article/undefined"), or the page a cache served first. Believed, every
article after the first would be "already written" and lost. A report's text sample (its first MinHash values) tells
another article from the same article's other pages (an AMP or print page, an edit)."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import read_records
from pytest_httpx import HTTPXMock
from test_output_contract import article_page

from scraper.analyse import Analyser
from scraper.dedup import fingerprint, samples_agree, text_sample
from scraper.fetch import Fetcher
from scraper.pipeline import Pipeline
from scraper.records import Source
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary

SITE = "https://wire.example"
FEED = f"{SITE}/feed"
T0 = datetime.now(UTC) - timedelta(days=2)  # recent: read again by revisits, its text kept


def _source(**changes: object) -> Source:
    fields: dict[str, object] = {"id": "wire", "name": "Wire", "languages": ("en",), "homepage": f"{SITE}/",
                                 "timezone": "UTC", "feeds": (FEED,), "delay": 0.0, "retries": 0}
    fields.update(changes)
    return Source(**fields)  # type: ignore[arg-type]


def _feed(paths: list[str]) -> bytes:
    items = "".join(f"<item><title>Report {n}</title><link>{SITE}{path}</link>"
                    f"<pubDate>{format_datetime(T0 + timedelta(hours=n))}</pubDate></item>"
                    for n, path in enumerate(paths))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'.encode()


def _page(number: int, declared: str | None, *, og: bool = False, edited: bool = False) -> bytes:
    """Article `number` declaring `declared` as its canonical URL (a link element, or Open Graph's og:url)."""
    page = article_page(number, paragraphs=5)
    if edited:  # a paragraph rewritten, as an editor does
        page = re.sub(rb"<p>[^<]*\(item \d+\.2\)\.</p>", b"<p>A correction: the ministry later denied the report, "
                      b"saying the figures had been misread by officials at the regional office.</p>", page)
    if declared is not None:
        tag = (f'<meta property="og:url" content="{declared}">' if og
               else f'<link rel="canonical" href="{declared}">')
        page = page.replace(b"</title>", b"</title>" + tag.encode(), 1)
    return page


def _serve(httpx_mock: HTTPXMock, pages: dict[str, bytes]) -> None:
    httpx_mock.add_response(url=FEED, content=_feed(list(pages)), is_reusable=True,
                            headers={"Content-Type": "application/rss+xml"})
    for path, page in pages.items():
        httpx_mock.add_response(url=f"{SITE}{path}", content=page, headers={"Content-Type": "text/html"},
                                is_reusable=True, is_optional=True)


@contextlib.contextmanager
def _pipeline(tmp_path: Path, fetcher: Fetcher) -> Iterator[Pipeline]:
    state = State(tmp_path / "state.sqlite")
    sink = JsonlSink(tmp_path / "out")
    pipeline = Pipeline(fetcher, state, sink, Analyser())
    pipeline.reconcile({})
    try:
        yield pipeline
    finally:
        pipeline.close()
        sink.close()
        state.close()


def _written(tmp_path: Path) -> dict[str, dict[str, object]]:
    """Records by the URL they were fetched at."""
    return {str(record["url"]): record for record in read_records(tmp_path / "out")}


async def _one_poll(tmp_path: Path, httpx_mock: HTTPXMock, pages: dict[str, bytes]) -> tuple[Summary, dict[str, Any]]:
    """One poll of a feed listing `pages` (path -> page): its summary, and the records by the URL fetched at."""
    _serve(httpx_mock, pages)
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            summary = await pipeline.poll(_source())
            pipeline.flush()
    return summary, _written(tmp_path)


@pytest.mark.parametrize("declared", ["/news/", f"{SITE}/article/undefined"])
@pytest.mark.parametrize("og", [False, True])
async def test_articles_that_all_declare_one_canonical_url_are_each_written(
        tmp_path: Path, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture, declared: str, og: bool) -> None:
    pages = {f"/news/{n}.html": _page(n, declared, og=og) for n in range(6)}
    _serve(httpx_mock, pages)
    caplog.set_level(logging.WARNING, logger="scraper.commit")
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            first = await pipeline.poll(_source())
            pipeline.flush()
            second = await pipeline.poll(_source())
            pipeline.flush()
            due = {item.canonical_url for item in pipeline.state.revisits.due_for_revisit(
                "wire", T0 - timedelta(days=1), datetime.now(UTC) + timedelta(days=1), 100)}
    written = _written(tmp_path)
    assert first.written == 6 and first.already == 0 and second.written == 0
    assert sorted(written) == sorted(f"{SITE}{path}" for path in pages)
    assert len({record["id"] for record in written.values()}) == 6
    # Each article after the first is filed under its own address; the first wrote the declared one, and is
    # read again at its own.
    own = [url for url, record in written.items() if record["canonical_url"] == url]
    assert len(own) == 5
    assert due == {f"{SITE}{path}" for path in pages}
    warnings = [r for r in caplog.records if "declare one canonical URL" in r.getMessage()]
    assert len(warnings) == 1 and getattr(warnings[0], "event", None) == "shared_canonical"


async def test_a_committed_report_is_told_apart_from_a_new_article_declaring_its_url(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    """The earlier report's text sample is read from the store (not from what the poll staged)."""
    declared = f"{SITE}/index.html?page=article"
    _serve(httpx_mock, {"/news/0.html": _page(0, declared)})
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            assert (await pipeline.poll(_source())).written == 1
            pipeline.flush()
    httpx_mock.reset()
    _serve(httpx_mock, {"/news/0.html": _page(0, declared), "/news/1.html": _page(1, declared)})
    async with Fetcher(robots=False) as fetcher:
        with _pipeline(tmp_path, fetcher) as pipeline:
            later = await pipeline.poll(_source())
            pipeline.flush()
    assert later.written == 1
    assert sorted(_written(tmp_path)) == [f"{SITE}/news/0.html", f"{SITE}/news/1.html"]


async def test_other_pages_of_one_article_are_still_one_report(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    """An AMP page and an edited copy at new addresses declare the article's URL and share its text: not written
    again (nor is a page that declares it and has no text to tell by)."""
    article = "/news/7.html"
    pages = {article: _page(7, None), "/amp/news/7.html": _page(7, article),
             "/news/7.html/print": _page(7, article, edited=True)}
    summary, written = await _one_poll(tmp_path, httpx_mock, pages)
    assert summary.written == 1 and summary.already == 2
    assert list(written) == [f"{SITE}{article}"]


def test_text_samples_agree_on_one_article_and_not_on_two() -> None:
    lines = [f"Line {n} of the report says the ministry announced new measures on trade and shipping {n}."
             for n in range(12)]
    other = [f"Rainfall in the region reached record levels in week {n}, flooding several villages." for n in range(12)]
    edited = [*lines[:5], "A late correction replaced this sentence entirely with new wording.", *lines[6:]]
    sample = text_sample(fingerprint(lines))
    assert len(sample) == 64
    assert samples_agree(sample, text_sample(fingerprint(edited)))
    assert not samples_agree(sample, text_sample(fingerprint(other)))
    assert text_sample(fingerprint([])) == b""
    assert not samples_agree(b"", sample)


async def test_a_page_at_its_declared_address_is_that_report(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    """The page that *is* at the declared address, listed after others borrowed it, is the first report's (the
    first one written under that address), never a second record with the same id."""
    declared = "/news/"
    pages = {"/news/0.html": _page(0, declared), "/news/1.html": _page(1, declared), "/news/": _page(2, declared)}
    summary, written = await _one_poll(tmp_path, httpx_mock, pages)
    assert (summary.written, summary.already) == (2, 1)
    assert sorted(written) == [f"{SITE}/news/0.html", f"{SITE}/news/1.html"]
    assert len({record["id"] for record in written.values()}) == 2
