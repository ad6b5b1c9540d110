"""Language of a text, paragraph by paragraph: the script decides where it can, statistics within a script.

Hangul is Korean, kana Japanese, and Han without either is Chinese, never Korean (langdetect alone calls
a fifth of Chinese texts Korean). Cyrillic and Arabic script narrow the choice to the candidate languages
written in them. Among Latin-script languages, short text (a title, a one-line paragraph) is scored
exactly with per-language lexicons, longer text by langdetect, seeded and restricted to the candidates.
The outlet's configured languages are priors: more likely, never forced.

A document's language is the one holding the largest share of its letters over its paragraphs.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

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
_CJK = {"ko", "ja", "zh", "zh-cn", "zh-tw"}
_SCRIPT_LANGUAGES = {
    "cyrillic": {"ru", "uk", "bg", "mk", "be", "sr", "kk"},
    "arabic": {"ar", "fa", "ur", "ps"},
}
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_CJK_WEIGHT = 2
_SENTENCE = re.compile(r"[^.!?。！？]+(?:[.!?。！？]+[\"”’»」)]*|$)")


def script_of(char: str) -> str:
    """The script family of one character: hangul, kana, han, cyrillic, arabic, latin, other; "" if not a
    letter (digits, punctuation, the Japanese middle dot, emoji selectors)."""
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


def scripts_of(text: str) -> Counter[str]:
    return Counter(s for ch in text if (s := script_of(ch)))


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs as the record's `body` separates them (a blank line); single newlines stay inside."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def _code(langdetect_code: str) -> str:
    return "zh" if langdetect_code.startswith("zh") else langdetect_code


class LanguageDetector:
    """Deterministic language identification; holds its own seeded langdetect factory and lexicons.

    `detect(text, priors)` answers for a whole text: per paragraph (blank-line separated), then by share
    of letters. `detect_paragraph` answers for one piece of text, however short.
    """

    def __init__(self, seed: int = 0, candidates: Iterable[str] = DEFAULT_CANDIDATES,
                 lexicons: Mapping[str, Lexicon] | None = None) -> None:
        self._factory = DetectorFactory()
        self._factory.load_profile(PROFILES_DIRECTORY)
        self._factory.set_seed(seed)
        self._langdetect_codes: tuple[str, ...] = tuple(self._factory.get_lang_list())
        self.candidates = frozenset(candidates)
        self._lexicons: Mapping[str, Lexicon] | None = lexicons

    # --- documents -------------------------------------------------------------------------------------
    def detect(self, text: str, priors: Sequence[str] = ()) -> Language:
        """The language of a text by share of letters over its paragraphs; `paragraphs` lists each
        paragraph's language and share of the letters when more than one language is present."""
        return self.detect_paragraphs(split_paragraphs(text[: _SAMPLE_CHARS * 4]), priors)

    def detect_paragraphs(self, paragraphs: Sequence[str], priors: Sequence[str] = ()) -> Language:
        sized = [(p, _weighted_letters(p)) for p in paragraphs]
        total = sum(n for _, n in sized)
        if not total:
            return Language("und", 0.0)
        found = [self.detect_paragraph(p, priors) if n else Language("und", 0.0) for p, n in sized]
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

    # --- one piece of text -----------------------------------------------------------------------------
    def detect_paragraph(self, text: str, priors: Sequence[str] = (), context: str | None = None) -> Language:
        """The language of one piece of text, from a single word up; `und` when it has no letters."""
        sample = text[:_SAMPLE_CHARS]
        scripts = scripts_of(sample)
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
        # One CJK character carries about what two letters do: "势在必行（Il faut bien le faire）" is Chinese.
        hangul, kana, han = (scripts[s] * _CJK_WEIGHT for s in ("hangul", "kana", "han"))
        letters = hangul + kana + han + sum(n for s, n in scripts.items() if s not in ("hangul", "kana", "han"))
        if hangul / letters >= 0.3:
            return Language("ko", hangul / letters if hangul >= kana + han else 0.8)
        if (kana + han) / letters >= 0.3:
            # Japanese prose is rarely under a twentieth kana; Chinese has none. Han alone is never Korean.
            if kana / (kana + han) >= 0.05:
                return Language("ja", (kana + han) / letters)
            return Language("zh", han / letters)
        wanted = self.candidates | set(priors) | ({context} if context else set())
        group = _script_group(scripts)
        allowed = {c for c in wanted if _group_of(c) == group}
        if not allowed:  # a script none of the candidates is written in: let langdetect choose freely
            allowed = {_code(c) for c in self._langdetect_codes if _group_of(_code(c)) == group}
        if len(allowed) == 1:
            (only,) = allowed
            return Language(only, scripts[group] / letters if group != "latin" else 0.5)
        boosts = {lang: _PRIOR_BOOST for lang in priors}
        if context:
            boosts[context] = boosts.get(context, 1.0) * _CONTEXT_BOOST
        lexicons = self._lexicons_for(allowed) if group == "latin" else None
        if lexicons is None:
            return self._langdetect(sample, allowed, boosts)
        if scripts[group] < _SHORT_LETTERS:
            return _best(_lexicon_scores(sample, lexicons, boosts, lower_only=False))
        # Longer text: langdetect's estimate times the lexicons' reading of its lower-case words, which
        # leaves out the names and capitalised foreign titles that mislead langdetect ("Autor des Buches
        # „The Last Thousand Days“").
        estimate = self._langdetect_ranked(sample, allowed, boosts)
        scores = _lexicon_scores(sample, lexicons, {}, lower_only=True)
        top = max(scores.values())
        total = sum(math.exp(v - top) for v in scores.values())
        return _best({lang: math.log(estimate.get(lang, 0.0) + _FLOOR)
                      + math.log(math.exp(scores[lang] - top) / total + _FLOOR) for lang in scores})

    def _lexicons_for(self, languages: set[str]) -> dict[str, Lexicon] | None:
        if self._lexicons is None:
            self._lexicons = lexicon_module.load_all(sorted(self.candidates | set(lexicon_module.available())))
        if not languages <= self._lexicons.keys():
            return None
        return {lang: self._lexicons[lang] for lang in languages}

    def _langdetect(self, text: str, allowed: set[str], boosts: Mapping[str, float]) -> Language:
        ranked = self._langdetect_ranked(text, allowed, boosts)
        if not ranked:
            return Language("und", 0.0)
        best = max(ranked, key=lambda lang: ranked[lang])
        return Language(best, ranked[best])

    def _langdetect_ranked(self, text: str, allowed: set[str], boosts: Mapping[str, float]) -> dict[str, float]:
        detector = self._factory.create()
        detector.set_prior_map({
            lang: boosts.get(_code(lang), 1.0) if _code(lang) in allowed else 0.0
            for lang in self._langdetect_codes
        })
        detector.append(text)
        try:
            ranked = detector.get_probabilities()
        except LangDetectException:
            return {}
        found: dict[str, float] = {}
        for item in ranked:
            found[_code(item.lang)] = found.get(_code(item.lang), 0.0) + float(item.prob)
        return found


