"""How each outlet's collection goes, in one state store: its polls and their results (for `stats` and health), the
streak of its articles that could not be read, how its own rules fare on its pages (drift), and the validators of
its feeds and sitemaps (conditional GET). Written at once: none of it is output."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from scraper.db import DRIVER_ERRORS, Database
from scraper.errors import StateError
from scraper.fetch.conditional import Validators
from scraper.records import iso_utc
from scraper.state.schema import upsert


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


class OutletTables:
    """Each outlet's polls, article streak, rule checks and feed validators in one state store (`State.outlets`)."""

    def __init__(self, db: Database, where: str) -> None:
        self._db = db
        self.where = where  # the store, for messages

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
                upsert("rule_checks", ("outlet", "rule", "misses_in_row", "misses", "pages", "last_miss",
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
                upsert("validators", ("url", "etag", "last_modified", "body_hash", "trusted", "verified_at",
                                       "conditional", "distrust_until"), ("url",)),
                (url, validators.etag, validators.last_modified, validators.body_hash,
                 int(validators.distrust_until is None), iso_utc(validators.verified_at), validators.conditional,
                 iso_utc(validators.distrust_until) if validators.distrust_until else None),
            )
        except DRIVER_ERRORS as exc:
            raise StateError(f"{self.where}: cannot record feed validators: {exc}") from None
