"""Build scraper/data/names/given.txt.gz: given names in the Latin spellings English news prints them in.

    pip install --target /tmp/gn faker==40.54.0 names==0.3.0      # both on PyPI
    apt-get install wamerican                                     # /usr/share/dict/american-english (Debian)
    PYTHONPATH=/tmp/gn python bench/build_given_names.py [--out scraper/data/names/given.txt.gz]

Sources (see scraper/data/names/README.md for their terms):
- the US Census Bureau's 1990 first-name lists (public domain), as the `names` package ships them;
- Faker's person providers (MIT): the Latin-script given names of its locales, the romanised Japanese ones, and
  the Russian, Ukrainian and Bulgarian ones in Cyrillic, written in Latin letters here the ways English news
  writes them (Sergey and Sergei, Yegor and Egor, Dmitry and Dmitriy, Alexei and Aleksei).
A name that is also a lower-case word of American English (will, mark, rose, chase, sterling) is left out: the
cue it gives is that the next word is a surname, and "Will Russia" or "Rose Garden" are no people. Nothing here
comes from the evaluation sets.
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

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "scraper" / "data" / "names" / "given.txt.gz"
WORDS = Path("/usr/share/dict/american-english")
# Faker locales whose given names are written in Latin letters.
LATIN_LOCALES = ("en_US", "en_GB", "en_IE", "en_IN", "en_NZ", "en_NG", "en_KE", "en_PK", "de_DE", "de_AT", "es_ES",
                 "es_MX", "it_IT", "fr_FR", "pl_PL", "tr_TR", "pt_BR", "pt_PT", "nl_NL", "cs_CZ", "sk_SK", "sl_SI",
                 "hr_HR", "sv_SE", "no_NO", "da_DK", "fi_FI", "hu_HU", "ro_RO", "lt_LT", "lv_LV", "et_EE", "id_ID",
                 "sw", "yo_NG", "ig_NG", "ha_NG", "zu_ZA", "tw_GH", "fil_PH", "az_AZ", "uz_UZ")
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


def faker_names(locales: Iterable[str]) -> Iterable[str]:
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError:
            print(f"faker has no locale {locale}; skipped", file=sys.stderr)
            continue
        for attribute in _ATTRIBUTES:
            yield from (name for name in getattr(provider, attribute, ()) if isinstance(name, str))


def build(words: Path = WORDS) -> list[str]:
    found: set[str] = set()
    found.update(map(plain, census_names()))
    found.update(map(plain, faker_names(LATIN_LOCALES)))
    japanese = importlib.import_module("faker.providers.person.ja_JP").Provider
    found.update(map(plain, japanese.first_romanized_names))
    for name in faker_names(CYRILLIC_LOCALES):
        found.update(latin_spellings(name))
    lower_words = {line.strip() for line in words.read_text(encoding="utf-8").splitlines() if line[:1].islower()}
    return sorted(name for name in found
                  if re.fullmatch(r"[a-z]+(?:-[a-z]+)?", name) and len(name) >= 3 and name not in lower_words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--words", type=Path, default=WORDS, help="a word list with case (Debian's wamerican)")
    args = parser.parse_args(argv)
    names = build(args.words)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(args.out, "wb", mtime=0) as handle:  # (no timestamp: the same inputs give the same bytes)
        handle.write(("\n".join(names) + "\n").encode("ascii"))
    print(f"given_names: names={len(names)} bytes={args.out.stat().st_size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
