"""bench/train_translation_model.py: what a fold's models may read, and a whole fit on a small file."""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from scraper.analyse.statistics import StatisticsModel

BENCH = Path(__file__).parent.parent / "bench"


@pytest.fixture(scope="module")
def trainer() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("train_translation_model", BENCH / "train_translation_model.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def _documents_by_fold(trainer: ModuleType) -> dict[int, list[str]]:
    by_fold: dict[int, list[str]] = {fold: [] for fold in range(trainer.FOLDS)}
    for number in range(1000):
        doc_id = f"doc-{number}"
        by_fold[trainer.fold_of(doc_id)].append(doc_id)
    assert min(len(ids) for ids in by_fold.values()) >= 2
    return by_fold


def test_a_fold_reads_only_the_features_its_training_folds_hold_in_two_documents(trainer: ModuleType) -> None:
    by_fold = _documents_by_fold(trainer)
    held_out, a, b = by_fold[0][0], by_fold[1][0], by_fold[2][0]
    seen = {"held out and one other": {held_out, a},
            "two others": {a, b},
            "two of one fold": {by_fold[1][0], by_fold[1][1]},
            "held out twice": {by_fold[0][0], by_fold[0][1]}}
    vocabulary = tuple(seen)
    known = trainer.known_to_folds(vocabulary, seen)
    assert known.shape == (trainer.FOLDS, len(vocabulary))
    column = {term: i for i, term in enumerate(vocabulary)}
    # Fold 0's models never read a feature only its own documents make common enough.
    assert not known[0, column["held out and one other"]]
    assert not known[0, column["held out twice"]]
    assert known[0, column["two others"]] and known[0, column["two of one fold"]]
    # Fold 1 holding one of the two documents leaves the others one: unknown to it.
    assert not known[1, column["two others"]] and not known[1, column["two of one fold"]]
    assert known[3, column["held out and one other"]] and known[3, column["held out twice"]]


def test_a_feature_in_fewer_windows_weighs_more(trainer: ModuleType) -> None:
    windows = [np.array([0, 1]), np.array([0]), np.array([0, 2]), np.array([0, 2]), np.array([], dtype=np.intp)]
    idf = trainer.inverse_document_frequency(windows, 4)
    assert idf[0] == pytest.approx(1 + np.log(5 / 4), abs=1e-3)  # in four windows of five
    assert idf[1] > idf[2] > idf[0] >= 1.0  # one window, two windows, four
    assert idf[3] == pytest.approx(1 + np.log(5), abs=1e-2)  # in none: as rare as can be
    assert idf.dtype == np.float64 and np.array_equal(idf, idf.astype(np.float16))  # as the model file stores it


_MT = ["It is reported that the reporter learned on the {n}th that the relevant departments will further "
       "strengthen the work of {topic}.", "It is understood that the {topic} work has achieved positive results.",
       "The reporter learned that the next step is to vigorously promote {topic}."]
_HUMAN = ["Officials said on Tuesday they would step up efforts on {topic}, according to people familiar with it.",
          "The plan, which critics call overdue, is meant to tackle {topic} within two years.",
          "\"We are not there yet,\" a spokeswoman said of {topic}."]
_TOPICS = ["flood control", "rural roads", "grain prices", "power grids", "school meals", "port traffic",
           "river cleanup", "housing loans", "bus routes", "water supply", "mine safety", "tax refunds"]


def _text(sentences: list[str], rng: random.Random, topic: str) -> str:
    paragraphs = [" ".join(rng.choice(sentences).format(n=rng.randint(2, 28), topic=topic) for _ in range(3))
                  for _ in range(4)]
    return "\n\n".join(paragraphs)


def _small_file(path: Path, documents: int = 40) -> list[dict[str, str]]:
    rng = random.Random(7)
    rows = []
    for number in range(documents):
        doc_id, pair, topic = f"d{number}", ("zh-en", "ru-en", "ja-en")[number % 3], _TOPICS[number % len(_TOPICS)]
        for system in ("a", "b"):
            rows.append({"doc_id": doc_id, "lang_pair": pair, "kind": "mt", "system": system, "tier": "online",
                         "text": _text(_MT, rng, topic)})
        rows.append({"doc_id": doc_id, "lang_pair": pair, "kind": "human_ref", "system": "ref", "tier": "human_ref",
                     "text": _text(_HUMAN, rng, topic)})
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)
    return rows


def test_a_fit_on_a_small_file_writes_a_model_that_tells_the_two_apart(
        trainer: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, out = tmp_path / "dev.jsonl.gz", tmp_path / "model.npz"
    rows = _small_file(data)

    assert trainer.main([str(data), "--out", str(out)]) == 0
    assert "out of fold, references <= 2%" in capsys.readouterr().out
    model = StatisticsModel.load(out)
    assert model.meta["documents"] == sorted({row["doc_id"] for row in rows})
    assert model.meta["part"] == "all" and set(model.languages) == {"zh", "ru", "ja"}
    mt = _text(_MT, random.Random(99), "coal mines")
    human = _text(_HUMAN, random.Random(99), "coal mines")
    assert model.judge(mt).logit > 0 > model.judge(human).logit


def test_nested_cross_validation_judges_each_part_by_a_model_made_without_it(
        trainer: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("translation_nested", BENCH / "translation_nested.py")
    assert spec is not None and spec.loader is not None
    nested = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH))
    try:
        spec.loader.exec_module(nested)
    finally:
        sys.path.remove(str(BENCH))
    data = tmp_path / "dev.jsonl.gz"
    rows = _small_file(data, documents=60)
    parts = {nested.part_of(row["doc_id"], 3) for row in rows}
    assert parts == {0, 1, 2}  # every part has documents to judge
    for part in parts:  # the parts cut across the trainer's folds: each fit still has all five inside
        fitted = {row["doc_id"] for row in rows if nested.part_of(row["doc_id"], 3) != part}
        assert {trainer.fold_of(doc_id) for doc_id in fitted} == set(range(trainer.FOLDS))

    assert nested.main([str(data), "--parts", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("fit on ") == 3 and "each judged by a model made without it" in out
    figures = dict(item.split("=") for item in out.strip().splitlines()[-1].split(": ", 1)[1].split())
    assert figures["parts"] == "3"
    assert float(figures["mt_flagged"]) > 0.9 and float(figures["human_flagged"]) < 0.1
