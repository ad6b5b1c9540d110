"""The record each pipeline stage hands to the next, defined once as frozen dataclasses.

    Source  --discover-->  Link  --fetch-->  Fetched  --extract-->  Article  --analyse/dedup-->  Record

`Record` is the output contract: `Record.to_dict()` is exactly what one JSONL line holds, and
`scraper/schema/record-1.json` is its JSON Schema (tested against real output).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Source:
    """One configured outlet, with every default already applied."""

    id: str
    name: str
    languages: tuple[str, ...]
    homepage: str
    timezone: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    interval: float = 900.0  # seconds between two polls by the daemon
    delay: float = 1.0  # seconds between two requests to one host
    user_agent: str = "newsnorm/0.1"
    timeout: float = 30.0  # seconds for one HTTP request
    max_bytes: int = 8_000_000  # a response body larger than this is skipped
    strip_query: tuple[str, ...] = ()  # query parameters dropped from article URLs (tracking, feed markers)
    max_articles: int = 200  # articles fetched per poll at most; the rest wait for the next poll


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `sources.toml` says: the outlets and the file they came from."""

    path: str
    sources: tuple[Source, ...]
    concurrency: int = 32  # requests in flight over all hosts
    segment_records: int = 1000  # an output segment closes after this many records...
    segment_seconds: float = 30.0  # ...or this many seconds after its first record

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


@dataclass(frozen=True, slots=True)
class Link:
    """An article URL found by discovery, with what the feed or sitemap said about it."""

    url: str
    source_id: str
    found_in: str  # the feed or sitemap URL
    title: str | None = None
    published_at: datetime | None = None  # UTC


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched page, decoded to text."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    text: str
    encoding: str
    fetched_at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or "und" when nothing can be said
    confidence: float  # 0..1

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "confidence": round(self.confidence, 4)}


@dataclass(frozen=True, slots=True)
class Article:
    """What extraction made of one page: clean text and metadata, not yet analysed."""

    url: str
    canonical_url: str
    title: str
    paragraphs: tuple[str, ...]
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None  # UTC
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Record:
    """One normalised article: one line of the output directory (schema version 1)."""

    id: str
    url: str
    canonical_url: str
    source_id: str
    source_name: str
    title: str
    body: str
    authors: tuple[str, ...]
    published_at: datetime | None
    fetched_at: datetime
    language: Language
    content_hash: str
    duplicate_of: str | None = None
    truncated: bool = False  # the body was cut at a paragraph boundary to keep the line under 100 KB

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "source": {"id": self.source_id, "name": self.source_name},
            "title": self.title,
            "body": self.body,
            "authors": list(self.authors),
            "published_at": iso_utc(self.published_at) if self.published_at else None,
            "fetched_at": iso_utc(self.fetched_at),
            "language": self.language.to_dict(),
            "content_hash": self.content_hash,
            "duplicate_of": self.duplicate_of,
            "truncated": self.truncated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """Read back one output line (for recovery and checks); raises KeyError/ValueError if malformed."""
        published = data["published_at"]
        return cls(
            id=data["id"],
            url=data["url"],
            canonical_url=data["canonical_url"],
            source_id=data["source"]["id"],
            source_name=data["source"]["name"],
            title=data["title"],
            body=data["body"],
            authors=tuple(data["authors"]),
            published_at=datetime.fromisoformat(published) if published else None,
            fetched_at=datetime.fromisoformat(data["fetched_at"]),
            language=Language(data["language"]["code"], float(data["language"]["confidence"])),
            content_hash=data["content_hash"],
            duplicate_of=data["duplicate_of"],
            truncated=bool(data.get("truncated", False)),
        )


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second: the one date format of the output."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached the output; every stage must attach a zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
