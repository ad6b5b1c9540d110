"""Golden tests on real pages: captures of the outlets' pages and feeds made by third parties (some trimmed, all
labelled), each with its provenance, read through the shipped rules and sources.toml.

tests/fixtures/real/<folder>/<slug>.(html|xml) is the capture, <slug>.provenance.toml says where it came from,
<slug>.expected.json what an article page must give. scraper/data/evidence.toml lists them for `sources check`.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from scraper.config import load_settings
from scraper.discover.feeds import keep_articles, parse_feed
from scraper.discover.listings import parse_listing
from scraper.errors import Skip
from scraper.evidence import load_captures, outlet_captures, verdict
from scraper.extract import extract_article
from scraper.records import Fetched, Listing, Source, iso_utc

REAL = Path(__file__).parent / "fixtures" / "real"
CAPTURES = sorted(path for path in REAL.glob("*/*") if path.suffix in (".html", ".xml"))
ARTICLES = sorted(path for path in REAL.glob("*/*.expected.json"))
SETTINGS = load_settings(ROOT / "sources.toml")
PROVENANCE_KEYS = {"page_url", "captured", "captured_evidence", "origin", "origin_path", "origin_commit", "whole",
                   "trimmed", "notes"}


def _provenance(capture: Path) -> dict[str, Any]:
    return tomllib.loads(capture.with_suffix(".provenance.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_capture_says_where_it_came_from(capture: Path) -> None:
    provenance = _provenance(capture)
    assert provenance.keys() >= PROVENANCE_KEYS
    assert str(provenance["origin"]).startswith("github:") and provenance["captured_evidence"]
    assert isinstance(provenance["whole"], bool)
    if not provenance["whole"]:
        assert provenance["trimmed"], "a capture that is not whole says what was cut, and by whom"
    listed = {capture_.fixture for capture_ in load_captures()}
    assert f"{capture.parent.name}/{capture.name}" in listed, "every capture is in scraper/data/evidence.toml"


def test_the_evidence_registry_points_at_real_captures() -> None:
    for capture in load_captures():
        assert (REAL / capture.fixture).is_file(), capture.fixture
        assert (REAL / capture.fixture).with_suffix(".provenance.toml").is_file()


def _article(expected_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    case: dict[str, Any] = json.loads(expected_file.read_text(encoding="utf-8"))
    page = expected_file.with_name(expected_file.name.replace(".expected.json", ".html"))
    url = case["url"]
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html",
                      text=page.read_text(encoding="utf-8"), encoding="utf-8",
                      fetched_at=datetime.fromisoformat(case["fetched_at"]))
    source = Source(id="real", name="real", languages=(), homepage=url, timezone=case["timezone"])
    article = extract_article(fetched, source)
    got = {
        "title": article.title,
        "subtitle": article.subtitle,
        "authors": list(article.authors),
        "published_at": iso_utc(article.published_at) if article.published_at else None,
        "dateline": article.dateline.to_dict() if article.dateline else None,
        "credit": article.credit,
        "editor_notes": list(article.editor_notes),
        "canonical_url": article.canonical_url,
        "rules": {outcome.rule: outcome.matched for outcome in article.rules},
        "body": article.body,
    }
    return case["expected"], got


@pytest.mark.parametrize("expected_file", ARTICLES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_real_article_page_gives_the_expected_record(expected_file: Path) -> None:
    expected, got = _article(expected_file)
    for key, value in expected.items():
        assert got[key] == value, f"{expected_file.name}: {key}"
    assert all(got["rules"].values()), "every rule of the outlet matched its real page (no fallback)"


def test_yonhap_2017_page_is_dated_by_its_printed_time_not_by_its_dateline() -> None:
    """The page prints "2017/06/01 18:10" and opens "SEOUL, June 1 (Yonhap) --"; read in 2026 under the
    current site's URL, it is still 1 June 2017, 18:10 KST, and the desk's note is no paragraph."""
    page = (REAL / "yonhap-en" / "aen20170601002651315-sistar-oldlayout-2017.html").read_text(encoding="utf-8")
    source = SETTINGS.source("yonhap-en")
    moment = datetime.fromisoformat("2026-12-05T00:00:00+00:00")
    for url in ("https://en.yna.co.kr/view/AEN20170601002651315",
                "http://english.yonhapnews.co.kr/news/2017/06/01/38/0200000000AEN20170601002651315F.html"):
        fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html", text=page, encoding="utf-8",
                          fetched_at=moment)
        article = extract_article(fetched, source)
        assert article.published_at is not None and iso_utc(article.published_at) == "2017-06-01T09:10:00Z"
        assert article.editor_notes == ("(ATTN: UPDATES with quotes at bottom)",)
        assert not article.body.startswith("(ATTN")


def test_a_year_less_dateline_takes_the_year_the_page_prints_not_this_year() -> None:
    """Without its printed time and read from a file (no date in the URL), the 2017 page still says 2017: the
    dateline's "June 1" is read against the days the page itself prints, not against the day it is read."""
    page = (REAL / "yonhap-en" / "aen20170601002651315-sistar-oldlayout-2017.html").read_text(encoding="utf-8")
    page = page.replace('<p class="publish-time">2017/06/01 18:10</p>', "")
    fetched = Fetched(url="article.html", final_url="article.html", status=200, content_type="text/html", text=page,
                      encoding="utf-8", fetched_at=datetime.fromisoformat("2026-12-05T00:00:00+00:00"))
    article = extract_article(fetched, SETTINGS.source("yonhap-en"))
    assert article.published_at is not None and iso_utc(article.published_at) == "2017-05-31T15:00:00Z"


