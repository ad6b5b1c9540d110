"""What a translation of a report keeps of it: numbers, dates, names and Latin-script tokens, as anchors.

A Korean, Chinese or Russian version of a story shares no shingle with the English one, but it prints the same
amounts ("£11million", "11 млн", "1100万", "1100만" are all 11000000), the same dates ("July 23", "23 juillet",
"7月23日" are all 7-23), the same people (the names table's canonical spelling, `Record.names`, which knows that
김정은, 金正恩 and Ким Чен Ын are Kim Jong Un) and the Latin-script tokens a translator leaves alone (acronyms,
brands, names in a CJK text). Each anchor is a 32-bit value: its kind in the top bits, a hash of its
normalised form below; a report's anchors are kept in the order they first appear in its title and text,
because a translation tells its facts in the same order and a chance overlap does not.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

MAX_ANCHORS = 48  # kept per report, in order of first appearance (title, then text)


class Kind(IntEnum):
    """What an anchor is; the weight it carries is `WEIGHTS[kind]`."""

    SMALL = 0  # a number from 10 to 99: days, ages, percentages, counts; often spelt out in words instead
    YEAR = 1  # 1900..2100
    NUMBER = 2  # 100 and over (not a year), a decimal, or an amount with its scale word
    DATE = 3  # a day of a month
    MONTH = 4  # a month named without its day
    LATIN = 5  # a name-like Latin-script token: an acronym, a capitalised word, any Latin word in other scripts
    NAME = 6  # a person or organisation of the names table, by its canonical spelling


# How much one shared anchor of a kind says that two texts tell the same story.
WEIGHTS = {Kind.SMALL: 0.5, Kind.YEAR: 0.5, Kind.NUMBER: 2.0, Kind.DATE: 1.5, Kind.MONTH: 0.5, Kind.LATIN: 1.0,
           Kind.NAME: 1.5}

_KIND_SHIFT = 29
_HASH_MASK = (1 << _KIND_SHIFT) - 1

# --- numbers ---------------------------------------------------------------------------------------------------
# Digits grouped by thousands (1,500 / 1.500 / 1 500 / 1'500) or not, then a decimal part. Not glued to a Latin
# letter or another digit before it (a model name, "MWP2"); CJK and Hangul may touch it ("1100万", "6월").
_NUMBER = re.compile(
    r"(?<![\d.,A-Za-z])(\d{1,3}(?:[,.\u00a0\u202f\u2009' ]\d{3})+(?![\d])|\d+)(?:[.,](\d+))?(?![\d])")
# Scale words after an amount, longest first: "1.5 million", "11 млн", "1100万", "150만", "2 mil millones".
_SCALES: tuple[tuple[str, int], ...] = (
    ("mil millones", 10**9), ("milliarden", 10**9), ("milliards", 10**9), ("milliard", 10**9),
    ("billions", 10**9), ("billion", 10**9), ("миллиард", 10**9), ("млрд", 10**9), ("bn", 10**9),
    ("trillions", 10**12), ("trillion", 10**12), ("триллион", 10**12), ("трлн", 10**12),
    ("millionen", 10**6), ("millions", 10**6), ("million", 10**6), ("millones", 10**6), ("millón", 10**6),
    ("millon", 10**6), ("миллион", 10**6), ("млн", 10**6),
    ("thousand", 10**3), ("tausend", 10**3), ("тысяч", 10**3), ("тыс", 10**3),
    ("万", 10**4), ("萬", 10**4), ("만", 10**4), ("亿", 10**8), ("億", 10**8), ("억", 10**8), ("千", 10**3),
    ("천", 10**3), ("조", 10**12), ("兆", 10**12),
)
_SCALE = re.compile(r"\s?(" + "|".join(re.escape(word) for word, _ in _SCALES) + r")(?![A-Za-zа-яё])", re.I)
_SCALE_OF = {word: scale for word, scale in _SCALES}
_MONEY_M = re.compile(r"m(?![\w])")  # "£11m", "$2m": a million after a currency sign

# --- dates -------------------------------------------------------------------------------------------------------
# Month names in the Latin-, Cyrillic- and Arabic-script languages of our outlets (Russian with its case endings).
_MONTH_WORDS: dict[str, int] = {}
for _month, _words in enumerate((
    "january janvier januar jänner enero jan janv", "february février fevrier februar febrero feb févr",
    "march mars märz marz marzo mar", "april avril abril apr avr", "may mai mayo",
    "june juin juni junio jun", "july juillet juli julio jul juil", "august août aout agosto aug",
    "september septembre septiembre setiembre sep sept", "october octobre oktober octubre oct okt",
    "november novembre noviembre nov", "december décembre decembre dezember diciembre dec déc dez",
), start=1):
    _MONTH_WORDS.update(dict.fromkeys(_words.split(), _month))
for _month, _stem in enumerate(("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр",
                                 "октябр", "ноябр", "декабр"), start=1):
    _endings = ("", "а", "е") if _stem in ("март", "август") else ("й", "я", "е") if _stem == "ма" else ("ь", "я", "е")
    _MONTH_WORDS.update(dict.fromkeys((_stem + ending for ending in _endings), _month))
for _month, _words in enumerate(("يناير", "فبراير", "مارس", "أبريل إبريل ابريل", "مايو", "يونيو", "يوليو",
                                  "أغسطس اغسطس", "سبتمبر", "أكتوبر اكتوبر", "نوفمبر", "ديسمبر"), start=1):
    _MONTH_WORDS.update(dict.fromkeys(_words.split(), _month))
del _month, _words, _stem, _endings
_WORD = re.compile(r"[^\W\d_]+")  # (a month word is looked up, not matched by one alternation of them all)
# Month words that are also other words ("may" the verb, "mar" the sea, "sept" the French seven): months only
# when capitalised (as English prints them).
_CAPITALISED_ONLY = frozenset({"may", "mar", "jan", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "feb",
                               "apr", "dez", "okt", "avr", "juil", "janv", "févr", "déc"})
_DAY_BEFORE = re.compile(r"(?<![\d])(\d{1,2})(?:er|\.|º|°)?\s*(?:de\s+)?$")
_DAY_AFTER = re.compile(r"^\.?\s*(\d{1,2})(?![\d])(?:st|nd|rd|th)?")
_CJK_DATE = re.compile(r"(?<![\d])(\d{1,2})\s*[月월]\s*(?:(\d{1,2})\s*[日일])?")

# --- Latin-script tokens -----------------------------------------------------------------------------------------
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_LATIN_WORD = re.compile(rf"(?<![{_LATIN_LETTER}0-9'’])[{_LATIN_LETTER}](?:[{_LATIN_LETTER}0-9'’.-]*"
                         rf"[{_LATIN_LETTER}0-9])?")
# In a Latin-script text only capitalised words can be anchors: found directly, most words are never looked at.
_CAPITALISED_WORD = re.compile(rf"(?<![{_LATIN_LETTER}0-9'’])[A-Z\u00c0-\u00d6\u00d8-\u00de]"
                               rf"(?:[{_LATIN_LETTER}0-9'’.-]*[{_LATIN_LETTER}0-9])?")
_LATIN_LETTERS = re.compile(rf"[{_LATIN_LETTER}]")
_OTHER_LETTERS = re.compile(rf"[^\W\d_{_LATIN_LETTER}]")
_SENTENCE_OPENER = re.compile(r"(?:^|[.!?:;\"“”«»„(\[—–-]|\n)\s*$")
# Capitalised words that open clauses or stand before names in the Latin-script languages: never anchors alone.
_NOT_ANCHOR_WORDS = """
the a an and or but if in on at as by for from of to with without this that these those there here it its he she
they we you i his her their our mr mrs ms dr sir st mt le la les un une des du de del el los las lo una unos unas
der die das den dem des ein eine einer eines und oder im am vom zum zur il lui elle ils elles nous vous on je
m mme mlle herr frau sr sra srta don doña según pero cuando como por para con sin sobre entre hasta desde
mais pour avec sans sur dans chez selon après avant lors quand comme aber wenn als nach vor bei mit ohne über
monday tuesday wednesday thursday friday saturday sunday lundi mardi mercredi jeudi vendredi samedi dimanche
montag dienstag mittwoch donnerstag freitag samstag sonntag lunes martes miércoles miercoles jueves viernes sábado
sabado domingo
"""
_NOT_ANCHORS = frozenset(_NOT_ANCHOR_WORDS.split())


@dataclass(frozen=True, slots=True)
class Anchor:
    kind: Kind
    text: str  # the normalised form: "11000000", "7-23", "mwp", "kim jong un"

    def value(self) -> int:
        digest = hashlib.blake2b(self.text.encode(), digest_size=4, person=b"nn-anchor").digest()
        return (int(self.kind) << _KIND_SHIFT) | (int.from_bytes(digest, "little") & _HASH_MASK)


def kind_of(value: int) -> Kind:
    return Kind(value >> _KIND_SHIFT)


_SPECIFIC = frozenset({Kind.SMALL, Kind.NUMBER, Kind.DATE, Kind.LATIN})
_WEIGHT_OF_KIND = tuple(WEIGHTS[kind] for kind in Kind)  # by the kind's number: a lookup per anchor, no Enum call


def weight(value: int) -> float:
    return _WEIGHT_OF_KIND[value >> _KIND_SHIFT]


def _plain(word: str) -> str:
    """Lower case, no diacritics, apostrophes, dots or hyphens: "Sŏn-hŭi" → "sonhui", "O’Brien" → "obrien"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’.-")


