"""Language of a text, paragraph by paragraph: the script decides where it can, statistics within a script.

Hangul is Korean, kana Japanese, and Han without either is Chinese, never Korean (langdetect alone calls
a fifth of Chinese texts Korean). Cyrillic and Arabic script narrow the choice to the candidate languages
written in them. Among Latin-script languages, short text (a title, a one-line paragraph) is scored
exactly with per-language lexicons, longer text by langdetect's n-gram profiles (every n-gram of the text
counted, restricted to the candidates) together with the lexicons.
The outlet's configured languages are priors: more likely, never forced.

A document's language is the one holding the largest share of its letters over its paragraphs. Its long
Latin-script paragraphs are read by langdetect once, together; only those the lexicons do not clearly
put in that language get a langdetect call of their own.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain, repeat
from operator import attrgetter, itemgetter
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.utils.ngram import NGram

from scraper.analyse import lexicon as lexicon_module
from scraper.analyse.lexicon import WORD, Lexicon, fold
from scraper.records import Language, ParagraphLanguage

# The languages of Pyongyang's foreign-language editions (KCNA, Rodong Sinmun, Voice of Korea) and of the
# wires that follow them. An outlet's own languages are added to these; a text is never given a language
# outside the candidates unless its script has no candidate at all.
DEFAULT_CANDIDATES = ("ko", "en", "zh", "ja", "ru", "fr", "de", "es", "ar")

_SAMPLE_CHARS = 4000  # enough for a stable answer; a whole long article only costs time
_PRIOR_BOOST = 4.0  # how much more likely the outlet's own languages are, a priori
_SHORT_LETTERS = 60  # below this many letters the lexicons decide, above it langdetect
_CONTEXT_LETTERS = 40  # a paragraph this short takes the document's language unless clearly another
_CONTEXT_BOOST = 50.0
# Letters one candidate language uses and the others do not; the lexicons fold "ß" away (as wordfreq does).
_TELLTALE_LETTERS = {"ß": "de"}
_TELLTALE_BONUS = math.log(20.0)
_FLOOR = 1e-6  # probability floor when combining two estimates
# In a document, a long Latin-script paragraph whose lexicon reading leads by this many nats (log-likelihood)
# and names the language langdetect finds in the document's Latin text as a whole takes that estimate
# instead of its own langdetect call. On the 3,963 such paragraphs of the extraction sets, from 30 up
# the paragraph's own call never changed its language (from 20, two Danish ones went from "en" to "de").
_DECISIVE = 30.0
# ...and when the leading language's word list holds this share of its words: 3,669 of the 3,675 such
# paragraphs of English, German, French and Spanish documents there, 3 of the 108 of documents in other
# languages (Portuguese, Danish, Zulu...), which keep their own, less certain, langdetect reading.
_FAMILIAR = 0.8
_CJK = {"ko", "ja", "zh", "zh-cn", "zh-tw"}
_MEMO_WORDS = 50_000  # words whose langdetect n-grams are remembered (a daemon's vocabulary keeps growing)
# Each character of a word is counted in up to three n-grams (its 1-, 2- and 3-gram), so a sum over all the
# n-grams counts the evidence about three times over; dividing by 3 keeps the posterior from being surer
# than the text is, and lets the lexicons speak in a close call. On the langid dev set's news sentences
# 1 lost 4 (de, es, fr) against langdetect's sampling, 2 lost 2, 3 and 5 none.
_NGRAMS_PER_CHARACTER = 3.0
_MEMO_COLUMN_SETS = 16  # sets of allowed languages whose table columns and word/chunk scores are kept
_ALPHA = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ  # langdetect's smoothing of every n-gram probability
_VIETNAMESE_MARKS = re.compile("[\u0300\u0301\u0303\u0309\u0323]")  # what NGram.normalize_vi composes
_ASCII_LETTERS = re.compile("[A-z]")  # langdetect's test for Latin ('A' <= ch <= 'z'), brackets and all
# langdetect counts as non-Latin everything from U+0300 on (its exception for Latin Extended Additional never
# applies: it compares a block number with a block name); see LangdetectProfiles._chunks_of
_NON_LATIN_FROM = 0x300
_SCRIPT_LANGUAGES = {
    "cyrillic": {"ru", "uk", "bg", "mk", "be", "sr", "kk"},
    "arabic": {"ar", "fa", "ur", "ps"},
}
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_CJK_WEIGHT = 2
_SENTENCE = re.compile(r"[^.!?。！？]+(?:[.!?。！？]+[\"”’»」)]*|$)")


def _script_by_name(char: str) -> str:
    if not char.isalpha():
        return ""
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    return "latin" if unicodedata.name(char, "").startswith("LATIN") else "other"


# The script of every character of the Basic Multilingual Plane as one code character, a `str.translate`
# table (built once at import, about 20 ms): counting scripts is then a translate and a few counts
# instead of a Unicode name lookup per letter. Characters beyond the BMP are looked up one by one.
_SCRIPT_CODES = {"": " ", "hangul": "H", "kana": "K", "han": "C", "cyrillic": "Y", "arabic": "A",
                 "latin": "L", "other": "O"}
_CODE_SCRIPTS = tuple((code, script) for script, code in _SCRIPT_CODES.items() if script)
_SCRIPT_OF_CODE = {code: script for script, code in _SCRIPT_CODES.items()}
_SCRIPT_TABLE = "".join(_SCRIPT_CODES[_script_by_name(chr(code))] for code in range(0x10000))


def script_of(char: str) -> str:
    """The script family of one character: hangul, kana, han, cyrillic, arabic, latin, other; "" if not a
    letter (digits, punctuation, the Japanese middle dot, emoji selectors)."""
    code = ord(char)
    return _SCRIPT_OF_CODE[_SCRIPT_TABLE[code]] if code < 0x10000 else _script_by_name(char)


def scripts_of(text: str) -> Counter[str]:
    """Letters per script family, in order of each family's first letter in the text."""
    coded = text.translate(_SCRIPT_TABLE)
    if not coded.isascii():  # letters beyond the BMP are left untranslated
        return Counter(s for ch in text if (s := script_of(ch)))
    present = sorted((coded.find(code), script) for code, script in _CODE_SCRIPTS if code in coded)
    return Counter({script: coded.count(_SCRIPT_CODES[script]) for _, script in present})


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs as the record's `body` separates them (a blank line); single newlines stay inside."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def _code(langdetect_code: str) -> str:
    return "zh" if langdetect_code.startswith("zh") else langdetect_code