def test_a_real_article_after_a_redesign_is_still_read_and_its_rules_say_they_fell_back() -> None:
    """Every class of the real 2022 Rodong page renamed: no site selector matches, the generic extractor stands in
    (its text, its date from the date line it still finds), and each rule reports its miss for the drift counters."""
    page = (REAL / "rodong-en" / "oldlayout-2022-03-10-article-0002.html").read_text(encoding="utf-8")
    url = "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2022-03-10-0002"
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html", encoding="utf-8",
                      text=re.sub(r'class="[^"]*"', 'class="x"', page),
                      fetched_at=datetime.fromisoformat("2022-03-11T00:00:00+00:00"))
    article = extract_article(fetched, SETTINGS.source("rodong-en"))
    assert {outcome.rule: outcome.matched for outcome in article.rules} == {"title": False, "date": False,
                                                                           "body": False}
    assert "The 112th anniversary of March 8 International Women's Day was splendidly marked" in article.body
    assert article.published_at is not None and iso_utc(article.published_at).startswith("2022-03-")


def test_a_kcna_gallery_page_is_a_skip_not_an_empty_record() -> None:
    page = (REAL / "kcna-en" / "gallery-detail-2026-09-28-quoted-title.trimmed.html").read_text(encoding="utf-8")
    url = "http://www.kcna.kp/en/gallery/detail/e5853b58a9f50651db72719c7a39fcb6"
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html", text=page, encoding="utf-8",
                      fetched_at=datetime.fromisoformat("2026-09-28T00:00:00+00:00"))
    with pytest.raises(Skip) as caught:
        extract_article(fetched, SETTINGS.source("kcna-en"))
    assert caught.value.reason == "empty"


# --- listings -------------------------------------------------------------------------------------------------
RODONG_LIST = REAL / "rodong-en" / "oldlayout-2022-02-11-listing-news.html"
RODONG_LIST_URL = "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_01_02&iMenuID=2"
# The 2022 News list as a configured listing would have described it, selectors and all.
RODONG_2022 = Listing(url=RODONG_LIST_URL, item="div.ListNewsLineContainer", links="div.ListNewsLineTitleW a",
                      dates="div.ListNewsLineDate")


def test_rodong_real_listing_gives_its_40_articles_through_the_shipped_config() -> None:
    """The shipped listing has no selectors: every link matching rodong-en's article_url, including those hidden
    in javascript:article_open('…')."""
    source = SETTINGS.source("rodong-en")
    page = parse_listing(RODONG_LIST.read_text(encoding="utf-8"), RODONG_LIST_URL, source.listings[0], source.id,
                         source.timezone, article_url=source.article_url)
    assert len(page.links) == 40 and page.rules == () and not page.fallback
    first, last = page.links[0], page.links[-1]
    assert first.url == "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2022-02-11-0008"
    assert first.title == "2nd Grand Workshop for Officials in Construction Sector Continues"
    assert last.url.endswith("newsID=2022-02-05-0005")
    assert all(link.url.startswith("http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=")
               for link in page.links)


def _renamed(html: str) -> str:
    """The same page after a redesign that renamed every class (and dropped some)."""
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        new = " ".join(names.setdefault(name, f"c{len(names)}") for name in match.group(1).split())
        return f'class="{new}"'

    return re.sub(r'class="([^"]*)"', rename, html)


