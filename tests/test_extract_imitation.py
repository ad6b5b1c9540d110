"""Imitation pages (tests/fixtures/imitation/, written by us from descriptions of the outlets' layouts): each site
rule does what it says. That the rules work on the pages the outlets really serve is tests/test_real_pages.py's job."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from scraper.extract import extract_article
from scraper.records import Fetched, Source, iso_utc

GOLDEN = Path(__file__).parent / "fixtures" / "imitation"
CASES = sorted(path.stem for path in GOLDEN.glob("*.json"))


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return case


def _record(name: str) -> dict[str, Any]:
    case = _case(name)
    url = case["url"]
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html",
                      text=(GOLDEN / f"{name}.html").read_text(encoding="utf-8"), encoding="utf-8",
                      fetched_at=datetime.fromisoformat(case["fetched_at"]))
    source = Source(id=name, name=name, languages=(), homepage=url, timezone=case["timezone"])
    article = extract_article(fetched, source)
    return {
        "title": article.title,
        "subtitle": article.subtitle,
        "authors": list(article.authors),
        "published_at": iso_utc(article.published_at) if article.published_at else None,
        "updated_at": iso_utc(article.updated_at) if article.updated_at else None,
        "dateline": article.dateline.to_dict() if article.dateline else None,
        "credit": article.credit,
        "body": article.body,
    }


@pytest.mark.parametrize("name", CASES)
def test_imitation_page_gives_the_expected_record(name: str) -> None:
    expected = _case(name)["expected"]
    got = _record(name)
    for key, value in expected.items():
        assert got[key] == value, f"{name}: {key}"