class LanguageDetector:
    """Deterministic language identification; holds langdetect's n-gram profiles and the lexicons.

    `detect(text, priors)` answers for a whole text: per paragraph (blank-line separated), then by share
    of letters. `detect_paragraph` answers for one piece of text, however short. No reading is random.
    """

    def __init__(self, candidates: Iterable[str] = DEFAULT_CANDIDATES,
                 lexicons: Mapping[str, Lexicon] | None = None) -> None:
        factory = DetectorFactory()
        factory.load_profile(PROFILES_DIRECTORY)
        self._langdetect_codes: tuple[str, ...] = tuple(factory.get_lang_list())
        self._profiles = LangdetectProfiles(factory)  # the factory's own tables are not kept
        self.candidates = frozenset(candidates)
        self._lexicons: Mapping[str, Lexicon] | None = lexicons
        # per set of languages (in the lexicons' order): word → its score under each, looked up once
        self._score_rows: dict[tuple[str, ...], dict[str, _Word]] = {}

    def vocabulary(self, language: str) -> Callable[[str], bool] | None:
        """Whether a printed word is in `language`'s word list; None where no list is shipped for it."""
        lexicons = self._lexicons_for({language})
        if not lexicons:
            return None
        words = lexicons[language].word_logprob
        return lambda word: fold(word) in words

    def with_any_language(self) -> LanguageDetector:
        """This detector, its tables and caches shared, with every language langdetect knows as a candidate:
        for text of no known outlet (the other sites of a web archive), where the usual candidates would
        make a Norwegian article German and a Ukrainian one Russian."""
        self._lexicons_for(set())  # loaded once, for both
        other = copy.copy(self)
        other.candidates = frozenset(map(_code, self._langdetect_codes))
        return other

    # --- documents -------------------------------------------------------------------------------------
    def detect(self, text: str, priors: Sequence[str] = ()) -> Language:
        """The language of a text by share of letters over its paragraphs; `paragraphs` lists each
        paragraph's language and share of the letters when more than one language is present."""
        return self.detect_paragraphs(split_paragraphs(text[: _SAMPLE_CHARS * 4]), priors)

    def detect_paragraphs(self, paragraphs: Sequence[str], priors: Sequence[str] = ()) -> Language:
        scripts = [scripts_of(p) for p in paragraphs]  # counted once, read by every step below
        sized = [(p, _weighted(s)) for p, s in zip(paragraphs, scripts, strict=True)]
        total = sum(n for _, n in sized)
        if not total:
            return Language("und", 0.0)
        found = self._read_paragraphs([p for p, _ in sized], [n for _, n in sized], priors, scripts)
        main = _largest_share(found, [n for _, n in sized])
        # A short paragraph ("Related articles", a caption) in the document's script is more likely in
        # the document's language than its few words say: ask again with the document as a strong prior.
        if main != "und":
            for i, (paragraph, letters) in enumerate(sized):
                if 0 < letters < _CONTEXT_LETTERS and found[i].code not in (main, "und"):
                    found[i] = self.detect_paragraph(paragraph, priors, context=main)
            main = _largest_share(found, [n for _, n in sized])
        shares = [n / total for _, n in sized]
        confidence = sum(f.confidence * s for f, s in zip(found, shares, strict=True) if f.code == main)
        languages = {f.code for f, (_, n) in zip(found, sized, strict=True) if n and f.code != "und"}
        breakdown: tuple[ParagraphLanguage, ...] = ()
        if len(languages) > 1:
            breakdown = tuple(ParagraphLanguage(f.code, s) for f, s in zip(found, shares, strict=True))
        return Language(main, min(1.0, confidence), breakdown)

    def _read_paragraphs(self, paragraphs: Sequence[str], letters: Sequence[int], priors: Sequence[str],
                         scripts: Sequence[Counter[str]]) -> list[Language]:
        """Each paragraph's language, as `detect_paragraph` reads it, with one saving: langdetect reads the
        long Latin-script paragraphs once, together, and a paragraph whose lexicon reading is decisive,
        names the same language and knows most of its words takes that estimate instead of a langdetect
        call of its own. The others (another language, a close call, a language outside the candidates,
        short, mixed scripts) are read alone."""
        found: list[Language | None] = [None if n else Language("und", 0.0) for n in letters]
        samples = {i: paragraphs[i][:_SAMPLE_CHARS] for i, language in enumerate(found) if language is None}
        sample_scripts = {i: scripts[i] if len(sample) == len(paragraphs[i]) else scripts_of(sample)
                          for i, sample in samples.items()}
        long_latin = [i for i in samples if _long_latin(sample_scripts[i])]
        allowed = self._allowed("latin", priors, None)
        lexicons = self._lexicons_for(allowed) if len(long_latin) > 1 and len(allowed) > 1 else None
        if lexicons:
            merged = "\n\n".join(samples[i] for i in long_latin)[:_SAMPLE_CHARS]
            estimate = self._langdetect_ranked(merged, allowed, {lang: _PRIOR_BOOST for lang in priors})
            leader = max(estimate, key=lambda lang: estimate[lang]) if estimate else None
            for i in long_latin:
                words = self._scored_words(samples[i], lexicons, lower_only=True)
                scores = self._word_scores(samples[i], words, lexicons, {})
                first, second = sorted(scores.values(), reverse=True)[:2]
                if (leader and scores[leader] == first and first - second >= _DECISIVE
                        and self._familiar(words, lexicons, leader) >= _FAMILIAR * len(words)):
                    found[i] = _combined(estimate, scores)
        return [language or self._detect_sample(samples[i], sample_scripts[i], priors, None)
                for i, language in enumerate(found)]

    def _allowed(self, group: str, priors: Sequence[str], context: str | None) -> set[str]:
        """The languages a text in this script group may be given."""
        wanted = self.candidates | set(priors) | ({context} if context else set())
        allowed = {c for c in wanted if _group_of(c) == group}
        if not allowed:  # a script none of the candidates is written in: let langdetect choose freely
            allowed = {_code(c) for c in self._langdetect_codes if _group_of(_code(c)) == group}
        return allowed

    # --- one piece of text -----------------------------------------------------------------------------
    def detect_paragraph(self, text: str, priors: Sequence[str] = (), context: str | None = None) -> Language:
        """The language of one piece of text, from a single word up; `und` when it has no letters."""
        sample = text[:_SAMPLE_CHARS]
        return self._detect_sample(sample, scripts_of(sample), priors, context)

    def _detect_sample(self, sample: str, scripts: Counter[str], priors: Sequence[str],
                       context: str | None) -> Language:
        if not scripts:
            return Language("und", 0.0)
        if _mixed(scripts):
            # Sentences in two scripts (a Korean sentence quoted in an English paragraph): each sentence
            # is judged alone and the paragraph goes to the language holding most letters.
            sentences = [m.group() for m in _SENTENCE.finditer(sample) if _letters(m.group())]
            if len(sentences) > 1:
                found = [self._detect_unit(s, priors, context) for s in sentences]
                letters = [_weighted_letters(s) for s in sentences]
                main = _largest_share(found, letters)
                share = sum(n for f, n in zip(found, letters, strict=True) if f.code == main) / sum(letters)
                return Language(main, share * max(f.confidence for f in found if f.code == main))
        return self._detect_unit(sample, priors, context, scripts)

    def _detect_unit(self, sample: str, priors: Sequence[str], context: str | None,
                     scripts: Counter[str] | None = None) -> Language:
        scripts = scripts if scripts is not None else scripts_of(sample)
        if not scripts:
            return Language("und", 0.0)
        cjk = _cjk_language(scripts)
        if cjk:
            return cjk
        group = _script_group(scripts)
        allowed = self._allowed(group, priors, context)
        if len(allowed) == 1:
            (only,) = allowed
            return Language(only, scripts[group] / _cjk_weighted(scripts) if group != "latin" else 0.5)
        boosts = {lang: _PRIOR_BOOST for lang in priors}
        if context:
            boosts[context] = boosts.get(context, 1.0) * _CONTEXT_BOOST
        lexicons = self._lexicons_for(allowed) if group == "latin" else None
        if lexicons is None:
            return self._langdetect(sample, allowed, boosts)
        if scripts[group] < _SHORT_LETTERS:
            return _best(self._lexicon_scores(sample, lexicons, boosts, lower_only=False))
        # Longer text: langdetect's estimate times the lexicons' reading of its lower-case words, which
        # leaves out the names and capitalised foreign titles that mislead langdetect ("Autor des Buches
        # „The Last Thousand Days“").
        estimate = self._langdetect_ranked(sample, allowed, boosts)
        return _combined(estimate, self._lexicon_scores(sample, lexicons, {}, lower_only=True))

    def _lexicon_scores(self, text: str, lexicons: Mapping[str, Lexicon], boosts: Mapping[str, float],
                        lower_only: bool) -> dict[str, float]:
        """log P(words | language) + log prior for each language; `lower_only` skips capitalised words
        (names, titles) when enough others are left."""
        return self._word_scores(text, self._scored_words(text, lexicons, lower_only), lexicons, boosts)

    def _scored_words(self, text: str, lexicons: Mapping[str, Lexicon], lower_only: bool) -> list[_Word]:
        """The text's Latin-script words as the lexicons read them (folded, scored under each language);
        `lower_only` skips capitalised words (names, titles) when enough others are left. A word seen
        before (as printed) is one lookup: its script, case, scores and familiarity are remembered."""
        languages = tuple(lexicons)
        table = self._score_rows.get(languages)
        if table is None:
            if len(self._score_rows) >= _MEMO_COLUMN_SETS:
                self._score_rows.clear()
            table = self._score_rows[languages] = {}
        printed = WORD.findall(text)
        found = list(map(table.get, printed))
        if None in found:
            if len(table) >= _MEMO_WORDS:
                table.clear()
            for i, word in enumerate(found):
                if word is None:
                    found[i] = table[printed[i]] = _read_word(printed[i], lexicons)
        words = cast(list[_Word], found)  # none missing now
        latin = list(filter(_LATIN, words))
        if lower_only:
            lower = list(filter(_LOWER_CASE, latin))
            latin = lower if len(lower) >= 3 else latin
        return latin

    @staticmethod
    def _familiar(words: Sequence[_Word], lexicons: Mapping[str, Lexicon], language: str) -> int:
        """How many of the words `language`'s word list holds."""
        index = list(lexicons).index(language)
        return sum(map(itemgetter(index), map(_KNOWN, words)))

    def _word_scores(self, text: str, words: Sequence[_Word], lexicons: Mapping[str, Lexicon],
                     boosts: Mapping[str, float]) -> dict[str, float]:
        """Each language's score: the sum of its words' scores in text order (as `sum` adds them)."""
        languages = tuple(lexicons)
        columns = zip(*map(_SCORES, words), strict=True) if words else ((),) * len(languages)
        scores = {}
        for lang, column in zip(languages, columns, strict=True):
            score = math.log(boosts.get(lang, 1.0)) + sum(column)
            telltales = sum(text.count(ch) for ch, telling in _TELLTALE_LETTERS.items() if telling == lang)
            score += sum(repeat(_TELLTALE_BONUS, telltales))  # added one by one, as the letters are found
            scores[lang] = score
        return scores

    def _lexicons_for(self, languages: set[str]) -> dict[str, Lexicon] | None:
        if self._lexicons is None:
            self._lexicons = lexicon_module.load_all(sorted(self.candidates | set(lexicon_module.available())))
        if not languages <= self._lexicons.keys():
            return None
        # In a fixed order: a set's order changes with the process's hash seed, and an exact tie goes to the
        # first language, so worker processes would otherwise disagree with each other.
        return {lang: self._lexicons[lang] for lang in sorted(languages)}

    def _langdetect(self, text: str, allowed: set[str], boosts: Mapping[str, float]) -> Language:
        ranked = self._langdetect_ranked(text, allowed, boosts)
        if not ranked:
            return Language("und", 0.0)
        best = max(ranked, key=lambda lang: ranked[lang])
        return Language(best, ranked[best])

    def _langdetect_ranked(self, text: str, allowed: set[str], boosts: Mapping[str, float]) -> dict[str, float]:
        ranked = self._profiles.probabilities(text, {
            lang: boosts.get(_code(lang), 1.0) if _code(lang) in allowed else 0.0
            for lang in self._langdetect_codes
        })
        found: dict[str, float] = {}
        for lang, probability in ranked:
            found[_code(lang)] = found.get(_code(lang), 0.0) + probability
        return found


