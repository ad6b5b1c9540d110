"""The fleet's one committer: the worker that holds the state store's lock replays the handed calls in order.

Every worker runs this loop. One of them, at any time, holds the store's advisory lock (a session lock on its own
connection: it dies with its holder), opens the output directory and replays `fleet_handoff` rows through a
Committer (scraper/commit.py), exactly as a single process would have written them: the row of each replayed call
is deleted in the transaction that records its reports. When the holder dies, another takes the lock within
LEAD_EVERY seconds, first commits the segments the dead one published but could not record (`reconcile`), then
goes on from the first row not deleted. A call replayed twice (its segment was written, its commit lost) finds its
report written and writes nothing. When the server drops the holder's connection (a restart), the store's
connection is made again with the lock (scraper/db.py); if another worker took the lock first, this one steps down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import psycopg

from scraper.commit import Committer
from scraper.dedup import DedupOptions
from scraper.errors import OutputError, ScraperError, StateError, StoreInUse
from scraper.fleet.handoff import TAKE_LOCK, Change, FileEnd, Finish, Progress, create_schema, decode
from scraper.observe import NullObserver, Observer
from scraper.records import Settings
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary

log = logging.getLogger(__name__)

BEAT_EVERY = 5.0  # seconds between two heartbeats of the committer (`fleet_committer`)
REPEAT_EVERY = 60.0  # seconds between two log lines of the same failure (the database away)
LEAD_EVERY = 2.0  # seconds between two tries of a worker that is not the committer to become it
IDLE = 0.2  # seconds the committer waits when nothing is handed
BATCH = 500  # rows read at a time

_ROWS = """
SELECT h.id, h.stream, h.seq, h.payload FROM fleet_handoff h LEFT JOIN fleet_streams s ON s.stream = h.stream
WHERE (s.stream IS NULL OR h.seq = coalesce((%(current)s::jsonb ->> h.stream)::bigint, s.current))
  AND NOT (h.id = ANY(%(done)s))
