"""End to end: a real HTTP server on 127.0.0.1, `scraper backfill` as a subprocess, the output checked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import jsonschema
from conftest import fixture_page, read_records, record_schema, rss, run_cli, write_sources
from localsite import LocalSite, Page

WIRE_1 = "/view/AEN20251031001200315"
WIRE_2 = "/view/AEN20251102000300315"
DAILY_1 = "/2025/10/31/national/northkorea/Belarus/20251031104000123.html"


def _news_site() -> LocalSite:
    site = LocalSite()
    base = site.url("")
    site.routes.update({
        WIRE_1: Page(fixture_page("wire-1.html", base)),
        WIRE_2: Page(fixture_page("wire-2.html", base)),
        DAILY_1: Page(fixture_page("daily-1.html", base)),
    })
    # Newest first, as real feeds are; the feed link carries a tracking parameter to strip.
    site.routes["/rss/news.xml"] = Page(rss([
        ("N. Korea test-fires cruise missiles", site.url(WIRE_2) + "?input=rss", "Sun, 02 Nov 2025 00:30:00 GMT"),
        ("North's top diplomat agrees", site.url(DAILY_1), "Fri, 31 Oct 2025 01:40:00 GMT"),
        ("N. Korea's top diplomat agrees", site.url(WIRE_1) + "?input=rss", "Fri, 31 Oct 2025 00:12:00 GMT"),
    ]), "application/rss+xml")
    return site


def test_backfill_writes_each_article_once_and_marks_the_copy(workdir: Path) -> None:
    with _news_site() as site:
        write_sources(workdir / "sources.toml", [{
            "id": "test-wire", "name": "Test Wire", "languages": ["en"], "homepage": site.url("/"),
            "timezone": "Asia/Seoul", "feeds": [site.url("/rss/news.xml")], "strip_query": ["input"],
        }])
        first = run_cli("backfill", cwd=workdir)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip().splitlines()[-1] == "backfill: written=3 duplicates=1 skipped=0"

        records = read_records(workdir / "output")
        assert len(records) == 3
        schema = record_schema()
        for record in records:
            jsonschema.validate(record, schema)
        by_url = {r["canonical_url"]: r for r in records}
        wire_1, wire_2 = by_url[site.url(WIRE_1)], by_url[site.url(WIRE_2)]
        daily_1 = by_url[site.url(DAILY_1)]

        assert wire_1["title"] == "N. Korea's top diplomat agrees with Belarusian FM to safeguard mutual interests"
        assert wire_2["title"] == "N. Korea test-fires cruise missiles off west coast: JCS"
        paragraphs = wire_1["body"].split("\n\n")
        assert len(paragraphs) == 5
        # The dateline and credit are fields of their own, not body text (issue 4).
        assert paragraphs[0].startswith("North Korea's Foreign Minister Choe Son-hui")
        assert wire_1["dateline"] == {"place": "SEOUL", "date_text": "Oct. 31"}
        assert wire_1["credit"] == "Yonhap"
        assert paragraphs[-1].endswith("recently shown signs of strengthening ties.")
        assert wire_2["body"].count("\n\n") == 2
        for chrome in ("Related", "Log in", "print", "Copyright", "comments", "Contact"):
            assert chrome not in daily_1["body"]
        assert wire_1["duplicate_of"] is None and wire_2["duplicate_of"] is None
        assert daily_1["duplicate_of"] == wire_1["id"]
        assert daily_1["content_hash"] == wire_1["content_hash"]
        # Dates: the page's KST time, converted to UTC.
        assert wire_1["published_at"] == "2025-10-31T00:12:00Z"
        assert wire_1["language"]["code"] == "en"
        assert wire_1["source"] == {"id": "test-wire", "name": "Test Wire"}
        assert "?input" not in wire_2["url"] or wire_2["canonical_url"] == site.url(WIRE_2)

        segments = sorted((workdir / "output").rglob("*.jsonl"))
        before = {p: p.read_bytes() for p in segments}
        second = run_cli("backfill", cwd=workdir)
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip().splitlines()[-1] == "backfill: written=0 duplicates=0 skipped=0"
        assert {p: p.read_bytes() for p in sorted((workdir / "output").rglob("*.jsonl"))} == before
        # Known articles are not even fetched again; only the feed is.
        assert site.hits[WIRE_1] == site.hits[WIRE_2] == site.hits[DAILY_1] == 1
        assert site.hits["/rss/news.xml"] == 2
        assert not list((workdir / "output").rglob(".*.tmp"))
        assert (workdir / "output.state.sqlite").exists()


def test_bad_input_is_skipped_with_reasons_and_the_run_succeeds(workdir: Path) -> None:
    with _news_site() as site:
        site.routes.update({
            "/broken.xml": Page(b"<html><body>Service unavailable <b>oops</body>", "text/html"),
            "/gone": Page(b"not here", "text/html", 404),
            "/chrome-only.html": Page(b"<html><head><title>x</title></head><body><nav><a href='/'>Home</a>"
                                      b"</nav></body></html>"),
            "/noise.html": Page(os.urandom(5_000_000), "text/html"),  # 5 MB, just within the size cap
        })
        site.routes["/mixed.xml"] = Page(rss([
            ("Gone", site.url("/gone"), "Sat, 01 Nov 2025 00:00:00 GMT"),
            ("Chrome only", site.url("/chrome-only.html"), "Sat, 01 Nov 2025 00:00:00 GMT"),
            ("Noise", site.url("/noise.html"), "Sat, 01 Nov 2025 00:00:00 GMT"),
            ("Good", site.url(WIRE_2), "Sun, 02 Nov 2025 00:30:00 GMT"),
        ]), "application/rss+xml")
        write_sources(workdir / "sources.toml", [{
            "id": "broken-feed", "name": "Broken", "homepage": site.url("/"), "feeds": [site.url("/broken.xml")],
        }, {
            "id": "mixed", "name": "Mixed", "homepage": site.url("/"), "feeds": [site.url("/mixed.xml")],
        }])
        result = run_cli("backfill", cwd=workdir)
        assert result.returncode == 0, result.stderr
        summary = result.stdout.strip().splitlines()[-1]
        assert summary.startswith("backfill: written=1 duplicates=0 skipped=4 ")
        for reason in ("bad_feed=1", "binary=1", "empty=1", "http_404=1"):
            assert reason in summary
        for url in ("/broken.xml", "/gone", "/chrome-only.html", "/noise.html"):
            assert site.url(url) in result.stderr  # each skip is logged with its URL
        records = read_records(workdir / "output")
        assert [r["canonical_url"] for r in records] == [site.url(WIRE_2)]


def test_an_outlet_read_from_its_feed_needs_no_article_pages(workdir: Path) -> None:
    paragraphs = [
        "North Korea's new reactor at Yongbyon appears to have begun operating, commercial satellite imagery "
        "taken over the past month suggests, with steam rising from the cooling system on several days.",
        "The imagery also shows construction continuing at the uranium enrichment plant, where a new annex "
        "has been roofed and connected to the main hall by a covered walkway.",
        "Together these point to a steady expansion of the country's capacity to produce fissile material.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    with LocalSite() as site:
        article = site.url("/2025/11/yongbyon-reactor/")
        feed = ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                "<channel><title>38 North</title><link>http://127.0.0.1/</link><description>d</description>"
                f"<item><title>Yongbyon Update</title><link>{article}</link>"
                "<pubDate>Mon, 03 Nov 2025 15:00:00 +0000</pubDate>"
                "<description>North Korea's new reactor...</description>"
                f"<content:encoded><![CDATA[{body}<p>The post <a href='{article}'>Yongbyon Update</a> appeared "
                "first on <a href='http://127.0.0.1/'>38 North</a>.</p>]]></content:encoded></item></channel></rss>")
        site.routes["/feed/"] = Page(feed.encode(), "application/rss+xml")
        write_sources(workdir / "sources.toml", [{"id": "38north", "name": "38 North", "homepage": site.url("/"),
                                                  "feeds": [site.url("/feed/")], "from_feed": True}])
        result = run_cli("backfill", cwd=workdir)
    assert result.returncode == 0, result.stderr
    (record,) = read_records(workdir / "output")
    assert record["url"] == article and record["title"] == "Yongbyon Update"
    assert record["body"].split("\n\n") == paragraphs  # the full text, without the "appeared first" line
    assert record["published_at"] == "2025-11-03T15:00:00Z"
    assert site.hits["/2025/11/yongbyon-reactor/"] == 0  # the (blocked) page was never asked for


def test_an_article_address_that_only_refreshes_to_the_article_gives_the_article(workdir: Path) -> None:
    """An old address answered with `<meta http-equiv="refresh" content="0; url=...">` (a site that moved its
    articles, a mirror): the record is the article it points to, at that address."""
    with _news_site() as site:
        old = "/old/AEN20251031001200315"
        site.routes[old] = Page(f'<html><head><meta http-equiv="refresh" content="0;URL=\'{WIRE_1}\'"></head>'
                                f'<body><p>Moved.</p></body></html>'.encode())
        site.routes["/rss/old.xml"] = Page(rss([("N. Korea's top diplomat agrees", site.url(old),
                                                 "Fri, 31 Oct 2025 00:12:00 GMT")]), "application/rss+xml")
        write_sources(workdir / "sources.toml", [{
            "id": "test-wire", "name": "Test Wire", "languages": ["en"], "homepage": site.url("/"),
            "timezone": "Asia/Seoul", "feeds": [site.url("/rss/old.xml")]}])
        result = run_cli("backfill", cwd=workdir)
    assert result.returncode == 0, result.stderr
    (record,) = read_records(workdir / "output")
    assert record["url"] == site.url(old)
    assert record["canonical_url"] == site.url(WIRE_1)
    assert record["title"].startswith("N. Korea") and len(record["body"]) > 500


def _backfill_feed(site: LocalSite, workdir: Path, items: list[tuple[str, str]]) -> subprocess.CompletedProcess[str]:
    """`scraper backfill` of one outlet on `site` whose feed lists `items` (title, path), a minute apart."""
    site.routes["/rss/items.xml"] = Page(rss([(title, site.url(path), f"Fri, 31 Oct 2025 00:{12 + n:02d}:00 GMT")
                                              for n, (title, path) in enumerate(items)]), "application/rss+xml")
    write_sources(workdir / "sources.toml", [{
        "id": "test-wire", "name": "Test Wire", "languages": ["en"], "homepage": site.url("/"),
        "timezone": "Asia/Seoul", "feeds": [site.url("/rss/items.xml")]}])
    return run_cli("backfill", cwd=workdir)


def test_an_article_link_that_redirects_to_the_front_page_is_no_article(workdir: Path) -> None:
    """A removed article answered with a redirect to the front page (as many sites do), or a link that never led to
    one: the front page is not written as if it were the article. A root with a query ("/?p=7", WordPress's plain
    permalinks) is an article's address, not the front page."""
    with _news_site() as site:
        site.routes["/"] = Page(fixture_page("wire-2.html", site.url("")))  # a front page with much text on it
        site.routes["/gone/1"] = Page(b"", status=301, headers={"Location": site.url("/")})
        site.routes["/old/7"] = Page(b"", status=301, headers={"Location": site.url("/?p=7")})
        result = _backfill_feed(site, workdir, [("Gone", "/gone/1"), ("Seven", "/old/7")])
    assert result.returncode == 0, result.stderr
    assert "redirect_home=1" in result.stdout
    (record,) = read_records(workdir / "output")  # "/?p=7": the page there (the same test page) is an article
    assert record["url"] == site.url("/old/7")


