"""Per-outlet overrides: CSS selectors (selectolax) for the outlets whose layout the generic path reads badly.

One small module per site, selectors as constants. The generic trafilatura path stays the default; a
site's selectors win when they match, and `[outlet.selectors]` in sources.toml wins over both. Adding a
site: write `sites/<name>.py` with a `SiteRules`, list it in SITES, and add a golden test page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scraper.extract.sites import belta, kcna, rodong, tass, xinhua, yonhap
from scraper.extract.sites.rules import SiteRules
from scraper.records import Source

SITES: tuple[SiteRules, ...] = (
    yonhap.KOREAN,
    yonhap.ENGLISH,
    kcna.RULES,
    rodong.RULES,
    belta.RULES,
    tass.RULES,
    xinhua.RULES,
)


def rules_for(url: str, source: Source | None = None) -> SiteRules | None:
    """The rules for a page: its site's module, with the outlet's sources.toml selectors winning.

    A page read from a file has no host; the outlet's homepage then says which site it is.
    """
    host = (urlsplit(url).hostname or "").lower()
    if not host and source is not None:
        host = (urlsplit(source.homepage).hostname or "").lower()
    site = next((rules for rules in SITES if host in rules.hosts), None)
    selectors = source.selectors if source is not None else None
    if site is None:
        if selectors is None:
            return None
        site = SiteRules(source.id if source is not None else host, (host,), selectors)
        return site
    return site.overridden(selectors)


__all__ = ["SITES", "SiteRules", "rules_for"]
