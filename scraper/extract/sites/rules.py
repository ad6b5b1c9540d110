"""What one site module declares: the hosts it covers and the CSS selectors (selectolax) for its pages."""

from __future__ import annotations

from dataclasses import dataclass, replace

from scraper.records import Selectors


@dataclass(frozen=True, slots=True)
class SiteRules:
    """One outlet's page layout. Selectors are comma lists tried left to right: the first that matches
    non-empty text wins (layouts change; the older one stays listed after the newer)."""

    name: str
    hosts: tuple[str, ...]  # exact host names; "www." is not implied
    selectors: Selectors
    subtitle: str | None = None
    drop: str | None = None  # inside the body: captions, ads, related boxes, share bars
    stop: str | None = None  # inside the body: the first match and everything after it is not the article
    full_width: bool = False  # the site prints full-width digits and letters (０-９); fold them to ASCII
    own_names: tuple[str, ...] = ()  # how the outlet signs its own unsigned articles: never an author

    def overridden(self, selectors: Selectors | None) -> SiteRules:
        """These rules with the selectors given in sources.toml winning field by field."""
        if selectors is None:
            return self
        mine = self.selectors
        return replace(self, selectors=Selectors(
            body=selectors.body or mine.body,
            title=selectors.title or mine.title,
            date=selectors.date or mine.date,
            authors=selectors.authors or mine.authors,
        ))
