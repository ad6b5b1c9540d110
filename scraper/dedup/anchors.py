"""What a translation of a report keeps of it: numbers, dates, names and codes, as anchors.

A Korean, Chinese or Russian version of a story shares no shingle with the English one, but it prints the same
amounts ("£11million", "11 млн", "1100万", "1100만" are all 11000000), the same dates ("July 23", "23 juillet",
"7月23日" are all 7-23), the same people (the names table's canonical spelling, `Record.names`, which knows that
김정은, 金正恩 and Ким Чен Ын are Kim Jong Un), the codes a translator leaves alone (KN-25, MWP), and the names the
table does not know, transliterated: they sound alike (`sound_key`: Trump, Трамп, トランプ, 트럼프, ترامب and 特朗普
are all TRNP). Where a script marks its names (capitals in Latin and Cyrillic; in German, capitals that are not
German nouns) those are SOUND anchors; where it does not (Hangul, Arabic; the katakana words of Japanese, as many
loanwords as names; the transliterating characters of Chinese), every word's sound is `heard`, and the other
report's names are looked for among them. Each anchor is a 32-bit value: its kind in the top bits, a hash of its
normalised form below; a report's anchors are kept in the order they first appear in its title and text,
because a translation tells its facts in the same order and a chance overlap does not.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import struct
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import NamedTuple

from anyascii import anyascii

from scraper.analyse.names import load_aliases

MAX_ANCHORS = 48  # kept per report, in order of first appearance (title, then text)


class Kind(IntEnum):
    """What an anchor is; the weight it carries is `WEIGHTS[kind]`."""

    SMALL = 0  # a number from 10 to 99: days, ages, percentages, counts; often spelt out in words instead
    YEAR = 1  # 1900..2100
    NUMBER = 2  # 100 and over (not a year), a decimal, or an amount with its scale word
    DATE = 3  # a day of a month
    MONTH = 4  # a month named without its day
    LATIN = 5  # an acronym or a code, as spelt: MWP, KN-25, COVID-19
    NAME = 6  # a person or organisation of the names table, by its canonical spelling
    SOUND = 7  # a name by its sound in any script: the consonants of its transliteration (`sound_key`)


# How much one shared anchor of a kind says that two texts tell the same story.
WEIGHTS = {Kind.SMALL: 0.5, Kind.YEAR: 0.5, Kind.NUMBER: 2.0, Kind.DATE: 1.5, Kind.MONTH: 0.5, Kind.LATIN: 1.0,
           Kind.NAME: 1.5, Kind.SOUND: 1.0}

_KIND_SHIFT = 29
_HASH_MASK = (1 << _KIND_SHIFT) - 1
_SOUND_LENGTH_MASK = 3
_SOUND_KNOWN = 4
_HEARD = 8  # a SOUND value kept with the anchors that is a word heard, not a name (see `CrossPrint.heard`)
# The weight of a SOUND anchor by its consonant classes: 2 (Wales RS, Warren RN), 3, 4, 5 or more. The kind's
# weight is that of a whole name.
_SOUND_WEIGHTS = tuple(WEIGHTS[Kind.SOUND] * share for share in (0.5, 0.75, 1.0, 1.0))

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
# Days of the week, Monday = 0: the day a report says something happened on when it gives no date ("arrived here
# on Thursday"). Kept apart from the anchors (`CrossPrint.weekdays`): they tell two fillings of one template apart
# (`other_facts`), and neither find nor link a translation.
_WEEKDAYS = (  # English first
    "monday lundi montag lunes понедельник", "tuesday mardi dienstag martes вторник",
    "wednesday mercredi mittwoch miércoles miercoles",  # (not Russian: среда is also "environment")
    "thursday jeudi donnerstag jueves четверг", "friday vendredi freitag viernes пятница пятницу пятницы",
    "saturday samedi samstag sonnabend sábado sabado суббота субботу субботы",
    "sunday dimanche sonntag domingo воскресенье воскресенья",
)
_WEEKDAY_WORDS = {word: day for day, words in enumerate(_WEEKDAYS) for word in words.split()}
_ENGLISH_DAY_STEMS = tuple(words.split()[0].removesuffix("day") for words in _WEEKDAYS)  # "mon", "tues"...
_CJK_WEEKDAY = re.compile(r"([월화수목금토일])요일|(?:星期|礼拜|禮拜)([一二三四五六日天])|([月火水木金土日])曜日")
_CJK_WEEKDAY_MARKS = ("요일", "星期", "礼拜", "禮拜", "曜日")
_CJK_DAY_NUMBER = {**{c: n for n, c in enumerate("월화수목금토일")}, **{c: n for n, c in enumerate("一二三四五六日")},
                   "天": 6, **{c: n for n, c in enumerate("月火水木金土日")}}

# --- Latin-script tokens -----------------------------------------------------------------------------------------
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_LATIN_WORD = re.compile(rf"(?<![{_LATIN_LETTER}0-9'’])[{_LATIN_LETTER}](?:[{_LATIN_LETTER}0-9'’.-]*"
                         rf"[{_LATIN_LETTER}0-9])?")
# In a Latin-script text only capitalised words can be anchors: found directly, most words are never looked at.
_CAPITALISED_WORD = re.compile(rf"(?<![{_LATIN_LETTER}0-9'’])[A-Z\u00c0-\u00d6\u00d8-\u00de]"
                               rf"(?:[{_LATIN_LETTER}0-9'’.-]*[{_LATIN_LETTER}0-9])?")
_LATIN_LETTERS = re.compile(rf"[{_LATIN_LETTER}]")
_CYRILLIC_LETTERS = re.compile(r"[\u0400-\u04ff]")
_OTHER_LETTERS = re.compile(rf"[^\W\d_{_LATIN_LETTER}]")
_SENTENCE_OPENER = re.compile(r"(?:^|[.!?:;\"“”«»„(\[—–-]|\n)\s*$")
# Capitalised words that open clauses or stand before names in the Latin-script languages: never anchors alone.
_NOT_ANCHOR_WORDS = """
the a an and or but if in on at as by for from of to with without this that these those there here it its he she
they we you i his her their our mr mrs ms dr sir st mt le la les un une des du de del el los las lo una unos unas
der die das den dem des ein eine einer eines und oder im am vom zum zur il lui elle ils elles nous vous on je
m mme mlle herr frau sr sra srta don doña según pero cuando como por para con sin sobre entre hasta desde
mais pour avec sans sur dans chez selon après avant lors quand comme aber wenn als nach vor bei mit ohne über
"""
# (and the days of the week of the Latin-script languages)
_NOT_ANCHORS = frozenset(_NOT_ANCHOR_WORDS.split()) | {word for word in _WEEKDAY_WORDS if word[0] < "\u0400"}

# --- names by their sound ----------------------------------------------------------------------------------------
MIN_SOUND = 2  # consonant classes a sound key needs: one (Toyota is T) is in too many words
_NAME_RATIO = 30  # a German word printed this many times as often in German as in English is a German noun
_CYRILLIC_CAPITALISED = re.compile(r"(?<![\w'’-])[А-ЯЁ][а-яё]+(?:-[А-ЯЁа-яё][а-яё]+)*")
# Capitalised Russian words inside a sentence that are not names (after a quotation mark, an abbreviation...).
_NOT_CYRILLIC_NAME_WORDS = """
и в во не на с со что как а но к ко по из за от до для о об это он она они мы вы я его ее её их же ли бы
"""
_NOT_CYRILLIC_NAMES = frozenset(_NOT_CYRILLIC_NAME_WORDS.split())
# Case endings with a consonant (the vowel ones go with the vowels): Путиным, Трампом, Лондоне.
_CASE_ENDING = re.compile(r"(?:ом|ем|ым|им|ами|ями|ах|ях)$")
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}")  # a run of katakana (・ and ＝ part names)
_NOT_ASCII_LETTER = re.compile(r"[^a-z]")
MIN_HEARD = 3  # consonant classes of a word's sound before it is compared with names: two are heard by chance
MAX_HEARD = 400  # word sounds heard of a text (a lookup compares them all)
KEPT_HEARD = 64  # ... and kept by the index with its anchors
_UNMARKED_WORD = re.compile(r"[\uac00-\ud7a3]{2,}|[\u0621-\u064a]{3,}")
# Korean particles and endings after a noun, longest first (one is taken off).
_KOREAN_PARTICLES = """
으로부터 에서는 으로는 이라는 이라고 로부터 이었다 에게서 에서 에게 으로 까지 부터 처럼 보다 라는 라고 에는 과의
와의 께서 이다 였다 이며 이고 에도 와도 과도 조차 마저 이나 이란 은 는 이 가 을 를 의 에 와 과 로 도 만 나 란
"""
_KOREAN_PARTICLE = re.compile("(?:" + "|".join(sorted(_KOREAN_PARTICLES.split(), key=len, reverse=True)) + ")$")
# The commonest Han characters of Chinese transliteration tables (foreign names are spelt with a few hundred): a
# run of two or more in a Chinese text is mostly a name (特朗普, 布里斯托尔, 弗里曼) and is heard as one word.
_TRANSLITERATING_HAN = (
    "阿埃艾爱安昂奥巴拜班邦保鲍贝本比彼毕宾波伯博布查策茨达戴丹道德迪蒂丁东杜敦多厄恩尔法范菲费芬丰弗福富盖甘冈戈格"
    "根贡古瓜哈海汉豪赫亨洪胡华霍基吉加贾杰金卡凯坎康考科可克肯库夸奎昆拉莱赖兰朗劳勒雷蕾黎里利莉丽连林琳隆卢鲁路"
    "伦罗洛马玛迈麦曼梅门蒙米密明莫默姆穆纳娜奈南内尼妮涅宁纽努诺欧帕潘佩彭皮珀普奇齐恰乔切钦琼丘萨塞赛桑瑟森沙莎"
    "尚舍圣施什史舒斯松苏索塔泰坦汤唐特滕提廷图托瓦旺威韦维温文沃乌伍西希锡席夏谢辛休雅亚扬耶伊因英尤约泽扎詹兹卓"
    "佐顿士翰逊夫娃琪丝娅柯葛茜芙黛瑞薇珊汀斐契柏佛嘉"
)
_HAN_NAME = re.compile(f"[{_TRANSLITERATING_HAN}]{{2,}}")
_KANA = re.compile(r"[\u3040-\u30ff]")
_ARABIC_PREFIX = re.compile(r"^(?:وال|بال|فال|كال|لل|ال|و|ف|ب|ل)")
# Spellings of one consonant, longest first, rewritten to its class before the single letters are.
_DIGRAPHS = (("tch", "S"), ("sch", "S"), ("ch", "S"), ("sh", "S"), ("zh", "S"), ("ts", "S"), ("tz", "S"),
             ("dz", "S"), ("dj", "S"), ("th", "T"), ("ph", "P"), ("kh", "K"), ("gh", "K"), ("ck", "K"), ("qu", "K"),
             ("ng", "N"), ("x", "KS"))
_SOFT_C = re.compile(r"c(?=[eiy])")
_SOUNDS = str.maketrans({**dict.fromkeys("kgqc", "K"), **dict.fromkeys("td", "T"), **dict.fromkeys("pbfv", "P"),
                         **dict.fromkeys("szj", "S"), **dict.fromkeys("rl", "R"), **dict.fromkeys("mn", "N"),
                         **dict.fromkeys("aeiouyhw", "")})
_REPEAT = re.compile(r"(.)\1+")


@dataclass(frozen=True, slots=True)
class Anchor:
    kind: Kind
    text: str  # the normalised form: "11000000", "7-23", "mwp", "kim jong un"

    def value(self) -> int:
        digest = hashlib.blake2b(self.text.encode(), digest_size=4, person=b"nn-anchor").digest()
        hashed = int.from_bytes(digest, "little") & _HASH_MASK
        if self.kind is Kind.SOUND:  # its length in the low bits (a longer sound is a rarer one), and whether it
            # sounds like a name of the names table (Kim, Jong: in every story of a day in Pyongyang)
            known = _SOUND_KNOWN if self.text in table_sounds() else 0
            hashed = (hashed & ~(_SOUND_LENGTH_MASK | _SOUND_KNOWN | _HEARD)) | known | (
                min(len(self.text), MIN_SOUND + 3) - MIN_SOUND)
        return (int(self.kind) << _KIND_SHIFT) | hashed


# The values of the days of the week (`_weekdays`): DATE anchors that are kept apart from the others.
_WEEKDAY_VALUES = frozenset(Anchor(Kind.DATE, f"weekday-{day}").value() for day in range(7))


def kind_of(value: int) -> Kind:
    return Kind(value >> _KIND_SHIFT)


_SPECIFIC = frozenset({Kind.SMALL, Kind.NUMBER, Kind.DATE, Kind.LATIN, Kind.SOUND})
_WEIGHT_OF_KIND = tuple(WEIGHTS[kind] for kind in Kind)  # by the kind's number: a lookup per anchor, no Enum call


def weight(value: int) -> float:
    kind = value >> _KIND_SHIFT
    if kind == Kind.SOUND:
        return _SOUND_WEIGHTS[value & _SOUND_LENGTH_MASK]
    return _WEIGHT_OF_KIND[kind]


def sound_length(value: int) -> int:
    """The consonant classes of a SOUND anchor (MIN_SOUND + 3 standing for that many or more)."""
    return MIN_SOUND + (value & _SOUND_LENGTH_MASK)


def _plain(word: str) -> str:
    """Lower case, no diacritics, apostrophes, dots or hyphens: "Sŏn-hŭi" → "sonhui", "O’Brien" → "obrien"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’.-")


