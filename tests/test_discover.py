"""Feeds and sitemaps → article links."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import rss

from scraper.discover import parse_feed, parse_sitemap
from scraper.errors import Skip


def test_rss_items_become_links_with_utc_dates() -> None:
    feed = rss([("A", "https://en.yna.co.kr/view/AEN1?section=news&input=rss", "Tue, 18 Nov 2025 10:00:00 +0900"),
                ("B", "/view/AEN2", "Tue, 18 Nov 2025 02:00:00 GMT")])
    links = parse_feed(feed.decode(), "https://en.yna.co.kr/RSS/news.xml", "yonhap-en")
    assert [link.url for link in links] == ["https://en.yna.co.kr/view/AEN1?section=news&input=rss",
                                            "https://en.yna.co.kr/view/AEN2"]  # relative link resolved
    assert links[0].published_at == datetime(2025, 11, 18, 1, 0, tzinfo=UTC)
    assert links[0].title == "A" and links[0].found_in.endswith("news.xml")


def test_feed_and_sitemap_dates_without_an_offset_are_in_the_outlets_zone() -> None:
    # feedparser reads "Mon, 30 Nov 2026 10:00:00" and "2026-11-30 10:00" as UTC, and "KST" not at all: for a
    # Korean feed, nine hours off or no date. An offset or zone the feed prints is kept.
    feed = rss([("A", "https://x.kr/1", "Mon, 30 Nov 2026 10:00:00"), ("B", "https://x.kr/2", "2026-11-30 10:00"),
                ("C", "https://x.kr/3", "30 Nov 2026 10:00 KST"), ("D", "https://x.kr/4", "2026-11-30T10:00:00"),
                ("E", "https://x.kr/5", "Mon, 30 Nov 2026 10:00:00 GMT"), ("F", "https://x.kr/6", "tomorrow")])
    dates = [link.published_at for link in parse_feed(feed.decode(), "https://x.kr/rss", "x", "Asia/Seoul")]
    seoul_ten = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert dates == [seoul_ten] * 4 + [datetime(2026, 11, 30, 10, 0, tzinfo=UTC), None]
    news = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://x.kr/1</loc><news:news><news:publication_date>2026-11-30T10:00:00</news:publication_date>
      </news:news></url><url><loc>https://x.kr/2</loc><lastmod>2026-11-30</lastmod></url>
      <url><loc>https://x.kr/3</loc><lastmod>2026-11-30T10:00:00+00:00</lastmod></url></urlset>"""
    links = parse_sitemap(news, "https://x.kr/sitemap.xml", "x", "Asia/Seoul").links
    assert [link.published_at for link in links] == [seoul_ten, datetime(2026, 11, 29, 15, 0, tzinfo=UTC),
                                                     datetime(2026, 11, 30, 10, 0, tzinfo=UTC)]


