"""sources.toml validation: every mistake names the file, the outlet and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, run_cli, write_sources

from scraper.config import load_settings, parse_duration, parse_size
from scraper.errors import ConfigError

GOOD = {"id": "yonhap-en", "name": "Yonhap", "homepage": "https://en.yna.co.kr/", "timezone": "Asia/Seoul",
        "languages": ["en"], "feeds": ["https://en.yna.co.kr/RSS/news.xml"]}


def test_the_shipped_sources_file_is_valid() -> None:
    settings = load_settings(ROOT / "sources.toml")
    ids = {s.id for s in settings.sources}
    assert {"yonhap-en", "yonhap-ko", "kcna-watch", "kcna-en", "rodong-en", "joongang-daily"} <= ids
    assert settings.source("rodong-en").listings and settings.source("kcna-en").timezone == "Asia/Pyongyang"
    assert any("news.google.com/rss/search" in f for s in settings.sources for f in s.feeds)
    yonhap = settings.source("yonhap-en")
    assert yonhap.timezone == "Asia/Seoul" and yonhap.languages == ("en",)


def test_defaults_are_inherited_and_overridable(tmp_path: Path) -> None:
    path = write_sources(tmp_path / "s.toml", [GOOD, {**GOOD, "id": "other", "interval": "1h30m",
                                                             "feeds": ["https://en.yna.co.kr/RSS/politics.xml"]}],
                         interval="15m", user_agent="ua/1")
    first, second = load_settings(path).sources
    assert first.interval == 900 and second.interval == 5400
    assert first.user_agent == second.user_agent == "ua/1"
    assert first.delay == 0.01  # write_sources sets delay = "10ms"


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"feedz": ["https://x.org/"]}, "feedz", "unknown key"),
        ({"interval": "15 minutes"}, "interval", "duration"),
        ({"interval": "-5m"}, "interval", "duration"),
        ({"timezone": "Asia/Pyongyangg"}, "timezone", "unknown timezone"),
        ({"timezone": "Asia/" + "x" * 5000}, "timezone", "unknown timezone"),  # too long for a file name
        ({"feeds": ["ftp://x.org/feed"]}, "feeds", "http(s) URL"),
        ({"feeds": "https://x.org/feed"}, "feeds", "expected a list"),
        ({"homepage": "not a url"}, "homepage", "http(s) URL"),
        ({"id": "Yonhap_EN"}, "id", "lowercase"),
        ({"id": "../../x"}, "id", "lowercase"),
        ({"languages": ["english"]}, "languages", "ISO 639-1"),
        ({"max_bytes": "lots"}, "max_bytes", "size"),
        ({"feeds": []}, "feeds", "at least one of feeds, sitemaps or listings"),
        ({"article_url": "^https://x.org/(news"}, "article_url", "not a valid regular expression"),
        ({"article_url": ".*"}, "article_url", "matches any URL"),
        ({"article_url": ["^https://x.org/"]}, "article_url", "regular expression"),
        ({"quiet_after": "never"}, "quiet_after", 'or "off"'),
        ({"quiet_after": "20m", "interval": "15m"}, "quiet_after", "at least two polls long"),
        ({"revisit_every": "daily"}, "revisit_every", 'or "off"'),
    ],
)
def test_a_mistake_names_file_outlet_and_key(tmp_path: Path, change: dict[str, object], key: str,
                                              words: str) -> None:
    path = write_sources(tmp_path / "s.toml", [{**GOOD, **change}])
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message and f'key "{key}"' in message and words in message
    assert 'outlet "' in message


def test_duplicate_ids_and_missing_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match='outlet "yonhap-en": key "id": duplicate'):
        load_settings(write_sources(tmp_path / "a.toml", [GOOD, GOOD]))
    without_name = {k: v for k, v in GOOD.items() if k != "name"}
    with pytest.raises(ConfigError, match='key "name": missing'):
        load_settings(write_sources(tmp_path / "b.toml", [without_name]))
    # A user writing their first outlet learns every required key at once, not one per attempt.
    only_feeds = {"feeds": GOOD["feeds"]}
    with pytest.raises(ConfigError, match='outlet "#1": keys "id", "name", "homepage" missing'):
        load_settings(write_sources(tmp_path / "c.toml", [only_feeds]))


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[outlet]\nid = 'x'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_a_file_saved_by_a_windows_editor_loads(tmp_path: Path) -> None:
    """A byte-order mark first and CRLF line ends (Notepad's "UTF-8 with BOM") are no error; bytes that are no
    UTF-8 at all are named as such."""
    good = write_sources(tmp_path / "unix.toml", [GOOD])
    windows = tmp_path / "windows.toml"
    windows.write_bytes(b"\xef\xbb\xbf" + good.read_bytes().replace(b"\n", b"\r\n"))
    assert load_settings(windows).sources == load_settings(good).sources
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(good.read_bytes().replace(b'"Yonhap', b'"Yonh\xe4p', 1))
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_settings(latin1)


def test_quiet_after_is_a_duration_or_off(tmp_path: Path) -> None:
    path = write_sources(tmp_path / "s.toml", [{**GOOD, "id": "weekly", "quiet_after": "21d"},
                                               {**GOOD, "id": "never", "quiet_after": "off", "feeds": ["https://y.org/f"]},
                                               {**GOOD, "id": "default", "feeds": ["https://z.org/f"]}])
    quiet = {source.id: source.quiet_after for source in load_settings(path).sources}
    assert quiet == {"weekly": 21 * 86400.0, "never": None, "default": 3 * 86400.0}


def test_durations_and_sizes() -> None:
    assert parse_duration("1h30m") == 5400 and parse_duration("500ms") == 0.5 and parse_duration(20) == 20
    assert parse_size("8MB") == 8_000_000 and parse_size("1KiB") == 1024
    for bad in ("", "5", "m", "1x", True):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_sources_check_lists_outlets_or_exits_2(tmp_path: Path) -> None:
    write_sources(tmp_path / "sources.toml", [GOOD])
    ok = run_cli("sources", "check", cwd=tmp_path)
    assert ok.returncode == 0 and "yonhap-en" in ok.stdout and "1 outlet, valid" in ok.stdout
    write_sources(tmp_path / "sources.toml", [{**GOOD, "intervall": "5m"}])
    bad = run_cli("sources", "check", cwd=tmp_path)
    assert bad.returncode == 2
    assert 'sources.toml: outlet "yonhap-en": key "intervall": unknown key (did you mean "interval"?' in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_listing_without_selectors_needs_the_outlets_article_url(tmp_path: Path) -> None:
    base = ('[[outlet]]\nid = "kcna-en"\nname = "KCNA"\nhomepage = "http://www.kcna.kp/en"\n{extra}'
            '[[outlet.listings]]\nurl = "http://www.kcna.kp/en/article/list/a666dda1282180e0ee1b4427b0574ae7"\n')
    path = tmp_path / "s.toml"
    path.write_text(base.format(extra=""), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert 'outlet "kcna-en": key "listings[0].links"' in str(caught.value) and "article_url" in str(caught.value)
    path.write_text(base.format(extra='article_url = "^https?://www\\\\.kcna\\\\.kp/en/article/detail/[0-9a-f]{32}"\n'),
                    encoding="utf-8")
    (outlet,) = load_settings(path).sources
    assert outlet.listings[0].links is None and outlet.article_url is not None
    assert outlet.article_url.search("http://www.kcna.kp/en/article/detail/05503f758d64c1a0328e43c2f83e4469")
    assert not outlet.article_url.search("http://www.kcna.kp/en/article/list/a666dda1282180e0ee1b4427b0574ae7")
