"""The record each pipeline stage hands to the next, defined once as frozen dataclasses.

    Source  --discover-->  Link  --fetch-->  Fetched  --extract-->  Article  --analyse/dedup-->  Record

`Record` is the output contract: `Record.to_dict()` is exactly what one JSONL line holds, and
`scraper/schema/record-1.json` is its JSON Schema (tested against real output).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Selectors:
    """An outlet's own CSS selectors (selectolax) for the parts of its article pages; None = generic."""

    body: str | None = None
    title: str | None = None
    date: str | None = None
    authors: str | None = None


TemplateKind = Literal["page", "date", "single"]
_SAMPLE_DAY = date(2024, 7, 23)
_OTHER_DAY = date(2019, 2, 11)  # another year, month, day of the month and of the week


def template_kind(template: str) -> TemplateKind:
    """`page` for a `{page}` template, `date` for `{date:<strftime>}`; ValueError for anything else."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as exc:
        raise ValueError(f'not a valid URL template ({exc}; write a literal brace as "{{{{"): "{template}"') from None
    names = {name for name, _, _ in fields}
    if not names:
        # No placeholder: one page, e.g. a front page whose links are the day's articles.
        parts = urlsplit(template)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f'expected an http(s) URL (with "{{page}}" or "{{date:...}}" to page), got "{template}"')
        return "single"
    if not names <= {"page", "date"}:
        unknown = ", ".join(sorted(f'"{{{n}}}"' for n in names - {"page", "date"}))
        raise ValueError(f'unknown field {unknown} in the URL template (known: "{{page}}", "{{date:...}}")')
    if names == {"page", "date"}:
        raise ValueError('the URL template may page by "{page}" or by "{date:...}", not both')
    if any(conversion for _, _, conversion in fields):
        raise ValueError(f'conversions like "!r" are not allowed in the URL template: "{template}"')
    if "date" in names:
        if any(not spec or "%" not in spec for _, spec, _ in fields):
            raise ValueError(f'a date field needs a strftime format, like "{{date:%Y-%m-%d}}": "{template}"')
        sample = template.format(date=_SAMPLE_DAY)
        if template.format(date=_OTHER_DAY) == sample:  # e.g. "%Q", which strftime copies as it is
            raise ValueError(f'the date format gives the same URL for every day (no year, month or day in it): '
                             f'"{template}"')
    else:
        try:
            sample = template.format(page=7)
        except ValueError as exc:
            raise ValueError(f'bad format for "{{page}}" ({exc}): "{template}"') from None
    parts = urlsplit(sample)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f'expected an http(s) URL template with a host, got "{template}"')
    return "date" if "date" in names else "page"


@dataclass(frozen=True, slots=True)
class Listing:
    """One paginated listing or archive of an outlet.

    `url` is a template: `{page}` (first_page, first_page + 1, ...) or `{date:<strftime>}` (one page per
    day, newest first). `links`, `item` and `dates` are selectolax CSS selectors (see the module docstring).
    `max_pages` caps a `{page}` walk, and a `{date}` walk when no `since` bounds it.
    """

    url: str
    links: str | None = None  # None: every link matching the outlet's `article_url`
    item: str | None = None
    dates: str | None = None
    first_page: int = 1
    max_pages: int = 50

    def __post_init__(self) -> None:
        template_kind(self.url)
        if self.dates is not None and self.item is None:
            raise ValueError('"dates" needs "item": a date is read inside each list entry')
        if self.item is not None and self.links is None:
            raise ValueError('"item" needs "links": the article link is read inside each list entry')
        if self.first_page < 0 or self.max_pages <= 0:
            raise ValueError("first_page must be ≥ 0 and max_pages > 0")

    @property
    def kind(self) -> TemplateKind:
        """`page` or `date`: only a `page` walk should stop early on `stop_reason` (see there)."""
        return template_kind(self.url)


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
    max_bytes: int = 5_000_000  # a body larger than this (after decompression) is skipped
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # between two reads
    max_concurrency_per_host: int = 1  # requests in flight to one host
    retries: int = 3  # retries of connect errors, timeouts, 408, 429, 5xx (with back-off)
    max_retry_after: float = 600.0  # a longer Retry-After is cut to this
    max_crawl_delay: float = 60.0  # a host whose robots.txt asks for more is skipped
    # Private/loopback addresses this outlet may fetch from, at any redirect hop (intranet mirrors, tests):
    # networks ("10.0.0.0/8") and host names, as scraper/fetch/guard.py's PrivateAllowance reads them;
    # True: any address (logged as a warning), False: none.
    allow_private: bool | tuple[str, ...] = False
    # An HTTP proxy every request of this outlet goes through ("http://user:password@host:port"); None: directly.
    # The proxy itself may be on a private address; the addresses it is asked for are checked as without one.
    proxy: str | None = None
    strip_query: tuple[str, ...] = ()  # query parameters dropped from article URLs (tracking, feed markers)
    max_articles: int = 200  # articles fetched per poll at most; the rest wait for the next poll
    listings: tuple[Listing, ...] = ()  # paginated listing/archive pages (scraper/discover/listings.py)
    from_feed: bool = False  # take the article from the feed's full text instead of fetching its page
    selectors: Selectors | None = None  # per-outlet page selectors from sources.toml; they win when given
    # A stand-in for a site no outlet is configured for (a web archive's other hosts): its text may be in any
    # language, not only the analysis's candidates (not a sources.toml key).
    any_language: bool = False
    # What the outlet's article URLs look like (searched in the absolute URL): how listings and feeds tell
    # articles from other links, and what a listing falls back to when its selectors match nothing.
    article_url: re.Pattern[str] | None = None
    # When the outlet does not answer (unreachable, refused), read it through this web archive ("wayback"), or not.
    fallback: str | None = None
    archive_prefixes: tuple[str, ...] = ()  # where its articles sit, for a backfill from the archive's index
    # Articles published in the last `revisit_for` seconds are read again every `revisit_every` (None: never), for
    # edits (a revision record) and deletions (a tombstone).
    revisit_every: float | None = 86400.0
    revisit_for: float = 30 * 86400.0
    # An outlet whose polls succeed and have found no article not written before for this long (None: never told)
    # is a problem in /healthz: a feed frozen on an old copy, a site that moved its news, a filter that drops it all.
    quiet_after: float | None = 3 * 86400.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `sources.toml` says: the outlets and the file they came from."""

    path: str
    sources: tuple[Source, ...]
    concurrency: int = 32  # requests in flight over all hosts
    pause_after_failures: int = 5  # consecutive failures that pause a host (circuit breaker)...
    pause_for: float = 600.0  # ...for this many seconds
    alias_files: tuple[str, ...] = ()  # the user's own name alias tables ([analyse] aliases)
    dedup_window: float = 30 * 86400.0  # reports further apart are never one story ([dedup] window)
    segment_records: int = 1000  # an output segment closes after this many records...
    segment_seconds: float = 30.0  # ...or this many seconds after its first record
    drift_after: int = 3  # consecutive pages on which an outlet's rule matched nothing before it is a problem
    archive_url: str = "https://web.archive.org"  # the Wayback Machine an outlet's `fallback` reads through
    archive_delay: float = 2.0  # seconds between two requests to it
    archive_max_age: float = 30 * 86400.0  # a capture older than this is not taken for a live poll
    archive_allow_private: bool | tuple[str, ...] = False  # (a local mirror of the archive; tests)
    ccnews_url: str = "https://data.commoncrawl.org/"  # Common Crawl's server, for `backfill --cc-news`
    ccnews_delay: float = 1.0  # seconds between two requests to it (a file is one long request)
    ccnews_retries: int = 3  # tries again of a request, and reconnections of a file cut off in a row
    ccnews_allow_private: bool | tuple[str, ...] = False  # (a local mirror of Common Crawl; tests)
    proxy: str | None = None  # [defaults] proxy: also the web archive's, Common Crawl's and `extract`'s of other sites

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who published an article an aggregator lists: its feed item's `<source url="…">Name</source>`."""

    name: str
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Publisher:
        return cls(str(data["name"]), data.get("url"))


