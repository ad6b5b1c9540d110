"""Word and character n-gram statistics per language, for telling Latin-script languages apart in short text.

langdetect's profiles are pruned to a few thousand n-grams and it samples them at random, so one or two
words often come out wrong. A lexicon scores every word exactly: a word the language's list knows gets
its corpus frequency, any other word the probability of its letters under a character 4-gram model
(Witten-Bell smoothing) built from the same list.

The lists in `scraper/data/lexicon/` are derived from wordfreq's frequency lists (see `build`); they are
data, rebuilt with `python -m scraper.analyse.lexicon OUT_DIR LANG...` where wordfreq is installed.
"""

from __future__ import annotations

import gzip
import importlib
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

ORDER = 4  # characters of context + 1; 5 gained 0.1 point on short text for twice the table
WORDS_PER_LANGUAGE = 50_000
_OOV_SHARE = 0.05  # probability mass a language keeps for words its list does not know
_ALPHABET = 60  # uniform floor of the character model: about the letters one Latin language uses
_BOUNDARY_START, _BOUNDARY_END = "\x02", "\x03"
_MEMO_WINDOWS = 200_000  # character windows remembered per language (a few MB)
_MEMO_WORDS = 50_000  # word scores remembered per language: news vocabulary repeats, but a daemon runs for weeks
WORD = re.compile(r"[^\W\d_]+")


def fold(word: str) -> str:
    """The form words are stored and looked up in (wordfreq casefolds: "heißt" is stored as "heisst")."""
    return word.casefold()


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's word frequencies and character model, as log-probabilities ready to add."""

    language: str
    word_logprob: Mapping[str, float]  # log P(word), already including the (1 - OOV share) factor
    gram_logprob: Mapping[str, float]  # log P(last char | preceding chars) for n-grams seen in the list
    context_backoff: Mapping[str, float]  # log(1 - lambda) of Witten-Bell for each context seen
    floor: float  # log of the uniform character probability
    _memo: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    # log P(last char | the three before) for each ORDER-character window met: a new word is mostly made of
    # windows other words had, so its spelling costs one lookup a character instead of up to ORDER.
    _windows: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def word_score(self, word: str) -> float:
        """log P(word) under this language: its frequency if listed, else its spelling's likelihood."""
        score = self._memo.get(word)
        if score is None:
            if len(self._memo) >= _MEMO_WORDS:
                self._memo.clear()
            score = self._memo[word] = self._word_score(word)
        return score

    def _word_score(self, word: str) -> float:
        known = self.word_logprob.get(word)
        chars = self.chars_score(word) + math.log(_OOV_SHARE)
        if known is None:
            return chars
        # log(exp(known) + exp(chars)) without underflow
        high, low = (known, chars) if known > chars else (chars, known)
        return high + math.log1p(math.exp(low - high))

    def chars_score(self, word: str) -> float:
        padded = _BOUNDARY_START * (ORDER - 1) + word + _BOUNDARY_END
        windows = self._windows
        if len(windows) >= _MEMO_WINDOWS:
            windows.clear()
        total = 0.0
        for end in range(ORDER - 1, len(padded)):
            window = padded[end - ORDER + 1:end + 1]
            score = windows.get(window)
            if score is None:
                score = windows[window] = self._char_logprob(window, ORDER - 1)
            total += score
        return total

    def _char_logprob(self, padded: str, end: int) -> float:
        # Backoff form of interpolated Witten-Bell: the longest seen n-gram answers; each context that
        # was seen but did not continue this way contributes its backoff weight.
        backoff = 0.0
        for start in range(end - ORDER + 1, end + 1):
            gram = padded[start:end + 1]
            found = self.gram_logprob.get(gram)
            if found is not None:
                return backoff + found
            backoff += self.context_backoff.get(padded[start:end], 0.0)
        return backoff + self.floor


