"""Fit the translation statistics (scraper/analyse/statistics.py) on the WMT dev data.

    python bench/train_translation_model.py [../shared/eval/mt/dev.jsonl.gz] [--part all|training]
                                            [--out scraper/data/translation/model.npz]

The shipped model is fitted with `--part all`: every document of dev.jsonl.gz (the other half of the WMT sets,
held out by whoever made the file, is what checks it). `--part training` fits on the training part only, so
that `bench/translation_eval.py --model` can measure the recipe on the validation part, which it never saw:
a document is in `validation` when the first byte of SHA-256 of its `doc_id` is odd, else in `training`;
every output of one source document (each system's translation and the human reference) goes with it, and
so does an English original. Everything comes from the documents fitted on: the function words (those in
most texts), the vocabulary, each feature's inverse document frequency over the windows (by which the MT model
weighs it; each fold's from its own training folds), the regularisation (chosen by 5-fold cross-validation
over source documents) and the threshold (from the out-of-fold scores: at most 2% of the references and none
of the English originals above it; each fold's models read only the features of their own training folds, as the final
model reads a new text). The model lists the `doc_id`s it was fitted on, so that the evaluation can tell seen
from unseen text.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import minimize

from scraper.analyse.statistics import StatisticsModel, features, mixed_design, tokens

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wmt import load_documents, reference_cut, source_language

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "mt" / "dev.jsonl.gz"
DEFAULT_OUT = ROOT / "scraper" / "data" / "translation" / "model.npz"
LANGUAGES = ("zh", "ru", "ja")
MIN_DOCUMENTS = 2  # a feature is kept when it occurs in texts of at least this many source documents
FUNCTION_WORDS = 300  # the words found in most training texts, kept as themselves in the shape n-grams
FOLDS = 5
SOURCE_LAMBDA = 1e-4
MT_LAMBDAS = (1e-5, 3e-5, 1e-4)
WINDOW = 8  # paragraphs
SELECTION_RATES = (0.01, 0.03)  # lambda: the best mean out-of-fold MT share flagged at these reference shares
REFERENCE_RATE = 0.02  # share of training references allowed above the threshold (the target is 3%)
Matrix = sparse.csr_matrix
Vector = npt.NDArray[np.float64]


def function_words(documents: Sequence[dict[str, Any]], count: int = FUNCTION_WORDS) -> frozenset[str]:
    """The `count` words (lower case, letters only) that occur in the most texts."""
    spread: Counter[str] = Counter()
    for document in documents:
        spread.update({token for token in tokens(document["text"]) if token.isalpha()})
    return frozenset(word for word, _ in spread.most_common(count))


def windows(text: str) -> list[str]:
    """The text, and for a long one its windows of WINDOW paragraphs, each starting half a window on."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    if len(paragraphs) <= WINDOW:
        return [text]
    step = WINDOW // 2
    return ["\n\n".join(paragraphs[i:i + WINDOW]) for i in range(0, len(paragraphs), step)
            if len(paragraphs[i:i + WINDOW]) >= step]


def fold_of(doc_id: str) -> int:
    return hashlib.sha256(("fold:" + doc_id).encode("utf-8")).digest()[0] % FOLDS


def known_to_folds(vocabulary: Sequence[str], seen: dict[str, set[str]]) -> npt.NDArray[np.bool_]:
    """(fold, feature): whether the feature is in the vocabulary of a model fitted without that fold, that is
    in texts of MIN_DOCUMENTS source documents of the other folds. A fold's models read only those features, as
    a model meets a new text: else the out-of-fold scores, and the threshold read from them, come out optimistic
    (a feature of the held-out documents and of one other would be read)."""
    fold_by_document = {doc_id: fold_of(doc_id) for ids in seen.values() for doc_id in ids}
    in_fold = np.zeros((FOLDS, len(vocabulary)), dtype=np.intp)
    for i, term in enumerate(vocabulary):
        for doc_id in seen[term]:
            in_fold[fold_by_document[doc_id], i] += 1
    return np.asarray((in_fold.sum(axis=0) - in_fold) >= MIN_DOCUMENTS)


