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

`read_warc` reads a file on this machine; `read_warc_stream` the same bytes from a stream of chunks that can be
opened at any offset (an HTTP download with Range requests: `fetch/ranged.py`), keeping only the last few MB read
so that the short seeks back of the damage scan are served from memory: the same pages, skips and offsets come out.
A stream that fails for good raises its Skip while it is read (the file is unreadable now, not damaged).

Only WARC is read, not its predecessor ARC: warcio's ARC parser takes any line of five words for a
record header, so junk would pass for records.

Skip reasons: `http_<status>`, `not_html`, `too_large`, `binary`, `empty` (as the fetch layer names
them), `bad_record` (a response without a valid WARC-Date), `corrupt_warc`.
"""

from __future__ import annotations

import bisect
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from isal import isal_zlib
from warcio.archiveiterator import WARCIterator  # type: ignore[import-untyped]
from warcio.bufferedreaders import DecompressingBufferedReader  # type: ignore[import-untyped]

from scraper.errors import Skip
from scraper.fetch.guard import check_textual
from scraper.records import Fetched
from scraper.urls import parsable

HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MEMBER = b"\x1f\x8b\x08"  # gzip magic + deflate: where a record of a .warc.gz can start
_WARC_LINE = b"WARC/1."
_SCAN_CHUNK = 1 << 20
_DRAIN_CHUNK = 1 << 16
# What a stream keeps of the bytes behind the read position: a seek back within it (to a damaged record's start,
# to a record found by the scan) needs no new request. A record is rarely over 1 MB compressed.
STREAM_KEEP = 16 << 20
_STREAM_REACH = 4 << 20  # a seek ahead this far reads on; further, the stream is opened again at the offset
_LOOKS_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)


class Handle(Protocol):
    """What the reader needs of a file: an open local file, or a `_Window` over a stream."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


# Opens a stream of a file's bytes at an offset: its chunks in order, from there to the end of the file.
OpenAt = Callable[[int], Iterator[bytes]]


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


class WarcSource(Protocol):
    """A WARC file to read: on this machine (`LocalWarc`), or on a server (`discover.ccnews.RemoteWarc`)."""

    @property
    def name(self) -> str:
        """What records (`archive.file`) and the logs call it."""

    @property
    def key(self) -> str:
        """What its progress is kept under: the same file, the same key, run after run."""

    def size(self) -> int | None:
        """Its size in bytes, once known."""

    def unchanged(self, size: int) -> bool:
        """Whether it is still the file that had `size` bytes when it was read to its end (then there is nothing
        new to read in it)."""

    def read(self, *, hosts: Collection[str] | None = None, start_offset: int = 0,
             counts: Counter[str] | None = None) -> Iterator[ArchivedPage | WarcSkip]:
        """Its pages and skips from `start_offset` on (`read_warc`); close the iterator when done with it."""


@dataclass(frozen=True, slots=True)
class LocalWarc:
    """A WARC file on this machine, by the path given."""

    path: str

    @property
    def name(self) -> str:
        return self.path

    @property
    def key(self) -> str:
        return str(Path(self.path).resolve())

    def size(self) -> int | None:
        try:
            return os.path.getsize(self.path)
        except OSError:
            return None

    def unchanged(self, size: int) -> bool:
        return self.size() == size  # a file still being written has grown since

    def read(self, *, hosts: Collection[str] | None = None, start_offset: int = 0,
             counts: Counter[str] | None = None) -> Iterator[ArchivedPage | WarcSkip]:
        return read_warc(self.path, hosts=hosts, start_offset=start_offset, counts=counts)


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
    # warcio writes this warning (a record longer or shorter than its Content-Length) straight to stderr, three
    # lines of plain text among the JSON log lines; the damage shows as that record's own skip instead.
    INC_RECORD = ""

    def __init__(self, handle: Handle, **options: Any) -> None:
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
        host = urlsplit(url).hostname if url.lower().startswith(("http://", "https://")) and parsable(url) else None
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
        self, handle: Handle, position: int
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
                except Skip:
                    raise  # the stream failed (a download given up on): not damage in the file
                except Exception as exc:
                    return max(int(iterator.offset), earliest), _short(exc)
                try:
                    outcome, complete = self.take(record)
                    offset = int(iterator.get_record_offset())
                except Skip:
                    raise
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


def _parses_at(handle: Handle, position: int) -> bool:
    handle.seek(position)
    iterator = _Records(handle)
    try:
        next(iter(iterator))
    except Skip:
        raise
    except Exception:  # anything warcio raises on bytes that are not a record
        return False
    finally:
        iterator.close()
    return True


def next_record(handle: Handle, start: int, gzipped: bool) -> int | None:
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
    return _read(lambda: _open_local(Path(path), name), reader, start_offset, gzipped)


