"""Listing and archive pages: page URLs from templates, links and dates by selectors, stop rules, config."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from conftest import ROOT

from scraper.config import load_settings
from scraper.discover.listings import (
    Listing,
    _inside,
    listing_date,
    page_urls,
    parse_listing,
    parse_listing_table,
    parse_listing_tables,
    stop_reason,
)
from scraper.errors import ConfigError
from scraper.records import Link

NOW = datetime(2024, 7, 23, 12, 0, tzinfo=UTC)
NOW2026 = datetime(2026, 11, 1, tzinfo=UTC)

# IMITATION pages (written by us from descriptions; the real captures are in fixtures/real/, test_real_pages.py).
# Yonhap's North Korea section as docs/outlets.md describes it (div.list-type038 ul li div.news-con a strong);
# the image link, lead and time span are the usual furniture of such a list.
YONHAP_PAGE = """<!DOCTYPE html><html lang="ko"><head><title>북한 전체기사 | 연합뉴스</title></head><body>
<div class="list-type038"><ul class="list">
  <li><div class="item-box01">
    <figure class="img-con"><a href="//www.yna.co.kr/view/AKR20240723041300504"><img src="a.jpg" alt=""></a></figure>
    <div class="news-con">
      <a href="https://www.yna.co.kr/view/AKR20240723041300504" class="tit-wrap">
        <strong class="tit-news">北, 동해상으로   탄도미사일 발사</strong></a>
      <p class="lead">북한이 23일 오전 동해상으로 탄도미사일을 발사했다고 합참이 밝혔다.</p>
    </div>
    <div class="info-box01"><span class="txt-time">07-23 11:05</span></div>
  </div></li>
  <li class="aside-box"><div class="news-con"><a href="javascript:void(0)"><strong>광고</strong></a></div></li>
  <li><div class="item-box01">
    <div class="news-con"><a href="/view/AKR20240722150000504#comments" class="tit-wrap">
      <strong class="tit-news">통일부 "北 오물풍선 살포 중단해야"</strong></a></div>
    <div class="info-box01"><span class="txt-time">07-22 18:30</span></div>
  </div></li>
  <li><div class="item-box01">
    <div class="news-con"><a href="mailto:tips@yna.co.kr"><strong>제보하기</strong></a></div>
  </div></li>
  <li><div class="item-box01">
    <div class="news-con"><a href="/view/AKR20240723041300504" class="tit-wrap">
      <strong class="tit-news">北, 동해상으로 탄도미사일 발사(종합)</strong></a></div>
    <div class="info-box01"><span class="txt-time">07-23 11:20</span></div>
  </div></li>
  <li><div class="item-box01">
    <div class="news-con"><a href="/view/AKR20231231000100504" class="tit-wrap">
      <strong class="tit-news">北 신년 경축행사</strong></a></div>
    <div class="info-box01"><span class="txt-time">12-31 23:50</span></div>
  </div></li>
</ul></div>
<div class="paging"><a href="/north-korea/all/2">2</a></div>
</body></html>"""

YONHAP = Listing(url="https://www.yna.co.kr/north-korea/all/{page}", item="div.list-type038 ul li",
                 links="div.news-con a strong", dates="span.txt-time")

# An older description of KCNA's listing items (.article-link li a, each with .publish-time), the date printed
# inside the link: the mechanics of a date inside the link, not KCNA's current markup (see below).
KCNA_PAGE = """<html><head><title>Latest News</title></head><body><div class="article-link"><ul>
<li><a href="/en/article/detail/0a1b2c3d4e5f60718293a4b5c6d7e8f9">Kim Jong Un Inspects Factory
  <span class="publish-time">[2024.06.15]</span></a></li>
<li><a href="/en/article/detail/1a1b2c3d4e5f60718293a4b5c6d7e8f9">Greetings to Lao President
  <span class="publish-time">(Juche113.3.9.)</span></a></li>
