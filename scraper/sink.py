"""JSONL output segments: written under a hidden temporary name, fsynced, then renamed into place.

Layout: `<output>/YYYY/MM/DD/<YYYYMMDDTHHMMSSZ>-<seq>.jsonl`, partitioned by fetch date (UTC). A visible
`*.jsonl` file is complete and never changes again; a reader never sees a partial line.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Protocol

from scraper.errors import OutputError
from scraper.records import Record

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
LOCK_NAME = ".scraper.lock"


class Sink(Protocol):
    """Where records go. `flush()` makes everything added so far durable and returns the new files."""

    def add(self, record: Record) -> None: ...

    def flush(self) -> list[Path]: ...

    def close(self) -> None: ...


def encode(record: Record) -> str:
    """One record as one JSONL line (UTF-8 text, no raw newlines inside)."""
    return json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"


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
    opened: datetime = field(default_factory=lambda: datetime.now(UTC))


class JsonlSink:
    """Writes segments into an output directory it holds an exclusive lock on."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.root / LOCK_NAME, "a+")  # noqa: SIM115 - held for the sink's life
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot write the output directory: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise OutputError(f"{self.root}: another scraper process is writing here") from None
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
            segment.handle.write(encode(record))
            segment.records += 1
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot write a record: {exc.strerror}") from None

    @property
    def pending(self) -> int:
        return sum(segment.records for segment in self._open.values())

    def flush(self) -> list[Path]:
        published: list[Path] = []
        try:
            for day in list(self._open):
                segment = self._open.pop(day)
                segment.handle.flush()
                os.fsync(segment.handle.fileno())
                segment.handle.close()
                os.replace(segment.temp, segment.final)
                _fsync_dir(segment.final.parent)
                published.append(segment.final)
                log.info("wrote %d records to %s", segment.records, segment.final)
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot publish a segment: {exc.strerror}") from None
        return published

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._lock.close()