class _NgramNormal(dict[int, str]):
    """NGram.normalize of each character as a `str.translate` table, filled as characters are met: building it
    for the whole BMP up front took a sixth of a second of every worker's start (a text meets a few hundred).
    Characters beyond the BMP, which NGram.normalize leaves alone, are not kept: however varied the text a worker
    reads, the table holds at most the BMP's 65,536 entries."""

    def __missing__(self, code: int) -> str:
        if code >= 0x10000:
            return chr(code)
        folded: str = NGram.normalize(chr(code))
        self[code] = folded
        return folded


class LangdetectProfiles:
    """langdetect's n-gram profiles read as a naive Bayes model over the languages a prior allows.

    langdetect draws n-grams of the text at random, multiplying each language's probability by
    (alpha + P(n-gram | language)) until one passes 0.99999, seven times over, and averages the trials:
    an estimate of the posterior over *all* the text's n-grams that costs thousands of Python-level
    products and draws (about 4 ms for a long paragraph). Here every n-gram counts once: a language's
    log-likelihood is one gather-and-sum over a table of log(alpha + P) (tempered: see
    `_NGRAMS_PER_CHARACTER`), deterministic without a seed, in a few tenths of a millisecond. The text
    cleaning and the n-grams are langdetect's own; the answers agree with langdetect's wherever
    langdetect itself is stable (tests/test_language.py checks this on news text), and where its trials
    split, the full count is the better-informed reading.
    """

    def __init__(self, factory: DetectorFactory) -> None:
        grams: dict[str, list[float]] = factory.word_lang_prob_map
        self._languages: tuple[str, ...] = tuple(factory.langlist)
        self._row = {gram: row for row, gram in enumerate(grams)}
        # float32 halves the table (19 MB), built in place; sums are taken in float64
        table = np.fromiter(chain.from_iterable(grams.values()), dtype=np.float32,
                            count=len(grams) * len(self._languages))
        table += np.float32(_ALPHA)
        self._log = np.log(table, out=table).reshape(len(grams), len(self._languages))
        self._columns: dict[tuple[int, ...], npt.NDArray[np.float64]] = {}  # chosen languages → their columns
        self._scores: dict[tuple[int, ...], dict[str, tuple[float, ...]]] = {}  # ...→ chunk → its scores
        self._normal = _NgramNormal()
        self._memo: dict[str, tuple[int, ...]] = {}  # table rows of the n-grams of a word seen before

    def probabilities(self, text: str, prior: Mapping[str, float]) -> list[tuple[str, float]]:
        """(langdetect code, posterior) above langdetect's threshold, most probable first; [] when the
        text has no n-gram langdetect knows or no language has a prior."""
        chosen = tuple(i for i, lang in enumerate(self._languages) if prior.get(lang, 0.0) > 0.0)
        if not chosen:
            return []
        chunks, last = self._chunks_of(text)
        known = self._chunk_scores(chosen, chunks)
        scored = list(map(known.__getitem__, chunks))
        last_rows = self._chunk_rows(last, last=True)
        if last_rows:
            scored.append((len(last_rows), *self._columns_for(chosen).take(last_rows, axis=0).sum(axis=0).tolist()))
        totals = [sum(column) for column in zip(*scored, strict=True)] if scored else [0.0]
        if not totals[0]:  # no n-gram langdetect knows
            return []
        weights = np.array([prior[self._languages[i]] for i in chosen], dtype=np.float64)
        scores = np.array(totals[1:]) / _NGRAMS_PER_CHARACTER + np.log(weights / weights.sum())
        posterior = np.exp(scores - scores.max())
        posterior /= posterior.sum()
        found = [(self._languages[i], float(p)) for i, p in zip(chosen, posterior, strict=True)
                 if p > Detector.PROB_THRESHOLD]
        return sorted(found, key=itemgetter(1), reverse=True)

    def _columns_for(self, chosen: tuple[int, ...]) -> npt.NDArray[np.float64]:
        columns = self._columns.get(chosen)
        if columns is None:
            if len(self._columns) >= _MEMO_COLUMN_SETS:
                self._columns.clear()
            columns = self._columns[chosen] = np.ascontiguousarray(self._log[:, chosen], dtype=np.float64)
        return columns

    def _chunk_scores(self, chosen: tuple[int, ...], chunks: Sequence[str]) -> dict[str, tuple[float, ...]]:
        """(n-grams, log-likelihood under each chosen language) of every chunk, the unseen ones scored
        together in one gather and one segmented sum; a text then costs a lookup per chunk."""
        known = self._scores.get(chosen)
        if known is None:
            if len(self._scores) >= _MEMO_COLUMN_SETS:
                self._scores.clear()
            known = self._scores[chosen] = {}
        unseen = set(chunks).difference(known)
        if not unseen:
            return known
        if len(known) + len(unseen) > _MEMO_WORDS:
            known.clear()
            unseen = set(chunks)
        empty = (0, *(0.0 for _ in chosen))
        rows = {chunk: self._chunk_rows(chunk, last=False) for chunk in unseen}
        with_grams = [chunk for chunk, found in rows.items() if found]
        known.update((chunk, empty) for chunk, found in rows.items() if not found)
        if with_grams:
            lengths = [len(rows[chunk]) for chunk in with_grams]
            starts = np.cumsum([0, *lengths[:-1]])
            gathered = self._columns_for(chosen).take(list(chain.from_iterable(map(rows.__getitem__, with_grams))),
                                                      axis=0)
            sums = np.add.reduceat(gathered, starts, axis=0).tolist()
            known.update((chunk, (n, *total)) for chunk, n, total in zip(with_grams, lengths, sums, strict=True))
        return known

    def _rows(self, text: str) -> list[int]:
        """The table rows of the text's n-grams, in langdetect's order (what `probabilities` scores)."""
        chunks, last = self._chunks_of(text)
        found = list(chain.from_iterable(self._chunk_rows(chunk, last=False) for chunk in chunks))
        return found + list(self._chunk_rows(last, last=True))

    def _chunks_of(self, text: str) -> tuple[list[str], str]:
        """Detector.append and .cleaning_text, then the text's space-separated chunks but the last, and the
        last. langdetect's n-gram buffer starts afresh after every space, so the n-grams of a text are
        those of its chunks in turn, and a chunk's n-grams can be scored once and remembered (news
        vocabulary repeats). The whole-text steps run only where they can change something: an e-mail
        address needs an "@", Vietnamese marks a combining mark, the Latin test a character from U+0300 on."""
        if "@" in text:
            text = Detector.MAIL_RE.sub(" ", Detector.URL_RE.sub(" ", text))
        else:
            text = Detector.URL_RE.sub(" ", text)
        if _VIETNAMESE_MARKS.search(text):
            text = NGram.normalize_vi(text)
        text = text[:10_000]  # Detector.max_text_length
        if not text.isascii():
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            latin = int(np.count_nonzero((codes >= ord("A")) & (codes <= ord("z"))))
            if latin * 2 < int(np.count_nonzero(codes >= _NON_LATIN_FROM)):
                text = _ASCII_LETTERS.sub("", text)
        chunks = text.split(" ")
        last = chunks.pop()
        return chunks, last

    def _chunk_rows(self, chunk: str, last: bool) -> tuple[int, ...]:
        """The rows of one space-separated chunk: NGram.normalize may turn characters into spaces, and each
        word it leaves is followed by a space, but for the text's very last word."""
        words = chunk.translate(self._normal).split(" ")
        found: list[int] = []
        for i, word in enumerate(words):
            if word:
                key = word if last and i == len(words) - 1 else word + " "
                rows = self._memo.get(key)
                found += rows if rows is not None else self._word_rows(key)
        return tuple(found)

    def _word_rows(self, word: str) -> tuple[int, ...]:
        """NGram.add_char over one normalised word (and the space after it, if any), from a fresh buffer."""
        if len(self._memo) >= _MEMO_WORDS:
            self._memo.clear()
        known = self._row
        grams, capital, out = " ", False, []
        for ch in word:
            last = grams[-1]
            if len(grams) >= 3:
                grams = grams[1:]
            grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            if ch != " " and ch in known:
                out.append(known[ch])
            if grams[-2:] in known:
                out.append(known[grams[-2:]])
            if len(grams) == 3 and grams in known:
                out.append(known[grams])
        found = self._memo[word] = tuple(out)
        return found


