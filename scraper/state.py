"""The SQLite state store: which URLs became which reports, their content hashes, failed fetches, and
the near-duplicate index (fingerprints, band keys, stories; see scraper/dedup/index.py).

Reports are first *staged* in memory and written in one short transaction by `commit()`, which the
pipeline calls only after the output segment holding them is durable. So the store never claims a
report that is not on disk, and no write lock is held while articles are being fetched.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from scraper.db import (
    DRIVER_ERRORS,
    Database,
    PostgresDatabase,
    is_server_address,
    open_database,
    public_address,
)
from scraper.errors import StateError, StoreInUse
from scraper.fetch.conditional import Validators
from scraper.records import Link, Publisher, Record, iso_utc
from scraper.urls import canonicalize, other_addresses

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    record_id     TEXT PRIMARY KEY,
    source_id     TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    duplicate_of  TEXT,
    published_at  TEXT,
    fetched_at    TEXT NOT NULL,
    last_read     TEXT,                       -- the last time its page was read again (revisits)
    revisions     INTEGER NOT NULL DEFAULT 0, -- revision records written of it
    deleted_at    TEXT,                       -- when a tombstone was written of it
    feed_only     INTEGER NOT NULL DEFAULT 0, -- made of a feed item: no page to read again
    last_listed   TEXT,                       -- the last time a feed, sitemap or listing of its outlet listed it
    read_failures INTEGER NOT NULL DEFAULT 0  -- revisits in a row that found no article under its URL
);
CREATE TABLE IF NOT EXISTS bodies (  -- the text last written of recent reports, to tell a revision from a trifle
    record_id TEXT PRIMARY KEY,
    at        TEXT NOT NULL,  -- when it was written (pruning goes by it)
    body      BLOB NOT NULL   -- zlib-compressed UTF-8
);
CREATE TABLE IF NOT EXISTS report_texts (  -- a sample of each report's text: is another page declaring its
    record_id TEXT PRIMARY KEY,             -- canonical URL the same article? (scraper/commit.py, `_own_identity`)
    sample    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS urls (
    url       TEXT PRIMARY KEY,
    record_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    name       TEXT PRIMARY KEY,  -- path relative to the output directory
    recovered  INTEGER NOT NULL DEFAULT 0  -- 1: found on disk at start-up, its commit had been lost
);
CREATE TABLE IF NOT EXISTS progress (  -- where a backfill got to (e.g. the next offset in a WARC file)
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS polls (  -- for `scraper stats`: how each outlet's polling goes
    outlet       TEXT PRIMARY KEY,
    last_poll    TEXT NOT NULL,
    last_success TEXT,
    last_error   TEXT,
    paused_hosts TEXT NOT NULL DEFAULT '',
    last_result  TEXT, -- ok, unreachable, refused, error
    last_new     TEXT  -- the last poll that found an article not written before
);
CREATE TABLE IF NOT EXISTS pending (  -- links discovered and not yet written or given up on: the next poll's first
    url        TEXT PRIMARY KEY,         -- canonical
    source_id  TEXT NOT NULL,
    link       TEXT NOT NULL,            -- the Link as JSON (title, feed date, publisher, feed text...)
    published  TEXT,                     -- the link's date (ISO), for the order of taking
    found_at   TEXT NOT NULL,            -- first discovered
    seq        INTEGER NOT NULL DEFAULT 0 -- discovery order (page order) among links found at once
);
CREATE INDEX IF NOT EXISTS pending_by_source ON pending (source_id, found_at);
CREATE TABLE IF NOT EXISTS meta (  -- what this store belongs to (the output directory it records)
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_checks (  -- how each outlet's own selectors fare on its pages (drift)
    outlet        TEXT NOT NULL,
    rule          TEXT NOT NULL,     -- "title", "date", "body", "listing[0].item", "feed.article_url", ...
    misses_in_row INTEGER NOT NULL,  -- pages in a row on which it matched nothing
    misses        INTEGER NOT NULL,  -- in all
    pages         INTEGER NOT NULL,  -- pages it was tried on, in all
    last_miss     TEXT,
    last_match    TEXT,
    PRIMARY KEY (outlet, rule)
);
CREATE TABLE IF NOT EXISTS article_streaks (  -- an outlet's articles that could not be read, in a row
    outlet  TEXT PRIMARY KEY,
    in_row  INTEGER NOT NULL,  -- articles tried since the last one collected, all failed
    reasons TEXT NOT NULL,     -- why, as JSON {"http_403": 12}
    since   TEXT NOT NULL      -- when the first of them failed
);
CREATE TABLE IF NOT EXISTS validators (  -- conditional GET of feeds and sitemaps
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    body_hash     TEXT NOT NULL,
    trusted       INTEGER NOT NULL,  -- (kept for older readers; distrust_until says it now)
    verified_at   TEXT NOT NULL,
    conditional   INTEGER NOT NULL DEFAULT 0,  -- conditional requests since the last unconditional one
    distrust_until TEXT  -- validators caught lying are not sent until then
);
CREATE TABLE IF NOT EXISTS failures (
    url       TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    reason    TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    last_at   TEXT NOT NULL,
    retry_at  TEXT NOT NULL
);
-- The near-duplicate index (scraper/dedup/index.py): one print per report, band and window keys
-- pointing at prints, one row per story. Pruned to a time window; band keys are 64-bit integers.
CREATE TABLE IF NOT EXISTS dedup_stories (
    story    INTEGER PRIMARY KEY,  -- the print of the story's first report
    first_id TEXT NOT NULL,        -- that report's record id
    origin   TEXT,                 -- the wire the story credits ("Yonhap"), once known
    merged_into INTEGER            -- the story this one was found to be (a report matched both); NULL: its own
);
CREATE TABLE IF NOT EXISTS dedup_prints (
    fp        INTEGER PRIMARY KEY,
    story     INTEGER NOT NULL,
    at        INTEGER NOT NULL,  -- minutes since 1970-01-01 UTC: published, else fetched
    added     INTEGER NOT NULL,  -- minutes since 1970-01-01 UTC: fetched (what pruning goes by)
    words     INTEGER NOT NULL,
    shingles  INTEGER NOT NULL,
    signature BLOB NOT NULL,
    lead      BLOB NOT NULL,
    starts    BLOB NOT NULL,
    title_key INTEGER,
    xtitle_key INTEGER, -- the title's key across outlets (feed-only records join stories by it)
    sample    BLOB,     -- a consistent sample of the shingles (scraper/dedup/fingerprint.py)
    lang      TEXT,     -- the report's language, and its anchors and shape: how translations find it
    anchors   BLOB,     -- (scraper/dedup/anchors.py)
    shape     BLOB,
    passage   INTEGER   -- 1: it joined its story by a passage only (a brief inside its own text)
);
CREATE INDEX IF NOT EXISTS dedup_prints_by_added ON dedup_prints (added);
CREATE INDEX IF NOT EXISTS dedup_prints_by_story ON dedup_prints (story);
CREATE TABLE IF NOT EXISTS dedup_keys (
    key INTEGER NOT NULL,
    fp  INTEGER NOT NULL,
    PRIMARY KEY (key, fp)
) WITHOUT ROWID;
"""
# Indexes on columns a store of an older version gains on opening (created after that).
INDEXES = """
-- Pruning keeps a story that others were merged into (their reports still name it): found by this.
CREATE INDEX IF NOT EXISTS dedup_stories_by_merge ON dedup_stories (merged_into) WHERE merged_into IS NOT NULL;
-- An outlet's recent articles, the ones read again (`due_for_revisit`), without a scan of its archive.
CREATE INDEX IF NOT EXISTS reports_recent ON reports (source_id, coalesce(published_at, fetched_at))
    WHERE deleted_at IS NULL AND feed_only = 0;
"""
SCHEMA_VERSION = 1
# A stored URL whose canonical spelling may have changed since (scraper/urls.py): an escape, a character outside
# printable ASCII, a dot segment, or a character a request never carries raw.
_MAY_RESPELL = re.compile(r'[^!-~]|[%"<>`{}]|/\.|(?i:sessionid|sessid|cfid|cftoken)')
# The version of `canonicalize` a store's URLs are spelled by: 2, spellings of one address made one; 3, session ids
# dropped (2026-12).
URL_SPELLING = 3
STORE_LOCK = 7326002  # the advisory lock a process holds on a PostgreSQL store it writes (`claim`)
_OPEN_ERRORS: tuple[type[Exception], ...] = (*DRIVER_ERRORS, OSError)  # a database that cannot be reached or made


