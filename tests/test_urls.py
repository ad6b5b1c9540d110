"""Canonical URLs and record ids: what decides whether two links are one report."""

from __future__ import annotations

from scraper.urls import canonicalize, record_id, same_site


def test_tracking_and_configured_parameters_go_the_rest_stays_as_written() -> None:
    url = "HTTPS://En.Yna.co.kr:443/view/AEN20251031001200315?section=news&input=rss&utm_source=x&fbclid=1#top"
    assert canonicalize(url, ["section", "input"]) == "https://en.yna.co.kr/view/AEN20251031001200315"
    assert canonicalize("http://x.org:8080/a?b=1&c=%20d") == "http://x.org:8080/a?b=1&c=%20d"


def test_rodong_base64_keys_survive() -> None:
    url = "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNi0wMi0xOS0wMDNAMUAxQEAwQDhA=="
    assert canonicalize(url) == url


def test_record_ids_are_stable_and_per_outlet() -> None:
    first = record_id("yonhap-en", "https://en.yna.co.kr/view/A")
    assert first == record_id("yonhap-en", "https://en.yna.co.kr/view/A")
    assert first != record_id("joongang-daily", "https://en.yna.co.kr/view/A")
    assert first.startswith("yonhap-en-") and len(first) == len("yonhap-en-") + 20


def test_same_site_ignores_www_and_mobile_prefixes() -> None:
    assert same_site("https://www.koreaherald.com/a", "https://m.koreaherald.com/b")
    assert not same_site("https://koreaherald.com/a", "https://koreatimes.co.kr/a")
