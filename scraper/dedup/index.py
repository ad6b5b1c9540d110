"""Which story a report belongs to: near-duplicate lookup in the persisted index, verified, with a role.

A lookup reads the keys of the report's fingerprint from the state store (16 LSH bands of the MinHash
signature, and exact windows after the first line starts, which find a brief that is the start of a
longer story even when its Jaccard similarity is tiny), then verifies the best candidates: the share
of the shorter text found in the other (exact on the lead, estimated from the signature beyond it) must
reach `min_overlap`. Short texts are matched only by outlet + title + time. A feed-only record (an
aggregator's item: a title, a publisher, a time, no text) joins a story through its title across outlets:
the same title of six words or more, within `xtitle_window` of a report of the story; a full report joins a
feed-only record's story the same way (as its update). Two texts never join on their titles alone.

Index rows are staged in the state store with the report and written by the same `State.commit()`, so
the index never claims a report whose segment is not on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from scraper.dedup.credits import outlet_wire, read_report
from scraper.dedup.fingerprint import (
    PERMS,
    U16,
    Fingerprint,
    band_keys,
    fingerprint,
    key64,
    normalise_text,
    window_keys,
)
from scraper.records import Record, Story
from scraper.state import State, StoredPrint

STORED_WINDOWS = 3  # windows indexed per report (chrome lines before the lead are rare in one outlet)
MIN_TITLE_WORDS = 4  # shorter titles ("Photo", "Briefing") are not specific enough to decide
MIN_XTITLE_WORDS = 6  # across outlets a title must say more: "North Korea fires ballistic missile" recurs
# Wire desks' markers before a headline, which a republishing outlet drops: "(LEAD)", "(2nd LD)", "(URGENT)".
_HEADLINE_TAG = re.compile(r"^\s*(?:[(\[](?:[^()\[\]]{1,20})[)\]]\s*)+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """How the index decides; `window` is the `[dedup] window` setting."""

    window: timedelta = timedelta(days=30)  # reports further apart are never one story; older prints go
    min_words: int = 30  # shorter texts are matched by title, outlet and time only
    min_overlap: float = 0.7  # share of the shorter text found in the other
    min_estimate_matches: int = 8  # signature values that must agree before the estimate is trusted
    update_growth: float = 1.3  # an update has this many times the words of the story's longest match
    update_min_words: int = 40  # ... and at least this many words more
    title_window: timedelta = timedelta(days=1)
    xtitle_window: timedelta = timedelta(days=2)  # a feed-only record and a report of its story by title
    per_key: int = 50  # newest prints read per key: a boilerplate key cannot flood a lookup
    verify: int = 24  # candidates verified per lookup, those sharing most keys first
    prune_every: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Comparison:
    jaccard: float  # estimated from the signatures
    overlap: float  # share of the shorter text found in the longer


def minutes(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() // 60)


def compare(query: Fingerprint, stored: StoredPrint, options: DedupOptions) -> Comparison:
    """How much of the shorter text is in the other, exactly where the stored lead covers it."""
    if not stored.signature or not query.signature:
        return Comparison(0.0, 0.0)
    agree = int(np.count_nonzero(query.signature_values() == np.frombuffer(stored.signature, dtype="<u2")))
    jaccard = agree / PERMS
    mine = query.set_values()
    lead = np.unique(np.frombuffer(stored.lead, dtype="<u2"))
    if query.shingles <= stored.shingles:  # is the query inside the stored report's lead?
        exact = _found_in(mine, lead) / max(mine.size, 1)
    else:  # is the stored report (its lead, all of it when short) inside the query?
        exact = _found_in(lead, mine) / max(lead.size, 1)
    estimate = 0.0
    if agree >= options.min_estimate_matches:
        shared = jaccard * (query.shingles + stored.shingles) / (1 + jaccard)
        estimate = min(1.0, shared / max(1, min(query.shingles, stored.shingles)))
    return Comparison(jaccard, max(float(exact), estimate))


def _found_in(part: U16, whole: U16) -> int:
    """How many values of `part` are in `whole`, both sorted and distinct: a binary search each (np.isin
    sorts both again, and costs the single-writer process a few times more on every candidate it verifies)."""
    if not part.size or not whole.size:
        return 0
    at = np.searchsorted(whole, part)
    np.minimum(at, whole.size - 1, out=at)
    return int(np.count_nonzero(whole[at] == part))


def title_key(source_id: str, title: str) -> int | None:
    words = normalise_text(title)
    if len(words.split()) < MIN_TITLE_WORDS:
        return None
    return key64(b"title", f"{source_id}\n{words}".encode())


def story_title_key(title: str) -> int | None:
    """The key of a headline whatever outlet printed it (desk markers off); None for a short one."""
    words = normalise_text(_HEADLINE_TAG.sub("", title))
    if len(words.split()) < MIN_XTITLE_WORDS:
        return None
    return key64(b"xtitle", words.encode())


def print_keys(row: StoredPrint, min_words: int) -> list[int]:
    """Every key a stored print is filed under (recomputed from the row when it is pruned)."""
    keys = [] if row.words < min_words else [*band_keys(row.signature),
                                              *window_keys(row.lead, row.starts, STORED_WINDOWS)]
    keys = keys if row.title_key is None else [*keys, row.title_key]
    return keys if row.xtitle_key is None else [*keys, row.xtitle_key]


@dataclass(frozen=True, slots=True)
class StoryPrint:
    """What the index needs of a report's text: its credit and the fingerprint of its story lines.

    Pure and the costly part of a lookup (shingles, MinHash), so worker processes compute it next to the
    extraction and the single-writer parent only looks it up.
    """

    credit: str | None
    fingerprint: Fingerprint


def story_print(record: Record) -> StoryPrint:
    """The credit is the record's (extraction takes it out of the body), else the body's dateline or
    credit line, else the outlet's own when the outlet is a wire."""
    text = read_report(record.body, record.credit)
    return StoryPrint(text.credit or outlet_wire(record.source_id), fingerprint(text.lines))


