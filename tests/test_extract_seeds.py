"""The two seed articles as an outlet would serve them: chrome around the article, and chrome inside it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scraper.extract import extract_article
from scraper.records import Article, Fetched, Source

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
PAGES = [
    ("000_joongang.html", "000", "https://koreajoongangdaily.joins.com/news/2025-10-31/national/northKorea/x/2432871"),
    ("000_joongang_inline.html", "000", "https://koreajoongangdaily.joins.com/news/2025-10-31/national/northKorea/x/2432871"),
    ("002_translated.html", "002", "https://world.example-news.cn/en/2024-07-24/belarus-fm-dprk.html"),
    ("002_translated_inline.html", "002", "https://world.example-news.cn/en/2024-07-24/belarus-fm-dprk.html"),
]


def _expected(seed: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SEEDS / f"{seed}.json").read_text(encoding="utf-8"))
    return data


def _extract(page: str, url: str) -> Article:
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html",
                      text=(SEEDS / page).read_text(encoding="utf-8"), encoding="utf-8",
                      fetched_at=datetime(2026, 11, 1, tzinfo=UTC))
    source = Source(id="seed", name="Seed outlet", languages=("en",), homepage=url, timezone="Asia/Seoul")
    return extract_article(fetched, source)


@pytest.mark.parametrize(("page", "seed", "url"), PAGES)
def test_body_has_every_article_paragraph_and_no_chrome(page: str, seed: str, url: str) -> None:
    expected = _expected(seed)
    article = _extract(page, url)
    for paragraph in expected["paragraphs"]:
        assert paragraph in article.paragraphs, paragraph
    for chrome in expected["chrome"]:
        assert chrome not in article.paragraphs, chrome
        if len(chrome.split()) >= 3:
            assert not any(chrome in p for p in article.paragraphs), chrome
    assert list(article.paragraphs) == expected["paragraphs"]
    assert article.title == expected["title"]


@pytest.mark.parametrize("page", ["000_joongang.html", "000_joongang_inline.html"])
def test_seed_000_credits_yonhap(page: str) -> None:
    article = _extract(page, PAGES[0][2])
    assert article.credit == "Yonhap"
    assert "Yonhap" not in article.authors
    assert article.published_at == datetime(2025, 10, 31, 1, 40, tzinfo=UTC)
    assert article.updated_at == datetime(2025, 10, 31, 6, 2, tzinfo=UTC)


def test_removed_language_menu_is_kept_as_residue_for_the_translation_analysis() -> None:
    article = _extract("002_translated_inline.html", PAGES[3][2])
    menus = [r for r in article.residue if r.kind == "language_menu"]
    assert [r.text for r in menus] == [_expected("002")["chrome"][2]]
    assert menus[0].paragraph == 0
