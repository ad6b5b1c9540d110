"""Which story a report belongs to: near-duplicate and translation lookup in the persisted index, verified, with a role.

A lookup reads the keys of the report's fingerprint from the state store (16 LSH bands of the MinHash
signature, and exact windows after the first line starts, which find a brief that is the start of a
longer story even when its Jaccard similarity is tiny), then verifies the best candidates: the share
of the shorter text found in the other (exact on the lead, measured on a consistent sample of shingles
beyond it) must reach `min_overlap`.

Stories merge: a report that verifies against reports of two stories whose texts overlap each other (a cut copy
that came first and a reordered one, each of which missed the other) shows they are one story. The earlier
story survives; the report names the other in `story.merged`, and later records carry the surviving id.
Two stories that a round-up or a longer local story merely contains side by side do not overlap, and stay apart.

A report with no copy in the index may be a translation: its anchors (numbers, dates, names of the names table,
codes, names by their sound; in a script that marks no names, the sounds of its longest words:
scraper/dedup/anchors.py) are looked up as keys too, the rarer in the index counting for more, and a report in
another language within `xlang_window` whose anchors stand at the same places, heavily or together with the same
paragraph shape, is the same story: the report joins it as a `translation`, never as anyone's duplicate.

A passage in common counts only near the top of both texts (a wire brief inside a local story, after its opening
paragraph): the stories a round-up quotes after its own are at its end, and it joins none of them. A report joined
by a passage alone lends its text to no one; a report whose lead is such a passage merges its story with the query's
(a local story that came before the wire's own copies).

Short texts (under `min_words`: briefs, and feed-only records, an aggregator's title with no text) never join
on shingles: only on the title (the same publisher's, or a headline of six words or more across outlets),
within its time window, with every number, date and name of the short text found in the other report.

Index rows are staged in the state store with the report and written by the same `State.commit()`, so
the index never claims a report whose segment is not on disk; a merge is staged and committed the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from scraper.dedup.anchors import (
    CrossMatch,
    CrossOptions,
    CrossPrint,
    Kind,
    compare_cross,
    cross_print,
    heard_keys,
    is_translation,
    keyed,
    kind_of,
    other_facts,
    weight,
)
from scraper.dedup.credits import outlet_wire, read_report
from scraper.dedup.fingerprint import (
    PERMS,
    SAMPLE,
    U16,
    Fingerprint,
    band_keys,
    fingerprint,
    key64,
    normalise_text,
    window_keys,
)
from scraper.records import EPOCH, Record, Story
from scraper.state import State, StoredPrint, StoryRow

STORED_WINDOWS = 3  # windows indexed per report (chrome lines before the lead are rare in one outlet)
MIN_TITLE_WORDS = 4  # shorter titles ("Photo", "Briefing") are not specific enough to decide
MIN_XTITLE_WORDS = 6  # across outlets a title must say more: "North Korea fires ballistic missile" recurs
MIN_SAME_TEXT_WORDS = 12  # a short text this long is its own title where the title is too short to decide
ANCHOR_KEYS = 16  # anchors a print is filed under
HEARD_KEYS = 8  # ... and word sounds, in a script that marks no names
MIN_SAMPLE = 6  # sampled shingles a share is measured on before it is trusted
# Wire desks' markers before a headline, which a republishing outlet drops: "(LEAD)", "(2nd LD)", "(URGENT)".
_HEADLINE_TAG = re.compile(r"^\s*(?:[(\[](?:[^()\[\]]{1,20})[)\]]\s*)+")
# What a short text's entities are: the anchors that tell two reports of similar headlines apart.
_ENTITY_KINDS = frozenset({Kind.NUMBER, Kind.DATE, Kind.NAME, Kind.SMALL, Kind.YEAR})


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """How the index decides; `window` is the `[dedup] window` setting."""

    window: timedelta = timedelta(days=30)  # reports further apart are never one story; older prints go
    min_words: int = 30  # shorter texts are matched by title, publisher, time and entities only
    min_overlap: float = 0.7  # share of the shorter text found in the other...
    min_shared: int = 40  # ... or a passage in common of this many shingles in a row (about 40 words)...
    min_part: float = 0.25  # ... making this share of the shorter text...
    anchored_overlap: float = 0.5  # ... or this share when the numbers, dates and names agree at their places:
    anchored_share: float = 0.8  # this share of the lighter report's anchors (a reworded copy keeps them all)
    merge_overlap: float = 0.5  # two stories a report matched are one when their matched reports share this much
    passage_share: float = 0.5  # a report joined by a passage whose anchors agree less than this is not all story
    passage_top: float = 1 / 3  # a passage in common starts within this share of both texts (not a round-up's tail)
    min_estimate_matches: int = 8  # signature values that must agree before the estimate is trusted
    update_growth: float = 1.3  # an update has this many times the words of the story's longest match
    update_min_words: int = 40  # ... and at least this many words more
    # Two texts that agree are two fillings of one template (another day's rates, greetings to another president)
    # when each one's first paragraph has this many dates, or names, that the other has nowhere.
    template_dates: int = 1
    template_names: int = 2
    title_window: timedelta = timedelta(days=1)
    xtitle_window: timedelta = timedelta(days=2)  # a feed-only record and a report of its story by title
    xlang_window: timedelta = timedelta(days=2)  # a translation and the report it translates
    cross: CrossOptions = field(default_factory=CrossOptions)
    anchor_keys: int = ANCHOR_KEYS
    query_anchor_keys: int = 24  # anchors a lookup reads
    heard_keys: int = 16  # sounds of words a lookup reads, in a script that marks no names (Hangul, Arabic)
    verify_anchored: int = 32  # candidates found by their anchors verified per lookup, the best scored first
    per_anchor_key: int = 24  # newest prints read per anchor key (a year or the leader's name is in every story)
    per_key: int = 50  # newest prints read per key: a boilerplate key cannot flood a lookup
    verify: int = 24  # candidates verified per lookup, those sharing most keys first
    prune_every: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Comparison:
    jaccard: float  # estimated from the signatures
    overlap: float  # share of the shorter text found in the longer
    # The longest run of the stored report's lead found, shingle after shingle, in the query's lead; 0 unless it
    # starts near the top of both (a wire brief inside a local story; not a round-up's tail: `passage_top`)
    passage: int = 0

    def verified(self, options: DedupOptions) -> bool:
        """Most of the shorter text is in the other; or a passage of `min_shared` shingles in a row is near the top
        of both and makes a good part of the shorter (a wire brief inside a longer local story, with paragraphs of
        its own).
        A run, not a count: lines of page chrome that two reports of one outlet share are short, and each
        report has its own between them."""
        return self.overlap >= options.min_overlap or (
            self.passage >= options.min_shared and self.overlap >= options.min_part)


def minutes(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)


def _u16(blob: bytes) -> U16:
    return np.frombuffer(blob, dtype="<u2").astype(np.uint16)


def _sample_share(part: U16, whole: U16, whole_sample_full: bool) -> tuple[float, int]:
    """Share of a text's sampled shingles found in another's sample, and on how many it was measured. A sample
    cut at SAMPLE values holds only the smallest: the other side is compared below its largest value."""
    if not whole_sample_full and whole.size:
        part = part[part <= whole[-1]]
    return (_found_in(part, whole) / part.size if part.size else 0.0), int(part.size)


def _estimate(agree: int, shingles_a: int, shingles_b: int, options: DedupOptions) -> float:
    """The share of the shorter text in the other, estimated from the signatures' agreement."""
    if agree < options.min_estimate_matches:
        return 0.0
    jaccard = agree / PERMS
    shared = jaccard * (shingles_a + shingles_b) / (1 + jaccard)
    return min(1.0, shared / max(1, min(shingles_a, shingles_b)))


