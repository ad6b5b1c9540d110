"""How much English text reads like machine translation, and from which language: a linear model over its words.

`features(text, function_words)` turns a text into the strings the model knows: word 1- to 3-grams (lower
case, typographic quotes and dashes folded to ASCII, every number "0"); the same text's shape, 1- to 4-grams
within a paragraph over its function words with every other word reduced to its form (`s:<Name> said on
<0>`: a capitalised word, a number, a word ending in -ly, -ing, -ed, -tion or -s, any other word), which
carries the word order and articles of a translation apart from what the text is about; how punctuation
sits between spaces (`p:_"_` is a quote with a space on each side, as a detokeniser leaves it); and binned
sentence length, its spread and the vocabulary's variety. The function words are the training texts' most
widespread words, shipped with the weights. The same function serves `bench/train_translation_model.py`,
which fits the weights, and `StatisticsModel.judge`, which reads them from
`scraper/data/translation/model.npz` (provenance in the README beside it).

Two models share those features. The source model (multinomial logistic regression) says which language an
English text was translated from (zh, ru, ja). The machine-translation model (binary logistic regression)
has one weight per feature plus one per feature and source language; a text's source-language weights are
mixed by the source model's probabilities, so that a text of no clear origin is judged on the shared weights
alone. The source model reads every feature of a text alike (each 1/√n of n); the machine-translation model
weighs each by its inverse document frequency in the training windows, ln(windows / windows holding it) + 1, the
text's vector scaled to length 1: a feature few texts hold (a turn of phrase) counts for more than one nearly
every text holds (a common word), and a long text weighs no more than a short one. Training is on documents of
WMT21-23 news test sets only: English only, and news only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from scraper.errors import ConfigError

MODEL_FILE = "model.npz"
_FOLD = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                       "—": "-", "–": "-", "‐": "-", "‑": "-", "\u00a0": " "})
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+(?:[.,]\d+)*|[^\w\s]")
_PUNCTUATION = re.compile(r"(\s?)([^\w\s])(\s?)")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"[^\W\d_]+")
NGRAMS = 3
SHAPE_NGRAMS = 4
_SUFFIXES = ("ly", "ing", "ed", "tion", "s")  # the forms of a word the shape keeps, first match wins
# Bin edges of the dense measures, chosen once by eye on the training part; a text falls in bin i when it
# exceeds i of the edges.
_BINS: dict[str, tuple[float, ...]] = {
    "slen": (12, 15, 18, 21, 24, 27, 30, 35),  # mean words per sentence
    "slcv": (0.3, 0.4, 0.5, 0.6, 0.7),  # their coefficient of variation
    "ttr": (0.45, 0.5, 0.55, 0.6, 0.65, 0.7),  # distinct words among the first 200
}
_BIN_NAMES = {"slen": "sentence length", "slcv": "sentence-length spread", "ttr": "word variety"}
_TTR_WINDOW = 200
_MAX_CHARACTERS = 5_000  # the model reads a long text's first ~800 words: enough to judge, bounded cost
_EXPLAINED = 5  # features named in a judgement's evidence


def tokens(text: str) -> list[str]:
    """Words, numbers (as "0") and punctuation marks of a text, lower case, quotes and dashes folded."""
    folded = text.translate(_FOLD)
    return ["0" if token[0].isdigit() else token.lower() for token in _TOKEN.findall(folded)]


def _bin(name: str, value: float) -> str:
    return f"#{name}{sum(value > edge for edge in _BINS[name])}"


def _shape(token: str, function_words: frozenset[str]) -> str:
    """A token as the shape n-grams see it: a function word as itself, any other word as its form."""
    lower = token.lower()
    if lower in function_words:
        return lower
    first = token[0]
    if first.isdigit():
        return "<0>"
    if not first.isalpha():
        return token
    if first.isupper():
        return "<Name>"
    return next((f"<-{suffix}>" for suffix in _SUFFIXES if lower.endswith(suffix)), "<word>")


def features(text: str, function_words: frozenset[str] = frozenset()) -> set[str]:
    """The model's features present in `text` (the model counts presence, not frequency); shape n-grams only
    when `function_words` are given."""
    text = text[:_MAX_CHARACTERS]
    found: set[str] = set()
    words = tokens(text)
    for n in range(1, NGRAMS + 1):
        for i in range(len(words) - n + 1):
            found.add(" ".join(words[i:i + n]))
    folded = text.translate(_FOLD)
    if function_words:
        for paragraph in folded.split("\n\n"):
            shapes = [_shape(token, function_words) for token in _TOKEN.findall(paragraph)]
            for n in range(1, SHAPE_NGRAMS + 1):
                for i in range(len(shapes) - n + 1):
                    found.add("s:" + " ".join(shapes[i:i + n]))
    for match in _PUNCTUATION.finditer(folded):
        found.add(f"p:{'_' if match.group(1) else ''}{match.group(2)}{'_' if match.group(3) else ''}")
    lengths = [len(sentence.split()) for sentence in _SENTENCE.findall(folded) if len(sentence.split()) > 2]
    if lengths:
        mean = sum(lengths) / len(lengths)
        spread = math.sqrt(sum((n - mean) ** 2 for n in lengths) / len(lengths))
        found.add(_bin("slen", mean))
        found.add(_bin("slcv", spread / (mean + 1)))
    window = [w.lower() for w in _WORD.findall(folded)[:_TTR_WINDOW]]
    if window:
        found.add(_bin("ttr", len(set(window)) / len(window)))
    return found


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the statistics say of one text."""

    logit: float  # the machine-translation model's log-odds, threshold already subtracted (0 = on the line)
    sources: dict[str, float]  # source language → probability
    reasons: tuple[str, ...]  # the features that pushed the score up most, as "n-gram (+weight)"

    @property
    def source(self) -> str:
        return max(self.sources, key=lambda language: self.sources[language])


