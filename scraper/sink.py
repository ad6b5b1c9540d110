"""JSONL output segments: written under a hidden temporary name, fsynced, then renamed into place.

Layout: `<output>/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>-<seq>.jsonl`, partitioned by fetch date (UTC). A visible
`*.jsonl` file is complete and never changes again; a reader never sees a partial line.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Protocol

from scraper.errors import OutputError
from scraper.records import Record
from scraper.text import json_line, scrub

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
LOCK_NAME = ".scraper.lock"
MAX_LINE_BYTES = 100_000  # Vector drops longer lines and Fluent Bit stops on them
SEGMENT_RECORDS = 1000
SEGMENT_SECONDS = 30.0
SEGMENT_NAME = re.compile(r"^\d{8}T\d{6}Z-\d{4,}\.jsonl$")


class Sink(Protocol):
    """Where records go. `flush()` makes everything added so far durable and returns the new files."""

    def add(self, record: Record) -> None: ...

    def due(self) -> bool: ...

    def flush(self) -> list[str]: ...

    def abort(self) -> None: ...

    def segments(self, since_day: str = "") -> list[str]: ...

    def read(self, name: str) -> list[str]: ...

    def close(self) -> None: ...


def _dumps(record: Record) -> str:
    # Text is scrubbed where it enters (scraper/text.py); a lone surrogate that got past would make the line
    # unwritable and stop the run, so the line is scrubbed again: in JSON it can only sit inside a string.
    return scrub(json_line(record.to_dict())) + "\n"


def _size(record: Record) -> int:
    return len(_dumps(record).encode("utf-8"))


def _json_size(value: object) -> int:
    """Bytes of `value` as a line writes it."""
    return len(json_line(value).encode("utf-8"))


def _fewer_names(record: Record, budget: int) -> Record:
    """The record with the people it names cut to the most mentioned whose entries fit in `budget` bytes, in
    their order (a page naming thousands of people: a list of deputies, of delegates)."""
    sizes = [_json_size(group.to_dict()) + 1 for group in record.names]
    kept: set[int] = set()
    used = 0
    for number in sorted(range(len(sizes)), key=lambda n: -record.names[n].count):
        if used + sizes[number] > budget:
            break
        kept.add(number)
        used += sizes[number]
    return replace(record, names=tuple(group for n, group in enumerate(record.names) if n in kept))


def encode(record: Record, max_bytes: int = MAX_LINE_BYTES) -> str:
    """One record as one JSONL line under `max_bytes`: a longer body loses paragraphs from its end (and, when the
    people it names alone would take more than half the line, the least mentioned of them go first)."""
    line = _dumps(record)
    if len(line.encode("utf-8")) <= max_bytes:
        return line
    record = replace(record, truncated=True, title=record.title[:1000])
    overhead = _size(replace(record, body=""))
    if overhead > max_bytes // 2 and record.names:
        names = _json_size([group.to_dict() for group in record.names])
        record = _fewer_names(record, max_bytes // 2 - (overhead - names))
        overhead = _size(replace(record, body=""))
    if overhead > max_bytes:  # no field is that long once evidence and names are bounded; the line limit holds
        record = replace(record, names=(), editor_notes=(), subtitle=None, authors=record.authors[:10])
        overhead = _size(replace(record, body=""))
    budget = max_bytes - overhead
    kept: list[str] = []
    used = 0
    for paragraph in record.body.split("\n\n"):
        # JSON escaping can grow a character to 6 bytes ("\u2028"); count what will be written.
        size = _json_size(paragraph) + 4
        if used + size > budget:
            break
        kept.append(paragraph)
        used += size
    if not kept:  # a single giant paragraph: cut it at a character boundary instead
        text = record.body
        while text and _json_size(text) > budget:
            text = text[: len(text) * 3 // 4]
        kept = [text]
    return _dumps(replace(record, body="\n\n".join(kept)))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class _Segment:
    temp: Path
    final: Path
    handle: IO[str]
    records: int = 0
    opened: float = field(default_factory=time.monotonic)


class JsonlSink:
    """Writes segments into an output directory it holds an exclusive lock on.

    A segment is due for closing after `segment_records` records or `segment_seconds` seconds; the
    pipeline asks `due()` and flushes, so that state is committed right after each segment is durable.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        segment_records: int = SEGMENT_RECORDS,
        segment_seconds: float = SEGMENT_SECONDS,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.root = Path(root)
        self.segment_records = segment_records
        self.segment_seconds = segment_seconds
        self.max_line_bytes = max_line_bytes
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.root / LOCK_NAME, "a+")  # noqa: SIM115 - held for the sink's life
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot write the output directory: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lock.close()
            if isinstance(exc, BlockingIOError):
                raise OutputError(f"{self.root}: another scraper process is writing here") from None
            # (a network filesystem without a lock service: ENOLCK)
            raise OutputError(f"{self.root}: cannot lock the output directory: {exc.strerror}; use a directory "
                              "on a filesystem that has locks") from None
        self._open: dict[date, _Segment] = {}
        self._sequence = 0
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        # A temp file left by a crash holds records the state store never committed: they will be
        # fetched again, so publishing the file would duplicate them.
        for temp in self.root.glob(f"*/*/*/.*{TEMP_SUFFIX}"):
            log.warning("removing unfinished segment %s left by an earlier run", temp)
            temp.unlink(missing_ok=True)

    def _segment(self, day: date) -> _Segment:
        if day in self._open:
            return self._open[day]
        folder = self.root / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        while True:
            self._sequence += 1
            name = f"{stamp}-{self._sequence:04d}.jsonl"
            final = folder / name
            temp = folder / f".{name}{TEMP_SUFFIX}"
            if not final.exists() and not temp.exists():
                break
        segment = _Segment(temp=temp, final=final, handle=open(temp, "x", encoding="utf-8"))  # noqa: SIM115
        self._open[day] = segment
        return segment

    def add(self, record: Record) -> None:
        try:
            segment = self._segment(record.fetched_at.astimezone(UTC).date())
            segment.handle.write(encode(record, self.max_line_bytes))
            segment.records += 1
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot write a record: {exc.strerror}") from None

    @property
    def pending(self) -> int:
        return sum(segment.records for segment in self._open.values())

    def due(self) -> bool:
        """True when an open segment is full or old enough to be closed."""
        now = time.monotonic()
        return any(s.records >= self.segment_records or now - s.opened >= self.segment_seconds
                   for s in self._open.values())

    def flush(self) -> list[str]:
        """Close every open segment durably; return their paths relative to the output directory."""
        published: list[str] = []
        try:
            for day in list(self._open):
                segment = self._open[day]
                segment.handle.flush()
                os.fsync(segment.handle.fileno())
                segment.handle.close()
                os.replace(segment.temp, segment.final)
                _fsync_dir(segment.final.parent)
                del self._open[day]
                published.append(segment.final.relative_to(self.root).as_posix())
                log.info("wrote %d records to %s", segment.records, segment.final)
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot publish a segment: {exc.strerror}", tuple(published)) from None
        return published

    def abort(self) -> None:
        """Throw away open segments (after a write failed): their records will be fetched again."""
        for segment in self._open.values():
            with contextlib.suppress(OSError):  # closing flushes the buffer, which may fail again
                segment.handle.close()
            segment.temp.unlink(missing_ok=True)
        self._open.clear()

    def segments(self, since_day: str = "") -> list[str]:
        """Visible segments ("YYYY/MM/DD/name.jsonl") in partitions from `since_day` on, in order."""
        found: list[str] = []
        for folder in sorted(self.root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]")):
            day = folder.relative_to(self.root).as_posix()
            if day >= since_day:
                # Only files named as this sink names them: a consumer's copy or a directory named *.jsonl is
                # not ours (`scraper verify-output` names them).
                found.extend(f"{day}/{p.name}" for p in sorted(folder.glob("*.jsonl"))
                             if SEGMENT_NAME.match(p.name) and p.is_file())
        return found

    def read(self, name: str) -> list[str]:
        """A segment's lines (split at "\n" only, as written); bytes that are no UTF-8 (a damaged disk) become
        U+FFFD. OSError if unreadable."""
        text = (self.root / name).read_bytes().decode("utf-8", errors="replace")
        return text.removesuffix("\n").split("\n") if text else []

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._lock.close()
