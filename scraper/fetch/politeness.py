"""Per-host politeness: concurrency and spacing per host, Retry-After, and a circuit breaker.

Each host gets its own slots (`max_concurrency_per_host`) and start times at least `delay` apart (with one
slot, also `delay` after the previous answer); hosts never wait on each other. A retry goes ahead of new work
for its host: while one waits for its back-off, first attempts on that host wait too. The breaker judges
requests, not attempts: it counts a request that failed after its retries. A host unreachable for network
reasons (DNS, connect, TLS, timeouts) is paused briefly and then for longer (30 s, doubling, up to `pause_for`),
one that answers badly for `pause_for`; any answer frees it. The clock and the sleep are injectable so tests
need not wait for real.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scraper.errors import Skip

if TYPE_CHECKING:  # a fleet's gate only: the embedded default never loads the database driver's module
    from scraper.fetch.shared import SharedHosts

log = logging.getLogger(__name__)

Clock = Callable[[], float]
# A fleet's lease on a host slot lasts this long past its start or its last renewal (plus a margin); it is renewed
# every third of it while the request runs, however long: a worker that dies holding one frees its host after it.
SHARED_LEASE = 120.0
NETWORK_PAUSE = 30.0  # the first pause of a host that does not answer at all; doubled each time, to pause_for
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Host:
    slots: asyncio.Semaphore | None = None  # made by the first request, with its outlet's concurrency
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = float("-inf")  # no request may start before this
    delay: float = 0.0  # the largest delay any outlet (or robots.txt) asked for
    failures: int = 0  # consecutive failed requests
    paused_until: float = float("-inf")
    network_pauses: int = 0  # pauses in a row for network failures: the next one lasts longer
    retrying: int = 0  # requests waiting to be tried again: new work waits for them
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()


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
        # In a fleet (many workers, one PostgreSQL): the pacing, leases and breaker every worker shares; each
        # request waits for its host here and there.
        self.shared: SharedHosts | None = None
        self.lease = SHARED_LEASE

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
        if self.shared is not None:
            self.shared.hold(host, seconds)

    def paused(self) -> dict[str, float]:
        """Hosts the circuit breaker has paused, with the seconds left."""
        now = self.clock()
        return {host: s.paused_until - now for host, s in self._hosts.items() if s.paused_until > now}

    def check_open(self, host: str) -> None:
        """Raise Skip("host_paused") while the circuit breaker holds `host` (a redirect target too)."""
        if self._host(host).paused_until > self.clock():
            raise Skip("host_paused", f"{host} is paused after repeated failures")
        if self.shared is not None and (left := self.shared.paused_for(host)) > 0:
            raise Skip("host_paused", f"{host} is paused after repeated failures (by the fleet, {left:.0f}s more)")

    def succeeded(self, host: str) -> None:
        """The host answered: it is up, whatever else happened."""
        state = self._host(host)
        if state.paused_until > self.clock() or state.network_pauses:
            log.info("%s answers again", host, extra={"event": "host_back"})
        state.failures = state.network_pauses = 0
        state.paused_until = float("-inf")
        if self.shared is not None:
            self.shared.succeeded(host)

    def failed(self, host: str, *, network: bool = False, cause: str = "") -> None:
        """Count a request that failed after its retries against `host`: the host that failed, a redirect's
        target included. `network`: nothing answered (DNS, connect, TLS, timeout)."""
        state = self._host(host)
        state.failures += 1
        if self.shared is not None and self.shared.failed(host, self.pause_after, self.pause_for):
            log.warning("pausing %s for %gs in the whole fleet after %d failed requests in a row%s", host,
                        self.pause_for, self.pause_after, f" ({cause})" if cause else "",
                        extra={"event": "host_paused"})
        if state.failures >= self.pause_after and state.paused_until <= self.clock():
            pause = self.pause_for
            if network:
                pause = min(self.pause_for, NETWORK_PAUSE * 2**state.network_pauses)
                state.network_pauses += 1
            state.paused_until = self.clock() + pause
            log.warning("pausing %s for %gs after %d failed requests in a row%s", host, pause, state.failures,
                        f" ({cause})" if cause else "", extra={"event": "host_paused"})

    def begin_retry(self, host: str) -> None:
        """A request to `host` will be tried again: new work on the host waits until it has its slot."""
        state = self._host(host)
        state.retrying += 1
        state.idle.clear()

    def end_retry(self, host: str) -> None:
        state = self._host(host)
        state.retrying = max(0, state.retrying - 1)
        if not state.retrying:
            state.idle.set()

    @asynccontextmanager
    async def slot(self, host: str, delay: float, concurrency: int = 1, *, retry: bool = False
                   ) -> AsyncIterator[None]:
        """The right to send one request to `host`. New work waits while a retry on the host is pending (in its
        back-off, or queued): `retry` marks a retry, which does not."""
        self.check_open(host)
        state = self._host(host)
        if state.slots is None:
            state.slots = asyncio.Semaphore(concurrency)
        slots = state.slots
        while True:
            if not retry:
                await state.idle.wait()
            await slots.acquire()
            if retry or state.idle.is_set():
                break
            slots.release()  # a retry came up while this new request queued: it goes first
        try:
            async with state.lock:
                now = self.clock()
                start = max(now, state.next_start)
                state.next_start = start + max(delay, state.delay)
            if start > now:
                await self.sleep(start - now)
            self.check_open(host)
            lease = None
            keeping: asyncio.Task[None] | None = None
            if self.shared is not None:
                lease = await self.shared.acquire(host, max(delay, state.delay), concurrency, self.lease)
                keeping = asyncio.create_task(self.shared.keep(lease, self.lease))
            try:
                yield
            finally:
                if keeping is not None:
                    keeping.cancel()
                if concurrency == 1:
                    # One request at a time: the delay also runs from the end of this one, so a slow
                    # answer never lets the next request arrive sooner than `delay` after it.
                    state.next_start = max(state.next_start, self.clock() + max(delay, state.delay))
                if self.shared is not None and lease is not None:
                    await self.shared.release(lease, max(delay, state.delay), concurrency == 1)
        finally:
            slots.release()
