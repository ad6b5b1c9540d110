"""An outlet's recent articles read again at the end of a poll, for edits and deletions (what a changed text or a
missing page means: scraper/revisit.py): a revision record, a tombstone, or only the visit noted in the state store.
A batch in which nearly every article is gone at once is a site that moved its pages or fails, not deletions."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from scraper.commit import Writer
from scraper.dedup import samples_agree, text_sample
from scraper.errors import Skip, WorkerError
from scraper.extractors import Extractors
from scraper.fetch import Fetcher
from scraper.prepare import Prepared
from scraper.records import EPOCH, Record, Source
from scraper.revisit import UNREACHABLE_READS, Earlier, gone_to_front_page, revised, tombstone
from scraper.state import Due, State
from scraper.summary import EXTRACTION_FAILURES, REFUSED, TRANSIENT, UNREACHABLE, Summary
from scraper.urls import canonicalize, other_addresses

log = logging.getLogger(__name__)

# Articles read again (for edits and deletions) at the end of one poll at most: a backlog (a backfill's
# thousands, all due on one day) is spread over the polls of the day.
REVISITS_PER_POLL = 20
# A revisit batch in which this many articles, and this share of those whose page said anything, are gone at once
# is a site that moved its pages or fails, not deletions: no tombstone is written (`Revisits._bury`).
MASS_GONE = 5
MASS_GONE_SHARE = 0.8
# ...unless they are still gone on this many readings in a row (a day apart by default): then they are (a site that
# moved its pages without redirects has lost them at these addresses; KCNA has wiped its archive before).
MASS_GONE_READINGS = 3
# HTTP answers that say an article is gone for good, and the tombstone's `how`.
_GONE = {"http_404": "http_404", "http_410": "http_410", "not_found_page": "not_found_page"}


class Revisits:
    """Reads again, for one pipeline, the articles of an outlet that are due, through its fetcher, extractors and
    writer."""

    def __init__(self, fetcher: Fetcher, state: State, extractors: Extractors, writer: Writer) -> None:
        self._fetcher = fetcher
        self._state = state
        self._extractors = extractors
        self._writer = writer
        self._bodies_pruned: dict[str, datetime] = {}  # outlet -> when its kept texts were last pruned
        self._mass_gone: dict[str, str] = {}  # outlet -> its last revisit batch in which nearly all were gone

    def problems(self) -> list[str]:
        """Outlets whose last revisit batch found nearly every article gone at once, for /healthz."""
        return list(self._mass_gone.values())

    async def run(self, source: Source, summary: Summary, started: datetime, stop: asyncio.Event | None = None
                  ) -> None:
        """Read again the outlet's recent articles that are due (scraper/revisit.py): a changed text writes a
        revision record, a page that is gone a tombstone, a trivial change or none only notes the visit."""
        assert source.revisit_every is not None
        now = datetime.now(UTC)
        if now - self._bodies_pruned.get(source.id, EPOCH) > timedelta(days=1):
            # The texts kept to compare with, of articles no longer read again.
            self._state.revisits.prune_bodies(source.id, now - timedelta(seconds=source.revisit_for))
            self._bodies_pruned[source.id] = now
        # (Never an article this poll wrote: the store keeps times to the second.)
        read_before = min(now - timedelta(seconds=source.revisit_every), started - timedelta(seconds=1))
        due = self._state.revisits.due_for_revisit(source.id, now - timedelta(seconds=source.revisit_for), read_before,
                                                   min(REVISITS_PER_POLL, source.max_articles))
        # Every index of the outlet answered in this poll: one that lists an article no longer is evidence.
        indexes_whole = summary.indexes_read > 0 and not summary.index_failures
        # Tombstones (with the readings in a row that found no article before this one), written once the batch
        # shows they are not a mass disappearance.
        gone: list[tuple[Record, int]] = []
        read = 0  # articles whose page said something of them (read, or gone)
        for item in due:
            if stop is not None and stop.is_set():
                break
            unlisted = indexes_whole and item.last_listed is not None and item.last_listed < started
            read += await self._read_again(source, summary, item, unlisted, gone)
        self._bury(source, summary, gone, read)

    def _bury(self, source: Source, summary: Summary, gone: list[tuple[Record, int]], read: int) -> None:
        """Write the tombstones of a revisit batch, unless nearly every article read is gone at once: a site that
        moved its pages or fails (404 for everything), whose articles were not deleted. Those are read again next
        time (and the pipeline reports the outlet until a batch reads normally again); one still gone on its
        MASS_GONE_READINGS-th reading in a row is written all the same."""
        written = gone
        if len(gone) >= MASS_GONE and len(gone) >= MASS_GONE_SHARE * read:
            why = ", ".join(f"{how}={count}" for how, count in Counter(
                t.deleted.how for t, _ in gone if t.deleted is not None).most_common())
            self._mass_gone[source.id] = (f"{source.id}: {len(gone)} of the {read} articles read again are gone at "
                                          f"once ({why}): a site that moved its pages or fails, not deletions; none "
                                          f"is marked deleted unless still gone on {MASS_GONE_READINGS} readings in "
                                          "a row")
            log.error("%s", self._mass_gone[source.id], extra={"event": "mass_gone", "outlet": source.id})
            now = datetime.now(UTC)
            written = [(record, before) for record, before in gone if before + 1 >= MASS_GONE_READINGS]
            for record, before in gone:
                if before + 1 < MASS_GONE_READINGS:
                    self._state.revisits.read_again(record.id, now, found=False)
        elif read:
            self._mass_gone.pop(source.id, None)
        for record, _ in written:
            self._writer.change(source, summary, record)

    async def _read_again(self, source: Source, summary: Summary, item: Due, unlisted: bool,
                          gone: list[tuple[Record, int]]) -> int:
        """Read one article again: a revision written, a tombstone added to `gone`, or the visit noted. 1 when the
        page said something of the article (its text, or that it is gone), else 0."""
        earlier = Earlier(item.record_id, item.canonical_url, item.content_hash, item.revisions, item.published_at,
                          self._state.revisits.body(item.record_id))
        now = datetime.now(UTC)
        before = item.read_failures
        try:
            fetched = await self._fetcher.page(item.canonical_url, source)
            if gone_to_front_page(fetched.final_url, item.canonical_url, source.homepage):
                gone.append((tombstone(earlier, source, item.canonical_url, "redirect_home", now), before))
                return 1
            prepared = await self._extractors.prepare(fetched, source, None)
        except Skip as skip:
            said = 0
            if skip.reason in _GONE:
                gone.append((tombstone(earlier, source, item.canonical_url, _GONE[skip.reason], now), before))
                said = 1
            elif (skip.reason in TRANSIENT or skip.reason in UNREACHABLE or skip.reason in REFUSED
                  or skip.reason in EXTRACTION_FAILURES - {"empty"}):
                # Says nothing of the article (the network, our rules, our extractor): read it again next time.
                self._state.revisits.read_again(item.record_id, now, found=None)
            elif unlisted and item.read_failures + 1 >= UNREACHABLE_READS:
                gone.append((tombstone(earlier, source, item.canonical_url, "unlisted_unreachable", now), before))
                said = 1
            else:
                self._state.revisits.read_again(item.record_id, now, found=False)
            log.info("%s: reading %s again: %s", source.id, item.canonical_url, skip,
                     extra={"event": "revisit", "outlet": source.id, "url": item.canonical_url,
                            "reason": skip.reason})
            return said
        except WorkerError:
            raise
        except Exception:
            # A bug or a pathological page costs this revisit, never the daemon.
            log.exception("%s: extracting %s again failed", source.id, item.canonical_url)
            self._state.revisits.read_again(item.record_id, now, found=None)
            return 0
        record = prepared.record
        if self._elsewhere(item, fetched.final_url, prepared, source):
            # Sent to another page (a related article, a section) whose text is not the article's: it is gone,
            # and that page's text is no revision of it.
            gone.append((tombstone(earlier, source, item.canonical_url, "redirect_elsewhere", now), before))
            return 1
        change = revised(earlier, record, now)
        if change is not None:
            self._writer.change(source, summary, replace(change, fetched_at=now))
        elif record.content_hash != earlier.content_hash or earlier.body is None:
            self._state.revisits.rebase(item.record_id, record.content_hash, record.body, now)
        else:
            self._state.revisits.read_again(item.record_id, now)
        return 1

    def _elsewhere(self, item: Due, final_url: str, prepared: Prepared, source: Source) -> bool:
        """Whether an article read again was redirected to another page: another address (not one of its own:
        https, www.) whose text does not share the article's (the samples `report_texts` keeps)."""
        strip = source.strip_query
        here = canonicalize(final_url, strip)
        if here in (canonicalize(item.canonical_url, strip), *other_addresses(canonicalize(item.canonical_url, strip))):
            return False
        if self._state.known_article(final_url, strip) == item.record_id:
            return False  # an address the article was found at before
        earlier, now = self._state.text_sample(item.record_id), text_sample(prepared.printed.fingerprint)
        return bool(earlier and now and not samples_agree(earlier, now))
