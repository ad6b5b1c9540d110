"""Backfill for real: paginated archives and dated sitemaps over a date range, and WARC input, resumable."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from articles import news_pages
from conftest import kill_once_written, read_records, run_cli, write_sources
from localsite import LocalSite, Page
from test_output_contract import article_page
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.errors import ScraperError
from scraper.fetch import Fetcher
from scraper.pipeline import Pipeline, PipelineOptions
from scraper.records import Source
from scraper.runs.warc import read_warc
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary
from scraper.verify import verify_output

FIRST_DAY = date(2025, 9, 1)  # the listed articles spread over September and October


def _day(number: int) -> date:
    return FIRST_DAY + timedelta(days=number * 60 // 150)


def archive_site() -> LocalSite:
    """30 listing pages of 5 links each, newest first, dated over September and October 2025; and a
    sitemap index of two monthly news sitemaps for another section of the same site."""
    site = LocalSite()
    numbers = list(range(150))
    for number in numbers:
        site.routes[f"/a/{number}"] = Page(article_page(number))
    newest_first = sorted(numbers, key=_day, reverse=True)
    for page in range(30):
        items = "".join(
            f'<li><a href="/a/{n}"><strong>Report {n}</strong></a><span class="time">{_day(n):%Y.%m.%d}</span></li>'
            for n in newest_first[page * 5:(page + 1) * 5]
        )
        site.routes[f"/archive/{page + 1}"] = Page(
            f"<html><body><nav><a href='/'>Home</a></nav><ul class='list'>{items}</ul></body></html>".encode())
    monthly: dict[str, list[int]] = {}
    for number in range(150, 210):
        site.routes[f"/s/{number}"] = Page(article_page(number))
        when = FIRST_DAY + timedelta(days=(number - 150))
        monthly.setdefault(f"{when:%Y-%m}", []).append(number)
    for month, members in monthly.items():
        urls = "".join(
            f"<url><loc>{site.url(f'/s/{n}')}</loc><news:news><news:publication_date>"
            f"{FIRST_DAY + timedelta(days=n - 150):%Y-%m-%d}T09:00:00+09:00</news:publication_date></news:news></url>"
            for n in members)
        site.routes[f"/sitemap-{month}.xml"] = Page(
            ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>').encode(),
            "application/xml")
    index = "".join(f"<sitemap><loc>{site.url(f'/sitemap-{m}.xml')}</loc><lastmod>{m}-28</lastmod></sitemap>"
                    for m in monthly)
    site.routes["/sitemap.xml"] = Page(
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}'
        "</sitemapindex>".encode(), "application/xml")
    return site


def test_a_date_range_selects_exactly_its_articles_and_paging_stops(tmp_path: Path) -> None:
    with archive_site() as site:
        config = write_sources(tmp_path / "sources.toml", [
            {"id": "archive", "name": "Archive", "homepage": site.url("/"), "timezone": "Asia/Seoul",
             "sitemaps": [site.url("/sitemap.xml")]},
        ])
        with config.open("a") as handle:  # the listing, as a user writes it, after the outlet's keys
            handle.write(f'[[outlet.listings]]\nurl = "{site.url("/archive/{page}")}"\nitem = "ul.list li"\n'
                         'links = "a strong"\ndates = "span.time"\nmax_pages = 40\n')
        result = run_cli("backfill", "--since", "2025-10-01", "--until", "2025-10-10", cwd=tmp_path)
        hits = dict(site.hits)
        again = run_cli("backfill", "--since", "2025-10-01", "--until", "2025-10-10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # --since/--until are UTC; the listing prints Seoul days, the sitemap full times with an offset.
    since, until = datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 10, 11, tzinfo=UTC)
    seoul = ZoneInfo("Asia/Seoul")
    listed = {f"/a/{n}": datetime.combine(_day(n), time(), seoul) for n in range(150)}
    mapped = {f"/s/{n}": datetime.combine(FIRST_DAY + timedelta(days=n - 150), time(9), seoul)
              for n in range(150, 210)}
    in_range = sorted(path for path, when in {**listed, **mapped}.items() if since <= when < until)
    records = read_records(tmp_path / "output")
    assert sorted(r["url"].split(str(site.server.server_port), 1)[1] for r in records) == in_range
    # The walk stopped at the first page whose dated items were all older than --since, long before page 30.
    newest_first = sorted(range(150), key=_day, reverse=True)
    last = next(page for page in range(1, 31)
                if all(listed[f"/a/{n}"] < since for n in newest_first[(page - 1) * 5:page * 5]))
    assert last < 20 and hits[f"/archive/{last}"] == 1 and hits.get(f"/archive/{last + 1}", 0) == 0
    # Out-of-range articles were never fetched: their dates were known from the listing and the sitemap.
    assert hits.get("/a/0", 0) == 0 and hits.get("/s/150", 0) == 0
    assert again.stdout.strip().splitlines()[-1].startswith("backfill: written=0 ")


def test_a_rerun_skips_listing_pages_and_sitemaps_done_and_reads_again_what_failed(tmp_path: Path) -> None:
    """Progress of a walk is kept: a daily archive page whose articles are all known, and a child sitemap
    at the same lastmod, are not read again by the same backfill; the page of an article that failed is."""
    site = archive_site()
    day_of = {n: FIRST_DAY + timedelta(days=n - 150) for n in range(150, 210)}  # the sitemap's articles
    for day in sorted(set(day_of.values())):  # a daily archive listing the same articles
        items = "".join(f'<li><a href="/s/{n}">Report {n}</a></li>' for n, d in day_of.items() if d == day)
        site.routes[f"/day/{day:%Y%m%d}"] = Page(f"<html><body><ul class='day'>{items}</ul></body></html>".encode())
    failing = 160  # 11 September: its page is refused at first
    site.routes[f"/s/{failing}"] = Page(b"busy", "text/plain", 503)
    with site:
        config = write_sources(tmp_path / "sources.toml", [
            {"id": "archive", "name": "Archive", "homepage": site.url("/"), "timezone": "Asia/Seoul",
             "sitemaps": [site.url("/sitemap.xml")], "retries": 0},
        ])
        with config.open("a") as handle:
            handle.write(f'[[outlet.listings]]\nurl = "{site.url("/day/{date:%Y%m%d}")}"\nlinks = "ul.day a"\n')
        arguments = ("backfill", "--since", "2025-09-05", "--until", "2025-09-20")
        first = run_cli(*arguments, cwd=tmp_path)
        hits_first = dict(site.hits)
        site.routes[f"/s/{failing}"] = Page(article_page(failing))
        site.hits.clear()
        second = run_cli(*arguments, cwd=tmp_path)
        hits_second = dict(site.hits)
        site.hits.clear()
        third = run_cli(*arguments, cwd=tmp_path)
        hits_third = dict(site.hits)
    for result in (first, second, third):
        assert result.returncode == 0, result.stderr
    days = [f"/day/{day:%Y%m%d}" for day in sorted(set(day_of.values()))
            if date(2025, 9, 5) <= day <= date(2025, 9, 21)]
    assert all(hits_first[path] == 1 for path in days) and hits_first["/sitemap-2025-09.xml"] == 1
    # The second run reads only the failed article's day (and its article), not the other days, and not the
    # September sitemap: that one lists the failed article too, so it is read again as well.
    assert [path for path in days if hits_second.get(path)] == [f"/day/{day_of[failing]:%Y%m%d}"]
    assert hits_second[f"/s/{failing}"] == 1 and hits_second["/sitemap-2025-09.xml"] == 1
    assert second.stdout.strip().splitlines()[-1].startswith("backfill: written=1 ")
    # Everything is done now: the third run reads the sitemap index and nothing under it.
    assert not any(path.startswith(("/day/", "/s/", "/sitemap-")) for path in hits_third), hits_third
    assert third.stdout.strip().splitlines()[-1].startswith("backfill: written=0 ")
    urls = [r["url"] for r in read_records(tmp_path / "output")]
    # --until is inclusive; the article of 21 September, listed undated on the page of that Seoul day, is out.
    assert len(urls) == len(set(urls)) == sum(1 for d in day_of.values() if date(2025, 9, 5) <= d <= date(2025, 9, 20))


def test_a_listing_read_with_a_wrong_selector_is_read_again_once_it_is_fixed(tmp_path: Path) -> None:
    """A typo in a listing's selector finds nothing; the days it walked are not marked done, and once the
    selector is fixed, the same backfill finds their articles. A day read with the right selector is done."""
    site = LocalSite()
    days = [date(2025, 9, 1) + timedelta(days=n) for n in range(4)]
    for number, day in enumerate(days):
        site.routes[f"/a/{number}"] = Page(article_page(number))
        site.routes[f"/day/{day:%Y%m%d}"] = Page(
            f"<html><body><ul class='day'><li><a href='/a/{number}'>Report {number}</a></li></ul></body></html>"
            .encode())
    arguments = ("backfill", "--since", "2025-09-01", "--until", "2025-09-04")

    def configure(links: str) -> None:
        config = write_sources(tmp_path / "sources.toml", [
            {"id": "archive", "name": "Archive", "homepage": site.url("/"), "timezone": "Asia/Seoul"}])
        with config.open("a") as handle:
            handle.write(f'[[outlet.listings]]\nurl = "{site.url("/day/{date:%Y%m%d}")}"\nlinks = "{links}"\n')

    with site:
        configure("ul.days a")  # the typo
        first = run_cli(*arguments, cwd=tmp_path)
        configure("ul.day a")
        second = run_cli(*arguments, cwd=tmp_path)
        site.hits.clear()
        third = run_cli(*arguments, cwd=tmp_path)
    assert first.stdout.strip().splitlines()[-1].startswith("backfill: written=0 "), first.stderr
    assert second.stdout.strip().splitlines()[-1].startswith("backfill: written=4 "), second.stderr
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == [site.url(f"/a/{n}") for n in range(4)]
    # Read with the right selector, the days are done: the third run reads none of them again.
    assert third.stdout.strip().splitlines()[-1].startswith("backfill: written=0 ")
    assert not any(site.hits.get(f"/day/{day:%Y%m%d}") for day in days), site.hits


def test_an_article_the_extractor_failed_on_keeps_its_listing_page_open(tmp_path: Path) -> None:
    """A listing page is done when each article it lists is written or failed for a reason of the page's own
    (a 404). An article with no text found (`empty`: a placeholder served that day, or a gap in the extractor)
    keeps the page open: when its retry is due, the same backfill reads the page and the article again."""
    site = LocalSite()
    days = [date(2025, 9, 1), date(2025, 9, 2)]
    for number, day in enumerate(days):
        site.routes[f"/day/{day:%Y%m%d}"] = Page(
            f"<html><body><ul class='day'><li><a href='/a/{number}'>Report {number}</a></li></ul></body></html>"
            .encode())
    site.routes["/a/0"] = Page(article_page(0))
    site.routes["/a/1"] = Page(b"<html><body><div id='app'></div></body></html>")  # filled in by a script
    arguments = ("backfill", "--since", "2025-09-01", "--until", "2025-09-02")
    with site:
        config = write_sources(tmp_path / "sources.toml", [
            {"id": "archive", "name": "Archive", "homepage": site.url("/"), "timezone": "UTC"}])
        with config.open("a") as handle:
            handle.write(f'[[outlet.listings]]\nurl = "{site.url("/day/{date:%Y%m%d}")}"\nlinks = "ul.day a"\n')
        first = run_cli(*arguments, cwd=tmp_path)
        site.routes["/a/1"] = Page(article_page(1))
        # A day passes: the failed article's retry is due (what a wait would do, without the wait).
        with sqlite3.connect(tmp_path / "output.state.sqlite") as db:
            db.execute("UPDATE failures SET retry_at = '2000-01-01T00:00:00Z'")
        site.hits.clear()
        second = run_cli(*arguments, cwd=tmp_path)
    assert "empty=1" in first.stdout and first.stdout.startswith("backfill: written=1 "), first.stderr
    assert second.stdout.strip().splitlines()[-1].startswith("backfill: written=1 "), second.stderr
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == [site.url("/a/0"), site.url("/a/1")]
    # The day whose article was written was done; the other one was read again.
    assert not site.hits.get("/day/20250901") and site.hits.get("/day/20250902") == 1, site.hits


def test_a_sitemap_served_empty_is_read_again_by_the_next_backfill(tmp_path: Path) -> None:
    """A child sitemap that lists nothing (a CMS serving an empty urlset that day) is not marked done: the next
    backfill over the same range reads it again, at the same lastmod, and finds its articles."""
    site = LocalSite()
    for number in range(3):
        site.routes[f"/s/{number}"] = Page(article_page(number))
    index = (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
             f'<loc>{site.url("/sitemap-2025-09.xml")}</loc><lastmod>2025-09-28</lastmod></sitemap></sitemapindex>')
    site.routes["/sitemap.xml"] = Page(index.encode(), "application/xml")

    def urlset(count: int) -> Page:
        urls = "".join(f"<url><loc>{site.url(f'/s/{n}')}</loc><lastmod>2025-09-1{n}</lastmod></url>"
                       for n in range(count))
        return Page(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}'
                    "</urlset>".encode(), "application/xml")

    site.routes["/sitemap-2025-09.xml"] = urlset(0)
    arguments = ("backfill", "--since", "2025-09-01", "--until", "2025-09-30")
    with site:
        write_sources(tmp_path / "sources.toml", [{"id": "maps", "name": "Maps", "homepage": site.url("/"),
                                                   "sitemaps": [site.url("/sitemap.xml")]}])
        first = run_cli(*arguments, cwd=tmp_path)
        site.routes["/sitemap-2025-09.xml"] = urlset(3)
        second = run_cli(*arguments, cwd=tmp_path)
    assert first.stdout.startswith("backfill: written=0 "), first.stderr
    assert second.stdout.startswith("backfill: written=3 "), second.stderr


# --- WARC --------------------------------------------------------------------------------------------
def _warc(path: Path, count: int, section: str = "story") -> list[str]:
    """A WARC.gz of `count` captures of eval pages (each its own URL, under /`section`/), plus a request
    record, a PDF response and a 404; returns the page URLs in file order."""
    bodies = news_pages(count)
    urls = []
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)

        def write(record: Any) -> None:
            writer.write_record(record)
            record.raw_stream.close()  # warcio spooled the payload to a temporary file to digest it

        def response(url: str, body: bytes, status: str = "200 OK", kind: str = "text/html; charset=utf-8") -> None:
            http = StatusAndHeaders(status, [("Content-Type", kind)], protocol="HTTP/1.1")
            write(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                            warc_headers_dict={"WARC-Date": "2026-10-01T00:00:00Z"}))

        for number, body in enumerate(bodies):
            url = f"https://news{number % 3}.example/{section}/{number}"
            urls.append(url)
            response(url, body)
            if number == 1:
                http = StatusAndHeaders("GET /x HTTP/1.1", [("Host", "news1.example")], is_http_request=True)
                write(writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=http))
                response("https://news1.example/paper.pdf", b"%PDF-1.4 ...", kind="application/pdf")
                response("https://news1.example/gone", b"<html>gone</html>", status="404 Not Found")
    return urls


def test_warc_pages_become_records_with_provenance_and_no_network(tmp_path: Path) -> None:
    urls = _warc(tmp_path / "crawl.warc.gz", 6)
    with LocalSite() as site:  # a configured outlet that must not be contacted
        write_sources(tmp_path / "sources.toml", [{"id": "news1", "name": "News One", "homepage":
                                                   "https://news1.example/", "feeds": [site.url("/feed")]}])
        result = run_cli("backfill", "--warc", str(tmp_path / "crawl.warc.gz"), cwd=tmp_path)
        run_cli("--output", "only", "--state", "only.sqlite", "backfill", "--only-configured",
                "--warc", str(tmp_path / "crawl.warc.gz"), cwd=tmp_path)
    assert sum(site.hits.values()) == 0
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "http_404=1" in summary and "not_html=1" in summary
    # Progress (no terminal here: plain lines) goes by the archive's bytes; the last line says all is read.
    last_progress = [line for line in result.stderr.splitlines() if line.startswith("progress:")][-1]
    assert last_progress.endswith("100% of the archives"), last_progress
    records = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in records) == sorted(urls)
    for record in records:
        assert record["archive"]["file"] == str(tmp_path / "crawl.warc.gz") and record["archive"]["offset"] >= 0
        assert record["fetched_at"] == "2026-10-01T00:00:00Z"  # the capture date, not today
    assert {r["source"]["id"] for r in records} == {"news0-example", "news1", "news2-example"}
    assert len({r["archive"]["offset"] for r in records}) == 6
    assert verify_output(tmp_path / "output").ok
    # --only-configured keeps the configured outlet's host only.
    assert sorted(r["url"] for r in read_records(tmp_path / "only")) == [u for u in sorted(urls) if "news1." in u]
    again = run_cli("backfill", "--warc", str(tmp_path / "crawl.warc.gz"), cwd=tmp_path)
    assert again.stdout.strip().splitlines()[-1].startswith("backfill: written=0 duplicates=0 skipped=0")


def test_the_same_archive_gives_the_same_records_in_every_process(tmp_path: Path) -> None:
    """Two runs (two string-hash seeds, as two workers or a rerun have) write the same records, byte for byte
    in every field: a downstream diff of two backfills must show only what changed in the pages."""
    _warc(tmp_path / "crawl.warc.gz", 60)
    outputs = []
    for seed in ("1", "2"):
        run = tmp_path / seed
        run.mkdir()
        write_sources(run / "sources.toml", [{"id": "news1", "name": "News One", "homepage": "https://news1.example/",
                                              "feeds": ["https://news1.example/feed"]}])
        result = run_cli("backfill", "--warc", str(tmp_path / "crawl.warc.gz"), cwd=run,
                         env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        outputs.append({record["id"]: record for record in read_records(run / "output")})
    assert len(outputs[0]) == 60
    assert outputs[0] == outputs[1]


def test_warc_pages_in_legacy_charsets_are_decoded_by_their_worker(tmp_path: Path) -> None:
    """The reading process hands a page's bytes to a worker process, which decodes them: by the declared
    charset (EUC-KR, as older Korean pages are), or by detection when nothing is declared."""
    paragraphs = ["북한 조선중앙통신은 23일 최고인민회의 상임위원회가 평양에서 회의를 열었다고 보도했다.",
                  "통신은 이 회의에서 국가 예산 집행 상황과 올해 경제 사업 계획이 논의되었다고 전했다.",
                  "회의에는 최고인민회의 상임위원회 위원들과 관계 부문 일꾼들이 참가했다고 통신은 덧붙였다."]
    page = ("<html><head><title>최고인민회의 상임위원회 회의</title></head><body><article>"
            "<h1>최고인민회의 상임위원회 회의</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
            + "</article></body></html>")
    with (tmp_path / "korean.warc.gz").open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for number, kind in enumerate(("text/html; charset=euc-kr", "text/html")):
            http = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
            record = writer.create_warc_record(f"https://www.yna.co.kr/view/{number}", "response",
                                               payload=io.BytesIO(page.encode("euc-kr")), http_headers=http,
                                               warc_headers_dict={"WARC-Date": "2026-10-01T00:00:00Z"})
            writer.write_record(record)
            record.raw_stream.close()
    write_sources(tmp_path / "sources.toml", [{"id": "x", "name": "X", "homepage": "https://x.example/",
                                               "feeds": ["https://x.example/feed"]}])
    result = run_cli("backfill", "--workers", "1", "--warc", str(tmp_path / "korean.warc.gz"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = sorted(read_records(tmp_path / "output"), key=lambda r: r["url"])
    assert [r["url"] for r in records] == ["https://www.yna.co.kr/view/0", "https://www.yna.co.kr/view/1"]
    for record in records:
        assert record["title"] == "최고인민회의 상임위원회 회의"
        assert record["body"].split("\n\n") == paragraphs
        assert record["language"]["code"] == "ko"


def test_warc_pages_of_no_configured_outlet_may_be_in_any_language(tmp_path: Path) -> None:
    """A web archive holds every site's pages: one of no configured outlet is read in whatever language it is
    in (Norwegian here), where a configured outlet's text is kept to the analysis's candidates."""
    paragraphs = ["Regjeringen la fram et nytt forslag om skatt på tirsdag, og opposisjonen kritiserte det straks.",
                  "Finansministeren sa at endringene skal gjelde fra neste år, og at få familier vil merke dem.",
                  "Forslaget skal behandles i Stortinget før sommeren, og flere partier vil ha endringer i det."]
    page = ("<html><head><title>Nytt skatteforslag</title></head><body><article><h1>Nytt skatteforslag</h1>"
            + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>").encode()
    with (tmp_path / "nordic.warc.gz").open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url in ("https://www.avis.example/nyheter/1", "https://news.example/nyheter/1"):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(page), http_headers=http,
                                               warc_headers_dict={"WARC-Date": "2026-10-01T00:00:00Z"})
            writer.write_record(record)
            record.raw_stream.close()
    write_sources(tmp_path / "sources.toml", [{"id": "news", "name": "News", "homepage": "https://news.example/",
                                               "languages": ["en"], "feeds": ["https://news.example/feed"]}])
    result = run_cli("backfill", "--workers", "1", "--warc", str(tmp_path / "nordic.warc.gz"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = {r["source"]["id"]: r["language"]["code"] for r in read_records(tmp_path / "output")}
    assert found["www-avis-example"] == "no"
    assert found["news"] != "no"


def _short_segments_outlet(workdir: Path) -> dict[str, str]:
    """A sources.toml with one unrelated outlet and 3-record segments; the environment to run scraper in."""
    write_sources(workdir / "sources.toml", [{"id": "x", "name": "X", "homepage": "https://x.example/",
                                              "feeds": ["https://x.example/feed"]}])
    with (workdir / "sources.toml").open("a") as handle:
        handle.write("[output]\nsegment_records = 3\n")
    return {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}


def test_a_killed_warc_backfill_resumes_and_writes_each_page_once(tmp_path: Path) -> None:
    urls = _warc(tmp_path / "crawl.warc.gz", 40)
    _short_segments_outlet(tmp_path)
    command = ["backfill", "--workers", "1", "--warc", str(tmp_path / "crawl.warc.gz")]
    rng = random.Random(9)
    for _ in range(3):
        kill_once_written(command, tmp_path, at_least=rng.randint(3, 30))
    final = run_cli(*command, cwd=tmp_path, timeout=300)
    assert final.returncode == 0, final.stderr
    records = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in records) == sorted(urls)  # every page exactly once
    assert verify_output(tmp_path / "output").ok


@pytest.mark.parametrize(("signum", "whole_group", "presses"), [(signal.SIGTERM, False, 1), (signal.SIGINT, False, 1),
                                                               (signal.SIGINT, True, 1), (signal.SIGINT, True, 3),
                                                               (signal.SIGHUP, True, 1)])
def test_an_interrupted_backfill_exits_130_and_the_same_command_finishes_it(tmp_path: Path, signum: int,
                                                                             whole_group: bool, presses: int) -> None:
    # whole_group: Ctrl-C in a terminal, which signals every process of the foreground group, the extraction
    # workers too; the others are `kill`, `docker stop` and a job runner, which signal the command alone.
    # Three presses: an impatient user, whose later presses may come while the backfill stops. SIGHUP to the whole
    # group: the terminal or SSH session the backfill was started from closed.
    urls = _warc(tmp_path / "crawl.warc.gz", 150)
    env = _short_segments_outlet(tmp_path)
    command = [sys.executable, "-m", "scraper", "backfill", "--workers", "2", "--warc", str(tmp_path / "crawl.warc.gz")]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = clock.monotonic() + 120
    while clock.monotonic() < deadline and process.poll() is None and not read_records(tmp_path / "output"):
        clock.sleep(0.05)
    assert process.poll() is None, "the backfill ended before it could be interrupted"
    for _ in range(presses):
        if whole_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        clock.sleep(0.1)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err  # a script running `scraper backfill && next` does not go on
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err  # a clean stop, whoever got the signal
    if presses == 1:
        assert out.strip().splitlines()[-1].endswith(" interrupted")
        assert "interrupted before it was done; the same command continues" in err
    else:  # the first press stops it as one does; a later one, while it stops, at once
        assert "the same command continues where it stopped" in err
    first = read_records(tmp_path / "output")
    assert 0 < len(first) < len(urls)
    again = run_cli(*command[3:], cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(urls)  # each page once


def _workers_of(pid: int) -> list[int]:
    """Extraction worker processes of a backfill (spawned children running multiprocessing's spawn_main)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(child))
    return found


def test_a_dead_worker_is_replaced_and_no_page_is_lost(tmp_path: Path) -> None:
    urls = _warc(tmp_path / "crawl.warc.gz", 40)
    env = _short_segments_outlet(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "scraper", "backfill", "--workers", "2", "--warc",
                                str(tmp_path / "crawl.warc.gz")], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    deadline = clock.monotonic() + 60
    while clock.monotonic() < deadline and process.poll() is None and not killed:
        workers = _workers_of(process.pid)
        if workers and len(read_records(tmp_path / "output")) >= 3:
            os.kill(workers[0], signal.SIGKILL)
            killed = True
        clock.sleep(0.05)
    stdout, stderr = process.communicate(timeout=300)
    if not killed:
        pytest.skip("the backfill ended before a worker could be killed")
    assert process.returncode == 0, stderr
    assert "pool_restart" in stderr
    records = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in records) == sorted(urls)
    assert stdout.strip().splitlines()[-1].startswith("backfill: written=40 ")


