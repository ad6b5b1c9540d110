"""Aggregator feeds (Google News): publisher and clean titles, old item ids decoded without a request, opaque ones
kept as feed-only records that join the story of the report they copy; nothing fetched from news.google.com."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import record_schema
from pytest_httpx import HTTPXMock
from test_output_contract import article_page

from scraper.analyse import Analyser
from scraper.dedup import DuplicateIndex
from scraper.discover.aggregators import aggregator_id, publisher_url
from scraper.discover.feeds import parse_feed
from scraper.fetch import Fetcher
from scraper.pipeline import Pipeline
from scraper.prepare import prepare_feed_only
from scraper.records import Language, Link, Publisher, Record, Source
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary
from scraper.urls import record_id

REAL = Path(__file__).parent / "fixtures" / "real" / "gnews"
SEARCH = "https://news.google.com/rss/search?q=breaking+OR+crisis+OR+emergency&hl=en-US&gl=US&ceid=US:en"
GNEWS = Source(id="gnews", name="Google News", languages=("en",), homepage="https://news.google.com/",
               timezone="UTC", feeds=(SEARCH,), delay=0.001, strip_query=("oc",))
SEED = Path(__file__).parent.parent / "tests" / "fixtures" / "seeds" / "000.json"
GNEWS_2020 = REAL / "topstories-fr-BE-2020-03-08-oldstyle-ids.xml"
RTBF = ("https://www.rtbf.be/info/societe/detail_coronavirus-en-belgique-200-cas-detectes-au-total-la-circulation-du-"
        "virus-reste-limitee?id=10450793")


# --- item ids -------------------------------------------------------------------------------------------------
def _ids() -> dict[str, list[dict[str, str]]]:
    data: dict[str, list[dict[str, str]]] = tomllib.loads((REAL / "decoded_ids.toml").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("entry", _ids()["old_style"], ids=lambda entry: entry["url"][:60])
def test_real_old_style_ids_decode_to_the_publishers_url(entry: dict[str, str]) -> None:
    for form in ("https://news.google.com/rss/articles/{}?oc=5", "https://news.google.com/__i/rss/rd/articles/{}",
                 "https://news.google.com/articles/{}?hl=en-US&gl=US&ceid=US:en"):
        assert publisher_url(form.format(entry["id"])) == entry["url"]


@pytest.mark.parametrize("entry", _ids()["new_style"], ids=lambda entry: entry["id"][:24])
def test_real_new_style_ids_are_opaque(entry: dict[str, str]) -> None:
    link = f"https://news.google.com/rss/articles/{entry['id']}?oc=5"
    assert aggregator_id(link) == entry["id"] and publisher_url(link) is None


@pytest.mark.parametrize("link", [
    "https://news.google.com/rss/articles/",  # no id
    "https://news.google.com/rss/articles/!!!notbase64!!!",
    "https://news.google.com/rss/articles/CBMi" + "A" * 5000,  # absurdly long
    "https://news.google.com/rss/articles/CBMiLmh0dHBz",  # cut short: the length says more than follows
    "https://news.google.com/rss/articles/CBMiBWphdmFzY3JpcHQ6YWxlcnQoMSk",  # a field that is no http(s) URL
    "https://news.google.com/home?hl=en-US",  # not an item link
    "https://example.com/rss/articles/CBMiLmh0dHBzOi8vd3d3LmV4YW1wbGUuY29t",  # not the aggregator
    "http://[::1/rss/articles/x",  # not a URL at all
    "https://news.google.com/rss/articles/CBMiFWh0dHBzOi8veC5jb206OTk5OTkvYQ",  # x.com:99999, no port
    "https://news.google.com/rss/articles/CBMiEmh0dHBzOi8veC5jb206LTEvYQ",  # https://x.com:-1/a
])
def test_anything_else_is_no_publisher_url_and_no_crash(link: str) -> None:
    assert publisher_url(link) is None


# --- the real feed through the pipeline -----------------------------------------------------------------------
async def _polls(tmp_path: Path, source: Source, times: int = 1) -> tuple[list[Summary], list[dict[str, Any]]]:
    """`times` polls of `source` into a new output: their summaries and the records written."""
    state = State(tmp_path / "s.sqlite")
    sink = JsonlSink(tmp_path / "out")
    async with Fetcher(robots=False) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser())
        summaries = []
        for _ in range(times):
            summaries.append(await pipeline.poll(source))
            pipeline.flush()
        pipeline.close()
    sink.close()
    state.close()
    return summaries, [json.loads(line) for f in sorted((tmp_path / "out").glob("*/*/*/*.jsonl"))
                       for line in f.read_text().splitlines()]


async def test_a_real_google_news_feed_writes_feed_only_records_and_fetches_nothing_from_google(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=SEARCH, content=(REAL / "search-breaking-crisis-emergency-2026-09-25.trimmed.xml")
                            .read_bytes(), headers={"Content-Type": "application/rss+xml"}, is_reusable=True)
    (summary, again), records = await _polls(tmp_path, GNEWS, times=2)  # again: the same items, nothing fetched
    # Only the feed was requested (pytest-httpx fails the test on any other request, news.google.com included).
    assert [str(r.url) for r in httpx_mock.get_requests()] == [SEARCH, SEARCH]
    assert summary.written == 2 and again.written == 0 and again.skips.total() == 0
    schema = record_schema()
    for record in records:
        jsonschema.validate(record, schema)
        assert record["feed_only"] is True and record["body"] == ""
        assert record["url"] == record["aggregator_url"] and record["url"].startswith("https://news.google.com/")
        assert "?oc=5" not in record["canonical_url"]
        assert record["published_at"] is not None and record["language"]["code"] == "en"
    guardian = next(r for r in records if r["publisher"]["name"] == "The Guardian")
    assert guardian["publisher"] == {"name": "The Guardian", "url": "https://www.theguardian.com"}
    assert not guardian["title"].endswith("The Guardian")


def test_the_schema_refuses_an_empty_body_unless_the_record_is_feed_only() -> None:
    link = Link(url="https://news.google.com/rss/articles/CBMiX?oc=5", source_id="gnews", found_in=SEARCH,
                title="A headline of some length - Yonhap", published_at=datetime(2026, 9, 25, tzinfo=UTC),
                publisher=Publisher("Yonhap", "https://en.yna.co.kr"), feed_only=True)
    record = prepare_feed_only(link, GNEWS, Analyser()).record.to_dict()
    schema = record_schema()
    jsonschema.validate(record, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "feed_only": False}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "body": "text"}, schema)  # a feed-only record has no body


# --- stories --------------------------------------------------------------------------------------------------
def _yonhap_report(at: datetime) -> Record:
    """Seed 000's article (a Yonhap report, here as Yonhap's own record)."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    url = "https://en.yna.co.kr/view/AEN20251031001200315"
    return Record(id=record_id("yonhap-en", url), url=url, canonical_url=url, source_id="yonhap-en",
                  source_name="Yonhap", title=seed["title"], body="\n\n".join(seed["paragraphs"]), authors=(),
                  published_at=at, fetched_at=at, language=Language("en", 1.0), content_hash="sha256:" + "0" * 64,
                  credit="Yonhap")


