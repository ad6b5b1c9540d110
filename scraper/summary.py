"""What a poll or a backfill did: counts for the one-line report, and the poll's result for health and stats.

A poll's result says whether the outlet could be read at all, which counts of written articles cannot: a poll
that wrote nothing because nothing was new is `ok`; one that reached none of the outlet's feeds, sitemaps or
listings is `unreachable` (DNS, connect, TLS, timeouts, a host paused for them, a robots.txt answering 429 or
5xx), `refused` (robots.txt, a 4xx on every one of them, a consent or login page instead) or `error` (anything
else: a 5xx, a feed that is no feed).
One whose indexes answer while the articles they list keep failing (a bot wall, pages that need JavaScript) is
`error` too: it collects nothing (see `Pipeline.poll`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from scraper.records import iso_utc

PollResult = Literal["ok", "unreachable", "refused", "error"]
RESULTS: tuple[PollResult, ...] = ("ok", "unreachable", "refused", "error")
# Skip reasons of an index (feed, sitemap, listing page) that say the network did not reach the outlet.
UNREACHABLE = frozenset({"fetch_error", "timeout", "unreachable", "dns_error", "connect_error", "tls_error",
                         "robots_unavailable", "host_paused"})
# ...and those that say the outlet (or its robots.txt, or our guard) refused us.
REFUSED = frozenset({"robots", "crawl_delay", "private_address", "bad_url", "gated"})
# Failures of an article that may mend by the next poll: its link waits and is tried again then.
TRANSIENT = frozenset({"timeout", "fetch_error", "bad_encoding", "bad_response", "http_408", "http_429", "http_500",
                       "http_502", "http_503", "http_504", "robots_unavailable", "host_paused", "unreachable",
                       "not_archived"})
# Failures that say more about our extractor (or a placeholder served that day) than about the page: they do
# not close the listing page or sitemap that lists the article (see `Pipeline._settled`).
EXTRACTION_FAILURES = frozenset({"empty", "extract_error", "extract_timeout", "worker_died"})


@dataclass
class Summary:
    """What a poll or a backfill did, for the one-line report and the logs."""

    written: int = 0
    duplicates: int = 0
    skips: Counter[str] = field(default_factory=Counter)
    # Pages read that turned out to be an article already in the output (a second capture in an archive,
    # another URL whose canonical one we have): nothing written, nothing wrong. Shown when there are any, so
    # that what was read adds up: written + already + skipped.
    already: int = 0
    handed: int = 0  # records handed to a fleet's committer (which writes them: its own counts say how)
    revised: int = 0  # articles read again that had changed: revision records written
    deleted: int = 0  # articles read again that were gone: tombstones written
    # Feeds, sitemaps and listing pages that answered (a 304 included), and why the others did not.
    indexes_read: int = 0
    index_failures: Counter[str] = field(default_factory=Counter)
    archive_indexes: int = 0  # feeds and listings read through the web archive (the outlet not answering)
    # Articles that could not be read (the reasons of `skips` that are an article's, not an index's).
    article_failures: Counter[str] = field(default_factory=Counter)
    # Set by the poll when the outlet's articles keep failing although its indexes answer: how many in a row, and
    # why. The poll is then an `error`: an outlet that lists articles nobody can read collects nothing.
    failing_articles: str = ""
    # Per outlet, for a run over several: its poll's result and why (see `result`).
    results: dict[str, tuple[PollResult, str]] = field(default_factory=dict)
    interrupted: bool = False  # a one-shot run stopped (SIGTERM, Ctrl-C) before it was done

    def merge(self, other: Summary) -> None:
        self.written += other.written
        self.duplicates += other.duplicates
        self.skips.update(other.skips)
        self.already += other.already
        self.handed += other.handed
        self.revised += other.revised
        self.deleted += other.deleted
        self.indexes_read += other.indexes_read
        self.archive_indexes += other.archive_indexes
        self.index_failures.update(other.index_failures)
        self.article_failures.update(other.article_failures)
        self.results.update(other.results)
        self.interrupted = self.interrupted or other.interrupted

    def line(self, label: str) -> str:
        reasons = " ".join(f"{reason}={count}" for reason, count in sorted(self.skips.items()))
        text = f"{label}: written={self.written} duplicates={self.duplicates} skipped={self.skips.total()}"
        text = f"{text} ({reasons})" if reasons else text
        text = f"{text} already={self.already}" if self.already else text
        text = f"{text} handed={self.handed}" if self.handed else text
        text = f"{text} revised={self.revised}" if self.revised else text
        text = f"{text} deleted={self.deleted}" if self.deleted else text
        return f"{text} interrupted" if self.interrupted else text

    def result(self) -> tuple[PollResult, str]:
        """The poll's result and, unless `ok`, why: its indexes' failures, most frequent first, or its articles'."""
        if self.indexes_read or not self.index_failures:
            return ("error", self.failing_articles) if self.failing_articles else ("ok", "")
        reasons = set(self.index_failures)
        why = ", ".join(f"{reason}={count}" for reason, count in self.index_failures.most_common())
        if reasons <= UNREACHABLE:
            return "unreachable", why
        if all(reason in REFUSED or (reason.startswith("http_4") and reason != "http_429") for reason in reasons):
            return "refused", why
        return "error", why


def backfill_result(summary: Summary) -> tuple[PollResult, str]:
    """What a backfill says of an outlet: its poll's result, but `ok` when the web archive gave its feeds or
    listings in its place (the poll stays `unreachable` or `refused` for /healthz: the outlet itself is down)."""
    result, why = summary.result()
    if result != "ok" and summary.archive_indexes:
        return "ok", f"read through the web archive ({result}: {why})"
    return result, why


def found_new(summary: Summary) -> bool:
    """Whether a poll found an article not written before (written, as a copy too, or handed to a fleet's
    committer)."""
    return bool(summary.written or summary.duplicates or summary.handed)


def quiet(source_id: str, quiet_after: float | None, last_new: datetime | None, started: datetime,
          now: datetime) -> str | None:
    """What /healthz says of an outlet whose polls succeed and have found nothing new for `quiet_after` seconds
    (from `started` when it never found anything: an outlet new to the store); None if not. The caller asks only
    after a poll that succeeded: a restart after days away does not alarm before its first poll looked."""
    if quiet_after is None:
        return None
    since = last_new or started
    if (now - since).total_seconds() <= quiet_after:
        return None
    when = f"since {iso_utc(last_new)}" if last_new is not None else "yet"
    return (f"{source_id}: no new article {when} ({quiet_after / 86400:g} days without one while its polls succeed): "
            "a feed frozen on an old copy, a site that moved its news, or a filter (article_url, strip_query) that "
            f"drops its links? check it: scraper sources check --live --source {source_id}")


def counted(number: int, thing: str) -> str:
    """"1 outlet", "2 outlets": a count in a line a person reads."""
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"
