"""Build scraper/data/names/: given names and surnames in the Latin spellings English news prints them in.

    pip install --target /tmp/gn faker==40.54.0 names==0.3.0 jamdict-data==1.5   # all on PyPI
    apt-get install wamerican                                     # /usr/share/dict/american-english (Debian)
    PYTHONPATH=/tmp/gn python bench/build_given_names.py [--out scraper/data/names]

Sources (see scraper/data/names/README.md for their terms):
- the US Census Bureau's 1990 first-name lists (public domain), as the `names` package ships them;
- Faker's person providers (MIT): the Latin-script given names of its locales, the romanised Japanese ones, and
  the Russian, Ukrainian and Bulgarian ones in Cyrillic, written in Latin letters here the ways English news
  writes them (Sergey and Sergei, Yegor and Egor, Dmitry and Dmitriy, Alexei and Aleksei).
A name that is also a lower-case word of American English (will, rose, hope, sterling) is left out: the cue it
gives is that the next word is a surname, and "Will Russia" or "Rose Garden" are no people. The exceptions
(`WORDS_KEPT`) are frequent given names whose lower-case sense almost never heads a capitalised pair in news
(John, Frank, Guy, Bill, Mark). Nothing here comes from the evaluation sets.

`surnames.txt.gz`: the 5,000 most frequent surnames of the US Census Bureau's 1990 list (`dist.all.last`, public
domain), lower-case words among them (Taylor, Murray; Hunter, Rivers, Brown): names.py takes a person's surname
after a given name to be no common English word, or one of these (`not_surname` in people.toml sets aside those
that end places' names: "Beverly Hills", "Heinz Field").

`japanese_given.txt.gz`, `japanese_surnames.txt.gz`: from JMnedict, the Japanese names dictionary of the
Electronic Dictionary Research and Development Group (CC BY-SA 3.0), as jamdict-data 1.5 ships it: the romanised
given names (masculine, feminine, unclassed given) and surnames that stand for at least `_JMNEDICT_MIN` entries
(written with different characters: a name read so by many people, not a rare reading), in the spellings English
news uses ("Yuuji", "Shinzou" → Yuji, Shinzo), without lower-case words and without readings that name places more
often.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import itertools
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from scraper.analyse.names import _plain  # (the form names.py looks a printed word up in)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "scraper" / "data" / "names"
WORDS = Path("/usr/share/dict/american-english")
# Faker locales whose given names are written in Latin letters.
LATIN_LOCALES = ("en_US", "en_GB", "en_IE", "en_IN", "en_NZ", "en_NG", "en_KE", "en_PK", "de_DE", "de_AT", "es_ES",
                 "es_MX", "it_IT", "fr_FR", "pl_PL", "tr_TR", "pt_BR", "pt_PT", "nl_NL", "cs_CZ", "sk_SK", "sl_SI",
                 "hr_HR", "sv_SE", "no_NO", "da_DK", "fi_FI", "hu_HU", "ro_RO", "lt_LT", "lv_LV", "et_EE", "id_ID",
                 "sw", "yo_NG", "ig_NG", "ha_NG", "zu_ZA", "tw_GH", "fil_PH", "az_AZ", "uz_UZ", "fr_DZ")
CYRILLIC_LOCALES = ("ru_RU", "uk_UA", "bg_BG")
_ATTRIBUTES = ("first_names", "first_names_male", "first_names_female", "first_names_unisex")
# Cyrillic letters and their Latin spellings in English news, the usual one first.
_LATIN = {"а": ("a",), "б": ("b",), "в": ("v",), "г": ("g",), "д": ("d",), "е": ("e",), "ё": ("yo", "e"),
          "ж": ("zh",), "з": ("z",), "и": ("i",), "й": ("y", "i"), "к": ("k",), "л": ("l",), "м": ("m",),
          "н": ("n",), "о": ("o",), "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u",), "ф": ("f",),
          "х": ("kh", "h"), "ц": ("ts",), "ч": ("ch",), "ш": ("sh",), "щ": ("shch",), "ъ": ("",), "ы": ("y",),
          "ь": ("",), "э": ("e",), "ю": ("yu", "iu"), "я": ("ya", "ia"), "і": ("i",), "ї": ("yi", "i"),
          "є": ("ye",), "ґ": ("g",)}
_VOWELS = "аеёиоуыэюяіїє"
_MAX_SPELLINGS = 64  # per Cyrillic name
# Given names that are lower-case words too, kept: in news a capitalised pair they begin is a person's name
# ("John Blackmore", "Frank Lampard", "Guy Hedgecoe", "Mark Rutte"). Not kept, among others: will, may, hope (a
# word before a name as often: "Will Remain Faithful"), rose, summer, young, august, angel, rocky, pearl, olive,
# ivy, marina (places, brands, events, seasons: "Rose Parade", "Olive Young", "Marina Barrage", "Pearl Harbor").
# Mark, Grant, Grace, Chase and Roman were tried on the real texts (docs/language.md): every pair they began was
# a person's.
WORDS_KEPT = frozenset({
    "john", "frank", "peter", "roger", "jack", "terry", "harry", "billy", "randy", "bobby", "victor", "martin",
    "earl", "jimmy", "tony", "mike", "dale", "ray", "don", "troy", "tom", "bill", "warren", "dean", "derrick",
    "hector", "glen", "rick", "gene", "brad", "lance", "guy", "max", "ken", "bob", "wade", "nick", "homer", "matt",
    "ed", "noel", "drew", "josh", "clay", "miles", "heath", "mickey", "chuck", "jasper", "curt", "buddy", "rod",
    "rob", "rusty", "cliff", "reed", "carol", "heather", "crystal", "dawn", "sherry", "hazel", "sally", "holly",
    "sue", "rosemary", "colleen", "joy", "penny", "violet", "daisy", "sandy", "iris", "melody", "patty", "pat",
    "jasmine", "maria", "robin", "ruby", "amber", "lily", "dolly", "clement", "mark", "grant", "grace", "chase",
    "roman",
})
_SURNAMES = 5_000  # the most frequent census surnames
_JMNEDICT_MIN = 3  # entries a romanised Japanese name must stand for
_JMNEDICT_GIVEN = ("given", "masc", "fem")
# JMnedict writes long vowels doubled (Yuuji, Shinzou, Oono); English news writes them single (Yuji, Shinzo, Ono).
_LONG_VOWELS = (("ou", "o"), ("uu", "u"), ("oo", "o"), ("aa", "a"))


def plain(name: str) -> str:
    """A listed name as names.py reads a printed one: "Adélaïde " → "adelaide", "Asma'u" → "asmau"."""
    return _plain(name.strip())


def latin_spellings(name: str) -> set[str]:
    """The Latin spellings of a Cyrillic given name: "Сергей" → sergey, sergei; "Егор" → yegor, egor."""
    word = name.casefold()
    options: list[tuple[str, ...]] = []
    for i, ch in enumerate(word):
        choice = _LATIN.get(ch, (ch,))
        if ch == "е" and (i == 0 or word[i - 1] in _VOWELS + "ьъ"):
            choice = ("ye", "e")  # (at the start and after a vowel: Yevgeny, Yegor; else Sergey, Semen)
        if ch == "й" and i == len(word) - 1 and i > 0 and word[i - 1] in "ие":
            choice = ("y", "i", "")  # Dmitriy, Dmitri, Dmitry / Sergey, Sergei
        options.append(choice)
    spellings = {"".join(parts) for parts in itertools.islice(itertools.product(*options), _MAX_SPELLINGS)}
    spellings |= {s.replace("iy", "y") for s in spellings if s.endswith("iy")}
    spellings |= {s.replace("ks", "x") for s in spellings if "ks" in s}  # Alexei, Alexander
    return spellings


def census_names(package: str = "names") -> Iterable[str]:
    module = importlib.import_module(package)
    folder = Path(module.__file__ or "").parent
    for file in ("dist.male.first", "dist.female.first"):
        for line in (folder / file).read_text(encoding="ascii").splitlines():
            if line.strip():
                yield line.split()[0]


def census_surnames(package: str = "names", count: int = _SURNAMES) -> list[str]:
    module = importlib.import_module(package)
    folder = Path(module.__file__ or "").parent
    lines = (folder / "dist.all.last").read_text(encoding="ascii").splitlines()
    return [line.split()[0] for line in lines if line.strip()][:count]


def news_spelling(reading: str) -> str:
    """A JMnedict romanisation as English news writes it: "Yūji", "Yuuji" → "yuji"; "Shinzou" → "shinzo"."""
    word = plain(reading)
    for long, short in _LONG_VOWELS:
        word = word.replace(long, short)
    return word


def jmnedict_names(database: Path) -> tuple[set[str], set[str]]:
    """(given names, surnames) of JMnedict standing for at least `_JMNEDICT_MIN` entries each and for more entries
    than places of that reading."""
    import sqlite3  # (only the builder reads the dictionary)

    entries: dict[str, dict[str, set[int]]] = {}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT t.text, g.text, tr.idseq FROM NETransGloss g"
                                  " JOIN NETransType t ON t.tid = g.tid JOIN NETranslation tr ON tr.ID = g.tid")
        for kind, gloss, entry in rows:
            gloss = gloss.strip()
            # one word ("Fumio", "Shun'ichi", which news prints "Shunichi"), no notes or stage names
            if not re.fullmatch(r"[A-ZĀĒĪŌŪ][a-zāēīōū]+(?:['’][a-zāēīōū]+)?", gloss):
                continue
            kind = "given" if kind in _JMNEDICT_GIVEN else kind
            entries.setdefault(kind, {}).setdefault(news_spelling(gloss), set()).add(entry)

    def counts(kind: str) -> dict[str, int]:
        return {name: len(found) for name, found in entries.get(kind, {}).items()}

    given, surnames, places = counts("given"), counts("surname"), counts("place")
    return ({name for name, n in given.items() if n >= _JMNEDICT_MIN and n > places.get(name, 0)},
            {name for name, n in surnames.items() if n >= _JMNEDICT_MIN and n > places.get(name, 0)})


def jamdict_database() -> Path:
    """jamdict-data's SQLite file, unpacked beside its package on first use."""
    module = importlib.import_module("jamdict_data")
    folder = Path(module.__file__ or "").parent
    database = folder / "jamdict.db"
    if not database.exists():
        import lzma

        with lzma.open(folder / "jamdict.db.xz") as packed, database.open("wb") as unpacked:
            while chunk := packed.read(1 << 20):
                unpacked.write(chunk)
    return database