def fit_binary(x: Matrix, y: Vector, weights: Vector, lam: float) -> tuple[Vector, float]:
    """L2-regularised logistic regression, weighted examples; (weights, bias)."""
    size = x.shape[1]

    def loss(parameters: Vector) -> tuple[float, Vector]:
        w, b = parameters[:size], parameters[size]
        z = x @ w + b
        value = float((weights * (np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y))).sum() + lam * (w @ w) / 2)
        g = weights * (1 / (1 + np.exp(-z)) - y)
        return value, np.concatenate([x.T @ g + lam * w, [g.sum()]])

    result = minimize(loss, np.zeros(size + 1), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    return result.x[:size], float(result.x[size])


def fit_softmax(x: Matrix, labels: npt.NDArray[np.intp], classes: int, lam: float) -> tuple[Vector, Vector]:
    """L2-regularised multinomial logistic regression, classes weighted equally; (weights, bias)."""
    size = x.shape[1]
    target = np.eye(classes)[labels]
    weights = (1.0 / np.bincount(labels, minlength=classes))[labels] / classes

    def loss(parameters: Vector) -> tuple[float, Vector]:
        w = parameters[:size * classes].reshape(size, classes)
        b = parameters[size * classes:]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = float(-(weights[:, None] * target * log_p).sum() + lam * (w * w).sum() / 2)
        g = weights[:, None] * (np.exp(log_p) - target)
        return value, np.concatenate([(x.T @ g + lam * w).ravel(), g.sum(axis=0)])

    result = minimize(loss, np.zeros(size * classes + classes), jac=True, method="L-BFGS-B",
                      options={"maxiter": 1000})
    return result.x[:size * classes].reshape(size, classes), result.x[size * classes:]


def softmax(z: Vector) -> Vector:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def plain_matrix(rows: Sequence[npt.NDArray[np.intp]], size: int) -> Matrix:
    data, indices, indptr = [], [], [0]
    for text_rows in rows:
        data.extend([1.0 / np.sqrt(max(1, len(text_rows)))] * len(text_rows))
        indices.extend(text_rows.tolist())
        indptr.append(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), size))


def inverse_document_frequency(rows: Sequence[npt.NDArray[np.intp]], size: int) -> Vector:
    """ln(windows / windows holding the feature) + 1 for each of `size` features over the windows given as
    `rows`, rounded to float16 as the model file stores it, so that training reads what the package reads."""
    counts = np.bincount(np.concatenate([*rows, np.zeros(0, dtype=np.intp)]), minlength=size)
    idf = np.log(max(1, len(rows)) / np.maximum(counts, 1)) + 1.0
    return idf.astype(np.float16).astype(np.float64)


def threshold_at(scores: Vector, negatives: npt.NDArray[np.bool_], natives: npt.NDArray[np.bool_],
                 rate: float) -> float:
    """The lowest score that at most `rate` of the references and none of the originals exceed."""
    cut = reference_cut(scores[negatives & ~natives], rate)
    return float(max(cut, scores[natives].max() if natives.any() else -np.inf))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--part", choices=("all", "training"), default="all",
                        help="fit on all the dev data (as shipped) or on its training part only, to measure the "
                        "recipe on the validation part")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    documents = load_documents(Path(args.data), args.part)
    print(f"{args.part} part: {len(documents)} texts of {len({d['doc_id'] for d in documents})} source documents")
    model = fit(documents, f"WMT21-23 news test sets (eval/mt/dev.jsonl.gz), {args.part} part", args.part)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    print(f"lambda {model.meta['lambda']:g}, threshold {model.threshold:.3f}; wrote {out} "
          f"({out.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f} s")
    return 0


