"""Does a text read as a (machine) translation? Artefacts found, weighed, and the language they point to.

Signals (each `TranslationSignal(kind, evidence)`):
  name_variants  one person spelt several ways in one text (Ryzhenkov / Reyzhenkov / Rezhenkov): an
                 aggregator stitched or machine-translated reports that romanised the name differently
  calque         phrases that render Chinese, Korean or Russian news prose word for word ("It is worth
                 noting that", "Public opinion noted"); the lists are data, `scraper/data/calques/*.toml`
  ui_residue     a language-selector menu or share/print strings inside the article (handed over by the
                 residue cleaner, which removed them from the body)
  mixed_script   letters of another script inside a sentence of a language that does not use them
                 ("the 朝鲜 delegation"); text in brackets is a gloss and does not count. In a language not
                 written in Chinese characters, kana or hangul, also the marks of East Asian typesetting left
                 in a sentence (full-width "（：）", "【】", "、。", "℃", "㎡", "○ ◆ ※" bullets, a middle dot
                 between two letters as in "Mohammed·bin") and "⁇", which machine translation built on
                 SentencePiece writes for a piece it cannot spell: a translator adapts them, a machine
                 copies them from the source
  statistics     how much the wording reads like machine translation to a linear model of English news
                 (`scraper/analyse/statistics.py`), with the words that weighed most; or why the text was
                 not judged that way (too short, not English)

The score is 1 - Π(1 - w) over the signals' weights; a text is suspected at 0.5. The statistics' weight is
the model's probability with its threshold at 0.5, so that they alone flag a text the model puts past its
line; of the artefacts, only a language menu together with anything else reaches 0.5. Calques of a text the
statistics judged are listed but add no weight: the model reads those words already, and human translators
write them too. Text under `STATISTICS_MIN_WORDS` words, or not in English, is judged on the artefacts
alone (the record says so); under `MIN_WORDS` words nothing is judged.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from scraper.analyse.language import script_of, scripts_of
from scraper.analyse.residue import MENU, Residue
from scraper.analyse.statistics import StatisticsModel
from scraper.records import Translation, TranslationSignal

MIN_WORDS = 20
STATISTICS_MIN_WORDS = 80  # below this a text's wording is too little to weigh
STATISTICS_LANGUAGES = frozenset({"en"})  # the languages the model was trained on
SOURCE_CONFIDENCE = 0.8  # the model names a source language only at four to one or surer
_SHOWN_FROM = 0.2  # a statistics weight below this is no evidence worth listing
THRESHOLD = 0.5
WEIGHTS = {
    "name_group": 0.3,  # each person spelt several ways
    "calque": 0.25,  # each distinct phrase of weight 1.0 (0.5-weight phrases count half)
    "menu": 0.35,
    "interface": 0.1,
    "mixed_sentence": 0.2,  # each sentence, at most two
}
_MAX_MIXED_SENTENCES = 2
# Evidence listed per signal: enough to judge a flag by; a page with a foreign word in every one of its 1,500
# sentences says the rest in a count (and its record stays under the output's line limit).
MAX_EVIDENCE = 10
# How strongly a confident model points to a source language, against calques (each weighs 0.5 or 1.0 for
# its language): the model's reading of a whole text outweighs a phrase or two that human writers use too.
_MODEL_POINTER = 2.0
_CLOCK_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)|\b\d{1,2} o'clock", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]?")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|（[^（）]*）|“[^”]*”|\"[^\"]*\"|«[^»]*»|「[^」]*」")
# Scripts a language's running text uses; letters of any other script in a sentence are foreign.
_NATIVE = {
    "ko": {"hangul", "han", "latin"},
    "ja": {"kana", "han", "latin"},
    "zh": {"han", "latin"},
    "ru": {"cyrillic", "latin"},
    "ar": {"arabic", "latin"},
}
_SCRIPT_LANGUAGE = {"hangul": "ko", "kana": "ja", "han": "zh", "cyrillic": "ru", "arabic": "ar"}
_WORD = re.compile(r"\w+")
# A domain name in any script ("стопкоронавирус.рф", "news.cn"): an address, not foreign prose.
_DOMAIN = re.compile(r"[^\s/]*\w\.(?:рф|рус|укр|бел|срб|қаз|中国|中國|한국|[a-z]{2,6})\b[^\s]*", re.IGNORECASE)
# Cyrillic and Greek letters drawn like Latin ones: typed by mistake inside a Latin word ("WНO").
_LOOKALIKES = frozenset("АВСЕНІЈКМОРЅТХУаеорсхуіјѕԁΑΒΕΗΙΚΜΝΟΡΤΥΧΖοαν")
_WORD_CHARACTER = re.compile(r"\w")
# Marks of Chinese, Japanese and Korean typesetting that English and other alphabetic languages do not use:
# CJK symbols and punctuation, full- and half-width forms, CJK compatibility units and forms, the katakana
# middle dot, ℃, the CJK bullets and reference mark, a middle dot joining two letters (a transliterated
# name's parts) but not Catalan's "l·l"; and SentencePiece's "⁇".
_EAST_ASIAN_MARK = re.compile(r"[\u3000-\u303f\uff00-\uffef\u3300-\u33ff\ufe10-\ufe1f\ufe30-\ufe4f・℃‧※⁇"
                              r"○●◎◆◇■□△▲▽▼]|(?<=[^\W\d_])(?<![lL])·(?![lL])(?=[^\W\d_])")
_EAST_ASIAN_SCRIPTS = frozenset({"han", "kana", "hangul"})
_PLAIN_GROUP = re.compile(r"\(\?:([A-Za-z ]+(?:\|[A-Za-z ]+)*)\)")


# Characters outside ASCII that re.IGNORECASE matches to an ASCII letter (tests/test_translation.py checks
# the list against `re` over all of Unicode): a word spelt with them still counts as the ASCII word.
_ASCII_LOOKALIKES = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})  # İ ı ſ K(elvin)


@dataclass(frozen=True, slots=True)
class Calque:
    pattern: re.Pattern[str]
    label: str  # the phrase as the data file writes it
    language: str  # the source language it points to
    target: str  # the language the calque is found in
    weight: float
    unless: str | None = None
    # Words (lower case, ASCII) every match contains as whole words: a text lacking one is not searched.
    words: frozenset[str] = frozenset()
    # ...and groups of alternatives ("(?:this|the)") of which every match holds one's words.
    choices: tuple[frozenset[frozenset[str]], ...] = ()
    # `pattern` without its leading look-behind, which keeps `re` from skipping ahead to where the
    # calque's first letters are; `find_calques` checks the look-behind itself.
    scan: re.Pattern[str] | None = field(default=None, compare=False, repr=False)


def word_key(word: str) -> str:
    """A word of the text as calques' `words` are written: lower case, look-alikes of ASCII letters folded."""
    return word.lower() if word.isascii() else word.translate(_ASCII_LOOKALIKES).lower()


