"""Analysis of extracted articles: language per paragraph, translation artefacts, one spelling per name.

    paragraphs ──ResidueCleaner.strip──▶ clean paragraphs + removed menus/interface strings
               ──Analyser.analyse────▶ Analysis(language, translation, names)

`Analyser` holds everything loaded once (langdetect profiles, lexicons, alias table, calques, the translation
statistics); build one
per process and pass it in. `analyse_texts` is the `scraper analyse` command without its argv.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from scraper.analyse.language import DEFAULT_CANDIDATES, LanguageDetector, split_paragraphs
from scraper.analyse.names import NameFinder, Romanisation, load_aliases, name_groups, variant_evidence
from scraper.analyse.residue import Residue, ResidueCleaner
from scraper.analyse.statistics import StatisticsModel
from scraper.analyse.translation import assess, load_calques
from scraper.records import Language, NameGroup, Translation
from scraper.text import scrub_json

__all__ = ["DEFAULT_CANDIDATES", "Analyser", "Analysis", "LanguageDetector", "Residue", "ResidueCleaner",
           "analyse_texts", "word_count"]

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
MIN_BODY_WORDS = 2  # a one-word body is an extraction failure, not a language sample


def word_count(text: str) -> int:
    """Words, counting CJK text (no spaces) at about two characters to a word."""
    cjk = len(_CJK.findall(text))
    return len(_TOKEN.findall(_CJK.sub(" ", text))) + (cjk + 1) // 2


def _has_words(text: str, wanted: int) -> bool:
    """word_count(text) >= wanted, reading only as far as it takes (a body is hundreds of words)."""
    cjk = len(_CJK.findall(text))
    needed = wanted - (cjk + 1) // 2
    if needed <= 0:
        return True
    plain = _CJK.sub(" ", text) if cjk else text
    return sum(1 for _ in islice(_TOKEN.finditer(plain), needed)) >= needed


@dataclass(frozen=True, slots=True)
class Analysis:
    """What analysis adds to a record: its `language`, `translation` and `names` fields."""

    language: Language
    translation: Translation
    names: tuple[NameGroup, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language.to_dict(), "translation": self.translation.to_dict(),
                "names": [n.to_dict() for n in self.names]}


class Analyser:
    """Language, translation artefacts and names of article text; build once, use from one thread."""

    def __init__(self, *, candidates: Iterable[str] = DEFAULT_CANDIDATES, alias_files: Sequence[str | Path] = (),
                 statistics_model: str | Path | None = None) -> None:
        self.detector = LanguageDetector(candidates=candidates)
        self._any_language: LanguageDetector | None = None  # the detector with every candidate, when first asked
        self.cleaner = ResidueCleaner.default()
        self.rules = Romanisation.load()
        self.names = NameFinder(load_aliases(alias_files), self.rules)
        self.calques = load_calques()
        self.statistics = StatisticsModel.load(statistics_model)  # None: the shipped model

    def warm_up(self) -> None:
        """Load the lexicons now rather than on the first short paragraph."""
        self.detector.detect_paragraph("warm up", ())

    def strip_residue(self, paragraphs: Sequence[str]) -> tuple[tuple[str, ...], tuple[Residue, ...]]:
        """Paragraphs without language menus and interface strings, and what was removed (for the
        extractor, which keeps the first out of `body` and hands the second to `analyse`)."""
        return self.cleaner.strip(paragraphs)

    def analyse(self, paragraphs: Sequence[str], priors: Sequence[str] = (),
                residue: Sequence[Residue] = (), *, any_language: bool = False) -> Analysis:
        """Analyse a body given as clean paragraphs; `residue` is what the cleaner removed from them.
        `any_language`: every language langdetect knows may be found, not only the candidates (text of no
        known outlet). Empty, one-word, all-punctuation and all-number bodies are `und` with no flags."""
        text = "\n\n".join(paragraphs)
        if not _has_words(text, MIN_BODY_WORDS) or not any(ch.isalpha() for ch in text):
            return Analysis(Language("und", 0.0), Translation(), ())
        detector = self.detector
        if any_language:
            if self._any_language is None:
                self._any_language = self.detector.with_any_language()
            detector = self._any_language
        language = detector.detect_paragraphs(paragraphs, priors)
        found = self.names.find(text, detector.vocabulary(language.code), english=language.code == "en",
                                korean=language.code == "ko")
        variants = variant_evidence(found, self.rules) if language.code not in ("ko", "zh", "ja") else []
        translation = assess(paragraphs, language.code, name_variants=variants, residue=residue,
                             calques=self.calques, statistics=self.statistics)
        return Analysis(language, translation, name_groups(found))

    def analyse_text(self, text: str, priors: Sequence[str] = ()) -> Analysis:
        """Analyse raw text: paragraphs split at blank lines, interface residue removed first."""
        paragraphs, residue = self.strip_residue(split_paragraphs(text))
        return self.analyse(paragraphs, priors, residue)

    def language_of(self, text: str, priors: Sequence[str] = ()) -> Language:
        """The language of any text, a single word included (no bad-body rule), residue removed first."""
        paragraphs, _ = self.strip_residue(split_paragraphs(text))
        if not paragraphs:
            return self.detector.detect(text, priors)
        return self.detector.detect_paragraphs(paragraphs, priors)

    def language_code(self, text: str) -> str:
        return self.language_of(text).code


MAX_PLAIN_TEXT = 5_000_000  # characters of one plain-text document: an article's body is far less


def analyse_texts(
    lines: Iterable[str],
    analyser: Analyser,
    *,
    priors: Sequence[str] = (),
    every_text: bool = False,
    on_error: Callable[[int, str], None] | None = None,
    name: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The `scraper analyse` command on one input: one result per document, in order.

    Input is JSON lines with a `text` field (and optionally `id`, copied to the output, and `languages`,
    priors for that text) when its first non-blank line starts with "{"; otherwise it is plain text, and all
    of it one document, read as a record's body is (paragraphs at blank lines): an article saved as text is
    one article, whatever its paragraphs; its result's `id` is `name` (the file's), if given.
    `every_text=True` gives every text a language, a single word included (the langid evaluation), instead
    of the record rule that a one-word body is `und`. Malformed JSON lines, and plain text over
    MAX_PLAIN_TEXT characters, are reported to `on_error(line_number, reason)` (0: the whole input) and not
    analysed.
    """
    iterator = iter(lines)
    buffered: list[str] = []
    for line in iterator:
        buffered.append(line)
        if line.strip():
            break
    first = next((line for line in buffered if line.strip()), "")
    chained = _chain(buffered, iterator)
    if first.lstrip().startswith("{"):
        yield from _json_lines(chained, analyser, priors, every_text, on_error)
        return
    text: list[str] = []
    size = 0
    for line in chained:
        size += len(line)
        if size > MAX_PLAIN_TEXT:
            if on_error:
                on_error(0, f"plain text over {MAX_PLAIN_TEXT:,} characters is not one article: give JSON lines "
                            "with a \"text\" field for many documents")
            return
        text.append(line)
    if first:
        result = _result(analyser, split_paragraphs("".join(text)), priors, every_text)
        yield {"id": name, **result} if name is not None else result


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _json_lines(lines: Iterable[str], analyser: Analyser, priors: Sequence[str], every_text: bool,
                on_error: Callable[[int, str], None] | None) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = scrub_json(json.loads(line))
        except ValueError as exc:
            if on_error:
                on_error(number, f"not JSON: {exc}")
            continue
        problem = _document_problem(item)
        if problem:
            if on_error:
                on_error(number, problem)
            continue
        text, languages = item["text"], item.get("languages", priors)
        if isinstance(languages, str):  # "ko,en", as --languages takes them
            languages = [code.strip() for code in languages.split(",") if code.strip()]
        result = _result(analyser, split_paragraphs(text), tuple(languages), every_text)
        if "id" in item:
            result = {"id": item["id"], **result}
        yield result


def _document_problem(item: object) -> str:
    """What is wrong with one JSON line as a document, or "" if nothing."""
    if not isinstance(item, dict):
        return f"expected a JSON object with a string \"text\", got {type(item).__name__}"
    if not isinstance(item.get("text"), str):
        return "expected a JSON object with a string \"text\"" + (
            f", got {type(item['text']).__name__}" if "text" in item else "")
    languages = item.get("languages", [])
    if not isinstance(languages, str) and not (
            isinstance(languages, list) and all(isinstance(code, str) for code in languages)):
        return "\"languages\" must be a list of language codes, e.g. [\"ko\", \"en\"]"
    return ""


def _result(analyser: Analyser, paragraphs: list[str], priors: Sequence[str], every_text: bool) -> dict[str, Any]:
    kept, residue = analyser.strip_residue(paragraphs)
    analysis = analyser.analyse(kept, priors, residue)
    if every_text and analysis.language.code == "und" and kept:
        return {**analysis.to_dict(), "language": analyser.detector.detect_paragraphs(kept, priors).to_dict()}
    return analysis.to_dict()
