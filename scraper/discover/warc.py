"""WARC and WARC.gz files → archived HTML pages as `Fetched` records, with their file and offset; no network.

`read_warc` yields an `ArchivedPage` for each `response` record of an HTML page fetched with status 200,
and a `WarcSkip` for each other response record (counted by the pipeline like a `Skip`). Records that are
not responses at all (warcinfo, request, metadata, revisit), responses to non-HTTP URIs (dns:) and
responses from hosts outside `hosts` are only counted, in `counts`: a CC-NEWS file has as many of them
as pages, and one line each would drown the log.

Damage does not stop the run. A truncated or corrupt record yields `WarcSkip("corrupt_warc")` and
reading resumes at the next record that parses (the next gzip member, or the next `WARC/1.x` line of an
uncompressed file); a file cut short simply ends there, its last skip marked `at_end` (the file may still be
growing: a resumed run reads that record again). Only a file that cannot be opened raises
`Skip("unreadable")`. A .warc.gz must hold one gzip member per record, as the WARC standard asks:
warcio reads only the first record of a file gzipped as one stream (the skip's detail says so).

Only WARC is read, not its predecessor ARC: warcio's ARC parser takes any line of five words for a
record header, so junk would pass for records.

Skip reasons: `http_<status>`, `not_html`, `too_large`, `binary`, `empty` (as the fetch layer names
them), `bad_record` (a response without a valid WARC-Date), `corrupt_warc`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

from isal import isal_zlib
from warcio.archiveiterator import WARCIterator  # type: ignore[import-untyped]
from warcio.bufferedreaders import DecompressingBufferedReader  # type: ignore[import-untyped]

from scraper.errors import Skip
from scraper.fetch.guard import check_textual
from scraper.records import Fetched

HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MEMBER = b"\x1f\x8b\x08"  # gzip magic + deflate: where a record of a .warc.gz can start
_WARC_LINE = b"WARC/1."
_SCAN_CHUNK = 1 << 20
_DRAIN_CHUNK = 1 << 16
_LOOKS_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """One archived HTML page: what the fetch layer would have produced, plus where it was read from."""

    # url = final_url = WARC-Target-URI, fetched_at = WARC-Date (UTC); the body in `raw`, decoded by the worker
    # that extracts it (`fetch.guard.decoded`).
    fetched: Fetched
    file: str  # the path as given to read_warc
    offset: int  # of the record in the file (the gzip member's, for .warc.gz): pass it back to resume


@dataclass(frozen=True, slots=True)
class WarcSkip:
    """A response record not turned into a page, or damage in the file; `reason` as a Skip's."""

    reason: str
    offset: int
    detail: str = ""
    url: str = ""  # the record's WARC-Target-URI, when it has one
    # Damage that runs to the end of the file: a record cut short, as in a file still being downloaded or
    # written. The next run with the same arguments reads from this record again, not past it.
    at_end: bool = False


def _inflater() -> Any:
    """What inflates one gzip member of a .warc.gz: ISA-L's, the same bytes as zlib's at 2.4× its speed.

    Inflating is most of what reading a .warc.gz costs, and the process that reads does it for every worker:
    0.61 ms for a record of bench/pipeline.py (56 KB compressed, 300 KB inflated) with zlib, 0.26 with ISA-L
    (the same API, `unused_data` included)."""
    return isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS)


class _InflatingReader(DecompressingBufferedReader):  # type: ignore[misc]
    # Read by warcio as `self.DECOMPRESSORS[decomp_type]`; its others (deflate, brotli) unchanged.
    DECOMPRESSORS: ClassVar[Mapping[str, Callable[[], Any]]] = MappingProxyType(
        {**DecompressingBufferedReader.DECOMPRESSORS, "gzip": _inflater})


class _Records(WARCIterator):  # type: ignore[misc]
    """warcio's WARC iterator, its gzip members inflated by ISA-L (`_inflater`)."""

    reader: Any

    def __init__(self, handle: IO[bytes], **options: Any) -> None:
        super().__init__(handle, **options)
        # The reader warcio made has read nothing yet: the same one, with the faster inflater.
        self.reader = _InflatingReader(self.fh, block_size=self.reader.block_size)


def _host_filter(hosts: Collection[str] | None) -> frozenset[str] | None:
    """Hosts as given on the command line or taken from outlets' homepages → bare lower-case names."""
    if hosts is None:
        return None
    names: set[str] = set()
    for host in hosts:
        name = (urlsplit(host).hostname or "") if "://" in host else host.strip().lower()
        name = name.removeprefix("*.").rstrip(".")
        if name:
            names.add(name)
    return frozenset(names)