# Digits of other scripts (Arabic-Indic, Persian, Devanagari, Bengali, Thai) as ASCII: NFKC folds only the
# full-width ones.
_OTHER_DIGITS = {zero + n: str(n) for zero in (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50) for n in range(10)}


def _weekdays(text: str, language: str | None) -> Iterator[tuple[int, Anchor]]:
    # In English each "day" found is looked at; in other languages each word is looked up (one alternation of them
    # all is slower than either); in Chinese, Japanese and Korean only where a day's mark is.
    if language == "en":
        lowered = text.lower()
        at = lowered.find("day")
        while at >= 0:
            after = at + 3
            if after == len(lowered) or not lowered[after].isalpha():
                for number, stem in enumerate(_ENGLISH_DAY_STEMS):
                    start = at - len(stem)
                    if start >= 0 and lowered.startswith(stem, start) and not lowered[start - 1:start].isalpha():
                        yield start, Anchor(Kind.DATE, f"weekday-{number}")
                        break
            at = lowered.find("day", after)
    else:
        for match in _WORD.finditer(text):
            day = _WEEKDAY_WORDS.get(match.group().lower())
            if day is not None:
                yield match.start(), Anchor(Kind.DATE, f"weekday-{day}")
    if any(mark in text for mark in _CJK_WEEKDAY_MARKS):
        for match in _CJK_WEEKDAY.finditer(text):
            mark = next(group for group in match.groups() if group)
            yield match.start(), Anchor(Kind.DATE, f"weekday-{_CJK_DAY_NUMBER[mark]}")


