"""Text as UTF-8 can carry it, shared by every place text enters: decoded pages, JSON inside pages, JSON input.

Python strings may hold lone UTF-16 surrogates (U+D800–U+DFFF), which no UTF-8 file can: JSON decodes the
escape "\\ud83d" to one (half of an emoji a CMS cut in two when it truncated a description is common in real
JSON-LD), and so do a few codecs. One such character in a title would make every later step that encodes the
text (the content hash, the state store, the output line) fail. Where text enters, a lone surrogate becomes
U+FFFD, as an invalid byte does when a page is decoded; a valid pair is already one character by then.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def scrub(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (the same object when it has none)."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


# Characters that end a line for some readers though JSON leaves them raw in a string (U+0085 NEL, which a page
# decoded as Latin-1 carries for "…"; U+2028 and U+2029, which JavaScript-made text carries): Python's
# str.splitlines() and others would cut a JSON line in two. Escaped, a line is one line for every reader.
# (str.replace per character, not str.translate: translate reads a non-ASCII string one character at a time in
# Python's mapping, about a millisecond for a record of 20,000 characters; the three searches cost microseconds.)
_LINE_BREAKS = (("\x85", "\\u0085"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def json_line(value: Any, *, compact: bool = True) -> str:
    """`value` as one line of JSON (UTF-8 text, without its newline) that every line reader reads as one; compact
    (the output's records), or spaced after "," and ":" (what `stats --json`, `analyse` and the logs always printed)."""
    separators = (",", ":") if compact else (", ", ": ")
    line = json.dumps(value, ensure_ascii=False, separators=separators)
    for character, escaped in _LINE_BREAKS:
        if character in line:
            line = line.replace(character, escaped)
    return line


def scrub_json(value: Any) -> Any:
    """A decoded JSON value with every string in it, keys too, scrubbed: a copy, built without recursion (a
    deeply nested value is no risk)."""
    if isinstance(value, str):
        return scrub(value)
    if not isinstance(value, (list, dict)):
        return value
    result = _empty(value)
    stack: list[tuple[Any, Any]] = [(value, result)]
    while stack:
        original, copy = stack.pop()
        for key, item in original.items() if isinstance(original, dict) else enumerate(original):
            new = _empty(item) if isinstance(item, (list, dict)) else scrub(item) if isinstance(item, str) else item
            if isinstance(copy, dict):
                copy[scrub(str(key))] = new
            else:
                copy.append(new)
            if isinstance(item, (list, dict)):
                stack.append((item, new))
    return result


def _empty(container: list[Any] | dict[str, Any]) -> list[Any] | dict[str, Any]:
    return [] if isinstance(container, list) else {}