@dataclass(frozen=True, slots=True)
class StatisticsModel:
    """The two models' weights: row i of each matrix belongs to `vocabulary[i]`."""

    index: dict[str, int]
    vocabulary: tuple[str, ...]
    function_words: frozenset[str]  # the words the shape n-grams keep as themselves
    languages: tuple[str, ...]  # source languages, the columns of `source_weights`
    source_weights: npt.NDArray[np.float32]  # (features, languages)
    source_bias: npt.NDArray[np.float32]  # (languages,)
    mt_weights: npt.NDArray[np.float32]  # (features, 1 + languages): shared, then one column per language
    idf: npt.NDArray[np.float32]  # (features,): each feature's inverse document frequency, as the MT model reads it
    mt_bias: float
    threshold: float  # the log-odds from which the statistics alone flag a text
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path | None = None) -> StatisticsModel:
        """The shipped model (or the file at `path`); ConfigError if it cannot be read."""
        source = Path(path) if path else resources.files("scraper") / "data" / "translation" / MODEL_FILE
        try:
            with source.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read the translation model: {exc}", path=str(source)) from None
        missing = sorted({"meta", "vocabulary", "source_weights", "source_bias", "mt_weights", "idf"} - arrays.keys())
        if missing:  # e.g. a model fitted before the MT model weighed features by their idf
            raise ConfigError(f"not a translation model of this version: no {', '.join(missing)}; refit it with "
                              f"bench/train_translation_model.py", path=str(source))
        try:
            meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
            vocabulary = tuple(bytes(arrays["vocabulary"]).decode("utf-8").split("\n"))
            function_words = frozenset(meta.get("function_words", ()))
            return cls({term: i for i, term in enumerate(vocabulary)}, vocabulary, function_words,
                       tuple(meta["languages"]), arrays["source_weights"].astype(np.float32),
                       arrays["source_bias"].astype(np.float32), arrays["mt_weights"].astype(np.float32),
                       arrays["idf"].astype(np.float32), float(meta["mt_bias"]), float(meta["threshold"]), meta)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read the translation model: {exc!r}", path=str(source)) from None

    def save(self, path: str | Path) -> None:
        meta = {**self.meta, "languages": list(self.languages), "mt_bias": self.mt_bias, "threshold": self.threshold,
                "function_words": sorted(self.function_words)}
        np.savez_compressed(
            path,
            vocabulary=np.frombuffer("\n".join(self.vocabulary).encode("utf-8"), dtype=np.uint8),
            source_weights=self.source_weights.astype(np.float16),
            source_bias=self.source_bias.astype(np.float32),
            mt_weights=self.mt_weights.astype(np.float16),
            idf=self.idf.astype(np.float16),
            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        )

    def rows(self, found: Iterable[str]) -> npt.NDArray[np.intp]:
        return np.fromiter((i for term in found if (i := self.index.get(term)) is not None), dtype=np.intp)

    def judge(self, text: str) -> Judgement:
        return self.judge_rows(self.rows(features(text, self.function_words)))

    def judge_rows(self, rows: npt.NDArray[np.intp]) -> Judgement:
        """Both models on a text given as the row numbers of its features.

        The rows are sorted first: a text's features come as a set, whose order changes with the process's hash
        seed, and neither the sums nor the reasons may depend on it."""
        rows = np.sort(rows)
        scale = 1.0 / math.sqrt(len(rows)) if len(rows) else 0.0
        source_logits = self.source_weights[rows].sum(axis=0, dtype=np.float64) * scale + self.source_bias
        source_logits -= source_logits.max()
        probabilities = np.exp(source_logits)
        probabilities /= probabilities.sum()
        mix = np.concatenate(([1.0], probabilities))
        contributions = self.mt_weights[rows].astype(np.float64) @ mix * unit_idf(self.idf, rows)
        logit = float(contributions.sum()) + self.mt_bias - self.threshold
        top = np.lexsort((rows, -contributions))[:_EXPLAINED]  # ties: the earlier term in the vocabulary first
        reasons = tuple(_readable(self.vocabulary[rows[i]], contributions[i]) for i in top if contributions[i] > 0)
        return Judgement(logit, {lang: float(p) for lang, p in zip(self.languages, probabilities, strict=True)},
                         reasons)