def _digits(text: str) -> str:
    return text if text.isascii() else text.translate(_OTHER_DIGITS)


_MAX_DIGITS = 30  # a longer run of digits is a code or a hash, not an amount (and past what int() and float read)


def _number(whole: str, fraction: str | None, scale: int) -> Anchor | None:
    if len(whole) > _MAX_DIGITS or (fraction is not None and len(fraction) > _MAX_DIGITS):
        return None
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


class Script(Enum):
    """The script most of a text's letters are in, which says how its names are found."""

    LATIN = "latin"
    CYRILLIC = "cyrillic"
    OTHER = "other"


def _script(text: str) -> Script:
    sample = text[:3000]
    latin = len(_LATIN_LETTERS.findall(sample))
    other = len(_OTHER_LETTERS.findall(sample)) if not sample.isascii() else 0
    if latin + other == 0:
        return Script.OTHER
    if latin / (latin + other) > 0.5:
        return Script.LATIN
    cyrillic = len(_CYRILLIC_LETTERS.findall(sample))
    return Script.CYRILLIC if cyrillic / (latin + other) > 0.5 else Script.OTHER


@dataclass(frozen=True, slots=True)
class Words:
    """Word frequencies of German and English (the lexicons of language identification): which capitalised
    words of a German text are nouns, not names."""

    german: Mapping[str, int]
    english: Mapping[str, int]


