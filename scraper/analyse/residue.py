"""Page interface left inside article text: language-selector menus and share/print/newsletter strings.

`ResidueCleaner.strip(paragraphs)` removes them and returns what it removed, so that the extractor keeps
them out of `body` and the translation analyser can still cite them as evidence (a menu of a dozen
languages glued to a story is the mark of a machine-translating aggregator).
The vocabularies are data: `scraper/data/ui/language_names.txt` and `interface_strings.txt`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import resources

from scraper.records import Residue

MENU = "language_menu"
INTERFACE = "interface"
_MIN_MENU_NAMES = 3  # "English | Français" could be a bilingual headline; three names are a menu
_MIN_INTERFACE_RUN = 2  # one "Print" can be a word of the story; "Share Print Email" is not
_SEPARATOR = r"[\s|/·•・]*"

__all__ = ["INTERFACE", "MENU", "Residue", "ResidueCleaner", "read_list"]


def read_list(name: str) -> tuple[str, ...]:
    """A shipped one-entry-per-line list from scraper/data/ui, without comments and blank lines."""
    text = (resources.files("scraper") / "data" / "ui" / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _alternation(entries: Iterable[str]) -> str:
    ordered = sorted({e for e in entries if e}, key=len, reverse=True)
    return "|".join(re.escape(e).replace(r"\ ", r"\s+") for e in ordered)


class ResidueCleaner:
    """Finds language menus and runs of interface strings at a paragraph's edges (or making it up)."""

    def __init__(self, language_names: Sequence[str], interface_strings: Sequence[str]) -> None:
        name = f"(?:{_alternation(language_names)})"
        ui = f"(?:{_alternation(interface_strings)})"
        # A menu may sit anywhere in a paragraph (aggregators glue it to the first sentence) but must not
        # start or end inside a word: "EnglishFrançais" is a menu, "Englishman" is not.
        self._menu = re.compile(
            rf"(?<![^\W\d_]){name}(?:{_SEPARATOR}{name}){{{_MIN_MENU_NAMES - 1},}}(?![^\W\d_])",
            re.IGNORECASE,
        )
        run = rf"{ui}(?:{_SEPARATOR}{ui})*"
        self._whole = re.compile(rf"^\W*{run}\W*$", re.IGNORECASE)
        self._ui = re.compile(rf"(?<!\w){ui}(?!\w)", re.IGNORECASE)
        self._edge = re.compile(rf"(?:^\W*{run}(?=\s)|(?<=[\s.!?\"”’»]){run}\W*$)", re.IGNORECASE)

    @classmethod
    def default(cls) -> ResidueCleaner:
        return cls(read_list("language_names.txt"), read_list("interface_strings.txt"))

    def strip(self, paragraphs: Sequence[str]) -> tuple[tuple[str, ...], tuple[Residue, ...]]:
        """Paragraphs without menus and interface strings (empty ones dropped), and what was removed."""
        kept: list[str] = []
        removed: list[Residue] = []
        for index, paragraph in enumerate(paragraphs):
            text = paragraph
            for match in self._menu.finditer(paragraph):
                removed.append(Residue(MENU, match.group().strip(), index))
            text = self._menu.sub(" ", text)
            if self._whole.match(text.strip()) and self._ui.search(text):
                if text.strip():
                    removed.append(Residue(INTERFACE, text.strip(), index))
                text = ""
            else:
                for match in self._edge.finditer(text):
                    if len(self._ui.findall(match.group())) >= _MIN_INTERFACE_RUN:
                        removed.append(Residue(INTERFACE, match.group().strip(), index))
                        text = text.replace(match.group(), " ")
            text = re.sub(r"[ \t]{2,}", " ", text).strip()
            if text:
                kept.append(text if text != paragraph.strip() else paragraph)
        return tuple(kept), tuple(removed)
