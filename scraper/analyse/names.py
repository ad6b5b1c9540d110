"""Names in a text, one entry per person however spelt: Choi Sun-hee and Choe Son Hui are one minister.

Known names come from the alias table (`scraper/data/aliases.toml`, extended by the user's file): every
listed spelling in Latin, Hangul, Han or Cyrillic script, plus any Latin spelling that the
romanisation-aware comparison finds close to a listed one. Unknown names spelt several ways in one text
are grouped by the same comparison; the most frequent spelling is their canonical form. Other people are
told from places and organisations by cues (`scraper/data/people.toml`): a title in front of the name, a
verb of speech beside it, an East Asian surname first, or the surname used alone elsewhere in the text.
A surname alone ("Choe", after "Choe Son-hui") counts as a mention of the person last named in full with
it. The text itself is never rewritten.

The comparison reads a name as consonant and vowel clusters (`scraper/data/romanisation.toml`):
consonants must agree up to the alternations romanisations disagree on (k/g, ch/j, r/l...), and each
vowel cluster must be equal or a known equivalent (o/u, oe/oi, ui/ee, y/ey...). Ryzhenkov, Reyzhenkov and
Rezhenkov agree; Belarus and Belarusian, Kim Jong Un and Kim Jong Il, Cho and Choe do not.
"""

from __future__ import annotations

import gzip
import json
import re
import tomllib
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from scraper.analyse.hangul_names import HangulPeople
from scraper.analyse.patterns import phrase_alternation
from scraper.errors import ConfigError
from scraper.records import NameGroup

_TOKEN = re.compile(r"[^\W\d_](?:[\w'’‘ʼ-]*[^\W_])?")
# An Arabic surname's article joined to it by a hyphen, in lower case as most English papers print it ("Ahmed
# al-Sharaa", "Abdel Fattah el-Sissi", "Salah ad-Din"; the sun letters' forms too): such a word is read as a
# capitalised one, and the person answers to the surname with or without it ("al-Assad", "Assad").
_ARTICLE = r"(?:al|el|ad|adh|an|ar|as|ash|at|az|ud|ul)[-‐]"
_ARTICLE_FIRST = re.compile(_ARTICLE + r"(?=[^\W\d_a-z])")
_PLAIN_ARTICLE = re.compile(_ARTICLE + r"(?=[^\W\d_])")
# The words _TOKEN finds (one per run of [\w'’‘ʼ-], from its first letter to its last letter or digit) that do
# not begin with a-z, or only with such an article: the only ones that can be capitalised, and in news prose a
# fifth of them.
_NOT_LOWER_ASCII_TOKEN = re.compile(
    r"(?<![\w'’‘ʼ-])[\d_'’‘ʼ-]*((?:" + _ARTICLE + r"(?=[^\W\d_a-z]))?[^\W\d_a-z](?:[\w'’‘ʼ-]*[^\W_])?)")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_POSSESSIVE_ENDINGS = frozenset(("'s", "'S", "'ſ", "’s", "’S", "’ſ"))  # as re.IGNORECASE reads "s"
_MIN_SINGLE_WORD = 5  # a lone word shorter than this (Kim, Son, Sun) is not compared on its own
_SYLLABLE_BREAK = re.compile(r"[\s\-‐–]+")
_COMMON_WORDS = 5_000  # a name's given part that is one of these is an English word ("Sun Belt")
# A pronoun with a verb's contraction: "We've", "I'd".
_CONTRACTION = re.compile(r"['’](?:ve|d|ll|re|m)$|n['’]t$", re.IGNORECASE)
# The surnames a prefix gives a capital inside ("McGregor", "O'Brien", "DiCaprio", "LaGuardia", "FitzGerald").
_PREFIXED_SURNAME = re.compile(r"(?:Mc|Mac|O['’]|D['’]|De|Di|Da|Du|La|Le|Van|Von|Fitz)[A-Z][a-z]")
# Camel case that no name prefix explains: "ChatGPT", "OpenAI", "MagSafe"; not "McDowell", "LeBron", "DeSantis".
_CAMEL = re.compile(r"^(?!(?:Mc|Mac|O['’]|D['’]|De|Di|Da|Du|La|Le|Van|Von|Fitz|St)[A-Z])[A-Za-z]*[a-z][A-Z]")
# An adjective or a description made with hyphens: "Pakistan-controlled", "Australian-born", "Mother-of-three".
_HYPHENATED_ADJECTIVE = re.compile(
    r"-(?:[a-z]{3,}(?:ed|ing)|born|based|led|run|owned|backed|made|style|era|type|class|speaking)$|-of-")
_COMPANY_AFTER = re.compile(r",?\s+(?:Inc|Ltd|LLC|Corp|Co|GmbH|AG|SA|plc|PLC)\b")
_CAPITALS_THEN_LOWER = re.compile(r"[A-Z]{2,}[a-z]")  # "SHINee", "CEOs", "MPs": no name is printed so
_VOWELS = re.compile(r"[aeiouyàáâãäåèéêëìíîïòóôõöùúûüýÿăĕĭŏŭāēīōū]+", re.IGNORECASE)  # runs of vowels: syllables
_OWNED_APPOSITION = re.compile(r",\s+(?:[A-Z][\w.-]*\s+){0,2}[A-Z][\w.-]*['’]s\s+((?:[\w-]+\s+){0,2}[\w-]+)")
_OPENING_QUOTES = frozenset("\"“‘'«「")
_CLOSING_QUOTE = re.compile(r"[,.]?[\"”’'»」]")  # (a comma or a stop may come first: "'Spring Fever,' I set")
_OWNER_OF_NAME = re.compile(r"['’]s?\s+[A-Z][a-z]+(?:-[a-z]+)?\s+[A-Z]")  # "Canucks' Tom W", "Verona's Victor N"
_WORD_AFTER = re.compile(r" (\w+)\b")  # the word right after a name, with no comma between
_HEADS_OF = frozenset({"chief", "founder", "head"})  # beside the roles: "a former Coupang chief" is a company's
_DATELINE = re.compile(r"[A-Z]{3,}")  # after a name, a byline's place ("SEOUL", "PYONGYANG") or a suffix ("III")
# A surname's particles in lower case, between the words of a name ("Ursula von der Leyen", "Bill de Blasio",
# "Luiz Inacio Lula da Silva", "Mohammed bin Salman"), and the ones that join the word after them when capitalised
# ("Marine Le Pen", "Robert De Niro"; not "Da", "Do" or "Di", syllables of Korean and Vietnamese names too; not "do"
# in lower case either, which English puts between capitals: "Why do Koreans").
_PARTICLES = re.compile(r" (?:(?:von|van|der|den|de|del|della|da|di|du|dos|das|bin|ibn|ben|le|la|ter|ten|zu) ){1,3}")
_CAPITAL_PARTICLES = frozenset({"Von", "Van", "De", "Der", "Den", "Del", "Della", "Le", "La", "Bin", "Ibn", "Dos",
                                "Das"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})  # after a surname: "Kenneth Murray Jr."
_MEMO_WORDS = 50_000  # words (and names) whose parts and clusters are remembered: a daemon's vocabulary keeps growing


def _plain(text: str) -> str:
    """Lower case without diacritics, breves or apostrophes: "Sŏn-hŭi" → "son-hui"."""
    if text.isascii():  # most words: nothing to decompose
        return text.lower().replace("'", "")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’‘ʼ")


def _without_possessive(word: str) -> str:
    """`_POSSESSIVE.sub("", word)`: "Kim's" → "Kim"."""
    return word[:-2] if word[-2:] in _POSSESSIVE_ENDINGS else word


def _parts(name: str) -> tuple[str, ...]:
    """Syllables/words of a Latin name, lower case and plain: "Choi Sun-hee" → (choi, sun, hee)."""
    return tuple(p for p in _SYLLABLE_BREAK.split(_plain(name)) if p)