def family(term: str) -> str:
    """Which kind of feature `term` is: "shape", "spacing", "measure" (a binned sentence length, its spread or the
    word variety) or "words" (an n-gram of the text's tokens, punctuation such as "#" among them)."""
    if term.startswith("s:"):
        return "shape"
    if term.startswith("p:"):
        return "spacing"
    if term.startswith("#") and term[1:-1] in _BIN_NAMES and term[-1].isdigit():
        return "measure"
    return "words"


def _readable(term: str, contribution: float) -> str:
    """A feature as a reader can take it: `p:_"_` → `spacing ' " '`, bins and shapes named, n-grams quoted."""
    kind = family(term)
    if kind == "spacing":
        return f"spacing '{term[2:].replace('_', ' ')}' (+{contribution:.2f})"
    if kind == "shape":
        return f"shape '{term[2:]}' (+{contribution:.2f})"
    if kind == "measure":
        return f"{_BIN_NAMES[term[1:-1]]} band {term[-1]} (+{contribution:.2f})"
    return f'"{term}" (+{contribution:.2f})'


def unit_idf(idf: npt.NDArray[np.floating[Any]], rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """The values of a text's features (`rows`) as the machine-translation model reads them: each its idf, the
    vector scaled to length 1 (all zero for a text of no known feature)."""
    values = idf[rows].astype(np.float64)
    norm = math.sqrt(float(values @ values))
    return values / norm if norm else values


def mixed_design(rows: Sequence[npt.NDArray[np.intp]], mixes: npt.NDArray[np.float64],
                 idf: npt.NDArray[np.floating[Any]]
                 ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(data, indices, indptr) of the training matrix of the machine-translation model: each text's features
    weighted by `idf` and scaled to length 1, once shared and once per source language scaled by that
    language's probability (`mixes`, one row per text). Shared with the trainer so that training and
    `judge_rows` read a text the same way."""
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    columns = 1 + mixes.shape[1]
    for text_rows, mix in zip(rows, mixes, strict=True):
        values = unit_idf(idf, text_rows)
        for column, weight in enumerate((1.0, *mix)):
            if column and weight < 1e-6:
                continue
            indices.extend((text_rows * columns + column).tolist())
            data.extend((values * weight).tolist())
        indptr.append(len(indices))
    return np.asarray(data), np.asarray(indices, dtype=np.intp), np.asarray(indptr, dtype=np.intp)