# Digits of other scripts (Arabic-Indic, Persian, Devanagari, Bengali, Thai) as ASCII: NFKC folds only the
# full-width ones.
_OTHER_DIGITS = {zero + n: str(n) for zero in (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50) for n in range(10)}


def _digits(text: str) -> str:
    return text if text.isascii() else text.translate(_OTHER_DIGITS)


def _number(whole: str, fraction: str | None, scale: int) -> Anchor | None:
    integer = int(re.sub(r"\D", "", whole))
    if fraction is not None and scale == 1 and len(fraction) == 3 and not re.search(r"\D", whole):
        # "2.500" / "2,500": a thousands group, whichever separator the language uses.
        integer, fraction = integer * 1000 + int(fraction), None
    if fraction is not None:
        value = (integer + int(fraction) / 10 ** len(fraction)) * scale
        text = str(round(value)) if scale > 1 and float(value).is_integer() else f"{value:.6g}"
        return Anchor(Kind.NUMBER, text)
    value_int = integer * scale
    if scale == 1 and value_int < 10:
        return None  # one, two, three: more often words than digits, and in every story
    if scale == 1 and value_int < 100:
        return Anchor(Kind.SMALL, str(value_int))
    if scale == 1 and 1900 <= value_int <= 2100:
        return Anchor(Kind.YEAR, str(value_int))
    return Anchor(Kind.NUMBER, str(value_int))


