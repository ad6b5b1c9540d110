"""Page interface left inside article text: language-selector menus and share/print/newsletter strings.

`ResidueCleaner.strip(paragraphs)` removes them and returns what it removed, so that the extractor keeps
them out of `body` and the translation analyser can still cite them as evidence (a menu of a dozen
languages glued to a story is the mark of a machine-translating aggregator).
The vocabularies are data: `scraper/data/ui/language_names.txt` and `interface_strings.txt`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources

from scraper.analyse.patterns import phrase_alternation
from scraper.records import Residue

MENU = "language_menu"
INTERFACE = "interface"
_MIN_MENU_NAMES = 3  # "English | Français" could be a bilingual headline; three names are a menu
_MIN_INTERFACE_RUN = 2  # one "Print" can be a word of the story; "Share Print Email" is not
_SEPARATOR = r"[\s|/·•・]*"
_BLANKS = re.compile(r"[ \t]{2,}")

__all__ = ["INTERFACE", "MENU", "Residue", "ResidueCleaner", "read_list"]


def read_list(name: str) -> tuple[str, ...]:
    """A shipped one-entry-per-line list from scraper/data/ui, without comments and blank lines."""
    text = (resources.files("scraper") / "data" / "ui" / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


class ResidueCleaner:
    """Finds language menus and runs of interface strings at a paragraph's edges (or making it up)."""

    def __init__(self, language_names: Sequence[str], interface_strings: Sequence[str]) -> None:
        name = f"(?:{phrase_alternation(language_names)})"
        ui = f"(?:{phrase_alternation(interface_strings)})"
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
        # `_edge` tries its second branch after every space; most paragraphs neither start nor end with an
        # interface string, which these two anchored matches (the end read backwards) tell at once.
        self._starts_ui = re.compile(rf"\W*{ui}", re.IGNORECASE)
        reversed_ui = phrase_alternation(entry[::-1] for entry in interface_strings)
        self._ends_ui = re.compile(rf"\W*(?:{reversed_ui})", re.IGNORECASE)

    @classmethod
    def default(cls) -> ResidueCleaner:
        return cls(read_list("language_names.txt"), read_list("interface_strings.txt"))

    def strip(self, paragraphs: Sequence[str]) -> tuple[tuple[str, ...], tuple[Residue, ...]]:
        """Paragraphs without menus and interface strings (empty ones dropped), and what was removed."""
        kept: list[str] = []
        removed: list[Residue] = []
        for index, paragraph in enumerate(paragraphs):
            text = paragraph
            menus = list(self._menu.finditer(paragraph))
            if menus:  # as self._menu.sub(" ", paragraph), without reading the paragraph twice
                pieces: list[str] = []
                end = 0
                for match in menus:
                    removed.append(Residue(MENU, match.group().strip(), index))
                    pieces += (paragraph[end:match.start()], " ")
                    end = match.end()
                text = "".join((*pieces, paragraph[end:]))
            if self._whole.match(text.strip()) and self._ui.search(text):
                if text.strip():
                    removed.append(Residue(INTERFACE, text.strip(), index))
                text = ""
            elif self._starts_ui.match(text) or self._ends_ui.match(text[::-1]):
                for match in self._edge.finditer(text):
                    if len(self._ui.findall(match.group())) >= _MIN_INTERFACE_RUN:
                        removed.append(Residue(INTERFACE, match.group().strip(), index))
                        text = text.replace(match.group(), " ")
            if "  " in text or "\t" in text:  # what _BLANKS needs: two blanks in a row hold one of these
                text = _BLANKS.sub(" ", text)
            text = text.strip()
            if text:
                kept.append(text if text != paragraph.strip() else paragraph)
        return tuple(kept), tuple(removed)