@cache
def table_sounds() -> frozenset[str]:
    """The sounds of the words of the names table's Latin and Cyrillic spellings (Kim KN, Jong SN, Чен SN): such a
    word is a NAME anchor where the table knows its spelling, and its sound alone does not say which story (every
    story of a day in Pyongyang names its leader). Its SOUND anchor still links it in a script the table lacks."""
    return frozenset(sound for alias in load_aliases() for spelling in (alias.canonical, *alias.variants)
                     if _script(spelling) is not Script.OTHER for word in spelling.replace("-", " ").split()
                     if len(sound := sound_key(word)) >= MIN_SOUND)


@cache
def german_words() -> Words:
    """Loaded once per process, on the first German text (read-only after)."""

    def words(language: str) -> Mapping[str, int]:
        path = resources.files("scraper") / "data" / "lexicon" / f"{language}.json.gz"
        found: dict[str, int] = json.loads(gzip.decompress(path.read_bytes()))["words"]
        return MappingProxyType(found)

    return Words(words("de"), words("en"))


def _common_noun(plain: str, words: Words) -> bool:
    """A German noun, capitalised as German prints every noun: a word of the German list that English does not
    use as often (names are printed in both: Paris, Merkel, Trump), or a compound of German words."""
    german = words.german.get(plain)
    if german is not None:
        return words.english.get(plain, 0) * _NAME_RATIO < german
    return _compound(plain, words.german, 3)


def _compound(word: str, german: Mapping[str, int], parts: int) -> bool:
    """`word` is German words run together, `parts` of them at most ("Sonder|wirtschafts|zone", with a linking s)."""
    for cut in range(3, len(word) - 2):
        head, tail = word[:cut], word[cut:]
        known_head = head in german or (head.endswith("s") and head[:-1] in german)
        if known_head and (tail in german or (parts > 2 and _compound(tail, german, parts - 1))):
            return True
    return False