@dataclass(frozen=True, slots=True)
class _Staged:
    record: Record
    urls: tuple[str, ...]
    keep_body: bool = False
    text_sample: bytes = b""


@dataclass(frozen=True, slots=True)
class Due:
    """A report due to be read again (`State.due_for_revisit`)."""

    record_id: str
    canonical_url: str
    content_hash: str  # of the text last written of it
    revisions: int  # revision records written of it so far
    published_at: datetime | None
    last_listed: datetime | None  # when an index of its outlet last listed it; None: never seen listed since
    read_failures: int  # revisits in a row that found no article under its URL


@dataclass(frozen=True, slots=True)
class StoredPrint:
    """One report's row in the near-duplicate index (what the fields mean: scraper/dedup/fingerprint.py)."""

    fp: int
    story: int
    at: int  # minutes since 1970-01-01 UTC
    words: int
    shingles: int
    signature: bytes
    lead: bytes
    starts: bytes
    title_key: int | None
    xtitle_key: int | None = None  # the title across outlets: how a feed-only record (no text) finds its story
    sample: bytes = b""  # a consistent sample of the shingles (empty in prints of an older version)
    lang: str | None = None  # ISO 639-1; None when not known ("und", or a print of an older version)
    anchors: bytes = b""  # numbers, dates, names... with their places (scraper/dedup/anchors.py)
    shape: bytes = b""  # paragraph count and proportions
    passage: bool = False  # joined its story by a passage only: the rest of its text is not the story's


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """How one of an outlet's rules has fared: its row of the rule_checks table."""

    outlet: str
    rule: str
    misses_in_row: int = 0
    misses: int = 0
    pages: int = 0
    last_miss: datetime | None = None
    last_match: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoryRow:
    story: int  # the print of its first report
    first_id: str
    origin: str | None
    merged_into: int | None = None  # the story it was found to be part of (follow it: it may be merged too)


