"""Backfill progress on stderr: a rich progress bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from scraper.observe import NullObserver


class BackfillProgress(NullObserver):
    """Counts links discovered (the total) and processed (done); shows the rate.

    Reading archives, the number of articles is only known at their end: the bar and the ETA then go by the
    bytes read of all the archive files, the ETA at the rate of this run (a resumed run starts part-way).
    """

    def __init__(self, stream: TextIO | None = None, every: float = 10.0, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self._last_line = float("-inf")
        self._sizes: dict[str, int] = {}  # archive path -> bytes
        self._read: dict[str, int] = {}  # archive path -> bytes read
        self._start: dict[str, int] = {}  # archive path -> where this run started in it
        self._bar: Progress | None = None
        self._task = None
        if self.tty:
            self._bar = Progress(TextColumn("backfill"), BarColumn(), TextColumn("{task.fields[counts]}"),
                                 TextColumn("{task.fields[rate]:.1f} articles/s"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(file=self.stream), transient=False)
            self._task = self._bar.add_task("backfill", total=None, rate=0.0, counts="0/0 articles")
            self._bar.start()

    @property
    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-9)

    def discovered(self, outlet: str, links: int) -> None:
        self.total += links
        self._show()

    def processed(self, outlet: str) -> None:
        self.done += 1
        self._show()

    def archives(self, sizes: dict[str, int]) -> None:
        self._sizes.update(sizes)
        self._show()

    def archive_read(self, path: str, offset: int) -> None:
        self._start.setdefault(path, offset)
        self._read[path] = offset
        self._show()

    def _archive_share(self) -> tuple[int, int, float | None]:
        """Bytes read and bytes in all, and the seconds left at this run's rate (None before any rate)."""
        size = sum(self._sizes.values())
        read = sum(min(self._read.get(path, 0), total) for path, total in self._sizes.items())
        this_run = sum(offset - self._start[path] for path, offset in self._read.items())
        elapsed = time.monotonic() - self.started
        left = (size - read) / (this_run / elapsed) if this_run > 0 and elapsed > 0 else None
        return read, size, left

    def _show(self, final: bool = False) -> None:
        counts = f"{self.done}/{self.total} articles"
        if self._bar is not None and self._task is not None:
            if self._sizes:
                read, size, _ = self._archive_share()
                self._bar.update(self._task, total=size or None, completed=read, rate=self.rate,
                                 counts=f"{counts}, {read / max(size, 1):.0%} of the archives")
            else:
                self._bar.update(self._task, total=self.total or None, completed=self.done, rate=self.rate,
                                 counts=counts)
            return
        now = time.monotonic()
        if final or now - self._last_line >= self.every:
            self._last_line = now
            line = f"progress: {counts}, {self.rate:.1f}/s"
            if self._sizes:
                read, size, left = self._archive_share()
                line += f", {read / max(size, 1):.0%} of the archives"
                if left is not None and read < size:
                    line += f", ETA {_duration(left)}"
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        else:
            self._show(final=True)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
