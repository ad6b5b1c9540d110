"""sources.toml values that used to pass `sources check` and crash a run: unusable URLs, endless or NaN
durations, huge sizes, missing alias files, and `allow_private` values that are neither true/false nor networks.
Each is a ConfigError (exit 2) naming the file, the outlet and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, write_sources

from scraper.config import load_settings
from scraper.errors import ConfigError

GOOD = {"id": "yonhap-en", "name": "Yonhap", "homepage": "https://en.yna.co.kr/", "timezone": "Asia/Seoul",
        "languages": ["en"], "feeds": ["https://en.yna.co.kr/RSS/news.xml"]}


def _raw_sources(path: Path, defaults: str = "", outlet: str = "", tables: str = "") -> Path:
    """A sources.toml with raw TOML lines (for values json.dumps cannot write, like nan)."""
    lines = ["[defaults]", defaults, "[[outlet]]", *(f"{k} = {json.dumps(v)}" for k, v in GOOD.items()), outlet,
             tables]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _refused(path: Path, key: str, outlet: str | None = "yonhap-en") -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message and f'key "{key}"' in message, message
    if outlet:
        assert f'outlet "{outlet}"' in message, message
    return message


# --- URLs -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"feeds": ["https://en.yna.co.kr/RSS/news\x00.xml"]}, "feeds", "U+0000"),
        ({"feeds": ["https://en.yna\x00.co.kr/RSS/news.xml"]}, "feeds", "U+0000"),
        ({"feeds": ["https://en.yna.co\u202e.kr/RSS/news.xml"]}, "feeds", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ({"feeds": ["https://en.yna.co.kr/RSS/\u2067news.xml"]}, "feeds", "U+2067"),  # bidi isolate, in the path
        ({"sitemaps": ["https://en.yna.co.kr/sitemap\u200b.xml"]}, "sitemaps", "U+200B (ZERO WIDTH SPACE)"),
        ({"homepage": "https://en.yna.co.kr/\ufeff"}, "homepage", "U+FEFF"),
        ({"feeds": ["https://en.yna.co.kr/RSS/news.xml\t"]}, "feeds", "U+0009"),
        ({"feeds": ["https://en.yna.co.kr/RSS/my news.xml"]}, "feeds", "U+0020 (SPACE)"),
        ({"feeds": ["https://en.yna.co.kr\u00a0/RSS/news.xml"]}, "feeds", "U+00A0"),
        ({"feeds": ["https://-yna-.co.kr/RSS/news.xml"]}, "feeds", "not a valid host name"),
        ({"feeds": ["https://en..yna.co.kr/RSS/news.xml"]}, "feeds", "not a valid host name"),
        ({"feeds": ["https://en.yna.co.kr:99999/RSS/news.xml"]}, "feeds", "port 99999"),
        ({"feeds": ["https://[::1/RSS/news.xml"]}, "feeds", "cannot parse"),
        ({"feeds": ["https://999.1.1.1/RSS/news.xml"]}, "feeds", "cannot parse"),
        ({"feeds": ["https://1.2.3/RSS/news.xml"]}, "feeds", "IPv4 address"),
        ({"feeds": ["https://☃.yna.co.kr/RSS/news.xml"]}, "feeds", "cannot parse"),  # not a valid IDNA label
    ],
)
def test_a_url_that_cannot_be_requested_is_refused_at_load(tmp_path: Path, change: dict[str, object], key: str,
                                                           words: str) -> None:
    message = _refused(write_sources(tmp_path / "s.toml", [{**GOOD, **change}]), key)
    assert words in message, message
    assert "\x00" not in message and "\u202e" not in message  # printed escaped, never raw


def test_urls_that_can_be_requested_still_load(tmp_path: Path) -> None:
    feeds = ["https://en.yna.co.kr/RSS/news.xml?x=1&y=%20", "http://127.0.0.1:8080/feed", "http://[::1]:8080/feed",
             "https://例え.jp/rss", "https://news_feed.example.com/rss"]
    (outlet,) = load_settings(write_sources(tmp_path / "s.toml", [{**GOOD, "feeds": feeds}])).sources
    assert outlet.feeds == tuple(feeds)


def test_a_listing_url_is_checked_like_any_other(tmp_path: Path) -> None:
    path = _raw_sources(tmp_path / "s.toml", outlet='article_url = "^https://en\\\\.yna\\\\.co\\\\.kr/view/"', tables=(
        '[[outlet.listings]]\nurl = "https://en.yna\\u202e.co.kr/list/{page}"\n'))
    assert "U+202E" in _refused(path, "listings[0].url")


def test_a_feed_or_sitemap_given_twice_is_refused_naming_both_places(tmp_path: Path) -> None:
    # An article is written once, for the outlet that read it first: the second outlet would collect nothing
    # and look healthy. The address is compared as deduplication compares article URLs (case of the host,
    # default port, tracking parameters).
    copy = {**GOOD, "id": "yonhap-copy", "feeds": ["https://EN.yna.co.kr:443/RSS/news.xml?utm_source=x"]}
    message = _refused(write_sources(tmp_path / "a.toml", [GOOD, copy]), "feeds", outlet="yonhap-copy")
    assert 'is also in outlet "yonhap-en" (feeds)' in message, message
    twice = {**GOOD, "sitemaps": ["https://en.yna.co.kr/sitemap.xml", "https://en.yna.co.kr/sitemap.xml"]}
    assert "is listed twice (sitemaps)" in _refused(write_sources(tmp_path / "b.toml", [twice]), "sitemaps")
    other = {**GOOD, "id": "yonhap-ko", "feeds": ["https://www.yna.co.kr/rss/news.xml"]}
    assert len(load_settings(write_sources(tmp_path / "c.toml", [GOOD, other])).sources) == 2


def test_sources_check_refuses_a_nul_in_a_feed_url_with_exit_2(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources.toml", [{**GOOD, "feeds": ["https://en.yna.co.kr/RSS/n\x00ews.xml"]}])
    result = run_cli("sources", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert 'sources.toml: outlet "yonhap-en": key "feeds"' in result.stderr and "U+0000" in result.stderr
    assert "Traceback" not in result.stderr


# --- durations and sizes --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("interval = nan", "interval"),
        ("interval = inf", "interval"),
        ("interval = -inf", "interval"),
        ('interval = "99999999d"', "interval"),
        (f'interval = "{"9" * 400}s"', "interval"),  # a float overflow, not a number
        ("interval = 1e300", "interval"),
        ('interval = "31d"', "interval"),
        ('delay = "2h"', "delay"),
        ('timeout = "2h"', "timeout"),
        ("connect_timeout = nan", "connect_timeout"),
        ('read_timeout = "1d"', "read_timeout"),
        ('max_retry_after = "2d"', "max_retry_after"),
        ('max_crawl_delay = "2h"', "max_crawl_delay"),
        ('max_bytes = "2GB"', "max_bytes"),
        (f'max_bytes = "{"9" * 400}"', "max_bytes"),
        ("max_bytes = 99999999999999999", "max_bytes"),
        ("max_bytes = nan", "max_bytes"),
    ],
)
def test_endless_nan_or_huge_values_are_refused(tmp_path: Path, line: str, key: str) -> None:
    message = _refused(_raw_sources(tmp_path / "s.toml", outlet=line), key)
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("defaults", "tables", "key"),
    [
        ('pause_for = "2d"', "", "defaults.pause_for"),
        ("pause_for = nan", "", "defaults.pause_for"),
        ("", '[output]\nsegment_seconds = "2d"', "segment_seconds"),
        ("", '[dedup]\nwindow = "400d"', "window"),
        ("", "[dedup]\nwindow = inf", "window"),
    ],
)
def test_the_global_durations_have_caps_too(tmp_path: Path, defaults: str, tables: str, key: str) -> None:
    _refused(_raw_sources(tmp_path / "s.toml", defaults=defaults, tables=tables), key, outlet=None)


def test_durations_at_their_caps_are_accepted(tmp_path: Path) -> None:
    path = _raw_sources(tmp_path / "s.toml", defaults='pause_for = "1d"',
                        outlet='interval = "30d"\ndelay = "1h"\ntimeout = "1h"\nmax_bytes = "1GB"',
                        tables='[dedup]\nwindow = "365d"')
    settings = load_settings(path)
    (outlet,) = settings.sources
    assert (outlet.interval, outlet.delay, outlet.timeout, outlet.max_bytes) == (30 * 86400, 3600, 3600, 10**9)
    assert settings.dedup_window == 365 * 86400 and settings.pause_for == 86400


@pytest.mark.parametrize("verb", [("sources", "check"), ("backfill",), ("run", "--listen", "off")])
def test_a_nan_interval_stops_every_command_with_exit_2(tmp_path: Path, verb: tuple[str, ...]) -> None:
    _raw_sources(tmp_path / "sources.toml", outlet="interval = nan")
    result = run_cli(*verb, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert 'outlet "yonhap-en": key "interval"' in result.stderr and "Traceback" not in result.stderr


# --- alias files ----------------------------------------------------------------------------------------
def test_a_missing_alias_file_is_a_config_error(tmp_path: Path) -> None:
    path = _raw_sources(tmp_path / "sources.toml", tables='[analyse]\naliases = ["mine.toml"]')
    message = _refused(path, "analyse.aliases", outlet=None)
    assert "mine.toml" in message and "not found" in message
    result = run_cli("sources", "check", cwd=tmp_path)
    assert result.returncode == 2 and 'key "analyse.aliases"' in result.stderr and "mine.toml" in result.stderr


@pytest.mark.parametrize(
    ("text", "words"),
    [("[[name]\ncanonical = 'x'\n", "TOML"), ("[[name]]\nvariants = ['Kim']\n", "canonical")],
)
def test_a_broken_alias_file_is_a_config_error(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / "mine.toml").write_text(text, encoding="utf-8")
    path = _raw_sources(tmp_path / "sources.toml", tables='[analyse]\naliases = ["mine.toml"]')
    message = _refused(path, "analyse.aliases", outlet=None)
    assert "mine.toml" in message and words in message, message


def test_an_alias_file_in_a_legacy_charset_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    # Saved as Latin-1 (ö and ü one byte each), as an old editor on Windows would.
    (tmp_path / "mine.toml").write_bytes(b"[[name]]\ncanonical = 'Choe Son-hui'\nvariants = ['Choe S\xf6n-h\xfci']\n")
    path = _raw_sources(tmp_path / "sources.toml", tables='[analyse]\naliases = ["mine.toml"]')
    assert "not UTF-8 text" in _refused(path, "analyse.aliases", outlet=None)
    result = run_cli("sources", "check", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


def test_a_good_alias_file_loads(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(  # with a byte-order mark first, as some Windows editors save
        "[[name]]\ncanonical = 'Choe Son-hui'\nvariants = ['Choe Son Hui', 'Choi Sun-hee']\n", encoding="utf-8-sig")
    path = _raw_sources(tmp_path / "sources.toml", tables='[analyse]\naliases = ["mine.toml"]')
    assert load_settings(path).alias_files == (str(tmp_path / "mine.toml"),)


# --- allow_private ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ['"yes"', "1", '["10.0.0.1/8"]', '["not a host!"]', '[""]', "[1]", '["999.1.1.1"]', '{ net = "10.0.0.0/8" }',
     '["10.0.0.0/33"]', '["0x7f.1"]'],
)
def test_allow_private_must_be_a_bool_or_networks_and_host_names(tmp_path: Path, value: str) -> None:
    _refused(_raw_sources(tmp_path / "s.toml", outlet=f"allow_private = {value}"), "allow_private")
    _refused(_raw_sources(tmp_path / "d.toml", defaults=f"allow_private = {value}"), "allow_private", outlet=None)


def test_allow_private_networks_and_hosts_are_kept_normalised(tmp_path: Path) -> None:
    path = _raw_sources(tmp_path / "s.toml", defaults="allow_private = true",
                        outlet='allow_private = ["127.0.0.0/8", "Mirror.Intranet", "fd00::/8", "10.0.0.5"]')
    (outlet,) = load_settings(path).sources
    assert outlet.allow_private == ("127.0.0.0/8", "mirror.intranet", "fd00::/8", "10.0.0.5/32")
    (inherited,) = load_settings(_raw_sources(tmp_path / "t.toml", defaults="allow_private = true")).sources
    assert inherited.allow_private is True
    (default,) = load_settings(_raw_sources(tmp_path / "u.toml")).sources
    assert default.allow_private is False
