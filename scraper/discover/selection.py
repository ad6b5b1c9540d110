"""Which pages of an archive (WARC files, CC-NEWS) a backfill takes, and the outlet each page belongs to."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from urllib.parse import urlsplit

from scraper.records import Source


def outlet_hosts(sources: Sequence[Source]) -> dict[str, Source]:
    """Host → outlet, from each outlet's homepage, feeds and sitemaps."""
    hosts: dict[str, Source] = {}
    for source in sources:
        for url in (source.homepage, *source.feeds, *source.sitemaps):
            host = (urlsplit(url).hostname or "").lower()
            if host and "news.google.com" not in host:  # an aggregator's feed host is not the outlet's
                hosts.setdefault(host.removeprefix("www."), source)
    return hosts


def archive_selection(configured: Sequence[Source], hosts_given: Collection[str], only_configured: bool
                      ) -> tuple[set[str] | None, Callable[[str], Source]]:
    """The hosts a backfill from archives takes pages of (None: all), and the outlet of a page's host: one of
    `configured`, or a stand-in named after the host (read in UTC, in any language)."""
    by_host = outlet_hosts(configured)
    hosts: set[str] | None = {h.lower() for h in hosts_given} or None
    if only_configured:
        hosts = (hosts or set()) | set(by_host)
    stand_ins: dict[str, Source] = {}

    def source_for(host: str) -> Source:
        host = host.lower()
        for known, source in by_host.items():
            if host == known or host.endswith("." + known):
                return source
        if host not in stand_ins:
            slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-")[:63] or "unknown"
            stand_ins[host] = Source(id=slug, name=host or "unknown", languages=(), homepage=f"https://{host}/",
                                     timezone="UTC", any_language=True)
        return stand_ins[host]

    return hosts, source_for