def _word_keys(words: Sequence[str]) -> set[str]:
    """{word_key(w) for w in words}, the distinct words folded together as one string."""
    joined = " ".join(set(words))
    if not joined.isascii():
        joined = joined.translate(_ASCII_LOOKALIKES)
    return set(joined.lower().split(" "))


def required_words(regex: str) -> tuple[frozenset[str], tuple[frozenset[frozenset[str]], ...]]:
    """ASCII words every match of `regex` (wrapped as a calque is: no word character on either side) holds
    as whole words: runs of letters at the top level with a required non-word character or an end of
    the regex on each side; and choices, groups of plain alternatives such as "(?:this|the)", of which
    every match holds one alternative's words. Anything this reading does not follow (a top-level `|`,
    a class, escape or other group next to the word, a quantifier on a letter, group or boundary)
    leaves that word out; a word left out only costs a search."""
    # One entry per top-level item: a letter, " " for a required non-word character, "?" for anything else.
    items: list[str] = []
    groups: list[tuple[int, frozenset[frozenset[str]]]] = []  # (item index, alternatives' words)
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "|":
            return frozenset(), ()
        if char in "([":
            end = _closing(regex, i)
            plain = _PLAIN_GROUP.fullmatch(regex, i, end + 1)
            if plain and regex[end + 1:end + 2] not in ("?", "*", "+", "{"):
                groups.append((len(items), frozenset(frozenset(alternative.lower().split())
                                                     for alternative in plain.group(1).split("|"))))
            i = end
            items.append("?")
        elif char == "\\":
            escaped = regex[i + 1:i + 2]
            non_word = escaped in ("s", "W") or (escaped.isascii() and not (escaped.isalnum() or escaped == "_"))
            items.append(" " if escaped and non_word else "?")
            i += 1
        elif char in "?*+{":
            if items and not (char == "+" and items[-1] == " "):  # one or more spaces are still a boundary
                items[-1] = "?"  # what is quantified is no longer required as written
            if char == "{":
                i = regex.find("}", i) % (len(regex) + 1)
        elif char.isascii() and char.isalpha():
            items.append(char.lower())
        elif char.isascii() and not (char.isalnum() or char in "_.^$"):
            items.append(" ")
        else:
            items.append("?")
        i += 1
    words = set()
    for run in "".join(items).split(" "):  # the regex's ends count as boundaries
        if run.isalpha():  # no "?" in it, and not empty
            words.add(run)
    choices = tuple(alternatives for index, alternatives in groups
                    if (index == 0 or items[index - 1] == " ") and (index == len(items) - 1 or items[index + 1] == " ")
                    and all(alternatives))
    return frozenset(words), choices


