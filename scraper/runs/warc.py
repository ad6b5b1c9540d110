"""A WARC file read through the pipeline: its HTML captures in file order, resumable at the record.

A backfill from files on disk (`backfill --warc`), from Common Crawl's server (`backfill --cc-news`, a
`discover.ccnews.RemoteWarc`), or one file of a fleet's batch (scraper/fleet/worker.py) all read a file here; the
pages go through the pipeline's stages (`Pipeline.process`) and its single-writer stage in file order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from urllib.parse import urlsplit

from scraper.db import DRIVER_ERRORS
from scraper.discover.warc import ArchivedPage, LocalWarc, WarcSkip, WarcSource
from scraper.errors import OutputError, ScraperError, Skip, StateError, WorkerError
from scraper.pipeline import WORKERS_PER_POLL, InOrder, Pipeline
from scraper.records import Archive, Link, Source
from scraper.runs.discovery import digest, range_mark
from scraper.summary import Summary

log = logging.getLogger(__name__)

# In an archive the page cannot change, but these say more about the run (a loaded machine, a worker killed
# for memory) or about a bug than about the page: the next run over the same file tries it again, up to
# ARCHIVE_ATTEMPTS times in all. ("empty" is not among them: the same page and the same extractor give the
# same nothing.)
_ARCHIVE_RETRIED = {"extract_error", "extract_timeout", "worker_died"}
ARCHIVE_ATTEMPTS = 3
BATCH = 32  # records read (and inflated) off the event loop at a time


async def read_warc(
    pipeline: Pipeline,
    archive: str | WarcSource,
    source_for: Callable[[str], Source],
    summary: Summary,
    *,
    hosts: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the HTML captures of a WARC file through the pipeline, resuming where an earlier run stopped.

    The next offset to read is staged after each record, in file order, and committed with the
    records it covers, so a killed run resumes exactly after what reached the output. Progress is kept
    for the selection too (hosts, dates): a file read for some outlets or some days is read again, from
    the start, for others; what is already written is not written twice. Pages an earlier run failed to
    extract for a cause that may not recur (`_ARCHIVE_RETRIED`) are kept by offset and read first.

    `archive` is a local file's path, or a WarcSource (a file on a server). A stream that fails for good
    (Skip, after its retries) ends the reading: what was read before it is processed and committed, then the
    Skip is raised, and the next run goes on from there. A file read to its end is marked so, with its size:
    run again, it is not opened at all (a server's file, or a local one still of that size).
    """
    if isinstance(archive, str):
        archive = LocalWarc(archive)
    path = archive.name
    key = f"warc:{archive.key}"
    if hosts is not None or since is not None or until is not None:
        chosen = "\n".join(sorted({host.lower() for host in hosts})) if hosts is not None else "*"
        key += f"|hosts:{digest(chosen)}|dates:{range_mark(since, until)}"
    start = int(pipeline.state.progress(key) or 0)
    retry_key = f"{key}|retry"
    retries = _retries(pipeline.state.progress(retry_key))
    end_key, ended = f"{key}|end", pipeline.state.progress(f"{key}|end")
    done = ended is not None and ended.isdigit() and archive.unchanged(int(ended))
    sized = done or archive.size() is not None  # a server's file says its size as it is read
    if done and ended:
        pipeline.observer.archives({path: int(ended)})
    pipeline.observer.archive_read(path, int(ended) if done and ended else start)
    counts: Counter[str] = Counter()
    items = iter(()) if done else archive.read(hosts=hosts, start_offset=start, counts=counts)
    broken: Skip | None = None  # why the stream of the file ended before its end
    cut_short = False  # the file ends inside a record: the next run reads it again from there
    turns = InOrder()
    slots = asyncio.Semaphore(WORKERS_PER_POLL + 2 * pipeline.workers)
    tasks: set[asyncio.Task[None]] = set()
    failure: list[ScraperError] = []
    position = 0

    async def one(item: ArchivedPage | WarcSkip, position: int, again: bool) -> None:
        def settle(reason: str | None) -> None:
            """In the item's turn: its retry kept, counted or forgotten, and (new items) progress past it."""
            offset = str(item.offset)
            tried = retries.pop(offset, 0)
            if reason in _ARCHIVE_RETRIED:
                if tried + 1 < ARCHIVE_ATTEMPTS:
                    retries[offset] = tried + 1
                else:
                    log.warning("%s @%d: %s again, %d times in all: not tried again", path, item.offset,
                                reason, ARCHIVE_ATTEMPTS, extra={"event": "skip", "reason": reason})
            if tried or offset in retries:
                pipeline.writer.progress(retry_key, json.dumps(retries, sort_keys=True))
            if not again:
                pipeline.writer.progress(key, str(item.offset + 1))

        try:
            if isinstance(item, WarcSkip):
                await turns.wait(position)
                pipeline.skips.count(summary, source_for(urlsplit(item.url).hostname or ""), item.reason)
                log.info("%s @%d: skipped (%s) %s", path, item.offset, item.reason, item.detail,
                         extra={"event": "skip", "url": item.url, "reason": item.reason})
                if not item.at_end or again:  # a file that ends inside a record may be complete by the next run
                    settle(item.reason)
                turns.done(position)
                return
            source = source_for(urlsplit(item.fetched.url).hostname or "")
            link = Link(url=item.fetched.url, source_id=source.id, found_in=f"warc:{path}")
            if pipeline.state.known_article(link.url, source.strip_query):
                await turns.wait(position)  # a second capture of a page we have: nothing to do
                summary.already += 1
                settle(None)
                turns.done(position)
                return
            await pipeline.process(source, link, summary, since, until, fetched=item.fetched,
                               archive=Archive(str(path), item.offset), turns=turns, position=position,
                               on_turn=settle)
        except (OutputError, WorkerError) as exc:
            failure.append(exc)  # process() has stopped the turns; the reading loop stops
        except Exception as exc:
            # The state store failing, or a bug: the run stops, and nothing after this item records progress
            # (the turns would otherwise wait for it for ever, or pass it by and lose it).
            error: ScraperError
            if isinstance(exc, ScraperError):
                error = exc
            elif isinstance(exc, DRIVER_ERRORS):  # the state store's database (a fleet's restarting: tried again)
                error = StateError(f"{path} @{item.offset}: {type(exc).__name__}: {exc}")
            else:
                error = ScraperError(f"{path} @{item.offset}: {type(exc).__name__}: {exc}")
            if not failure:
                log.error("%s", error, exc_info=error is not exc)
            turns.stop(error)
            failure.append(error)
        finally:
            slots.release()
            pipeline.observer.processed("warc")

    async def start_task(item: ArchivedPage | WarcSkip, again: bool = False) -> bool:
        nonlocal position
        await slots.acquire()
        if failure or (stop and stop.is_set()):
            slots.release()
            return False
        task = asyncio.create_task(one(item, position, again))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        position += 1
        return True

    again = await asyncio.to_thread(_reread, archive, hosts, sorted(map(int, retries))) if retries else None
    if again is not None:
        log.info("%s: trying again %d pages an earlier run could not extract", path, len(retries),
                 extra={"event": "warc_retry"})
        pipeline.observer.discovered("warc", len(again))
        gone = retries.keys() - {str(item.offset) for item in again}
        for offset in gone:  # the file was replaced or cut short: nothing there to try
            log.warning("%s @%s: no longer holds the page to try again", path, offset,
                        extra={"event": "warc_retry"})
            del retries[offset]
        if gone:
            pipeline.writer.progress(retry_key, json.dumps(retries, sort_keys=True))
        for item in again:
            if not await start_task(item, again=True):
                break
    try:
        while not failure and not broken and not (stop and stop.is_set()):
            # Reading and inflating is synchronous work (and a stream's waits): off the event loop, a batch
            # at a time.
            batch, broken = await asyncio.to_thread(_batch, items, BATCH)
            if not batch:
                break
            cut_short = cut_short or any(isinstance(item, WarcSkip) and item.at_end for item in batch)
            if not sized and (size := archive.size()) is not None:
                pipeline.observer.archives({path: size})
                sized = True
            pipeline.observer.discovered("warc", len(batch))  # found so far: a WARC's count is known at its end
            pipeline.observer.archive_read(path, batch[-1].offset)
            for item in batch:
                if not await start_task(item):
                    break
    finally:
        # Closed in a thread: a stream's close waits for the event loop. The read is done with either way.
        await asyncio.to_thread(_close, items)
    await asyncio.gather(*tasks)
    if failure:
        raise failure[0]
    if broken is not None and not (stop and stop.is_set()):
        raise broken
    size = int(ended) if done and ended else archive.size()
    if not (stop and stop.is_set()) and size is not None:
        pipeline.observer.archive_read(path, size)
        if not done and broken is None and not cut_short:
            pipeline.writer.progress(end_key, str(size))  # after every record's own progress
    if counts:
        log.info("%s: also passed over %s", path, ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())),
                 extra={"event": "warc_done"})