def _name_tokens(text: str, script: Script, language: str | None) -> Iterator[tuple[int, Anchor]]:
    """Acronyms and codes as they are spelt (LATIN), and names by their sound (SOUND): in a Latin-script text
    the capitalised words inside a sentence, in a Cyrillic one the same, and in any other the Latin-script words
    a translator left alone (the rest of such a text is `heard`)."""
    latin_text = script is Script.LATIN
    cyrillic = script is Script.CYRILLIC
    german = language == "de"
    for match in (_CAPITALISED_WORD if latin_text else _LATIN_WORD).finditer(text):
        word = match.group()
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        if len(word) < 2:
            continue
        acronym = (sum(1 for c in word if c.isupper()) >= 2 and not any(c.islower() for c in word[:-1])) or any(
            c.isdigit() for c in word)
        if acronym and word.endswith("s") and len(word) > 2:
            word = word[:-1]  # "MWPs", "AMs"
        plain = _plain(word)
        if len(plain) < 2 or plain in _NOT_ANCHORS or plain in _MONTH_WORDS:
            continue
        if acronym:
            yield match.start(), Anchor(Kind.LATIN, plain)
            continue
        if latin_text:
            if len(plain) < 3 or _SENTENCE_OPENER.search(text, max(0, match.start() - 3), match.start()):
                continue  # capitalised because it opens a sentence
            if german and _common_noun(plain, german_words()):
                continue
        sound = sound_key(plain)
        if len(sound) >= MIN_SOUND:
            yield match.start(), Anchor(Kind.SOUND, sound)
    if cyrillic:
        for match in _CYRILLIC_CAPITALISED.finditer(text):
            word = match.group().casefold()
            if word in _NOT_CYRILLIC_NAMES:
                continue
            if _SENTENCE_OPENER.search(text, max(0, match.start() - 3), match.start()):
                continue
            sound = sound_key(anyascii(_CASE_ENDING.sub("", word)))
            if len(sound) >= MIN_SOUND:
                yield match.start(), Anchor(Kind.SOUND, sound)


def _heard_words(text: str) -> Iterator[str]:
    """The words of a Hangul or Arabic text without the particles and prefixes glued to them: 스코틀랜드의 is
    스코틀랜드, وبريطانيا is بريطانيا."""
    for match in _UNMARKED_WORD.finditer(text):
        word = match.group()
        hangul = "\uac00" <= word[0] <= "\ud7a3"
        word = (_KOREAN_PARTICLE.sub("", word) or word) if hangul else _ARABIC_PREFIX.sub("", word)
        if len(word) >= 2:
            yield word


def heard(parts: Sequence[str], script: Script) -> bytes:
    """Every word's sound (at least MIN_HEARD classes) with its paragraph's place, in a text of a script that
    does not mark its names: the words of Hangul and Arabic, the katakana words of Japanese (foreign names, and as
    many loanwords), every run of the characters Chinese transliterates names with; empty in any other."""
    if script is not Script.OTHER:
        return b""
    chinese = not _KANA.search(" ".join(parts[:8]))
    found: dict[tuple[int, int], None] = {}
    for number, part in enumerate(parts):
        at = min(255, int(256 * (number + 0.5) / len(parts)))
        words = [*_heard_words(part), *(_HAN_NAME.findall(part) if chinese else _KATAKANA_WORD.findall(part))]
        for word in words:
            sound = sound_key(word)
            if len(sound) >= MIN_HEARD:
                found.setdefault((Anchor(Kind.SOUND, sound).value(), at))
        if len(found) >= MAX_HEARD:
            break
    return b"".join(value.to_bytes(4, "little") + bytes([at]) for value, at in list(found)[:MAX_HEARD])


def sound_key(word: str) -> str:
    """How a name sounds, as the consonants every script's spelling of it keeps: one letter per class of
    consonants that transliterations confuse (k/g, t/d, p/b/f/v, s/z/j/sh/ch, r/l, m/n), vowels and h, w, y
    dropped, repeats once. Trump, Трамп, トランプ, 트럼프, ترامب are all TRNP; Wales, Уэльс, ウェールズ are RS."""
    spelled = _NOT_ASCII_LETTER.sub("", anyascii(word).casefold() if not word.isascii() else word.casefold())
    for digraph, sound in _DIGRAPHS:
        spelled = spelled.replace(digraph, sound)
    spelled = _SOFT_C.sub("s", spelled).translate(_SOUNDS)
    return _REPEAT.sub(r"\1", spelled)


