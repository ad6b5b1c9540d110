"""A large file over HTTP read in order from any offset, never held whole: Range requests, a cut resumed where it
broke, a server that ignores Range read past the offset.

`RemoteFile.chunks(offset)` gives the file's bytes from `offset` on as an iterator for a worker thread (the WARC
reader's, which parses and inflates off the event loop); the requests themselves run on the event loop through the
polite fetcher (`Fetcher.stream`: the host's delay, Retry-After, retries before the body, circuit breaker), a few
MB ahead of the reader, so that neither waits for the other's turn. A
connection that breaks mid-file (reset, closed early, a read timing out) is opened again at the byte where it broke:
at once (the host's delay still applies) after a stretch of reading, with a growing back-off when it breaks again
before 1 MB more came, up to `source.retries` times in a row; a file that changes on the server meanwhile (another
size or validator) is not spliced: that is a Skip, as is a file given up on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import random
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from scraper.errors import Skip
from scraper.fetch.client import BACKOFF_BASE, BACKOFF_CAP, Fetcher, network_cause
from scraper.fetch.politeness import Sleep
from scraper.records import Source

log = logging.getLogger(__name__)

_T = TypeVar("_T")
CHUNK = 256 << 10  # bytes handed to the reading thread at a time
AHEAD = 16  # chunks the download may be ahead of the reader (4 MB)
PROGRESS = 1 << 20  # bytes read since the last cut that count as progress: the count of cuts in a row starts again
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d{1,20})-(\d{1,20})/(\d{1,20}|\*)\s*$", re.IGNORECASE)


class RemoteFile:
    """One file on an HTTP server, read from any offset. Make it on the event loop; read it from a worker thread.

    `size` (bytes) is known once a first answer said it (Content-Length, or Content-Range's total). `stop` set, a
    read under way or a back-off ends at once with Skip("interrupted")."""

    def __init__(self, fetcher: Fetcher, url: str, source: Source, *, stop: asyncio.Event | None = None,
                 sleep: Sleep = asyncio.sleep, jitter: Callable[[], float] = random.random) -> None:
        self.fetcher = fetcher
        self.url = url
        self.source = source
        self.size: int | None = None
        # The first answer's validators: a later answer giving others is another file.
        self.etag = ""
        self.last_modified = ""
        self.sleep = sleep
        self.jitter = jitter
        self._stop = stop
        self._loop = asyncio.get_running_loop()

    def chunks(self, offset: int) -> Iterator[bytes]:
        """The file's bytes from `offset` to its end, in chunks; for a worker thread, never the event loop's.
        Raises Skip when the file cannot be read on (after its retries), or `stop` is set."""
        if _on_a_loop():
            raise RuntimeError("a RemoteFile is read from a worker thread: on the event loop it would wait for itself")
        ahead = _Ahead(self._loop)
        pump = asyncio.run_coroutine_threadsafe(self._pump(_Download(self, offset), ahead), self._loop)
        try:
            while True:
                chunk = ahead.take()
                if isinstance(chunk, BaseException):
                    raise chunk
                if not chunk:
                    return
                yield chunk
        finally:
            if not pump.done():
                pump.cancel()  # the reader is done with it early: the download closes
            # Closed, and its host's slot free for the next request: waited for in a thread (not on the loop, which
            # closes it), while the loop lives.
            while not _on_a_loop() and not ahead.finished.wait(1.0) and not self._loop.is_closed():
                pass

    async def _pump(self, download: _Download, ahead: _Ahead) -> None:
        """Download ahead of the reader; the end (b"") or what stopped it is the last thing handed on."""
        try:
            while chunk := await download.next():
                await ahead.put(chunk)
            await ahead.put(b"")
        except Skip as skip:
            ahead.give(skip)
        except Exception as exc:  # a bug: the file is not read on, and the reader says why (not "damage")
            log.exception("%s: the download failed", self.url)
            ahead.give(Skip("fetch_error", f"{self.url}: {type(exc).__name__}: {exc}"))
        finally:
            try:
                await download.aclose()
            finally:
                ahead.finished.set()

    def learned(self, response: httpx.Response, size: int | None) -> None:
        """What an answer says of the file (its size, its validators); Skip if it is no longer the file an earlier
        answer described."""
        etag, last_modified = response.headers.get("etag", ""), response.headers.get("last-modified", "")
        for what, before, now in (("bytes", str(self.size or ""), str(size or "")), ("ETag", self.etag, etag),
                                  ("Last-Modified", self.last_modified, last_modified)):
            if before and now and before != now:
                raise Skip("unreadable", f"{self.url}: changed on the server while read ({what} {before}, now {now})")
        self.size = self.size if self.size is not None else size
        self.etag = self.etag or etag
        self.last_modified = self.last_modified or last_modified

    async def until_stopped(self, step: Awaitable[_T]) -> _T:
        """`step`, unless `stop` is set first: then Skip("interrupted")."""
        if self._stop is None:
            return await step
        if self._stop.is_set():
            if asyncio.iscoroutine(step):
                step.close()
            raise Skip("interrupted", self.url)
        task = asyncio.ensure_future(step)
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((task, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            raise Skip("interrupted", self.url)
        return task.result()



def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Ahead:
    """The chunks downloaded and not read yet, between the event loop (which puts, waiting while AHEAD are
    waiting) and the reading thread (which takes, waiting while none is)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._chunks: queue.Queue[bytes | BaseException] = queue.Queue()
        self._room = asyncio.Event()  # set by the reader as it takes a chunk
        self.finished = threading.Event()  # the download is closed

    async def put(self, chunk: bytes) -> None:
        while self._chunks.qsize() >= AHEAD:
            self._room.clear()
            if self._chunks.qsize() >= AHEAD:
                await self._room.wait()
        self._chunks.put(chunk)

    def give(self, problem: BaseException) -> None:
        self._chunks.put(problem)

    def take(self) -> bytes | BaseException:
        chunk = self._chunks.get()
        self._loop.call_soon_threadsafe(self._room.set)
        return chunk


class _Download:
    """One pass over a file from an offset: the open answer, where it is, and the cuts in a row."""

    def __init__(self, file: RemoteFile, offset: int) -> None:
        self.file = file
        self.position = offset  # the next byte to hand on
        self.ended = False
        self.cuts = 0  # in a row: without PROGRESS bytes in between
        self.since_cut = 0
        self._opened: contextlib.AsyncExitStack | None = None
        self._body: AsyncIterator[bytes] | None = None
        self._pending = b""  # read past a skip, not handed on yet
        self._broke: Exception | None = None  # what broke the answer after the bytes last handed on

    async def next(self) -> bytes:
        """The next chunk (at most CHUNK bytes); b"" at the end of the file."""
        while not self.ended:
            if self._body is None:
                await self.file.until_stopped(self._connect())
                continue
            chunk, broke = await self.file.until_stopped(self._read())
            if broke is not None and not chunk:
                await self._disconnect()
                await self._cut(f"{type(broke).__name__}: {broke}")
                continue
            if chunk:
                self.position += len(chunk)
                self.since_cut += len(chunk)
                if self.since_cut >= PROGRESS:
                    self.cuts = 0
                return chunk
            await self._disconnect()
            if self.file.size is not None and self.position < self.file.size:
                await self._cut(f"the answer ended at byte {self.position} of {self.file.size}")
                continue
            self.ended = True
        return b""

    async def _read(self) -> tuple[bytes, Exception | None]:
        """Up to CHUNK bytes of the open answer, and what broke it if it broke: the bytes that came before a
        break are handed on first (the break is met again at the next read, which finds the answer broken)."""
        assert self._body is not None
        if self._broke is not None:
            broke, self._broke = self._broke, None
            return b"", broke
        parts, size = [self._pending] if self._pending else [], len(self._pending)
        self._pending = b""
        while size < CHUNK:
            try:
                part = await anext(self._body, b"")
            except (httpx.HTTPError, httpx.StreamError) as exc:
                if not parts:
                    return b"", exc
                self._broke = exc
                break
            if not part:
                break
            parts.append(part)
            size += len(part)
        return b"".join(parts), None

    async def _connect(self) -> None:
        file = self.file
        headers = {"Range": f"bytes={self.position}-"} if self.position else {}
        opened = contextlib.AsyncExitStack()
        try:
            response = await opened.enter_async_context(file.fetcher.stream(file.url, file.source, headers))
            skip = self._check(response)
            body = response.aiter_raw()
            while skip > 0:  # the server ignored Range: read on to the offset
                part = await anext(body, b"")
                if not part:
                    raise Skip("unreadable", f"{file.url}: ends at byte {self.position - skip}, before the offset "
                                             f"{self.position} to read from")
                self._pending, skip = part[skip:], skip - len(part)
        except Skip as skip_:
            await opened.aclose()
            if skip_.reason == "http_416" and (file.size is None or self.position >= file.size):
                self.ended = True  # nothing from this offset on: the file is read to its end
                return
            raise
        except (httpx.HTTPError, httpx.StreamError) as exc:
            await opened.aclose()
            await self._cut(f"{type(exc).__name__}: {exc}")
            return
        except BaseException:
            await opened.aclose()
            raise
        self._opened, self._body = opened, body
        self.since_cut = 0

    def _check(self, response: httpx.Response) -> int:
        """The bytes to pass over before `position` (the server ignored Range: from 0); Skip if the answer is not
        the file from there."""
        file = self.file
        length = response.headers.get("content-length", "")
        if response.status_code == 206:
            found = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if found is None or int(found.group(1)) != self.position:
                raise Skip("unreadable", f"{file.url}: asked for bytes from {self.position}, answered "
                                         f"{response.headers.get('content-range', 'no Content-Range')!r}")
            file.learned(response, int(found.group(3)) if found.group(3).isdigit() else None)
            return 0
        if response.status_code != 200:
            raise Skip(f"http_{response.status_code}", f"{file.url}: HTTP {response.status_code}, not the file")
        file.learned(response, int(length) if length.isdigit() else None)
        if self.position:
            log.info("%s: the server ignores Range: reading past the first %d bytes again", file.url, self.position,
                     extra={"event": "range_ignored", "url": file.url})
        return self.position

    async def _cut(self, cause: str) -> None:
        """The connection broke at `position`: wait, then (at the next `next`) open it again from there; Skip
        after too many cuts in a row."""
        file = self.file
        self.cuts += 1
        self.since_cut = 0
        if self.cuts > file.source.retries:
            host = urlsplit(file.url).hostname or ""
            file.fetcher.gate.failed(host, network=True, cause=cause)
            raise Skip("fetch_error", f"{file.url}: the connection broke {self.cuts} times in a row, last at byte "
                                      f"{self.position} ({network_cause(cause)}: {cause})")
        # A connection that had been reading is opened again at once (after the host's delay); one that breaks
        # again before 1 MB came waits longer each time.
        wait = 0.0 if self.cuts == 1 else min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (self.cuts - 2)) * (1 + file.jitter())
        log.warning("%s: the connection broke at byte %d (%s); reading on from there in %.1fs", file.url,
                    self.position, cause, wait, extra={"event": "download_cut", "url": file.url})
        await file.until_stopped(file.sleep(wait))

    async def _disconnect(self) -> None:
        opened, self._opened, self._body, self._pending, self._broke = self._opened, None, None, b"", None
        if opened is not None:
            with contextlib.suppress(httpx.HTTPError, httpx.StreamError, OSError):
                await opened.aclose()

    async def aclose(self) -> None:
        await self._disconnect()
