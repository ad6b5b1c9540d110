"""bench/translation_eval.py reports as unseen only texts whose source document the model was not fitted on."""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from scraper.analyse.statistics import StatisticsModel

BENCH = Path(__file__).parent.parent / "bench" / "translation_eval.py"
FIXTURES = Path(__file__).parent / "fixtures" / "analyse"
SEED_002 = (FIXTURES / "seed-002-machine-translated-zh.txt").read_text(encoding="utf-8")
SEED_000 = (FIXTURES / "seed-000-yonhap-en.txt").read_text(encoding="utf-8")


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("translation_eval", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    return path


def _row(doc_id: str, kind: str, text: str) -> dict[str, str]:
    tier = {"mt": "online", "human_ref": "human_ref"}[kind]
    return {"id": f"{doc_id}/{kind}", "doc_id": doc_id, "lang_pair": "zh-en", "kind": kind, "system": "x",
            "tier": tier, "testset": "t", "text": text}


def _run(tmp_path: Path, rows: list[dict[str, str]], capsys: pytest.CaptureFixture[str]) -> list[str]:
    data = _write(tmp_path / "mt.jsonl.gz", rows)
    (tmp_path / "empty").mkdir(exist_ok=True)
    empty = str(tmp_path / "empty")
    assert _bench().main(["--mt", str(data), "--extract", empty, "--seeds", empty]) == 0
    return capsys.readouterr().out.splitlines()


def test_fitted_documents_are_reported_apart_and_never_counted_as_unseen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fitted = StatisticsModel.load().meta["documents"][0]
    out = _run(tmp_path, [_row("held-out-1", "mt", SEED_002), _row("held-out-1", "human_ref", SEED_000),
                          _row(fitted, "human_ref", SEED_002)], capsys)
    assert "== unseen part: 2 texts of 1 source documents" in out
    assert "== fitted (the model's own texts: in-sample) part: 1 texts of 1 source documents" in out
    assert "95% intervals, resampling the 1 source documents: MT flagged 1.000–1.000, references flagged " \
           "0.000–0.000, MT above 3% of the references 1.000–1.000" in out
    # The last line is the unseen part's: the fitted reference (an MT text, flagged) does not count.
    assert out[-1] == ("translation: mt_detected=1.0000 human_flagged=0.0000 native_flagged=0.0000 "
                       "source_lang_acc=1.0000")


def test_a_file_of_fitted_documents_only_says_its_figures_are_in_sample(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fitted = StatisticsModel.load().meta["documents"][0]
    out = _run(tmp_path, [_row(fitted, "mt", SEED_002)], capsys)
    assert not any(line.startswith("== unseen") for line in out)
    assert "95% intervals, resampling the 1 source documents: MT flagged 1.000–1.000, references flagged n/a, " \
           "MT above 3% of the references n/a" in out
    assert out[-1].endswith("(in-sample: every text's source document was fitted on)")


def test_mt_share_above_a_share_of_the_references() -> None:
    bench = _bench()
    references = np.array([0.9] + [0.1] * 99)
    mt = np.array([0.95, 0.5, 0.05])
    # 1% of 100 references may lie above: the cut is the second highest reference, 0.1.
    assert bench.mt_at_reference_rate(mt, references, 0.01) == pytest.approx(2 / 3)
    assert bench.mt_at_reference_rate(mt, references, 0.0) == pytest.approx(1 / 3)
    assert math.isnan(bench.mt_at_reference_rate(mt, np.array([]), 0.03))  # no references: no such score


def test_intervals_resample_source_documents_not_texts() -> None:
    bench = _bench()

    def text(doc_id: str, kind: str, score: float) -> tuple[dict[str, str], float, None]:
        return ({"doc_id": doc_id, "kind": kind}, score, None)

    # Two documents: every MT of one flagged, none of the other. Drawn by text the share would stay near one
    # half; drawn by document, a draw of the same document twice (one in two) gives 0 or 1.
    results = ([text("a", "mt", 0.9) for _ in range(10)] + [text("b", "mt", 0.1) for _ in range(10)]
               + [text("a", "human_ref", 0.2), text("b", "human_ref", 0.2)])
    bounds = bench.intervals(results, draws=400)
    assert bounds["mt"] == (0.0, 1.0)
    assert bounds["human"] == (0.0, 0.0)
    everything = [text(f"d{n}", "mt", 0.8) for n in range(20)] + [text(f"d{n}", "human_ref", 0.1) for n in range(20)]
    bounds = bench.intervals(everything, draws=200)
    assert bounds["mt"] == (1.0, 1.0) and bounds["human"] == (0.0, 0.0) and bounds["mt_at_3%_references"] == (1.0, 1.0)