@dataclass(frozen=True, slots=True)
class Link:
    """An article URL found by discovery, with what the feed or sitemap said about it."""

    url: str
    source_id: str
    found_in: str  # the feed or sitemap URL
    title: str | None = None
    published_at: datetime | None = None  # UTC
    content: str | None = None  # the feed's own HTML of the article (content:encoded), when it carries one
    publisher: Publisher | None = None  # an aggregator's item: who published the article
    aggregator_url: str | None = None  # an aggregator's item: its own link (`url` is the publisher's, if known)
    # The item's link leads to no page we can read (an aggregator's opaque redirect): the record is made of
    # what the feed says (title, publisher, date), with no body.
    feed_only: bool = False


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """Whether one of an outlet's own rules (a selector, the article URL pattern) found what it is for on
    one page, or the generic path had to stand in. `rule` names it: "title", "date", "body",
    "listing[0].item", "listing[0].links", "listing[0].dates", "feed.article_url"."""

    rule: str
    matched: bool


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched page, decoded to text (or, with `raw`, to be decoded where it is extracted)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content_type: str
    text: str
    encoding: str
    fetched_at: datetime  # UTC
    etag: str | None = None  # validators, kept for conditional GET of feeds and sitemaps
    last_modified: str | None = None
    size: int = 0  # body bytes, after decompression
    # The body as received, when decoding it is left to the worker process that extracts the page (pages read
    # from an archive): `text` and `encoding` are empty until `fetch.guard.decoded` fills them. Decoding in the
    # single-writer process would cost it a charset detection on every legacy-encoded page, and text crosses to
    # a worker re-encoded as UTF-8, where bytes are copied.
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class ParagraphLanguage:
    """One paragraph's language and its share of the document's letters (in paragraph order)."""

    code: str
    share: float  # 0..1

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "share": round(self.share, 4)}


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or "und" when nothing can be said
    confidence: float  # 0..1
    paragraphs: tuple[ParagraphLanguage, ...] = ()  # one per paragraph, only when languages are mixed

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "confidence": round(self.confidence, 4)}
        if self.paragraphs:
            out["paragraphs"] = [p.to_dict() for p in self.paragraphs]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Language:
        paragraphs = tuple(ParagraphLanguage(p["code"], float(p["share"])) for p in data.get("paragraphs", ()))
        return cls(data["code"], float(data["confidence"]), paragraphs)


