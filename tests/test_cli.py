"""The command line as a user types it: extract, options from the environment, error exits."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import FIXTURES, fixture_page, rss, run_cli, write_sources
from localsite import LocalSite, Page

from scraper.cli import build_parser


def test_extract_prints_one_record_per_input_in_order(tmp_path: Path) -> None:
    wire = tmp_path / "wire.html"
    wire.write_bytes(fixture_page("wire-1.html", "https://en.yna.co.kr"))
    daily = tmp_path / "daily.html.gz"
    daily.write_bytes(gzip.compress(fixture_page("daily-1.html")))
    with LocalSite({"/a": Page(fixture_page("wire-2.html", "https://en.yna.co.kr"))}) as site:
        refused = run_cli("extract", site.url("/a"), cwd=tmp_path)
        result = run_cli("extract", "--allow-private", str(wire), site.url("/a"), str(daily), cwd=tmp_path)
    assert refused.returncode == 1 and "private_address" in refused.stderr
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["title"] for r in records] == [
        "N. Korea's top diplomat agrees with Belarusian FM to safeguard mutual interests",
        "N. Korea test-fires cruise missiles off west coast: JCS",
        "North's top diplomat agrees with Belarusian foreign minister to jointly safeguard mutual interests",
    ]
    # A saved page keeps the URL it declares; a fetched one keeps its own.
    assert records[0]["canonical_url"] == "https://en.yna.co.kr/view/AEN20251031001200315"
    assert records[1]["url"] == site.url("/a")
    assert records[0]["content_hash"] == records[2]["content_hash"]


def test_extract_reads_stdin_and_applies_the_outlet_timezone(tmp_path: Path) -> None:
    page = b"""<html><head><title>t</title><meta property="article:published_time" content="2025-07-23 14:05">
    </head><body><article><p>PYONGYANG, July 23 (KCNA) -- The Belarusian foreign minister arrived here on
    Tuesday for an official visit, the Korean Central News Agency said.</p></article></body></html>"""
    write_sources(tmp_path / "sources.toml", [{"id": "kcna-en", "name": "KCNA", "homepage": "http://www.kcna.kp/",
                                               "timezone": "Asia/Pyongyang", "feeds": ["http://www.kcna.kp/f"]}])
    result = run_cli("extract", "--source", "kcna-en", "-", cwd=tmp_path, stdin=page)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["published_at"] == "2025-07-23T05:05:00Z"  # 14:05 in Pyongyang is 05:05 UTC
    assert record["source"]["id"] == "kcna-en"
    plain = run_cli("extract", "-", cwd=tmp_path / "..", stdin=page)
    assert json.loads(plain.stdout)["published_at"] == "2025-07-23T14:05:00Z"  # no outlet: UTC


def test_extract_reads_a_page_of_no_outlet_in_its_own_language(tmp_path: Path) -> None:
    paragraphs = ["Hükümet salı günü vergilerle ilgili yeni bir teklif sundu ve muhalefet teklifi hemen eleştirdi.",
                  "Maliye bakanı değişikliklerin gelecek yıl yürürlüğe gireceğini söyledi."]
    page = ("<html><head><title>Yeni vergi teklifi</title></head><body><article>"
            + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>").encode()
    result = run_cli("extract", "-", cwd=tmp_path, stdin=page)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["language"]["code"] == "tr"  # not one of the nine candidates


def test_extract_reports_a_bad_input_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_bytes(fixture_page("wire-2.html"))
    result = run_cli("extract", str(tmp_path / "missing.html"), "http://[::1", "ftp://example.org/a.html",
                     "http://127.0.0.1:9/a.html", str(good), cwd=tmp_path)
    assert result.returncode == 1
    assert "missing.html: skipped: unreadable" in result.stderr
    assert "http://[::1: skipped: bad_url" in result.stderr and "Traceback" not in result.stderr
    assert "ftp://example.org/a.html: skipped: bad_url: ftp://example.org/a.html: only http and https" in result.stderr
    assert "127.0.0.1:9/robots.txt; pass --allow-private to fetch it" in result.stderr  # no outlet to configure
    assert len(result.stdout.splitlines()) == 1


def test_unknown_source_and_bad_dates_exit_2(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources.toml", [{"id": "a", "name": "A", "homepage": "http://127.0.0.1/",
                                               "feeds": ["http://127.0.0.1/f"]}])
    result = run_cli("backfill", "--source", "nope", cwd=tmp_path)
    assert result.returncode == 2 and 'no outlet "nope" (configured: a)' in result.stderr
    result = run_cli("backfill", "--since", "yesterday-ish", cwd=tmp_path)
    assert result.returncode == 2 and "expected a date" in result.stderr
    result = run_cli("backfill", "--since", "2026-01-01", "--until", "2025-01-01", cwd=tmp_path)  # swapped
    assert result.returncode == 2 and "--until is before --since" in result.stderr
    same_day = run_cli("backfill", "--since", "2026-01-01", "--until", "2026-01-01", "--source", "nope", cwd=tmp_path)
    assert "--until is before" not in same_day.stderr  # a bare --until day counts to its end: one day
    result = run_cli("backfill", "--wait", cwd=tmp_path)  # a fleet's option, here without a fleet: not ignored
    assert result.returncode == 2 and "--wait is for a backfill handed to a fleet" in result.stderr
    for options, words in ((["--host", "example.org"], "--host selects pages of --warc"),
                           (["--only-configured"], "--only-configured selects pages of --warc"),
                           (["--warc", "x.warc", "--from-archive"], "--from-archive reads the web archive"),
                           # a fleet's workers read the files: this process's extraction options would do nothing
                           (["--warc", "x.warc", "--workers", "4"],
                            "--workers: a fleet's workers read --warc and --cc-news files"),
                           (["--cc-news", "2026-01", "--page-timeout", "9"],
                            "--page-timeout: a fleet's workers read")):
        fleet = ["--database", "postgresql://h/db"] if "a fleet's workers" in words else []
        result = run_cli(*fleet, "backfill", *options, cwd=tmp_path)
        assert result.returncode == 2 and words in result.stderr, (options, result.stderr)
    result = run_cli("run", "--concurrency", "4", cwd=tmp_path)  # a fleet worker's option, without a fleet
    assert result.returncode == 2 and "run --concurrency is for a fleet's worker" in result.stderr
    result = run_cli("--config", str(tmp_path / "none.toml"), "run", cwd=tmp_path)
    assert result.returncode == 2 and "file not found" in result.stderr


def test_global_options_come_from_the_environment(tmp_path: Path) -> None:
    with LocalSite() as site:
        site.routes["/feed"] = Page(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                                    b"</channel></rss>", "application/rss+xml")
        config = write_sources(tmp_path / "elsewhere.toml", [{"id": "a", "name": "A", "homepage": site.url("/"),
                                                              "feeds": [site.url("/feed")]}])
        env = {**os.environ, "SCRAPER_CONFIG": str(config), "SCRAPER_OUTPUT": str(tmp_path / "out"),
               "SCRAPER_STATE": str(tmp_path / "st.sqlite")}
        result = subprocess.run([sys.executable, "-m", "scraper", "backfill", "--workers", "1"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").is_dir() and (tmp_path / "st.sqlite").exists()
    assert result.stdout.strip() == "backfill: written=0 duplicates=0 skipped=0"


def test_a_bad_value_in_the_environment_is_a_usage_error_as_on_the_command_line(tmp_path: Path) -> None:
    typo = run_cli("stats", cwd=tmp_path, env={"SCRAPER_LOG_FORMAT": "xml"})
    assert typo.returncode == 2 and 'expected "json" or "text" (also in SCRAPER_LOG_FORMAT), got "xml"' in typo.stderr
    shouted = run_cli("stats", cwd=tmp_path, env={"SCRAPER_LOG_FORMAT": "TEXT"})
    assert "usage" not in shouted.stderr


def test_a_blank_variable_means_unset_and_a_blank_path_is_refused(tmp_path: Path) -> None:
    """`SCRAPER_OUTPUT=` in a compose file is "not set", not the current directory (which got the lock file and
    would have got the segments); `--output ""` given on purpose is a usage error."""
    write_sources(tmp_path / "sources.toml", [{"id": "a", "name": "A", "homepage": "http://127.0.0.1:9/",
                                               "feeds": ["http://127.0.0.1:9/feed"], "retries": 0}])
    blank = run_cli("backfill", cwd=tmp_path, env={"SCRAPER_OUTPUT": "", "SCRAPER_STATE": " ", "SCRAPER_CONFIG": ""})
    assert blank.returncode == 3, blank.stderr  # the outlet is unreachable: read as configured, nothing else
    assert (tmp_path / "output").is_dir() and (tmp_path / "output.state.sqlite").exists()
    assert not (tmp_path / ".scraper.lock").exists()
    given = run_cli("--output", "", "backfill", cwd=tmp_path)
    assert given.returncode == 2 and "argument --output: expected a path, got an empty value" in given.stderr


def test_dockerfile_runs_a_command_that_exists() -> None:
    dockerfile = (FIXTURES.parent.parent / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
    entry = next(line for line in dockerfile.splitlines() if line.startswith("ENTRYPOINT"))
    argv = json.loads(entry.split(" ", 1)[1]) + json.loads(cmd.split(" ", 1)[1])
    assert argv[0] == "scraper"
    build_parser().parse_args(argv[1:])  # exits (SystemExit) if the verb or an option does not exist
    assert "USER" in dockerfile and "VOLUME" in dockerfile and "/data" in dockerfile
    assert "EXPOSE 9108" in dockerfile and "/healthz" in dockerfile and "SCRAPER_LISTEN=0.0.0.0:9108" in dockerfile
    # The health check is a Python one-liner: it must at least be valid Python.
    check = next(line for line in dockerfile.splitlines() if "urllib.request.urlopen" in line)
    compile(json.loads(check.strip().removeprefix("CMD "))[2], "HEALTHCHECK", "exec")


def _talks_site(path: str, extra: str = "") -> LocalSite:
    """A feed listing /news/1, and at `path` an article with a headline and a story of three paragraphs."""
    site = LocalSite()
    body = "".join(f"<p>{sentence} The ministry said so on Friday in a statement carried by the agency.</p>"
                   for sentence in ("Talks went on.", "Both sides met.", "No date was set."))
    site.routes["/feed"] = Page(rss([("Talks", site.url("/news/1"), "Mon, 02 Nov 2026 10:00:00 GMT")]),
                                "application/rss+xml")
    site.routes[path] = Page(f"<html><head><title>Talks | Example</title></head><body><h1 class='headline'>Talks</h1>"
                             f"{extra}<div class='story'>{body}</div></body></html>".encode())
    return site


def test_sources_check_live_extracts_one_listed_article_and_names_the_page_rules_that_fell_back(
        tmp_path: Path) -> None:
    """An outlet with page selectors of its own: one article it lists now is extracted, and the selector that no
    longer matches (the date, after a redesign) is named; the exit code says so."""
    site = _talks_site("/news/1", "<time class='published-on'>2026-11-02 10:00</time>")
    with site:
        write_sources(tmp_path / "sources.toml", [
            {"id": "example", "name": "Example", "homepage": site.url("/"), "feeds": [site.url("/feed")],
             "article_url": "/news/\\d+$"}])
        with (tmp_path / "sources.toml").open("a") as handle:
            handle.write('selectors = { title = "h1.headline", date = "span.when", body = "div.story p" }\n')
        checked = run_cli("sources", "check", "--live", cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    live = checked.stdout.split("live:\n")[1].splitlines()
    assert live[0].split()[:3] == ["example", "feed", "1"] and "rules matched: feed.article_url" in live[0]
    assert live[1].split()[:3] == ["example", "article", "extracted"]
    assert "rules matched: title, body; FELL BACK: date" in live[1] and live[1].endswith("/news/1")
    assert live[-1] == "1 of 1 feeds, sitemaps and listings give article links; 1 read with a rule that fell back"


def test_sources_check_live_reads_an_article_behind_a_meta_refresh_as_the_pipeline_does(tmp_path: Path) -> None:
    site = _talks_site("/story/1")
    site.routes["/news/1"] = Page(b'<html><head><meta http-equiv="refresh" content="0; url=/story/1"></head>'
                                  b"<body>Moved.</body></html>")
    with site:
        write_sources(tmp_path / "sources.toml", [
            {"id": "example", "name": "Example", "homepage": site.url("/"), "feeds": [site.url("/feed")]}])
        with (tmp_path / "sources.toml").open("a") as handle:
            handle.write('selectors = { title = "h1.headline", body = "div.story p" }\n')
        checked = run_cli("sources", "check", "--live", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    live = checked.stdout.split("live:\n")[1].splitlines()
    assert live[1].split()[:3] == ["example", "article", "extracted"] and "rules matched: title, body" in live[1]


def test_sources_check_live_says_what_each_feed_sitemap_and_listing_gives_now(tmp_path: Path) -> None:
    """Before a long backfill: one request per feed, sitemap and listing, and how many article links each
    gives; a selector with a typo or a dead feed is named, and the exit code says so."""
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    site = LocalSite()
    site.routes["/feed"] = Page(rss([("One", site.url("/a/1"), "Mon, 02 Nov 2026 10:00:00 GMT"),
                                     ("Two", site.url("/a/2"), "Mon, 02 Nov 2026 11:00:00 GMT"),
                                     ("Good", site.url("/"), "Mon, 02 Nov 2026 11:00:00 GMT")]),
                                "application/rss+xml")
    index = "".join(f"<sitemap><loc>{site.url(f'/sitemap-{n}.xml')}</loc><lastmod>2026-10-0{n}</lastmod></sitemap>"
                    for n in (1, 2))
    site.routes["/sitemap.xml"] = Page(
        f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}'
        "</sitemapindex>".encode(), "application/xml")
    for n, count in ((1, 1), (2, 3)):
        # (the front page listed first, as WordPress's page sitemap does: it is no article link)
        urls = "".join(f"<url><loc>{url}</loc></url>" for url in [site.url("/")] + [site.url(f"/s/{n}/{i}")
                                                                                     for i in range(count)])
        site.routes[f"/sitemap-{n}.xml"] = Page(
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            .encode(), "application/xml")
    # Today's archive page lists nothing yet; yesterday's lists two dated articles.
    site.routes[f"/day/{today:%Y%m%d}"] = Page(b"<html><body><ul class='day'></ul></body></html>")
    site.routes[f"/day/{yesterday:%Y%m%d}"] = Page(
        (f"<html><body><ul class='day'><li><a href='/d/1'>One</a><span>{yesterday:%Y.%m.%d}</span></li>"
         f"<li><a href='/d/2'>Two</a><span>{yesterday:%Y.%m.%d}</span></li></ul></body></html>").encode())
    listing = '[[outlet.listings]]\nurl = "{url}"\nitem = "ul.day li"\nlinks = "{links}"\ndates = "span"\n'
    with site:
        config = write_sources(tmp_path / "sources.toml", [
            {"id": "good", "name": "Good", "homepage": site.url("/"), "feeds": [site.url("/feed")],
             "sitemaps": [site.url("/sitemap.xml")]}])
        with config.open("a") as handle:
            handle.write(listing.format(url=site.url("/day/{date:%Y%m%d}"), links="a"))
            handle.write('[[outlet]]\nid = "typo"\nname = "Typo"\n'
                         f'homepage = "{site.url("/")}"\nfeeds = ["{site.url("/gone")}"]\n')
            handle.write(listing.format(url=site.url("/day/{date:%Y%m%d}"), links="a.headline"))
        both = run_cli("sources", "check", "--live", cwd=tmp_path)
        good = run_cli("sources", "check", "--live", "--source", "good", cwd=tmp_path)
    assert both.returncode == 1, both.stderr
    live = both.stdout.split("live:\n")[1].splitlines()
    assert live[0].split()[:4] == ["good", "feed", "2", "links"]
    assert live[1].split()[:4] == ["good", "sitemap", "3", "links"] and live[1].endswith("/sitemap-2.xml")
    assert live[2].split()[:5] == ["good", "listing", "2", "links", "(2"]
    assert live[2].endswith(f"/day/{yesterday:%Y%m%d}")  # today's page listed nothing yet
    assert "NOTHING: http_404" in live[3] and "NOTHING: no links" in live[4]
    assert "rules matched: listing[0].item; FELL BACK: listing[0].links" in live[4]  # the typo is named
    assert "FELL BACK" not in "\n".join(live[:4])
    assert live[-1] == "3 of 5 feeds, sitemaps and listings give article links; 1 read with a rule that fell back"
    assert good.returncode == 0 and "3 of 3 feeds" in good.stdout
    assert "  typo " not in good.stdout  # --source lists and reads that outlet only