def test_articles_sent_to_a_consent_or_login_page_are_not_written_and_the_run_says_so(workdir: Path) -> None:
    """A consent wall (another host) or a login page that offers to lead back to the article: its text (cookie
    notices, a form) is never written as the article's, each is a counted skip, and a backfill that read nothing
    else ends in error with the reason."""
    with _news_site() as site, LocalSite() as wall:
        consent = ("<html><head><title>Before you continue</title></head><body><main><h1>Before you continue</h1>"
                   + "<p>We use cookies and data to deliver and maintain our services and measure audiences. If you "
                   "choose to accept all, we will also use cookies to show personalised content and ads.</p>" * 6
                   + "</main></body></html>").encode()
        wall.routes["/consent"] = Page(consent)
        site.routes["/login"] = Page(consent.replace(b"Before you continue", b"Sign in"))
        site.routes["/news/1"] = Page(b"", status=302, headers={
            "Location": wall.url("/consent?continue=") + quote(site.url("/news/1"), safe="")})
        site.routes["/news/2"] = Page(b"", status=302, headers={"Location": site.url("/login?next=/news/2")})
        result = _backfill_feed(site, workdir, [("One", "/news/1"), ("Two", "/news/2")])
    assert result.returncode == 3, result.stderr
    assert "skipped=2 (gated=2)" in result.stdout
    assert "none of the 2 articles tried could be read (gated=2)" in result.stderr
    assert read_records(workdir / "output") == []