def _cjk_weighted(scripts: Counter[str]) -> int:
    """Letters, a CJK character counting as two (it carries about what two letters do)."""
    return sum(n * _CJK_WEIGHT if s in ("hangul", "kana", "han") else n for s, n in scripts.items())


def _cjk_language(scripts: Counter[str]) -> Language | None:
    """Korean, Japanese or Chinese when the script says so: "势在必行（Il faut bien le faire）" is Chinese."""
    hangul, kana, han = (scripts[s] * _CJK_WEIGHT for s in ("hangul", "kana", "han"))
    letters = _cjk_weighted(scripts)
    if hangul / letters >= 0.3:
        return Language("ko", hangul / letters if hangul >= kana + han else 0.8)
    if (kana + han) / letters >= 0.3:
        # Japanese prose is rarely under a twentieth kana; Chinese has none. Han alone is never Korean.
        if kana / (kana + han) >= 0.05:
            return Language("ja", (kana + han) / letters)
        return Language("zh", han / letters)
    return None


def _long_latin(scripts: Counter[str]) -> bool:
    """Text that `_detect_unit` reads with langdetect and the lexicons together (given two or more
    Latin-script languages to choose from): one script, Latin, and enough letters."""
    return (bool(scripts) and not _mixed(scripts) and _cjk_language(scripts) is None
            and _script_group(scripts) == "latin" and scripts["latin"] >= _SHORT_LETTERS)


