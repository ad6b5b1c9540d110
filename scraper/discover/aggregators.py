"""Aggregator feed items (Google News) → the publisher's article URL, when the item's own link says it.

A Google News RSS item links to `https://news.google.com/rss/articles/<id>?oc=5`, never to the publisher.
Until mid-2024 the id was URL-safe base64 of a small protobuf message whose length-delimited field held the
article URL (`08 13 22 <length> https://…`), so the URL can be read from the link alone, without a request.
Since then ids carry an opaque token instead (the decoded field starts `AU_yqL…`) and the page behind the
link is a JavaScript interstitial that does not redirect (docs/outlets.md, "Google News links are opaque"; the
threads cited there): such an item is kept as a feed-only record (title, publisher, date) and nothing is fetched
from news.google.com. Resolving the new ids needs Google's internal `batchexecute` call, which we do not make.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from scraper.urls import parsable

GOOGLE_NEWS_HOSTS = ("news.google.com",)
_ARTICLE_PATHS = ("/rss/articles/", "/articles/", "/__i/rss/rd/articles/")
MAX_ID = 4096  # characters of an id worth decoding; real ones are a few hundred


def aggregator_id(url: str) -> str | None:
    """The article id of an aggregator item link, or None when `url` is not one."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # "http://[oops/": not a URL we could have fetched either
        return None
    if host not in GOOGLE_NEWS_HOSTS:
        return None
    for prefix in _ARTICLE_PATHS:
        if parts.path.startswith(prefix):
            article_id = parts.path[len(prefix):].strip("/")
            return article_id if article_id and "/" not in article_id and len(article_id) <= MAX_ID else None
    return None


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(data) and shift < 64:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
    raise ValueError("truncated varint")


def _strings(data: bytes) -> list[bytes]:
    """The length-delimited fields at the top level of a protobuf message, in order (what we can read of it:
    an unknown wire type ends the walk)."""
    found: list[bytes] = []
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        wire = key & 7
        if wire == 0:
            _, at = _varint(data, at)
        elif wire == 2:
            length, at = _varint(data, at)
            if at + length > len(data):
                break
            found.append(data[at:at + length])
            at += length
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        else:
            break
    return found


def publisher_url(link: str) -> str | None:
    """The publisher's article URL an old-style Google News item link encodes; None for an opaque one (or
    anything that is not such a link). Never makes a request."""
    article_id = aggregator_id(link)
    if article_id is None:
        return None
    try:
        data = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
    except (binascii.Error, ValueError):
        return None
    try:
        fields = _strings(data)
    except ValueError:
        return None
    for field in fields:
        try:
            text = field.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not parsable(text):  # a malformed host, a port out of range
            continue
        parts = urlsplit(text)
        if parts.scheme in ("http", "https") and parts.hostname and text.isprintable() and " " not in text:
            return text
    return None