def test_atom_feed() -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <entry><title>KCNA item</title><link rel="alternate" href="https://kcnawatch.org/newstream/1-2/x/"/>
    <updated>2026-07-23T10:00:00+09:00</updated></entry></feed>"""
    (link,) = parse_feed(atom, "https://kcnawatch.org/newstream/atom/", "kcna-watch")
    assert link.url == "https://kcnawatch.org/newstream/1-2/x/"
    assert link.published_at == datetime(2026, 7, 23, 1, 0, tzinfo=UTC)


def test_json_feed() -> None:
    # The shape jsonfeed.org's own feed and WordPress's JSON feed plug-ins give (version 1 and 1.1).
    feed = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Wire", "home_page_url": "https://wire.example/",
        "items": [
            {"id": "1", "url": "https://wire.example/a/1", "title": "First  report", "content_html": "<p>One.</p>",
             "date_published": "2026-12-01T10:00:00+09:00", "authors": [{"name": "Kim"}]},
            {"id": "2", "external_url": "/a/2", "content_text": "Para one.\n\nPara <two>.",
             "date_modified": "2026-12-01 10:00"},  # no url: its external_url; no offset: the outlet's zone
            "not an item", {"id": "3", "url": 5}, {"id": "4"},  # cost their item only
            {"id": "1b", "url": "https://wire.example/a/1", "title": "listed twice"},
        ]})
    links = parse_feed("\ufeff" + feed, "https://wire.example/feed.json", "wire", "Asia/Seoul")
    assert [(link.url, link.title) for link in links] == [("https://wire.example/a/1", "First report"),
                                                          ("https://wire.example/a/2", None)]
    assert [link.published_at for link in links] == [datetime(2026, 12, 1, 1, 0, tzinfo=UTC)] * 2
    assert links[0].content == "<p>One.</p>" and links[1].content == "<p>Para one.</p><p>Para &lt;two&gt;.</p>"
    empty = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "Wire", "items": []})
    assert parse_feed(empty, "https://wire.example/feed.json", "wire") == []


@pytest.mark.parametrize(("text", "says"), [
    ('{"json": true}', "JSON, but no JSON Feed"),
    ('{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "JSON, but no JSON Feed"),
    ("{broken", "not valid JSON"),
    ('{"a": ' + "[" * 100_000, "not valid JSON (RecursionError"),  # nested past any parser's stack
])
def test_json_that_is_no_json_feed_is_a_skip_that_says_so(text: str, says: str) -> None:
    with pytest.raises(Skip) as caught:
        parse_feed(text, "https://x.org/feed.json", "x")
    assert caught.value.reason == "bad_feed" and says in str(caught.value)


def test_not_a_feed_is_a_skip() -> None:
    for text in ("<html><body>Service unavailable</body></html>", "", "{\"json\": true}"):
        with pytest.raises(Skip) as caught:
            parse_feed(text, "https://x.org/feed", "x")
        assert caught.value.reason == "bad_feed"


def test_a_slightly_malformed_feed_still_yields_its_items() -> None:
    # KCNA Watch's newstream feed has had unquoted attribute values.
    broken = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
              '<item><title>One</title><link>https://kcnawatch.org/newstream/1/a/</link>'
              '<guid isPermaLink=false>1</guid></item></channel></rss>')
    links = parse_feed(broken, "https://kcnawatch.org/newstream/feed/", "kcna-watch")
    assert [link.url for link in links] == ["https://kcnawatch.org/newstream/1/a/"]


def test_blank_lines_or_a_byte_order_mark_before_the_xml_declaration_are_no_malformed_feed(
        caplog: pytest.LogCaptureFixture) -> None:
    feed = ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            '<channel><title>t</title><item><title>One</title><link>https://x.org/news/1</link>'
            '<content:encoded><![CDATA[<p>Whole text.</p>]]></content:encoded></item></channel></rss>')
    for text in ("\n\n  " + feed, "\ufeff" + feed, "\ufeff\r\n" + feed):
        caplog.clear()
        links = parse_feed(text, "https://x.org/feed", "x")
        assert [(link.url, link.content) for link in links] == [("https://x.org/news/1", "<p>Whole text.</p>")]
        assert not [record for record in caplog.records if "malformed" in record.getMessage()]


def test_items_that_all_link_to_the_site_are_read_at_their_guid() -> None:
    """A CMS feed whose items link to the front page (or all to one section) and name their article in the guid:
    the guid is the item's address. A guid that is no address on the site (a tag: URI) changes nothing, nor does
    a guid beside an item's own distinct link."""
    items = [("https://news.example/", "https://news.example/view/1"),
             ("https://news.example/", "https://news.example/view/2"),
             ("https://news.example/politics", "https://news.example/view/3"),
             ("https://news.example/politics", "https://news.example/view/4"),
             ("https://news.example/view/5", "https://news.example/?p=5"),
             ("https://news.example/", "tag:news.example,2026:6"),
             ("https://news.example/", "https://elsewhere.example/view/7")]
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            + "".join(f"<item><title>Item {n}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>"
                      "</item>" for n, (link, guid) in enumerate(items, start=1))
            + "</channel></rss>")
    links = parse_feed(feed, "https://feeds.example.net/news", "x")
    assert [link.url for link in links] == [f"https://news.example/view/{n}" for n in range(1, 6)] + [
        "https://news.example/"]


def test_one_bad_item_or_odd_markup_costs_that_item_not_the_feed() -> None:
    items = ('<item><title>Bad</title><link>http://[::1</link></item>'  # no URL urllib can take apart
             '<item><title>Port</title><link>https://x.org:99999/news/0</link></item>'
             '<item><title>One</title><link>https://x.org/news/1</link></item>')
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    assert [link.url for link in parse_feed(feed, "https://x.org/feed", "x")] == ["https://x.org/news/1"]
    with_nul = feed.replace("<title>One", "<title>O\x00ne")  # XML allows no NUL; some feeds carry one
    assert [link.title for link in parse_feed(with_nul, "https://x.org/feed", "x")] == ["One"]
    # A stray end tag in a malformed feed makes feedparser's lenient parser call int(None): the feed is a
    # bad_feed skip, counted for the outlet, and the poll goes on with its other feeds.
    stray = '<rss version="2.0"><channel><title>A & B</title></height><item><link>https://x.org/news/1</link>'
    with pytest.raises(Skip) as caught:
        parse_feed(stray + "</item></channel></rss>", "https://x.org/feed", "x")
    assert caught.value.reason == "bad_feed" and "feed parser failed" in str(caught.value)


def test_one_bad_sitemap_entry_costs_that_entry() -> None:
    sitemap = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               '<url><loc>http://[::1</loc></url><url><loc>https://x.org/news/1</loc></url></urlset>')
    assert [link.url for link in parse_sitemap(sitemap, "https://x.org/sitemap.xml", "x").links] == [
        "https://x.org/news/1"]


