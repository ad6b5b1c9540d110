"""Regexes of long word lists, written so that Python's regex engine scans text for them fast."""

from __future__ import annotations

from collections.abc import Iterable

_QUANTIFIERS = ("?", "*", "+", "{")


def one_of(alternatives: Iterable[str]) -> str:
    """The alternatives (regex source) as one alternation grouped by first character: "c(?:omment|ookie)|share".

    It matches wherever the flat alternation matches (and prefers the same alternative, but for the words
    grouped under an escape), but the engine tries the one branch whose first character fits instead of
    every alternative: two to three times faster on the class names and lines we scan. Each alternative must
    start with one literal character or escape ("\\b" groups the words that need a boundary) that no
    quantifier follows, and no two first characters may be one letter in two cases (true of lowercase
    word lists).
    """
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        first = alternative[:2] if alternative.startswith("\\") else alternative[:1]
        rest = alternative[len(first):]
        if not first or (len(first) == 1 and first in "()[]|.^$") or rest.startswith(_QUANTIFIERS):
            raise ValueError(f"not a literal first character: {alternative!r}")
        groups.setdefault(first, []).append(rest)
    return "|".join(first + rests[0] if len(rests) == 1 else f"{first}(?:{'|'.join(rests)})"
                    for first, rests in groups.items())
