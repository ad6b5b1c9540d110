"""The state store: which URLs became which reports, the output segments holding them, and how far backfills
got; one SQL database (a SQLite file, or a PostgreSQL server a fleet shares) opened, locked and committed here,
with the tables of the other parts reached through it (`State.stories`, `.revisits`, `.outlets`, `.links`).

Reports are first *staged* in memory and written in one short transaction by `commit()`, which the
pipeline calls only after the output segment holding them is durable. So the store never claims a
report that is not on disk, and no write lock is held while articles are being fetched.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from scraper.db import (
    DRIVER_ERRORS,
    Database,
    PostgresDatabase,
    is_server_address,
    open_database,
    public_address,
)
from scraper.errors import StateError, StoreInUse
from scraper.records import Record, iso_utc
from scraper.state.links import LinkTables
from scraper.state.outlets import OutletTables
from scraper.state.revisits import RevisitTables
from scraper.state.schema import INDEXES, KEEP_BODY, REPLACE_BODY, SCHEMA, SCHEMA_VERSION, upsert
from scraper.state.staging import StagedReport, Staging
from scraper.state.stories import StoryTables
from scraper.urls import canonicalize, other_addresses

log = logging.getLogger(__name__)
# A stored URL whose canonical spelling may have changed since (scraper/urls.py): an escape, a character outside
# printable ASCII, a dot segment, or a character a request never carries raw.
_MAY_RESPELL = re.compile(r'[^!-~]|[%"<>`{}]|/\.|(?i:sessionid|sessid|cfid|cftoken)')
# The version of `canonicalize` a store's URLs are spelled by: 2, spellings of one address made one; 3, session ids
# dropped (2026-12).
URL_SPELLING = 3
STORE_LOCK = 7326002  # the advisory lock a process holds on a PostgreSQL store it writes (`claim`)
_OPEN_ERRORS: tuple[type[Exception], ...] = (*DRIVER_ERRORS, OSError)  # a database that cannot be reached or made


class State:
    """One open state database. Use from one thread (the event loop's)."""

    def __init__(self, path: str | Path) -> None:
        """Open (and create) the store `path` names: a SQLite file, or a PostgreSQL server's URL
        (`postgresql://user@host/db`, for many processes; see scraper/db.py)."""
        self.path = Path(path) if not is_server_address(path) else Path()  # the file, for SQLite
        self.where = str(path) if not is_server_address(path) else public_address(str(path))  # for messages
        try:
            self._db: Database = open_database(path)
            if self._db.dialect == "sqlite":
                self._open_sqlite()
            else:
                self._db.create(SCHEMA + INDEXES)
                # A column a store made by an earlier version lacks (looked up first: the ALTER would wait for
                # every other worker's transaction on the table, even with nothing to add).
                if not self._db.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'polls'"
                                        " AND column_name = 'last_new' AND table_schema = current_schema()"
                                        ).fetchone():
                    self._db.execute("ALTER TABLE polls ADD COLUMN IF NOT EXISTS last_new TEXT")
                row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if row is not None and int(row[0]) > SCHEMA_VERSION:
                    raise StateError(f"{self.where}: written by a newer scraper (state schema {row[0]})")
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
                                 (str(SCHEMA_VERSION),))
            self._respell_urls()
        except _OPEN_ERRORS as exc:
            hint = ""
            if self.path != Path() and any(words in str(exc) for words in ("malformed", "not a database")):
                hint = ("; move it aside and start again: the store is rebuilt from the output directory "
                        "(its records, their stories), not its poll history")
            raise StateError(f"{self.where}: cannot open the state database: {exc}{hint}") from None
        self._lock: IO[str] | None = None  # held by claim()
        self._staged = Staging()
        self.stories = StoryTables(self._db, self.where, self._staged.prints)
        self.revisits = RevisitTables(self._db, self.where, self._staged)
        self.outlets = OutletTables(self._db, self.where)
        self.links = LinkTables(self._db, self.where)

    def _open_sqlite(self) -> None:
        """SQLite's settings, its schema, and the columns a store written by an older version lacks."""
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # After a checkpoint the write-ahead log is cut back to this: on a small disk a WAL that kept the size
        # of its largest transaction would hold space the output needs.
        self._db.execute("PRAGMA journal_size_limit=1048576")
        # Room for the upper levels of the near-duplicate key index: a lookup then reads one leaf per key.
        self._db.execute("PRAGMA cache_size=-32768")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateError(f"{self.where}: written by a newer scraper (state schema {version})")
        self._db.create(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(dedup_prints)")}
        if "xtitle_key" not in columns:  # a store written before feed-only records joined stories
            self._db.execute("ALTER TABLE dedup_prints ADD COLUMN xtitle_key INTEGER")
        for column, kind in (("sample", "BLOB"), ("lang", "TEXT"), ("anchors", "BLOB"), ("shape", "BLOB"),
                             ("passage", "INTEGER")):
            if column not in columns:  # a store written before stories merged and translations joined them
                self._db.execute(f"ALTER TABLE dedup_prints ADD COLUMN {column} {kind}")
        if "merged_into" not in {row[1] for row in self._db.execute("PRAGMA table_info(dedup_stories)")}:
            self._db.execute("ALTER TABLE dedup_stories ADD COLUMN merged_into INTEGER")
        report_columns = {row[1] for row in self._db.execute("PRAGMA table_info(reports)")}
        for column, kind in (("last_read", "TEXT"), ("revisions", "INTEGER NOT NULL DEFAULT 0"),
                             ("deleted_at", "TEXT"), ("feed_only", "INTEGER NOT NULL DEFAULT 0"),
                             ("last_listed", "TEXT"), ("read_failures", "INTEGER NOT NULL DEFAULT 0")):
            if column not in report_columns:  # a store written before articles were read again
                self._db.execute(f"ALTER TABLE reports ADD COLUMN {column} {kind}")
        if "seq" not in {row[1] for row in self._db.execute("PRAGMA table_info(pending)")}:
            self._db.execute("ALTER TABLE pending ADD COLUMN seq INTEGER NOT NULL DEFAULT 0")
        poll_columns = {row[1] for row in self._db.execute("PRAGMA table_info(polls)")}
        if "last_result" not in poll_columns:
            self._db.execute("ALTER TABLE polls ADD COLUMN last_result TEXT")
        if "last_new" not in poll_columns:
            self._db.execute("ALTER TABLE polls ADD COLUMN last_new TEXT")
        validator_columns = {row[1] for row in self._db.execute("PRAGMA table_info(validators)")}
        if "conditional" not in validator_columns:
            self._db.execute("ALTER TABLE validators ADD COLUMN conditional INTEGER NOT NULL DEFAULT 0")
            self._db.execute("ALTER TABLE validators ADD COLUMN distrust_until TEXT")
        self._db.create(INDEXES)  # (on columns the migrations above may just have added)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _respell_urls(self) -> None:
        """Give the addresses a store of an earlier version keeps the spelling `canonicalize` gives them now.

        Since 2026-12 one address spelled two ways ("%ea%b8%b0" and "%EA%B8%B0", a raw Korean path and its escapes,
        "/a/./b", a Unicode host) is one canonical URL. A report stored under the old spelling gets the new one
        as another of its URLs (its record id stays: it is not written again when a feed lists it), and the
        waiting and failing URLs are filed under the new spelling. Done once per store (marked in `meta`);
        safe to run twice (workers of a fleet opening one store at once)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'url_spelling'").fetchone()
        if row is not None and int(row[0]) >= URL_SPELLING:
            return
        changed: dict[str, list[tuple[str, str]]] = {}
        for table in ("urls", "pending", "failures"):
            changed[table] = [(url, respelled) for (url,) in self._db.execute(f"SELECT url FROM {table}")
                              if _MAY_RESPELL.search(url) and (respelled := canonicalize(url)) != url]
        self._db.begin()
        try:
            self._db.executemany("INSERT INTO urls SELECT ?, record_id FROM urls WHERE url = ?"
                                 " ON CONFLICT (url) DO NOTHING", [(new, old) for old, new in changed["urls"]])
            for table, columns in (("pending", "source_id, link, published, found_at, seq"),
                                   ("failures", "source_id, reason, attempts, last_at, retry_at")):
                self._db.executemany(f"INSERT INTO {table} SELECT ?, {columns} FROM {table} WHERE url = ?"
                                     " ON CONFLICT (url) DO NOTHING", [(new, old) for old, new in changed[table]])
                self._db.executemany(f"DELETE FROM {table} WHERE url = ?", [(old,) for old, _ in changed[table]])
            self._db.execute(upsert("meta", ("key", "value"), ("key",)), ("url_spelling", str(URL_SPELLING)))
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise
        if any(changed.values()):
            log.info("%s: URLs filed under their present spelling: %d of reports, %d waiting, %d failing", self.where,
                     len(changed["urls"]), len(changed["pending"]), len(changed["failures"]))

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @property
    def lost(self) -> str | None:
        """Why this store can no longer be written by this process (a server that dropped the connection holding
        the store's lock, which another process took meanwhile), or None."""
        return self._db.lost if isinstance(self._db, PostgresDatabase) else None

    def ping(self) -> None:
        """Ask the database something: a server connection lost since is made again now (the store's lock taken
        again with it, or `lost`), not at the next statement. StateError when it cannot be."""
        try:
            self._db.ping()
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: {exc}") from None

    def claim(self, output: str | os.PathLike[str]) -> None:
        """Make this store the record of one output directory, used by one process at a time.

        A store records which reports are in which output; shared by two outputs, each would believe the
        other's articles written (or write them twice). The first output to use a store owns it; another is
        refused, as is a second process while the first holds the store."""
        owner = str(Path(output).resolve())
        if self._db.dialect == "sqlite":
            self._lock_file()
        else:
            # One process at a time on a server too (held by this connection: a process that dies lets go).
            assert isinstance(self._db, PostgresDatabase)
            if not self._db.hold_lock(STORE_LOCK):
                raise StoreInUse(f"{self.where}: another scraper process is using this state store")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'output'").fetchone()
        if row is not None and row[0] != owner:
            raise StateError(f"{self.where} is the state store of the output directory {row[0]}, not of {owner}: "
                             "give each output directory its own --state")
        if row is None:
            try:
                self._db.execute("INSERT INTO meta VALUES ('output', ?)", (owner,))
            except DRIVER_ERRORS as exc:
                raise StateError(f"{self.where}: cannot record its output directory: {exc}") from None

    def _lock_file(self) -> None:
        """Hold the SQLite file's lock file until close()."""
        try:
            lock = open(f"{self.path}.lock", "a+")  # noqa: SIM115 - held until close()
        except OSError as exc:
            raise StateError(f"{self.where}: cannot lock the state store: {exc.strerror}") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.close()
            if isinstance(exc, BlockingIOError):
                raise StoreInUse(f"{self.where}: another scraper process is using this state store") from None
            raise StateError(f"{self.where}: cannot lock the state store: {exc.strerror}") from None
        self._lock = lock

    # --- reports -------------------------------------------------------------------------------------
    def known_url(self, url: str) -> str | None:
        """The record id a URL already became, staged or committed."""
        if url in self._staged.urls:
            return self._staged.urls[url]
        row = self._db.execute("SELECT record_id FROM urls WHERE url = ?", (url,)).fetchone()
        return str(row[0]) if row else None

    def known_article(self, url: str, strip_query: Iterable[str] = ()) -> str | None:
        """The record id an article's URL (as listed or fetched) already became: under its canonical URL; for an
        outlet that strips query parameters, under the URL with all its parameters, which every report is filed
        under too (`commit`), so that a parameter added to or removed from `strip_query` does not write its
        articles again (reports written before this, in December 2026, have that form only when `strip_query` was
        empty then); or on the site's other scheme or host name: an outlet that moves to https, or drops or adds
        "www.", lists the articles it listed before under new addresses, and mobile pages ("m.") are the same."""
        strip = tuple(strip_query)
        canonical = canonicalize(url, strip)
        for form in (canonical, *((canonicalize(url),) if strip else ()), *other_addresses(canonical)):
            if (known := self.known_url(form)) is not None:
                return known
        return None

    def has_record(self, record_id: str) -> bool:
        if record_id in self._staged.reports:
            return True
        row = self._db.execute("SELECT 1 FROM reports WHERE record_id = ?", (record_id,)).fetchone()
        return row is not None

    def stage(self, record: Record, urls: tuple[str, ...], *, keep_body: bool = False,
              text_sample: bytes = b"") -> None:
        """Remember a report until `commit()`; it is visible to lookups at once. `keep_body`: keep its text
        too, for an outlet whose articles are read again (revisits). `text_sample`: what is kept of its text to
        tell another page that declares the same canonical URL from it (`text_sample`, scraper/dedup)."""
        self._staged.reports[record.id] = StagedReport(record, urls, keep_body, text_sample)
        for url in urls:
            self._staged.urls.setdefault(url, record.id)

    def stage_aliases(self, urls: tuple[str, ...], record_id: str) -> None:
        """Remember more URLs of an existing report (committed with the next batch, like the report)."""
        for url in urls:
            if self.known_url(url) is None:
                self._staged.urls[url] = record_id
                self._staged.aliases[url] = record_id

    @property
    def staged(self) -> int:
        return len(self._staged.reports) + len(self._staged.aliases)

    def commit(self, segments: tuple[str, ...] | list[str] = (), *, recovered: bool = False) -> None:
        """Write every staged report, and the segments holding them, in one transaction.

        Call it once those segments are durable. A segment named here is known to hold committed
        reports; one on disk but not here lost its commit in a crash (see `committed_segments`).
        """
        if self._staged.empty() and not segments:
            return
        try:
            self._db.begin()
            self._db.executemany("INSERT INTO segments VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                                 [(name, int(recovered)) for name in segments])
            for item in self._staged.reports.values():
                record = item.record
                self._db.execute(
                    "INSERT INTO reports (record_id, source_id, canonical_url, content_hash, duplicate_of,"
                    " published_at, fetched_at, feed_only) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (record_id) DO NOTHING",
                    (record.id, record.source_id, record.canonical_url, record.content_hash,
                     record.duplicate_of, iso_utc(record.published_at) if record.published_at else None,
                     iso_utc(record.fetched_at), int(record.feed_only)),
                )
                self._db.executemany("INSERT INTO urls VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                                     [(url, record.id) for url in item.urls])
                self._db.executemany("DELETE FROM failures WHERE url = ?", [(url,) for url in item.urls])
                self._db.executemany("DELETE FROM pending WHERE url = ?", [(url,) for url in item.urls])
                if item.text_sample:
                    self._db.execute("INSERT INTO report_texts VALUES (?, ?) ON CONFLICT (record_id) DO NOTHING",
                                     (record.id, item.text_sample))
                if item.keep_body and record.body:
                    self._db.execute(REPLACE_BODY,
                                     (record.id, iso_utc(record.fetched_at), zlib.compress(record.body.encode())))
            self._db.executemany("INSERT INTO urls VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                                 self._staged.aliases.items())
            self._db.executemany("DELETE FROM pending WHERE url = ?", [(url,) for url in self._staged.aliases])
            self.stories.write_staged()
            self._db.executemany(upsert("progress", ("key", "value"), ("key",)), self._staged.progress.items())
            grouped: dict[str, list[tuple[object, ...]]] = {}
            for sql, params in self._staged.statements:  # (one batch a statement: they commute, see below)
                grouped.setdefault(sql, []).append(params)
            for sql, rows in grouped.items():
                self._db.executemany(sql, rows)
            for changed in self._staged.changes:
                if changed.revision is not None:
                    self._db.execute(
                        "UPDATE reports SET content_hash = ?, revisions = ?, last_read = ?, read_failures = 0"
                        " WHERE record_id = ?",
                        (changed.content_hash, changed.revision.number, iso_utc(changed.fetched_at), changed.id))
                    self._db.execute(KEEP_BODY, (changed.id, iso_utc(changed.fetched_at),
                                                  zlib.compress(changed.body.encode())))
                elif changed.deleted is not None:
                    self._db.execute("UPDATE reports SET deleted_at = ?, last_read = ? WHERE record_id = ?",
                                     (iso_utc(changed.deleted.deleted_at), iso_utc(changed.fetched_at), changed.id))
                    self._db.execute("DELETE FROM bodies WHERE record_id = ?", (changed.id,))
            self._db.commit()
        except DRIVER_ERRORS as exc:
            if self._db.in_transaction:
                self._db.rollback()
            raise StateError(f"{self.where}: cannot record reports: {exc}") from None
        self.discard_staged()

    def stage_statement(self, sql: str, params: tuple[object, ...] = ()) -> None:
        """A statement of the caller's to run inside the next commit's transaction (a fleet's committer: the
        hand-off rows its records came from go with them). Statements are run grouped by their text, each group
        in one batch, in the order each text was first staged: callers stage statements whose order does not
        matter (deletions of rows, increments)."""
        self._staged.statements.append((sql, params))

    def text_sample(self, record_id: str) -> bytes | None:
        """The sample kept of a report's text (staged or committed), if any."""
        if (staged := self._staged.reports.get(record_id)) is not None:
            return staged.text_sample or None
        row = self._db.execute("SELECT sample FROM report_texts WHERE record_id = ?", (record_id,)).fetchone()
        return bytes(row[0]) if row else None

    def own_address(self, record_id: str, declared: str) -> str | None:
        """An address a report was listed or fetched at other than the canonical URL its page `declared`."""
        if (staged := self._staged.reports.get(record_id)) is not None:
            return next((url for url in staged.urls if url != declared), None)
        row = self._db.execute("SELECT min(url) FROM urls WHERE record_id = ? AND url <> ?",
                               (record_id, declared)).fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def stage_readdress(self, record_id: str, declared: str) -> None:
        """A report's page declared a canonical URL that other articles declare too: it is read again (revisits)
        at an address of its own, with the next commit."""
        own = self.own_address(record_id, declared)
        if own is not None:
            self.stage_statement("UPDATE reports SET canonical_url = ? WHERE record_id = ? AND canonical_url = ?",
                                 (own, record_id, declared))

    def discard_staged(self) -> None:
        """Forget staged reports (after a commit, or when their segment could not be written)."""
        self._staged.clear()

    def progress(self, key: str) -> str | None:
        """How far a backfill got (staged or committed), e.g. the next offset to read in a WARC file."""
        if key in self._staged.progress:
            return self._staged.progress[key]
        row = self._db.execute("SELECT value FROM progress WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def stage_progress(self, key: str, value: str) -> None:
        """Remember progress; committed with the next batch, so it never runs ahead of the output."""
        self._staged.progress[key] = value

    def committed_segments(self) -> set[str]:
        return {str(row[0]) for row in self._db.execute("SELECT name FROM segments")}

    def integrity_ok(self) -> bool:
        if self._db.dialect != "sqlite":
            return True  # a server checks its own pages
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    def count_reports(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM reports").fetchone()[0])