def test_a_real_listing_whose_every_class_is_renamed_still_gives_its_links_and_reports_the_drift() -> None:
    source = SETTINGS.source("rodong-en")
    html = RODONG_LIST.read_text(encoding="utf-8")
    before = parse_listing(html, RODONG_LIST_URL, RODONG_2022, source.id, source.timezone,
                           article_url=source.article_url, name="listing[0]")
    assert len(before.links) == 40 and all(link.published_at is not None for link in before.links)
    assert [(o.rule, o.matched) for o in before.rules] == [("listing[0].item", True), ("listing[0].links", True),
                                                           ("listing[0].dates", True)]
    after = parse_listing(_renamed(html), RODONG_LIST_URL, RODONG_2022, source.id, source.timezone,
                          article_url=source.article_url, name="listing[0]")
    assert [link.url for link in after.links] == [link.url for link in before.links]
    assert [link.title for link in after.links] == [link.title for link in before.links]
    assert after.fallback and [(o.rule, o.matched) for o in after.rules] == [("listing[0].item", False)]
    # Without classes at all, the same.
    bare = parse_listing(re.sub(r'\sclass="[^"]*"', "", html), RODONG_LIST_URL, RODONG_2022, source.id,
                         source.timezone, article_url=source.article_url, name="listing[0]")
    assert len(bare.links) == 40 and bare.fallback


# --- aggregator feeds -----------------------------------------------------------------------------------------
GNEWS_2026 = REAL / "gnews" / "search-breaking-crisis-emergency-2026-09-25.trimmed.xml"
GNEWS_2020 = REAL / "gnews" / "topstories-fr-BE-2020-03-08-oldstyle-ids.xml"


def test_a_real_google_news_feed_gives_feed_only_links_with_publisher_and_clean_titles() -> None:
    feed_url = "https://news.google.com/rss/search?q=breaking+OR+crisis+OR+emergency&hl=en-US&gl=US&ceid=US:en"
    links = parse_feed(GNEWS_2026.read_text(encoding="utf-8"), feed_url, "gnews-north-korea")
    assert len(links) == 2
    for link in links:
        assert link.feed_only and link.aggregator_url == link.url and link.url.startswith(
            "https://news.google.com/rss/articles/")
        assert link.publisher is not None and link.publisher.url and link.published_at is not None
        assert link.title and not link.title.endswith(f" - {link.publisher.name}")
    assert links[1].publisher is not None and links[1].publisher.name == "The Guardian"
    assert links[1].publisher.url == "https://www.theguardian.com"
    assert keep_articles(links, None) == (links, None)


def test_an_old_style_google_news_id_is_decoded_to_the_publishers_page_without_a_request() -> None:
    (link,) = parse_feed(GNEWS_2020.read_text(encoding="utf-8"), "https://news.google.com/rss?hl=fr&gl=BE&ceid=BE:fr",
                         "gnews")
    assert not link.feed_only
    assert link.url == ("https://www.rtbf.be/info/societe/detail_coronavirus-en-belgique-200-cas-detectes-au-total-"
                        "la-circulation-du-virus-reste-limitee?id=10450793")
    assert link.aggregator_url is not None and link.aggregator_url.startswith("https://news.google.com/")
    assert link.publisher is not None and link.publisher.name == "RTBF"
    assert link.title is not None and not link.title.endswith("- RTBF")


# --- what `sources check` and docs/outlets.md say --------------------------------------------------------------
CHECKED_AGAINST = "## Outlets: what each was checked against"


def test_every_shipped_outlet_says_what_it_was_checked_against() -> None:
    captures = load_captures()
    outlets = (ROOT / "docs" / "outlets.md").read_text(encoding="utf-8")
    assert CHECKED_AGAINST in outlets
    # That section's table only (the page's other tables have a row per outlet too).
    section = outlets.split(CHECKED_AGAINST, 1)[1].split("\n## ", 1)[0]
    for source in SETTINGS.sources:
        line = verdict(source, captures)
        assert line, source.id
        found = outlet_captures(source, captures)
        if "imitation only" not in line and found:
            for capture in found:
                if capture.kind != "other":
                    assert capture.captured.isoformat() in line
        row = next((row for row in section.splitlines() if row.startswith(f"| `{source.id}` |")), None)
        assert row is not None, f"docs/outlets.md's checked-against table has no row for {source.id}"
        assert ("imitation only" in row) == ("imitation only" in line), source.id
        for capture in found:
            if capture.kind != "other":
                assert capture.captured.isoformat() in row, (source.id, capture.fixture)
