"""Smoke test of bench/extract_eval.py on a handful of the shared eval pages: a floor, not the target.

The full run (`python bench/extract_eval.py`) is the measurement; this only catches an extractor that
broke outright. Skipped where the eval data is not present.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parent.parent / "bench" / "extract_eval.py"
FLOOR_F1 = 0.9  # the full sets measure about .97; a handful of pages scatters more


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_eval", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    module = _bench()
    data = Path(os.environ.get("EXTRACT_EVAL_DATA", module.DEFAULT_DATA))
    if not (data / "sh" / "ground_truth.jsonl").exists():
        pytest.skip(f"no eval data under {data}")
    module.DATA_FOR_TESTS = data
    return module


def test_metric_matches_the_benchmark_definition(bench: ModuleType) -> None:
    assert bench.page_scores("a b c d e", "a b c d e") == (1.0, 1.0)
    precision, recall = bench.page_scores("one two three four five", "one two three four six")
    assert (precision, recall) == (0.5, 0.5)
    assert bench.page_scores("one two three four", "") == (None, 0.0)  # empty output: no precision
    assert bench.page_scores("", "x y z w") == (0.0, None)


def test_a_handful_of_pages_clear_the_floor(bench: ModuleType) -> None:
    pages = bench.load_pages(bench.DATA_FOR_TESTS, bench.SETS, limit=4)
    results = bench.run(pages, ["newsnorm", "trafilatura"])
    scores = {(s.label, s.extractor): s for s in bench.score(pages, results, ["newsnorm", "trafilatura"])}
    ours, baseline = scores[("all", "newsnorm")], scores[("all", "trafilatura")]
    assert ours.f1 >= FLOOR_F1
    assert ours.empty <= baseline.empty
    line = bench.summary_line(list(scores.values()))
    assert line.startswith("extract: sh_f1=") and "docs_per_s_ratio=" in line