def fit(documents: Sequence[dict[str, Any]], trained_on: str, part: str) -> StatisticsModel:
    """The whole recipe on `documents`: function words, vocabulary, idf, both models, the lambda and the
    threshold chosen out of fold; progress printed."""
    # The models learn from windows of a few paragraphs (more, and more varied, examples than whole texts:
    # there are few references); they are judged, out of fold, on whole texts as they will meet them.
    common = function_words(documents)
    units = [(number, window) for number, document in enumerate(documents) for window in windows(document["text"])]
    owner = np.array([number for number, _ in units])
    unit_terms = [features(text, common) for _, text in units]
    seen: dict[str, set[str]] = defaultdict(set)
    for (number, _), terms in zip(units, unit_terms, strict=True):
        for term in terms:
            seen[term].add(documents[number]["doc_id"])
    vocabulary = tuple(sorted(term for term, ids in seen.items() if len(ids) >= MIN_DOCUMENTS))
    index = {term: i for i, term in enumerate(vocabulary)}
    folds = np.array([fold_of(d["doc_id"]) for d in documents])
    known_without = known_to_folds(vocabulary, seen)

    def rows_of(all_terms: Sequence[set[str]]) -> list[npt.NDArray[np.intp]]:
        return [np.fromiter((index[t] for t in terms if t in index), dtype=np.intp) for terms in all_terms]

    unit_rows = rows_of(unit_terms)
    text_rows = rows_of([features(d["text"], common) for d in documents])
    size = len(vocabulary)
    labels = np.array([LANGUAGES.index(s) if (s := source_language(d)) else -1 for d in documents])
    is_mt = np.array([d["kind"] == "mt" for d in documents], dtype=float)
    natives = np.array([d["kind"] == "native_en" for d in documents])
    print(f"{len(units)} windows; vocabulary: {size} features")

    def fold_rows(rows: Sequence[npt.NDArray[np.intp]], fold: int) -> list[npt.NDArray[np.intp]]:
        return [one[known_without[fold, one]] for one in rows]

    # Source language: out-of-fold probabilities for every window and text (the MT model trains on those, as
    # it will meet them), then the model of the whole training part.
    translated = labels[owner] >= 0
    unit_mixes = np.zeros((len(units), len(LANGUAGES)))
    text_mixes = np.zeros((len(documents), len(LANGUAGES)))
    for fold in range(FOLDS):
        fold_units = plain_matrix(fold_rows(unit_rows, fold), size)
        fold_texts = plain_matrix(fold_rows(text_rows, fold), size)
        train = translated & (folds[owner] != fold)
        w, b = fit_softmax(fold_units[train], labels[owner][train], len(LANGUAGES), SOURCE_LAMBDA)
        unit_mixes[folds[owner] == fold] = softmax(fold_units[folds[owner] == fold] @ w + b)
        text_mixes[folds == fold] = softmax(fold_texts[folds == fold] @ w + b)
    accuracy = float((text_mixes.argmax(axis=1) == labels)[labels >= 0].mean())
    print(f"source language of whole texts, out of fold: accuracy {accuracy:.3f}")
    source_w, source_b = fit_softmax(plain_matrix(unit_rows, size)[translated], labels[owner][translated],
                                     len(LANGUAGES), SOURCE_LAMBDA)

    # The MT model learns each language's weights from texts of that language (the source is known in
    # training); English originals, which have none, are mixed as the source model reads them.
    known = labels[owner] >= 0
    unit_mixes[known] = np.eye(len(LANGUAGES))[labels[owner][known]]
    columns = size * (1 + len(LANGUAGES))

    def design(rows: Sequence[npt.NDArray[np.intp]], mixes: npt.NDArray[np.float64], idf: Vector) -> Matrix:
        return sparse.csr_matrix(mixed_design(rows, mixes, idf), shape=(len(rows), columns))

    unit_mt = is_mt[owner]
    weights = np.where(unit_mt == 1, 0.5 / unit_mt.sum(), 0.5 / (1 - unit_mt).sum())
    negatives = is_mt == 0
    # One fold's matrices at a time (each holds every window), fitted with every lambda.
    all_scores = {lam: np.zeros(len(documents)) for lam in MT_LAMBDAS}
    for fold in range(FOLDS):
        train = folds[owner] != fold
        rows_known = fold_rows(unit_rows, fold)
        idf = inverse_document_frequency([one for one, fitted in zip(rows_known, train, strict=True) if fitted], size)
        units_design = design(rows_known, unit_mixes, idf)[train]
        texts_design = design(fold_rows(text_rows, fold), text_mixes, idf)[folds == fold]
        for lam in MT_LAMBDAS:
            w, b = fit_binary(units_design, unit_mt[train], weights[train], lam)
            all_scores[lam][folds == fold] = texts_design @ w + b
        del units_design, texts_design
    best: tuple[float, float, Vector] | None = None
    for lam, scores in all_scores.items():
        recalls = [float((scores[is_mt == 1] > threshold_at(scores, negatives, natives, rate)).mean())
                   for rate in SELECTION_RATES]
        recall = sum(recalls) / len(recalls)
        print(f"lambda {lam:g}: out-of-fold MT flagged " + ", ".join(
            f"{r:.3f} at references <= {rate:.0%}" for r, rate in zip(recalls, SELECTION_RATES, strict=True)))
        if best is None or recall > best[1]:
            best = (lam, recall, scores)
    assert best is not None
    lam, _, scores = best
    idf = inverse_document_frequency(unit_rows, size)
    mt_w, mt_b = fit_binary(design(unit_rows, unit_mixes, idf), unit_mt, weights, lam)
    # The threshold is read on out-of-fold scores: the final model is as unsure of a new text as the fold
    # models were of theirs, and more sure of its own training texts.
    threshold = threshold_at(scores, negatives, natives, REFERENCE_RATE)
    for rate in (0.0, 0.01, 0.02, 0.03, 0.05):
        cut = threshold_at(scores, negatives, natives, rate)
        print(f"out of fold, references <= {rate:.0%}: threshold {cut:.3f}, MT flagged "
              f"{float((scores[is_mt == 1] > cut).mean()):.3f}")
    return StatisticsModel(index, vocabulary, common, LANGUAGES, source_w.astype(np.float32),
                           source_b.astype(np.float32), mt_w.reshape(size, 1 + len(LANGUAGES)).astype(np.float32),
                           idf.astype(np.float32), mt_b, threshold,
                           {"trained_on": trained_on, "part": part, "split": "sha256(doc_id)[0] even = training",
                            "documents": sorted({d["doc_id"] for d in documents}), "lambda": lam,
                            "reference_rate": REFERENCE_RATE, "min_documents": MIN_DOCUMENTS,
                            "window": WINDOW, "texts": len(documents), "windows": len(units)})


if __name__ == "__main__":
    raise SystemExit(main())
