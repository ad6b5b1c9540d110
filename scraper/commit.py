"""The single writer: prepared records, in order, deduplicated into stories, written to the output and recorded in
the state store, together.

Everything before this stage (discovery, fetching, extraction, analysis, the story print) may run anywhere, in any
number of processes; this stage runs in one place at a time, because a story decision depends on every report
decided before it. On one machine the pipeline calls it directly (`Committer`). In a fleet the workers hand their
prepared records to the database (scraper/fleet/handoff.py) and one committer, elected among them, replays them here
in order (scraper/fleet/committer.py). Either way a segment is durable before the state store records its reports,
and what is staged and not durable is dropped together (`abort`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from scraper.dedup import DedupOptions, DuplicateIndex, StoryPrint, samples_agree, story_print, text_sample
from scraper.errors import OutputError, StateError
from scraper.observe import NullObserver, Observer
from scraper.prepare import Prepared
from scraper.records import Archive, Link, Record, Source
from scraper.sink import Sink
from scraper.state import State
from scraper.summary import Summary
from scraper.urls import canonicalize, record_id
from scraper.workers import FAULT_EXIT

log = logging.getLogger(__name__)


def in_range(moment: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    """Whether a date falls in a backfill's range (an undated article always does: its page dates it later)."""
    if moment is None:
        return True
    return (since is None or moment >= since) and (until is None or moment < until)


def read_again_later(source: Source, record: Record) -> bool:
    """Whether a record's article will be read again (its text is kept to compare with, until then)."""
    if source.revisit_every is None or record.feed_only:
        return False
    when = record.published_at or record.fetched_at
    return datetime.now(UTC) - when < timedelta(seconds=source.revisit_for)


class Writer(Protocol):
    """Where a run's prepared records go: the committer itself, or a fleet's hand-off to it."""

    def finish(self, source: Source, link: Link, summary: Summary, since: datetime | None,
               until: datetime | None, final_url: str, prepared: Prepared, archive: Archive | None) -> None: ...

    def progress(self, key: str, value: str) -> None: ...

    def change(self, source: Source, summary: Summary, record: Record) -> None: ...

    def flush(self) -> list[str]: ...

    def flush_if_due(self) -> bool: ...

    def abort(self) -> None: ...

    def reconcile(self, strip_query: Mapping[str, tuple[str, ...]]) -> int: ...

    def problems(self) -> list[str]: ...