def read_warc_stream(
    name: str,
    open_at: OpenAt,
    *,
    hosts: Collection[str] | None = None,
    start_offset: int = 0,
    max_bytes: int = 5_000_000,
    counts: Counter[str] | None = None,
    verify_digests: bool = False,
    keep: int = STREAM_KEEP,
) -> Iterator[ArchivedPage | WarcSkip]:
    """As `read_warc`, from the chunks `open_at(offset)` gives instead of a local file: the pages and skips of the
    same bytes, with the same offsets (`name` is what their `file` says; a name ending in .gz is a .warc.gz).

    Nothing is read before the first item is asked for: the stream is opened at `start_offset` then, once (again
    only for a seek back past what is kept, or far ahead). A Skip the stream raises comes out of the iteration:
    reading stops there, and what was yielded before it stands. Close the iterator to close the stream. `keep`:
    the bytes kept behind the read position (see `_Window`).
    """
    if start_offset < 0:
        raise ValueError(f"start_offset must be ≥ 0, got {start_offset}")
    reader = _Reader(name, _host_filter(hosts), max_bytes, counts if counts is not None else Counter(),
                     verify_digests)
    return _read(lambda: _Window(open_at, keep), reader, start_offset, name.lower().endswith(".gz"))


def _open_local(path: Path, name: str) -> Any:
    try:
        return path.open("rb")
    except OSError as exc:  # gone or locked between the check in read_warc and the first record
        raise Skip("unreadable", f"{name}: {exc.strerror or exc}") from None


def _read(opened: Callable[[], Any], reader: _Reader, start_offset: int, gzipped: bool
          ) -> Iterator[ArchivedPage | WarcSkip]:
    with opened() as handle:
        if start_offset == 0 and not gzipped:
            gzipped = handle.read(2) == _GZIP_MEMBER[:2]
        position = start_offset if start_offset == 0 else next_record(handle, start_offset, gzipped)
        while position is not None:
            broken = yield from reader.run(handle, position)
            if broken is None:
                return
            offset, detail = broken
            position = next_record(handle, offset + 1, gzipped)
            yield WarcSkip("corrupt_warc", offset, detail, at_end=position is None)


class _Window:
    """A file read from a stream of its bytes, as the reader reads a local file: in order, with seeks.

    It keeps the chunks holding the last `keep` bytes behind the read position, so that the reader's seeks back (to
    a damaged record's start, to a record the scan found) are served from memory; a seek back past them, or far
    ahead, opens the stream again at that offset. Memory stays at `keep` plus a chunk, whatever the file's size."""

    def __init__(self, open_at: OpenAt, keep: int = STREAM_KEEP) -> None:
        self._open_at = open_at
        self._keep = keep
        self._chunks: Iterator[bytes] | None = None  # opened at the first read, at the position then
        self._kept: list[bytes] = []  # chunks as they came (copying them into one buffer costs more than reading)
        self._starts: list[int] = []  # the offset of each
        self._end = 0  # the offset after the last
        self._position = 0
        self._ended = False

    def __enter__(self) -> _Window:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        chunks, self._chunks = self._chunks, None
        close = getattr(chunks, "close", None)
        if close is not None:
            close()

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0, /) -> int:
        if whence != 0 or offset < 0:
            raise ValueError("a stream is sought to an absolute offset only")
        kept_from = self._starts[0] if self._starts else self._end
        if self._chunks is not None and not kept_from <= offset <= self._end + _STREAM_REACH:
            self.close()  # opened again where the next read needs it
        self._position = offset
        return offset

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            raise ValueError("a stream is read a block at a time, never whole")
        if self._chunks is None:
            self._chunks = self._open_at(self._position)
            self._kept.clear()
            self._starts.clear()
            self._end = self._position
            self._ended = False
        want = self._position + size
        while not self._ended and self._end < want:
            chunk = next(self._chunks, b"")
            if chunk:
                self._kept.append(chunk)
                self._starts.append(self._end)
                self._end += len(chunk)
                self._trim()  # a seek far ahead reads on to it: what it passes is not kept
            else:
                self._ended = True
        parts: list[bytes] = []
        at = max(0, bisect.bisect_right(self._starts, self._position) - 1)
        while at < len(self._kept) and self._position < want:
            chunk, begin, left = self._kept[at], self._position - self._starts[at], want - self._position
            part = chunk if begin == 0 and len(chunk) <= left else chunk[begin:begin + left]
            parts.append(part)
            self._position += len(part)
            at += 1
        self._trim()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _trim(self) -> None:
        """Forget the chunks that end more than `keep` behind the read position."""
        horizon = self._position - self._keep
        drop = 0
        while drop < len(self._kept) and self._starts[drop] + len(self._kept[drop]) <= horizon:
            drop += 1
        if drop:
            del self._kept[:drop], self._starts[:drop]
