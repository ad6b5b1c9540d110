"""An HTML meta refresh that stands in for a redirect: `<meta http-equiv="refresh" content="0; url=...">`.

Browsers follow it, and so does Scrapy by default; a page that is only this (an old address, a mirror that moved)
has no article of its own. Only a refresh that comes soon is a redirect: `content="900"` (reload every quarter of an
hour) and `content="60; url=/"` (back to the front page after a minute, as some portals do on article pages) are
not, and neither is one inside `<noscript>` (a page for browsers without JavaScript) or an HTML comment.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from scraper.urls import canonicalize, joined

MAX_REFRESH_DELAY = 10.0  # seconds: a refresh later than this is a page's reload, not a redirect
MAX_REFRESHES = 3  # refreshes followed one after another from one address
_HEAD = 65_536  # characters of a page searched for the tag
_MENTION = re.compile(r"http-equiv\s*=\s*[\"']?\s*refresh", re.IGNORECASE)
# The HTML standard's form: a number of seconds, then (after ";", "," or a space) the URL, "url=" optional.
_CONTENT = re.compile(r"\s*(\d+)[\d.]*(?:\s*[;,]\s*|\s+|$)(?:url\s*=\s*)?(.*)", re.IGNORECASE | re.DOTALL)


def refresh_target(html: str, base_url: str) -> str | None:
    """The absolute http(s) address a page's meta refresh sends a browser to at once; None if it has none, if it
    comes later than MAX_REFRESH_DELAY, or if it reloads the page itself."""
    head = html[:_HEAD]
    if not _MENTION.search(head):
        return None
    for meta in HTMLParser(head).css("meta[http-equiv]"):
        if (meta.attributes.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        if _inside(meta, "noscript"):
            continue
        match = _CONTENT.match(meta.attributes.get("content") or "")
        if match is None:
            continue
        delay, target = match.group(1), match.group(2).strip().strip("\"'").strip()
        seconds = delay.lstrip("0") or "0"  # a page may print 5,000 digits, past what int() reads
        if not target or len(seconds) > 3 or int(seconds) > MAX_REFRESH_DELAY:
            continue
        url = joined(base_url, target)
        if url is None or not url.lower().startswith(("http://", "https://")):
            continue
        if canonicalize(url) == canonicalize(base_url):
            continue
        return url
    return None


def _inside(node: Node, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False
