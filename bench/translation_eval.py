"""How well `translation.suspected` tells machine translation from text written or translated by people.

    python bench/translation_eval.py [--mt ../shared/eval/mt/dev.jsonl.gz] [--extract ../shared/eval/extract]
                                     [--model MODEL.npz]

The WMT documents are reported in two parts: those the statistics model never saw (no text of their source
document went into its weights or threshold: the model lists the `doc_id`s it was fitted on), first, and
those it was fitted on, marked in-sample. The shipped model is fitted on all of `dev.jsonl.gz`, so on that
file every text is in-sample and the untouched texts are the held-out half of the WMT sets; to measure the
recipe on the dev data itself, fit a model on its training part and pass it:

    python bench/train_translation_model.py --part training --out /tmp/half.npz
    python bench/translation_eval.py --model /tmp/half.npz

Each part: flagged share of MT (by language pair and system tier), of human references and of English
originals; a sweep of the score threshold; the share of MT above the score that a given share of the
references exceed (1, 2, 3, 5%: how the two separate, whatever the threshold); 95% intervals of the flagged
shares, drawn by resampling source documents (every translation of one document goes together, as the texts
of one document are not independent); the source language named for flagged zh/ru/ja MT (right, wrong, or
none). Then the English ground-truth bodies of the extraction sets (news written by people: the target is
none flagged) and the two seeds. Last line, on the unseen part (on the in-sample part, saying so, when there
is none): `translation: mt_detected=… human_flagged=… native_flagged=… source_lang_acc=…`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wmt import load_documents, reference_cut, source_language

from scraper.analyse import Analyser
from scraper.analyse.translation import THRESHOLD

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
REFERENCE_RATES = (0.01, 0.02, 0.03, 0.05)
DRAWS = 1000  # resamples of the source documents behind each interval
Results = list[tuple[dict[str, Any], float, str | None]]


def mt_at_reference_rate(mt: npt.NDArray[np.float64], references: npt.NDArray[np.float64], rate: float) -> float:
    """The share of `mt` scores above the highest score that at most `rate` of the `references` exceed."""
    if not len(mt) or not len(references):
        return float("nan")
    return float((mt > reference_cut(references, rate)).mean())


def intervals(results: Results, draws: int = DRAWS, seed: int = 0) -> dict[str, tuple[float, float]]:
    """95% intervals of the MT and reference shares flagged (at THRESHOLD), and of the MT share above 3% of the
    references, over `draws` resamples (with replacement) of the source documents; (nan, nan) for a share
    without texts."""
    by_document: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for document, score, _ in results:
        by_document[document["doc_id"]].append((document["kind"], score))
    groups = list(by_document.values())
    generator = np.random.default_rng(seed)
    values: dict[str, list[float]] = {"mt": [], "human": [], "mt_at_3%_references": []}
    for _ in range(draws):
        drawn = [text for number in generator.integers(0, len(groups), len(groups)) for text in groups[number]]
        mt = np.array([score for kind, score in drawn if kind == "mt"])
        references = np.array([score for kind, score in drawn if kind == "human_ref"])
        values["mt"].append(float((mt >= THRESHOLD).mean()) if len(mt) else float("nan"))
        values["human"].append(float((references >= THRESHOLD).mean()) if len(references) else float("nan"))
        values["mt_at_3%_references"].append(mt_at_reference_rate(mt, references, 0.03))
    bounds: dict[str, tuple[float, float]] = {}
    for name, drawn_values in values.items():
        finite = np.array([v for v in drawn_values if not math.isnan(v)])
        bounds[name] = ((float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))) if len(finite)
                        else (float("nan"), float("nan")))
    return bounds


def _span(bounds: tuple[float, float]) -> str:
    return "n/a" if math.isnan(bounds[0]) else f"{bounds[0]:.3f}–{bounds[1]:.3f}"


def judge_part(analyser: Analyser, documents: list[dict[str, Any]]) -> Results:
    results = []
    for document in documents:
        translation = analyser.analyse_text(document["text"], ("en",)).translation
        results.append((document, translation.score, translation.likely_source_language))
    return results


def report_part(name: str, results: Results) -> dict[str, float]:
    flagged = [(d, score >= THRESHOLD, source) for d, score, source in results]
    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for d, is_flagged, _ in flagged:
        groups[(d["lang_pair"], d["tier"])].append(is_flagged)
    print(f"\n== {name} part: {len(results)} texts of {len({d['doc_id'] for d, _, _ in results})} source documents")
    print(f"{'pair':<8}{'tier':<12}{'texts':>7}{'flagged':>9}{'rate':>8}")
    for (pair, tier), values in sorted(groups.items()):
        print(f"{pair:<8}{tier:<12}{len(values):>7}{sum(values):>9}{sum(values) / len(values):>8.3f}")

    tiers: dict[str, list[bool]] = defaultdict(list)
    for d, is_flagged, _ in flagged:
        tiers[d["tier"] if d["kind"] == "mt" else d["kind"]].append(is_flagged)
    print("by tier: " + ", ".join(f"{tier} {sum(v) / len(v):.3f} ({len(v)})" for tier, v in sorted(tiers.items())))

    def rate(kind: str, threshold: float = THRESHOLD) -> float:
        scores = [score for d, score, _ in results if d["kind"] == kind]
        return sum(score >= threshold for score in scores) / max(1, len(scores))

    print(f"threshold sweep (score from which a text is flagged; the record flags from {THRESHOLD}):")
    print(f"  {'score':<7}{'mt':>7}{'human':>8}{'native':>8}")
    for threshold in SWEEP:
        print(f"  {threshold:<7}{rate('mt', threshold):>7.3f}{rate('human_ref', threshold):>8.3f}"
              f"{rate('native_en', threshold):>8.3f}")
    mt_scores = np.array([score for d, score, _ in results if d["kind"] == "mt"])
    reference_scores = np.array([score for d, score, _ in results if d["kind"] == "human_ref"])
    print("MT above the score that at most this share of the references exceed: " + ", ".join(
        f"{share:.0%} → {mt_at_reference_rate(mt_scores, reference_scores, share):.3f}" for share in REFERENCE_RATES))
    bounds = intervals(results)
    print(f"95% intervals, resampling the {len({d['doc_id'] for d, _, _ in results})} source documents: "
          f"MT flagged {_span(bounds['mt'])}, references flagged {_span(bounds['human'])}, MT above 3% of the "
          f"references {_span(bounds['mt_at_3%_references'])}")
    named: Counter[str] = Counter()
    for d, is_flagged, source in flagged:
        if d["kind"] == "mt" and is_flagged and source_language(d):
            named["none" if source is None else "right" if source == source_language(d) else "wrong"] += 1
    total = sum(named.values())
    accuracy = named["right"] / max(1, named["right"] + named["wrong"])
    print(f"source language of {total} flagged MT texts: right {named['right']}, wrong {named['wrong']}, "
          f"none {named['none']} (right among those named: {accuracy:.3f})")
    return {"mt": rate("mt"), "human": rate("human_ref"), "native": rate("native_en"), "source": accuracy}


def english_bodies(analyser: Analyser, folder: Path) -> None:
    total = flagged = 0
    signals: Counter[str] = Counter()
    highest: list[tuple[float, str]] = []
    for truth in sorted(folder.glob("*/ground_truth.jsonl")):
        for line in truth.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("lang") != "en" or not row.get("body", "").strip():
                continue
            translation = analyser.analyse_text(row["body"], ("en",)).translation
            total += 1
            flagged += translation.suspected
            signals.update({s.kind for s in translation.signals if not s.evidence[0].startswith("not judged")})
            highest.append((translation.score, f"{truth.parent.name}/{row['id']}"))
    print(f"\n== English bodies of eval/extract (written by people): {flagged} of {total} flagged")
    print("bodies carrying each signal: " + ", ".join(f"{k}={n}" for k, n in sorted(signals.items())))
    print("highest scores: " + ", ".join(f"{s:.2f}" for s, _ in sorted(highest, reverse=True)[:5]))


def seeds(analyser: Analyser, folder: Path) -> None:
    print("\n== seeds")
    for path in sorted(folder.glob("*.txt")):
        translation = analyser.analyse_text(path.read_text(encoding="utf-8"), ("en",)).translation
        print(f"{path.name}: suspected={translation.suspected} score={translation.score:.2f} "
              f"source={translation.likely_source_language} signals={[s.kind for s in translation.signals]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mt", default=str(SHARED / "eval" / "mt" / "dev.jsonl.gz"))
    parser.add_argument("--extract", default=str(SHARED / "eval" / "extract"))
    parser.add_argument("--seeds", default=str(SHARED / "seeds"))
    parser.add_argument("--model", help="a translation statistics model other than the shipped one "
                        "(bench/train_translation_model.py --out)")
    args = parser.parse_args(argv)
    analyser = Analyser(statistics_model=args.model)
    analyser.warm_up()
    started = time.perf_counter()
    fitted = set(analyser.statistics.meta.get("documents", ()))
    documents = load_documents(Path(args.mt))
    unseen = [d for d in documents if d["doc_id"] not in fitted]
    seen = [d for d in documents if d["doc_id"] in fitted]
    validation = report_part("unseen", judge_part(analyser, unseen)) if unseen else None
    training = report_part("fitted (the model's own texts: in-sample)", judge_part(analyser, seen)) if seen else None
    english_bodies(analyser, Path(args.extract))
    seeds(analyser, Path(args.seeds))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    last = validation or training
    if last is None:
        parser.error(f"no documents in {args.mt}")
    print(f"translation: mt_detected={last['mt']:.4f} human_flagged={last['human']:.4f} "
          f"native_flagged={last['native']:.4f} source_lang_acc={last['source']:.4f}"
          + ("" if validation else " (in-sample: every text's source document was fitted on)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
