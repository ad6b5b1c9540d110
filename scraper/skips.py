"""Links and index pages skipped: counted in the summary and the metrics, logged, and, for an article, noted in the
state store with when to try it again (a failure that may mend waits for the next poll, another a day)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from scraper.errors import Skip
from scraper.observe import Observer
from scraper.records import Source
from scraper.state import State
from scraper.summary import TRANSIENT, UNREACHABLE, Summary
from scraper.urls import canonicalize

log = logging.getLogger(__name__)

# Failures that will not mend by the next poll wait a day before the URL is tried again.
PERMANENT_RETRY = timedelta(days=1)


class Skips:
    """Counts, logs and notes the skips of one pipeline."""

    def __init__(self, state: State, observer: Observer) -> None:
        self._state = state
        self._observer = observer

    def index_failed(self, summary: Summary, source: Source, url: str, skip: Skip) -> None:
        """A feed, sitemap or listing page that could not be read: a skip, and evidence for the poll's result."""
        summary.index_failures[skip.reason] += 1
        self.skipped(summary, source, url, skip, remember=False)

    def count(self, summary: Summary, source: Source, reason: str) -> None:
        """Count a skip (in the summary and the metrics) that is logged, if at all, where it happened."""
        summary.skips[reason] += 1
        self._observer.skipped(source.id, reason)

    def skipped(self, summary: Summary, source: Source, url: str, skip: Skip, remember: bool = True) -> None:
        """Count and log a skipped URL; with `remember` (an article's), also note it as failing in the state store,
        and give its link up unless the failure may mend by the next poll."""
        self.count(summary, source, skip.reason)
        if remember:  # an article's, not an index's
            summary.article_failures[skip.reason] += 1
        # A host the network does not reach is named once by the fetcher, not once per URL.
        level = logging.INFO if skip.reason in UNREACHABLE else logging.WARNING
        log.log(level, "%s: skipped %s (%s)", source.id, url, skip,
                extra={"event": "skip", "outlet": source.id, "url": url, "reason": skip.reason})
        if remember:
            key = canonicalize(url, source.strip_query)
            wait = timedelta(0) if skip.reason in TRANSIENT else PERMANENT_RETRY
            self._state.links.note_failure(key, source.id, skip.reason, datetime.now(UTC) + wait)
            if skip.reason not in TRANSIENT:
                self._state.links.drop_pending([key])  # given up on, with its reason; a transient failure waits on