def _numbers(text: str) -> Iterator[tuple[int, Anchor]]:
    for match in _NUMBER.finditer(text):
        whole, fraction = match.group(1), match.group(2)
        scale = 1
        after = _SCALE.match(text, match.end())
        if after:
            scale = _SCALE_OF.get(after.group(1).lower(), _SCALE_OF.get(after.group(1), 1))
        elif match.start() > 0 and text[match.start() - 1] in "$£€¥" and _MONEY_M.match(text, match.end()):
            scale = 10**6
        found = _number(whole, fraction, scale)
        if found is not None:
            yield match.start(), found


def _dates(text: str) -> Iterator[tuple[int, Anchor]]:
    for match in _WORD.finditer(text):
        name = match.group()
        lowered = name.lower()
        month = _MONTH_WORDS.get(lowered)
        if month is None or (lowered in _CAPITALISED_ONLY and not name[0].isupper()):
            continue
        end = match.end() + 1 if text[match.end():match.end() + 1] == "." else match.end()
        before = _DAY_BEFORE.search(text, max(0, match.start() - 8), match.start())
        after = _DAY_AFTER.match(text[end:end + 6])
        day = before.group(1) if before else after.group(1) if after else None
        if day is not None and 1 <= int(day) <= 31:
            yield match.start(), Anchor(Kind.DATE, f"{month}-{int(day)}")
        else:
            yield match.start(), Anchor(Kind.MONTH, str(month))
    for match in _CJK_DATE.finditer(text):
        month = int(match.group(1))
        if not 1 <= month <= 12:
            continue
        day = match.group(2)
        if day is not None and 1 <= int(day) <= 31:
            yield match.start(), Anchor(Kind.DATE, f"{month}-{int(day)}")
        else:
            yield match.start(), Anchor(Kind.MONTH, str(month))