def test_a_page_that_kills_its_worker_is_skipped_and_the_pages_beside_it_are_not(tmp_path: Path) -> None:
    # The pool breaks with a dozen pages in flight; each runs again alone, and only the culprit dies again.
    urls = _warc(tmp_path / "crawl.warc.gz", 12)
    env = _short_segments_outlet(tmp_path)
    culprit = urls[5]
    result = run_cli("backfill", "--workers", "2", "--warc", str(tmp_path / "crawl.warc.gz"), cwd=tmp_path,
                     env={**env, "SCRAPER_FAULT": f"worker_dies_on:{culprit}"}, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("backfill: written=11 ") and "worker_died=1" in summary
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(u for u in urls if u != culprit)
    assert "pool_restart" in result.stderr


def test_workers_that_cannot_start_stop_the_backfill_and_the_next_run_loses_nothing(tmp_path: Path) -> None:
    urls = _warc(tmp_path / "crawl.warc.gz", 12)
    env = _short_segments_outlet(tmp_path)
    command = ("backfill", "--workers", "2", "--warc", str(tmp_path / "crawl.warc.gz"))
    failed = run_cli(*command, cwd=tmp_path, env={**env, "SCRAPER_FAULT": "worker_start"}, timeout=300)
    assert failed.returncode == 1
    assert "the extraction workers die as they start" in failed.stderr.strip().splitlines()[-1]
    assert read_records(tmp_path / "output") == []
    # Nothing was recorded as failed or done: the next run, with workers that start, does every page once.
    again = run_cli(*command, cwd=tmp_path, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1].startswith("backfill: written=12 ")
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(urls)
    assert verify_output(tmp_path / "output").ok


@pytest.mark.parametrize(("fault", "reason", "worker_lives"), [
    # Python code that loops: the alarm interrupts it, and the worker lives on.
    ("worker_hangs_on", "extract_timeout", True),
    # One call into C that never returns: the alarm waits for it in vain; the worker is ended at the hard limit.
    ("worker_stuck_on", "extract_timeout", False),
])
def test_a_page_that_hangs_is_skipped_at_its_time_limit(tmp_path: Path, fault: str, reason: str,
                                                         worker_lives: bool) -> None:
    urls = _warc(tmp_path / "crawl.warc.gz", 8)
    env = _short_segments_outlet(tmp_path)
    stuck = urls[3]
    started = clock.monotonic()
    result = run_cli("backfill", "--workers", "2", "--page-timeout", "2", "--warc", str(tmp_path / "crawl.warc.gz"),
                     cwd=tmp_path, env={**env, "SCRAPER_FAULT": f"{fault}:{stuck}"}, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("backfill: written=7 ") and f"{reason}=1" in summary
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(u for u in urls if u != stuck)
    assert clock.monotonic() - started < 120  # the hook hangs for an hour
    assert ("pool_restart" not in result.stderr) == worker_lives
    assert "worker_died" not in summary


def test_a_directory_of_warc_files_is_read_file_by_file_at_any_depth(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    (crawl / "2026" / "10").mkdir(parents=True)
    (crawl / "empty").mkdir()
    first = _warc(crawl / "2026" / "10" / "CC-NEWS-20261001.warc.gz", 4, section="first")
    second = _warc(crawl / "2026" / "10" / "CC-NEWS-20261002.warc.gz", 4, section="second")
    (crawl / "2026" / "README.txt").write_text("not a WARC")
    env = _short_segments_outlet(tmp_path)
    result = run_cli("backfill", "--workers", "1", "--warc", str(crawl), cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("backfill: written=8 ")
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(first + second)
    # A directory with no WARC files in it says so, and a backfill that had nothing else to read ends as one
    # that could read nothing (a wrong path in a job runner's command fails the job).
    empty = run_cli("backfill", "--warc", str(crawl / "empty"), cwd=tmp_path, env=env, timeout=300)
    assert "unreadable=1" in empty.stdout and "no .warc or .warc.gz files" in empty.stderr
    assert empty.returncode == 3, empty.stderr
    assert "no WARC file could be read at all" in empty.stderr


def test_a_warc_record_whose_address_is_no_url_costs_that_record_not_the_backfill(tmp_path: Path) -> None:
    with (tmp_path / "odd.warc.gz").open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for number, url in enumerate(("https://news.example/a/1", "https://news.example:99999/a/2",
                                      "http://[::1/a/3", "https://news.example/a/4")):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(article_page(number)),
                                               http_headers=http,
                                               warc_headers_dict={"WARC-Date": "2026-10-01T00:00:00Z"})
            writer.write_record(record)
            record.raw_stream.close()
    env = _short_segments_outlet(tmp_path)
    result = run_cli("backfill", "--workers", "1", "--warc", str(tmp_path / "odd.warc.gz"), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr  # it stopped the whole run (a port out of range: exit 1)
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == [
        "https://news.example/a/1", "https://news.example/a/4"]


def test_a_backfill_whose_warc_files_are_missing_or_not_warc_exits_3_and_says_which(tmp_path: Path) -> None:
    good = _warc(tmp_path / "good.warc.gz", 3)
    (tmp_path / "junk.warc.gz").write_bytes(random.Random(5).randbytes(20_000))  # not WARC records at all
    env = _short_segments_outlet(tmp_path)
    for names in (["missing.warc.gz"], ["junk.warc.gz"], ["missing.warc.gz", "junk.warc.gz"]):
        result = run_cli("backfill", "--workers", "1", *(f"--warc={tmp_path / n}" for n in names), cwd=tmp_path,
                         env=env, timeout=300)
        assert result.returncode == 3, result.stderr
        for name in names:
            assert f"{tmp_path / name}: nothing could be read (error: " in result.stderr
        assert "no WARC file could be read at all" in result.stderr
    both = run_cli("backfill", "--workers", "1", "--warc", str(tmp_path / "junk.warc.gz"), "--warc",
                   str(tmp_path / "good.warc.gz"), cwd=tmp_path, env=env, timeout=300)
    assert both.returncode == 0, both.stderr  # one of them could be read: named, not failed
    assert f"{tmp_path / 'junk.warc.gz'}: nothing could be read" in both.stderr
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(good)
    again = run_cli("backfill", "--workers", "1", "--warc", str(tmp_path / "good.warc.gz"), cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr  # read to its end before: nothing to do is no failure


def test_every_page_read_is_counted_once_as_written_already_or_skipped(tmp_path: Path) -> None:
    """A second capture of a URL, and another URL of an article whose canonical one is in the output, are
    `already`: the summary adds up to the pages read."""
    canonical = article_page(7).replace(b"<head>", b'<head><link rel="canonical" href="https://news.example/a/7">')
    with (tmp_path / "crawl.warc.gz").open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, body in (("https://news.example/a/1", article_page(1)), ("https://news.example/a/7", canonical),
                          ("https://news.example/a/1", article_page(1)),  # captured again
                          ("https://news.example/a/7?from=home", canonical),  # another URL of the same article
                          ("https://news.example/a/2", article_page(2))):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                               warc_headers_dict={"WARC-Date": "2026-10-01T00:00:00Z"})
            writer.write_record(record)
            record.raw_stream.close()
    result = run_cli("backfill", "--workers", "1", "--warc", str(tmp_path / "crawl.warc.gz"), cwd=tmp_path,
                     env=_short_segments_outlet(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "backfill: written=3 duplicates=0 skipped=0 already=2"
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == [
        "https://news.example/a/1", "https://news.example/a/2", "https://news.example/a/7"]


def test_a_warc_read_while_incomplete_is_finished_by_the_next_run(tmp_path: Path) -> None:
    """A WARC read while it was still being downloaded (or written by a crawler) ends inside a record: that
    record is counted as damage, and the next run with the same arguments reads it once the file is whole."""
    warc = tmp_path / "crawl.warc.gz"
    urls = _warc(warc, 3)
    whole = warc.read_bytes()
    warc.write_bytes(whole[:len(whole) - 2000])  # the file's last record, the third page, cut short
    env = _short_segments_outlet(tmp_path)
    first = run_cli("backfill", "--workers", "1", "--warc", str(warc), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("backfill: written=2 ") and "corrupt_warc=1" in first.stdout
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(urls[:2])
    warc.write_bytes(whole)  # the download finished
    second = run_cli("backfill", "--workers", "1", "--warc", str(warc), cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "backfill: written=1 duplicates=0 skipped=0"
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(urls)  # every page once
    assert verify_output(tmp_path / "output").ok


def test_a_warc_read_for_some_hosts_or_days_is_read_again_for_others(tmp_path: Path) -> None:
    """Progress through a file is kept per selection: pages passed over for another host or another date range
    are read when a later run asks for them, and nothing is written twice."""
    warc = tmp_path / "crawl.warc.gz"
    urls = _warc(warc, 6)  # on news0, news1 and news2.example, in turn
    env = _short_segments_outlet(tmp_path)
    for args, expected in ((("--host", "news1.example"), [u for u in urls if "news1." in u]),
                           (("--until", "2001-01-01"), [u for u in urls if "news1." in u]),  # all out of range
                           ((), urls),
                           (("--host", "news2.example"), urls)):
        result = run_cli("backfill", "--workers", "1", *args, "--warc", str(warc), cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(expected), args
    assert result.stdout.startswith("backfill: written=0 ")
    assert verify_output(tmp_path / "output").ok


def test_a_warc_page_that_failed_extraction_is_tried_again_by_the_next_run(tmp_path: Path) -> None:
    """A page skipped for its time limit (a loaded machine) or a dead worker is no property of the archive: the
    next run over the same file tries it again, though its progress is past it, and writes it once."""
    warc = tmp_path / "crawl.warc.gz"
    urls = _warc(warc, 6)
    env = _short_segments_outlet(tmp_path)
    command = ("backfill", "--workers", "1", "--page-timeout", "1", "--warc", str(warc))
    first = run_cli(*command, cwd=tmp_path, env={**env, "SCRAPER_FAULT": f"worker_hangs_on:{urls[2]}"})
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1].startswith("backfill: written=5 ")
    assert "extract_timeout=1" in first.stdout
    warc.rename(tmp_path / "elsewhere.warc.gz")  # the archive unreadable for a while (a disk not mounted)
    missing = run_cli(*command, cwd=tmp_path, env=env)
    assert "unreadable=1" in missing.stdout and missing.returncode == 3
    (tmp_path / "elsewhere.warc.gz").rename(warc)
    second = run_cli(*command, cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == "backfill: written=1 duplicates=0 skipped=0"
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(urls)  # each page once
    third = run_cli(*command, cwd=tmp_path, env=env)  # nothing left to try
    assert third.stdout.strip().splitlines()[-1] == "backfill: written=0 duplicates=0 skipped=0"
    assert verify_output(tmp_path / "output").ok


def test_a_warc_page_that_always_fails_is_tried_three_times_in_all(tmp_path: Path) -> None:
    warc = tmp_path / "crawl.warc.gz"
    urls = _warc(warc, 3)
    env = {**_short_segments_outlet(tmp_path), "SCRAPER_FAULT": f"worker_hangs_on:{urls[0]}"}
    command = ("backfill", "--workers", "1", "--page-timeout", "1", "--warc", str(warc))
    summaries, errors = [], []
    for _ in range(4):
        result = run_cli(*command, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        summaries.append(result.stdout.strip().splitlines()[-1])
        errors.append(result.stderr)
    assert summaries[0].startswith("backfill: written=2 ")
    assert all(s == "backfill: written=0 duplicates=0 skipped=1 (extract_timeout=1)" for s in summaries[1:3]), summaries
    assert "not tried again" in errors[2] and "not tried again" not in errors[1]  # the log says when it gives up
    assert summaries[3] == "backfill: written=0 duplicates=0 skipped=0"
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(urls[1:])


def _outlet_for(host: str) -> Source:
    return Source(id=host.replace(".", "-"), name=host, languages=(), homepage=f"https://{host}/", timezone="UTC")


async def _backfill_in_process(workdir: Path, warc: Path, source_for: Callable[[str], Source] = _outlet_for,
                               **options: Any) -> Summary:
    """`backfill --warc` without the CLI around it (what it hands the pipeline); the output in workdir/output."""
    state, sink = State(workdir / "state.sqlite"), JsonlSink(workdir / "output")
    summary = Summary()
    try:
        async with Fetcher(robots=False) as fetcher:
            pipeline = Pipeline(fetcher, state, sink, None, PipelineOptions(**options))
            try:
                await asyncio.wait_for(read_warc(pipeline, str(warc), source_for, summary), 120)
            finally:
                pipeline.flush()  # as the CLI does, whatever stopped the run
                pipeline.close()
    finally:
        sink.close()
        state.close()
    return summary


async def test_worker_pools_are_replaced_every_so_many_pages_without_losing_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A long run replaces its worker processes now and then (what a process keeps for good, lxml's dictionary of
    names among it, is then bounded): every page is still written once, and no process is left behind."""
    warc = tmp_path / "crawl.warc.gz"
    urls = _warc(warc, 7)
    caplog.set_level(logging.INFO, logger="scraper.extractors")
    summary = await _backfill_in_process(tmp_path, warc, workers=1, pages_per_worker=2)
    assert summary.written == 7
    assert sorted(r["url"] for r in read_records(tmp_path / "output")) == sorted(urls)
    assert sum(getattr(r, "event", "") == "pool_rotate" for r in caplog.records) == 3  # at pages 3, 5 and 7
    deadline = clock.monotonic() + 30
    while _workers_of(os.getpid()) and clock.monotonic() < deadline:  # the old pools' processes exit
        clock.sleep(0.1)
    assert _workers_of(os.getpid()) == []


async def test_a_failure_outside_extraction_stops_the_warc_run_and_loses_no_page(tmp_path: Path) -> None:
    """Something failing for one record outside the extractor's guard (here: the outlet it belongs to cannot be
    made) ends the run with an error, neither hanging it nor letting progress pass the record by."""
    warc = tmp_path / "crawl.warc.gz"
    urls = _warc(warc, 6)

    def broken_for_news2(host: str) -> Source:
        if host == "news2.example":
            raise ValueError("no outlet for news2.example")
        return _outlet_for(host)

    with pytest.raises(ScraperError, match=r"no outlet for news2\.example"):
        await _backfill_in_process(tmp_path / "run", warc, broken_for_news2)
    # Pages still in extraction when it failed stop with it (they are written by the next run).
    written = [r["url"] for r in read_records(tmp_path / "run" / "output")]
    assert set(written) <= set(urls[:2])
    again = await _backfill_in_process(tmp_path / "run", warc)
    assert again.written == 6 - len(written)
    assert sorted(r["url"] for r in read_records(tmp_path / "run" / "output")) == sorted(urls)  # each once


def test_page_timeout_must_be_a_positive_number(tmp_path: Path) -> None:
    for bad in ("0", "-3", "soon", "inf", "1e10"):
        result = run_cli("backfill", "--page-timeout", bad, "--warc", "x.warc", cwd=tmp_path)
        assert result.returncode == 2 and "--page-timeout" in result.stderr
