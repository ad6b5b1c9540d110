"""An outlet's archive backfill (`backfill --from-archive`): every article the web archive captured under its
prefixes in a range, read once each as captured, through the pipeline's stages (`Pipeline.process`) and its writer
in capture order."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from urllib.parse import urlsplit

from scraper.errors import Skip
from scraper.fetch.wayback import SERVICE, Capture, newest_captures
from scraper.pipeline import InOrder, Pipeline
from scraper.records import Link, Source
from scraper.summary import Summary

log = logging.getLogger(__name__)


async def backfill_archive(pipeline: Pipeline, source: Source, summary: Summary, since: datetime | None = None,
                           until: datetime | None = None, stop: asyncio.Event | None = None) -> Summary:
    """Every article of an outlet the web archive captured in a range: the captures under its
    `archive_prefixes` (one per article, the newest), those matching its `article_url`, each read once (an
    article already written is not read again: a run cut short resumes where it stopped)."""
    wayback = pipeline.wayback
    assert wayback is not None
    prefixes = source.archive_prefixes or (urlsplit(source.homepage).netloc + "/",)
    captures: list[Capture] = []
    for prefix in prefixes:
        try:
            captures += await wayback.captures(prefix, source, since, until)
        except Skip as skip:
            pipeline.skips.index_failed(summary, source, prefix, skip)
            continue
        summary.indexes_read += 1
    captures = newest_captures(captures)
    wanted = [capture for capture in captures
              if (source.article_url is None or source.article_url.search(capture.url))
              and pipeline.state.known_article(capture.url, source.strip_query) is None]
    log.info("%s: %d captures in the archive, %d articles to read", source.id, len(captures), len(wanted),
             extra={"event": "archive_backfill", "outlet": source.id})
    pipeline.observer.discovered(source.id, len(wanted))
    turns = InOrder()
    for position, capture in enumerate(wanted):
        if stop is not None and stop.is_set():
            break
        link = Link(url=capture.url, source_id=source.id, found_in=f"{SERVICE}:{prefixes[0]}")
        try:
            fetched, archive = await wayback.read(capture.url, source, capture)
        except Skip as skip:
            pipeline.skips.skipped(summary, source, capture.url, skip, remember=False)
            turns.done(position)
            continue
        await pipeline.process(source, link, summary, since, until, fetched=fetched, archive=archive, turns=turns,
                               position=position)
        pipeline.observer.processed(source.id)
    return summary