class Committer:
    """Deduplicates, writes and records, in the order it is called; flushes by the sink's size and age limits."""

    def __init__(self, state: State, sink: Sink, dedup: DedupOptions | None = None, *,
                 observer: Observer | None = None, fault: str = "") -> None:
        self.state = state
        self.sink = sink
        self.index = DuplicateIndex(state, dedup)
        self.observer = observer or NullObserver()
        self._fault = fault
        # Why segments on disk are not in the state store yet (a full disk failed its commit), or "". Until they
        # are, nothing new is written: they are read back from disk and recorded first.
        self._unrecorded = ""
        self._strip_query: Mapping[str, tuple[str, ...]] = {}
        self._shared_canonicals: set[tuple[str, str]] = set()  # (outlet, URL) warned about

    def problems(self) -> list[str]:
        if self._unrecorded:
            return [f"segments on disk are not in the state store yet ({self._unrecorded}); writing waits until it "
                    "can record them"]
        return []

    # --- one record --------------------------------------------------------------------------------------
    def finish(self, source: Source, link: Link, summary: Summary, since: datetime | None,
               until: datetime | None, final_url: str, prepared: Prepared, archive: Archive | None) -> None:
        """Deduplicate and write one record: synchronous, so no other article interleaves."""
        record, printed = prepared.record, prepared.printed
        if self._unrecorded:
            # First the segments on disk the store does not know (StateError, the end of the poll or run, while it
            # still cannot be written): this report may be one of them.
            self._record_published()
        if record.published_at is not None and not in_range(record.published_at, since, until):
            summary.skips["out_of_range"] += 1
            self.observer.skipped(source.id, "out_of_range")
            self.state.links.drop_pending([canonicalize(link.url, source.strip_query)])
            return
        record = self._own_identity(source, link, final_url, record, printed)
        urls = tuple(dict.fromkeys((
            canonicalize(link.url, source.strip_query),
            canonicalize(final_url, source.strip_query),
            record.canonical_url,
            # and with all their parameters, where `known_article` looks after a change of strip_query
            *((canonicalize(link.url), canonicalize(final_url)) if source.strip_query else ()),
        )))
        earlier = record.id if self.state.has_record(record.id) else None
        if earlier is None:
            # (one article listed at two addresses in one poll, http and https: the first is staged by now)
            earlier = self.state.known_article(link.url, source.strip_query)
        if earlier is None and source.strip_query:
            earlier = self.state.known_article(final_url, source.strip_query)
        if earlier is not None:
            # Another URL (a redirect, a feed variant, a second capture) of a report we already have.
            self.state.stage_aliases(urls, earlier)
            summary.already += 1
            return
        if archive is not None:
            record = replace(record, archive=archive)
        # Files the report in the near-duplicate index (staged, committed with the report) and sets its
        # story; so it comes before the sink and the state, and abort() drops all three together.
        record = self.index.assign(record, printed=printed)
        duplicate_of = record.duplicate_of
        if duplicate_of:
            summary.duplicates += 1
        try:
            self.sink.add(record)
        except OutputError:
            self.abort()
            raise
        self.state.stage(record, urls, keep_body=read_again_later(source, record),
                         text_sample=text_sample(printed.fingerprint))
        summary.written += 1
        self.observer.written(source.id, duplicate_of is not None)
        role = record.story.role if record.story else "first"
        event = "duplicate" if duplicate_of else role if role in ("update", "translation") else "article"
        log.info("%s: %s %s", source.id, event, record.canonical_url,
                 extra={"event": event, "outlet": source.id, "url": record.canonical_url})
        if record.story and record.story.merged:
            # Written records keep their story ids: the merge is announced once, in this record (story.merged).
            log.info("%s: stories %s merged into %s", source.id, ", ".join(record.story.merged), record.story.id,
                     extra={"event": "merge", "outlet": source.id, "url": record.canonical_url})
        if self.sink.due():
            self.flush()

    def _own_identity(self, source: Source, link: Link, final_url: str, record: Record,
                      printed: StoryPrint) -> Record:
        """The record under its page's own address when the canonical URL the page declares is another article's.

        A site whose pages all declare one canonical URL (a section, a placeholder left by a template, a cached
        page's) would make every article after the first one "already written". A report under the declared URL,
        whose text (`text_sample`) the page does not share, is another article: this page is filed under the
        address it was fetched at, and the earlier report is read again (revisits) at an address of its own.
        """
        declared = record.canonical_url
        if not self.state.has_record(record.id):
            return record
        strip = source.strip_query
        if record.id in (self.state.known_article(link.url, strip), self.state.known_article(final_url, strip)):
            return record  # a page of that report: read before under this address
        earlier, mine = self.state.text_sample(record.id), text_sample(printed.fingerprint)
        if not earlier or not mine or samples_agree(earlier, mine):
            return record  # its text, edited or not (or nothing to tell by: the declared URL is believed)
        own = canonicalize(final_url, strip)
        if own == declared:
            return record
        if (source.id, declared) not in self._shared_canonicals:
            self._shared_canonicals.add((source.id, declared))
            log.warning("%s: pages with different articles declare one canonical URL, %s; each is filed under "
                        "its own address", source.id, declared,
                        extra={"event": "shared_canonical", "outlet": source.id, "url": declared})
        self.state.stage_readdress(record.id, declared)
        return replace(record, id=record_id(source.id, own), canonical_url=own)

    def progress(self, key: str, value: str) -> None:
        """A run's progress (a WARC offset, a listing page done), committed with the records before it."""
        self.state.stage_progress(key, value)

    def change(self, source: Source, summary: Summary, record: Record) -> None:
        """Write a revision or tombstone record (staged with its segment, like any record)."""
        if self._unrecorded:
            self._record_published()
        try:
            self.sink.add(record)
        except OutputError:
            self.abort()
            raise
        self.state.revisits.stage_change(record)
        event = "revision" if record.revision is not None else "deleted"
        if record.revision is not None:
            summary.revised += 1
        else:
            summary.deleted += 1
        self.observer.revisited(source.id, event)
        log.info("%s: %s %s", source.id, event, record.canonical_url,
                 extra={"event": event, "outlet": source.id, "url": record.canonical_url})
        if self.sink.due():
            self.flush()

    # --- durability ----------------------------------------------------------------------------------------
    def flush(self) -> list[str]:
        """Make written records durable, then (only then) record them in the state store; the segments published.

        A segment on disk is never forgotten: when the state store cannot take its reports (a full disk),
        their staged copy is dropped and the segment is read back from disk and recorded as soon as the store
        can be written, before anything new is written (as at start-up after a crash, `reconcile`)."""
        if self._unrecorded:
            self._record_published()
        try:
            published = self.sink.flush()
        except OutputError as exc:
            self.abort()  # what is not on disk is fetched again
            if exc.published:
                self._unrecorded = str(exc)
                with contextlib.suppress(StateError):
                    self._record_published()
            raise
        if self._fault == "after_publish" and published:
            os._exit(FAULT_EXIT)  # test hook: a crash between the rename and the state commit
        try:
            self.state.commit(published)
        except StateError as exc:
            self.state.discard_staged()
            self._unrecorded = str(exc)
            log.error("%s; the records are on disk and will be recorded as soon as it can be written", exc,
                      extra={"event": "state_error"})
            raise
        self.index.prune()  # fingerprints older than the dedup window; at most once an hour
        if published:
            self.observer.segments_written(len(published))
        return published

    def flush_if_due(self) -> bool:
        """Close segments that reached their size or age limit (called on a timer); True when it did."""
        if self.sink.due():
            self.flush()
            return True
        return False

    def abort(self) -> None:
        """Drop what is not durable yet, in the sink and in the state alike; it is fetched again later."""
        self.sink.abort()
        self.state.discard_staged()

    def _record_published(self) -> None:
        """Record the segments on disk that the state store does not know; StateError while it still cannot."""
        try:
            found = self.reconcile(self._strip_query)
        except StateError as exc:
            self.state.discard_staged()
            self._unrecorded = str(exc)
            raise
        self._unrecorded = ""
        log.info("the state store records again (%d segments caught up)", found, extra={"event": "state_recovered"})

    def reconcile(self, strip_query: Mapping[str, tuple[str, ...]]) -> int:
        """Commit reports of segments that reached the disk but whose state commit was lost in a crash.

        Without this, their articles would look new and be written a second time. Only partitions from
        the newest committed segment's day on can hold such segments. Returns how many were found.
        """
        self._strip_query = strip_query
        committed = self.state.committed_segments()
        since = ""
        if committed:
            # A segment opened just after midnight may hold records fetched the day before.
            newest = datetime.strptime(max(committed)[:10], "%Y/%m/%d")
            since = (newest - timedelta(days=1)).strftime("%Y/%m/%d")
        on_disk = self.sink.segments(since)
        if committed and max(committed) not in on_disk:
            # Taken by a consumer, or deleted to start over: either way, what the store recorded is not written again.
            log.warning("the output directory no longer holds %s, the newest segment the state store recorded "
                        "(moved or deleted since): the %d reports the store holds are not written again; to collect "
                        "everything again, start with a new state store (not %s)", max(committed),
                        self.state.count_reports(), self.state.where,
                        extra={"event": "segments_gone", "reason": "segments_gone"})
        lost = [name for name in on_disk if name not in committed]
        for name in lost:
            try:
                lines = self.sink.read(name)
            except OSError as exc:
                log.error("%s cannot be read (%s); run `scraper verify-output`", name, exc.strerror or exc)
                continue
            for number, line in enumerate(lines, start=1):
                try:
                    record = Record.from_dict(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    log.error("%s line %d is not a record (%s); run `scraper verify-output`", name, number, exc)
                    continue
                if record.revision is not None or record.deleted is not None:
                    if not self.state.revisits.has_change(record):
                        self.state.revisits.stage_change(record)
                    continue
                if self.state.has_record(record.id):
                    continue
                printed = story_print(record)
                self.index.assign(record, printed=printed)  # files its print; the line on disk keeps its story
                strip = strip_query.get(record.source_id, ())
                # (record.canonical_url as written, and as spelled now: scraper/urls.py)
                self.state.stage(record, tuple(dict.fromkeys((canonicalize(record.url, strip), record.canonical_url,
                                                              canonicalize(record.canonical_url, strip)))),
                                 text_sample=text_sample(printed.fingerprint))
            self.state.commit([name], recovered=True)
            log.warning("recovered %s: its records were on disk but not in the state store", name)
        return len(lost)
