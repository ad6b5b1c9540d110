"""The Internet Archive's Wayback Machine as a second road to an outlet: its CDX index of captures, and the pages
as captured.

Outlets that block or drop many networks (KCNA, Rodong Sinmun: docs/outlets.md, "DPRK sites from elsewhere") are
still read by analysts through the archive: the CDX API lists the captures of a URL or of every URL under a
prefix, and `<archive>/web/<timestamp>id_/<url>` serves a capture as the site sent it (`id_`: without the
archive's toolbar or rewritten links). Everything here is pure except `Wayback`, which asks the archive through
the same polite fetcher as any host (its own delay, Retry-After, circuit breaker).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from protego import Protego

from scraper.errors import Skip
from scraper.fetch.client import Fetcher, Kind
from scraper.fetch.robots import agent_token
from scraper.records import Archive, Fetched, Settings, Source
from scraper.urls import parsable

DEFAULT_ARCHIVE = "https://web.archive.org"
# How the archive is asked: (url, source, kind, check robots.txt) -> the answer; the fetcher's `get`.
ArchiveGet = Callable[[str, Source, Kind, bool], Awaitable[Fetched]]
SERVICE = "wayback"
_TIMESTAMP = "%Y%m%d%H%M%S"


@dataclass(frozen=True, slots=True)
class Capture:
    """One capture the CDX index lists: the URL as captured, when (UTC), and the status it had."""

    url: str
    timestamp: str  # 14 digits, UTC: what the archive's URLs carry
    status: int = 200

    @property
    def captured_at(self) -> datetime:
        return datetime.strptime(self.timestamp, _TIMESTAMP).replace(tzinfo=UTC)


def stamp(moment: datetime) -> str:
    """A datetime as the archive's 14-digit UTC timestamp (or a prefix of one, which CDX accepts)."""
    return moment.astimezone(UTC).strftime(_TIMESTAMP)


def cdx_url(archive: str, target: str, *, prefix: bool = False, since: datetime | None = None,
            until: datetime | None = None, latest: bool = False) -> str:
    """The CDX query for the captures of `target` (a URL, or with `prefix` every URL under it) that answered
    200, one per URL (`collapse=urlkey`, the newest kept by `newest_captures`), in a time range; `latest`: only
    the newest capture of one URL."""
    params: list[tuple[str, str]] = [("url", target), ("output", "json"), ("fl", "timestamp,original,statuscode"),
                                     ("filter", "statuscode:200")]
    if prefix:
        params += [("matchType", "prefix")]
    if since is not None:
        params.append(("from", stamp(since)))
    if until is not None:
        params.append(("to", stamp(until)))
    if latest:
        params.append(("limit", "-1"))  # the last line: the newest capture
    return f"{archive.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def parse_cdx(text: str) -> list[Capture]:
    """The captures of a CDX answer in JSON (a header row, then rows of the requested fields); an empty answer
    is no captures. Skip("bad_archive") when it is not such an answer."""
    if not text.strip():
        return []
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Skip("bad_archive", f"the archive's index answered something other than JSON: {exc}") from None
    if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
        raise Skip("bad_archive", "the archive's index answered JSON of another shape")
    if not rows:
        return []
    header = [str(name) for name in rows[0]]
    try:
        at_time, at_url = header.index("timestamp"), header.index("original")
    except ValueError:
        raise Skip("bad_archive", f"the archive's index rows lack timestamp or original: {header}") from None
    at_status = header.index("statuscode") if "statuscode" in header else None
    captures = []
    for row in rows[1:]:
        if not isinstance(row, list) or len(row) < len(header):
            continue
        timestamp, url = str(row[at_time]), str(row[at_url])
        if (len(timestamp) != 14 or not timestamp.isdigit() or not url.startswith(("http://", "https://"))
                or not parsable(url)):
            continue
        status = str(row[at_status]) if at_status is not None else "200"
        captures.append(Capture(url, timestamp, int(status) if status.isdigit() else 0))
    return captures


