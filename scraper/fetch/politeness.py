"""Per-host politeness: concurrency and spacing per host, Retry-After, and a circuit breaker.

Each host gets its own slots (`max_concurrency_per_host`) and start times at least `delay` apart (with one
slot, also `delay` after the previous answer); hosts never wait on each other. The clock and the sleep are
injectable so tests need not wait for real.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from scraper.errors import Skip

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Host:
    slots: asyncio.Semaphore | None = None  # made by the first request, with its outlet's concurrency
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = float("-inf")  # no request may start before this
    delay: float = 0.0  # the largest delay any outlet (or robots.txt) asked for
    failures: int = 0  # consecutive failed attempts
    paused_until: float = float("-inf")


class HostGate:
    """Hands out the right to send one request to a host."""

    def __init__(
        self,
        *,
        pause_after: int = 5,
        pause_for: float = 600.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._hosts: dict[str, _Host] = {}
        self.pause_after = pause_after
        self.pause_for = pause_for
        self.clock = clock
        self.sleep = sleep

    def _host(self, host: str) -> _Host:
        return self._hosts.setdefault(host, _Host())

    def raise_delay(self, host: str, delay: float) -> None:
        """Make a host's requests at least `delay` apart from now on (robots.txt Crawl-delay)."""
        state = self._host(host)
        state.delay = max(state.delay, delay)

    def hold(self, host: str, seconds: float) -> None:
        """Start nothing on `host` for `seconds` (Retry-After)."""
        state = self._host(host)
        state.next_start = max(state.next_start, self.clock() + seconds)

    def paused(self) -> dict[str, float]:
        """Hosts the circuit breaker has paused, with the seconds left."""
        now = self.clock()
        return {host: s.paused_until - now for host, s in self._hosts.items() if s.paused_until > now}

    def check_open(self, host: str) -> None:
        """Raise Skip("host_paused") while the circuit breaker holds `host` (a redirect target too)."""
        if self._host(host).paused_until > self.clock():
            raise Skip("host_paused", f"{host} is paused after repeated failures")

    def succeeded(self, host: str) -> None:
        self._host(host).failures = 0

    def failed(self, host: str) -> None:
        """Count a failed attempt against `host`: the host that failed, a redirect's target included."""
        state = self._host(host)
        state.failures += 1
        if state.failures >= self.pause_after and state.paused_until <= self.clock():
            state.paused_until = self.clock() + self.pause_for
            log.warning("pausing %s for %gs after %d consecutive failures", host, self.pause_for, state.failures)

    @asynccontextmanager
    async def slot(self, host: str, delay: float, concurrency: int = 1) -> AsyncIterator[None]:
        self.check_open(host)
        state = self._host(host)
        if state.slots is None:
            state.slots = asyncio.Semaphore(concurrency)
        async with state.slots:
            async with state.lock:
                now = self.clock()
                start = max(now, state.next_start)
                state.next_start = start + max(delay, state.delay)
            if start > now:
                await self.sleep(start - now)
            self.check_open(host)
            try:
                yield
            finally:
                if concurrency == 1:
                    # One request at a time: the delay also runs from the end of this one, so a slow
                    # answer never lets the next request arrive sooner than `delay` after it.
                    state.next_start = max(state.next_start, self.clock() + max(delay, state.delay))