<li><a href="/en/article/detail/2a1b2c3d4e5f60718293a4b5c6d7e8f9">Undated item</a></li>
</ul></div></body></html>"""

KCNA = Listing(url="http://www.kcna.kp/en/article/list/a666dda1282180e0ee1b4427b0574ae7?page={page}",
               item=".article-link li", links="a", dates=".publish-time")


def kst(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Seoul wall-clock time (UTC+9, no DST) as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone(timedelta(hours=9))).astimezone(UTC)


# --- parse_listing ---------------------------------------------------------------------------------------
def test_yonhap_listing_links_titles_and_dates() -> None:
    page = "https://www.yna.co.kr/north-korea/all/1"
    links = parse_listing(YONHAP_PAGE, page, YONHAP, "yonhap-ko", "Asia/Seoul", now=NOW).links
    assert [link.url for link in links] == [
        "https://www.yna.co.kr/view/AKR20240723041300504",
        "https://www.yna.co.kr/view/AKR20240722150000504",  # relative, fragment dropped
        "https://www.yna.co.kr/view/AKR20231231000100504",
    ]  # javascript: and mailto: entries dropped; the (종합) repeat of the first URL keeps its place
    first, second, third = links
    assert first.title == "北, 동해상으로 탄도미사일 발사"  # the headline, whitespace collapsed; not the image link
    assert first.published_at == kst(2024, 7, 23, 11, 5)
    assert second.published_at == kst(2024, 7, 22, 18, 30)
    assert third.published_at == kst(2023, 12, 31, 23, 50)  # "12-31" in July is last December
    assert all(link.source_id == "yonhap-ko" and link.found_in == page for link in links)


def test_kcna_listing_dates_inside_the_link_and_juche_years() -> None:
    page = "http://www.kcna.kp/en/article/list/a666dda1282180e0ee1b4427b0574ae7?page=1"
    links = parse_listing(KCNA_PAGE, page, KCNA, "kcna", "Asia/Pyongyang", now=NOW).links
    assert [link.url for link in links] == [
        f"http://www.kcna.kp/en/article/detail/{n}a1b2c3d4e5f60718293a4b5c6d7e8f9" for n in "012"]
    assert [link.title for link in links] == ["Kim Jong Un Inspects Factory", "Greetings to Lao President",
                                              "Undated item"]  # the printed date is not part of the title
    assert links[0].published_at == datetime(2024, 6, 14, 15, 0, tzinfo=UTC)  # midnight in Pyongyang
    assert links[1].published_at == datetime(2024, 3, 8, 15, 0, tzinfo=UTC)  # Juche 113 = 2024
    assert links[2].published_at is None


def test_links_without_item_selector_are_undated_deduplicated_and_resolved_against_base() -> None:
    html = """<html><head><base href="https://mirror.example.org/en/"></head><body>
    <h3 class="t"><a href="article/1">One</a></h3><h3 class="t"><a href="article/2"><img alt=""></a></h3>
    <h3 class="t"><a href="article/2" title="Two">  </a></h3><h3 class="t"><a href="#top">Top</a></h3>
    <h3 class="t"><a href="tel:+850">Call</a></h3><h3 class="t"><a href="article/1#more">One again</a></h3>
    </body></html>"""
    listing = Listing(url="https://example.org/list?p={page}", links="h3.t a")
    links = parse_listing(html, "https://example.org/list?p=1", listing, "x", "UTC").links
    assert [(link.url, link.title, link.published_at) for link in links] == [
        ("https://mirror.example.org/en/article/1", "One", None),
        ("https://mirror.example.org/en/article/2", "Two", None),  # the title attribute fills an empty text
    ]


def test_a_link_or_base_that_is_no_url_is_left_out_and_the_rest_is_read() -> None:
    html = """<html><head><base href="http://[::1"></head><body><h3 class="t"><a href="http://[bad]/x">Bad</a></h3>
    <h3 class="t"><a href="https://example.org:99999/a/0">Port</a></h3><h3 class="t"><a href="/a/1">One</a></h3>
    <ul><li><a href="/a/2">Two</a><span>Thu, 01 Jan 1970 00:00:00 +9999</span></li></ul></body></html>"""
    listing = Listing(url="https://example.org/list?p={page}", links="h3.t a")
    links = parse_listing(html, "https://example.org/list?p=1", listing, "x", "UTC").links
    assert [link.url for link in links] == ["https://example.org/a/1"]  # against the page's own URL
    dated = Listing(url="https://example.org/list?p={page}", item="li", links="a", dates="span")
    [two] = parse_listing(html, "https://example.org/list?p=1", dated, "x", "UTC").links
    assert two.url == "https://example.org/a/2" and two.published_at is None  # a date out of range is no date


def test_a_selected_heading_links_through_the_anchor_inside_it() -> None:
    html = '<div class="row"><h2 class="h"><a href="/n/9">Nine</a></h2><time datetime="2024-07-01T09:00:00+09:00">' \
           "1 July</time></div>"
    listing = Listing(url="https://example.org/{page}", item="div.row", links="h2.h", dates="time")
    (link,) = parse_listing(html, "https://example.org/1", listing, "x", "Asia/Seoul", now=NOW).links
    assert link.url == "https://example.org/n/9" and link.title == "Nine"
    assert link.published_at == datetime(2024, 7, 1, 0, 0, tzinfo=UTC)  # the datetime attribute wins


def test_in_an_entry_the_headline_link_wins_over_the_image_link() -> None:
    html = """<ul><li><a href="/v/1"><img src="t.jpg" alt=""></a><a href="/v/1">Headline</a>
    <span class="d">2024-07-01 10:00</span></li><li><a href="/v/2"><img src="u.jpg" alt=""></a></li></ul>"""
    listing = Listing(url="https://example.org/{page}", item="li", links="a", dates="span.d")
    first, second = parse_listing(html, "https://example.org/1", listing, "x", "Asia/Seoul", now=NOW).links
    assert (first.url, first.title, first.published_at) == ("https://example.org/v/1", "Headline",
                                                            kst(2024, 7, 1, 10, 0))
    assert (second.url, second.title) == ("https://example.org/v/2", None)  # an image-only entry still counts


def test_empty_and_unrelated_pages_give_no_links() -> None:
    assert parse_listing("", "https://www.yna.co.kr/north-korea/all/99", YONHAP, "yonhap-ko", "Asia/Seoul").links == ()
    assert parse_listing("<html><body><p>점검 중입니다</p></body></html>", "https://www.yna.co.kr/north-korea/all/1",
                         YONHAP, "yonhap-ko", "Asia/Seoul").links == ()


def test_listing_dates_without_a_year() -> None:
    assert listing_date("07-23 14:05", "Asia/Seoul", NOW) == kst(2024, 7, 23, 14, 5)
    assert listing_date("07-24 08:00", "Asia/Seoul", NOW) == kst(2023, 7, 24, 8, 0)  # tomorrow → last year
    assert listing_date("[2024.06.15]", "Asia/Pyongyang", NOW) == datetime(2024, 6, 14, 15, 0, tzinfo=UTC)
    assert listing_date("02-30 10:00", "Asia/Seoul", NOW) is None
    assert listing_date("조회 1234", "Asia/Seoul", NOW) is None
    assert listing_date("", "Asia/Seoul", NOW) is None


# --- page_urls -------------------------------------------------------------------------------------------
def test_page_template_counts_from_first_page_up_to_max_pages() -> None:
    listing = Listing(url="https://www.yna.co.kr/north-korea/all/{page}", links="a", first_page=2, max_pages=3)
    assert list(page_urls(listing, None, None, date(2024, 7, 23))) == [
        "https://www.yna.co.kr/north-korea/all/2", "https://www.yna.co.kr/north-korea/all/3",
        "https://www.yna.co.kr/north-korea/all/4"]
    padded = Listing(url="https://example.org/archive/p{page:03d}.html", links="a", max_pages=2)
    assert list(page_urls(padded, None, None, date(2024, 7, 23))) == [
        "https://example.org/archive/p001.html", "https://example.org/archive/p002.html"]


def test_date_template_walks_local_days_newest_first_from_until_to_since() -> None:
    listing = Listing(url="https://example.org/archive/{date:%Y-%m-%d}/", links="a")
    since = datetime(2024, 6, 29, 0, 0, tzinfo=UTC)  # 09:00 on 29 June in Seoul
    until = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)  # exclusive: the last instant is 08:59 on 1 July in Seoul
    assert list(page_urls(listing, since, until, date(2024, 7, 23), timezone="Asia/Seoul")) == [
        "https://example.org/archive/2024-07-01/", "https://example.org/archive/2024-06-30/",
        "https://example.org/archive/2024-06-29/"]
    assert list(page_urls(listing, since, until, date(2024, 7, 23))) == [  # in UTC, 1 July is out
        "https://example.org/archive/2024-06-30/", "https://example.org/archive/2024-06-29/"]


def test_date_template_without_since_takes_max_pages_days_and_never_passes_today() -> None:
    listing = Listing(url="https://example.org/{date:%Y%m%d}.html", links="a", max_pages=3)
    assert list(page_urls(listing, None, None, date(2024, 3, 1))) == [
        "https://example.org/20240301.html", "https://example.org/20240229.html", "https://example.org/20240228.html"]
    future = datetime(2030, 1, 1, tzinfo=UTC)
    assert next(page_urls(listing, None, future, date(2024, 3, 1))) == "https://example.org/20240301.html"
    backwards = page_urls(listing, datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC),
                          date(2024, 3, 10))
    assert list(backwards) == []
    assert listing.kind == "date" and YONHAP.kind == "page"


# --- stop_reason -----------------------------------------------------------------------------------------
def _link(n: int, published: datetime | None) -> Link:
    return Link(url=f"https://www.yna.co.kr/view/AKR{n}", source_id="yonhap-ko", found_in="p",
                published_at=published)


def test_stop_rules() -> None:
    since = datetime(2024, 7, 1, tzinfo=UTC)
    old, new = datetime(2024, 6, 30, tzinfo=UTC), datetime(2024, 7, 2, tzinfo=UTC)
    unknown = lambda url: False  # noqa: E731
    assert stop_reason([], unknown, since) == "empty_page"
    assert stop_reason([_link(1, old), _link(2, None), _link(3, old)], unknown, since) == "older_than_since"
    assert stop_reason([_link(1, old), _link(2, new)], unknown, since) is None
    assert stop_reason([_link(1, None)], unknown, since) is None  # undated pages never stop on dates
    assert stop_reason([_link(1, old)], unknown, None) is None
    seen = {"https://www.yna.co.kr/view/AKR1", "https://www.yna.co.kr/view/AKR2"}
    assert stop_reason([_link(1, new), _link(2, new)], seen.__contains__, since) == "no_new_links"
    assert stop_reason([_link(1, new), _link(3, new)], seen.__contains__, since) is None


def test_a_listing_walk_stops_where_the_range_ends() -> None:
    """What the pipeline will do: fetch pages in order until a stop reason or max_pages."""
    pages = {f"https://example.org/list/{n}": "".join(
        f'<li><a href="/a/{n}-{i}">A {n}-{i}</a><span class="d">2024.07.{30 - 3 * n - i:02d}</span></li>'
        for i in range(3)) for n in range(1, 10)}
    listing = Listing(url="https://example.org/list/{page}", item="li", links="a", dates="span.d", max_pages=9)
    since, seen, fetched = datetime(2024, 7, 20, tzinfo=UTC), set[str](), []
    for url in page_urls(listing, since, None, date(2024, 7, 31)):
        fetched.append(url)
        links = list(parse_listing(pages[url], url, listing, "x", "UTC", now=datetime(2024, 7, 31, tzinfo=UTC)).links)
        reason = stop_reason(links, seen.__contains__, since)
        seen.update(link.url for link in links)
        if reason:
            break
    assert reason == "older_than_since"
    assert fetched[-1] == "https://example.org/list/4"  # 2024.07.16-18: the first page wholly before since


# --- configuration ---------------------------------------------------------------------------------------
SOURCES = """
[[outlet]]
id = "yonhap-ko"
[[outlet.listings]]
url = "https://www.yna.co.kr/north-korea/all/{page}"
item = "div.list-type038 ul li"
links = "div.news-con a strong"
dates = "span.txt-time"
max_pages = 30
"""


def test_a_listings_table_from_toml() -> None:
    table = tomllib.loads(SOURCES)["outlet"][0]["listings"][0]
    listing = parse_listing_table(table, path="sources.toml", outlet="yonhap-ko", key="listings[0]")
    assert listing == Listing(url="https://www.yna.co.kr/north-korea/all/{page}", item="div.list-type038 ul li",
                              links="div.news-con a strong", dates="span.txt-time", first_page=1, max_pages=30)


@pytest.mark.parametrize(("table", "key", "words"), [
    ({"url": "https://x.org/{page}", "links": "a", "pages": 3}, "listings[0].pages", 'unknown key "pages"'),
    ({"links": "a"}, "listings[0].url", 'missing key "url"'),
    ({"url": "https://x.org/{page}", "item": "li"}, "listings[0].links", '"item" needs "links"'),
    ({"url": "x.org/list", "links": "a"}, "listings[0].url", "http(s)"),
    ({"url": "https://x.org/{page}/{date:%Y}", "links": "a"}, "listings[0].url", "not both"),
    ({"url": "https://x.org/{date}", "links": "a"}, "listings[0].url", "strftime"),
    ({"url": "https://x.org/{date:Y-m-d}", "links": "a"}, "listings[0].url", "strftime"),
    ({"url": "https://x.org/{date:%Q}", "links": "a"}, "listings[0].url", "same URL for every day"),
    ({"url": "https://x.org/{pge}", "links": "a"}, "listings[0].url", 'unknown field "{pge}"'),
    ({"url": "https://x.org/{page!r}", "links": "a"}, "listings[0].url", "conversions"),
    ({"url": "https://x.org/{page", "links": "a"}, "listings[0].url", "not a valid URL template"),
    ({"url": "ftp://x.org/{page}", "links": "a"}, "listings[0].url", "http(s)"),
    ({"url": "/list/{page}", "links": "a"}, "listings[0].url", "http(s)"),
    ({"url": 5, "links": "a"}, "listings[0].url", "expected a string"),
    ({"url": "https://x.org/{page}", "links": "div["}, "listings[0].links", "not a valid CSS selector"),
    ({"url": "https://x.org/{page}", "links": "a", "item": "li >"}, "listings[0].item", "CSS selector"),
    ({"url": "https://x.org/{page}", "links": " "}, "listings[0].links", "empty"),
    ({"url": "https://x.org/{page}", "links": "a", "dates": "time"}, "listings[0].dates", 'needs "item"'),
    ({"url": "https://x.org/{page}", "links": "a", "max_pages": 0}, "listings[0].max_pages", "≥ 1"),
    ({"url": "https://x.org/{page}", "links": "a", "max_pages": "5"}, "listings[0].max_pages", "whole number"),
    ({"url": "https://x.org/{page}", "links": "a", "first_page": True}, "listings[0].first_page", "whole number"),
    ({"url": "https://x.org/{page}", "links": "a", "first_page": -1}, "listings[0].first_page", "≥ 0"),
    ("https://x.org/{page}", "listings[0]", "expected a table"),
])
def test_config_errors_name_file_outlet_and_key(table: object, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_listing_table(table, path="sources.toml", outlet="yonhap-ko", key="listings[0]")
    error = caught.value
    assert (error.path, error.outlet, error.key) == ("sources.toml", "yonhap-ko", key)
    message = str(error)
    assert message.startswith(f'sources.toml: outlet "yonhap-ko": key "{key}": ') and words in message


def test_the_listings_array_names_each_table_by_its_index() -> None:
    outlet = tomllib.loads(SOURCES + '[[outlet.listings]]\nurl = "https://www.yna.co.kr/{date:%Y%m%d}"\nlinks = 42\n')
    with pytest.raises(ConfigError) as caught:
        parse_listing_tables(outlet["outlet"][0]["listings"], path="sources.toml", outlet="yonhap-ko")
    assert caught.value.key == "listings[1].links"
    inline = tomllib.loads('listings = [{ url = "https://x.org/{page}", links = "a" }]')["listings"]
    assert parse_listing_tables(inline, path="s", outlet="x") == (Listing(url="https://x.org/{page}", links="a"),)
    with pytest.raises(ConfigError, match="array of tables"):
        parse_listing_tables({"url": "https://x.org/{page}"}, path="s", outlet="x")


def test_a_url_without_placeholder_is_one_page() -> None:
    front = Listing(url="http://www.rodong.rep.kp/en/", links="a")
    assert front.kind == "single"
    assert list(page_urls(front, None, None, date(2026, 11, 22))) == ["http://www.rodong.rep.kp/en/"]


def test_a_listing_built_in_code_is_checked_too() -> None:
    with pytest.raises(ValueError, match="http"):
        Listing(url="x.org/list", links="a")
    with pytest.raises(ValueError, match="item"):
        Listing(url="https://x.org/{page}", links="a", dates="time")


# The 2026 KCNA list as third parties describe it: div.article > h5 > a, then span > nobr "[2026.9.8.]".
# IMITATION: no real capture of it is public.
KCNA_2026 = """<html><head><title>KCNA | Top News</title></head><body><main>
<div class="article"><h5 class="block"><a href="/en/article/detail/05503f758d64c1a0328e43c2f83e4469">Kim Jong Un
  Inspects Munitions Enterprise</a><span><nobr>[2026.9.8.]</nobr></span></h5></div>