@dataclass(frozen=True, slots=True)
class Residue:
    """Page interface removed from article text (scraper/analyse/residue.py): kept as evidence of how the
    text was produced. `kind` is language_menu or interface; `paragraph` is the index it was found at."""

    kind: str
    text: str
    paragraph: int


@dataclass(frozen=True, slots=True)
class TranslationSignal:
    """One artefact of (machine) translation: `kind` is name_variants, calque, ui_residue, mixed_script or
    statistics (the model's reading of the wording, or why it did not read it)."""

    kind: str
    evidence: tuple[str, ...]  # what was found, as printed in the text (a name group is "A / B / C")
    language: str | None = None  # the source language the artefact points to, if any (not serialised)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "evidence": list(self.evidence)}


@dataclass(frozen=True, slots=True)
class Translation:
    """Whether the text reads as a (machine) translation, and why."""

    suspected: bool = False
    score: float = 0.0  # 0..1
    likely_source_language: str | None = None
    signals: tuple[TranslationSignal, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "suspected": self.suspected,
            "score": round(self.score, 4),
            "likely_source_language": self.likely_source_language,
            "signals": [s.to_dict() for s in self.signals],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Translation:
        signals = tuple(TranslationSignal(s["kind"], tuple(s["evidence"])) for s in data.get("signals", ()))
        return cls(bool(data["suspected"]), float(data["score"]), data.get("likely_source_language"), signals)


@dataclass(frozen=True, slots=True)
class NameGroup:
    """One person (or organisation) named in the text, however spelt: the body is never rewritten. `kind` is
    "person", or "organisation" for the alias table's organisations (KCNA, Cheong Wa Dae)."""

    canonical: str
    variants: tuple[str, ...]  # spellings as printed, most frequent first
    count: int  # mentions over all spellings
    kind: str = "person"

    def to_dict(self) -> dict[str, Any]:
        return {"canonical": self.canonical, "variants": list(self.variants), "count": self.count, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NameGroup:
        # records written before `kind` was added hold people and the alias table's organisations alike
        return cls(data["canonical"], tuple(data["variants"]), int(data["count"]), data.get("kind", "person"))


@dataclass(frozen=True, slots=True)
class Dateline:
    """Where and when the text says it was filed: "PYONGYANG, July 23 (KCNA) --" → place and date as printed."""

    place: str
    date_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"place": self.place, "date_text": self.date_text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dateline:
        return cls(data["place"], data.get("date_text"))


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
    subtitle: str | None = None  # the standfirst under the headline, when the page has one
    dateline: Dateline | None = None  # taken out of the first paragraph
    credit: str | None = None  # the wire or agency the text credits ("Yonhap", "KCNA"); its line is removed
    updated_at: datetime | None = None  # UTC; the page's last-modified time when it prints one
    residue: tuple[Residue, ...] = ()  # language menus and interface strings removed from the paragraphs
    # Notes from the wire's desk to editors, taken out of the text: "(ATTN: UPDATES with quotes at bottom)".
    editor_notes: tuple[str, ...] = ()
    rules: tuple[RuleOutcome, ...] = ()  # the outlet's page selectors that matched or fell back (drift)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Story:
    """The story a report belongs to (the cluster of one item's reports), as known when it was written."""

    id: str  # the record id of the story's first report
    # "first"; "copy" (its text is in the story already); "update" (it adds substantially more); "translation"
    # (the story in another language, linked by its numbers, dates, names and shape, never a duplicate)
    role: str
    similarity: float  # 0..1: share of the shorter text found in the first report's (1 for the first)
    origin: str | None = None  # the wire the story credits ("Yonhap", "KCNA"), once any report says so
    # Stories this report showed to be this one (it matched reports of each): their ids, whose records already
    # written keep them. Written only when there are any.
    merged: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "role": self.role, "similarity": round(self.similarity, 4), "origin": self.origin}
        if self.merged:
            out["merged"] = list(self.merged)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Story:
        return cls(data["id"], data["role"], float(data["similarity"]), data.get("origin"),
                   tuple(data.get("merged", ())))


@dataclass(frozen=True, slots=True)
class Archive:
    """Where an archived capture came from: a WARC file and the record's offset in it, or a web archive's
    capture (`service` "wayback", its 14-digit UTC `timestamp` and the capture's `url`)."""

    file: str = ""
    offset: int = 0
    service: str = ""
    timestamp: str = ""
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        if self.service:
            return {"service": self.service, "timestamp": self.timestamp, "url": self.url}
        return {"file": self.file, "offset": self.offset}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Archive:
        if data.get("service"):
            return cls(service=str(data["service"]), timestamp=str(data["timestamp"]), url=str(data["url"]))
        return cls(str(data["file"]), int(data["offset"]))


@dataclass(frozen=True, slots=True)
class Revision:
    """A later version of an article already written: its number (1 for the first change), the content hash
    it replaces, when the change was seen, and how many words it added and removed."""

    number: int
    previous_content_hash: str
    changed_at: datetime
    words_added: int
    words_removed: int

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "previous_content_hash": self.previous_content_hash,
                "changed_at": iso_utc(self.changed_at), "words_added": self.words_added,
                "words_removed": self.words_removed}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Revision:
        return cls(int(data["number"]), str(data["previous_content_hash"]),
                   datetime.fromisoformat(data["changed_at"]), int(data["words_added"]), int(data["words_removed"]))


