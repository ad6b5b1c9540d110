"""What the pipeline reports as it works, for metrics and progress: a small observer protocol.

The pipeline, the fetcher and the daemon call these hooks; they never know who listens. `Observers`
fans out to several listeners; `NullObserver` is the default and does nothing.
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    def fetched(self, outlet: str, status: int, seconds: float, size: int) -> None:
        """One HTTP answer (status 0: no answer at all)."""

    def discovered(self, outlet: str, links: int) -> None:
        """A poll found this many new links to process."""

    def processed(self, outlet: str) -> None:
        """One discovered link is done with, whatever became of it."""

    def written(self, outlet: str, duplicate: bool) -> None: ...

    def skipped(self, outlet: str, reason: str) -> None: ...

    def revisited(self, outlet: str, kind: str) -> None:
        """An article read again was written again: `kind` is revision or deleted (a tombstone)."""

    def polled(self, outlet: str, result: str, at: float) -> None:
        """A poll ended with `result` (ok, unreachable, refused, error; `at` is a Unix time)."""

    def segments_written(self, count: int) -> None: ...

    def hosts_paused(self, count: int) -> None: ...

    def archives(self, sizes: dict[str, int]) -> None:
        """The archive files a backfill is about to read, and their sizes in bytes."""

    def archive_read(self, path: str, offset: int) -> None:
        """An archive file is read up to `offset` (its size at the end); the first call is where this run
        starts in it (a resumed run starts part-way)."""

    def rule_missed(self, outlet: str, rule: str) -> None:
        """One of the outlet's own rules (a selector) matched nothing on a page; the generic path stood in."""

    def rule_drift(self, outlet: str, rule: str, drifting: bool) -> None:
        """A rule has missed on enough pages in a row to be a problem (or, False, matches again)."""


class NullObserver:
    def fetched(self, outlet: str, status: int, seconds: float, size: int) -> None:
        pass

    def discovered(self, outlet: str, links: int) -> None:
        pass

    def processed(self, outlet: str) -> None:
        pass

    def written(self, outlet: str, duplicate: bool) -> None:
        pass

    def skipped(self, outlet: str, reason: str) -> None:
        pass

    def revisited(self, outlet: str, kind: str) -> None:
        pass

    def polled(self, outlet: str, result: str, at: float) -> None:
        pass

    def segments_written(self, count: int) -> None:
        pass

    def hosts_paused(self, count: int) -> None:
        pass

    def archives(self, sizes: dict[str, int]) -> None:
        pass

    def archive_read(self, path: str, offset: int) -> None:
        pass

    def rule_missed(self, outlet: str, rule: str) -> None:
        pass

    def rule_drift(self, outlet: str, rule: str, drifting: bool) -> None:
        pass


class Observers(NullObserver):
    """Several observers as one, called in order."""

    def __init__(self, *observers: Observer) -> None:
        self.observers = observers

    def fetched(self, outlet: str, status: int, seconds: float, size: int) -> None:
        for o in self.observers:
            o.fetched(outlet, status, seconds, size)

    def discovered(self, outlet: str, links: int) -> None:
        for o in self.observers:
            o.discovered(outlet, links)

    def processed(self, outlet: str) -> None:
        for o in self.observers:
            o.processed(outlet)

    def written(self, outlet: str, duplicate: bool) -> None:
        for o in self.observers:
            o.written(outlet, duplicate)

    def skipped(self, outlet: str, reason: str) -> None:
        for o in self.observers:
            o.skipped(outlet, reason)

    def revisited(self, outlet: str, kind: str) -> None:
        for o in self.observers:
            o.revisited(outlet, kind)

    def polled(self, outlet: str, result: str, at: float) -> None:
        for o in self.observers:
            o.polled(outlet, result, at)

    def segments_written(self, count: int) -> None:
        for o in self.observers:
            o.segments_written(count)

    def hosts_paused(self, count: int) -> None:
        for o in self.observers:
            o.hosts_paused(count)

    def archives(self, sizes: dict[str, int]) -> None:
        for o in self.observers:
            o.archives(sizes)

    def archive_read(self, path: str, offset: int) -> None:
        for o in self.observers:
            o.archive_read(path, offset)

    def rule_missed(self, outlet: str, rule: str) -> None:
        for o in self.observers:
            o.rule_missed(outlet, rule)

    def rule_drift(self, outlet: str, rule: str, drifting: bool) -> None:
        for o in self.observers:
            o.rule_drift(outlet, rule, drifting)