def host_matches(host: str, wanted: Collection[str]) -> bool:
    """`www.yna.co.kr` matches `yna.co.kr` (a subdomain) and `www.yna.co.kr`; `yna.co.kr.evil.org` does not."""
    host = host.lower().rstrip(".")
    return any(host == name or host.endswith("." + name) for name in wanted)


def _warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def _drain(record: Any) -> bool:
    """Read the rest of the record; False if the file ended before its WARC Content-Length did."""
    stream = record.raw_stream
    while stream.read(_DRAIN_CHUNK):
        pass
    # warcio wraps the block in a LimitReader counting down Content-Length; what is left never came.
    return int(getattr(stream, "limit", 0)) <= 0


class _Reader:
    """The state of one pass over one file; not shared, gone when the pass ends."""

    def __init__(
        self, name: str, wanted: frozenset[str] | None, max_bytes: int, counts: Counter[str], verify: bool
    ) -> None:
        self.name = name
        self.wanted = wanted
        self.max_bytes = max_bytes
        self.counts = counts
        self.verify = verify

    def take(self, record: Any) -> tuple[ArchivedPage | WarcSkip | None, bool]:
        """What one record becomes, and whether it was complete (read before any verdict is given)."""
        url = str(record.rec_headers.get_header("WARC-Target-URI") or "")
        if record.rec_type != "response":
            self.counts["not_response"] += 1
            return None, _drain(record)
        try:
            host = urlsplit(url).hostname if url.lower().startswith(("http://", "https://")) else None
        except ValueError:  # "http://[::1" and other unparsable targets
            host = None
        if not host:
            self.counts["not_http"] += 1
            return None, _drain(record)
        if self.wanted is not None and not host_matches(host, self.wanted):
            self.counts["other_host"] += 1
            return None, _drain(record)
        http = record.http_headers
        status_text = str(http.get_statuscode() or "") if http is not None else ""
        status = int(status_text) if status_text.isdigit() else 0
        content_type = str(http.get_header("Content-Type") or "").strip() if http is not None else ""
        media_type = content_type.split(";")[0].strip().lower()
        body = b""
        if status == 200 and media_type in (*HTML_TYPES, ""):
            body = record.content_stream().read(self.max_bytes + 1)
        if not _drain(record):
            return None, False
        if http is None:
            return WarcSkip("empty", 0, "a response record without HTTP headers", url), True
        checker = record.digest_checker
        if self.verify and checker is not None and checker.passed is False:
            # The framing is sound (the next record starts where it should): drop this one, read on.
            return WarcSkip("corrupt_warc", 0, "; ".join(map(str, checker.problems)) or "digest mismatch", url), True
        if status != 200:
            return WarcSkip(f"http_{status}", 0, f"HTTP {status_text or '?'}", url), True
        if media_type not in HTML_TYPES and not (media_type == "" and _LOOKS_HTML.search(body[:4096])):
            return WarcSkip("not_html", 0, media_type or "no Content-Type", url), True
        if len(body) > self.max_bytes:
            return WarcSkip("too_large", 0, f"body passed {self.max_bytes} bytes", url), True
        fetched_at = _warc_date(record.rec_headers.get_header("WARC-Date"))
        if fetched_at is None:
            return WarcSkip("bad_record", 0, "no valid WARC-Date", url), True
        try:
            check_textual(body, url)
        except Skip as skip:
            return WarcSkip(skip.reason, 0, skip.detail, url), True
        # Decoded by the worker that extracts it (`decoded`), not in the process reading the file for all of them.
        fetched = Fetched(url=url, final_url=url, status=status, content_type=content_type, text="", encoding="",
                          fetched_at=fetched_at, etag=http.get_header("ETag"),
                          last_modified=http.get_header("Last-Modified"), size=len(body), raw=body)
        return ArchivedPage(fetched=fetched, file=self.name, offset=0), True

    def run(
        self, handle: IO[bytes], position: int
    ) -> Generator[ArchivedPage | WarcSkip, None, tuple[int, str] | None]:
        """Read records from `position` on; return where and why reading broke off, or None at the end."""
        handle.seek(position)
        # WARC only (see above); check_digests=True notes mismatches on record.digest_checker, silently.
        iterator = _Records(handle, check_digests=self.verify)
        records = iter(iterator)
        earliest = position  # whatever is found next lies here or later; warcio's own offsets can go astray
        try:
            while True:
                # warcio parses hostile bytes and raises many kinds of errors (ArchiveLoadFailed,
                # zlib.error, ValueError, EOFError, ...); every one of them means "damaged here".
                try:
                    record = next(records)
                except StopIteration:
                    return None
                except Exception as exc:
                    return max(int(iterator.offset), earliest), _short(exc)
                try:
                    outcome, complete = self.take(record)
                    offset = int(iterator.get_record_offset())
                except Exception as exc:
                    return max(int(iterator.offset), earliest), _short(exc)
                if offset < earliest:  # a whole file gzipped as one stream, not one member per record
                    return earliest, "record offsets run backwards: not one gzip member per record"
                if not complete:
                    return offset, "record cut short: the file ends inside it, or its compressed data is damaged"
                if outcome is not None:
                    yield replace(outcome, offset=offset)  # known only once the record is read
                earliest = offset + 1
        finally:
            iterator.close()