def build_tables(words: Mapping[str, int], language: str) -> Lexicon:
    """Turn a word → count list into a Lexicon (interpolated Witten-Bell, flattened to backoff form)."""
    total = sum(words.values()) or 1
    word_logprob = {w: math.log(c / total) + math.log1p(-_OOV_SHARE) for w, c in words.items()}
    counts: Counter[str] = Counter()
    for word in words:  # type-weighted: a rare inflection teaches spelling as much as a frequent one
        padded = _BOUNDARY_START * (ORDER - 1) + word + _BOUNDARY_END
        for end in range(ORDER - 1, len(padded)):
            for start in range(end - ORDER + 1, end + 1):
                counts[padded[start:end + 1]] += 1
    context_total: Counter[str] = Counter()
    context_types: Counter[str] = Counter()
    for gram, count in counts.items():
        context_total[gram[:-1]] += count
        context_types[gram[:-1]] += 1
    floor = -math.log(_ALPHABET)
    # Interpolated probabilities, shortest n-grams first so each can use the one below it.
    interpolated: dict[str, float] = {}
    for gram in sorted(counts, key=len):
        context = gram[:-1]
        seen, types = context_total[context], context_types[context]
        weight = seen / (seen + types)
        lower_p = math.exp(interpolated[gram[1:]]) if len(gram) > 1 else math.exp(floor)
        interpolated[gram] = math.log(weight * counts[gram] / seen + (1 - weight) * lower_p)
    backoff = {ctx: math.log(types / (context_total[ctx] + types)) for ctx, types in context_types.items()}
    return Lexicon(language, word_logprob, interpolated, backoff, floor)


def available() -> tuple[str, ...]:
    """Languages that have a lexicon shipped with the package."""
    folder = resources.files("scraper") / "data" / "lexicon"
    return tuple(sorted(p.name.split(".")[0] for p in folder.iterdir() if p.name.endswith(".json.gz")))


def load(language: str) -> Lexicon:
    """The shipped lexicon of one language (FileNotFoundError if none is shipped). The character model
    is stored precomputed (`build_tables` takes seconds); without it, it is built from the words."""
    path = resources.files("scraper") / "data" / "lexicon" / f"{language}.json.gz"
    data = json.loads(gzip.decompress(path.read_bytes()))
    if "grams" not in data:
        return build_tables(data["words"], language)
    words: dict[str, int] = data["words"]
    total = sum(words.values()) or 1
    keep = math.log1p(-_OOV_SHARE) - math.log(total)
    return Lexicon(language, {w: math.log(c) + keep for w, c in words.items()}, data["grams"],
                   data["backoff"], -math.log(_ALPHABET))


def load_all(languages: Iterable[str]) -> dict[str, Lexicon]:
    shipped = set(available())
    return {lang: load(lang) for lang in languages if lang in shipped}


# --- building the shipped data (needs wordfreq; never imported at run time) ------------------------------

def build(languages: Sequence[str], out_dir: Path, size: int = WORDS_PER_LANGUAGE) -> None:
    wordfreq: Any = importlib.import_module("wordfreq")
    version = importlib.import_module("importlib.metadata").version("wordfreq")
    out_dir.mkdir(parents=True, exist_ok=True)
    for language in languages:
        frequencies = wordfreq.get_frequency_dict(language, wordlist="best")
        ranked = sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))
        words = {fold(w): max(1, round(f * 1e9)) for w, f in ranked if WORD.fullmatch(w)}
        top = dict(list(words.items())[:size])
        tables = build_tables(top, language)
        payload = {
            "language": language,
            "source": f"wordfreq {version}, 'best' list, top {size} alphabetic forms",
            "licence": "CC BY-SA 4.0 (wordfreq data; see https://github.com/rspeer/wordfreq)",
            "count_unit": "occurrences per 10^9 words",
            "words": top,
            # character model, log-probabilities to 4 places: see build_tables
            "grams": {g: round(v, 4) for g, v in tables.gram_logprob.items()},
            "backoff": {c: round(v, 4) for c, v in tables.context_backoff.items()},
        }
        blob = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        (out_dir / f"{language}.json.gz").write_bytes(gzip.compress(blob, mtime=0))


if __name__ == "__main__":  # pragma: no cover - a maintenance tool
    build(sys.argv[2:], Path(sys.argv[1]))
