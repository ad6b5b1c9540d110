"""The SQLite state store: which URLs became which reports, their content hashes, and failed fetches.

Reports are first *staged* in memory and written in one short transaction by `commit()`, which the
pipeline calls only after the output segment holding them is durable. So the store never claims a
report that is not on disk, and no write lock is held while articles are being fetched.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scraper.errors import StateError
from scraper.records import Record, iso_utc

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    record_id     TEXT PRIMARY KEY,
    source_id     TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    duplicate_of  TEXT,
    published_at  TEXT,
    fetched_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_by_hash ON reports (content_hash, duplicate_of);
CREATE TABLE IF NOT EXISTS urls (
    url       TEXT PRIMARY KEY,
    record_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    name       TEXT PRIMARY KEY,  -- path relative to the output directory
    recovered  INTEGER NOT NULL DEFAULT 0  -- 1: found on disk at start-up, its commit had been lost
);
CREATE TABLE IF NOT EXISTS failures (
    url       TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    reason    TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    last_at   TEXT NOT NULL,
    retry_at  TEXT NOT NULL
);
"""
SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class _Staged:
    record: Record
    urls: tuple[str, ...]


class State:
    """One open state database. Use from one thread (the event loop's)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(f"{self.path}: written by a newer scraper (state schema {version})")
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: cannot open the state database: {exc}") from None
        self._staged: dict[str, _Staged] = {}  # record_id -> staged report
        self._staged_urls: dict[str, str] = {}  # url -> record_id
        self._staged_hashes: dict[str, str] = {}  # content hash -> first staged record_id
        self._staged_aliases: dict[str, str] = {}  # url -> record_id, for reports already stored

    def close(self) -> None:
        self._db.close()

    # --- reports -------------------------------------------------------------------------------------
    def known_url(self, url: str) -> str | None:
        """The record id a URL already became, staged or committed."""
        if url in self._staged_urls:
            return self._staged_urls[url]
        row = self._db.execute("SELECT record_id FROM urls WHERE url = ?", (url,)).fetchone()
        return str(row[0]) if row else None

    def has_record(self, record_id: str) -> bool:
        if record_id in self._staged:
            return True
        row = self._db.execute("SELECT 1 FROM reports WHERE record_id = ?", (record_id,)).fetchone()
        return row is not None

    def first_with_hash(self, content_hash: str) -> str | None:
        """The first (non-duplicate) report with this content hash."""
        row = self._db.execute(
            "SELECT record_id FROM reports WHERE content_hash = ? AND duplicate_of IS NULL"
            " ORDER BY rowid LIMIT 1",
            (content_hash,),
        ).fetchone()
        if row:
            return str(row[0])
        return self._staged_hashes.get(content_hash)

    def stage(self, record: Record, urls: tuple[str, ...]) -> None:
        """Remember a report until `commit()`; it is visible to lookups at once."""
        self._staged[record.id] = _Staged(record, urls)
        for url in urls:
            self._staged_urls.setdefault(url, record.id)
        if record.duplicate_of is None:
            self._staged_hashes.setdefault(record.content_hash, record.id)

    def stage_aliases(self, urls: tuple[str, ...], record_id: str) -> None:
        """Remember more URLs of an existing report (committed with the next batch, like the report)."""
        for url in urls:
            if self.known_url(url) is None:
                self._staged_urls[url] = record_id
                self._staged_aliases[url] = record_id

    @property
    def staged(self) -> int:
        return len(self._staged) + len(self._staged_aliases)

    def commit(self, segments: tuple[str, ...] | list[str] = (), *, recovered: bool = False) -> None:
        """Write every staged report, and the segments holding them, in one transaction.

        Call it once those segments are durable. A segment named here is known to hold committed
        reports; one on disk but not here lost its commit in a crash (see `committed_segments`).
        """
        if not self._staged and not self._staged_aliases and not segments:
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR IGNORE INTO segments VALUES (?, ?)", [(name, int(recovered)) for name in segments],
            )
            for item in self._staged.values():
                record = item.record
                self._db.execute(
                    "INSERT OR IGNORE INTO reports VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (record.id, record.source_id, record.canonical_url, record.content_hash,
                     record.duplicate_of, iso_utc(record.published_at) if record.published_at else None,
                     iso_utc(record.fetched_at)),
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO urls VALUES (?, ?)", [(url, record.id) for url in item.urls]
                )
                self._db.executemany("DELETE FROM failures WHERE url = ?", [(url,) for url in item.urls])
            self._db.executemany("INSERT OR IGNORE INTO urls VALUES (?, ?)", self._staged_aliases.items())
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise StateError(f"{self.path}: cannot record reports: {exc}") from None
        self.discard_staged()

    def discard_staged(self) -> None:
        """Forget staged reports (after a commit, or when their segment could not be written)."""
        self._staged.clear()
        self._staged_urls.clear()
        self._staged_hashes.clear()
        self._staged_aliases.clear()

    def committed_segments(self) -> set[str]:
        return {str(row[0]) for row in self._db.execute("SELECT name FROM segments")}

    def integrity_ok(self) -> bool:
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # --- failures ------------------------------------------------------------------------------------
    def note_failure(self, url: str, source_id: str, reason: str, retry_at: datetime) -> None:
        now = iso_utc(datetime.now(UTC))
        try:
            self._db.execute(
                "INSERT INTO failures VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(url) DO UPDATE SET"
                " reason = excluded.reason, attempts = attempts + 1, last_at = excluded.last_at,"
                " retry_at = excluded.retry_at",
                (url, source_id, reason, now, iso_utc(retry_at)),
            )
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: cannot record a failure: {exc}") from None

    def retry_due(self, url: str, now: datetime) -> bool:
        """False while a URL that failed is waiting for its retry time."""
        row = self._db.execute("SELECT retry_at FROM failures WHERE url = ?", (url,)).fetchone()
        return row is None or str(row[0]) <= iso_utc(now)

    def failures(self) -> list[tuple[str, str, str, int]]:
        """(url, source id, reason, attempts) of every URL that is failing."""
        rows = self._db.execute("SELECT url, source_id, reason, attempts FROM failures ORDER BY url")
        return [(str(u), str(s), str(r), int(a)) for u, s, r, a in rows]

    def count_reports(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM reports").fetchone()[0])