def _parses_at(handle: IO[bytes], position: int) -> bool:
    handle.seek(position)
    iterator = _Records(handle)
    try:
        next(iter(iterator))
    except Exception:  # anything warcio raises on bytes that are not a record
        return False
    finally:
        iterator.close()
    return True


def next_record(handle: IO[bytes], start: int, gzipped: bool) -> int | None:
    """The offset of the first record at or after `start` that parses, or None: how reading resumes
    after damage, or from an offset that is not a record boundary."""
    magic = _GZIP_MEMBER if gzipped else _WARC_LINE
    position = start
    while True:
        handle.seek(position)
        chunk = handle.read(_SCAN_CHUNK + len(magic))
        if not chunk:
            return None
        found = chunk.find(magic)
        while found != -1 and found < _SCAN_CHUNK:
            candidate = position + found
            line_start = gzipped or candidate == 0 or (found > 0 and chunk[found - 1:found] == b"\n")
            if found == 0 and not gzipped and candidate > 0:
                handle.seek(candidate - 1)
                line_start = handle.read(1) == b"\n"
            if line_start and _parses_at(handle, candidate):
                return candidate
            found = chunk.find(magic, found + 1)
        if len(chunk) <= _SCAN_CHUNK:
            return None
        position += _SCAN_CHUNK


def read_warc(
    path: str | Path,
    *,
    hosts: Collection[str] | None = None,
    start_offset: int = 0,
    max_bytes: int = 5_000_000,
    counts: Counter[str] | None = None,
    verify_digests: bool = False,
) -> Iterator[ArchivedPage | WarcSkip]:
    """The archived HTML pages of one WARC or WARC.gz file, in file order, with skips for the rest.

    `hosts`: only targets on these hosts or their subdomains (None = all; names or URLs). `start_offset`:
    records before it are not read (resume with the offset of the first record not yet done; an offset
    inside a record resumes at the next one). `max_bytes`: larger bodies (after content decoding) are
    skipped. `counts`, if given, is incremented for records passed over silently: `not_response`,
    `not_http`, `other_host`. `verify_digests`: check each response's WARC-Block/Payload-Digest and skip
    a mismatch as `corrupt_warc` (gzip's CRC already catches damage in a .warc.gz; this also catches it
    in an uncompressed file, but some crawlers write wrong digests, so it is opt-in).

    Raises Skip("unreadable") at once if the file cannot be opened; never raises while reading it.
    """
    if start_offset < 0:
        raise ValueError(f"start_offset must be ≥ 0, got {start_offset}")
    name = str(path)
    try:
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == _GZIP_MEMBER[:2] or name.lower().endswith(".gz")
    except OSError as exc:
        raise Skip("unreadable", f"{name}: {exc.strerror or exc}") from None
    reader = _Reader(name, _host_filter(hosts), max_bytes, counts if counts is not None else Counter(),
                     verify_digests)
    return _read(Path(path), reader, start_offset, gzipped)


def _read(path: Path, reader: _Reader, start_offset: int, gzipped: bool) -> Iterator[ArchivedPage | WarcSkip]:
    try:
        handle = path.open("rb")
    except OSError as exc:  # gone or locked between the check in read_warc and the first record
        raise Skip("unreadable", f"{reader.name}: {exc.strerror or exc}") from None
    with handle:
        position = start_offset if start_offset == 0 else next_record(handle, start_offset, gzipped)
        while position is not None:
            broken = yield from reader.run(handle, position)
            if broken is None:
                return
            offset, detail = broken
            position = next_record(handle, offset + 1, gzipped)
            yield WarcSkip("corrupt_warc", offset, detail, at_end=position is None)
