"""Canonical URLs and record ids: what decides whether two links are one report."""

from __future__ import annotations

from scraper.urls import canonicalize, leads_back, other_addresses, record_id, same_site


def test_tracking_and_configured_parameters_go_the_rest_stays_as_written() -> None:
    url = "HTTPS://En.Yna.co.kr:443/view/AEN20251031001200315?section=news&input=rss&utm_source=x&fbclid=1#top"
    assert canonicalize(url, ["section", "input"]) == "https://en.yna.co.kr/view/AEN20251031001200315"
    assert canonicalize("http://x.org:8080/a?b=1&c=%20d") == "http://x.org:8080/a?b=1&c=%20d"


def test_session_ids_are_no_part_of_an_address() -> None:
    """A server that writes its session id into links for a reader without cookies (Java's ";jsessionid=", PHP's,
    ASP's) lists every article at a new address each poll."""
    for url in ("https://x.org/news/view.do;jsessionid=0A1B2C3D?id=5", "https://x.org/news/view.do;JSESSIONID=9?id=5",
                "https://x.org/news/view.do?PHPSESSID=abc&id=5", "https://x.org/news/view.do?id=5&ASPSESSIONIDQACT=x"):
        assert canonicalize(url) == "https://x.org/news/view.do?id=5"
    assert canonicalize("https://x.org/a?sid=123&id=5") == "https://x.org/a?sid=123&id=5"  # may be a section's id


def test_rodong_base64_keys_survive() -> None:
    url = "http://www.rodong.rep.kp/en/index.php?MTJAMjAyNi0wMi0xOS0wMDNAMUAxQEAwQDhA=="
    assert canonicalize(url) == url


def test_spellings_of_one_address_are_one_canonical_url() -> None:
    korean = "https://news.example/%EA%B8%B0%EC%82%AC/1"  # /기사/1 as a request carries it
    for spelling in ("https://news.example/기사/1", "https://news.example/%ea%b8%b0%ec%82%ac/1",
                     "https://news.example/%EA%B8%B0%ec%82%ac/1", "https://news.example/x/../%EA%B8%B0%EC%82%AC/./1"):
        assert canonicalize(spelling) == korean
    assert canonicalize("https://x.org/%61rticle-%32%7e?q=%7E&r=%2d") == "https://x.org/article-2~?q=~&r=-"
    assert canonicalize("https://x.org/a b/?q=한 글") == "https://x.org/a%20b/?q=%ED%95%9C%20%EA%B8%80"
    assert canonicalize("http://стопкоронавирус.рф/news") == "http://xn--80aesfpebagmfblc0a.xn--p1ai/news"
    assert canonicalize("https://x.org/a/b/..") == "https://x.org/a/" and canonicalize("https://x.org/..") == "https://x.org/"


def test_what_is_data_stays_as_the_site_wrote_it() -> None:
    # An escaped reserved character is not that character ("%2F" in a path is no "/"); only its hex case goes.
    assert canonicalize("https://x.org/a%2fb?k=%3d%26") == "https://x.org/a%2Fb?k=%3D%26"
    assert canonicalize("https://x.org/a%2Fb") != canonicalize("https://x.org/a/b")
    assert canonicalize("https://x.org/?k=a+b") != canonicalize("https://x.org/?k=a%20b")
    assert canonicalize("https://x.org/100%/sale%zz") == "https://x.org/100%/sale%zz"  # no escape: kept
    plain = "https://x.org/a|b^c~d[e]@f:g;h=i!j$k&l'm(n)o*p+q,r.html?x=1&y=(2)"
    assert canonicalize(plain) == plain


def test_a_canonical_url_is_its_own_canonical_url() -> None:
    for url in ("https://news.example/기사/1?q=한글&utm_source=x", "https://x.org/%7e/a/./b/../%2f%zz",
                "http://стопкоронавирус.рф/a b", "https://x.org/?MTJA==&a=%3d", "https://x.org"):
        once = canonicalize(url)
        assert canonicalize(once) == once


def test_record_ids_are_stable_and_per_outlet() -> None:
    first = record_id("yonhap-en", "https://en.yna.co.kr/view/A")
    assert first == record_id("yonhap-en", "https://en.yna.co.kr/view/A")
    assert first != record_id("joongang-daily", "https://en.yna.co.kr/view/A")
    assert first.startswith("yonhap-en-") and len(first) == len("yonhap-en-") + 20


def test_same_site_ignores_www_and_mobile_prefixes() -> None:
    assert same_site("https://www.koreaherald.com/a", "https://m.koreaherald.com/b")
    assert not same_site("https://koreaherald.com/a", "https://koreatimes.co.kr/a")


def test_an_articles_other_addresses_are_its_sites_other_schemes_and_host_names() -> None:
    assert sorted(other_addresses("http://www.kcna.kp/en/a")) == [
        "http://kcna.kp/en/a", "http://m.kcna.kp/en/a", "https://kcna.kp/en/a", "https://m.kcna.kp/en/a",
        "https://www.kcna.kp/en/a"]
    assert "https://www.x.org/a?b=1" in other_addresses("https://amp.x.org/a?b=1")  # the same site's page
    assert other_addresses("ftp://x.org/a") == []


def test_a_page_that_offers_to_lead_back_to_the_article_stands_in_its_way() -> None:
    article = "https://news.example/view/123"
    for final in ("https://consent.news.example/?continue=https://news.example/view/123",
                  "https://consent.news.example/ml?continue=https%3A%2F%2Fnews.example%2Fview%2F123%3Fref%3Drss&hl=fr",
                  "https://news.example/login?next=/view/123",
                  "https://news.example/wp-login.php?redirect_to=https%253A%252F%252Fnews.example%252Fview%252F123"):
        assert leads_back(article, final), final
    for final in ("https://www.news.example/view/123",  # a move, not a gate
                  "https://news.example/view/123/?utm_source=x",  # the page itself
                  "https://news.example/view/123/amp?from=https://news.example/view/123",
                  "https://news.example/view/1234?ref=/view/123x",
                  "https://consent.news.example/?continue=https://news.example/view/1234",  # another page's gate
                  "https://consent.other.example/?continue=https://news.example/view/123",  # no gate of this site's
                  "https://web.archive.org/web/2026/https://news.example/view/123"):  # named in the path, not a query
        assert not leads_back(article, final), final
    assert not leads_back("https://news.example/", "https://news.example/login?next=/")  # a root: no article
    # A redirector that names where the reader came from is no gate; Google's consent wall for its news is.
    assert not leads_back("https://t.co/abc", "https://news.example/view/9?ref=https://t.co/abc")
    assert leads_back("https://news.google.com/rss/articles/CBMi?oc=5",
                      "https://consent.google.com/ml?continue=https://news.google.com/rss/articles/CBMi?oc%3D5&gl=FR")
    assert leads_back("https://m.yna.co.kr/view/AKR1", "https://login.yna.co.kr/?returnUrl=%2Fview%2FAKR1")