<div class="article"><h5 class="block"><a href="/en/article/detail/15503f758d64c1a0328e43c2f83e4469">Greetings to
  President of Vietnam</a></h5><span><nobr>[2026.9.2.]</nobr></span></div>
<div class="nav"><a href="/en/article/list/a666dda1282180e0ee1b4427b0574ae7">Latest News</a>
  <a href="/en/gallery/list/6837a75abf5c6249d0e39ee758e763ea">Photo</a></div>
</main><form id="article_form" method="POST" action="/en/article/list"><input name="_csrf" value="x"></form>
</body></html>"""


def test_the_shipped_kcna_listing_reads_the_described_2026_list() -> None:
    kcna = load_settings(ROOT / "sources.toml").source("kcna-en")
    page = parse_listing(KCNA_2026, kcna.listings[0].url, kcna.listings[0], kcna.id, kcna.timezone, now=NOW2026,
                         article_url=kcna.article_url, name="listing[0]")
    assert [(link.url.rsplit("/", 1)[1][:8], link.title, link.published_at) for link in page.links] == [
        ("05503f75", "Kim Jong Un Inspects Munitions Enterprise", datetime(2026, 9, 7, 15, 0, tzinfo=UTC)),
        ("15503f75", "Greetings to President of Vietnam", datetime(2026, 9, 1, 15, 0, tzinfo=UTC)),
    ]  # the menu's list and gallery links are no articles
    assert all(outcome.matched for outcome in page.rules) and not page.fallback


def test_a_kcna_list_in_markup_nobody_described_still_gives_its_articles_by_article_url() -> None:
    kcna = load_settings(ROOT / "sources.toml").source("kcna-en")
    other = ("<ul><li><a href='/en/article/detail/05503f758d64c1a0328e43c2f83e4469'>One</a> 2026-09-08</li>"
             "<li><a href='http://www.kcna.kp/en/article/q/04dcac6deb9f11a3e3d36f56f8d63da9.kcmsf'>Two</a></li>"
             "<li><a href='/en/article/list/701e7819068d44ac7432ad3daf1821f2'>More</a></li></ul>")
    page = parse_listing(other, kcna.listings[0].url, kcna.listings[0], kcna.id, kcna.timezone, now=NOW2026,
                         article_url=kcna.article_url, name="listing[0]")
    assert [link.title for link in page.links] == ["One", "Two"] and page.fallback
    assert [(o.rule, o.matched) for o in page.rules] == [("listing[0].item", False)]
    # Without the pattern the same page gives nothing, and says which selector found nothing.
    bare = parse_listing(other, kcna.listings[0].url, kcna.listings[0], kcna.id, kcna.timezone, now=NOW2026)
    assert bare.links == () and [(o.rule, o.matched) for o in bare.rules] == [("listing.item", False)]


def test_an_item_is_told_from_its_twin() -> None:
    """Two items printed alike are two nodes: the second item's link is not inside the first (selectolax's `==`
    compares HTML, and comparing the page's big ancestors that way made a 4,000-item listing take 52 s)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser("<ul><li><a href='/a/1'>x</a></li><li><a href='/a/1'>x</a></li></ul>")
    first, second = tree.css("li")
    link = second.css_first("a")
    assert link is not None
    assert _inside(link, second) and not _inside(link, first)