@dataclass(frozen=True, slots=True)
class CrossPrint:
    """What the index keeps of a report to find its translations: anchors with where they stand, and its shape."""

    anchors: bytes = b""  # per anchor: its value (uint32 LE) and where it first appears (one byte, 0..255)
    shape: bytes = b""  # paragraphs (uint16 LE), then the share of the text before 10%, 20%.. 90% of them (9 bytes)
    # In a script that does not mark names (Hangul, Arabic): the sound of every word, as SOUND values with their
    # places (the same layout as `anchors`). Only a lookup uses them, against the names of the reports it finds.
    heard: bytes = b""

    def values(self) -> tuple[int, ...]:
        """The anchors, in order (not the word sounds or the days of the week kept with them)."""
        return self.read().values

    def positions(self) -> dict[int, int]:
        return self.read().positions

    def weekdays(self) -> dict[int, int]:
        """The days of the week the text names ("on Thursday"), each at its first place."""
        return self.read().weekdays

    def read(self) -> ReadAnchors:
        """`values`, `positions` and `weekdays` from one pass over the anchors (a comparison needs all three)."""
        values: list[int] = []
        positions: dict[int, int] = {}
        weekdays: dict[int, int] = {}
        for value, at in self._records(self.anchors):
            if value in _WEEKDAY_VALUES:
                weekdays[value] = at
            elif not _is_heard(value):
                values.append(value)
                positions[value] = at
        return ReadAnchors(tuple(values), positions, weekdays)

    def heard_at(self) -> dict[int, tuple[int, ...]]:
        """Each word sound heard (those kept with the anchors, and all of `heard`), and every place it was heard at."""
        places: dict[int, list[int]] = {}
        kept = ((value & ~_HEARD, at) for value, at in self._records(self.anchors) if _is_heard(value))
        for value, at in (*self._records(self.heard), *kept):
            places.setdefault(value, []).append(at)
        return {value: tuple(at) for value, at in places.items()}

    @staticmethod
    def _records(blob: bytes) -> Iterator[tuple[int, int]]:
        """(value, place) of each record: a uint32 LE and a byte, as `cross_print` packs them."""
        return _RECORD.iter_unpack(blob[:len(blob) - len(blob) % _RECORD.size])


class ReadAnchors(NamedTuple):
    """A `CrossPrint`'s anchors read: in order, each at its (last) place, and the days of the week at theirs."""

    values: tuple[int, ...]
    positions: dict[int, int]
    weekdays: dict[int, int]


_RECORD = struct.Struct("<IB")  # one record of `CrossPrint.anchors` and `CrossPrint.heard`


def _is_heard(value: int) -> bool:
    return value >> _KIND_SHIFT == Kind.SOUND and bool(value & _HEARD)


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


def placed_anchors(title: str, lines: Sequence[str], names: Iterable[str] = (), language: str | None = None
                   ) -> list[tuple[Anchor, int]]:
    """The anchors of a report in order of first appearance (title, then text), at most MAX_ANCHORS, each with
    its paragraph's place in the text (0..255); `names` are the canonical spellings of the names it mentions
    (`Record.names`), placed with the title's anchors (where a name first appears is not known)."""
    parts = [title, *lines] if title else list(lines)
    return _placed(parts, _script(" ".join(parts[:8])), names, language)


def _placed(parts: Sequence[str], script: Script, names: Iterable[str], language: str | None
            ) -> list[tuple[Anchor, int]]:
    found: dict[int, tuple[Anchor, int]] = {}
    for number, part in enumerate(parts):
        at = min(255, int(256 * (number + 0.5) / len(parts)))
        text = _digits(unicodedata.normalize("NFKC", part))
        located = [*_numbers(text), *_dates(text), *_name_tokens(text, script, language)]
        located.sort(key=lambda item: item[0])
        for _, anchor in located:
            found.setdefault(anchor.value(), (anchor, at))
        if number == 0:
            for name in names:
                anchor = Anchor(Kind.NAME, " ".join(_plain(word) for word in name.split()))
                found.setdefault(anchor.value(), (anchor, at))
        if len(found) >= MAX_ANCHORS:
            break
    return list(found.values())[:MAX_ANCHORS]


def cross_print(title: str, lines: Sequence[str], names: Iterable[str] = (), language: str | None = None
                ) -> CrossPrint:
    """`placed_anchors` packed as the index keeps them, the text's paragraph shape, and what it heard."""
    parts = [title, *lines] if title else list(lines)
    script = _script(" ".join(parts[:8]))
    placed = _placed(parts, script, names, language) + _placed_weekdays(parts, language)
    everything = heard(parts, script)
    kept = b"".join((value | _HEARD).to_bytes(4, "little") + bytes([at])
                    for value, at in _kept_heard(CrossPrint._records(everything)))
    return CrossPrint(b"".join(anchor.value().to_bytes(4, "little") + bytes([at]) for anchor, at in placed) + kept,
                      shape(lines), everything)


