"""The near-duplicate index's tables (scraper/dedup/index.py): one print per report, band and window keys pointing
at prints, one row per story; rows staged for the next commit are found by lookups at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from scraper.db import DRIVER_ERRORS, Database
from scraper.errors import StateError
from scraper.state.schema import upsert

_PRINT_COLUMNS = ("fp, story, at, words, shingles, signature, lead, starts, title_key, xtitle_key, sample, lang,"
                  " anchors, shape, passage")


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
class StoryRow:
    story: int  # the print of its first report
    first_id: str
    origin: str | None
    merged_into: int | None = None  # the story it was found to be part of (follow it: it may be merged too)


@dataclass
class StagedPrints:
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


class StoryTables:
    """The near-duplicate index in one state store (`State.stories`): lookups see staged rows too."""

    def __init__(self, db: Database, where: str, staged: StagedPrints) -> None:
        self._db = db
        self.where = where  # the store, for messages
        self._staged = staged

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
        staged = {key: self._staged.keys.get(key, [])[-per_key:][::-1] for key in unique}
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
        staged = [self._staged.prints[fp][0] for fp in fps if fp in self._staged.prints]
        wanted = [fp for fp in fps if fp not in self._staged.prints]
        rows = self._db.execute(
            f"SELECT {_PRINT_COLUMNS} FROM dedup_prints WHERE fp IN ({','.join('?' * len(wanted))})", wanted,
        ).fetchall() if wanted else []
        return staged + [_stored_print(row) for row in rows]

    def story(self, story: int) -> StoryRow | None:
        """A story's row as staged or committed (not followed to the story it was merged into: see `resolve`)."""
        if story in self._staged.stories:
            return self._staged.stories[story]
        row = self._db.execute("SELECT first_id, origin, merged_into FROM dedup_stories WHERE story = ?",
                               (story,)).fetchone()
        if row is None:
            return None
        return StoryRow(story, str(row[0]), self._staged.origins.get(story, row[1]),
                        self._staged.merges.get(story, row[2]))

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
        if story in self._staged.stories:
            self._staged.stories[story] = replace(self._staged.stories[story], merged_into=into)
        else:
            self._staged.merges[story] = into

    def merged_stories(self) -> list[tuple[str, str]]:
        """Every committed merge as (first report id of the merged story, of the story it was merged into)."""
        rows = self._db.execute(
            "SELECT s.first_id, t.first_id FROM dedup_stories s JOIN dedup_stories t ON t.story = s.merged_into"
            " ORDER BY s.story")
        return [(str(a), str(b)) for a, b in rows]

    def stage_print(self, row: StoredPrint, added: int, keys: tuple[int, ...],
                    first_id: str | None = None, origin: str | None = None) -> StoredPrint:
        """Add a report's print (its `fp` is assigned here); `first_id` starts a story with it as first."""
        staged = self._staged
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
        if story in self._staged.stories:
            self._staged.stories[story] = replace(self._staged.stories[story], origin=origin)
        else:
            self._staged.origins[story] = origin

    def write_staged(self) -> None:
        """Write staged index rows (inside `commit()`'s transaction)."""
        staged = self._staged
        self._db.executemany(upsert("dedup_stories", ("story", "first_id", "origin", "merged_into"), ("story",)),
                             [(s.story, s.first_id, s.origin, s.merged_into) for s in staged.stories.values()])
        self._db.executemany("UPDATE dedup_stories SET origin = ? WHERE story = ?",
                             [(origin, story) for story, origin in staged.origins.items()])
        self._db.executemany("UPDATE dedup_stories SET merged_into = ? WHERE story = ?",
                             [(into, story) for story, into in staged.merges.items()])
        self._db.executemany(
            upsert("dedup_prints", ("fp", "story", "at", "added", "words", "shingles", "signature", "lead", "starts",
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


def _stored_print(row: tuple[Any, ...]) -> StoredPrint:
    """A dedup_prints row as read with `_PRINT_COLUMNS` (the later columns are NULL in older prints)."""
    (fp, story, at, words, shingles, signature, lead, starts, title_key, xtitle_key, sample, lang, anchors, shape,
     passage) = row
    return StoredPrint(fp, story, at, words, shingles, signature, lead, starts, title_key, xtitle_key, sample or b"",
                       lang, anchors or b"", shape or b"", bool(passage))
