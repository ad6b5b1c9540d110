"""Conditional GET for feeds and sitemaps: which validators to send, and whether to keep trusting them."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from scraper.records import Fetched

log = logging.getLogger(__name__)

# Once a day a feed is fetched without validators, to catch servers whose 304s hide new items.
VERIFY_EVERY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Validators:
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str
    trusted: bool  # False once the server showed changed content behind unchanged validators
    verified_at: datetime  # when the last unconditional fetch was made


def body_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def request_headers(known: Validators | None, now: datetime) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the next fetch, or nothing when we should look for real."""
    if known is None or not known.trusted or now - known.verified_at >= VERIFY_EVERY:
        return {}
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


def after_fetch(known: Validators | None, fetched: Fetched, sent: dict[str, str], now: datetime) -> Validators | None:
    """The validators to store after a 200 (a 304 changes nothing: call this only for a 200)."""
    digest = body_hash(fetched.text)
    if not fetched.etag and not fetched.last_modified:
        return None
    fresh = Validators(url=fetched.url, etag=fetched.etag, last_modified=fetched.last_modified, body_hash=digest,
                       trusted=True, verified_at=now if not sent else (known.verified_at if known else now))
    if known is None:
        return fresh
    same_validators = (fetched.etag or None) == (known.etag or None) and (
        fetched.last_modified or None) == (known.last_modified or None)
    if same_validators and digest != known.body_hash:
        # The content changed but the validators did not: a 304 from this server can hide new items.
        if known.trusted:
            log.warning("%s: content changed behind the same ETag/Last-Modified; no longer sending them",
                        fetched.url)
        return replace(fresh, trusted=False)
    return replace(fresh, trusted=known.trusted)
