"""Drift of an outlet's own rules: counted per outlet and rule, a problem after `drift_after` pages in a row (in
/healthz, metrics, `scraper stats`), logged once, and never a stop of collection."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from pytest_httpx import HTTPXMock

from scraper.analyse import Analyser
from scraper.config import load_settings
from scraper.daemon import Daemon
from scraper.drift import RuleWatch
from scraper.fetch import Fetcher
from scraper.metrics import Metrics
from scraper.pipeline import Pipeline, PipelineOptions
from scraper.records import Listing, RuleOutcome, Settings
from scraper.sink import JsonlSink
from scraper.state import State

REAL = Path(__file__).parent / "fixtures" / "real" / "rodong-en"
LIST_URL = "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_01_02&iMenuID=2"
ARTICLE = "http://www.rodong.rep.kp/en/index.php?strPageID=SF01_02_01&newsID=2022-02-11-0008"
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_three_misses_in_a_row_are_a_problem_a_match_ends_it_and_the_counts_survive_a_restart(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = State(tmp_path / "s.sqlite")
    metrics = Metrics()
    watch = RuleWatch(state, metrics, limit=3)
    miss, hit = RuleOutcome("title", False), RuleOutcome("title", True)
    with caplog.at_level(logging.INFO, logger="scraper.drift"):
        for _ in range(2):
            watch.note("kcna-en", [miss, RuleOutcome("body", True)], NOW)
        assert watch.problems() == []
        watch.note("kcna-en", [miss], NOW)
        (problem,) = watch.problems()
        assert problem.startswith('kcna-en: rule "title" matched nothing on its last 3 pages')
        assert "sources check --live --source kcna-en" in problem
        for _ in range(5):
            watch.note("kcna-en", [miss], NOW)
    # One line when the rule first misses, one when it becomes a problem: not one per page.
    assert [r.levelname for r in caplog.records if "title" in r.getMessage()] == ["WARNING", "ERROR"]
    assert _value(metrics, "scraper_rule_misses_total", outlet="kcna-en", rule="title") == 8
    assert _value(metrics, "scraper_rule_misses_total", outlet="kcna-en", rule="body") is None
    assert _value(metrics, "scraper_rule_drift", outlet="kcna-en", rule="title") == 1
    watch.save()
    # A new process over the same state store knows the drift, and says so in its gauge at once.
    again = RuleWatch(state, Metrics(), limit=3)
    assert [c.rule for c in again.drifted()] == ["title"] and again.drifted()[0].misses_in_row == 8
    again.note("kcna-en", [hit], NOW)
    assert again.problems() == []
    again.save()
    (title,) = [c for c in state.outlets.rule_checks() if c.rule == "title"]
    assert (title.misses_in_row, title.misses, title.pages) == (0, 8, 9) and title.last_match == NOW
    state.close()


def _renamed(html: str) -> str:
    return re.sub(r'class="[^"]*"', 'class="x"', html)


async def test_a_redesigned_listing_keeps_collecting_and_shows_in_healthz(tmp_path: Path,
                                                                          httpx_mock: HTTPXMock) -> None:
    """The real 2022 Rodong list with every class renamed: the listing's selectors find nothing, the links come
    from article_url, the articles are written, and after three polls /healthz names the rule."""
    shipped = load_settings(ROOT / "sources.toml").source("rodong-en")
    listing = Listing(url=LIST_URL, item="div.ListNewsLineContainer", links="div.ListNewsLineTitleW a",
                      dates="div.ListNewsLineDate")
    source = replace(shipped, listings=(listing,), delay=0.001, max_articles=1)
    httpx_mock.add_response(url=LIST_URL, html=_renamed((REAL / "oldlayout-2022-02-11-listing-news.html")
                                                         .read_text(encoding="utf-8")), is_reusable=True)
    httpx_mock.add_response(url=ARTICLE, html=(REAL / "oldlayout-2022-02-11-article-0008.html")
                            .read_text(encoding="utf-8"))
    httpx_mock.add_response(url=re.compile(r".*newsID=2022-02-(?!11-0008).*"), status_code=404, is_reusable=True)
    state = State(tmp_path / "s.sqlite")
    sink = JsonlSink(tmp_path / "out")
    metrics = Metrics()
    async with Fetcher(robots=False) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser(), PipelineOptions(drift_after=3), observer=metrics)
        summaries = []
        for _ in range(3):
            summaries.append(await pipeline.poll(source, limit=source.max_articles))
            pipeline.flush()
        daemon = Daemon(Settings(path="sources.toml", sources=(source,)), pipeline, metrics=metrics,
                        output_root=tmp_path / "out")
        problems = daemon.health()
        pipeline.close()
    sink.close()
    assert summaries[0].written == 1  # the newest article, found by article_url, extracted by the site rules
    records = [json.loads(line) for f in sorted((tmp_path / "out").glob("*/*/*/*.jsonl"))
               for line in f.read_text().splitlines()]
    assert [r["title"] for r in records] == ["2nd Grand Workshop for Officials in Construction Sector Continues"]
    assert any('rodong-en: rule "listing[0].item" matched nothing on its last 3 pages' in p for p in problems)
    assert _value(metrics, "scraper_rule_misses_total", outlet="rodong-en", rule="listing[0].item") == 3
    assert _value(metrics, "scraper_rule_drift", outlet="rodong-en", rule="listing[0].item") == 1
    # The page rules matched the real article: no drift there.
    assert _value(metrics, "scraper_rule_misses_total", outlet="rodong-en", rule="title") is None
    state.close()


def test_stats_shows_the_drifting_rules(tmp_path: Path) -> None:
    state = State(tmp_path / "output.state.sqlite")
    watch = RuleWatch(state, Metrics(), limit=3)
    for _ in range(4):
        watch.note("kcna-en", [RuleOutcome("listing[0].item", False), RuleOutcome("date", True)], NOW)
    for _ in range(3):
        watch.note("rodong-en", [RuleOutcome("title", False)], NOW)  # never polled by this store, and still listed
    watch.note("belta-en", [RuleOutcome("title", False)], NOW)  # one miss is no drift
    watch.save()
    state.outlets.record_poll("kcna-en", NOW, "ok", "", [])
    state.close()
    table = run_cli("--output", str(tmp_path / "output"), "stats", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[-2:] == ["drifting", "rules"]
    kcna = next(row for row in rows if row.startswith("kcna-en"))
    assert kcna.endswith("listing[0].item(4)")
    assert next(row for row in rows if row.startswith("rodong-en")).endswith("title(3)")
    assert next(row for row in rows if row.startswith("belta-en")).endswith("-")
    as_json = run_cli("--output", str(tmp_path / "output"), "stats", "--json", cwd=tmp_path)
    by_outlet = {row["outlet"]: row for row in map(json.loads, as_json.stdout.splitlines())}
    assert by_outlet["kcna-en"]["rules_drifting"] == [
        {"rule": "listing[0].item", "misses_in_row": 4, "last_match": None}]