def _has_top_level_bar(regex: str) -> bool:
    """Whether `regex` is an alternation at its top level (then the calque's look-behind binds only its
    first branch, and the calque is searched as written)."""
    i = 0
    while i < len(regex):
        if regex[i] == "|":
            return True
        i = _closing(regex, i) + 1 if regex[i] in "([" else i + (2 if regex[i] == "\\" else 1)
    return False


def _closing(regex: str, start: int) -> int:
    """The index of the bracket closing the group or class opened at `start` (the end if none)."""
    depth, i = 0, start
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i += 1
            if i < len(regex) and regex[i] == "^":
                i += 1
            if i < len(regex) and regex[i] == "]":  # "[]...]": a leading bracket is a member
                i += 1
            while i < len(regex) and regex[i] != "]":
                i += 2 if regex[i] == "\\" else 1
            if depth == 0:
                return i
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(regex)


def parse_calques(text: str, name: str) -> tuple[Calque, ...]:
    """One data file of calques; ValueError naming the file and entry if malformed."""
    data = tomllib.loads(text)
    source, target = data["source_language"], data.get("target_language", "en")
    calques = []
    for number, entry in enumerate(data.get("calque", []), 1):
        phrase, pattern = entry.get("phrase"), entry.get("pattern")
        if bool(phrase) == bool(pattern):
            raise ValueError(f"{name}: calque #{number}: give exactly one of phrase or pattern")
        regex = re.escape(phrase).replace(r"\ ", r"\s+") if phrase else pattern
        # A phrase is literal: each of its ASCII words is in every match, whole.
        words, choices = ((frozenset(w.lower() for w in _WORD.findall(phrase) if w.isascii() and w.isalpha()), ())
                          if phrase else required_words(pattern))
        unless = entry.get("unless")
        if unless not in (None, "clock_time"):
            raise ValueError(f'{name}: calque #{number}: unknown condition "{unless}"')
        calques.append(Calque(re.compile(rf"(?<!\w){regex}(?!\w)", re.IGNORECASE), phrase or pattern,
                              source, target, float(entry.get("weight", 1.0)), unless, words, choices,
                              None if _has_top_level_bar(regex) else re.compile(rf"{regex}(?!\w)", re.IGNORECASE)))
    return tuple(calques)


def load_calques() -> tuple[Calque, ...]:
    folder = resources.files("scraper") / "data" / "calques"
    calques: list[Calque] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            calques.extend(parse_calques(item.read_text(encoding="utf-8"), f"calques/{item.name}"))
    return tuple(calques)