@dataclass
class _StagedPrints:
    """Index rows waiting for `commit()`, visible to lookups at once."""

    prints: dict[int, tuple[StoredPrint, int, tuple[int, ...]]] = field(default_factory=dict)  # fp -> row, added, keys
    keys: dict[int, list[int]] = field(default_factory=dict)  # key -> staged prints
    stories: dict[int, StoryRow] = field(default_factory=dict)
    origins: dict[int, str] = field(default_factory=dict)  # committed story -> origin learnt since
    merges: dict[int, int] = field(default_factory=dict)  # committed story -> the story it was merged into
    next_fp: int | None = None

    def clear(self) -> None:
        self.prints.clear()
        self.keys.clear()
        self.stories.clear()
        self.origins.clear()
        self.merges.clear()
        self.next_fp = None


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
        self._staged: dict[str, _Staged] = {}  # record_id -> staged report
        self._staged_urls: dict[str, str] = {}  # url -> record_id
        self._staged_aliases: dict[str, str] = {}  # url -> record_id, for reports already stored
        self._staged_progress: dict[str, str] = {}  # backfill progress, committed with the reports it covers
        self._staged_changes: list[Record] = []  # revisions and tombstones of stored reports
        self._staged_statements: list[tuple[str, tuple[object, ...]]] = []  # run by the next commit, inside it
        self._dedup = _StagedPrints()  # near-duplicate index rows, committed with the reports

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
            self._db.execute(_upsert("meta", ("key", "value"), ("key",)), ("url_spelling", str(URL_SPELLING)))
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
        if url in self._staged_urls:
            return self._staged_urls[url]
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
        if record_id in self._staged:
            return True
        row = self._db.execute("SELECT 1 FROM reports WHERE record_id = ?", (record_id,)).fetchone()
        return row is not None

    def stage(self, record: Record, urls: tuple[str, ...], *, keep_body: bool = False,
              text_sample: bytes = b"") -> None:
        """Remember a report until `commit()`; it is visible to lookups at once. `keep_body`: keep its text
        too, for an outlet whose articles are read again (revisits). `text_sample`: what is kept of its text to
        tell another page that declares the same canonical URL from it (`text_sample`, scraper/dedup)."""
        self._staged[record.id] = _Staged(record, urls, keep_body, text_sample)
        for url in urls:
            self._staged_urls.setdefault(url, record.id)

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
        if (not self._staged and not self._staged_aliases and not segments and not self._dedup.prints
                and not self._dedup.merges and not self._staged_progress and not self._staged_changes
                and not self._staged_statements):
            return
        try:
            self._db.begin()
            self._db.executemany("INSERT INTO segments VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                                 [(name, int(recovered)) for name in segments])
            for item in self._staged.values():
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
                    self._db.execute(_REPLACE_BODY,
                                     (record.id, iso_utc(record.fetched_at), zlib.compress(record.body.encode())))
            self._db.executemany("INSERT INTO urls VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                                 self._staged_aliases.items())
            self._db.executemany("DELETE FROM pending WHERE url = ?", [(url,) for url in self._staged_aliases])
            self._write_prints()
            self._db.executemany(_upsert("progress", ("key", "value"), ("key",)), self._staged_progress.items())
            grouped: dict[str, list[tuple[object, ...]]] = {}
            for sql, params in self._staged_statements:  # (one batch a statement: they commute, see below)
                grouped.setdefault(sql, []).append(params)
            for sql, rows in grouped.items():
                self._db.executemany(sql, rows)
            for changed in self._staged_changes:
                if changed.revision is not None:
                    self._db.execute(
                        "UPDATE reports SET content_hash = ?, revisions = ?, last_read = ?, read_failures = 0"
                        " WHERE record_id = ?",
                        (changed.content_hash, changed.revision.number, iso_utc(changed.fetched_at), changed.id))
                    self._db.execute(_KEEP_BODY, (changed.id, iso_utc(changed.fetched_at),
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
        self._staged_statements.append((sql, params))

    def stage_change(self, record: Record) -> None:
        """Remember a revision or a tombstone of a stored report until `commit()` (with its segment)."""
        self._staged_changes.append(record)

    # --- reading articles again ----------------------------------------------------------------------
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
        staged = {change.id for change in self._staged_changes}
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

    def text_sample(self, record_id: str) -> bytes | None:
        """The sample kept of a report's text (staged or committed), if any."""
        if (staged := self._staged.get(record_id)) is not None:
            return staged.text_sample or None
        row = self._db.execute("SELECT sample FROM report_texts WHERE record_id = ?", (record_id,)).fetchone()
        return bytes(row[0]) if row else None

    def own_address(self, record_id: str, declared: str) -> str | None:
        """An address a report was listed or fetched at other than the canonical URL its page `declared`."""
        if (staged := self._staged.get(record_id)) is not None:
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
            self._db.execute(_KEEP_BODY, (record_id, iso_utc(at), zlib.compress(body.encode())))
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

    def discard_staged(self) -> None:
        """Forget staged reports (after a commit, or when their segment could not be written)."""
        self._staged.clear()
        self._staged_urls.clear()
        self._staged_aliases.clear()
        self._staged_progress.clear()
        self._staged_changes.clear()
        self._staged_statements.clear()
        self._dedup.clear()

    def progress(self, key: str) -> str | None:
        """How far a backfill got (staged or committed), e.g. the next offset to read in a WARC file."""
        if key in self._staged_progress:
            return self._staged_progress[key]
        row = self._db.execute("SELECT value FROM progress WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def stage_progress(self, key: str, value: str) -> None:
        """Remember progress; committed with the next batch, so it never runs ahead of the output."""
        self._staged_progress[key] = value

    def committed_segments(self) -> set[str]:
        return {str(row[0]) for row in self._db.execute("SELECT name FROM segments")}

    def integrity_ok(self) -> bool:
        if self._db.dialect != "sqlite":
            return True  # a server checks its own pages
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # --- near-duplicate index ------------------------------------------------------------------------
    def print_candidates(self, keys: list[int], per_key: int) -> dict[int, int]:
        """Prints sharing any of `keys` (at most the newest `per_key` for each): print -> keys shared."""
        hits: dict[int, int] = {}
        for fps in self.prints_by_key(keys, per_key).values():
            for fp in fps:
                hits[fp] = hits.get(fp, 0) + 1
        return hits

    def prints_by_key(self, keys: list[int], per_key: int) -> dict[int, list[int]]:
        """The newest `per_key` prints filed under each of `keys` (staged or committed), newest first."""
        unique = list(dict.fromkeys(keys))
        staged = {key: self._dedup.keys.get(key, [])[-per_key:][::-1] for key in unique}
        wanted = [key for key in unique if len(staged[key]) < per_key]
        stored: dict[int, list[int]] = {}
        if self._db.dialect == "postgresql" and wanted:
            # One round trip for every key (a lookup has a dozen): the newest `per_key` of each, by the index.
            rows = self._db.execute(
                "SELECT k.key, d.fp FROM unnest(?::bigint[]) AS k(key) CROSS JOIN LATERAL"
                " (SELECT fp FROM dedup_keys WHERE key = k.key ORDER BY fp DESC LIMIT ?) AS d",
                (wanted, per_key)).fetchall()
            for key, fp in rows:
                stored.setdefault(int(key), []).append(int(fp))
        else:  # in-process: a query a key costs nothing more
            for key in wanted:
                stored[key] = [row[0] for row in self._db.execute(
                    "SELECT fp FROM dedup_keys WHERE key = ? ORDER BY fp DESC LIMIT ?",
                    (key, per_key - len(staged[key]))).fetchall()]
        return {key: staged[key] + stored.get(key, [])[:per_key - len(staged[key])] for key in unique}

    def prints(self, fps: list[int]) -> list[StoredPrint]:
        staged = [self._dedup.prints[fp][0] for fp in fps if fp in self._dedup.prints]
        wanted = [fp for fp in fps if fp not in self._dedup.prints]
        rows = self._db.execute(
            f"SELECT {_PRINT_COLUMNS} FROM dedup_prints WHERE fp IN ({','.join('?' * len(wanted))})", wanted,
        ).fetchall() if wanted else []
        return staged + [_stored_print(row) for row in rows]

    def story(self, story: int) -> StoryRow | None:
        """A story's row as staged or committed (not followed to the story it was merged into: see `resolve`)."""
        if story in self._dedup.stories:
            return self._dedup.stories[story]
        row = self._db.execute("SELECT first_id, origin, merged_into FROM dedup_stories WHERE story = ?",
                               (story,)).fetchone()
        if row is None:
            return None
        return StoryRow(story, str(row[0]), self._dedup.origins.get(story, row[1]),
                        self._dedup.merges.get(story, row[2]))

    def resolve(self, story: int) -> StoryRow | None:
        """The story a story now is: itself, or the one it was merged into, followed to the end (a story is
        only ever merged into an earlier one, so the chain ends)."""
        row = self.story(story)
        while row is not None and row.merged_into is not None:
            target = self.story(row.merged_into)
            if target is None:  # (pruning keeps a story while stories merged into it live)
                break
            row = target
        return row

    def stage_merge(self, story: int, into: int) -> None:
        """Record that `story` is `into` (a report matched both); committed with the report that showed it."""
        if story in self._dedup.stories:
            self._dedup.stories[story] = replace(self._dedup.stories[story], merged_into=into)
        else:
            self._dedup.merges[story] = into

    def merged_stories(self) -> list[tuple[str, str]]:
        """Every committed merge as (first report id of the merged story, of the story it was merged into)."""
        rows = self._db.execute(
            "SELECT s.first_id, t.first_id FROM dedup_stories s JOIN dedup_stories t ON t.story = s.merged_into"
            " ORDER BY s.story")
        return [(str(a), str(b)) for a, b in rows]

    def stage_print(self, row: StoredPrint, added: int, keys: tuple[int, ...],
                    first_id: str | None = None, origin: str | None = None) -> StoredPrint:
        """Add a report's print (its `fp` is assigned here); `first_id` starts a story with it as first."""
        staged = self._dedup
        if staged.next_fp is None:
            staged.next_fp = int(self._db.execute("SELECT coalesce(max(fp), 0) + 1 FROM dedup_prints").fetchone()[0])
        fp, staged.next_fp = staged.next_fp, staged.next_fp + 1
        row = replace(row, fp=fp, story=fp if first_id is not None else row.story)
        if first_id is not None:
            staged.stories[fp] = StoryRow(fp, first_id, origin)
        staged.prints[fp] = (row, added, keys)
        for key in keys:
            staged.keys.setdefault(key, []).append(fp)
        return row

    def stage_origin(self, story: int, origin: str) -> None:
        """The story's origin, learnt from a later report's credit."""
        if story in self._dedup.stories:
            self._dedup.stories[story] = replace(self._dedup.stories[story], origin=origin)
        else:
            self._dedup.origins[story] = origin

    def _write_prints(self) -> None:
        """Write staged index rows (inside `commit()`'s transaction)."""
        staged = self._dedup
        self._db.executemany(_upsert("dedup_stories", ("story", "first_id", "origin", "merged_into"), ("story",)),
                             [(s.story, s.first_id, s.origin, s.merged_into) for s in staged.stories.values()])
        self._db.executemany("UPDATE dedup_stories SET origin = ? WHERE story = ?",
                             [(origin, story) for story, origin in staged.origins.items()])
        self._db.executemany("UPDATE dedup_stories SET merged_into = ? WHERE story = ?",
                             [(into, story) for story, into in staged.merges.items()])
        self._db.executemany(
            _upsert("dedup_prints", ("fp", "story", "at", "added", "words", "shingles", "signature", "lead", "starts",
                                     "title_key", "xtitle_key", "sample", "lang", "anchors", "shape", "passage"),
                    ("fp",)),
            [(p.fp, p.story, p.at, added, p.words, p.shingles, p.signature, p.lead, p.starts, p.title_key,
              p.xtitle_key, p.sample, p.lang, p.anchors, p.shape, int(p.passage))
             for p, added, _ in staged.prints.values()],
        )
        # Sorted, the new keys land on neighbouring pages of the key index.
        self._db.executemany("INSERT INTO dedup_keys VALUES (?, ?) ON CONFLICT (key, fp) DO NOTHING",
                             sorted((key, fp) for fp, (_, _, keys) in staged.prints.items() for key in keys))

    def prune_prints(self, added_before: int, keys_of: Callable[[StoredPrint], Iterable[int]]) -> int:
        """Forget prints added before a time (minutes since 1970), their keys, and stories left empty."""
        try:
            self._db.begin()
            rows = [_stored_print(row) for row in self._db.execute(
                f"SELECT {_PRINT_COLUMNS} FROM dedup_prints WHERE added < ?", (added_before,))]
            self._db.executemany("DELETE FROM dedup_keys WHERE key = ? AND fp = ?",
                                 sorted((key, row.fp) for row in rows for key in keys_of(row)))
            self._db.execute("DELETE FROM dedup_prints WHERE added < ?", (added_before,))
            # A story goes with its last print, unless stories merged into it still have prints (their reports
            # are found through it); when it goes, the story it was merged into may be free to go too.
            stories = {row.story for row in rows}
            while stories:
                targets = set()
                for story in sorted(stories):
                    gone = self._db.execute(
                        "DELETE FROM dedup_stories WHERE story = ?"
                        " AND NOT EXISTS (SELECT 1 FROM dedup_prints WHERE dedup_prints.story = ?)"
                        " AND NOT EXISTS (SELECT 1 FROM dedup_stories AS merged WHERE merged.merged_into = ?)"
                        " RETURNING merged_into", (story, story, story)).fetchone()
                    if gone is not None and gone[0] is not None:
                        targets.add(int(gone[0]))
                stories = targets
            self._db.commit()
        except DRIVER_ERRORS as exc:
            if self._db.in_transaction:
                self._db.rollback()
            raise StateError(f"{self.where}: cannot prune the duplicate index: {exc}") from None
        return len(rows)

    def count_prints(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM dedup_prints").fetchone()[0])

    # --- polls and stats -----------------------------------------------------------------------------
    def record_poll(self, outlet: str, at: datetime, result: str, why: str, paused_hosts: list[str],
                    found_new: bool = False) -> None:
        """Note a finished poll and its result (`ok` moves the last success; `found_new`, an article not written
        before, the last time one was found); written at once, it concerns no output."""
        try:
            self._db.execute(
                "INSERT INTO polls (outlet, last_poll, last_success, last_error, paused_hosts, last_result, last_new)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (outlet) DO UPDATE SET"
                " last_poll = excluded.last_poll, last_success = coalesce(excluded.last_success, polls.last_success),"
                " last_error = excluded.last_error, paused_hosts = excluded.paused_hosts,"
                " last_result = excluded.last_result, last_new = coalesce(excluded.last_new, polls.last_new)",
                (outlet, iso_utc(at), iso_utc(at) if result == "ok" else None, why or None, " ".join(paused_hosts),
                 result, iso_utc(at) if found_new else None),
            )
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot record a poll: {exc}") from None

    def record_poll_start(self, outlet: str, at: datetime) -> None:
        """Note that a poll began: a long first poll shows in `stats` as under way, not as never polled."""
        try:
            self._db.execute(
                "INSERT INTO polls (outlet, last_poll) VALUES (?, ?) ON CONFLICT (outlet) DO UPDATE SET"
                " last_poll = excluded.last_poll", (outlet, iso_utc(at)))
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot record a poll: {exc}") from None

    def last_new(self) -> dict[str, datetime]:
        """Per outlet, the last poll that found an article not written before (outlets that had one)."""
        rows = self._db.execute("SELECT outlet, last_new FROM polls WHERE last_new IS NOT NULL").fetchall()
        return {str(outlet): datetime.fromisoformat(str(when)) for outlet, when in rows}

    def outlet_stats(self, now: datetime) -> list[dict[str, object]]:
        """One row per outlet seen in the store: polls, articles today, in 7 days and in all (a backfill of last
        year's archive counts there only: articles are dated by when they were fetched or captured), duplicates,
        errors."""
        today = iso_utc(now.replace(hour=0, minute=0, second=0, microsecond=0))
        week = iso_utc(now - timedelta(days=7))
        # One pass over the reports (a web archive's backfill leaves thousands of outlets and millions of them).
        rows = self._db.execute(
            """
            WITH counts AS (SELECT source_id AS id, sum(CASE WHEN fetched_at >= :today THEN 1 ELSE 0 END) AS today,
                                   sum(CASE WHEN fetched_at >= :week THEN 1 ELSE 0 END) AS week, count(*) AS total,
                                   sum(CASE WHEN fetched_at >= :week AND duplicate_of IS NOT NULL THEN 1 ELSE 0 END)
                                   AS duplicates,
                                   sum(revisions) AS revisions, count(deleted_at) AS deleted
                            FROM reports GROUP BY source_id),
                 failing AS (SELECT source_id AS id, count(*) AS urls FROM failures GROUP BY source_id),
                 outlets AS (SELECT outlet AS id FROM polls UNION SELECT id FROM counts UNION SELECT id FROM failing
                             UNION SELECT outlet FROM rule_checks)
            SELECT o.id, p.last_poll, p.last_success, p.last_new, p.last_result, p.last_error,
                   coalesce(p.paused_hosts, ''),
                   coalesce(c.today, 0), coalesce(c.week, 0), coalesce(c.total, 0), coalesce(c.duplicates, 0),
                   coalesce(f.urls, 0), coalesce(c.revisions, 0), coalesce(c.deleted, 0)
            FROM outlets o LEFT JOIN polls p ON p.outlet = o.id LEFT JOIN counts c ON c.id = o.id
                 LEFT JOIN failing f ON f.id = o.id
            ORDER BY o.id
            """,
            {"today": today, "week": week},
        )
        keys = ("outlet", "last_poll", "last_success", "last_new", "last_result", "last_error", "paused_hosts",
                "articles_today", "articles_7d", "articles_total", "duplicates_7d", "failing_urls", "revisions",
                "deleted")
        stats = [dict(zip(keys, row, strict=True)) for row in rows]
        for row in stats:
            row["paused_hosts"] = str(row["paused_hosts"]).split()
            for key in keys[7:]:  # (PostgreSQL sums are decimals)
                row[key] = int(str(row[key]))
        return stats

    # --- drift of outlets' rules -------------------------------------------------------------------------
    def rule_checks(self) -> list[RuleCheck]:
        rows = self._db.execute("SELECT outlet, rule, misses_in_row, misses, pages, last_miss, last_match"
                                " FROM rule_checks ORDER BY outlet, rule")
        return [RuleCheck(str(o), str(r), int(row), int(m), int(p),
                          datetime.fromisoformat(miss) if miss else None,
                          datetime.fromisoformat(match) if match else None)
                for o, r, row, m, p, miss, match in rows]

    def save_rule_checks(self, checks: Iterable[RuleCheck]) -> None:
        """Write rule counters at once: they concern no output."""
        try:
            self._db.begin()
            self._db.executemany(
                _upsert("rule_checks", ("outlet", "rule", "misses_in_row", "misses", "pages", "last_miss",
                                        "last_match"), ("outlet", "rule")),
                [(c.outlet, c.rule, c.misses_in_row, c.misses, c.pages,
                  iso_utc(c.last_miss) if c.last_miss else None, iso_utc(c.last_match) if c.last_match else None)
                 for c in checks])
            self._db.commit()
        except DRIVER_ERRORS as exc:
            if self._db.in_transaction:
                self._db.rollback()
            raise StateError(f"{self.where}: cannot record rule checks: {exc}") from None

    # --- articles that keep failing ----------------------------------------------------------------------
    def note_articles(self, outlet: str, collected: int, failed: Mapping[str, int], at: datetime
                      ) -> tuple[int, dict[str, int]]:
        """Count a poll's articles for an outlet: one collected ends the streak of failed ones, failures add to
        it. The streak after this poll: (articles in a row that failed, why)."""
        try:
            if collected:
                self._db.execute("DELETE FROM article_streaks WHERE outlet = ?", (outlet,))
                return 0, {}
            row = self._db.execute("SELECT in_row, reasons FROM article_streaks WHERE outlet = ?",
                                   (outlet,)).fetchone()
            in_row, reasons = (int(row[0]), dict(json.loads(row[1]))) if row else (0, {})
            if not failed:
                return in_row, reasons
            for reason, count in failed.items():
                reasons[reason] = reasons.get(reason, 0) + count
            in_row += sum(failed.values())
            self._db.execute(
                "INSERT INTO article_streaks VALUES (?, ?, ?, ?) ON CONFLICT (outlet) DO UPDATE SET"
                " in_row = excluded.in_row, reasons = excluded.reasons",
                (outlet, in_row, json.dumps(reasons, sort_keys=True), iso_utc(at)))
            return in_row, reasons
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot count an outlet's failed articles: {exc}") from None

    # --- conditional GET ---------------------------------------------------------------------------------
    def validators(self, url: str) -> Validators | None:
        row = self._db.execute(
            "SELECT etag, last_modified, body_hash, verified_at, conditional, distrust_until FROM validators"
            " WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        etag, last_modified, digest, verified_at, conditional, distrust_until = row
        return Validators(url, etag, last_modified, str(digest), datetime.fromisoformat(verified_at),
                          int(conditional or 0), datetime.fromisoformat(distrust_until) if distrust_until else None)

    def save_validators(self, validators: Validators | None, url: str) -> None:
        """Remember (or, with None, forget) a feed's validators; not tied to output, so written at once."""
        try:
            if validators is None:
                self._db.execute("DELETE FROM validators WHERE url = ?", (url,))
                return
            self._db.execute(
                _upsert("validators", ("url", "etag", "last_modified", "body_hash", "trusted", "verified_at",
                                       "conditional", "distrust_until"), ("url",)),
                (url, validators.etag, validators.last_modified, validators.body_hash,
                 int(validators.distrust_until is None), iso_utc(validators.verified_at), validators.conditional,
                 iso_utc(validators.distrust_until) if validators.distrust_until else None),
            )
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot record feed validators: {exc}") from None

    # --- links waiting to be fetched --------------------------------------------------------------------
    def add_pending(self, source_id: str, links: Iterable[tuple[str, Link]], now: datetime) -> int:
        """Remember discovered links (canonical URL, link) until they are written or given up on; a link
        already waiting keeps its first discovery time and gains a date it lacked. Written at once: it is no
        output, and a poll interrupted anywhere must find them again. Returns how many were new."""
        rows = [(key, source_id, json.dumps(_link_to_dict(link), ensure_ascii=False),
                 iso_utc(link.published_at) if link.published_at else None, iso_utc(now)) for key, link in links]
        if not rows:
            return 0
        try:
            self._db.begin()
            first = int(self._db.execute("SELECT coalesce(max(seq), 0) + 1 FROM pending").fetchone()[0])
            changed = self._db.executemany(
                "INSERT INTO pending (url, source_id, link, published, found_at, seq) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET"
                " link = CASE WHEN pending.published IS NULL AND excluded.published IS NOT NULL THEN excluded.link"
                " ELSE pending.link END, published = coalesce(pending.published, excluded.published)"
                " WHERE pending.published IS NULL AND excluded.published IS NOT NULL",
                [(*row, first + number) for number, row in enumerate(rows)])
            self._db.commit()
            return changed
        except DRIVER_ERRORS as exc:
            if self._db.in_transaction:
                self._db.rollback()
            raise StateError(f"{self.where}: cannot record discovered links: {exc}") from None

    def pending(self, source_id: str) -> list[tuple[str, Link, datetime]]:
        """The links waiting for an outlet: (canonical URL, link, first discovered), oldest discovery first."""
        rows = self._db.execute(
            "SELECT url, link, found_at FROM pending WHERE source_id = ? ORDER BY found_at, seq, url",
            (source_id,)).fetchall()
        found = []
        for url, text, found_at in rows:
            try:
                link = _link_from_dict(json.loads(text))
            except (ValueError, KeyError, TypeError):
                continue  # written by an incompatible version: it will be discovered again if it still exists
            found.append((str(url), link, datetime.fromisoformat(found_at)))
        return found

    def drop_pending(self, urls: Iterable[str]) -> None:
        """Forget waiting links (given up on, or no longer wanted)."""
        try:
            self._db.executemany("DELETE FROM pending WHERE url = ?", [(url,) for url in urls])
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot forget discovered links: {exc}") from None

    def count_pending(self, source_id: str | None = None) -> int:
        if source_id is None:
            return int(self._db.execute("SELECT count(*) FROM pending").fetchone()[0])
        return int(self._db.execute("SELECT count(*) FROM pending WHERE source_id = ?", (source_id,)).fetchone()[0])

    # --- failures ------------------------------------------------------------------------------------
    def note_failure(self, url: str, source_id: str, reason: str, retry_at: datetime) -> None:
        now = iso_utc(datetime.now(UTC))
        try:
            self._db.execute(
                "INSERT INTO failures VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (url) DO UPDATE SET"
                " reason = excluded.reason, attempts = failures.attempts + 1, last_at = excluded.last_at,"
                " retry_at = excluded.retry_at",
                (url, source_id, reason, now, iso_utc(retry_at)),
            )
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot record a failure: {exc}") from None

    def prune_failures(self, source_id: str, before: datetime) -> int:
        """Forget an outlet's failed URLs last tried before a time whose retry is due: no index lists them any
        more (one that does has them tried again each day), so they are no longer failing, only gone."""
        try:
            return self._db.execute(
                "DELETE FROM failures WHERE source_id = ? AND last_at < ? AND retry_at < ?",
                (source_id, iso_utc(before), iso_utc(datetime.now(UTC)))).rowcount
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot prune failed URLs: {exc}") from None

    def retry_due(self, url: str, now: datetime) -> bool:
        """False while a URL that failed is waiting for its retry time."""
        row = self._db.execute("SELECT retry_at FROM failures WHERE url = ?", (url,)).fetchone()
        return row is None or str(row[0]) <= iso_utc(now)

    def failure_reason(self, url: str) -> str | None:
        """Why a URL failed last, while it is in the failures table."""
        row = self._db.execute("SELECT reason FROM failures WHERE url = ?", (url,)).fetchone()
        return str(row[0]) if row else None

    def failures(self) -> list[tuple[str, str, str, int]]:
        """(url, source id, reason, attempts) of every URL that is failing."""
        rows = self._db.execute("SELECT url, source_id, reason, attempts FROM failures ORDER BY url")
        return [(str(u), str(s), str(r), int(a)) for u, s, r, a in rows]

    def count_reports(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM reports").fetchone()[0])


def _upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    """An INSERT that replaces the row with the same `key` (SQLite's INSERT OR REPLACE, in the SQL both databases
    speak)."""
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column not in key)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")


_REPLACE_BODY = _upsert("bodies", ("record_id", "at", "body"), ("record_id",))
# A report's text kept for revisits; `at` stays the time it was first kept (pruning goes by it).
_KEEP_BODY = "INSERT INTO bodies VALUES (?, ?, ?) ON CONFLICT (record_id) DO UPDATE SET body = excluded.body"

_PRINT_COLUMNS = ("fp, story, at, words, shingles, signature, lead, starts, title_key, xtitle_key, sample, lang,"
                  " anchors, shape, passage")


def _stored_print(row: tuple[Any, ...]) -> StoredPrint:
    """A dedup_prints row as read with `_PRINT_COLUMNS` (the later columns are NULL in older prints)."""
    (fp, story, at, words, shingles, signature, lead, starts, title_key, xtitle_key, sample, lang, anchors, shape,
     passage) = row
    return StoredPrint(fp, story, at, words, shingles, signature, lead, starts, title_key, xtitle_key, sample or b"",
                       lang, anchors or b"", shape or b"", bool(passage))


def _link_to_dict(link: Link) -> dict[str, object]:
    return {"url": link.url, "source_id": link.source_id, "found_in": link.found_in, "title": link.title,
            "published_at": iso_utc(link.published_at) if link.published_at else None, "content": link.content,
            "publisher": link.publisher.to_dict() if link.publisher else None, "aggregator_url": link.aggregator_url,
            "feed_only": link.feed_only}


def _link_from_dict(data: dict[str, object]) -> Link:
    published = data.get("published_at")
    publisher = data.get("publisher")
    return Link(url=str(data["url"]), source_id=str(data["source_id"]), found_in=str(data["found_in"]),
                title=str(data["title"]) if data.get("title") is not None else None,
                published_at=datetime.fromisoformat(str(published)) if published else None,
                content=str(data["content"]) if data.get("content") is not None else None,
                publisher=Publisher.from_dict(publisher) if isinstance(publisher, dict) else None,
                aggregator_url=str(data["aggregator_url"]) if data.get("aggregator_url") else None,
                feed_only=bool(data.get("feed_only", False)))