def _mixed(scripts: Counter[str]) -> bool:
    """Letters of two script families, each a tenth of the text or more."""
    families = Counter({"cjk": scripts["hangul"] + scripts["kana"] + scripts["han"], "latin": scripts["latin"],
                        "cyrillic": scripts["cyrillic"], "arabic": scripts["arabic"]})
    total = sum(scripts.values())
    return sum(1 for n in families.values() if n >= 0.1 * total) > 1


def _weighted_letters(text: str) -> int:
    """Letters, a CJK character counting as two: the measure of a language's share of a text."""
    return sum(_CJK_WEIGHT if script_of(ch) in ("hangul", "kana", "han") else 1 for ch in text if ch.isalpha())


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


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


def _lexicon_scores(text: str, lexicons: Mapping[str, Lexicon], boosts: Mapping[str, float],
                    lower_only: bool) -> dict[str, float]:
    """log P(words | language) + log prior for each language; `lower_only` skips capitalised words
    (names, titles) when enough others are left."""
    words = [w for w in WORD.findall(text) if script_of(w[0]) == "latin"]
    if lower_only:
        lower = [w for w in words if w[0].islower()]
        words = lower if len(lower) >= 3 else words
    folded = [fold(w) for w in words]
    scores = {}
    for lang, lexicon in lexicons.items():
        score = math.log(boosts.get(lang, 1.0)) + sum(lexicon.word_score(w) for w in folded)
        score += sum(_TELLTALE_BONUS for ch in text if _TELLTALE_LETTERS.get(ch) == lang)
        scores[lang] = score
    return scores


def _best(scores: Mapping[str, float]) -> Language:
    """The highest-scoring language, with its posterior (scores are log-likelihoods)."""
    if not scores:
        return Language("und", 0.0)
    best = max(scores, key=lambda lang: scores[lang])
    top = scores[best]
    return Language(best, 1.0 / sum(math.exp(s - top) for s in scores.values()))