def _joongang_item(title: str, at: datetime) -> Record:
    """The JoongAng Daily copy as the Google News site: search lists it: its title, publisher and time."""
    link = Link(url="https://news.google.com/rss/articles/CBMiqAFBVV95cUxO?oc=5", source_id="joongang-daily",
                found_in="https://news.google.com/rss/search?q=site:koreajoongangdaily.joins.com", title=title,
                published_at=at, publisher=Publisher("Korea JoongAng Daily", "https://koreajoongangdaily.joins.com"),
                feed_only=True)
    source = Source(id="joongang-daily", name="Korea JoongAng Daily (via Google News)", languages=("en",),
                    homepage="https://koreajoongangdaily.joins.com/", timezone="Asia/Seoul")
    return prepare_feed_only(link, source, Analyser(), now=at).record


def _file(index: DuplicateIndex, state: State, record: Record) -> Record:
    result = index.assign(record, now=record.fetched_at)
    state.stage(result, (result.canonical_url,))
    state.commit()
    return result


T0 = datetime(2025, 10, 31, 0, 12, tzinfo=UTC)


def test_the_joongang_copy_of_a_yonhap_story_joins_it_as_a_copy(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite")
    index = DuplicateIndex(state)
    yonhap = _file(index, state, _yonhap_report(T0))
    title = yonhap.title + " - Korea JoongAng Daily"
    joongang = _file(index, state, _joongang_item(parse_title(title), T0 + timedelta(hours=5)))
    assert joongang.story is not None and joongang.story.id == yonhap.id and joongang.story.role == "copy"
    assert joongang.duplicate_of == yonhap.id and joongang.story.origin == "Yonhap"
    state.close()


def test_when_the_feed_item_comes_first_the_full_report_is_the_storys_update(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite")
    index = DuplicateIndex(state)
    joongang = _file(index, state, _joongang_item(_yonhap_report(T0).title, T0))
    yonhap = _file(index, state, _yonhap_report(T0 + timedelta(hours=1)))
    assert joongang.story is not None and joongang.story.role == "first"
    assert yonhap.story is not None and yonhap.story.id == joongang.id and yonhap.story.role == "update"
    assert yonhap.duplicate_of is None  # the full text is the one to keep
    state.close()


@pytest.mark.parametrize(("title", "hours"), [
    ("North Korea and Belarus pledge closer ties at Minsk talks", 1),  # another headline
    ("North's top diplomat agrees with Belarusian foreign minister to jointly safeguard mutual interests", 24 * 5),
    ("N. Korea fires missile", 1),  # too short to decide on a title
])
def test_a_feed_item_joins_no_story_on_another_title_a_short_one_or_days_later(tmp_path: Path, title: str,
                                                                               hours: int) -> None:
    state = State(tmp_path / "s.sqlite")
    index = DuplicateIndex(state)
    _file(index, state, _yonhap_report(T0))
    item = _file(index, state, _joongang_item(title, T0 + timedelta(hours=hours)))
    assert item.story is not None and item.story.role == "first" and item.duplicate_of is None
    state.close()


def test_two_full_reports_never_join_on_their_title_alone(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite")
    index = DuplicateIndex(state)
    first = _file(index, state, _yonhap_report(T0))
    other = Record(id="other-1", url="https://other.example/1", canonical_url="https://other.example/1",
                   source_id="other", source_name="Other", title=first.title,
                   body="\n\n".join(["An entirely different text about the weather in Seoul, which was cold and "
                                     "dry on Friday with strong winds from the north and a clear sky."] * 3),
                   authors=(), published_at=T0, fetched_at=T0, language=Language("en", 1.0),
                   content_hash="sha256:" + "1" * 64)
    filed = _file(index, state, other)
    assert filed.story is not None and filed.story.role == "first"
    state.close()


def parse_title(title: str) -> str:
    """The title as the feed reader leaves it (" - Publisher" off), through the real parser."""
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{title}</title>'
            "<link>https://news.google.com/rss/articles/CBMiqAFBVV95cUxO?oc=5</link>"
            '<source url="https://koreajoongangdaily.joins.com">Korea JoongAng Daily</source></item></channel></rss>')
    (link,) = parse_feed(feed, SEARCH, "joongang-daily")
    assert link.title is not None
    return link.title


@pytest.mark.parametrize(("status", "headers", "written"), [
    (200, {"Content-Type": "text/html"}, "page"),  # the publisher's page is the record
    (403, {}, "feed_only"),  # the publisher refuses us: the item is the report
    (302, {"Location": "https://connexion.rtbf.be/?continue=" + RTBF.replace("&", "%26")}, "feed_only"),  # gated
    (302, {"Location": "https://www.rtbf.be/login"}, "feed_only"),  # a page with no article on it
    (503, {}, "skipped"),  # a passing failure: tried again later, no record meanwhile
])
async def test_an_aggregated_item_whose_publisher_page_cannot_be_had_is_a_feed_only_record(
        tmp_path: Path, httpx_mock: HTTPXMock, status: int, headers: dict[str, str], written: str) -> None:
    """A real 2020 Google News feed (old-style id: the RTBF page is known without a request). When that page cannot
    be had for good (403, a consent or login wall), the item's headline, publisher and date are the record, as for
    an opaque link; a 503 is tried again at the next poll."""
    feed = "https://news.google.com/rss?hl=fr&gl=BE&ceid=BE:fr"
    httpx_mock.add_response(url=feed, content=GNEWS_2020.read_bytes(), headers={"Content-Type": "application/rss+xml"})
    httpx_mock.add_response(url=RTBF, status_code=status, headers=headers,
                            content=article_page(7, paragraphs=5) if status == 200 else b"")
    httpx_mock.add_response(url=re.compile(r"https://(www|connexion)\.rtbf\.be/(login)?\?*.*"), is_optional=True,
                            content=b"<html><body><h1>Connexion</h1><form><input name=login></form></body></html>")
    source = Source(id="gnews-be", name="Google News BE", languages=("fr",), homepage="https://news.google.com/",
                    timezone="UTC", feeds=(feed,), delay=0.001, retries=0)
    (summary,), records = await _polls(tmp_path, source)
    if written == "skipped":
        assert records == [] and summary.skips.total() == 1
        return
    [record] = records
    assert summary.written == 1 and summary.skips.total() == 0 and record["url"] == RTBF
    if written == "page":
        assert record["feed_only"] is False and "(item 7.4)" in record["body"]
        return
    assert record["feed_only"] is True and record["body"] == ""
    assert record["publisher"]["name"] == "RTBF" and record["aggregator_url"].startswith("https://news.google.com/")
    assert record["title"] and not record["title"].endswith("RTBF")
    jsonschema.validate(record, record_schema())
