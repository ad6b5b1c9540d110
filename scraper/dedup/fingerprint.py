"""Fingerprints of article text that survive different page chrome, case, spacing and punctuation."""

from __future__ import annotations

import hashlib
import unicodedata


def normalise_text(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols dropped, whitespace collapsed: the text a reader sees."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = (ch if not unicodedata.category(ch).startswith(("P", "S", "Z", "C")) else " " for ch in folded)
    return " ".join("".join(kept).split())


def content_hash(body: str) -> str:
    """Exact-duplicate key of an article body: equal for the same text in other chrome."""
    return "sha256:" + hashlib.sha256(normalise_text(body).encode("utf-8")).hexdigest()
