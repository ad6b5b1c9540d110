"""Per-host politeness shared by every worker of a fleet, held in PostgreSQL.

One process paces each host by itself (scraper/fetch/politeness.py). Ten workers on five machines must pace it as
one would: the same delay between request starts (and, with one request at a time, after the previous answer), the
same number of requests in flight, a server's Retry-After and the circuit breaker's pause seen by all. So each
request also takes a lease on one of the host's slots in the database, and the host's next allowed start is moved
there, in one transaction on the database's own clock (the machines' clocks never meet). A lease ends when its
request does; a worker that dies holding one lets it go when the lease runs out (the request's time limit and a
margin), and its hosts are free again.

robots.txt is read once for the fleet: a worker takes it from `fleet_robots` when another read it within a day.

Waiting is done locally: the database says how long (a start reserved in the future, or the earliest end of a lease
in use), the worker sleeps that long (at most MAX_WAIT at a time) and asks again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import psycopg

from scraper.db import public_address

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS fleet_hosts (
    host         TEXT PRIMARY KEY,
    next_start   TIMESTAMPTZ NOT NULL DEFAULT 'epoch',  -- no request may start before this
    paused_until TIMESTAMPTZ NOT NULL DEFAULT 'epoch',  -- the circuit breaker's pause
    failures     INTEGER NOT NULL DEFAULT 0                  -- requests in a row that failed after their retries
);
CREATE TABLE IF NOT EXISTS fleet_host_slots (
    host        TEXT NOT NULL,
    slot        INTEGER NOT NULL,
    holder      TEXT,
    lease_until TIMESTAMPTZ,  -- NULL or past: free
    PRIMARY KEY (host, slot)
);
CREATE TABLE IF NOT EXISTS fleet_robots (  -- robots.txt as a worker read it: the others take it from here
    url     TEXT PRIMARY KEY,
    status  INTEGER NOT NULL,
    body    TEXT NOT NULL,
    read_at TIMESTAMPTZ NOT NULL
);
"""
MAX_WAIT = 0.25  # seconds a worker sleeps before asking again for a slot that another holds
LEASE_MARGIN = 30.0  # seconds a lease outlives its last renewal's term


@dataclass(frozen=True, slots=True)
class Lease:
    host: str
    slot: int