def _latin_share(text: str) -> float:
    sample = text[:3000]
    latin = len(_LATIN_LETTERS.findall(sample))
    other = len(_OTHER_LETTERS.findall(sample)) if not sample.isascii() else 0
    return latin / (latin + other) if latin + other else 0.0


def _latin_tokens(text: str, latin_text: bool) -> Iterator[tuple[int, Anchor]]:
    """In a Latin-script text, the capitalised words inside a sentence and the acronyms; in a text of another
    script, every Latin-script word (a translator leaves those alone)."""
    for match in (_CAPITALISED_WORD if latin_text else _LATIN_WORD).finditer(text):
        word = match.group()
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        if len(word) < 2:
            continue
        acronym = sum(1 for c in word if c.isupper()) >= 2 and not any(c.islower() for c in word[:-1])
        if acronym and word.endswith("s") and len(word) > 2:
            word = word[:-1]  # "MWPs", "AMs"
        plain = _plain(word)
        if len(plain) < 2 or plain in _NOT_ANCHORS or plain in _MONTH_WORDS:
            continue
        if latin_text and not acronym:
            if not word[0].isupper() or len(plain) < 3:
                continue
            if _SENTENCE_OPENER.search(text, max(0, match.start() - 3), match.start()):
                continue  # capitalised because it opens a sentence
        yield match.start(), Anchor(Kind.LATIN, plain)


@dataclass(frozen=True, slots=True)
class CrossPrint:
    """What the index keeps of a report to find its translations: anchors with where they stand, and its shape."""

    anchors: bytes = b""  # per anchor: its value (uint32 LE) and where it first appears (one byte, 0..255)
    shape: bytes = b""  # paragraphs (uint16 LE), then the share of the text before 10%, 20%.. 90% of them (9 bytes)

    def values(self) -> tuple[int, ...]:
        return tuple(int.from_bytes(self.anchors[i:i + 4], "little") for i in range(0, len(self.anchors) - 4, 5))

    def positions(self) -> dict[int, int]:
        return {int.from_bytes(self.anchors[i:i + 4], "little"): self.anchors[i + 4]
                for i in range(0, len(self.anchors) - 4, 5)}


_CJK_SIZE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _size(paragraph: str) -> int:
    """A paragraph's length in Latin-letter terms: a CJK character or Hangul syllable says about three."""
    return len(paragraph) + 2 * len(_CJK_SIZE.findall(paragraph))


def shape(lines: Sequence[str]) -> bytes:
    """How a text is cut into paragraphs: a translation keeps its original's paragraphs and their proportions."""
    sizes = [_size(line) for line in lines]
    total = sum(sizes)
    if not total:
        return b""
    cumulative: list[float] = []
    running = 0
    for size in sizes:
        running += size
        cumulative.append(running / total)
    points = []
    for tenth in range(1, 10):
        at = tenth * len(sizes) / 10  # paragraphs read, fractional: interpolate between paragraph ends
        whole = int(at)
        before = cumulative[whole - 1] if whole else 0.0
        after = cumulative[whole] if whole < len(cumulative) else 1.0
        points.append(round(255 * (before + (after - before) * (at - whole))))
    return min(len(sizes), 65535).to_bytes(2, "little") + bytes(points)