def compare(query: Fingerprint, stored: StoredPrint, options: DedupOptions) -> Comparison:
    """How much of the shorter text is in the other: exactly where the stored lead covers it, on the sampled
    shingles beyond it (or, for a print without a sample, estimated from the signatures)."""
    if not stored.signature or not query.signature:
        return Comparison(0.0, 0.0)
    agree = int(np.count_nonzero(query.signature_values() == _u16(stored.signature)))
    mine = query.set_values()
    lead = np.unique(_u16(stored.lead))
    theirs = _u16(stored.sample)
    in_lead = _found_in(mine, lead)
    if query.shingles <= stored.shingles:  # is the query inside the stored report?
        exact = in_lead / max(mine.size, 1)
        share, measured = _sample_share(query.sample_values(), theirs, theirs.size < SAMPLE)
    else:  # is the stored report inside the query? (its sample is checked against every shingle of the query)
        exact = in_lead / max(lead.size, 1)
        share, measured = (_found_in(theirs, mine) / theirs.size, int(theirs.size)) if theirs.size else (0.0, 0)
    estimate = share if measured >= MIN_SAMPLE else _estimate(agree, query.shingles, stored.shingles, options)
    return Comparison(agree / PERMS, max(float(exact), estimate), _passage(query, stored, options))


