"""Workers hand their prepared records to the committer through the database.

A worker of a fleet runs the pipeline up to the single-writer stage and, instead of deduplicating and writing,
puts each call of that stage (a record to finish, a run's progress, a revision or tombstone, a WARC file's end)
into `fleet_handoff`, in the order the pipeline makes them. The committer (scraper/fleet/committer.py) replays
them in that order, and deletes the rows in the transaction that records their reports: a row is replayed once
or, after a crash between publishing and recording, found already written.

Rows belong to streams. A poll's stream is its own; the committer takes poll rows as they come. A WARC backfill
is one ordered stream of files (`fleet_streams`): the committer takes the rows of file `current` only, and moves
on when that file's end row is replayed, so the story decisions are those a single process reading the files in
order would make, however many workers read them and in whatever order they finish. A backfill of outlets (their
feeds, sitemaps and listings, or the web archive) is such a stream too, one outlet for each "file", in the order
given, each end row carrying the outlet's result (`results`: what a one-process backfill says of each outlet).
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from scraper.prepare import Prepared
from scraper.records import Archive, Link, Record, Source
from scraper.summary import Summary

SCHEMA = """
CREATE TABLE IF NOT EXISTS fleet_handoff (
    id       BIGSERIAL PRIMARY KEY,  -- the order of arrival
    stream   TEXT NOT NULL,          -- "poll:<outlet>:<run>", "warc:<batch>" or "outlets:<batch>"
    seq      BIGINT NOT NULL,        -- a batch's file number (0 for a poll)
    position BIGINT NOT NULL,        -- the call's order in its file or poll
    payload  BYTEA NOT NULL,         -- the call (pickled: written and read by this program only)
    UNIQUE (stream, seq, position)
);
CREATE TABLE IF NOT EXISTS fleet_streams (  -- ordered streams: a WARC batch's files, committed one after another
    stream     TEXT PRIMARY KEY,
    files      BIGINT NOT NULL,
    current    BIGINT NOT NULL DEFAULT 0,  -- the file whose rows the committer takes now
    written    BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    already    BIGINT NOT NULL DEFAULT 0,
    skipped    BIGINT NOT NULL DEFAULT 0,
    skips      JSONB NOT NULL DEFAULT '{}',  -- skipped, by reason
    created    TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE fleet_streams ADD COLUMN IF NOT EXISTS results JSONB NOT NULL DEFAULT '{}';  -- outlet: [result, why]
CREATE TABLE IF NOT EXISTS fleet_committer (  -- the committer's heartbeat: /healthz of every worker reads it
    one    INTEGER PRIMARY KEY CHECK (one = 1),
    holder TEXT NOT NULL,
    beat   TIMESTAMPTZ NOT NULL
);
"""
SCHEMA_LOCK = 7326004
# Held by the committer from the rows it reads to the commit that records them, and taken by a worker before it
# clears an interrupted file's rows (`Handoff.restart`): rows the committer has replayed are never cleared under
# it, and the progress the worker then reads includes them (else their records are handed again).
TAKE_LOCK = 7326008


@dataclass(frozen=True, slots=True)
class Finish:
    """A prepared record, with what the single-writer stage needs to decide it."""

    source: Source
    link: Link
    since: datetime | None
    until: datetime | None
    final_url: str
    prepared: Prepared
    archive: Archive | None


@dataclass(frozen=True, slots=True)
class Progress:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Change:
    source: Source
    record: Record


@dataclass(frozen=True, slots=True)
class FileEnd:
    """A WARC file (or an outlet) of an ordered stream is done: the committer moves to the next. `skips` counts, by
    reason, what the worker skipped on its side (captures that are no page, pages that could not be read, the file
    itself when it could not be read): the stream's counts add them. `result`, for an outlet: its id, the result
    of reading it (ok, unreachable, refused, error) and why."""

    skips: tuple[tuple[str, int], ...] = ()
    result: tuple[str, str, str] | None = None


Call = Finish | Progress | Change | FileEnd


def create_schema(db: psycopg.Connection[Any]) -> None:
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        db.execute(SCHEMA)


def encode(call: Call) -> bytes:
    return pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL)


def decode(payload: bytes) -> Call:
    call: Call = pickle.loads(payload)  # (rows written by this program, in its own database)
    return call


class Handoff:
    """The worker's side: a Writer (scraper/commit.py) that puts each call into the database, in order.

    One per poll or per WARC file. `restart()` clears what an earlier, interrupted run of the same WARC file left
    there (from its committed progress on, the run hands the same calls again)."""

    def __init__(self, db: psycopg.Connection[Any], stream: str, seq: int = 0) -> None:
        self._db = db
        self.stream = stream
        self.seq = seq
        self._position = 0

    def restart(self) -> None:
        """Clear the rows an interrupted run of this file left, once the committer has recorded what it took of
        them (it holds TAKE_LOCK until then): call before reading the file's committed progress."""
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (TAKE_LOCK,))
            self._db.execute("DELETE FROM fleet_handoff WHERE stream = %s AND seq = %s", (self.stream, self.seq))

    def _put(self, call: Call) -> None:
        self._db.execute("INSERT INTO fleet_handoff (stream, seq, position, payload) VALUES (%s, %s, %s, %s)",
                         (self.stream, self.seq, self._position, encode(call)))
        self._position += 1

    # --- Writer ---------------------------------------------------------------------------------------------
    def finish(self, source: Source, link: Link, summary: Summary, since: datetime | None,
               until: datetime | None, final_url: str, prepared: Prepared, archive: Archive | None) -> None:
        self._put(Finish(source, link, since, until, final_url, prepared, archive))
        summary.handed += 1

    def progress(self, key: str, value: str) -> None:
        self._put(Progress(key, value))

    def change(self, source: Source, summary: Summary, record: Record) -> None:
        self._put(Change(source, record))
        if record.revision is not None:
            summary.revised += 1
        else:
            summary.deleted += 1

    def end_file(self, skips: Mapping[str, int] | None = None, result: tuple[str, str, str] | None = None) -> None:
        self._put(FileEnd(tuple(sorted((skips or {}).items())), result))

    def flush(self) -> list[str]:
        return []  # every call is in the database as soon as it is handed

    def flush_if_due(self) -> bool:
        return False

    def abort(self) -> None:
        pass  # nothing is held here: what was handed stays for the committer

    def reconcile(self, strip_query: object) -> int:
        return 0  # the committer's to do

    def problems(self) -> list[str]:
        return []