def cross_print(title: str, lines: Sequence[str], names: Iterable[str] = ()) -> CrossPrint:
    """The anchors of a report in order of first appearance (title, then text), at most MAX_ANCHORS, each with
    its paragraph's place in the text; `names` are the canonical spellings of the names it mentions
    (`Record.names`), placed with the title's anchors (where a name first appears is not known)."""
    found: dict[int, int] = {}
    parts = [title, *lines] if title else list(lines)
    latin_text = _latin_share(" ".join(parts[:8])) > 0.5
    for number, part in enumerate(parts):
        at = min(255, int(256 * (number + 0.5) / len(parts)))
        text = _digits(unicodedata.normalize("NFKC", part))
        located = [*_numbers(text), *_dates(text), *_latin_tokens(text, latin_text)]
        located.sort(key=lambda item: item[0])
        for _, anchor in located:
            found.setdefault(anchor.value(), at)
        if number == 0:
            for name in names:
                found.setdefault(Anchor(Kind.NAME, " ".join(_plain(word) for word in name.split())).value(), at)
        if len(found) >= MAX_ANCHORS:
            break
    kept = list(found.items())[:MAX_ANCHORS]
    return CrossPrint(b"".join(value.to_bytes(4, "little") + bytes([at]) for value, at in kept), shape(lines))


def anchors(title: str, lines: Sequence[str], names: Iterable[str] = ()) -> tuple[int, ...]:
    """The anchor values of `cross_print`, in order."""
    return cross_print(title, lines, names).values()


def keyed(values: Sequence[int], count: int) -> list[int]:
    """The `count` anchors to look candidates up by: the most telling kinds first, then in text order (a month
    alone is in a twelfth of all stories: never a key)."""
    specific = [value for value in values if kind_of(value) != Kind.MONTH]
    specific.sort(key=lambda value: -weight(value))  # stable: text order within a kind's weight
    return specific[:count]


@dataclass(frozen=True, slots=True)
class CrossMatch:
    """How two reports in different languages agree: the weight of the anchors they share at the same place in
    their texts, that weight as a share of the lighter report's, and whether their paragraphs agree."""

    aligned: float
    share: float
    shaped: bool
    specific: int = 0  # aligned anchors that say which story (not the leader's name, a year or a month)


def _shape_agrees(a: bytes, b: bytes, options: CrossOptions) -> bool:
    if len(a) < 11 or len(b) < 11:
        return False
    count_a, count_b = int.from_bytes(a[:2], "little"), int.from_bytes(b[:2], "little")
    if min(count_a, count_b) < options.min_paragraphs or min(count_a, count_b) < options.paragraph_ratio * max(
            count_a, count_b):
        return False
    return max(abs(x - y) for x, y in zip(a[2:11], b[2:11], strict=True)) <= options.shape_tolerance


@dataclass(frozen=True, slots=True)
class CrossOptions:
    """When two reports in different languages are one story (tuned on two thirds of the NTREX stories)."""

    position_tolerance: int = 26  # of 256: a shared anchor within a tenth of the text of its place in the other
    min_paragraphs: int = 3  # a text of fewer paragraphs has no shape to compare
    paragraph_ratio: float = 0.9  # the smaller paragraph count at least this share of the larger
    shape_tolerance: int = 18  # of 256: the proportions of the text before each tenth of its paragraphs
    strong: float = 6.0  # aligned anchor weight that links on its own...
    supported: float = 1.5  # ... or when the paragraphs agree too
    min_specific: int = 1  # ... with this many anchors that are neither a name, a year nor a month (every story of
    # a day in Pyongyang names its leader, in the first paragraph, and the year)
    min_share: float = 0.3  # and always this share of the lighter report's anchors, aligned: two reports of one
    # event by two outlets share names and numbers, but not most of them at the same places


def compare_cross(query: CrossPrint, stored: CrossPrint, options: CrossOptions) -> CrossMatch:
    mine, theirs = query.positions(), stored.positions()
    tolerance = options.position_tolerance
    found = [value for value, at in mine.items() if value in theirs and abs(theirs[value] - at) <= tolerance]
    if not found:
        return CrossMatch(0.0, 0.0, False)
    aligned = sum(map(weight, found))
    lighter = min(sum(map(weight, mine)), sum(map(weight, theirs)))
    specific = sum(1 for value in found if value >> _KIND_SHIFT in _SPECIFIC)
    return CrossMatch(aligned, aligned / lighter if lighter else 0.0, _shape_agrees(query.shape, stored.shape, options),
                      specific)


def is_translation(match: CrossMatch, options: CrossOptions) -> bool:
    if match.share < options.min_share:
        return False
    return match.aligned >= options.strong or (
        match.shaped and match.aligned >= options.supported and match.specific >= options.min_specific)