def _key(url: str) -> str:
    """What tells two captured URLs apart as one article: scheme and `www.` aside, as the archive's urlkey."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path}?{parts.query}" if parts.query else f"{host}{parts.path}"


def newest_captures(captures: Iterable[Capture]) -> list[Capture]:
    """One capture per article URL, the newest, oldest article first: an article edited after its first capture
    is read as it last stood."""
    newest: dict[str, Capture] = {}
    for capture in captures:
        key = _key(capture.url)
        if capture.status == 200 and (key not in newest or capture.timestamp > newest[key].timestamp):
            newest[key] = capture
    return sorted(newest.values(), key=lambda capture: (capture.timestamp, capture.url))


def capture_url(archive: str, capture: Capture) -> str:
    """Where the archive serves a capture as the site sent it (no toolbar, no rewritten links)."""
    return f"{archive.rstrip('/')}/web/{capture.timestamp}id_/{capture.url}"


def as_captured(fetched: Fetched, capture: Capture) -> Fetched:
    """A page fetched from the archive, as the outlet served it: its own URL, fetched when it was captured."""
    return replace(fetched, url=capture.url, final_url=capture.url, fetched_at=capture.captured_at)


def fresh_enough(capture: Capture, now: datetime, max_age: timedelta) -> bool:
    return now - capture.captured_at <= max_age


class Wayback:
    """Reads an outlet through the archive: the newest capture of a URL, the captures under a prefix, a capture
    as the outlet sent it, and the outlet's own robots.txt rules as captured (they still apply to what we take).

    Requests go through the polite fetcher, to the archive's host: its own delay (one request at a time),
    Retry-After and circuit breaker. The archive's API is meant for programs: its own robots.txt is not read.
    """

    def __init__(self, fetcher: ArchiveGet, archive: str = DEFAULT_ARCHIVE, *, delay: float = 2.0,
                 max_age: timedelta = timedelta(days=30), allow_private: bool | tuple[str, ...] = False) -> None:
        self._get = fetcher
        self.archive = archive.rstrip("/")
        self.delay = delay
        self.max_age = max_age
        self.allow_private = allow_private
        self._robots: dict[str, Protego | None] = {}  # origin -> its rules as last captured (None: none)

    @classmethod
    def of(cls, fetcher: Fetcher, settings: Settings) -> Wayback:
        """The web archive `settings` name, read through `fetcher` (its politeness, guards and robots.txt)."""
        return cls(lambda url, source, kind, robots: fetcher.get(url, source, kind, check_robots=robots),
                   settings.archive_url, delay=settings.archive_delay,
                   max_age=timedelta(seconds=settings.archive_max_age), allow_private=settings.archive_allow_private)

    def _source(self, source: Source) -> Source:
        return replace(source, delay=self.delay, max_concurrency_per_host=1, allow_private=self.allow_private)

    async def latest(self, url: str, source: Source, now: datetime, *, max_age: timedelta | None = None
                     ) -> Capture | None:
        """The newest capture of `url` that answered 200, if it is recent enough (`max_age`, else the
        archive's); None when there is none."""
        answer = await self._get(cdx_url(self.archive, url, latest=True), self._source(source), "feed", False)
        captures = [capture for capture in parse_cdx(answer.text) if capture.status == 200]
        if not captures:
            return None
        newest = max(captures, key=lambda capture: capture.timestamp)
        return newest if fresh_enough(newest, now, max_age or self.max_age) else None

    async def captures(self, prefix: str, source: Source, since: datetime | None, until: datetime | None
                       ) -> list[Capture]:
        """Every capture under `prefix` in the range (one per article URL, the newest), oldest first."""
        answer = await self._get(cdx_url(self.archive, prefix, prefix=True, since=since, until=until),
                                 self._source(source), "feed", False)
        return newest_captures(parse_cdx(answer.text))

    async def fetch(self, capture: Capture, source: Source, kind: Kind = "page") -> Fetched:
        """A capture, as the outlet served it (its own URL, fetched at the capture time)."""
        fetched = await self._get(capture_url(self.archive, capture), self._source(source), kind, False)
        return as_captured(fetched, capture)

    async def read(self, url: str, source: Source, capture: Capture | None = None, kind: Kind = "page"
                   ) -> tuple[Fetched, Archive]:
        """A page as the archive last captured it (or as `capture`), and where it came from. Skip `not_archived`
        when there is no recent capture (the link waits), `robots` when the outlet's own robots.txt, as captured,
        forbids it."""
        now = datetime.now(UTC)
        if capture is None:
            capture = await self.latest(url, source, now)
            if capture is None:
                raise Skip("not_archived", f"no capture of it in the last {self.max_age.days} days: {url}")
        if not await self.allowed(capture.url, source, now):
            raise Skip("robots", f"the outlet's robots.txt (as captured) disallows {capture.url}")
        fetched = await self.fetch(capture, source, kind)
        return fetched, Archive(service=SERVICE, timestamp=capture.timestamp, url=capture_url(self.archive, capture))

    async def allowed(self, url: str, source: Source, now: datetime) -> bool:
        """Whether the outlet's robots.txt, as last captured, lets us take `url` (no capture: allowed, as no
        robots.txt is)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in self._robots:
            rules = None
            try:
                capture = await self.latest(f"{origin}/robots.txt", source, now, max_age=timedelta(days=3650))
                if capture is not None:
                    rules = Protego.parse((await self.fetch(capture, source, "feed")).text[:500_000])
            except Skip:
                pass  # no usable capture: as no robots.txt
            self._robots[origin] = rules
        rules = self._robots[origin]
        return rules is None or bool(rules.can_fetch(url, agent_token(source.user_agent)))