def _combined(estimate: Mapping[str, float], scores: Mapping[str, float]) -> Language:
    """langdetect's estimate times the lexicons' (normalised) reading, each floored."""
    top = max(scores.values())
    total = sum(math.exp(v - top) for v in scores.values())
    return _best({lang: math.log(estimate.get(lang, 0.0) + _FLOOR)
                  + math.log(math.exp(scores[lang] - top) / total + _FLOOR) for lang in scores})


def _mixed(scripts: Counter[str]) -> bool:
    """Letters of two script families, each a tenth of the text or more."""
    families = (scripts["hangul"] + scripts["kana"] + scripts["han"], scripts["latin"], scripts["cyrillic"],
                scripts["arabic"])
    total = sum(scripts.values())
    return sum(1 for n in families if n >= 0.1 * total) > 1


def _weighted_letters(text: str) -> int:
    """Letters, a CJK character counting as two: the measure of a language's share of a text."""
    return _weighted(scripts_of(text))


def _weighted(scripts: Counter[str]) -> int:
    return sum(scripts.values()) + (_CJK_WEIGHT - 1) * (scripts["hangul"] + scripts["kana"] + scripts["han"])


def _letters(text: str) -> int:
    return sum(scripts_of(text).values())


def _largest_share(found: Sequence[Language], letters: Sequence[int]) -> str:
    share: Counter[str] = Counter()
    for language, n in zip(found, letters, strict=True):
        if language.code != "und":
            share[language.code] += n
    return share.most_common(1)[0][0] if share else "und"