def _passage(query: Fingerprint, stored: StoredPrint, options: DedupOptions) -> int:
    """The longest run of the stored lead's shingles in the query's lead, when it starts within the top
    `passage_top` of both texts: a passage in common near the top of both."""
    theirs, lead = _u16(stored.lead), query.lead_values()
    length, start = _longest_run(theirs, np.unique(lead))
    if length == 0 or start > options.passage_top * stored.shingles:
        return 0
    _, start_in_query = _longest_run(lead, np.unique(theirs))
    return length if start_in_query <= options.passage_top * query.shingles else 0


def overlap_of_prints(a: StoredPrint, b: StoredPrint, options: DedupOptions) -> float:
    """How much of the shorter of two indexed reports is in the other (on their samples, leads and signatures)."""
    if not a.signature or not b.signature:
        return 0.0
    small, large = (a, b) if a.shingles <= b.shingles else (b, a)
    lead_small, lead_large = np.unique(_u16(small.lead)), np.unique(_u16(large.lead))
    exact = _found_in(lead_small, lead_large) / max(lead_small.size, 1)
    share, measured = _sample_share(_u16(small.sample), _u16(large.sample), len(large.sample) // 2 < SAMPLE)
    if measured >= MIN_SAMPLE:
        return max(exact, share)
    agree = int(np.count_nonzero(_u16(a.signature) == _u16(b.signature)))
    return max(exact, _estimate(agree, a.shingles, b.shingles, options))


def _longest_run(ordered: U16, whole: U16) -> tuple[int, int]:
    """The longest run of consecutive values of `ordered` that are all in `whole` (sorted, distinct): its length,
    and where in `ordered` it starts."""
    if not ordered.size or not whole.size:
        return 0, 0
    at = np.minimum(np.searchsorted(whole, ordered), whole.size - 1)
    found = np.concatenate(([False], whole[at] == ordered, [False]))
    edges = np.flatnonzero(found[1:] != found[:-1])
    if not edges.size:
        return 0, 0
    lengths = edges[1::2] - edges[::2]
    longest = int(lengths.argmax())
    return int(lengths[longest]), int(edges[::2][longest])


def _found_in(part: U16, whole: U16) -> int:
    """How many values of `part` are in `whole`, both sorted and distinct: a binary search each (np.isin
    sorts both again, and costs the single-writer process a few times more on every candidate it verifies)."""
    if not part.size or not whole.size:
        return 0
    at = np.searchsorted(whole, part)
    np.minimum(at, whole.size - 1, out=at)
    return int(np.count_nonzero(whole[at] == part))


def title_key(publisher: str, title: str) -> int | None:
    """The key of a title as one publisher printed it (an aggregator's item: the publisher its feed names)."""
    words = normalise_text(title)
    if len(words.split()) < MIN_TITLE_WORDS:
        return None
    return key64(b"title", f"{publisher}\n{words}".encode())


def short_text_key(publisher: str, words: int, signature: bytes, min_words: int) -> int | None:
    """The title key of a short text whose title is too short to decide (KCNA lists one photo brief, "Kumsong
    Tractor Factory", at two addresses): the publisher with the text itself, word for word (its signature: the
    same words give the same one). None for a text too short to tell, or long enough to be found by its words."""
    if not MIN_SAME_TEXT_WORDS <= words < min_words or not signature:
        return None
    return key64(b"short-text", publisher.encode() + b"\n" + signature)


def story_title_key(title: str) -> int | None:
    """The key of a headline whatever outlet printed it (desk markers off); None for a short one."""
    words = normalise_text(_HEADLINE_TAG.sub("", title))
    if len(words.split()) < MIN_XTITLE_WORDS:
        return None
    return key64(b"xtitle", words.encode())


def anchor_key(value: int) -> int:
    return key64(b"anchor", value.to_bytes(4, "little"))


def print_keys(row: StoredPrint, min_words: int, anchor_keys: int = ANCHOR_KEYS) -> list[int]:
    """Every key a stored print is filed under (recomputed from the row when it is pruned)."""
    keys = [] if row.words < min_words else [*band_keys(row.signature),
                                              *window_keys(row.lead, row.starts, STORED_WINDOWS)]
    if row.words >= min_words and row.lang:
        cross = CrossPrint(row.anchors, b"")
        keys += [anchor_key(value) for value in keyed(cross.values(), anchor_keys)]
        # In a script that marks no names, its longest word sounds: the names of a report in another script find it.
        keys += [anchor_key(value) for value in heard_keys(cross, HEARD_KEYS)]
    keys = keys if row.title_key is None else [*keys, row.title_key]
    return keys if row.xtitle_key is None else [*keys, row.xtitle_key]


@dataclass(frozen=True, slots=True)
class StoryPrint:
    """What the index needs of a report's text: its credit, the fingerprint of its story lines, and what a
    translation of it would share (its language, anchors and shape).

    Pure and the costly part of a lookup (shingles, MinHash, anchors), so worker processes compute it next to
    the extraction and the single-writer parent only looks it up.
    """

    credit: str | None
    fingerprint: Fingerprint
    language: str | None = None  # ISO 639-1, None when not known
    cross: CrossPrint = field(default_factory=CrossPrint)


def story_print(record: Record) -> StoryPrint:
    """The credit is the record's (extraction takes it out of the body), else the body's dateline or
    credit line, else the outlet's own when the outlet is a wire."""
    text = read_report(record.body, record.credit)
    language = record.language.code if record.language.code not in ("", "und") else None
    cross = cross_print(_HEADLINE_TAG.sub("", record.title), text.lines, [name.canonical for name in record.names],
                        language)
    return StoryPrint(text.credit or outlet_wire(record.source_id), fingerprint(text.lines), language, cross)


@dataclass(frozen=True, slots=True)
class Match:
    """The story a report was found to belong to, and how."""

    story: StoryRow  # resolved: the story it now is
    best: StoredPrint  # the report it matched best
    comparison: Comparison
    longest: int  # words of the longest matched report of the story
    merged: tuple[StoryRow, ...] = ()  # other stories the report showed to be this one
    translation: bool = False


def _entities(cross: CrossPrint) -> set[int]:
    return {value for value in cross.values() if kind_of(value) in _ENTITY_KINDS}


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
        options = self.options
        credit, print_ = printed.credit, printed.fingerprint
        # Text of its own, or a feed item's headline: a page with no story lines (all chrome) has neither.
        xtitle = story_title_key(record.title) if print_.words or record.feed_only else None
        if print_.words == 0 and xtitle is None:  # nothing to compare: never anyone's duplicate
            return replace(record, duplicate_of=None, story=Story(record.id, "first", 1.0, credit))
        at = minutes(record.published_at or record.fetched_at)
        publisher = record.publisher.name if record.publisher is not None else record.source_id
        titled = title_key(publisher, record.title)
        if titled is None:
            titled = short_text_key(publisher, print_.words, print_.signature, options.min_words)
        row = StoredPrint(0, 0, at, print_.words, print_.shingles, print_.signature, print_.lead, print_.starts,
                          titled, xtitle, print_.sample, printed.language, printed.cross.anchors, printed.cross.shape)
        match = self.best_match(print_, row, printed.cross.heard)
        # Pruning goes by when a print was filed, not by its article's dates: a backfill of last year's
        # archive must not see its own prints pruned as it files them.
        added = minutes(now or datetime.now(UTC))
        keys = tuple(print_keys(row, self.options.min_words, self.options.anchor_keys))
        if match is None:
            self._state.stories.stage_print(row, added, keys, first_id=record.id, origin=credit)
            return replace(record, duplicate_of=None, story=Story(record.id, "first", 1.0, credit))
        story = match.story
        for other in match.merged:
            self._state.stories.stage_merge(other.story, story.story)
        origin = story.origin or next((other.origin for other in match.merged if other.origin), None) or credit
        if origin and not story.origin:
            self._state.stories.stage_origin(story.story, origin)
        # Joined by a passage, and the rest of its numbers, dates and names are not the story's: a brief inside a
        # longer text. Its whole text must not pull others in.
        by_passage = (not match.translation and match.comparison.overlap < options.anchored_overlap
                      and compare_cross(printed.cross, CrossPrint(match.best.anchors, match.best.shape),
                                        options.cross).share < options.passage_share)
        self._state.stories.stage_print(replace(row, story=story.story, passage=by_passage), added, keys)
        merged = tuple(other.first_id for other in match.merged)
        similarity = match.comparison.overlap
        if match.translation:
            return replace(record, duplicate_of=None,
                           story=Story(story.first_id, "translation", similarity, origin, merged))
        if match.best.fp != story.story and print_.words:
            first = self._state.stories.prints([story.story])
            if first and first[0].words:  # (a feed-only first report has only its title to compare)
                similarity = compare(print_, first[0], self.options).overlap
        grown = print_.words - match.longest
        if grown >= self.options.update_min_words and print_.words >= self.options.update_growth * match.longest:
            return replace(record, duplicate_of=None, story=Story(story.first_id, "update", similarity, origin, merged))
        return replace(record, duplicate_of=story.first_id,
                       story=Story(story.first_id, "copy", similarity, origin, merged))

    def best_match(self, query: Fingerprint, row: StoredPrint, heard: bytes = b"") -> Match | None:
        """The story of the verified print most like the query (with the stories it shows to be the same one);
        failing any, the story of the report the query translates. `heard` is `CrossPrint.heard` of the query:
        the sounds of its words, in a script that marks no names."""
        options = self.options
        short = query.words < options.min_words
        keys = [] if short else [*band_keys(query.signature), *window_keys(query.lead, query.starts, len(query.starts))]
        if row.title_key is not None:
            keys.append(row.title_key)
        if row.xtitle_key is not None:
            keys.append(row.xtitle_key)
        hits = self._state.stories.print_candidates(keys, options.per_key) if keys else {}
        ranked = sorted(hits, key=lambda fp: (-hits[fp], -fp))[:options.verify]
        verified = self._verified(query, row, self._state.stories.prints(ranked))
        if verified:
            return self._same_story(verified)
        if short or row.lang is None or not (row.anchors or heard):
            return None
        # No copy found by its text: a heavily reworded copy, or a translation, found by its anchors (and names
        # heard among its words), the rarer ones counting for more.
        cross = CrossPrint(row.anchors, row.shape, heard)
        values = keyed(cross.values(), options.query_anchor_keys)
        values += [value for value in heard_keys(cross, options.heard_keys) if value not in values]
        scores = self._anchor_candidates(values)
        ranked = sorted(scores, key=lambda fp: (-scores[fp], -fp))[:options.verify_anchored]
        candidates = self._state.stories.prints(ranked)
        verified = self._verified(query, row, [c for c in candidates if c.lang is None or c.lang == row.lang])
        if verified:
            return self._same_story(verified)
        return self._translated(cross, row, [c for c in candidates if c.lang is not None and c.lang != row.lang])

    def _anchor_candidates(self, values: list[int]) -> dict[int, float]:
        """Prints filed under any of the anchors `values`, scored by the anchors they share, each weighted by its
        kind and by how rare it is in the index (a year or the leader's name fills its key's quota)."""
        options = self.options
        scores: dict[int, float] = {}
        filed = self._state.stories.prints_by_key([anchor_key(value) for value in values], options.per_anchor_key)
        for value in values:
            found = filed[anchor_key(value)]
            if not found:
                continue
            rarity = math.log(1 + options.per_anchor_key / len(found))
            for fp in found:
                scores[fp] = scores.get(fp, 0.0) + weight(value) * rarity
        return scores

    def _verified(self, query: Fingerprint, row: StoredPrint, candidates: list[StoredPrint]
                  ) -> list[tuple[StoredPrint, Comparison]]:
        """The candidates that are the query's story by their text (or, short, by title and entities)."""
        options = self.options
        short = query.words < options.min_words
        window = options.window.total_seconds() / 60
        verified: list[tuple[StoredPrint, Comparison]] = []
        for candidate in candidates:
            if abs(candidate.at - row.at) > window:
                continue
            if short or candidate.words < options.min_words:
                if self._joins_by_title(row, candidate):
                    verified.append((candidate, Comparison(1.0, 1.0)))
                continue
            if candidate.passage:
                continue  # its text is mostly not its story's (a brief inside a longer text): nothing joins by it
            comparison = compare(query, candidate, options)
            if not (comparison.verified(options) or (comparison.overlap >= options.anchored_overlap
                                                     and self._anchors_agree(row, candidate))):
                continue
            if other_facts(CrossPrint(row.anchors, row.shape), CrossPrint(candidate.anchors, candidate.shape),
                           options.template_dates, options.template_names):
                continue
            verified.append((candidate, comparison))
        return verified

    def _anchors_agree(self, row: StoredPrint, candidate: StoredPrint) -> bool:
        found = compare_cross(CrossPrint(row.anchors, row.shape), CrossPrint(candidate.anchors, candidate.shape),
                              self.options.cross)
        return found.share >= self.options.anchored_share and found.aligned >= self.options.cross.strong

    def _joins_by_title(self, row: StoredPrint, candidate: StoredPrint) -> bool:
        """A short text (or a feed-only record) and another report: the same publisher's title within a day, or
        a feed-only record's headline printed by another outlet within two days; and no number, date or name of
        the short side missing from the other."""
        options = self.options
        gap = abs(candidate.at - row.at)
        same_title = (row.title_key is not None and candidate.title_key == row.title_key
                      and gap <= options.title_window.total_seconds() / 60)
        # Across publishers only a feed-only record's headline (all it has) is matched: two texts of their own
        # that share a headline and too little text are two reports.
        same_headline = ((row.words == 0 or candidate.words == 0) and row.xtitle_key is not None
                         and candidate.xtitle_key == row.xtitle_key
                         and gap <= options.xtitle_window.total_seconds() / 60)
        if not (same_title or same_headline):
            return False
        mine, theirs = _entities(CrossPrint(row.anchors, b"")), _entities(CrossPrint(candidate.anchors, b""))
        if row.words < options.min_words and not mine <= theirs:
            return False
        return candidate.words >= options.min_words or theirs <= mine

    def _same_story(self, verified: list[tuple[StoredPrint, Comparison]]) -> Match:
        """The best verified print's story, merged with the other stories verified prints belong to when their
        texts overlap the best one's (a round-up or a longer story holding two stories side by side does not)."""
        options = self.options
        by_story: dict[int, tuple[StoryRow, list[tuple[StoredPrint, Comparison]]]] = {}
        for candidate, comparison in verified:
            story = self._state.stories.resolve(candidate.story)
            assert story is not None, "a print's story is pruned only with its last print"
            by_story.setdefault(story.story, (story, []))[1].append((candidate, comparison))

        def strength(item: tuple[StoredPrint, Comparison]) -> tuple[float, float, int]:
            return item[1].jaccard, item[1].overlap, -item[0].fp

        best = max(verified, key=strength)
        best_story = self._state.stories.resolve(best[0].story)
        assert best_story is not None
        joined = [best_story]
        for story, members in by_story.values():
            if story.story == best_story.story:
                continue
            # Whole-text matches merge when the two reports overlap each other too (a round-up or a longer story
            # holding two stories side by side is matched whole by neither); and a report whose lead is a passage near
            # the top of the query (a wire brief inside a local story that came before the wire's own copies) merges
            # its story. A title alone never merges.
            if best[1].overlap < options.min_overlap and best[1].passage < options.min_shared:
                continue
            if any(item[1].passage >= options.min_shared and item[0].words >= options.min_words for item in members):
                joined.append(story)
                continue
            whole = [item for item in members if item[1].overlap >= options.min_overlap]
            if not whole or best[1].overlap < options.min_overlap:
                continue
            other = max(whole, key=strength)[0]
            text_matches = best[0].words >= options.min_words and other.words >= options.min_words
            if text_matches and overlap_of_prints(best[0], other, options) >= options.merge_overlap:
                joined.append(story)
        survivor = min(joined, key=lambda story: story.story)  # the earlier story keeps its id
        merged = tuple(story for story in joined if story.story != survivor.story)
        longest = max(candidate.words for story in joined for candidate, _ in by_story[story.story][1])
        return Match(survivor, best[0], best[1], longest, merged)

    def _translated(self, cross: CrossPrint, row: StoredPrint, candidates: list[StoredPrint]) -> Match | None:
        """The story of a report in another language whose anchors and shape this one shares, if any (never two:
        a translation that matched two stories does not merge them, one of the two links is the weaker)."""
        options = self.options
        window = options.xlang_window.total_seconds() / 60
        best: tuple[CrossMatch, StoredPrint] | None = None
        for candidate in candidates:
            if candidate.words < options.min_words or abs(candidate.at - row.at) > window:
                continue
            found = compare_cross(cross, CrossPrint(candidate.anchors, candidate.shape), options.cross)
            if is_translation(found, options.cross) and (best is None or (found.aligned, -candidate.fp) > (
                    best[0].aligned, -best[1].fp)):
                best = (found, candidate)
        if best is None:
            return None
        found, candidate = best
        story = self._state.stories.resolve(candidate.story)
        assert story is not None, "a print's story is pruned only with its last print"
        return Match(story, candidate, Comparison(0.0, min(1.0, found.share)), candidate.words, translation=True)

    def prune(self, now: datetime | None = None, *, force: bool = False) -> int:
        """Forget prints filed more than `window` ago; at most once per `prune_every` unless forced."""
        now = now or datetime.now(UTC)
        if not force and self._pruned_at is not None and now - self._pruned_at < self.options.prune_every:
            return 0
        self._pruned_at = now
        min_words, anchor_keys = self.options.min_words, self.options.anchor_keys
        return self._state.stories.prune_prints(minutes(now - self.options.window),
                                                lambda row: print_keys(row, min_words, anchor_keys))