def _script(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            for script in ("LATIN", "CYRILLIC", "HANGUL", "CJK"):
                if name.startswith(script):
                    return script.lower()
            return "other"
    return "other"


@dataclass(frozen=True, slots=True)
class Romanisation:
    """The rules of `romanisation.toml`: how two spellings of one name may differ."""

    vowels: frozenset[str]
    consonant_rewrites: tuple[tuple[str, str], ...]  # spelling → class key, longest spellings first
    vowel_pairs: frozenset[tuple[str, str]]
    not_names: frozenset[str]
    _memo: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict, compare=False, repr=False)
    _parts_memo: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, text: str | None = None) -> Romanisation:
        if text is None:
            text = (resources.files("scraper") / "data" / "romanisation.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        rewrites = [(spelling, group[0]) for group in data["consonants"] for spelling in group]
        rewrites.sort(key=lambda pair: -len(pair[0]))
        pairs: set[tuple[str, str]] = set()
        for pair in data["vowel_pairs"]:
            a, b = pair.split("/")
            pairs.update({(a, b), (b, a)})
        return cls(frozenset(data["vowels"]), tuple(rewrites), frozenset(pairs),
                   frozenset(data.get("not_names", ())))

    def clusters(self, word: str) -> tuple[str, tuple[str, ...]]:
        """(consonant skeleton with V for each vowel cluster, the vowel clusters) of one plain word."""
        found = self._memo.get(word)
        if found is None:
            if len(self._memo) >= _MEMO_WORDS:
                self._memo.clear()
            found = self._memo[word] = self._clusters(word)
        return found

    def skeleton(self, word: str) -> str:
        return self.clusters(word)[0]

    def parts(self, name: str) -> tuple[str, ...]:
        """`_parts(name)`, remembered: the words of a text's names come back in every mention."""
        found = self._parts_memo.get(name)
        if found is None:
            if len(self._parts_memo) >= _MEMO_WORDS:
                self._parts_memo.clear()
            found = self._parts_memo[name] = _parts(name)
        return found

    def _clusters(self, word: str) -> tuple[str, tuple[str, ...]]:
        squeezed = re.sub(r"([^aeiouyw])\1+", r"\1", word)  # Kimm, Rhee: doubled consonants only
        skeleton: list[str] = []
        vowels: list[str] = []
        i = 0
        while i < len(squeezed):
            if squeezed[i] in self.vowels:
                j = i
                while j < len(squeezed) and squeezed[j] in self.vowels:
                    j += 1
                vowels.append(squeezed[i:j])
                skeleton.append("V")
                i = j
                continue
            for spelling, key in self.consonant_rewrites:
                if squeezed.startswith(spelling, i):
                    skeleton.append(key)
                    i += len(spelling)
                    break
            else:
                skeleton.append(squeezed[i])
                i += 1
        return "".join(skeleton), tuple(vowels)

    def same_word(self, a: str, b: str) -> bool:
        """Two plain words that romanisations could write for one Korean or Russian word."""
        if a == b:
            return True
        skeleton_a, vowels_a = self.clusters(a)
        skeleton_b, vowels_b = self.clusters(b)
        if skeleton_a != skeleton_b or len(vowels_a) != len(vowels_b):
            return False
        return all(x == y or (x, y) in self.vowel_pairs for x, y in zip(vowels_a, vowels_b, strict=True))

    def same_name(self, a: Sequence[str], b: Sequence[str]) -> bool:
        """Names (as plain parts) aligned from their last part: "Foreign Minister Choe Sun Hui" ~
        "Choi Sun-hee". A single word is compared only when it is long enough to be telling."""
        k = min(len(a), len(b))
        if k == 0 or (k == 1 and min(len(a[-1]), len(b[-1])) < _MIN_SINGLE_WORD):
            return False
        return all(self.same_word(x, y) for x, y in zip(a[-k:], b[-k:], strict=True))


@dataclass(frozen=True, slots=True)
class Alias:
    canonical: str
    variants: tuple[str, ...]
    kind: str = "person"


def parse_aliases(text: str, path: str) -> tuple[Alias, ...]:
    """Entries of an alias file; ConfigError naming the file and entry on anything malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    entries = data.get("name", [])
    if not isinstance(entries, list) or set(data) - {"name"}:
        raise ConfigError('expected only [[name]] tables with "canonical" and "variants"', path=path)
    aliases = []
    for number, entry in enumerate(entries, 1):
        key = f"name #{number}"
        if not isinstance(entry, dict) or set(entry) - {"canonical", "variants", "kind"}:
            raise ConfigError('expected keys "canonical", "variants" and optionally "kind"', path=path, key=key)
        canonical, variants = entry.get("canonical"), entry.get("variants", [])
        if not isinstance(canonical, str) or not canonical.strip():
            raise ConfigError("expected a non-empty canonical spelling", path=path, key=f"{key}.canonical")
        if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
            raise ConfigError("expected a list of non-empty spellings", path=path, key=f"{key}.variants")
        kind = entry.get("kind", "person")
        if kind not in ("person", "organisation"):
            raise ConfigError(f'expected "person" or "organisation", got {kind!r}', path=path, key=f"{key}.kind")
        aliases.append(Alias(canonical.strip(), tuple(v.strip() for v in variants), kind))
    return tuple(aliases)


def merge_aliases(*tables: Iterable[Alias]) -> tuple[Alias, ...]:
    """Later tables add variants to a canonical name already known, or add new names."""
    merged: dict[str, Alias] = {}
    for table in tables:
        for alias in table:
            key = alias.canonical.casefold()
            if key in merged:
                old = merged[key]
                variants = tuple(dict.fromkeys((*old.variants, *alias.variants)))
                merged[key] = Alias(old.canonical, variants, alias.kind)
            else:
                merged[key] = alias
    return tuple(merged.values())


def load_aliases(user_files: Sequence[str | Path] = ()) -> tuple[Alias, ...]:
    """The shipped alias table, extended by the user's files in order."""
    shipped = (resources.files("scraper") / "data" / "aliases.toml").read_text(encoding="utf-8")
    tables = [parse_aliases(shipped, "scraper/data/aliases.toml")]
    for path in user_files:
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")  # (a byte-order mark first is no TOML statement)
        except OSError as exc:
            raise ConfigError(f"cannot read the alias file: {exc.strerror}", path=str(path)) from None
        except UnicodeDecodeError:
            raise ConfigError("the alias file is not UTF-8 text", path=str(path)) from None
        tables.append(parse_aliases(text, str(path)))
    return merge_aliases(*tables)


@dataclass(frozen=True, slots=True)
class PeopleRules:
    """The cues of `people.toml` that tell a person's name from a place's or an organisation's."""

    titles: frozenset[str]
    speech: frozenset[str]
    surnames_first: frozenset[str]
    not_person: frozenset[str]
    openers: frozenset[str] = frozenset()  # words that begin a sentence or a heading, never a name
    determiners: frozenset[str] = frozenset()  # "the Europa Clipper": a thing, not a person
    common: frozenset[str] = frozenset()  # the most frequent English words (lower case)
    roles: frozenset[str] = frozenset()  # the words that end a title of several words ("Officer", "Minister")
    given_too: frozenset[str] = frozenset()  # surnames that are English given names too ("Lee")
    honorifics: frozenset[str] = frozenset()  # "Mr", "Ms": a lone word after one is a surname ("Mr. Sun")
    given: frozenset[str] = frozenset()  # given names (plain): "Egor Morozov", "George Floyd" are people's names
    not_given: frozenset[str] = frozenset()  # given names that begin places' and brands' names more often
    place_prefixes: frozenset[str] = frozenset()  # "San", "Fort": what follows is a place's name ("San Antonio")
    surnames: frozenset[str] = frozenset()  # frequent surnames, words among them (Taylor, Murray, Hunter), plain
    not_surname: frozenset[str] = frozenset()  # words that end places' names after a given name ("Beverly Hills")
    japanese_given: frozenset[str] = frozenset()  # given names of Japanese (Fumio, Genzo), plain
    japanese_surnames: frozenset[str] = frozenset()  # (Kishida, Takahashi), plain

    @classmethod
    def load(cls, text: str | None = None, common: Iterable[str] | None = None,
             given: Iterable[str] | None = None) -> PeopleRules:
        """The shipped cues (or `text`'s); `common`, `given` in place of the shipped lists (tests)."""
        if text is None:
            text = (resources.files("scraper") / "data" / "people.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        return cls(frozenset(data["titles"]), frozenset(data["speech"]), frozenset(data["east_asian_surnames"]),
                   frozenset(data["not_person"]), frozenset(data.get("openers", ())),
                   frozenset(data.get("determiners", ())),
                   frozenset(common_english_words() if common is None else common), frozenset(data.get("roles", ())),
                   frozenset(data.get("given_too", ())), frozenset(data.get("honorifics", ())),
                   frozenset(given_names() if given is None else given), frozenset(data.get("not_given", ())),
                   frozenset(data.get("place_prefixes", ())),
                   frozenset(name_list("surnames")), frozenset(data.get("not_surname", ())),
                   frozenset(name_list("japanese_given")),
                   frozenset(name_list("japanese_surnames")))


def common_english_words(count: int = _COMMON_WORDS) -> list[str]:
    """The `count` most frequent words of the shipped English lexicon (wordfreq's list, casefolded)."""
    path = resources.files("scraper") / "data" / "lexicon" / "en.json.gz"
    with path.open("rb") as handle, gzip.open(handle, "rt", encoding="utf-8") as text:
        words: dict[str, float] = json.load(text)["words"]
    return sorted(words, key=lambda word: -words[word])[:count]


def name_list(name: str) -> list[str]:
    """A shipped list of names, plain (`scraper/data/names/NAME.txt.gz`; how they were made: its README)."""
    path = resources.files("scraper") / "data" / "names" / f"{name}.txt.gz"
    with path.open("rb") as handle, gzip.open(handle, "rt", encoding="ascii") as text:
        return text.read().split()


def given_names() -> list[str]:
    """The shipped given names of many languages (Japanese ones apart: `name_list("japanese_given")`), plain."""
    return name_list("given")


class _Person(NamedTuple):
    """A mention of someone not in the alias table: the name's words without titles, and how sure."""

    words: tuple[str, ...]
    start: int
    end: int
    cued: bool  # a title, a verb of speech, an East Asian surname or a given name says it is a person
    denied: bool = False  # a determiner in front says it is a thing ("the Europa Clipper")
    sure: bool = False  # a title, a verb of speech or an apposition, whatever the words: it outweighs `denied`
    owner: bool = False  # a lone word in the possessive before a name ("Canucks' Tom Willander"): a team's, a
    # country's, or a person's ("Trump's Truth Social"), counted for a person so named, never a cue that it is one


class _Capital(NamedTuple):
    """A capitalised Latin word as printed, read once."""

    word: str  # possessive 's removed
    parts: tuple[str, ...]
    opener: bool  # a sentence opener the rules list (The, In, Some...), not a name


@dataclass(frozen=True, slots=True)
class Mention:
    """A run of capitalised words in the text (a name, often with titles in front of it)."""

    words: tuple[str, ...]  # as printed, possessive 's removed
    start: int
    end: int
    parts: tuple[str, ...]  # plain syllables of all the words

    @classmethod
    def of(cls, words: tuple[str, ...], start: int, end: int) -> Mention:
        return cls(words, start, end, tuple(p for w in words for p in _parts(w)))

    def tail(self, parts: int, split: Callable[[str], Sequence[str]] = _parts) -> str:
        """The last `parts` syllables as printed: "Foreign Minister Choi Sun-hee", 3 → "Choi Sun-hee".
        `split` gives a word's syllables."""
        taken: list[str] = []
        count = 0
        for word in reversed(self.words):
            if count >= parts:
                break
            taken.append(word)
            count += len(split(word))
        return " ".join(reversed(taken))


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way a name is printed in the text, and how often."""

    text: str
    count: int


# The kind of an unknown name spelt more than one way that cannot be a person's (a place, a company): evidence of
# translation, not an entry of a record's `names`.
OTHER = "other"


@dataclass(frozen=True, slots=True)
class FoundName:
    canonical: str
    spellings: tuple[Spelling, ...]  # most frequent first
    known: bool  # from the alias table
    kind: str = "person"
    short_mentions: int = 0  # the surname alone ("Choe" after "Choe Son-hui"): counted, not a spelling

    @property
    def count(self) -> int:
        return sum(s.count for s in self.spellings) + self.short_mentions

    def latin_spellings(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.spellings if _script(s.text) == "latin")

    def to_group(self) -> NameGroup:
        return NameGroup(self.canonical, tuple(s.text for s in self.spellings), self.count, self.kind)


def distinct_spellings(spellings: Iterable[str], rules: Romanisation) -> list[str]:
    """Spellings that differ in letters, not only in case, hyphens, a name cut short, a middle name left out or the
    order of its words ("Lukashenko" is "Alexander Lukashenko" cut short, "Saif Gaddafi" is "Saif al-Islam Gaddafi",
    "Kubo Takehide" is "Takehide Kubo"; "Choi Sun-hee" and "Choe Sun Hui" differ)."""
    kept: list[str] = []
    for spelling in spellings:
        parts = rules.parts(spelling)
        same = False
        for other in kept:
            other_parts = rules.parts(other)
            k = min(len(parts), len(other_parts))
            if (parts[-k:] == other_parts[-k:] or sorted(parts) == sorted(other_parts)  # (or in the other order)
                    or _middle_left_out(parts, other_parts) or _middle_left_out(other_parts, parts)):
                same = True
                break
        if not same:
            kept.append(spelling)
    return kept


def _middle_left_out(short: Sequence[str], long: Sequence[str]) -> bool:
    """Whether `short` is `long` (parts) with words left out between its first and its last."""
    if not 2 <= len(short) < len(long) or short[0] != long[0] or short[-1] != long[-1]:
        return False
    rest = iter(long[1:-1])
    return all(part in rest for part in short[1:-1])


class NameFinder:
    """Finds the names of a text against an alias table, grouping spellings with romanisation rules."""

    def __init__(self, aliases: Sequence[Alias], rules: Romanisation, people: PeopleRules | None = None,
                 hangul: HangulPeople | None = None) -> None:
        self.rules = rules
        self.people = people if people is not None else PeopleRules.load()
        self.hangul = hangul if hangul is not None else HangulPeople.load()
        self.aliases = tuple(aliases)
        patterns: list[tuple[str, str, str, bool]] = []  # (regex source, canonical, first letter, after \W)
        first_words: set[str] = set()  # of the spellings that begin after a word boundary
        # Listed Latin spellings by the skeleton of their last word: (plain parts, canonical)
        self._latin: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for alias in self.aliases:
            for spelling in dict.fromkeys((alias.canonical, *alias.variants)):
                script = _script(spelling)
                if script == "latin":
                    parts = _parts(spelling)
                    self._latin.setdefault(rules.skeleton(parts[-1]), []).append((parts, alias.canonical))
                    words = [p for p in re.split(r"[\s\-‐]+", spelling) if p]
                    source = r"(?<![\w])" + r"(?:[\s\-‐]+|)".join(map(re.escape, words)) + r"(?:['’]s)?(?![\w])"
                    patterns.append((source, alias.canonical, words[0][0], True))
                    first_words.add(words[0])
                elif script == "cyrillic":
                    words = spelling.split()
                    source = r"(?<![\w])" + r"\s+".join(map(re.escape, words)) + r"[а-яё]{0,3}(?![\w])"
                    patterns.append((source, alias.canonical, words[0][0], True))
                    first_words.add(words[0])
                else:  # Hangul and Han: particles attach to the name, so no boundary after it
                    source = re.escape(spelling).replace(r"\ ", r"\s*")
                    patterns.append((source, alias.canonical, spelling[0], False))
        patterns.sort(key=lambda item: -len(item[0]))
        self._kinds = {alias.canonical: alias.kind for alias in self.aliases}
        self._patterns = [(re.compile(source, re.IGNORECASE), canonical) for source, canonical, _, _ in patterns]
        # One alternation of every spelling, tried at every character, costs more than the rest of `find`
        # together; instead `_starts` finds where a spelling could begin (the first word of a Latin or
        # Cyrillic spelling after a word boundary, the first character of a Hangul or Han one) and only the
        # spellings beginning with that letter are tried there, in the alternation's order (so the same
        # matches). The first words are one trie (`phrase_alternation`), behind a look-ahead for their
        # first letters that lets `re` pass over most word starts at once.
        self._firsts = [(source, first) for source, _, first, _ in patterns]
        letters = "".join(sorted({re.escape(word[0]) for word in first_words}))
        anywhere = "".join(sorted({re.escape(first) for _, _, first, after in patterns if not after}))
        starts = [f"(?<![\\w])(?=[{letters}])(?:{phrase_alternation(first_words, space=' ')})" if first_words else "",
                  f"[{anywhere}]" if anywhere else ""]
        self._starts = re.compile("|".join(s for s in starts if s) or "(?!)", re.IGNORECASE)
        self._from: dict[str, re.Pattern[str] | None] = {}  # first letter as printed → its spellings
        self._capitals: dict[str, _Capital | None] = {}  # printed word → what `mentions` needs of it

    def find(self, text: str, is_word: Callable[[str], bool] | None = None, *, english: bool = True,
             korean: bool = False) -> tuple[FoundName, ...]:
        """Every known name, every unknown name spelt in more than one way and, in `english` text (the cues
        are English words), every person the cues tell; in `korean` text, every person named in Hangul that the
        cues of hangul_names.py tell; most mentioned first.

        `is_word(printed)`: whether a word is in the text's language's word list. Two single words one of which
        is such a word are not one name spelt two ways (German capitalises its nouns: "Flagge" and "Frage")."""
        known: dict[str, Counter[str]] = {}
        taken: list[tuple[int, int]] = []
        for match in self._known(text):
            canonical = self._which(match.group())
            spelling = _POSSESSIVE.sub("", match.group())
            known.setdefault(canonical, Counter())[spelling] += 1
            taken.append((match.start(), match.end()))
        mentions = [m for m in self.mentions(text) if not any(s < m.end and m.start < e for s, e in taken)]
        unknown: list[Mention] = []
        for mention in mentions:
            close, parts = self._close_alias(mention)
            if close:
                known.setdefault(close, Counter())[self._tail(mention, parts)] += 1
            else:
                unknown.append(mention)
        found = [FoundName(c, tuple(Spelling(t, n) for t, n in spellings.most_common()), True,
                           self._kinds.get(c, "person"))
                 for c, spellings in known.items()]
        if korean:
            found = self._hangul_people(text, found, taken)

        def lowered() -> set[str]:
            return {_plain(word) for word in set(_TOKEN.findall(text)) if word[0].islower()}

        # In English text the cues judge each mention; a spelling group none of whose mentions could be a person's
        # name ("Wesel County" beside "Wessel County", "SK Telecom-CEO" beside "SK Telecom Co.") is no one, but
        # still a name spelt two ways (`OTHER`: the translation evidence counts it, `names` does not list it).
        judged = [self._person(text, mention, is_word) for mention in unknown] if english else None
        found.extend(self._group_unknown(unknown, lowered, is_word,
                                         None if judged is None else [person is not None for person in judged]))
        if judged is not None:
            found = self._people(text, found, judged)
        found.sort(key=lambda f: (-f.count, f.canonical))
        return tuple(found)

    def _hangul_people(self, text: str, found: list[FoundName], taken: Sequence[tuple[int, int]]) -> list[FoundName]:
        """`found` (the alias table's names) with the people Korean text names in Hangul added, and each known
        person's surname used alone before a title counted ("김 위원장" after "김정은")."""
        hangul = [(f.canonical, s.text) for f in found if f.kind == "person" for s in f.spellings
                  if _script(s.text) == "hangul"]
        people, shorts = self.hangul.find(text, taken, hangul)
        result = [replace(f, short_mentions=f.short_mentions + shorts[f.canonical]) for f in found]
        result.extend(FoundName(p.name, (Spelling(p.name, p.count),), False, "person", p.short_mentions)
                      for p in people)
        return result

    def _people(self, text: str, found: list[FoundName], judged: Sequence[_Person | None]) -> list[FoundName]:
        """`found` with the people the cues tell among the unknown mentions (`judged`: each as `_person` reads it)
        added, and every person's surname used alone counted (for the person last named in full with it, or the
        first if none was yet)."""
        grouped = {_plain(s.text) for f in found for s in f.spellings}
        persons = self._without_team(p for p in judged if p is not None)
        full: dict[tuple[str, ...], list[_Person]] = {}
        for person in persons:
            if len(person.words) >= 2 and _plain(" ".join(person.words)) not in grouped:
                key = tuple(_plain(w) for w in person.words)
                # "Takano Tetsushi" and "Tetsushi Takano": one person, named in either order
                full.setdefault(key[::-1] if len(key) == 2 and key[::-1] in full else key, []).append(person)
        # A name once written as a thing's ("the Europa Clipper") is no person's anywhere in the text, unless
        # a title or a verb of speech says otherwise somewhere ("Lacerda said"; a surname alone after "the"
        # is often an adjective: "the Biden administration", so it denies nothing).
        things = {_plain(p.words[-1]) for p in persons if p.denied and len(p.words) > 1}
        vouched = {_plain(p.words[-1]) for p in persons if p.sure}
        full = {key: mentions for key, mentions in full.items()
                if key[-1] in vouched or not (any(p.denied for p in mentions) or key[-1] in things)}
        self._shortened(full)
        # A family's surname: a name in full that ends in the surname of someone a title or a verb vouches for is
        # a person's ("Saif Gaddafi" beside "his father, Muammar Gaddafi"; "Hunter Biden" beside "President Joe
        # Biden"). Not an East Asian surname, which opens its names (Kim Il Sung Square).
        family = {key[-1] for key, mentions in full.items()
                  if any(p.sure for p in mentions) and self._called(mentions[0].words)[0] == key[-1]}
        singles = [p for p in persons if len(p.words) == 1 and not p.denied]
        # Where each person is named in full: (start, index into `named`), and the surname they answer to.
        named: list[tuple[FoundName | None, tuple[tuple[str, ...], list[_Person]] | None]] = []
        places: list[tuple[int, int, str]] = []  # (start, person index, surname)
        for f in found:
            if f.kind != "person":
                continue
            for spelling in f.spellings:
                words = spelling.text.split()
                if len(words) < 2:
                    continue
                places.extend((m.start(), len(named), called) for m in re.finditer(re.escape(spelling.text), text)
                              for called in self._called(words))
            named.append((f, None))
        # A surname used alone tells that a run with it is a person's name; not one that is a word of places too
        # ("Park officials" says nothing of "Park Hyatt").
        short_words = {word for p in singles if (word := _plain(p.words[0])) not in self.people.not_person
                       and not p.owner}
        for key, mentions in full.items():
            called = [(p.start, word) for p in mentions for word in self._called(p.words)]  # (each mention's order)
            cued = (any(p.cued for p in mentions) or any(word in short_words for _, word in called)
                    or (key[-1] in family and not any(p.denied for p in mentions)))  # (not "the Liwa al-Quds")
            if not cued:
                continue
            places.extend((start, len(named), word) for start, word in called)
            named.append((None, (key, mentions)))
        # Each surname's full names in the order of the text: (starts, person indexes), looked up by bisection.
        by_surname: dict[str, tuple[list[int], list[int]]] = {}
        for start, index, surname in sorted(places):
            starts, indexes = by_surname.setdefault(surname, ([], []))
            starts.append(start)
            indexes.append(index)
        shorts: Counter[int] = Counter()
        alone: dict[str, list[_Person]] = {}  # surnames of no one named in full: a person if ever titled
        for single in singles:
            word = _plain(single.words[0])
            if word in by_surname:  # the person last named in full with it, or the first if none was yet
                starts, indexes = by_surname[word]
                before = bisect_left(starts, single.start)
                shorts[indexes[before - 1] if before else indexes[0]] += 1
            elif word not in grouped:
                alone.setdefault(word, []).append(single)
        denied = {_plain(p.words[0]) for p in persons if len(p.words) == 1 and p.denied}
        for word, mentions in alone.items():
            if any(p.cued for p in mentions) and word not in denied:
                named.append((None, ((), mentions)))
        result = []
        for index, (known_name, new) in enumerate(named):
            if known_name is not None:
                result.append(FoundName(known_name.canonical, known_name.spellings, known_name.known,
                                        known_name.kind, known_name.short_mentions + shorts[index]))
            elif new is not None:
                spellings = Counter(" ".join(p.words) for p in new[1])
                ordered = tuple(Spelling(t, n) for t, n in spellings.most_common())
                result.append(FoundName(ordered[0].text, ordered, False, "person", shorts[index]))
        result.extend(f for f in found if f.kind != "person")
        return result

    def _shortened(self, full: dict[tuple[str, ...], list[_Person]]) -> None:
        """A name in full of two words counted with the one longer name in `full` that has the same first and last
        words ("Saif Gaddafi" and "Saif al-Islam Gaddafi", "George Bush" and "George Walker Bush"); not where two such
        names differ ("George H.W. Bush", "George W. Bush"), nor an East Asian surname first ("Kim Su" is no
        "Kim Chol Su")."""
        longer: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        for key in full:
            if len(key) > 2:
                longer.setdefault((key[0], key[-1]), []).append(key)
        for key in [key for key in full if len(key) == 2 and key[0] not in self.people.surnames_first]:
            if len(found := longer.get((key[0], key[1]), [])) == 1:
                full[found[0]].extend(full.pop(key))

    def _without_team(self, persons: Iterable[_Person]) -> list[_Person]:
        """The persons, a team's or an organisation's word in front of a surname set aside: "Dodgers Betts", "R Sox
        Betts" are Betts, where the text also writes "the Dodgers" or "the Boston Red Sox" (a word it calls a thing);
        not a surname or a given name ("the Park" says nothing of "Park Jie-won")."""
        persons = list(persons)
        things = {_plain(p.words[-1]) for p in persons if p.denied}
        people = self.people
        kept = []
        for person in persons:
            head = _plain(person.words[0])
            if (len(person.words) == 2 and head in things and head not in people.surnames_first
                    and head not in people.given and head not in people.japanese_surnames):
                person = person._replace(words=person.words[1:])
            kept.append(person)
        return kept

    def _called(self, words: Sequence[str]) -> tuple[str, ...]:
        """The words a person is called by alone: the surname, the first word of an East Asian name, else the last; for
        a Japanese name in Japanese order, its given name too (Omura Masujiro is "Masujiro" in a text on him, as
        Miyazawa Kenji is "Kenji"); for an Arabic one with a father's name, the given name and that ("Qaboos",
        "bin Laden")."""
        people = self.people
        first = _plain(words[0])
        # Lee is an English given name too: "Lee Baker" answers to Baker, "Lee Jae-myung" and "Lee Hsien Loong" to Lee
        east_asian = first in people.surnames_first and (
            first not in people.given_too or len(words) > 2 or "-" in words[1])
        # A Japanese name in Japanese order: "Kubo Takehide" answers to Kubo (not "Yuji Ito", Western order)
        japanese = (len(words) == 2 and first in people.japanese_surnames and first not in people.japanese_given
                    and first not in people.given and (_plain(words[1]) in people.japanese_given
                                                       or _plain(words[1]) in people.given))
        if japanese:
            return first, _plain(_without_possessive(words[1]))
        if east_asian:
            return (first,)
        # An Arabic name with a father's answers to its given name and to that ("Qaboos", "bin Laden")
        if len(words) > 1 and _plain(words[1]).startswith(("bin ", "ibn ")):
            return first, _plain(words[1])
        last = _plain(_without_possessive(words[-1])).rstrip(".")
        if last in _SUFFIXES and len(words) > 2:  # "Kenneth Murray Jr." answers to Murray
            last = _plain(_without_possessive(words[-2]))
        # "Bashar al-Assad" answers to "al-Assad" and to "Assad"
        bare = _PLAIN_ARTICLE.match(last)
        return (last, last[bare.end():]) if bare and len(words) > 1 else (last,)

    def _person(self, text: str, mention: Mention, is_word: Callable[[str], bool] | None) -> _Person | None:
        """The mention as a person's name without its titles, or None if it cannot be one."""
        people = self.people
        words = list(mention.words)
        titled = placed = addressed = after_prefix = False  # (addressed: after "Mr", "Ms"...)
        # A title of several words ends in its role: "Chief Accounting Officer Jonathan Lee", "Vice Unification
        # Minister Kim Nam-jung", "Hyundai Motor Group Executive Chair Euisun Chung". The name follows the last.
        last_role = max((at for at, word in enumerate(words[:-1]) if _plain(word) in people.roles), default=-1)
        if last_role >= 0:
            titled, words = True, words[last_role + 1:]
        # A surname alone ("Park said") is kept for the caller to match with the person named in full.
        lone_surname = len(mention.words) == 1 and _plain(words[0]) in people.surnames_first
        while words and not lone_surname and not (not placed and self._surname_first(words)) and (
                self._is_title(words[0], plural=True) or _plain(words[0]) in people.not_person
                or self._not_a_name(words[0], leading=True)
                or (len(words) > 1 and self._participle(words[0], is_word))):
            titled = titled or self._is_title(words[0], plural=True)
            after_prefix = _plain(words[0]) in people.place_prefixes
            addressed = addressed or _plain(words[0]) in people.honorifics
            placed = placed or _plain(words[0]) in people.not_person
            words.pop(0)
        # (a name with particles may be longer: "Hamdan bin Mohammed bin Rashid Al Maktoum")
        longest = 6 if any(" " in word for word in words) else 4
        if not words or len(words) > longest or (len(words) > 1 and self._is_title(words[-1])
                                                 and not self._surname_that_is_a_title(words)):
            return None  # ("Massachusetts Gov" is a title, the name follows it)
        # "Neurotechnology Center Anna Bogolepova", "ICT Bae Kyung-hoon": an organisation's words, then a name
        behind = self._after_organisation(words)
        words = words[behind:]
        plain = [_plain(w) for w in words]
        # An East Asian surname that is also a word of places (Park, Hong) counts as a surname before a given name.
        syllables = self._syllable_name(words)
        # (not "Hong Kong Disneyland")
        surname = lone_surname or syllables or (not placed and self._surname_first(words))
        if any(((self._heads_places(p) and not (at == 0 and surname)) or p in self.rules.not_names)
               and not (syllables and at > 0 and len(p) <= 3) for at, p in enumerate(plain)):
            return None
        if any(self._not_a_name(w) for w in words):
            return None
        if any(w.isupper() and len(w) > 1 for w in words) or any(len(p) < 2 for p in plain[1:]):
            return None  # acronyms and initials-only tails ("KCNA", "U S") are not read as names
        start = mention.end - len(" ".join(words))
        before = text[max(0, start - 40):start].lower().split()[-1:]
        ahead = text[max(0, mention.start - 60):mention.start].lower().split()
        after = text[mention.end:mention.end + 20].lower()
        # (A title that ends a sentence, "... a family member of the chairman.", is not this name's; an
        # abbreviated one, "Gen.", "Rep.", is.)
        # ("the then Paekhak-dong" is a place as it was called then; "the then President Park" has its title.)
        then_place = start == mention.start and ahead[-2:] == ["the", "then"]
        addressed = addressed or any(w.strip(",.") in people.honorifics for w in before)
        titled = titled or (not then_place and any(
            w.strip(",") in people.titles or (w[-1:] == "." and len(w) <= 5 and w.strip(",.") in people.titles)
            for w in before))
        # "Ambassador to North Korea Matsegora": a title, a preposition, the place, then the name.
        titled = titled or (placed and len(ahead) >= 2 and ahead[-1] in ("to", "of", "in", "for", "from")
                            and ahead[-2].strip(",.") in people.titles)
        # "the Europa Clipper", "a Boeing Dreamliner": a thing, unless a title says otherwise ("the late X").
        # (Not a determiner of the organisation the name comes after: "the New York Times John Smith".)
        denied = not titled and not behind and bool(ahead) and ahead[-1].strip("\"'“‘(") in people.determiners
        denied = denied or _COMPANY_AFTER.match(text, mention.end) is not None  # "Dräger, Inc."
        # Words in quotes are a work's title: the series "Spring Fever", the show "Going Seventeen".
        denied = denied or (len(mention.words) > 1 and mention.start > 0 and text[mention.start - 1] in _OPENING_QUOTES
                            and _CLOSING_QUOTE.match(text, mention.end) is not None)
        # "a former Coupang chief", "the Samsung CEO": a lone word before a role is whose role it is, a company's.
        # (Not "Lee's chief of staff": a person's.)
        role_after = _WORD_AFTER.match(after)
        denied = denied or (len(words) == 1 and not _POSSESSIVE.search(text[mention.start:mention.end])
                            and role_after is not None
                            and (role_after[1] in people.roles or role_after[1] in _HEADS_OF))
        # "Canucks' Tom Willander", "Verona's Victor Nelsson": a lone word whose possessive stands right before a
        # name mostly owns that person (a team, a club, a country), so it tells no one that it is a surname.
        owner = len(words) == 1 and _OWNER_OF_NAME.match(
            text, mention.end - 2 if _POSSESSIVE.search(text[mention.start:mention.end]) else mention.end) is not None
        spoken = (after.split()[:1] and after.split()[0].strip(",.") in people.speech) or (
            bool(before) and before[-1].strip(",") in people.speech)
        appositive = re.match(r",\s+(?:the|a|an)\s+(\w+)", after) is not None and any(
            t in people.titles for t in re.findall(r"\w+", after)[1:3])
        # "Chris Tang, Hong Kong's new police commissioner", "Jensen Huang, Nvidia's chief executive"
        owned = _OWNED_APPOSITION.match(text, mention.end)
        appositive = appositive or (owned is not None and any(t in people.titles for t in owned[1].lower().split()))
        if len(words) == 1:
            # A lone word is a person's surname if someone named in full answers to it (decided by the
            # caller); else a person only after a title, and only if it is no word of the language, or right after
            # a role if it is a frequent surname ("Commerce Secretary Ross", "Prime Minister May").
            if plain[0].rstrip("s") in people.titles:
                return None
            after_role = last_role >= 0 or any(w.strip(",.") in people.roles for w in before)
            # (a surname of the shape of "McGregor", "O'Brien", "DiCaprio" is no word, whatever a word list holds)
            common = is_word is not None and is_word(words[0]) and not _PREFIXED_SURNAME.match(words[0])
            surname = after_role and plain[0] in people.surnames
            return _Person(tuple(words), start, mention.end, (titled and not common) or addressed or surname, denied,
                           titled or bool(spoken) or appositive, owner)
        # An East Asian surname first, then syllables of a given name, one of them no common English word
        # ("Kim Chol-won", "Zhou Jingfan"; not "Sun Belt" or "Moon Express").
        shaped = (plain[0] in people.surnames_first and all(len(self.rules.parts(w)) <= 3 for w in words[1:])
                  and any("-" in w or (_plain(w) not in people.common and plain[0] not in people.not_person)
                          for w in words[1:]))
        # A given name first, a surname after it that is no common English word ("Egor Morozov (20)", "the death of
        # George Floyd"); not right after a word that begins places' names ("San Antonio Spurs", "Fort Worth").
        given = not after_prefix and len(words) <= 3 and self._given_first(plain)
        # A Japanese name, in either order, both of its words Japanese names' ("Fumio Kishida", "Kubo Takehide"): a
        # reading of Japanese names alone is a word of other languages too ("Soko Ng'ombe", "Yu'E Bao").
        given = given or (len(words) == 2 and not after_prefix and self._japanese(plain[0], plain[1]))
        # A Korean name in Western order, a hyphenated given name of two syllables first: "Hyun-jin Ryu", "Ha-seong Kim"
        given = given or (len(words) == 2 and plain[1] in people.surnames_first and self._korean_given(words[0]))
        sure = titled or bool(spoken) or appositive
        return _Person(tuple(words), start, mention.end, sure or shaped or syllables or given, denied, sure)

    def _after_organisation(self, words: Sequence[str]) -> int:
        """Where a name begins after an organisation's words in one run ("Federal Brain and Neurotechnology Center Anna
        Bogolepova", "Minister of Science and ICT Bae Kyung-hoon"): after the last word that heads organisations and
        places (not a surname such as Park or Hong), or an acronym, when what follows is two or three words that a
        given name or an East Asian surname opens, or a Japanese name; else 0."""
        people = self.people
        last = max((at for at, word in enumerate(words[:-2]) if (_plain(word) in people.not_person
                    and _plain(word) not in people.surnames_first) or (word.isupper() and len(word) > 1)), default=-1)
        tail = words[last + 1:]
        if last < 0 or not 2 <= len(tail) <= 3 or _plain(words[last]) in people.determiners:
            return 0  # (a navy's prefix: "ROKS Jang Bogo" is a ship)
        plain = [_plain(word) for word in tail]
        if any(p in people.not_person or p in self.rules.not_names for p in plain) or any(
                self._not_a_name(word) or (word.isupper() and len(word) > 1) for word in tail):
            return 0
        named = (self._given_first(plain) or self._surname_first(tail)
                 or (len(tail) == 2 and self._japanese(plain[0], plain[1])))
        return last + 1 if named else 0

    def _given_first(self, plain: Sequence[str]) -> bool:
        """A given name first and a surname last (plain words): "Egor Morozov", "Nicole Taylor", "Philip Rivers" — the
        surname no common English word, or a frequent one (Taylor, Rivers) that ends no place's name ("Beverly
        Hills")."""
        people = self.people
        return (plain[0] in people.given and plain[0] not in people.not_given and plain[-1] not in people.not_surname
                and (plain[-1] not in people.common or plain[-1] in people.surnames))

    def _surname_that_is_a_title(self, words: Sequence[str]) -> bool:
        """Whether a run that ends in a title's word is a given name and a surname all the same: "John Major", "John
        Lee Hooker", "Debra Winger" (the surname no role that ends titles, "Paris Mayor", and a census surname or no
        common word)."""
        plain = [_plain(word) for word in words]
        return len(plain) <= 3 and plain[-1] not in self.people.roles and self._given_first(plain)

    @staticmethod
    def _korean_given(word: str) -> bool:
        """A Korean given name as news prints it before the surname: two capitalised syllables joined by a hyphen,
        the second in lower case or capitalised ("Hyun-jin", "Ha-Seong")."""
        parts = word.split("-")
        return (len(parts) == 2 and parts[0][:1].isupper() and all(
            2 <= len(part) <= 5 and part.isalpha() and len(_VOWELS.findall(part)) == 1 for part in parts))

    def _japanese(self, first: str, second: str) -> bool:
        """Two plain words that make a Japanese name, in Western or Japanese order: "Fumio Kishida", "Kubo Takehide"
        (not after a word that begins places' names, nor one of `not_given`: "Santo Domingo")."""
        people = self.people
        if first in people.not_given or second in people.common or first in people.common:
            return False
        return (((first in people.given or first in people.japanese_given) and second in people.japanese_surnames)
                or (first in people.japanese_surnames and (second in people.given or second in people.japanese_given)))

    def _syllable_name(self, words: Sequence[str]) -> bool:
        """A North Korean name as KCNA and Rodong Sinmun print it: an East Asian surname and two capitalised
        words of one syllable each ("Paek Song Un", "Yun In Jin", "Ri Song Ho"), whatever else those short words
        mean in English."""
        return len(words) == 3 and _plain(words[0]) in self.people.surnames_first and all(
            len(word) <= 5 and word[:1].isupper() and word[1:].islower() and len(_VOWELS.findall(word)) == 1
            and _plain(word) not in self.people.speech and _plain(word) not in self.people.openers
            for word in words[1:])

    def _surname_first(self, words: Sequence[str]) -> bool:
        """Whether the run opens with an East Asian surname and a given name after it: "Park Jie-won", "Hong
        Kil-dong" (not "Park Avenue" or "Hong Kong", whose second word is no name's)."""
        if len(words) < 2 or _plain(words[0]) not in self.people.surnames_first:
            return False
        given = _plain(words[1])
        return not (given in self.people.not_person or given in self.rules.not_names or self._is_title(words[1])
                    or self._not_a_name(words[1]))

    def _another_surname(self, a: Mention, b: Mention) -> bool:
        """Whether the shorter mention, led by an East Asian surname, is the end of the longer one behind
        another such surname: "Rim Kwang" and "Pae Rim Gwang" are two people (Pae and Rim), where "Rim Kwang"
        and "Comrade Rim Gwang" or "Later Rim Gwang" are one."""
        shorter, longer = (a, b) if len(a.parts) < len(b.parts) else (b, a)
        if len(shorter.parts) == len(longer.parts):  # (parts: "Choi Sun-hee" is as long as "Choe Sun Hui")
            return False
        surnames = self.people.surnames_first
        return shorter.parts[0] in surnames and longer.parts[-len(shorter.parts) - 1] in surnames

    def _heads_places(self, plain: str) -> bool:
        """A word of `not_person` (plain), or the plural of a longer one that is no surname: "Nagasaki
        Prefectures", "Garden Centres" (not "Jeff Bridges" or "Tyra Banks"); of a surname with particles, any word."""
        people = self.people
        if " " in plain:  # a surname with its particles ("de blasio"; not "de france" in "Tour de France")
            return any(self._heads_places(part) for part in plain.split())
        return plain in people.not_person or (
            len(plain) >= 7 and plain.endswith("s") and plain[:-1] in people.not_person
            and plain not in people.surnames)

    def _is_title(self, word: str, *, plural: bool = False) -> bool:
        """A title or role ("Minister"; with `plural`, "Doctors" too: not at a name's end, where "Earls" is a
        surname), or titles joined by hyphens ("Major-Gen", "Secretary-Treasurer")."""
        plain = _plain(word)
        titles = self.people.titles
        if "-turned-" in plain:  # "Singer-turned-actress"
            return plain.rsplit("-", 1)[-1] in titles
        if plural and plain.endswith("s") and plain[:-1] in titles:  # "Doctors Irina Yartseva and Sergey Tokarev"
            return True
        return plain in titles or ("-" in plain and all(part in titles for part in plain.split("-") if part))

    def _not_a_name(self, word: str, *, leading: bool = False) -> bool:
        """A capitalised word that is no part of a person's name: a contraction ("We've"), a brand written
        in camel case ("ChatGPT") or in capitals before lower case ("SHINee", "CEOs"), a hyphenated adjective
        ("Pakistan-controlled") or thing (`_hyphenated_thing`: "K-pop"); and at the head of a run (`leading`) a
        word that opens sentences and headings ("Although", "Summary"), or a lone letter."""
        plain = _plain(word)
        if (_CONTRACTION.search(word) or _CAMEL.search(word) or _HYPHENATED_ADJECTIVE.search(word)
                or _CAPITALS_THEN_LOWER.match(word)):
            return True
        if "-" in word and self._hyphenated_thing(word):
            return True
        return leading and (plain in self.people.openers or (len(word) == 1 and word.isalpha()))

    def _participle(self, word: str, is_word: Callable[[str], bool] | None) -> bool:
        """A verb's -ing form, as opens a sentence before a name: "Accusing Kim of ...", "Citing Lee". (Not
        "Sterling" or "Irving", whose stems are no words.)"""
        plain = _plain(word)
        if len(plain) < 5 or not plain.endswith("ing"):
            return False
        stem, common = plain[:-3], self.people.common
        return plain in common or stem in common or (stem + "e" in common if is_word is None else is_word(stem + "e"))

    def _hyphenated_thing(self, word: str) -> bool:
        """A word joined by hyphens that no name is: a place or an organisation first ("Busan-native"), an
        acronym ("Telecom-CEO"), a lone letter ("K-pop", "Z-centric"), or after a hyphen a lower-case word of
        more than one syllable ("Food-to-entertainment", "Lee-China-summit"; a Korean given name's syllables
        have one vowel each: "Jae-myung", "Woo-young")."""
        parts = [part for part in re.split(r"[-‐]", _without_possessive(word)) if part]
        if len(parts) < 2:
            return False
        if len(parts[0]) == 1 or any(len(part) > 1 and part.isupper() for part in parts):
            return True
        if _plain(parts[0]) in self.people.not_person and len(_VOWELS.findall(parts[0])) > 1:
            return True  # (not a syllable: "Jong-Un", "Jae-Hong" are names' however the list reads "un", "hong")
        return any(part.islower() and len(_VOWELS.findall(part)) > 1 for part in parts[1:])

    def _known(self, text: str) -> Iterator[re.Match[str]]:
        """Listed spellings in the text, leftmost first, as one alternation of them all would find them."""
        position = 0
        while (start := self._starts.search(text, position)) is not None:
            at = start.start()
            first = text[at]
            if first not in self._from:
                sources = [source for source, letter in self._firsts
                           if re.fullmatch(re.escape(letter), first, re.IGNORECASE)]
                alternation = "|".join(f"(?:{source})" for source in sources)
                self._from[first] = re.compile(alternation, re.IGNORECASE) if sources else None
            pattern = self._from[first]
            match = pattern.match(text, at) if pattern else None
            if match:
                yield match
                position = match.end()
            else:
                position = at + 1

    def mentions(self, text: str) -> list[Mention]:
        """Runs of capitalised words, without the sentence openers the rules list (The, In, Some...)."""
        runs: list[list[tuple[re.Match[str], _Capital]]] = []
        capitals = self._capitals
        end = -2
        owner = False  # the run's last word was a possessive
        for match in _NOT_LOWER_ASCII_TOKEN.finditer(text):  # the words of _TOKEN that may be capitalised
            word = match.group(1)
            try:
                capital = capitals[word]
            except KeyError:
                if len(capitals) >= _MEMO_WORDS:
                    capitals.clear()
                capital = capitals[word] = self._capital(word)
            if capital is None:
                continue
            start = match.start(1)
            # One space after the run's last word continues the run, unless that word was a possessive: "Maria
            # Zakharova's Telegram", "SHINee's Taemin" are two names, whose is said first. So do a surname's
            # particles in lower case, which become part of it: "Ursula von der Leyen", "Bill de Blasio".
            gap = _PARTICLES.fullmatch(text, end, start) if 0 <= end < start and not owner else None
            if gap is not None:
                bare = text[end + 1:start] + capital.word
                runs[-1].append((match, _Capital(bare, self.rules.parts(bare), False)))
            elif start == end + 1 and text[end] == " " and not owner:
                runs[-1].append((match, capital))
            else:
                runs.append([(match, capital)])
            end = match.end()
            owner = capital.word != word
        mentions = []
        for run in runs:
            first = 0
            while first < len(run) and run[first][1].opener:
                first += 1
            if first == len(run):
                continue
            taken = run[first:]
            # A wire's byline runs into its dateline: "By Chae Yun-hwan SEOUL, Dec. 30 (Yonhap)" is a name and a place.
            if len(taken) >= 3 and _DATELINE.fullmatch(taken[-1][1].word) and not taken[-2][1].word.isupper():
                taken, dateline = taken[:-1], taken[-1:]
                mentions.append(self._mention(taken))
                taken = dateline
            mentions.append(self._mention(taken))
        return mentions

    def _mention(self, taken: Sequence[tuple[re.Match[str], _Capital]]) -> Mention:
        capitals = [capital for _, capital in taken]
        # A surname's capitalised particle joins the word after it: "Marine Le Pen", "Robert De Niro", and "Le Pen",
        # "De Gaulle" alone; not at the head of a longer run ("Le Duc Tho", "De La Salle University").
        at = 1 if len(capitals) > 2 else 0
        while at < len(capitals) - 1:
            if capitals[at].word in _CAPITAL_PARTICLES:
                bare = f"{capitals[at].word} {capitals[at + 1].word}"
                capitals[at:at + 2] = [_Capital(bare, self.rules.parts(bare), False)]
            at += 1
        return Mention(tuple(capital.word for capital in capitals), taken[0][0].start(1), taken[-1][0].end(),
                       tuple(chain.from_iterable(c.parts for c in capitals)))

    def _capital(self, word: str) -> _Capital | None:
        """What `mentions` needs of a printed word, None if it is not a capitalised Latin word."""
        if not ((word[0].isupper() or _ARTICLE_FIRST.match(word)) and _script(word) == "latin") or any(
                c.isdigit() for c in word):
            return None  # (a model or an amount, "R5000", is no name)
        bare = _without_possessive(word)
        return _Capital(bare, self.rules.parts(bare), _plain(word) in self.rules.not_names)

    def _tail(self, mention: Mention, parts: int) -> str:
        """`mention.tail(parts)`, with the words' parts remembered."""
        return mention.tail(parts, self.rules.parts)

    def _which(self, matched: str) -> str:
        for pattern, canonical in self._patterns:
            if pattern.fullmatch(matched):
                return canonical
        return matched

    def _close_alias(self, mention: Mention) -> tuple[str | None, int]:
        for parts, canonical in self._latin.get(self.rules.skeleton(mention.parts[-1]), ()):
            if len(parts) <= len(mention.parts) and self.rules.same_name(mention.parts, parts):
                return canonical, len(parts)
        return None, 0

    def _group_unknown(self, mentions: Sequence[Mention], lowered_words: Callable[[], set[str]],
                       is_word: Callable[[str], bool] | None = None, names: Sequence[bool] | None = None
                       ) -> list[FoundName]:
        """Union of mentions the rules call one name; `lowered_words()` (printed in lower case somewhere
        in the text) and `is_word` (the language's word list) are words, not names, when compared alone
        (asked for only then). With `names` (whether each mention could be a person's name), a group none of whose
        mentions could is `OTHER`."""
        lowered: set[str] | None = None
        parent = list(range(len(mentions)))
        keep = [len(m.parts) for m in mentions]

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        # Mentions printed alike (the same parts, the same last word) are judged alike: each such set is compared
        # once, through its first mention, and joins whatever that one joins (a page that repeats a name ten
        # thousand times costs ten thousand steps, not fifty million comparisons).
        alike: dict[tuple[tuple[str, ...], str], list[int]] = {}
        for i, mention in enumerate(mentions):
            alike.setdefault((mention.parts, mention.words[-1]), []).append(i)
        # Two names are compared only where their last parts agree in skeleton (`same_word` asks that much), and two
        # of two parts or more only where their last two do (`same_name` aligns them from the end): a list page of
        # a thousand people named Gaddafi, or Kim Chol something, costs the pairs that could be one name.
        skeleton = self.rules.skeleton
        by_last: dict[str, list[int]] = {}  # every earlier first mention, by its last part
        one_part: dict[str, list[int]] = {}  # those of one part
        by_last_two: dict[tuple[str, str], list[int]] = {}  # those of two parts or more, by their last two
        for i in (same[0] for same in alike.values()):
            a = mentions[i]
            last = skeleton(a.parts[-1])
            if len(a.parts) == 1:
                candidates = list(by_last.get(last, ()))
                one_part.setdefault(last, []).append(i)
            else:
                kin = by_last_two.setdefault((last, skeleton(a.parts[-2])), [])
                candidates = [*one_part.get(last, ()), *kin]
                kin.append(i)
            by_last.setdefault(last, []).append(i)
            if all(len(part) < 2 for part in a.parts):
                continue  # letters alone are no name: "(C-L)" and "(C-R)" are where people stand in a photo
            for j in candidates:
                b = mentions[j]
                if a.parts == b.parts or not self.rules.same_name(a.parts, b.parts):
                    continue
                k = min(len(a.parts), len(b.parts))
                if a.parts[-k:] == b.parts[-k:]:
                    continue  # the same spelling, one with a title in front
                if self._another_surname(a, b):
                    continue
                if k == 1:
                    if lowered is None:
                        lowered = lowered_words()
                    if a.parts[-1] in lowered or b.parts[-1] in lowered:
                        continue
                    if is_word is not None and (is_word(a.words[-1]) or is_word(b.words[-1])):
                        continue
                keep[i], keep[j] = min(keep[i], k), min(keep[j], k)
                parent[root(i)] = root(j)
        for same in alike.values():
            for i in same[1:]:
                keep[i] = keep[same[0]]
                parent[root(i)] = root(same[0])
        members: dict[int, list[int]] = {}
        for i in range(len(mentions)):
            members.setdefault(root(i), []).append(i)
        found = []
        for group in members.values():
            if len(group) < 2:  # one mention is one spelling (most capitalised runs are alone)
                continue
            spellings = Counter(self._tail(mentions[i], keep[i]) for i in group)
            if len(spellings) < 2 or len(distinct_spellings(spellings, self.rules)) < 2:
                continue
            ordered = tuple(Spelling(t, n) for t, n in spellings.most_common())
            kind = OTHER if names is not None and not any(names[i] for i in group) else "person"
            found.append(FoundName(ordered[0].text, ordered, False, kind))
        return found


def name_groups(found: Sequence[FoundName]) -> tuple[NameGroup, ...]:
    """The people and organisations found, as a record lists them (not the `OTHER` names)."""
    return tuple(f.to_group() for f in found if f.kind != OTHER)


def variant_evidence(found: Sequence[FoundName], rules: Romanisation) -> list[str]:
    """"A / B / C" for each person (or other name, a place's: "Kosai City / Kosei City") named in Latin script in
    more than one spelling (an organisation's acronym beside its full name is no variant)."""
    evidence = []
    for name in found:
        if name.kind == "organisation":
            continue
        spellings = distinct_spellings(name.latin_spellings(), rules)
        if len(spellings) >= 2:
            evidence.append(" / ".join(sorted(spellings)))
    return evidence
