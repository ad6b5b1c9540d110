"""Which earlier report has the same text: exact duplicates by content hash, remembered in the state store."""

from __future__ import annotations

from scraper.state import State


class DuplicateIndex:
    """Looks up the first report of a text. Near-duplicates (MinHash) will extend this, not replace it."""

    def __init__(self, state: State) -> None:
        self._state = state

    def first_report(self, content_hash: str, record_id: str) -> str | None:
        """The id of the earliest other report with this text, or None if this is the first."""
        first = self._state.first_with_hash(content_hash)
        return first if first and first != record_id else None
