"""What waits for the state store's next commit: reports, their addresses, index rows, changes and progress,
held in memory until the output segment holding them is durable, and visible to lookups at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from scraper.records import Record
from scraper.state.stories import StagedPrints


@dataclass(frozen=True, slots=True)
class StagedReport:
    record: Record
    urls: tuple[str, ...]
    keep_body: bool = False
    text_sample: bytes = b""


@dataclass
class Staging:
    """Everything the next `State.commit()` writes in its one transaction."""

    reports: dict[str, StagedReport] = field(default_factory=dict)  # record_id -> staged report
    urls: dict[str, str] = field(default_factory=dict)  # url -> record_id
    aliases: dict[str, str] = field(default_factory=dict)  # url -> record_id, for reports already stored
    progress: dict[str, str] = field(default_factory=dict)  # backfill progress, committed with the reports it covers
    changes: list[Record] = field(default_factory=list)  # revisions and tombstones of stored reports
    statements: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)  # run inside the next commit
    prints: StagedPrints = field(default_factory=StagedPrints)  # near-duplicate index rows

    def empty(self) -> bool:
        prints = self.prints
        return not (self.reports or self.aliases or self.progress or self.changes or self.statements
                    or prints.prints or prints.merges or prints.stories or prints.origins)

    def clear(self) -> None:
        self.reports.clear()
        self.urls.clear()
        self.aliases.clear()
        self.progress.clear()
        self.changes.clear()
        self.statements.clear()
        self.prints.clear()
