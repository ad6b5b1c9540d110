"""People named in Korean text, in Hangul, by the cues of `scraper/data/hangul_people.toml`.

Korean news writes a person's name in full, a surname of one syllable (two for a few: 남궁, 황보) and a given name
of one or two, and then the person's title: "정동영 통일부 장관은", "최룡해 동지", "이현도 씨". A run of Hangul of that
shape is a person's name when a cue says so:
- a title after it, up to two words of an organisation between ("윤병세 외교부 장관과"; a name of two syllables only
  right before its title: "김구 선생");
- 씨 or 동지 attached to it ("이현도씨는", "리일환동지께서", as North Korea's papers print it);
- an age in brackets right after it ("김철수(45)씨");
- an occupation right before it ("가수 이현도");
- a list of such names that shares one title ("유승민, 주호영, 안상수 의원과", "이부영·노회찬 전 의원").
A name of that shape which is a word of office, a government's or a place's ("신임 장관", "국방부 장관", "정부
대변인": `not_names`), or ends in an organisation's syllable (부, 청, 처, 당…) or a particle's is no one's. Each
person's mentions are counted wherever the name stands on its own (particles attach to it: "정동영은"), and a
surname alone before a title, a modifier perhaps between ("이 대통령은", "정 장관", "한 전 대표"), counts for the
person named in full with that surname and that title if there is one, else for the one named last before it
(the first if none is yet): the same rule as for English text's surnames. `NameFinder` (names.py) calls this for
Korean text and merges the result with the alias table's people.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

_WORD = re.compile(r"\S+")
_HANGUL = re.compile(r"[가-힣]+")
_AGE = re.compile(r"\(\d{1,3}[)·,]")  # "(45)", "(45·회사원)"
_TRAILING = ",.!?;:\"'”’」』)…"  # punctuation that may end a printed word
# The last syllable of an organisation's name, not a person's: 국방부, 경찰청, 민주당, 연세대
_ORGANISATION_ENDS = frozenset("부청처당회단국실위사소관팀대")
# The last syllable of a particle or a verb's form, hardly ever of a name: "조회를", "정부는", "기소된", "문제가".
_NOT_LAST = frozenset("을를는에의와과로된던며게다께해했할함이가고한")
# What an organisation's name ends in, the words between a name and its title: "윤병세 외교부 장관", "신영자
# 롯데복지재단 이사장", "장동혁 국민의힘 대표" (a word in Latin letters marks one too: "최재원 SK그룹 수석부회장").
_ORGANISATION_WORD = re.compile(r"(?:[부청처당회단국실위사소관대군시도구팀]|국민의힘|그룹|은행|재단|협회|센터|병원|"
                                r"신문|방송|연구소|연구원|국정원|감사원|정보원|개발원|진흥원|공사|공단|본부|법원|지법|"
                                r"학교|대학교|위원회|사령부)$"
                                r"|^[A-Za-z][\w&.-]*$")
_MAX_BETWEEN = 2  # words of an organisation between a name and its title ("외교부 장관")
_ATTACHED = ("씨", "동지")  # titles written onto a name (not 선생: "국어선생" is a teacher of Korean)
_MAX_LISTED = 12  # names in one list that share a title ("유승민, 주호영, 안상수 의원")


@dataclass(frozen=True, slots=True)
class HangulPerson:
    """A person named in Hangul: the name as printed, how often it stands alone, how often the surname does."""

    name: str
    count: int
    short_mentions: int


@dataclass(frozen=True, slots=True)
class HangulPeople:
    """The cues of `hangul_people.toml`; `find` reads a text with them."""

    surnames: frozenset[str]
    compound_surnames: frozenset[str]
    titles: frozenset[str]
    particles: frozenset[str]
    occupations: frozenset[str]
    not_names: frozenset[str]
    short_name_titles: frozenset[str]
    modifiers: frozenset[str]
    compound_titles: frozenset[str]

    @classmethod
    def load(cls, text: str | None = None) -> HangulPeople:
        """The shipped cues (or `text`'s)."""
        if text is None:
            text = (resources.files("scraper") / "data" / "hangul_people.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        return cls(*(frozenset(data[key]) for key in ("surnames", "compound_surnames", "titles", "particles",
                                                      "occupations", "not_names", "short_name_titles",
                                                      "modifiers", "compound_titles")))

    def surname(self, name: str) -> str:
        """The surname of a Hangul name: its first two syllables if they are a surname of two, else its first."""
        return name[:2] if len(name) > 2 and name[:2] in self.compound_surnames else name[:1]

    def name_shape(self, word: str, *, strong: bool = False) -> bool:
        """Whether a run of Hangul could be a name in full: a surname and a given name of one or two syllables.
        `strong`: where the cue is a strong one (a list of names, 씨, an age), a name may end as an organisation's
        does ("강길부", "전재국씨")."""
        if (not 2 <= len(word) <= 4 or word in self.not_names or word in self.titles or word in self.occupations
                or (word[-1] in _ORGANISATION_ENDS and not strong)
                or word[-1] in _NOT_LAST or word[-1] == "씨" or (len(word) == 2 and word[1] == "모")):  # ("김모")
            return False
        if word[:2] in self.compound_surnames and len(word) > 2:
            return True
        return len(word) <= 3 and word[0] in self.surnames

    def _particle(self, rest: str) -> bool:
        return not rest or rest in self.particles

    def is_title(self, word: str) -> bool:
        """Whether a printed word is a title, a particle or punctuation perhaps after it ("장관은", "동지께서")."""
        return self.title_of(word) is not None

    def title_of(self, word: str) -> str | None:
        """The title a printed word is, a particle or punctuation perhaps after it, else None."""
        stem = _stem(word)
        if len(stem) < len(word.rstrip(_TRAILING)):
            return None
        for end in range(len(stem), 0, -1):
            if not self._particle(stem[end:]):
                continue
            if stem[:end] in self.titles:
                return stem[:end]
            # a title of an organisation's, in one word: "검열위원장", "수석부회장", "부장판사"
            compound = next((stem[start:end] for start in range(1, end - 1) if stem[start:end] in self.compound_titles),
                            None)
            if compound is not None:
                return compound
        return None

    def _bare(self, word: str, *, strong: bool = False) -> str | None:
        """The name a printed word is, with no particle ("정동영", "정동영,", "이재현(구속기소)"), else None."""
        stem = _stem(word)
        rest = word[len(stem):].rstrip(_TRAILING + "(")
        if rest.startswith("(") and ")" in rest:  # an aside in brackets: what the person is, or their age
            rest = rest[rest.index(")") + 1:]
        return stem if stem and not rest and self.name_shape(stem, strong=strong) else None

    def _titled(self, words: Sequence[str], at: int, name: str) -> bool:
        """Whether the name at `words[at]` has its title after it: right after, or behind an organisation's words
        and modifiers ("윤병세 외교부 장관", "노회찬 전 의원"); a name of two syllables only right before one of
        `short_name_titles`."""
        if len(name) == 2:
            return at + 1 < len(words) and self.title_of(words[at + 1]) in self.short_name_titles
        return self._title_after(words, at) is not None

    def _title_after(self, words: Sequence[str], at: int) -> str | None:
        """The title after the word at `at`, right after it or behind an organisation's words and modifiers."""
        for ahead in range(at + 1, min(len(words), at + 2 + _MAX_BETWEEN)):
            title = self.title_of(words[ahead])
            if title is not None:
                return title
            if words[ahead] not in self.modifiers and not _ORGANISATION_WORD.search(words[ahead]):
                break  # (an organisation's words carry no particle)
        return None

    def _surname_title(self, words: Sequence[str], at: int) -> str | None:
        """The title right after the surname at `words[at]`, or after a modifier ("한 전 대표"), else None."""
        ahead = at + 1
        if ahead < len(words) and words[ahead] in self.modifiers:
            ahead += 1
        return self.title_of(words[ahead]) if ahead < len(words) else None

    def _in_list(self, words: Sequence[str], at: int) -> bool:
        """Whether `words[at]` begins a list of names that share one title ("유승민, 주호영, 안상수 의원과",
        "이부영·노회찬 전 의원")."""
        parts = words[at].split("·") if "·" in words[at] else [words[at]]
        if any(len(self._bare(part, strong=True) or "") < 3 for part in parts):  # (no name of two syllables)
            return False
        if words[at].endswith(","):
            ahead = at + 1
            while (ahead < min(len(words), at + _MAX_LISTED) and words[ahead].endswith(",")
                   and len(self._bare(words[ahead], strong=True) or "") > 2):
                ahead += 1
            last = self._bare(words[ahead], strong=True) if ahead < len(words) else None
            return last is not None and self._titled(words, ahead, last)
        return len(parts) > 1 and self._titled(words, at, parts[-1])

    def _cued(self, words: Sequence[str], at: int) -> list[str]:
        """The names at `words[at]` that a cue beside them says are people's."""
        word = words[at]
        name = self._bare(word)
        if name is not None and not word.endswith(",") and self._titled(words, at, name):  # (a comma ends it)
            return [name]
        if self._in_list(words, at):
            return [found for part in word.split("·") if (found := self._bare(part, strong=True))]
        stem = _stem(word)
        for end in (4, 3, 2):  # 씨 or 동지 attached: "이현도씨는", "박지원씨", "리일환동지" (as North Korea prints it)
            if len(stem) > end and self.name_shape(stem[:end], strong=True) and any(
                    stem.startswith(title, end) and self._particle(stem[end + len(title):])
                    for title in _ATTACHED):
                return [stem[:end]]
        if stem != word and self.name_shape(stem, strong=True) and _AGE.match(word, len(stem)):  # "김철수(45)씨"
            return [stem]
        if at and words[at - 1] in self.occupations and name is not None and len(name) > 2:  # "가수 이현도"
            return [name]
        return []

    def find(self, text: str, taken: Sequence[tuple[int, int]] = (), known: Iterable[tuple[str, str]] = ()
             ) -> tuple[list[HangulPerson], Counter[str]]:
        """The people a cue names in `text`, most mentioned first, and the surname-alone mentions of `known`
        people ((canonical, Hangul spelling) pairs: the alias table's, whose spellings the caller found); a name
        overlapping a `taken` span (an alias's) is not read again."""
        spans = [(m.start(), m.group()) for m in _WORD.finditer(text)]
        words = [word for _, word in spans]
        free = _uncovered([(start, start + len(word)) for start, word in spans], taken)
        first: dict[str, int] = {}
        for at, (start, word) in enumerate(spans):
            # (every cue's name begins with a surname: most words are passed over at once)
            if free[at] and (word[:1] in self.surnames or word[:2] in self.compound_surnames):
                for name in self._cued(words, at):
                    first.setdefault(name, start)
        # The titles each person is named with in full ("한동훈 전 대표", "한덕수 전 국무총리"): a surname alone with
        # a title ("한 전 대표") is the person of that surname and title, if one is.
        titled: dict[str, set[str]] = {}
        for at, word in enumerate(words if first else ()):
            if word[:3] in first or word[:2] in first or word[:4] in first:
                bare = self._bare(word)
                after = self._title_after(words, at) if bare in first else None
                if bare is not None and after is not None:
                    titled.setdefault(bare, set()).add(after)
        standing = self._standing(text, first)
        # Where each person is named in full, by surname: (start, who) in the order of the text.
        places: dict[str, list[tuple[int, str]]] = {}
        for name, starts in standing.items():
            places.setdefault(self.surname(name), []).extend((start, name) for start in starts)
        for canonical, spelling in known:
            for match in re.finditer(re.escape(spelling), text):
                places.setdefault(self.surname(spelling), []).append((match.start(), "\0" + canonical))
        for entries in places.values():
            entries.sort()
        shorts: Counter[str] = Counter()
        for at, (start, word) in enumerate(spans if places else ()):
            if word in places and (title := self._surname_title(words, at)) is not None:
                surname = word  # "이 대통령은", "정 장관", "한 전 대표"
            elif word[1:2] == "씨" and word[0] in places and self._particle(_stem(word)[2:]):
                surname, title = word[0], "씨"  # "박씨는"
            else:
                continue
            entries = places[surname]
            same = [entry for entry in entries if title in titled.get(entry[1], ())]
            entries = same or entries
            before = bisect_right(entries, (start, "\uffff"))
            shorts[entries[before - 1][1] if before else entries[0][1]] += 1
        people = [HangulPerson(name, len(standing[name]), shorts[name]) for name in first if standing[name]]
        people.sort(key=lambda p: (-(p.count + p.short_mentions), first[p.name]))
        return people, Counter({who[1:]: n for who, n in shorts.items() if who.startswith("\0")})

    def _standing(self, text: str, names: Iterable[str]) -> dict[str, list[int]]:
        """Where each of `names` stands on its own in `text`: a run of Hangul that is the name, 씨, a particle or a
        title perhaps after it ("정동영은", "이현도씨", "최룡해동지"); one pass over the text."""
        where: dict[str, list[int]] = {name: [] for name in names}
        if not where:
            return where
        firsts = {name[0] for name in where}
        for run in _HANGUL.finditer(text):
            word = run.group()
            if word[0] not in firsts:
                continue
            for end in (4, 3, 2):
                tail = word[end:].removeprefix("씨")
                if word[:end] in where and (self._particle(tail) or self.is_title(tail)):
                    where[word[:end]].append(run.start())
                    break
        return where


def _uncovered(spans: Sequence[tuple[int, int]], taken: Sequence[tuple[int, int]]) -> list[bool]:
    """For each of `spans` (in the text's order), whether no `taken` span overlaps it."""
    taken = sorted(taken)
    free = []
    at = 0
    for start, end in spans:
        while at < len(taken) and taken[at][1] <= start:
            at += 1
        free.append(not (at < len(taken) and taken[at][0] < end))
    return free


def _stem(word: str) -> str:
    """The run of Hangul a printed word begins with ("" if none)."""
    match = _HANGUL.match(word)
    return match.group() if match else ""
