"""Conditional GET for feeds and sitemaps: which validators to send, and whether to keep trusting them.

A server's ETag or Last-Modified saves refetching an unchanged feed, but some servers send one that never changes,
and their 304s hide every new item. So the validators are checked now and then: every `every`-th request of a
URL (default 6: with a 15-minute interval, hourly) and at least once a day is unconditional, and when the body
has changed behind the same validators, they are not sent for that URL for a day (logged once).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from scraper.records import Fetched

log = logging.getLogger(__name__)

VERIFY_EVERY = timedelta(days=1)  # at least this often a URL is fetched without validators...
UNCONDITIONAL_EVERY = 6  # ...and every this many requests of it
DISTRUST_FOR = timedelta(days=1)  # validators caught lying are not sent for this long


@dataclass(frozen=True, slots=True)
class Validators:
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str
    verified_at: datetime  # when the last unconditional fetch was made
    conditional: int = 0  # conditional requests since then
    distrust_until: datetime | None = None  # set when the server showed changed content behind the same validators

    def trusted(self, now: datetime) -> bool:
        return self.distrust_until is None or now >= self.distrust_until


def body_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def request_headers(known: Validators | None, now: datetime, every: int = UNCONDITIONAL_EVERY) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the next fetch, or nothing when we should look for real."""
    if (known is None or not known.trusted(now) or now - known.verified_at >= VERIFY_EVERY
            or known.conditional + 1 >= every):
        return {}
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


def not_modified(known: Validators) -> Validators:
    """The validators after a 304: one more conditional request since the last unconditional one."""
    return replace(known, conditional=known.conditional + 1)


def after_fetch(known: Validators | None, fetched: Fetched, sent: dict[str, str], now: datetime) -> Validators | None:
    """The validators to store after a 200 (a 304 takes `not_modified`)."""
    digest = body_hash(fetched.text)
    if not fetched.etag and not fetched.last_modified:
        return None
    fresh = Validators(url=fetched.url, etag=fetched.etag, last_modified=fetched.last_modified, body_hash=digest,
                       verified_at=known.verified_at if sent and known else now,
                       conditional=known.conditional + 1 if sent and known else 0,
                       distrust_until=known.distrust_until if known else None)
    if known is None:
        return fresh
    same_validators = (fetched.etag or None) == (known.etag or None) and (
        fetched.last_modified or None) == (known.last_modified or None)
    if same_validators and digest != known.body_hash:
        # The content changed but the validators did not: a 304 from this server can hide new items.
        if known.trusted(now):
            log.warning("%s: content changed behind the same ETag/Last-Modified; not sending them for %s",
                        fetched.url, DISTRUST_FOR, extra={"event": "validators_lie", "url": fetched.url})
        return replace(fresh, distrust_until=now + DISTRUST_FOR)
    return fresh