def _script_group(scripts: Counter[str]) -> str:
    rest = {s: n for s, n in scripts.items() if s in ("latin", "cyrillic", "arabic", "other")}
    return max(rest, key=lambda s: rest[s]) if rest else "latin"


def _group_of(language: str) -> str:
    if language in _CJK:
        return "cjk"
    for script, languages in _SCRIPT_LANGUAGES.items():
        if language in languages:
            return script
    if language in {"el", "he", "hi", "mr", "ne", "bn", "gu", "pa", "ta", "te", "kn", "ml", "th"}:
        return "other"
    return "latin"


class _Word(NamedTuple):
    """One printed word as the lexicons read it."""

    latin: bool  # in Latin script (no other word is scored)
    lower: bool  # begins with a lower-case letter
    scores: tuple[float, ...]  # its folded form's score under each language, in the lexicons' order
    known: tuple[bool, ...]  # whether each language's word list holds it


_LATIN, _LOWER_CASE, _SCORES, _KNOWN = (attrgetter(field) for field in _Word._fields)


def _read_word(printed: str, lexicons: Mapping[str, Lexicon]) -> _Word:
    if script_of(printed[0]) != "latin":
        return _Word(False, False, (), ())
    folded = fold(printed)
    return _Word(True, printed[0].islower(), tuple(lexicon.word_score(folded) for lexicon in lexicons.values()),
                 tuple(folded in lexicon.word_logprob for lexicon in lexicons.values()))


def _best(scores: Mapping[str, float]) -> Language:
    """The highest-scoring language, with its posterior (scores are log-likelihoods)."""
    if not scores:
        return Language("und", 0.0)
    best = max(scores, key=lambda lang: scores[lang])
    top = scores[best]
    return Language(best, 1.0 / sum(math.exp(s - top) for s in scores.values()))
