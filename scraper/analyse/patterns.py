"""Regular expressions for long lists of literal phrases (language names, interface strings, name spellings).

Python's `re` tries the branches of an alternation one after another at every position, so a list of a
hundred phrases costs a hundred comparisons at every word start. The same list written as a trie
(`(?:e(?:nglish|spañol)|f(?:rançais|...))`) costs one comparison per character that could still begin a
phrase. The two regexes match the same phrases at a position, longest first, so a pattern built around
either finds the same matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_END = ""  # a trie key that marks the end of a phrase
_Trie = dict[str, "_Trie"]


def _key(char: str) -> str:
    """The character a trie edge stands for under re.IGNORECASE: one lower-case character where there is
    one ("İ" lowers to two and stays itself)."""
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def phrase_alternation(phrases: Iterable[str], space: str = r"\s+") -> str:
    """A regex (for re.IGNORECASE) matching any of `phrases`, a space in a phrase standing for `space`; at
    a position it tries the longest phrase that fits first, as an alternation sorted longest first does.
    `(?!)` for no phrases."""
    trie: _Trie = {}
    for phrase in phrases:
        if not phrase:
            continue
        node = trie
        for char in phrase:
            node = node.setdefault(" " if char == " " else _key(char), {})
        node[_END] = {}
    return _emit(trie, space) if trie else "(?!)"


def _emit(node: _Trie, space: str) -> str:
    branches = [(space if char == " " else re.escape(char)) + _emit(child, space)
                for char, child in sorted(node.items()) if char != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:  # a phrase ends here, a longer one may go on: the longer first (greedy)
        return f"(?:{body})?"
    return body