def find_calques(text: str, language: str, calques: Sequence[Calque], *,
                 words: Sequence[str] | None = None) -> list[tuple[Calque, str]]:
    """Each calque of the text's language found, with its first occurrence as printed. A calque is searched
    for only in text holding all its `words` (each search reads the whole text; a set lookup does not);
    `words` are the text's `\\w+` words if the caller has them already."""
    calques = [calque for calque in calques if calque.target == language]
    if not calques:
        return []
    found = []
    has_clock: bool | None = None
    keys = _word_keys(_WORD.findall(text) if words is None else words)
    for calque in calques:
        if not calque.words <= keys or not all(any(option <= keys for option in choice) for choice in calque.choices):
            continue
        if calque.unless == "clock_time":
            if has_clock is None:
                has_clock = bool(_CLOCK_TIME.search(text))
            if has_clock:
                continue
        match = _first_match(calque, text)
        if match:
            found.append((calque, match.group()))
    return found


def _first_match(calque: Calque, text: str) -> re.Match[str] | None:
    """`calque.pattern.search(text)`: the leftmost match of the scan pattern not preceded by a word character
    (the same start, so the same match)."""
    if calque.scan is None:
        return calque.pattern.search(text)
    position = 0
    while (match := calque.scan.search(text, position)) is not None:
        start = match.start()
        if start == 0 or not _WORD_CHARACTER.match(text, start - 1):
            return match
        position = start + 1
    return None


def mixed_script_sentences(paragraphs: Sequence[str], language: str) -> list[tuple[str, str]]:
    """(sentence, what is foreign in it) for sentences carrying letters of a script their language does not
    use, outside brackets and quotes, or (in a language not written in East Asian scripts) East Asian
    typesetting marks anywhere. Latin-script languages use Latin only."""
    native = _NATIVE.get(language, {"latin"})
    marks_foreign = not native & _EAST_ASIAN_SCRIPTS
    found: list[tuple[str, str]] = []
    joined = "\n".join(paragraphs)
    letters_foreign = bool(scripts_of(joined).keys() - native - {"other"})
    if not letters_foreign and not (marks_foreign and _EAST_ASIAN_MARK.search(joined)):  # the usual case
        return found
    for paragraph in paragraphs:
        has_letters = letters_foreign and bool(scripts_of(paragraph).keys() - native - {"other"})
        if not has_letters and not (marks_foreign and _EAST_ASIAN_MARK.search(paragraph)):
            continue
        for match in _SENTENCE.finditer(_DOMAIN.sub(" ", paragraph)):  # (a domain's dots are no full stops)
            sentence = match.group().strip()
            bare = _BRACKETED.sub(" ", sentence)
            if len(_WORD.findall(bare)) < 3:
                continue
            foreign = [ch for token in bare.split() for ch in _foreign_letters(token, native)] if has_letters else []
            if marks_foreign:
                foreign += [m.group() for m in _EAST_ASIAN_MARK.finditer(sentence)]
            if foreign:
                found.append((sentence, "".join(foreign)))
    return found


def _foreign_letters(token: str, native: set[str]) -> list[str]:
    """The letters of one space-separated token in a script its language does not use, less those that are
    only a look-alike typed by mistake: a Cyrillic or Greek letter that looks Latin inside a Latin word or a
    number ("WНO", "22°С"), or standing alone ("О!")."""
    foreign = [ch for ch in token if (s := script_of(ch)) and s not in native and s != "other"]
    if not foreign or not native & {"latin"}:
        return foreign
    letters = [ch for ch in token if ch.isalpha()]
    beside_latin = len(foreign) < len(letters) or any(ch.isdigit() or ch == "°" for ch in token)
    if beside_latin or len(letters) == 1:
        return [ch for ch in foreign if ch not in _LOOKALIKES]
    return foreign


def _shown(evidence: Sequence[str]) -> tuple[str, ...]:
    """Evidence as a signal lists it: the first MAX_EVIDENCE items, then how many more there are."""
    if len(evidence) <= MAX_EVIDENCE:
        return tuple(evidence)
    return (*evidence[:MAX_EVIDENCE], f"… and {len(evidence) - MAX_EVIDENCE} more")