def test_a_feed_cut_off_inside_an_item_keeps_the_items_before_it(caplog: pytest.LogCaptureFixture) -> None:
    cut = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
           '<item><title>One</title><link>https://x.org/news/1</link></item>'
           '<item><title>Two</title><link>https://x.org/news/2</li')
    with caplog.at_level(logging.WARNING, logger="scraper.discover.feeds"):
        links = parse_feed(cut, "https://x.org/feed", "x")
    assert [link.url for link in links] == ["https://x.org/news/1"]
    assert "using the 1 links in the 2 items recovered" in caplog.text


def test_sitemap_index_and_news_sitemap() -> None:
    index = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>https://tass.com/sitemap/sitemap_news0.xml</loc><lastmod>2026-10-01</lastmod></sitemap>
    <sitemap><loc>https://tass.com/sitemap/sitemap_news1.xml</loc></sitemap></sitemapindex>"""
    parsed = parse_sitemap(index, "https://tass.com/sitemap.xml", "tass-en")
    assert parsed.links == ()
    assert parsed.children == (("https://tass.com/sitemap/sitemap_news0.xml", datetime(2026, 10, 1, tzinfo=UTC)),
                               ("https://tass.com/sitemap/sitemap_news1.xml", None))
    news = """<?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
    <url><loc>https://tass.com/world/1</loc><lastmod>2026-10-03T12:00:00+03:00</lastmod>
      <news:news><news:publication_date>2026-10-02T09:00:00+03:00</news:publication_date>
      <news:title>Lavrov meets Choe Son Hui</news:title></news:news></url>
    <url><loc>https://tass.com/world/2</loc></url></urlset>"""
    first, second = parse_sitemap(news, "https://tass.com/sitemap/sitemap_news0.xml", "tass-en").links
    assert first.published_at == datetime(2026, 10, 2, 6, 0, tzinfo=UTC)  # publication date, not lastmod
    assert first.title == "Lavrov meets Choe Son Hui"
    assert second.published_at is None


def test_a_text_sitemap_lists_one_url_a_line(caplog: pytest.LogCaptureFixture) -> None:
    text = "\ufeffhttps://x.org/news/1\r\n\n  https://x.org/news/2  \nhttps://x.org/news/1\n"
    assert [link.url for link in parse_sitemap(text, "https://x.org/sitemap.txt", "x").links] == [
        "https://x.org/news/1", "https://x.org/news/2", "https://x.org/news/1"]
    assert not caplog.records
    mixed = "https://x.org/news/3\n# comment\nftp://x.org/file\nhttps://x.org/a b\n"
    assert [link.url for link in parse_sitemap(mixed, "https://x.org/sitemap.txt", "x").links] == [
        "https://x.org/news/3"]
    assert "has 3 lines that are no URL; using its 1 URLs" in caplog.text
    for junk in ("Service temporarily unavailable", "", "\n \n", "\x00\x01binary"):
        with pytest.raises(Skip, match="not a sitemap"):
            parse_sitemap(junk, "https://x.org/sitemap.txt", "x")


def test_sitemap_refuses_html_and_does_not_expand_entities(tmp_path: object) -> None:
    with pytest.raises(Skip, match="bad_sitemap"):
        parse_sitemap("<html><body>hi</body></html>", "https://x.org/sitemap.xml", "x")
    xxe = """<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.org/&x;</loc></url></urlset>"""
    links = parse_sitemap(xxe, "https://x.org/sitemap.xml", "x").links
    assert all("root:" not in link.url for link in links)


def test_entity_bombs_and_external_entities_in_feeds_are_not_expanded(tmp_path: Path) -> None:
    import time

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]><rss version="2.0"><channel>'
            "<title>&l9;</title><item><title>&l9;</title><link>https://x.org/a</link></item></channel></rss>")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]><rss version="2.0">'
           "<channel><title>t</title><item><title>&x;</title><link>https://x.org/b</link></item></channel></rss>")
    for text in (bomb, xxe):
        started = time.monotonic()
        try:
            links = parse_feed(text, "https://x.org/feed", "x")
        except Skip:
            links = []
        assert time.monotonic() - started < 10  # expanded, &l9; is 10^9 "lol"s: minutes and gigabytes
        assert all("TOP-SECRET" not in (link.title or "") and len(link.title or "") < 10_000 for link in links)
    sitemap_xxe = (f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file://{secret}">]>'
                   '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.org/&x;</loc>'
                   "</url></urlset>")
    sitemap_links = parse_sitemap(sitemap_xxe, "https://x.org/s.xml", "x").links
    assert all("TOP-SECRET" not in link.url for link in sitemap_links)
    sitemap_bomb = (f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY l0 "lol">{laughs}]>'
                    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.org/&l9;</loc>'
                    "</url></urlset>")
    started = time.monotonic()
    try:
        links = list(parse_sitemap(sitemap_bomb, "https://x.org/s.xml", "x").links)
    except Skip:
        links = []
    assert time.monotonic() - started < 10
    assert all(len(link.url) < 10_000 for link in links)
