"""Article links of one state store that are not written yet: the links discovered and waiting to be fetched (the
next poll's first), and the URLs that failed, with when to try each again. Written at once: a poll interrupted
anywhere finds them again."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from scraper.db import DRIVER_ERRORS, Database
from scraper.errors import StateError
from scraper.records import Link, Publisher, iso_utc


class LinkTables:
    """Links waiting and URLs failing, in one state store (`State.links`)."""

    def __init__(self, db: Database, where: str) -> None:
        self._db = db
        self.where = where  # the store, for messages

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
