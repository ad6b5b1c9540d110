"""CC-NEWS, Common Crawl's news crawl, read straight from its server: which WARC files hold a period, and each as
a stream.

Common Crawl lists a month's files in `crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz` (gzip text, one path a line,
`crawl-data/CC-NEWS/2026/10/CC-NEWS-20261001012345-01234.warc.gz`), under https://data.commoncrawl.org/. A file's
name carries the UTC time it was started, and it holds the captures made from then until the next file starts (about
1 GB of gzip members, one per record). A period's files are those started in it, and the last one started before
it, which runs on into the period (for a period starting on the 1st, that is the previous month's last file).

Everything here is pure except `CCNews`, which asks the server through the polite fetcher, under its own
politeness (`[ccnews]`: one request at a time, `delay` apart, Retry-After and the breaker as for any host).
"""

from __future__ import annotations

import asyncio
import logging
import re
import zlib
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from scraper.discover.warc import ArchivedPage, WarcSkip, read_warc_stream
from scraper.errors import Skip
from scraper.fetch.client import Fetcher
from scraper.fetch.ranged import RemoteFile
from scraper.records import Settings, Source
from scraper.summary import UNREACHABLE, PollResult

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://data.commoncrawl.org/"
FIRST_MONTH = datetime(2016, 8, 1, tzinfo=UTC)  # CC-NEWS began in August 2016
MAX_LISTING = 20_000_000  # bytes of a listing, compressed and inflated (a month's is about 60 KB inflated)
_FILE_TIME = re.compile(r"CC-NEWS-(\d{14})-\d+\.warc(?:\.gz)?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
PERIOD_HELP = "a month (2026-10), a day (2026-10-03) or a range of either (2026-10-03..2026-10-05, inclusive)"


@dataclass(frozen=True, slots=True)
class Period:
    """A span of capture time, UTC: from `start` (inclusive) to `end` (exclusive)."""

    start: datetime
    end: datetime

    def months(self) -> list[tuple[int, int]]:
        """The (year, month) of every month the period touches, in order: the listings to read."""
        months: list[tuple[int, int]] = []
        year, month = self.start.year, self.start.month
        last = self.end - timedelta(microseconds=1)
        while (year, month) <= (last.year, last.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def __str__(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.start:%Y-%m-%d}" if last <= self.start else f"{self.start:%Y-%m-%d}..{last:%Y-%m-%d}"


def _bound(text: str, *, end: bool) -> datetime:
    """A month or a day → its first moment, or (`end`) the first moment after it."""
    if found := _MONTH.match(text):
        year, month = int(found.group(1)), int(found.group(2))
        moment = datetime(year, month, 1, tzinfo=UTC)
        if end:
            moment = datetime(year + 1, 1, 1, tzinfo=UTC) if month == 12 else datetime(year, month + 1, 1, tzinfo=UTC)
        return moment
    if found := _DAY.match(text):
        moment = datetime(int(found.group(1)), int(found.group(2)), int(found.group(3)), tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    raise ValueError(f'expected {PERIOD_HELP}, got "{text}"')


def parse_period(text: str) -> Period:
    """`2026-10`, `2026-10-03`, `2026-10-03..2026-10-05`, `2026-09..2026-10` → a Period; ValueError saying what
    is expected otherwise (a day that does not exist, an end before the start, a period before CC-NEWS)."""
    first, dots, last = text.strip().partition("..")
    try:
        period = Period(_bound(first.strip(), end=False), _bound((last if dots else first).strip(), end=True))
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message if message.startswith("expected") else f'"{text}": {message}') from None
    return checked(period, text)


def period_between(since: datetime | None, until: datetime | None, now: datetime) -> Period:
    """The period of `--since`/`--until` (until: now if not given); ValueError if there is no start."""
    if since is None:
        raise ValueError(f"give the period ({PERIOD_HELP}) or --since")
    return checked(Period(since.astimezone(UTC), (until or now).astimezone(UTC)), "--since/--until")


def checked(period: Period, given: str) -> Period:
    if period.end <= period.start:
        raise ValueError(f'"{given}": the period ends before it starts')
    if period.end <= FIRST_MONTH:
        raise ValueError(f'"{given}": CC-NEWS begins in August 2016')
    if period.start < FIRST_MONTH:
        period = Period(FIRST_MONTH, period.end)
    return period


def listing_url(base: str, year: int, month: int) -> str:
    return f"{base.rstrip('/')}/crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz"


def file_url(base: str, path: str) -> str:
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def file_time(path: str) -> datetime | None:
    """When a CC-NEWS file was started, from its name (`CC-NEWS-20261001012345-01234.warc.gz`); None if the
    name does not say."""
    found = _FILE_TIME.search(path)
    if found is None:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_listing(data: bytes, url: str = "") -> list[str]:
    """The paths a `warc.paths.gz` lists (gzip text, one a line; plain text is taken too). Skip("bad_listing")
    if it is neither, or inflates past MAX_LISTING."""
    text = data
    for _ in range(2):  # a server may have gzipped the .gz again on the way (Content-Encoding)
        if text[:2] != b"\x1f\x8b":
            break
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            text = inflater.decompress(text, MAX_LISTING)
        except zlib.error as exc:
            raise Skip("bad_listing", f"{url}: not gzip ({exc})") from None
        if inflater.unconsumed_tail:
            raise Skip("bad_listing", f"{url}: inflates past {MAX_LISTING} bytes")
    try:
        lines = text.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise Skip("bad_listing", f"{url}: neither gzip nor text") from None
    return [line.strip() for line in lines if line.strip()]


def select_files(paths: Iterable[str], period: Period) -> list[str]:
    """The files holding the captures of `period`, oldest first: those started in it, and the last one started
    before it (which runs on into it). Names without a time are left out."""
    timed = sorted({(moment, path) for path in paths if (moment := file_time(path)) is not None})
    before = [path for moment, path in timed if moment < period.start]
    inside = [path for moment, path in timed if period.start <= moment < period.end]
    return before[-1:] + inside


class CCNews:
    """Reads CC-NEWS from its server (or a mirror with the same layout) through the polite fetcher."""

    def __init__(self, fetcher: Fetcher, base: str = DEFAULT_BASE, *, delay: float = 1.0, retries: int = 3,
                 allow_private: bool | tuple[str, ...] = False, proxy: str | None = None) -> None:
        self.fetcher = fetcher
        self.base = base
        # The server's own politeness: one request at a time, `delay` apart (each file is one long request).
        self.source = Source(id="cc-news", name="Common Crawl CC-NEWS", languages=(), homepage=file_url(base, ""),
                             timezone="UTC", delay=delay, retries=retries, max_concurrency_per_host=1,
                             allow_private=allow_private, proxy=proxy, any_language=True)

    async def listing(self, year: int, month: int) -> list[str]:
        """The paths of a month's files; Skip("not_published") when the server has no listing for it."""
        url = listing_url(self.base, year, month)
        try:
            async with self.fetcher.stream(url, self.source) as response:
                data = bytearray()
                async for part in response.aiter_raw():
                    data += part
                    if len(data) > MAX_LISTING:
                        raise Skip("bad_listing", f"{url}: larger than {MAX_LISTING} bytes")
        except Skip as skip:
            if skip.reason in ("http_404", "http_403"):  # S3 and CloudFront answer 403 for a key that is not there
                raise Skip("not_published", f"no CC-NEWS listing for {year:04d}/{month:02d} ({url}: HTTP "
                                            f"{skip.reason[5:]}): that month is not published, or not yet") from None
            raise
        return parse_listing(bytes(data), url)

    async def files(self, period: Period) -> list[str]:
        """The URLs of the files holding `period`'s captures, oldest first (see `select_files`). Raises the
        Skip of a listing that cannot be read; the previous month's, read only for the file running into the
        period, may be missing."""
        paths: list[str] = []
        for year, month in period.months():
            paths += await self.listing(year, month)
        if not any((moment := file_time(path)) is not None and moment < period.start for path in paths):
            previous = period.start.replace(day=1) - timedelta(days=1)
            if previous >= FIRST_MONTH:
                try:
                    paths += [path for path in await self.listing(previous.year, previous.month)
                              if (moment := file_time(path)) is not None and moment < period.start]
                except Skip as skip:
                    log.warning("the file running into the period (%s) is not read: %s", period, skip,
                                extra={"event": "ccnews_listing", "reason": skip.reason})
        unnamed = sum(file_time(path) is None for path in paths)
        if unnamed:
            log.warning("%d paths in the CC-NEWS listings have no time in their name: not read", unnamed,
                        extra={"event": "ccnews_listing"})
        return [file_url(self.base, path) for path in select_files(paths, period)]

    @classmethod
    def of(cls, fetcher: Fetcher, settings: Settings) -> CCNews:
        """As sources.toml's [ccnews] table says."""
        return cls(fetcher, settings.ccnews_url, delay=settings.ccnews_delay, retries=settings.ccnews_retries,
                   allow_private=settings.ccnews_allow_private, proxy=settings.proxy)

    async def listed(self, period: Period) -> tuple[list[str], tuple[PollResult, str] | None]:
        """The period's files (`files`), or none and why: a result and its reason, as a backfill's summary keeps
        an outlet's (`unreachable` or `error`)."""
        try:
            urls = await self.files(period)
        except Skip as skip:
            return [], ("unreachable" if skip.reason in UNREACHABLE else "error", skip.detail or str(skip))
        if not urls:
            return [], ("error", f"the CC-NEWS listings hold no file for {period}")
        return urls, None

    def warc(self, url: str, *, stop: asyncio.Event | None = None) -> RemoteWarc:
        """One of the files, to read as a stream (on the event loop: the file is read from a worker thread)."""
        return RemoteWarc(RemoteFile(self.fetcher, url, self.source, stop=stop))


class RemoteWarc:
    """A WARC file on an HTTP server, as the pipeline reads a local one (`discover.warc.WarcSource`)."""

    def __init__(self, file: RemoteFile) -> None:
        self.file = file

    @property
    def name(self) -> str:
        return self.file.url

    @property
    def key(self) -> str:
        return self.file.url

    def size(self) -> int | None:
        return self.file.size

    def unchanged(self, size: int) -> bool:
        return True  # Common Crawl's files do not change once listed (one that did would be refused as read)

    def read(self, *, hosts: Collection[str] | None = None, start_offset: int = 0,
             counts: Counter[str] | None = None) -> Iterator[ArchivedPage | WarcSkip]:
        return read_warc_stream(self.name, self.file.chunks, hosts=hosts, start_offset=start_offset, counts=counts)
