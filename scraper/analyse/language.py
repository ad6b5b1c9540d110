"""Language of a text, paragraph by paragraph: the script decides where it can, statistics within a script.

Hangul is Korean, kana Japanese, and Han without either is Chinese, never Korean (langdetect alone calls
a fifth of Chinese texts Korean). Cyrillic and Arabic script narrow the choice to the candidate languages
written in them. Among Latin-script languages, short text (a title, a one-line paragraph) is scored
exactly with per-language lexicons, longer text by langdetect, seeded and restricted to the candidates.
The outlet's configured languages are priors: more likely, never forced.

A document's language is the one holding the largest share of its letters over its paragraphs. Its long
Latin-script paragraphs are read by langdetect once, together; only those the lexicons do not clearly
put in that language get a langdetect call of their own.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

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
_SPACES = re.compile(" {2,}")
_ASCII_LETTERS = re.compile("[A-z]")  # langdetect's test for Latin ('A' <= ch <= 'z'), brackets and all
# langdetect's count of non-Latin characters: everything from U+0300 on (its exception for Latin Extended
# Additional never applies: it compares a block number with a block name)
_FROM_COMBINING_MARKS = re.compile("[^\x00-\u02ff]")
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
        self._restricted = RestrictedLangdetect(self._factory)
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
        found = self._read_paragraphs([p for p, _ in sized], [n for _, n in sized], priors)
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

    def _read_paragraphs(self, paragraphs: Sequence[str], letters: Sequence[int],
                         priors: Sequence[str]) -> list[Language]:
        """Each paragraph's language, as `detect_paragraph` reads it, with one saving: langdetect reads the
        long Latin-script paragraphs once, together, and a paragraph whose lexicon reading is decisive,
        names the same language and knows most of its words takes that estimate instead of a langdetect
        call of its own. The others (another language, a close call, a language outside the candidates,
        short, mixed scripts) are read alone."""
        found: list[Language | None] = [None if n else Language("und", 0.0) for n in letters]
        samples = {i: paragraphs[i][:_SAMPLE_CHARS] for i, language in enumerate(found) if language is None}
        long_latin = [i for i, sample in samples.items() if _long_latin(scripts_of(sample))]
        allowed = self._allowed("latin", priors, None)
        lexicons = self._lexicons_for(allowed) if len(long_latin) > 1 and len(allowed) > 1 else None
        if lexicons:
            merged = "\n\n".join(samples[i] for i in long_latin)[:_SAMPLE_CHARS]
            estimate = self._langdetect_ranked(merged, allowed, {lang: _PRIOR_BOOST for lang in priors})
            leader = max(estimate, key=lambda lang: estimate[lang]) if estimate else None
            for i in long_latin:
                words = _scored_words(samples[i], lower_only=True)
                scores = _word_scores(samples[i], words, lexicons, {})
                first, second = sorted(scores.values(), reverse=True)[:2]
                if (leader and scores[leader] == first and first - second >= _DECISIVE
                        and sum(w in lexicons[leader].word_logprob for w in words) >= _FAMILIAR * len(words)):
                    found[i] = _combined(estimate, scores)
        return [language or self.detect_paragraph(paragraph, priors)
                for language, paragraph in zip(found, paragraphs, strict=True)]

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
            return _best(_lexicon_scores(sample, lexicons, boosts, lower_only=False))
        # Longer text: langdetect's estimate times the lexicons' reading of its lower-case words, which
        # leaves out the names and capitalised foreign titles that mislead langdetect ("Autor des Buches
        # „The Last Thousand Days“").
        estimate = self._langdetect_ranked(sample, allowed, boosts)
        return _combined(estimate, _lexicon_scores(sample, lexicons, {}, lower_only=True))

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
        ranked = self._restricted.probabilities(text, {
            lang: boosts.get(_code(lang), 1.0) if _code(lang) in allowed else 0.0
            for lang in self._langdetect_codes
        })
        found: dict[str, float] = {}
        for lang, probability in ranked:
            found[_code(lang)] = found.get(_code(lang), 0.0) + probability
        return found


class RestrictedLangdetect:
    """langdetect's `Detector` computed over the languages a prior allows, and only those.

    langdetect multiplies the probability of each of its 55 languages on every n-gram it draws, and a
    language with no prior stays at zero throughout; here only the allowed ones are carried. The text
    cleaning, the n-grams, the seeded draws and the arithmetic are langdetect's own, in its order, so
    the probabilities are the ones `Detector.get_probabilities` gives, bit for bit (tests/test_language.py
    checks this), in about a sixth of the time when four languages are allowed.
    """

    def __init__(self, factory: DetectorFactory) -> None:
        self._grams: dict[str, list[float]] = factory.word_lang_prob_map
        self._languages: tuple[str, ...] = tuple(factory.langlist)
        self._seed = factory.seed
        # NGram.normalize of every BMP character that it changes, as a `str.translate` table
        self._normal = {code: folded for code in range(0x10000)
                        if (folded := NGram.normalize(chr(code))) != chr(code)}
        self._memo: dict[str, tuple[str, ...]] = {}  # n-grams of a word seen before

    def probabilities(self, text: str, prior: Mapping[str, float]) -> list[tuple[str, float]]:
        """(langdetect code, probability) above langdetect's threshold, most probable first; [] when the
        text has no n-gram langdetect knows or no language has a prior."""
        chosen = [i for i, lang in enumerate(self._languages) if prior.get(lang, 0.0) > 0.0]
        ngrams = self._ngrams(text)
        if not chosen or not ngrams:
            return []
        total = 0.0
        for i in chosen:
            total += prior[self._languages[i]]
        initial = [prior[self._languages[i]] / total for i in chosen]
        pick: Callable[[list[float]], Any] = itemgetter(*chosen) if len(chosen) > 1 else (
            lambda row: (row[chosen[0]],))
        rows: dict[str, tuple[float, ...]] = {}
        draw = random.Random(self._seed)
        choice, grams = draw.choice, self._grams
        trials = 7  # Detector.n_trial
        result = [0.0] * len(chosen)
        for _ in range(trials):
            prob = initial
            weight = (Detector.ALPHA_DEFAULT + draw.gauss(0.0, 1.0) * Detector.ALPHA_WIDTH) / Detector.BASE_FREQ
            i = 0
            while True:
                gram = choice(ngrams)
                row = rows.get(gram)
                if row is None:
                    row = rows[gram] = pick(grams[gram])
                prob = [p * (weight + q) for p, q in zip(prob, row)]  # noqa: B905 - rows are len(chosen) long
                if i % 5 == 0:
                    total = sum(prob)
                    prob = [p / total for p in prob]
                    if max(prob) > Detector.CONV_THRESHOLD or i >= Detector.ITERATION_LIMIT:
                        break
                i += 1
            result = [r + p / trials for r, p in zip(result, prob, strict=True)]
        found = [(self._languages[i], p) for i, p in zip(chosen, result, strict=True) if p > Detector.PROB_THRESHOLD]
        return sorted(found, key=itemgetter(1), reverse=True)

    def _ngrams(self, text: str) -> list[str]:
        """Detector.append, .cleaning_text and ._extract_ngrams. langdetect's n-gram buffer starts afresh
        after every space, so the n-grams of a text are those of its words in turn, each found once."""
        text = NGram.normalize_vi(Detector.MAIL_RE.sub(" ", Detector.URL_RE.sub(" ", text)))
        text = _SPACES.sub(" ", text[:10_000])  # Detector.max_text_length
        without_latin, latin = _ASCII_LETTERS.subn("", text)
        if latin * 2 < len(_FROM_COMBINING_MARKS.findall(text)):
            text = without_latin
        words = text.translate(self._normal).split(" ")
        found: list[str] = []
        for i, word in enumerate(words):
            if word:
                found += self._word_ngrams(word if i == len(words) - 1 else word + " ")
        return found

    def _word_ngrams(self, word: str) -> tuple[str, ...]:
        """NGram.add_char over one normalised word (and the space after it, if any), from a fresh buffer."""
        found = self._memo.get(word)
        if found is not None:
            return found
        if len(self._memo) >= _MEMO_WORDS:
            self._memo.clear()
        known = self._grams
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
                out.append(ch)
            if grams[-2:] in known:
                out.append(grams[-2:])
            if len(grams) == 3 and grams in known:
                out.append(grams)
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
    families = Counter({"cjk": scripts["hangul"] + scripts["kana"] + scripts["han"], "latin": scripts["latin"],
                        "cyrillic": scripts["cyrillic"], "arabic": scripts["arabic"]})
    total = sum(scripts.values())
    return sum(1 for n in families.values() if n >= 0.1 * total) > 1


def _weighted_letters(text: str) -> int:
    """Letters, a CJK character counting as two: the measure of a language's share of a text."""
    scripts = scripts_of(text)
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


