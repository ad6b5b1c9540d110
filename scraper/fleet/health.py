"""What a fleet worker's /healthz says, and the fleet's gauges on its /metrics.

A worker is unhealthy when it cannot do its part: its job loop is not running, the output directory does not take
files, the database does not answer, its pipelines report a problem (an extraction pool that cannot start, a rule
that drifted), or it is the committer and its last step failed. Some problems stop the whole fleet and every
worker reports them: hand-offs waiting while no committer has beaten for STALE_COMMITTER seconds (nothing is
being written), and, on the workers that keep the schedule (`run`), outlets with no successful poll for
`grace` times their interval, and outlets whose polls succeed and have found nothing new for their `quiet_after`,
as the one-process daemon reports them. The database is read every CHECK_EVERY
seconds, off the request: /healthz answers from the last look.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from scraper.records import Source
from scraper.summary import quiet

STALE_COMMITTER = 60.0  # seconds without a committer's heartbeat while hand-offs wait
CHECK_EVERY = 5.0  # seconds between two looks at the database


@dataclass(frozen=True, slots=True)
class FleetLook:
    """One look at the fleet's tables."""

    waiting: int  # hand-off rows not yet committed
    committer_silent: float | None  # seconds since the committer's last heartbeat (None: never beat)
    committer: str  # who beat last
    polls: dict[str, tuple[datetime | None, str]]  # outlet -> last successful poll, last result
    # outlet -> the last poll that found an article not written before
    last_new: dict[str, datetime] = field(default_factory=dict)


def look(db: psycopg.Connection[Any]) -> FleetLook:
    (waiting,) = db.execute("SELECT count(*) FROM fleet_handoff").fetchone() or (0,)
    beat = db.execute("SELECT extract(epoch FROM now() - beat), holder FROM fleet_committer").fetchone()
    present = db.execute("SELECT to_regclass('polls') IS NOT NULL").fetchone()
    polls: dict[str, tuple[datetime | None, str]] = {}
    last_new: dict[str, datetime] = {}
    if present and present[0]:
        for outlet, success, result, new in db.execute(
                "SELECT outlet, last_success, last_result, last_new FROM polls"):
            polls[str(outlet)] = (datetime.fromisoformat(success) if success else None, str(result or ""))
            if new:
                last_new[str(outlet)] = datetime.fromisoformat(new)
    return FleetLook(int(waiting), float(beat[0]) if beat else None, str(beat[1]) if beat else "", polls, last_new)


def fleet_problems(seen: FleetLook, now: datetime, *, started: datetime, outlets: Sequence[Source],
                   grace: float) -> list[str]:
    """What stops the fleet, from one look: a committer gone silent with work waiting; silent outlets."""
    problems = []
    silent = seen.committer_silent
    if seen.waiting and (silent is None or silent > STALE_COMMITTER):
        since = "no committer has ever taken them" if silent is None else (
            f"the committer ({seen.committer}) last beat {silent:.0f} s ago")
        problems.append(f"{seen.waiting} hand-offs wait and nothing is written: {since}")
    for source in outlets:
        last, result = seen.polls.get(source.id, (None, ""))
        if (now - (last or started)).total_seconds() > grace * source.interval:
            when = f"since {last.isoformat()}" if last else "since this worker started"
            problems.append(f"{source.id}: no successful poll {when} (every {source.interval:g}s; last: "
                            f"{result or 'none yet'})")
        elif result == "ok" and (said := quiet(source.id, source.quiet_after, seen.last_new.get(source.id),
                                                started, now)):
            problems.append(said)
    return problems


def fleet_lines(database: str) -> list[str]:
    """What `scraper stats` says of a fleet on `database` (nothing when no fleet ever ran there): the committer,
    the hand-offs waiting, the queue's jobs by status, and what stops the fleet."""
    with psycopg.connect(database, autocommit=True, connect_timeout=10) as db:
        present = db.execute("SELECT to_regclass('fleet_handoff') IS NOT NULL, to_regclass('fleet_committer')"
                             " IS NOT NULL, to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not present or not (present[0] and present[1]):
            return []
        seen = look(db)
        jobs: dict[str, int] = {str(status): int(count) for status, count in db.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1")} if present[2] else {}
    committer = (f"{seen.committer}, last beat {seen.committer_silent:.0f} s ago" if seen.committer_silent is not None
                 else "none yet")
    queue = ", ".join(f"{status} {jobs[status]}" for status in sorted(jobs)) or "empty"
    lines = [f"fleet: committer {committer}; {seen.waiting} hand-offs waiting; jobs: {queue}"]
    lines += [f"fleet: {problem}" for problem in fleet_problems(seen, datetime.now(UTC), started=datetime.now(UTC),
                                                                  outlets=(), grace=0)]
    if jobs.get("failed"):
        lines.append(f"fleet: {jobs['failed']} jobs failed (procrastinate_jobs, status 'failed'): see the workers'"
                     " logs")
    return lines