def faker_names(locales: Iterable[str]) -> Iterable[str]:
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            print(f"faker has no locale {locale}; skipped", file=sys.stderr)
            continue
        for attribute in _ATTRIBUTES:
            yield from (name for name in getattr(provider, attribute, ()) if isinstance(name, str))


def lower_case_words(words: Path) -> set[str]:
    return {line.strip() for line in words.read_text(encoding="utf-8").splitlines() if line[:1].islower()}


def usable(names: Iterable[str], lower_words: set[str], kept: frozenset[str] = frozenset()) -> list[str]:
    return sorted(name for name in set(names) if re.fullmatch(r"[a-z]+(?:-[a-z]+)?", name) and len(name) >= 3
                  and (name not in lower_words or name in kept))


def build(lower_words: set[str]) -> list[str]:
    found: set[str] = set()
    found.update(map(plain, census_names()))
    found.update(map(plain, faker_names(LATIN_LOCALES)))
    japanese = importlib.import_module("faker.providers.person.ja_JP").Provider
    found.update(map(plain, japanese.first_romanized_names))
    for name in faker_names(CYRILLIC_LOCALES):
        found.update(latin_spellings(name))
    return usable(found, lower_words, WORDS_KEPT)


def write(path: Path, names: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as handle:  # (no timestamp: the same inputs give the same bytes)
        handle.write(("\n".join(names) + "\n").encode("ascii"))
    print(f"{path.name}: names={len(names)} bytes={path.stat().st_size}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the folder of the name lists")
    parser.add_argument("--words", type=Path, default=WORDS, help="a word list with case (Debian's wamerican)")
    args = parser.parse_args(argv)
    lower_words = lower_case_words(args.words)
    given = build(lower_words)
    write(args.out / "given.txt.gz", given)
    write(args.out / "surnames.txt.gz", usable(map(plain, census_surnames()), set()))
    japanese_given, japanese_surnames = jmnedict_names(jamdict_database())
    write(args.out / "japanese_given.txt.gz", usable(japanese_given - set(given), lower_words))
    write(args.out / "japanese_surnames.txt.gz", usable(japanese_surnames, lower_words))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
