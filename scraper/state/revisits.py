"""Reading articles again (revisits): which reports are due, the text last written of each, and what a revisit
found; a revision or tombstone is staged and committed with its segment, the rest is written at once."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from scraper.db import DRIVER_ERRORS, Database
from scraper.errors import StateError
from scraper.records import Record, iso_utc
from scraper.state.schema import KEEP_BODY
from scraper.state.staging import Staging


@dataclass(frozen=True, slots=True)
class Due:
    """A report due to be read again (`RevisitTables.due_for_revisit`)."""

    record_id: str
    canonical_url: str
    content_hash: str  # of the text last written of it
    revisions: int  # revision records written of it so far
    published_at: datetime | None
    last_listed: datetime | None  # when an index of its outlet last listed it; None: never seen listed since
    read_failures: int  # revisits in a row that found no article under its URL


class RevisitTables:
    """The reports of one state store as revisits see them (`State.revisits`)."""

    def __init__(self, db: Database, where: str, staged: Staging) -> None:
        self._db = db
        self.where = where  # the store, for messages
        self._staged = staged

    def stage_change(self, record: Record) -> None:
        """Remember a revision or a tombstone of a stored report until `commit()` (with its segment)."""
        self._staged.changes.append(record)

    def due_for_revisit(self, source_id: str, published_since: datetime, read_before: datetime,
                        limit: int) -> list[Due]:
        """Reports of an outlet to read again: published (else fetched) since `published_since`, last read
        (else written) by `read_before` (to the second), not deleted, not feed-only; least recently read first."""
        rows = self._db.execute(
            "SELECT record_id, canonical_url, content_hash, revisions, published_at, last_listed, read_failures"
            " FROM reports WHERE source_id = ? AND deleted_at IS NULL AND feed_only = 0"
            " AND coalesce(published_at, fetched_at) >= ? AND coalesce(last_read, fetched_at) <= ?"
            " ORDER BY coalesce(last_read, fetched_at) LIMIT ?",
            (source_id, iso_utc(published_since), iso_utc(read_before), limit)).fetchall()
        # A revision or tombstone written but not committed yet (its segment still open) was read just now.
        staged = {change.id for change in self._staged.changes}
        return [Due(str(r), str(u), str(h), int(n), datetime.fromisoformat(p) if p else None,
                    datetime.fromisoformat(listed) if listed else None, int(failures))
                for r, u, h, n, p, listed, failures in rows if r not in staged]

    def note_listed(self, record_ids: Iterable[str], at: datetime) -> None:
        """Note that the outlet's feeds, sitemaps or listings list these reports now (written at once)."""
        ids = sorted(set(record_ids))
        if not ids:
            return
        try:
            self._db.executemany("UPDATE reports SET last_listed = ? WHERE record_id = ?",
                                 [(iso_utc(at), record_id) for record_id in ids])
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot record listed articles: {exc}") from None

    def body(self, record_id: str) -> str | None:
        """The text last written of a report, if it was kept."""
        row = self._db.execute("SELECT body FROM bodies WHERE record_id = ?", (record_id,)).fetchone()
        return zlib.decompress(row[0]).decode() if row else None

    def prune_bodies(self, source_id: str, kept_before: datetime) -> int:
        """Forget an outlet's texts kept before a time (their articles are no longer read again)."""
        try:
            return self._db.execute(
                "DELETE FROM bodies WHERE at < ? AND record_id IN (SELECT record_id FROM reports WHERE source_id = ?)",
                (iso_utc(kept_before), source_id)).rowcount
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot prune kept texts: {exc}") from None

    def read_again(self, record_id: str, at: datetime, *, found: bool | None = True) -> None:
        """Note that a report's page was read again and had not changed (`found` True), held no article (False:
        one more failure in a row), or could not be read this time (None). Written at once: it is no output."""
        failures = {True: "0", False: "read_failures + 1", None: "read_failures"}[found]
        try:
            self._db.execute(f"UPDATE reports SET last_read = ?, read_failures = {failures} WHERE record_id = ?",
                             (iso_utc(at), record_id))
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot record a revisit: {exc}") from None

    def rebase(self, record_id: str, content_hash: str, body: str, at: datetime) -> None:
        """Make a report's text as read again (a change too small to be a revision, or a report whose text was
        not kept) what the next revisit compares with; written at once, it is no output."""
        try:
            self._db.begin()
            self._db.execute("UPDATE reports SET content_hash = ?, last_read = ?, read_failures = 0"
                             " WHERE record_id = ?", (content_hash, iso_utc(at), record_id))
            self._db.execute(KEEP_BODY, (record_id, iso_utc(at), zlib.compress(body.encode())))
            self._db.commit()
        except DRIVER_ERRORS as exc:
            if self._db.in_transaction:
                self._db.rollback()
            raise StateError(f"{self.where}: cannot record a revisit: {exc}") from None

    def has_change(self, record: Record) -> bool:
        """Whether a revision or tombstone record is in the store already (recovering a segment after a crash)."""
        row = self._db.execute("SELECT revisions, deleted_at FROM reports WHERE record_id = ?",
                               (record.id,)).fetchone()
        if row is None:
            return False
        if record.revision is not None:
            return int(row[0]) >= record.revision.number
        return row[1] is not None