def _lexicon_scores(text: str, lexicons: Mapping[str, Lexicon], boosts: Mapping[str, float],
                    lower_only: bool) -> dict[str, float]:
    """log P(words | language) + log prior for each language; `lower_only` skips capitalised words
    (names, titles) when enough others are left."""
    return _word_scores(text, _scored_words(text, lower_only), lexicons, boosts)


def _scored_words(text: str, lower_only: bool) -> list[str]:
    words = [w for w in WORD.findall(text) if script_of(w[0]) == "latin"]
    if lower_only:
        lower = [w for w in words if w[0].islower()]
        words = lower if len(lower) >= 3 else words
    return [fold(w) for w in words]


def _word_scores(text: str, folded: Sequence[str], lexicons: Mapping[str, Lexicon],
                 boosts: Mapping[str, float]) -> dict[str, float]:
    scores = {}
    for lang, lexicon in lexicons.items():
        score = math.log(boosts.get(lang, 1.0)) + sum(map(lexicon.word_score, folded))
        telltales = sum(text.count(ch) for ch, telling in _TELLTALE_LETTERS.items() if telling == lang)
        score += sum(repeat(_TELLTALE_BONUS, telltales))  # added one by one, as the letters are found
        scores[lang] = score
    return scores


def _best(scores: Mapping[str, float]) -> Language:
    """The highest-scoring language, with its posterior (scores are log-likelihoods)."""
    if not scores:
        return Language("und", 0.0)
    best = max(scores, key=lambda lang: scores[lang])
    top = scores[best]
    return Language(best, 1.0 / sum(math.exp(s - top) for s in scores.values()))