def _evidence_sentence(sentence: str, limit: int = 160) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def assess(
    paragraphs: Sequence[str],
    language: str,
    *,
    name_variants: Sequence[str],
    residue: Sequence[Residue],
    calques: Sequence[Calque],
    statistics: StatisticsModel | None = None,
) -> Translation:
    """Weigh the artefacts of one text (paragraphs already cleaned of `residue`) in `language`, and its
    wording by `statistics` where they apply."""
    text = "\n\n".join(paragraphs)
    if language == "und":
        return Translation()
    words = _WORD.findall(text)
    signals: list[TranslationSignal] = []
    weights: list[float] = []
    pointers: dict[str, float] = {}  # source language → how strongly the artefacts point to it

    judged = False
    if statistics is not None:
        if language not in STATISTICS_LANGUAGES:
            signals.append(TranslationSignal("statistics", (f"not judged: the statistics read English only, "
                                                            f"this text is {language}",)))
        elif len(words) < STATISTICS_MIN_WORDS:
            signals.append(TranslationSignal("statistics", (f"not judged: {len(words)} words, the statistics "
                                                            f"need {STATISTICS_MIN_WORDS}",)))
        else:
            judged = True
            judgement = statistics.judge(text)
            weight = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, judgement.logit))))
            if weight >= _SHOWN_FROM:
                source, certainty = judgement.source, judgement.sources[judgement.source]
                origin = (f"wording of a translation from {source} ({certainty:.2f})" if certainty >= SOURCE_CONFIDENCE
                          else "source language unclear")
                signals.append(TranslationSignal(
                    "statistics", (f"machine translation {weight:.2f} over {len(words)} words (flags alone from "
                                   f"{THRESHOLD:.2f}); {origin}", *judgement.reasons),
                    source if certainty >= SOURCE_CONFIDENCE else None))
                weights.append(weight)
                if certainty >= SOURCE_CONFIDENCE:
                    pointers[source] = _MODEL_POINTER * certainty
    if len(words) < MIN_WORDS:
        return Translation(signals=tuple(signals))

    if name_variants:
        signals.append(TranslationSignal("name_variants", _shown(name_variants)))
        weights.extend(WEIGHTS["name_group"] for _ in name_variants)

    found = find_calques(text, language, calques, words=words)
    if found:
        by_language: dict[str, float] = {}
        for calque, _ in found:
            if not judged:
                weights.append(WEIGHTS["calque"] * calque.weight)
            by_language[calque.language] = by_language.get(calque.language, 0.0) + calque.weight
        for source, weight in by_language.items():
            printed_here = tuple(printed for calque, printed in found if calque.language == source)
            signals.append(TranslationSignal("calque", _shown(printed_here), source))
            pointers[source] = pointers.get(source, 0.0) + weight

    menus = [r.text for r in residue if r.kind == MENU]
    interface = [r.text for r in residue if r.kind != MENU]
    if menus or interface:
        signals.append(TranslationSignal("ui_residue", _shown(menus + interface)))
        weights.extend(WEIGHTS["menu"] for _ in menus[:1])
        weights.extend(WEIGHTS["interface"] for _ in interface[:1])

    mixed = mixed_script_sentences(paragraphs, language)
    if mixed:
        evidence = [f"{foreign}: {_evidence_sentence(sentence)}" for sentence, foreign in mixed]
        signals.append(TranslationSignal("mixed_script", _shown(evidence)))
        weights.extend(WEIGHTS["mixed_sentence"] for _ in mixed[:_MAX_MIXED_SENTENCES])
        for _, foreign in mixed:  # letters point to a language; typesetting marks, shared by three, do not
            scripts = Counter(script_of(ch) for ch in foreign if ch.isalpha())
            if not scripts:
                continue
            pointed = "ja" if scripts["kana"] else _SCRIPT_LANGUAGE.get(scripts.most_common(1)[0][0])
            if pointed:
                pointers[pointed] = pointers.get(pointed, 0.0) + 0.5

    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    score = 1.0 - remaining
    pointers.pop(language, None)
    likely = max(pointers, key=lambda lang: pointers[lang]) if pointers else None
    return Translation(score >= THRESHOLD, score, likely, tuple(signals))