class DuplicateIndex:
    """Finds each report's story in the state store's index, and files the report there."""

    def __init__(self, state: State, options: DedupOptions | None = None) -> None:
        self._state = state
        self.options = options or DedupOptions()
        self._pruned_at: datetime | None = None

    def assign(self, record: Record, now: datetime | None = None, printed: StoryPrint | None = None) -> Record:
        """The record with its `story` and `duplicate_of` set; its print is staged in the state store.

        `now` is when the print is filed (pruning goes by it); the wall clock unless a test says otherwise.
        `printed` is `story_print(record)` when a worker has computed it already.
        """
        printed = printed or story_print(record)
        credit, print_ = printed.credit, printed.fingerprint
        # Text of its own, or a feed item's headline: a page with no story lines (all chrome) has neither.
        xtitle = story_title_key(record.title) if print_.words or record.feed_only else None
        if print_.words == 0 and xtitle is None:  # nothing to compare: never anyone's duplicate
            return replace(record, duplicate_of=None, story=Story(record.id, "first", 1.0, credit))
        at = minutes(record.published_at or record.fetched_at)
        row = StoredPrint(0, 0, at, print_.words, print_.shingles, print_.signature, print_.lead, print_.starts,
                          title_key(record.source_id, record.title), xtitle)
        match = self.best_match(print_, row)
        # Pruning goes by when a print was filed, not by its article's dates: a backfill of last year's
        # archive must not see its own prints pruned as it files them.
        added = minutes(now or datetime.now(UTC))
        keys = tuple(print_keys(row, self.options.min_words))
        if match is None:
            self._state.stage_print(row, added, keys, first_id=record.id, origin=credit)
            return replace(record, duplicate_of=None, story=Story(record.id, "first", 1.0, credit))
        best, comparison, longest = match
        story = self._state.story(best.story)
        assert story is not None, "a print's story is pruned only with its last print"
        origin = story.origin or credit
        if credit and not story.origin:
            self._state.stage_origin(story.story, credit)
        self._state.stage_print(replace(row, story=story.story), added, keys)
        similarity = comparison.overlap
        if best.fp != story.story and print_.words:
            first = self._state.prints([story.story])
            if first and first[0].words:  # (a feed-only first report has only its title to compare)
                similarity = compare(print_, first[0], self.options).overlap
        grown = print_.words - longest
        if grown >= self.options.update_min_words and print_.words >= self.options.update_growth * longest:
            return replace(record, duplicate_of=None, story=Story(story.first_id, "update", similarity, origin))
        return replace(record, duplicate_of=story.first_id,
                       story=Story(story.first_id, "copy", similarity, origin))

    def best_match(self, query: Fingerprint, row: StoredPrint) -> tuple[StoredPrint, Comparison, int] | None:
        """The verified print most like the query, and the words of the longest verified print of its story."""
        options = self.options
        short = query.words < options.min_words
        keys = [] if short else [*band_keys(query.signature), *window_keys(query.lead, query.starts, len(query.starts))]
        if row.title_key is not None:
            keys.append(row.title_key)
        if row.xtitle_key is not None:
            keys.append(row.xtitle_key)
        hits = self._state.print_candidates(keys, options.per_key)
        if not hits:
            return None
        ranked = sorted(hits, key=lambda fp: (-hits[fp], -fp))[:options.verify]
        window = options.window.total_seconds() / 60
        best: tuple[StoredPrint, Comparison] | None = None
        verified: list[StoredPrint] = []
        for candidate in self._state.prints(ranked):
            if abs(candidate.at - row.at) > window:
                continue
            if query.words == 0 or candidate.words == 0:
                # A feed-only record on one side: its title is all there is to compare.
                if (row.xtitle_key is None or candidate.xtitle_key != row.xtitle_key
                        or abs(candidate.at - row.at) > options.xtitle_window.total_seconds() / 60):
                    continue
                comparison = Comparison(1.0, 1.0)
                verified.append(candidate)
                if best is None or (best[1].jaccard, best[1].overlap, -best[0].fp) < (1.0, 1.0, -candidate.fp):
                    best = (candidate, comparison)
                continue
            comparison = compare(query, candidate, options)
            by_title = (row.title_key is not None and candidate.title_key == row.title_key
                        and (short or candidate.words < options.min_words)
                        and abs(candidate.at - row.at) <= options.title_window.total_seconds() / 60)
            if short or candidate.words < options.min_words:
                if not by_title:
                    continue
            elif comparison.overlap < options.min_overlap:
                continue
            verified.append(candidate)
            if best is None or (comparison.jaccard, comparison.overlap, -candidate.fp) > (
                    best[1].jaccard, best[1].overlap, -best[0].fp):
                best = (candidate, comparison)
        if best is None:
            return None
        story = best[0].story
        return (*best, max(candidate.words for candidate in verified if candidate.story == story))

    def prune(self, now: datetime | None = None, *, force: bool = False) -> int:
        """Forget prints filed more than `window` ago; at most once per `prune_every` unless forced."""
        now = now or datetime.now(UTC)
        if not force and self._pruned_at is not None and now - self._pruned_at < self.options.prune_every:
            return 0
        self._pruned_at = now
        min_words = self.options.min_words
        return self._state.prune_prints(minutes(now - self.options.window), lambda row: print_keys(row, min_words))