class SharedHosts:
    """The fleet's per-host pacing, leases and breaker, on one PostgreSQL connection of this process."""

    def __init__(self, url: str, *, holder: str | None = None, margin: float = LEASE_MARGIN) -> None:
        self.margin = margin
        self.where = public_address(url)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self._url = url
        self._out: set[Lease] = set()  # leases of this process's requests in flight
        self._db = self._connect()
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(7326003)")
            self._db.execute(SCHEMA)
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    def close(self) -> None:
        self._db.close()

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._url, autocommit=True, application_name="newsnorm-hosts", connect_timeout=10)

    def _live(self) -> psycopg.Connection[Any]:
        """The connection; a new one when the server dropped the last (the statement that met the loss failed,
        and what it was for fails with it: a fetch, a poll)."""
        if self._db.closed or self._db.broken:
            self._db.close()
            self._db = self._connect()
            log.warning("%s: the connection for hosts' pacing was lost; connected again", self.where,
                        extra={"event": "database_reconnected"})
            self._let_go_of_stale_leases()
        return self._db

    def _let_go_of_stale_leases(self) -> None:
        """Free the slots this holder has in the database with no request in flight: leases whose release met the
        connection lost, or taken by a transaction whose commit did (the client cannot know whether it counted)."""
        out = sorted(self._out, key=lambda lease: (lease.host, lease.slot))
        freed = self._db.execute(
            "UPDATE fleet_host_slots SET holder = NULL, lease_until = NULL WHERE holder = %s"
            " AND (host, slot) NOT IN (SELECT h, s FROM unnest(%s::text[], %s::integer[]) AS u(h, s))"
            " RETURNING host", (self.holder, [lease.host for lease in out], [lease.slot for lease in out])).fetchall()
        if freed:
            log.info("%s: let go of %d lease(s) whose release the database did not get (%s)", self.where,
                     len(freed), ", ".join(sorted({str(row[0]) for row in freed})), extra={"event": "lease"})

    async def ping(self) -> None:
        """One round trip: a connection the server dropped since is replaced now, not at the next request's lease."""
        async with self._lock:
            try:
                self._live().execute("SELECT 1")
            except psycopg.OperationalError:
                if not (self._db.closed or self._db.broken):
                    raise
                self._live().execute("SELECT 1")

    async def acquire(self, host: str, delay: float, concurrency: int, lease: float) -> Lease:
        """Wait until this process may start a request to `host`, and take a slot for it."""
        while True:
            async with self._lock:
                got, wait = self._try(host, delay, concurrency, lease + self.margin)
            if got is not None:
                self._out.add(got)
                if wait > 0:
                    try:
                        await asyncio.sleep(wait)
                    except BaseException:  # cancelled before its start: the slot is let go at once
                        await self.release(got, 0.0, one_at_a_time=False)
                        raise
                return got
            await asyncio.sleep(min(MAX_WAIT, max(wait, 0.01)))

    def _try(self, host: str, delay: float, concurrency: int, lease: float) -> tuple[Lease | None, float]:
        """One attempt, in one transaction: a free slot and the start reserved for it (how long to wait), or
        None and how long until a slot may be free."""
        db = self._live()
        with db.transaction():
            db.execute("INSERT INTO fleet_hosts (host) VALUES (%s) ON CONFLICT (host) DO NOTHING", (host,))
            db.execute("INSERT INTO fleet_host_slots (host, slot) SELECT %s, generate_series(0, %s - 1)"
                       " ON CONFLICT (host, slot) DO NOTHING", (host, concurrency))
            row = db.execute(
                "SELECT greatest(next_start, clock_timestamp()), clock_timestamp() FROM fleet_hosts WHERE host = %s"
                " FOR UPDATE", (host,)).fetchone()
            assert row is not None
            start, now = row
            free = db.execute(
                "SELECT slot FROM fleet_host_slots WHERE host = %s AND slot < %s"
                " AND (lease_until IS NULL OR lease_until < clock_timestamp()) ORDER BY slot LIMIT 1",
                (host, concurrency)).fetchone()
            if free is None:
                soonest = db.execute(
                    "SELECT extract(epoch FROM min(lease_until) - clock_timestamp()) FROM fleet_host_slots"
                    " WHERE host = %s AND slot < %s", (host, concurrency)).fetchone()
                return None, float(soonest[0]) if soonest and soonest[0] is not None else MAX_WAIT
            db.execute("UPDATE fleet_hosts SET next_start = %s + make_interval(secs => %s) WHERE host = %s",
                       (start, delay, host))
            db.execute("UPDATE fleet_host_slots SET holder = %s, lease_until = %s + make_interval(secs => %s)"
                       " WHERE host = %s AND slot = %s", (self.holder, start, lease, host, free[0]))
            return Lease(host, int(free[0])), (start - now).total_seconds()

    async def keep(self, lease: Lease, seconds: float) -> None:
        """Hold `lease` while its request runs, however long (a CC-NEWS file is one request of many minutes):
        renewed every third of `seconds`; a holder that dies stops renewing, and the slot is free `seconds` and
        the margin later. Runs until cancelled."""
        while True:
            await asyncio.sleep(max(0.05, seconds / 3))
            try:
                async with self._lock:
                    self._live().execute("UPDATE fleet_host_slots SET lease_until = clock_timestamp()"
                                         " + make_interval(secs => %s) WHERE host = %s AND slot = %s AND holder = %s",
                                         (seconds + self.margin, lease.host, lease.slot, self.holder))
            except psycopg.Error as exc:  # the database away for a moment: the lease runs on, renewed next time
                log.warning("renewing the lease on %s failed: %s", lease.host, exc, extra={"event": "lease"})

    async def release(self, lease: Lease, delay: float, one_at_a_time: bool) -> None:
        """The request is over: free its slot; with one request at a time, the next starts `delay` after this
        answer at the earliest. The request's outcome stands whatever the database says: with the connection lost, the
        slot is freed once connected again (at once if the server takes a new connection)."""
        self._out.discard(lease)
        async with self._lock:
            try:
                db = self._live()
                with db.transaction():
                    if one_at_a_time:
                        db.execute("UPDATE fleet_hosts SET next_start = greatest(next_start, clock_timestamp()"
                                   " + make_interval(secs => %s)) WHERE host = %s", (delay, lease.host))
                    db.execute("UPDATE fleet_host_slots SET holder = NULL, lease_until = NULL"
                               " WHERE host = %s AND slot = %s AND holder = %s",
                               (lease.host, lease.slot, self.holder))
            except psycopg.OperationalError as exc:
                if not (self._db.closed or self._db.broken):
                    raise
                try:
                    self._live()  # (connected again: the lease is let go with any other left behind)
                except psycopg.OperationalError:
                    log.warning("%s: the lease on %s could not be let go (%s); it is when the database answers",
                                self.where, lease.host, " ".join(str(exc).split()), extra={"event": "lease"})

    def hold(self, host: str, seconds: float) -> None:
        """Start nothing on `host` for `seconds`, in the whole fleet (Retry-After)."""
        db = self._live()
        db.execute("INSERT INTO fleet_hosts (host, next_start) VALUES (%s, clock_timestamp()"
                   " + make_interval(secs => %s)) ON CONFLICT (host) DO UPDATE SET"
                   " next_start = greatest(fleet_hosts.next_start, excluded.next_start)", (host, seconds))

    def paused_for(self, host: str) -> float:
        """Seconds the fleet's breaker still holds `host` paused (0 when open)."""
        db = self._live()
        row = db.execute("SELECT extract(epoch FROM paused_until - clock_timestamp()) FROM fleet_hosts"
                         " WHERE host = %s", (host,)).fetchone()
        return max(0.0, float(row[0])) if row and row[0] is not None else 0.0

    def failed(self, host: str, pause_after: int, pause: float) -> bool:
        """Count a failed request; pause the host for the fleet when it is the `pause_after`th in a row.
        True when this call paused it."""
        db = self._live()
        row = db.execute(
            "INSERT INTO fleet_hosts (host, failures) VALUES (%s, 1) ON CONFLICT (host) DO UPDATE SET"
            " failures = fleet_hosts.failures + 1,"
            " paused_until = CASE WHEN fleet_hosts.failures + 1 >= %s AND fleet_hosts.paused_until"
            " <= clock_timestamp() THEN clock_timestamp() + make_interval(secs => %s)"
            " ELSE fleet_hosts.paused_until END RETURNING paused_until > clock_timestamp(), failures",
            (host, pause_after, pause)).fetchone()
        return bool(row and row[0] and row[1] == pause_after)

    def robots(self, url: str, ttl: float) -> tuple[int, str] | None:
        """robots.txt at `url` as a worker of the fleet read it less than `ttl` seconds ago: (status, text)."""
        db = self._live()
        row = db.execute("SELECT status, body FROM fleet_robots WHERE url = %s AND read_at >"
                         " clock_timestamp() - make_interval(secs => %s)", (url, ttl)).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def keep_robots(self, url: str, status: int, text: str) -> None:
        """Keep what this worker read at `url` (the site's file, or its answer that there is none) for the fleet."""
        db = self._live()
        db.execute("INSERT INTO fleet_robots (url, status, body, read_at) VALUES (%s, %s, %s,"
                   " clock_timestamp()) ON CONFLICT (url) DO UPDATE SET status = excluded.status,"
                   " body = excluded.body, read_at = excluded.read_at", (url, status, text.replace("\x00", "")))

    def succeeded(self, host: str) -> None:
        """The host answered: it is up for the whole fleet."""
        db = self._live()
        db.execute("UPDATE fleet_hosts SET failures = 0, paused_until = 'epoch' WHERE host = %s"
                   " AND (failures > 0 OR paused_until > 'epoch')", (host,))
