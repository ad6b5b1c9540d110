"""The one exception tree of the scraper; everything we raise on purpose is below ScraperError.

    ScraperError
     ├── ConfigError    sources.toml (or a command-line value) is invalid: file, outlet, key, reason
     ├── StateError     the SQLite state store cannot be opened or written
     ├── OutputError    the output directory cannot be written
     ├── WorkerError    the extraction worker processes cannot run (they die as they start)
     └── Skip           one item (a feed, a sitemap, an article) is dropped on purpose; the pipeline
                        counts it by `reason`, logs it and carries on. Never fatal.

Skip reasons are short snake_case words so that summaries and metrics can group by them:
`http_404`, `fetch_error`, `too_large`, `not_html`, `binary`, `bad_feed`, `empty`, `bad_url`, ...
"""

from __future__ import annotations


class ScraperError(Exception):
    """Base of every error the scraper raises deliberately."""


class ConfigError(ScraperError):
    """Invalid configuration; the message names the file, the outlet and the key."""

    def __init__(self, message: str, *, path: str = "", outlet: str = "", key: str = "") -> None:
        where = ": ".join(part for part in (path, f'outlet "{outlet}"' if outlet else "",
                                               f'key "{key}"' if key else "") if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.outlet = outlet
        self.key = key


class StateError(ScraperError):
    """The state store is unusable (unreadable file, locked, corrupt)."""


class StoreInUse(StateError):
    """Another process holds the state store (its lock): a fleet worker waits its turn to be the committer."""


class OutputError(ScraperError):
    """The output directory is not writable. `published` names the segments that did reach the disk before
    it failed (their records are out, whatever the state store says)."""

    def __init__(self, message: str, published: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.published = published


class WorkerError(ScraperError):
    """The extraction worker processes die before they can run anything: the run stops, and the pages in
    flight are left for the next one (nothing is recorded for them)."""


class Skip(ScraperError):
    """Drop one item on purpose. `reason` is a short word for counting; `detail` is for the log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