def _retries(stored: str | None) -> dict[str, int]:
    """The pages of a WARC file to try again: {offset: failed attempts}, as kept in the progress table."""
    try:
        found = json.loads(stored) if stored else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): v for k, v in found.items() if str(k).isdigit() and isinstance(v, int)}


def _reread(archive: WarcSource, hosts: Collection[str] | None, offsets: list[int]
            ) -> list[ArchivedPage | WarcSkip] | None:
    """The records that start at `offsets` in a WARC file (those still there); None if it cannot be read now."""
    found: list[ArchivedPage | WarcSkip] = []
    for offset in offsets:
        try:
            items = archive.read(hosts=hosts, start_offset=offset)
            try:
                item = next(items, None)
            finally:
                _close(items)
        except Skip:
            return None  # gone, or unreadable for now: the main read reports it, and the retries wait
        if item is not None and item.offset == offset:
            found.append(item)
    return found


def _close(items: Iterator[ArchivedPage | WarcSkip]) -> None:
    """Close a WARC file's read (a generator; for a stream, its connection)."""
    close = getattr(items, "close", None)
    if close is not None:
        close()


def _batch(items: Iterator[ArchivedPage | WarcSkip], size: int) -> tuple[list[ArchivedPage | WarcSkip], Skip | None]:
    """The next `size` items of a WARC file (fewer at its end), and the Skip that stopped its stream, if one did:
    the items read before it are still handed on."""
    batch: list[ArchivedPage | WarcSkip] = []
    try:
        for item in itertools.islice(items, size):
            batch.append(item)
    except Skip as skip:
        return batch, skip
    return batch, None