@dataclass(frozen=True, slots=True)
class Deletion:
    """An article already written that its outlet no longer serves: when that was seen, and how (`http_404`,
    `http_410`, `redirect_home`, `redirect_elsewhere`: to a page whose text is not the article's, `not_found_page`:
    a "not found" page served with status 200,
    `unlisted_unreachable`: gone from the outlet's indexes and no article under its
    URL on two revisits in a row)."""

    deleted_at: datetime
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {"deleted_at": iso_utc(self.deleted_at), "how": self.how}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deletion:
        return cls(datetime.fromisoformat(data["deleted_at"]), str(data["how"]))


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
    translation: Translation = Translation()  # machine-translation artefacts (scraper/analyse/translation.py)
    names: tuple[NameGroup, ...] = ()  # people named, one entry per person however spelt
    story: Story | None = None  # near-duplicate story (scraper/dedup/index.py); None before dedup
    subtitle: str | None = None
    dateline: Dateline | None = None
    credit: str | None = None
    updated_at: datetime | None = None
    archive: Archive | None = None  # set when the page came from a WARC file, not from the web
    editor_notes: tuple[str, ...] = ()
    publisher: Publisher | None = None  # who published it, when an aggregator's feed says so
    aggregator_url: str | None = None  # the aggregator's link the article was found through
    feed_only: bool = False  # made of a feed item alone: `body` is empty, the page was never read
    revision: Revision | None = None  # a later version of an article written before (same `id`)
    deleted: Deletion | None = None  # a tombstone: the article written before (same `id`) is gone

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
            "translation": self.translation.to_dict(),
            "names": [n.to_dict() for n in self.names],
            "story": self.story.to_dict() if self.story else None,
            "subtitle": self.subtitle,
            "dateline": self.dateline.to_dict() if self.dateline else None,
            "credit": self.credit,
            "updated_at": iso_utc(self.updated_at) if self.updated_at else None,
            "archive": self.archive.to_dict() if self.archive else None,
            "editor_notes": list(self.editor_notes),
            "publisher": self.publisher.to_dict() if self.publisher else None,
            "aggregator_url": self.aggregator_url,
            "feed_only": self.feed_only,
            "revision": self.revision.to_dict() if self.revision else None,
            "deleted": self.deleted.to_dict() if self.deleted else None,
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
            language=Language.from_dict(data["language"]),
            content_hash=data["content_hash"],
            duplicate_of=data["duplicate_of"],
            truncated=bool(data.get("truncated", False)),
            translation=Translation.from_dict(data["translation"]) if "translation" in data else Translation(),
            names=tuple(NameGroup.from_dict(n) for n in data.get("names", ())),
            story=Story.from_dict(data["story"]) if data.get("story") else None,
            subtitle=data.get("subtitle"),
            dateline=Dateline.from_dict(data["dateline"]) if data.get("dateline") else None,
            credit=data.get("credit"),
            updated_at=datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else None,
            archive=Archive.from_dict(data["archive"]) if data.get("archive") else None,
            editor_notes=tuple(data.get("editor_notes") or ()),
            publisher=Publisher.from_dict(data["publisher"]) if data.get("publisher") else None,
            aggregator_url=data.get("aggregator_url"),
            feed_only=bool(data.get("feed_only", False)),
            revision=Revision.from_dict(data["revision"]) if data.get("revision") else None,
            deleted=Deletion.from_dict(data["deleted"]) if data.get("deleted") else None,
        )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the start of Unix time, as an aware datetime


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second: the one date format of the output."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached the output; every stage must attach a zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
