"""robots.txt, fetched once per host and cached (protego parses it): may we fetch this URL, how slowly?"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from scraper.errors import Skip
from scraper.records import Source

log = logging.getLogger(__name__)

ROBOTS_TTL = 24 * 3600.0  # as Google does: a day
ROBOTS_RETRY = 600.0  # after a 429 or 5xx, everything on the host waits this long for a new try
# When robots.txt cannot be reached at all (DNS, connect, TLS, timeout) the network, not the site, is the
# likely cause: the host is tried again after this, doubled each time it fails again, up to ROBOTS_RETRY.
UNREACHABLE_RETRY = 30.0
MAX_ROBOTS_BYTES = 500_000


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    """What fetching /robots.txt gave: a status (0 for no answer), the text, and any Retry-After."""

    status: int
    text: str = ""
    retry_after: float | None = None
    cause: str = ""  # with status 0: why nothing answered ("the name does not resolve (DNS)")


@dataclass
class _Entry:
    rules: Protego | None  # None: everything allowed (no usable robots.txt)
    disallow_all: bool
    expires: float
    unreachable: str = ""  # why the host could not be reached, when that is why everything waits
    failures: int = 0  # times in a row robots.txt could not be reached


FetchRobots = Callable[[str, Source], Awaitable[RobotsAnswer]]


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: "newsnorm" of "newsnorm/0.1 (+...)"."""
    return user_agent.split("/")[0].split()[0] if user_agent.strip() else "*"


class RobotsCache:
    """Answers `check(url, source)` from a per-host cache, fetching robots.txt when needed."""

    def __init__(self, fetch: FetchRobots, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def _entry(self, origin: str, source: Source) -> _Entry:
        async with self._locks.setdefault(origin, asyncio.Lock()):
            entry = self._entries.get(origin)
            if entry is not None and entry.expires > self._clock():
                return entry
            answer = await self._fetch(f"{origin}/robots.txt", source)
            now = self._clock()
            if 200 <= answer.status < 300:
                entry = _Entry(Protego.parse(answer.text[:MAX_ROBOTS_BYTES]), False, now + ROBOTS_TTL)
            elif 400 <= answer.status < 500 and answer.status != 429:
                entry = _Entry(None, False, now + ROBOTS_TTL)  # no robots.txt: everything is allowed
            elif answer.status == 0:
                # Nothing answered: offline, or a blocked route. Not the site's refusal: tried again soon. (The
                # fetcher has named the cause in the log, once per host.)
                failures = entry.failures + 1 if entry is not None and entry.unreachable else 1
                wait = min(UNREACHABLE_RETRY * 2 ** (failures - 1), ROBOTS_RETRY)
                entry = _Entry(None, True, now + wait, answer.cause or "no answer", failures)
            else:
                # 429 or 5xx: the site is in trouble; fetch nothing there for now.
                wait = min(answer.retry_after or ROBOTS_RETRY, source.max_retry_after)
                log.warning("%s/robots.txt unavailable (HTTP %s); not fetching from it for %gs", origin,
                            answer.status, wait, extra={"event": "robots_unavailable", "url": origin})
                entry = _Entry(None, True, now + wait)
            self._entries[origin] = entry
            return entry

    async def check(self, url: str, source: Source) -> float:
        """Raise Skip if robots.txt forbids `url`; else return its Crawl-delay for us (0 if none)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        entry = await self._entry(origin, source)
        if entry.disallow_all:
            if entry.unreachable:
                raise Skip("unreachable", f"cannot reach {origin} ({entry.unreachable}); retrying soon: {url}")
            raise Skip("robots_unavailable", f"{origin}/robots.txt could not be read; retrying later: {url}")
        if entry.rules is None:
            return 0.0
        agent = agent_token(source.user_agent)
        if not entry.rules.can_fetch(url, agent):
            raise Skip("robots", f"robots.txt disallows {url}")
        delay = float(entry.rules.crawl_delay(agent) or 0.0)
        if delay > source.max_crawl_delay:
            raise Skip("crawl_delay", f"{origin} asks for a Crawl-delay of {delay:g}s, over our cap of "
                                      f"{source.max_crawl_delay:g}s: skipping the host")
        return delay