ORDER BY h.id LIMIT %(limit)s
"""


class FleetCommitter:
    """Leads when it can; while it leads, replays handed calls (`step`)."""

    def __init__(self, database: str, settings: Settings, output: str | Path, *,
                 observer: Observer | None = None, dedup: DedupOptions | None = None, fault: str = "") -> None:
        self.database = database
        self.settings = settings
        self.output = Path(output)
        self.observer = observer or NullObserver()
        self.dedup = dedup
        self._fault = fault
        self._reader: psycopg.Connection[Any] = psycopg.connect(database, autocommit=True,
                                                                application_name="newsnorm-committer")
        create_schema(self._reader)
        self._state: State | None = None
        self._committer: Committer | None = None
        self._done: list[int] = []  # rows replayed and not yet committed
        self._current: dict[str, int] = {}  # ordered streams moved on since the last commit
        self._beaten = 0.0
        self._taking = False  # TAKE_LOCK held on the reader: rows replayed since the last commit may be uncommitted
        self.error: str | None = None  # the last failure of the committer's loop, until a step goes through
        self.cannot_lead: str | None = None  # why this worker may not be the committer (another output directory)

    @property
    def leading(self) -> bool:
        return self._committer is not None

    def try_lead(self) -> bool:
        """Become the committer if no other process is; True when this one is."""
        if self._committer is not None:
            return True
        state = State(self.database)
        try:
            state.claim(self.output)
        except StoreInUse:  # another worker is the committer
            state.close()
            self.cannot_lead = None
            return False
        except StateError as exc:  # it never could be: say so, once (it is tried again every LEAD_EVERY)
            state.close()
            if str(exc) != self.cannot_lead:
                log.error("this worker cannot be the fleet's committer: %s", exc, extra={"event": "committer_error"})
            self.cannot_lead = str(exc)
            return False
        self.cannot_lead = None
        try:
            sink = JsonlSink(self.output, segment_records=self.settings.segment_records,
                             segment_seconds=self.settings.segment_seconds)
        except OutputError:
            state.close()
            raise
        committer = Committer(state, sink, self.dedup, observer=self.observer, fault=self._fault)
        recovered = committer.reconcile({s.id: s.strip_query for s in self.settings.sources})
        log.info("this worker is the committer%s", f" ({recovered} segments recovered)" if recovered else "",
                 extra={"event": "committer"})
        self._state, self._committer = state, committer
        return True

    def step(self, limit: int = BATCH) -> int:
        """Replay the handed calls that may go now, in order; commit them when idle or due. How many replayed."""
        assert self._committer is not None and self._state is not None
        if time.monotonic() - self._beaten >= BEAT_EVERY:
            self._state.ping()  # still the store's lock holder after a lost connection? (else `lost`: step down)
            self._reader.execute("INSERT INTO fleet_committer (one, holder, beat) VALUES (1, %s, now())"
                                 " ON CONFLICT (one) DO UPDATE SET holder = excluded.holder, beat = now()",
                                 (f"{socket.gethostname()}:{os.getpid()}",))
            self._beaten = time.monotonic()
        if not self._taking:
            self._reader.execute("SELECT pg_advisory_lock(%s)", (TAKE_LOCK,))  # (a restarting worker may hold it)
            self._taking = True
        rows = self._reader.execute(_ROWS, {"current": json.dumps(self._current), "done": self._done,
                                            "limit": limit}).fetchall()
        for row_id, stream, seq, payload in rows:
            self._replay(int(row_id), str(stream), int(seq), bytes(payload))
        if not rows or self._committer.sink.due():
            self.flush()
        return len(rows)

    def _replay(self, row_id: int, stream: str, seq: int, payload: bytes) -> None:
        assert self._committer is not None and self._state is not None
        call = decode(payload)
        summary = Summary()  # what this call did (the stream's counts add it up in the database)
        if isinstance(call, Finish):
            self._committer.finish(call.source, call.link, summary, call.since, call.until, call.final_url,
                                   call.prepared, call.archive)
        elif isinstance(call, Progress):
            self._committer.progress(call.key, call.value)
        elif isinstance(call, Change):
            self._committer.change(call.source, summary, call.record)
        elif isinstance(call, FileEnd):
            self._current[stream] = seq + 1
            self._state.stage_statement("UPDATE fleet_streams SET current = ? WHERE stream = ? AND current <= ?",
                                        (seq + 1, stream, seq))
            self._count_skips(stream, dict(call.skips))
            if call.result is not None:
                outlet, result, why = call.result
                self._state.stage_statement("UPDATE fleet_streams SET results = jsonb_set(results, ARRAY[?::text],"
                                            " ?::jsonb) WHERE stream = ?", (outlet, json.dumps([result, why]), stream))
        if not stream.startswith("poll:"):  # (an ordered stream: its counts are kept)
            if summary.written or summary.duplicates or summary.already:
                self._state.stage_statement(
                    "UPDATE fleet_streams SET written = written + ?, duplicates = duplicates + ?,"
                    " already = already + ? WHERE stream = ?",
                    (summary.written, summary.duplicates, summary.already, stream))
            self._count_skips(stream, dict(summary.skips))
        # The row goes with the commit that records what it did (a flush inside `finish` included).
        self._state.stage_statement("DELETE FROM fleet_handoff WHERE id = ?", (row_id,))
        self._done.append(row_id)

    def _count_skips(self, stream: str, skips: dict[str, int]) -> None:
        """Add skips, by reason, to an ordered stream's counts (with the commit of the row that made them)."""
        assert self._state is not None
        for reason, count in skips.items():
            if count:
                self._state.stage_statement(
                    "UPDATE fleet_streams SET skipped = skipped + ?, skips = jsonb_set(skips, ARRAY[?::text],"
                    " to_jsonb(coalesce((skips ->> ?)::bigint, 0) + ?)) WHERE stream = ?",
                    (count, reason, reason, count, stream))

    def flush(self) -> None:
        """Publish the open segments and record them, with the replayed rows' deletion."""
        assert self._committer is not None
        try:
            self._committer.flush()
        finally:
            # Committed, or dropped with the staged state (abort): either way the rows are to be read again
            # from the database as they now stand.
            self._forget_replayed()

    def _forget_replayed(self) -> None:
        """After a commit or a failure: nothing replayed is pending, and a worker may clear its file's rows."""
        self._done.clear()
        self._current.clear()
        if self._taking:
            self._taking = False
            with contextlib.suppress(psycopg.Error):  # (a connection that is gone has let go of it)
                self._reader.execute("SELECT pg_advisory_unlock(%s)", (TAKE_LOCK,))

    async def run(self, stop: asyncio.Event) -> None:
        """Lead when possible and replay until `stop`; then flush what was replayed."""
        repeated, said = "", 0.0  # the last error logged, and when: the same one again only every REPEAT_EVERY
        while not stop.is_set():
            try:
                if not self.try_lead():
                    await _wait(stop, LEAD_EVERY)
                    continue
                replayed = await asyncio.to_thread(self.step)
                self.error, repeated = None, ""
                if replayed == 0:
                    await _wait(stop, IDLE)
            except (ScraperError, psycopg.Error) as exc:
                # What was replayed and not committed is dropped with the staged state (a step cut short by the
                # database may have staged half a record) and read again.
                if self._committer is not None:
                    self._committer.abort()
                self._forget_replayed()
                self.error = str(exc)
                if self._reader.broken or self._reader.closed:  # the server went away: a new connection when back
                    with contextlib.suppress(psycopg.Error):
                        self._reader = psycopg.connect(self.database, autocommit=True,
                                                       application_name="newsnorm-committer")
                if self.error != repeated or time.monotonic() - said >= REPEAT_EVERY:  # (not every LEAD_EVERY)
                    log.error("committer: %s", exc, extra={"event": "committer_error"})
                    repeated, said = self.error, time.monotonic()
                if self._state is not None and self._state.lost:
                    self._step_down()
                await _wait(stop, LEAD_EVERY)
        if self._committer is not None:
            with_error = None
            try:
                self.flush()
            except ScraperError as exc:
                with_error = exc
            if with_error is not None:
                log.error("committer: %s", with_error, extra={"event": "committer_error"})

    def _step_down(self) -> None:
        """The store's lock went with a lost connection and another worker leads now: what this one replayed and
        has not published is dropped (its rows stay handed, for the new committer), and it leads no more."""
        assert self._committer is not None and self._state is not None
        log.warning("committer: no longer the committer (%s)", self._state.lost, extra={"event": "committer"})
        self._committer.abort()
        self._committer.sink.close()
        self._state.close()
        self._state, self._committer = None, None

    def close(self) -> None:
        if self._committer is not None:
            self._committer.sink.close()
        if self._state is not None:
            self._state.close()
        self._reader.close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