def _placed_weekdays(parts: Sequence[str], language: str | None) -> list[tuple[Anchor, int]]:
    """The days of the week named in the title and the first two paragraphs (where a lead stands), each at its part's
    place as `_placed` gives it; not counted among the MAX_ANCHORS anchors."""
    found: dict[int, tuple[Anchor, int]] = {}
    for number, part in enumerate(parts[:3]):
        at = min(255, int(256 * (number + 0.5) / len(parts)))
        for _, anchor in _weekdays(unicodedata.normalize("NFKC", part), language):
            found.setdefault(anchor.value(), (anchor, at))
    return list(found.values())


def _kept_heard(records: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The word sounds the index keeps of a text that marks no names, for reports in other scripts to find their
    names among: the longest (the likeliest names) first, each at its first place, at most KEPT_HEARD."""
    first: dict[int, int] = {}
    for value, at in records:
        first.setdefault(value, at)
    ordered = sorted(first.items(), key=lambda item: -sound_length(item[0]))  # stable: text order within a length
    return ordered[:KEPT_HEARD]


def anchors(title: str, lines: Sequence[str], names: Iterable[str] = (), language: str | None = None
            ) -> tuple[int, ...]:
    """The anchor values of `cross_print`, in order."""
    return cross_print(title, lines, names, language).values()


def keyed(values: Sequence[int], count: int) -> list[int]:
    """The `count` anchors to look candidates up by: the most telling kinds first, then in text order (a month
    alone is in a twelfth of all stories: never a key)."""
    specific = [value for value in values if kind_of(value) != Kind.MONTH]
    specific.sort(key=lambda value: -weight(value))  # stable: text order within a kind's weight
    return specific[:count]


def heard_keys(cross: CrossPrint, count: int) -> list[int]:
    """The `count` word sounds heard to look names up by: the longest (the rarest) first, then in text order."""
    values = [value for value in dict.fromkeys(cross.heard_at()) if sound_length(value) >= MIN_HEARD + 1]
    values.sort(key=lambda value: -sound_length(value))
    return values[:count]


@dataclass(frozen=True, slots=True)
class CrossMatch:
    """How two reports in different languages agree: the weight of the anchors they share at the same place in
    their texts, that weight as a share of the lighter report's, and whether their paragraphs agree."""

    aligned: float
    share: float
    shaped: bool
    specific: int = 0  # aligned anchors that say which story (not the leader's name, a year or a month)
    lighter: float = 0.0  # the weight of the lighter report's anchors
    heard: float = 0.0  # of `aligned`, the weight of names heard among the words of a text that marks none


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
    min_specific: int = 2  # ... with this many anchors that are neither a name, a year nor a month (every story of
    # a day in Pyongyang names its leader, in the first paragraph, and the year; one number is a coincidence)
    min_share: float = 0.3  # and always this share of the lighter report's anchors, aligned: two reports of one
    # event by two outlets share names and numbers, but not most of them at the same places
    heard_share: float = 0.5  # the share of the other report's names a text that marks no names counts as its own


def compare_cross(query: CrossPrint, stored: CrossPrint, options: CrossOptions) -> CrossMatch:
    """How `query` agrees with `stored`: the anchors both have at the same place; and when the query heard its
    words (a script that marks no names), the stored report's names heard at their place in it too."""
    mine, theirs = query.positions(), stored.positions()
    tolerance = options.position_tolerance
    found = [value for value, at in mine.items() if value in theirs and abs(theirs[value] - at) <= tolerance]
    spelt = len(found)
    heard_by_query = _names_heard(query, theirs, mine, tolerance, found)
    heard_by_stored = _names_heard(stored, mine, theirs, tolerance, found)
    lighter = min(sum(map(weight, mine)) + options.heard_share * heard_by_query,
                  sum(map(weight, theirs)) + options.heard_share * heard_by_stored)
    if not found:
        return CrossMatch(0.0, 0.0, False, 0, lighter)
    aligned = sum(map(weight, found))
    specific = sum(1 for value in found if value >> _KIND_SHIFT in _SPECIFIC and not (
        value >> _KIND_SHIFT == Kind.SOUND and value & _SOUND_KNOWN))
    return CrossMatch(aligned, aligned / lighter if lighter else 0.0, _shape_agrees(query.shape, stored.shape, options),
                      specific, lighter, sum(map(weight, found[spelt:])))


def _names_heard(hearer: CrossPrint, names: dict[int, int], own: dict[int, int], tolerance: int,
                 found: list[int]) -> float:
    """The weight of the other report's names (SOUND anchors) that `hearer`, a text that marks no names, could have
    heard; those it did hear at their place are added to `found`."""
    near = hearer.heard_at()
    if not near:
        return 0.0
    could = 0.0
    for value, at in names.items():
        if value >> _KIND_SHIFT == Kind.SOUND and value not in own and sound_length(value) >= MIN_HEARD:
            could += weight(value)
            if any(abs(place - at) <= tolerance for place in near.get(value, ())):
                found.append(value)
    return could


def is_translation(match: CrossMatch, options: CrossOptions) -> bool:
    """Most of the lighter report's anchors at their places; and enough of them spelt alike to link on their own,
    or the same paragraphs with a specific one (names heard among a text's words link only with its paragraphs)."""
    if match.share < options.min_share:
        return False
    return match.aligned - match.heard >= options.strong or (
        match.shaped and match.aligned >= options.supported and match.specific >= options.min_specific)


# --- one template, two stories -------------------------------------------------------------------------------------
# An outlet's recurring items are one text with other facts filled in: the day's interbank rates under another
# dateline, a leader's greetings to another president. Their texts verify as copies; what tells them apart is that
# each one's opening paragraph has a date (or one a day of the week and the other a date: a delegation "arrived here
# on Thursday" and "left here on Aug. 8", the rest of the sentence the same), or names, found nowhere in the other.
# A copy, a cut copy and an update keep their lead's facts (an update adds to them); a round-up or a weekly summary
# does not, and is no copy either.
_LEAD_DATES = frozenset({Kind.DATE})
_LEAD_NAMES = frozenset({Kind.NAME, Kind.SOUND})
_LEAD_KINDS = _LEAD_DATES | _LEAD_NAMES


def _lead_places(cross: CrossPrint, positions: Mapping[int, int]) -> frozenset[int]:
    """Where the anchors of a report's first paragraph stand (not its title's). A place is its part's middle
    (`_placed`): with a title the parts are the title and the paragraphs, without one the paragraphs alone, and the
    places the anchors stand at say which; when both would do, the first paragraph of either."""
    count = int.from_bytes(cross.shape[:2], "little") if len(cross.shape) >= 11 else 0
    if not count or not positions:
        return frozenset()
    placed = set(positions.values())
    titled = [min(255, int(256 * (part + 0.5) / (count + 1))) for part in range(count + 1)]
    untitled = [min(255, int(256 * (part + 0.5) / count)) for part in range(count)]
    leads = set()
    if placed <= set(titled):
        leads.add(titled[1])
    if placed <= set(untitled):
        leads.add(untitled[0])
    return frozenset(leads)


def _lead_facts(cross: CrossPrint, read: ReadAnchors) -> list[int]:
    """The dates (a day of the week too) and names of a report's first paragraph (a name that sounds like one of the
    names table's, Kim or Jong, says nothing: it is in every story of a day in Pyongyang); `read`: its anchors."""
    positions = {**read.positions, **read.weekdays}
    places = _lead_places(cross, positions)
    return [value for value, at in positions.items() if at in places and kind_of(value) in _LEAD_KINDS
            and not (kind_of(value) is Kind.SOUND and value & _SOUND_KNOWN)]


def other_facts(a: CrossPrint, b: CrossPrint, dates: int, names: int) -> bool:
    """Whether two reports whose texts agree are two fillings of one template: each one's first paragraph has at
    least `dates` dates (days of the week among them, when a date is too), or at least `names` names, that the other
    report does not print anywhere (a day of the week: in its title and first two paragraphs)."""
    read_a, read_b = a.read(), b.read()
    values_a, values_b = frozenset((*read_a.values, *read_a.weekdays)), frozenset((*read_b.values, *read_b.weekdays))
    own_a = [value for value in _lead_facts(a, read_a) if value not in values_b]
    own_b = [value for value in _lead_facts(b, read_b) if value not in values_a]

    def counted(own: list[int], kinds: frozenset[Kind]) -> int:
        return sum(1 for value in own if kind_of(value) in kinds)

    # Days of the week part two reports only against a date: a (LEAD) that no longer says the envoy "departed on
    # Sunday" but that he "returns Tuesday" is the same story; "arrived on Thursday" and "left on Aug. 8" are two.
    dated = any(kind_of(value) in _LEAD_DATES and value not in _WEEKDAY_VALUES for value in (*own_a, *own_b))
    return ((dated and min(counted(own_a, _LEAD_DATES), counted(own_b, _LEAD_DATES)) >= dates)
            or min(counted(own_a, _LEAD_NAMES), counted(own_b, _LEAD_NAMES)) >= names)
