"""What an outlet's rules were checked against: the real captures listed in scraper/data/evidence.toml.

Selectors written from a description of a site prove nothing until they have read a page the site served;
`scraper sources check` says, per outlet, which real pages its rules were tested on (golden tests in
tests/fixtures/real/), or that they were not.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from urllib.parse import urlsplit

from scraper.extract.sites import rules_for
from scraper.records import Source

KINDS = ("article", "listing", "feed", "other")  # other: a page of the site that is none of these (a gallery)


@dataclass(frozen=True, slots=True)
class Capture:
    """One real page or feed of an outlet that a golden test reads."""

    host: str
    kind: str  # article | listing | feed | other
    captured: date
    what: str
    fixture: str  # path under tests/fixtures/real/


def load_captures(text: str | None = None) -> tuple[Capture, ...]:
    """The shipped list (or `text`, in its format); ValueError names a malformed entry."""
    if text is None:
        text = resources.files("scraper").joinpath("data/evidence.toml").read_text(encoding="utf-8")
    captures = []
    for number, entry in enumerate(tomllib.loads(text).get("capture", []), start=1):
        try:
            capture = Capture(str(entry["host"]).lower(), str(entry["kind"]),
                              date.fromisoformat(str(entry["captured"])), str(entry["what"]), str(entry["fixture"]))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"evidence.toml: capture #{number}: {exc}") from None
        if capture.kind not in KINDS:
            raise ValueError(f"evidence.toml: capture #{number}: kind {capture.kind!r} is not one of {KINDS}")
        captures.append(capture)
    return tuple(captures)


def _hosts(urls: Iterable[str]) -> set[str]:
    return {(urlsplit(url).hostname or "").lower() for url in urls} - {""}


def outlet_captures(source: Source, captures: Sequence[Capture]) -> list[Capture]:
    """The captures that test this outlet's rules: article (and other) pages of the hosts its page rules cover,
    its listings' pages, its feeds; newest first within a kind."""
    site = rules_for(source.homepage, source)
    page_hosts = (set(site.hosts) if site is not None else set()) | _hosts([source.homepage])
    wanted = {"article": page_hosts, "other": page_hosts,
              "listing": _hosts(listing.url for listing in source.listings), "feed": _hosts(source.feeds)}
    found = [capture for capture in captures if capture.host in wanted[capture.kind]]
    return sorted(found, key=lambda capture: (KINDS.index(capture.kind), -capture.captured.toordinal()))


def _dates(found: Sequence[Capture], kind: str) -> str:
    return ", ".join(f"{capture.captured.isoformat()} ({capture.host})" for capture in found if capture.kind == kind)


def verdict(source: Source, captures: Sequence[Capture]) -> str:
    """One line for `sources check` and docs/outlets.md's table: per part of the outlet's configuration that is its
    own (page rules, listings) and per feed host with a capture, the real pages it was checked on."""
    found = outlet_captures(source, captures)
    parts = []
    if rules_for(source.homepage, source) is not None:
        parts.append(f"page rules: real page of {dates}" if (dates := _dates(found, "article")) else
                     "page rules: imitation only")
    if source.listings:
        parts.append(f"listings: real page of {dates}" if (dates := _dates(found, "listing")) else
                     "listings: imitation only")
    if dates := _dates(found, "feed"):
        parts.append(f"feeds: real feed of {dates}")
    if not parts:
        return "generic path only (no rules of its own): run `scraper sources check --live`"
    line = "; ".join(parts)
    return f"{line}: run `scraper sources check --live`" if "imitation only" in line else line
