"""Backfill progress on stderr: a rich progress bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from scraper.observe import NullObserver


class BackfillProgress(NullObserver):
    """Counts links discovered (the total) and processed (done); shows the rate."""

    def __init__(self, stream: TextIO | None = None, every: float = 10.0, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self._last_line = float("-inf")
        self._bar: Progress | None = None
        self._task = None
        if self.tty:
            self._bar = Progress(TextColumn("backfill"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]:.1f} articles/s"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(file=self.stream), transient=False)
            self._task = self._bar.add_task("backfill", total=None, rate=0.0)
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

    def _show(self, final: bool = False) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=self.total or None, completed=self.done, rate=self.rate)
            return
        now = time.monotonic()
        if final or now - self._last_line >= self.every:
            self._last_line = now
            print(f"progress: {self.done}/{self.total} articles, {self.rate:.1f}/s", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        else:
            self._show(final=True)
