"""Turn extracted text into clean paragraphs: normalised whitespace, no repeats, no echo of the title."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")


def normalise_line(line: str) -> str:
    # NFC, not NFKC: full-width forms are meaningful to CJK readers; dedup normalises harder on its own.
    return _SPACES.sub(" ", unicodedata.normalize("NFC", line)).strip()


def paragraphs(text: str, title: str = "") -> list[str]:
    """Split extracted text into paragraphs, dropping empties, exact repeats and a leading title echo."""
    seen: set[str] = set()
    kept: list[str] = []
    title_key = normalise_line(title).casefold()
    for raw in text.splitlines():
        line = normalise_line(raw)
        if not line:
            continue
        key = line.casefold()
        # Image captions and pull quotes are often printed twice; the body needs them once.
        if key in seen:
            continue
        if not kept and title_key and key == title_key:
            continue
        seen.add(key)
        kept.append(line)
    return kept
