"""The state store's tables, as the SQL both SQLite and PostgreSQL speak (scraper/db.py), and the statements
several parts of the store share."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    record_id     TEXT PRIMARY KEY,
    source_id     TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    duplicate_of  TEXT,
    published_at  TEXT,
    fetched_at    TEXT NOT NULL,
    last_read     TEXT,                       -- the last time its page was read again (revisits)
    revisions     INTEGER NOT NULL DEFAULT 0, -- revision records written of it
    deleted_at    TEXT,                       -- when a tombstone was written of it
    feed_only     INTEGER NOT NULL DEFAULT 0, -- made of a feed item: no page to read again
    last_listed   TEXT,                       -- the last time a feed, sitemap or listing of its outlet listed it
    read_failures INTEGER NOT NULL DEFAULT 0  -- revisits in a row that found no article under its URL
);
CREATE TABLE IF NOT EXISTS bodies (  -- the text last written of recent reports, to tell a revision from a trifle
    record_id TEXT PRIMARY KEY,
    at        TEXT NOT NULL,  -- when it was written (pruning goes by it)
    body      BLOB NOT NULL   -- zlib-compressed UTF-8
);
CREATE TABLE IF NOT EXISTS report_texts (  -- a sample of each report's text: is another page declaring its
    record_id TEXT PRIMARY KEY,             -- canonical URL the same article? (scraper/commit.py, `_own_identity`)
    sample    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS urls (
    url       TEXT PRIMARY KEY,
    record_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    name       TEXT PRIMARY KEY,  -- path relative to the output directory
    recovered  INTEGER NOT NULL DEFAULT 0  -- 1: found on disk at start-up, its commit had been lost
);
CREATE TABLE IF NOT EXISTS progress (  -- where a backfill got to (e.g. the next offset in a WARC file)
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS polls (  -- for `scraper stats`: how each outlet's polling goes
    outlet       TEXT PRIMARY KEY,
    last_poll    TEXT NOT NULL,
    last_success TEXT,
    last_error   TEXT,
    paused_hosts TEXT NOT NULL DEFAULT '',
    last_result  TEXT, -- ok, unreachable, refused, error
    last_new     TEXT  -- the last poll that found an article not written before
);
CREATE TABLE IF NOT EXISTS pending (  -- links discovered and not yet written or given up on: the next poll's first
    url        TEXT PRIMARY KEY,         -- canonical
    source_id  TEXT NOT NULL,
    link       TEXT NOT NULL,            -- the Link as JSON (title, feed date, publisher, feed text...)
    published  TEXT,                     -- the link's date (ISO), for the order of taking
    found_at   TEXT NOT NULL,            -- first discovered
    seq        INTEGER NOT NULL DEFAULT 0 -- discovery order (page order) among links found at once
);
CREATE INDEX IF NOT EXISTS pending_by_source ON pending (source_id, found_at);
CREATE TABLE IF NOT EXISTS meta (  -- what this store belongs to (the output directory it records)
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rule_checks (  -- how each outlet's own selectors fare on its pages (drift)
    outlet        TEXT NOT NULL,
    rule          TEXT NOT NULL,     -- "title", "date", "body", "listing[0].item", "feed.article_url", ...
    misses_in_row INTEGER NOT NULL,  -- pages in a row on which it matched nothing
    misses        INTEGER NOT NULL,  -- in all
    pages         INTEGER NOT NULL,  -- pages it was tried on, in all
    last_miss     TEXT,
    last_match    TEXT,
    PRIMARY KEY (outlet, rule)
);
CREATE TABLE IF NOT EXISTS article_streaks (  -- an outlet's articles that could not be read, in a row
    outlet  TEXT PRIMARY KEY,
    in_row  INTEGER NOT NULL,  -- articles tried since the last one collected, all failed
    reasons TEXT NOT NULL,     -- why, as JSON {"http_403": 12}
    since   TEXT NOT NULL      -- when the first of them failed
);
CREATE TABLE IF NOT EXISTS validators (  -- conditional GET of feeds and sitemaps
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    body_hash     TEXT NOT NULL,
    trusted       INTEGER NOT NULL,  -- (kept for older readers; distrust_until says it now)
    verified_at   TEXT NOT NULL,
    conditional   INTEGER NOT NULL DEFAULT 0,  -- conditional requests since the last unconditional one
    distrust_until TEXT  -- validators caught lying are not sent until then
);
CREATE TABLE IF NOT EXISTS failures (
    url       TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    reason    TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    last_at   TEXT NOT NULL,
    retry_at  TEXT NOT NULL
);
-- The near-duplicate index (scraper/dedup/index.py): one print per report, band and window keys
-- pointing at prints, one row per story. Pruned to a time window; band keys are 64-bit integers.
CREATE TABLE IF NOT EXISTS dedup_stories (
    story    INTEGER PRIMARY KEY,  -- the print of the story's first report
    first_id TEXT NOT NULL,        -- that report's record id
    origin   TEXT,                 -- the wire the story credits ("Yonhap"), once known
    merged_into INTEGER            -- the story this one was found to be (a report matched both); NULL: its own
);
CREATE TABLE IF NOT EXISTS dedup_prints (
    fp        INTEGER PRIMARY KEY,
    story     INTEGER NOT NULL,
    at        INTEGER NOT NULL,  -- minutes since 1970-01-01 UTC: published, else fetched
    added     INTEGER NOT NULL,  -- minutes since 1970-01-01 UTC: fetched (what pruning goes by)
    words     INTEGER NOT NULL,
    shingles  INTEGER NOT NULL,
    signature BLOB NOT NULL,
    lead      BLOB NOT NULL,
    starts    BLOB NOT NULL,
    title_key INTEGER,
    xtitle_key INTEGER, -- the title's key across outlets (feed-only records join stories by it)
    sample    BLOB,     -- a consistent sample of the shingles (scraper/dedup/fingerprint.py)
    lang      TEXT,     -- the report's language, and its anchors and shape: how translations find it
    anchors   BLOB,     -- (scraper/dedup/anchors.py)
    shape     BLOB,
    passage   INTEGER   -- 1: it joined its story by a passage only (a brief inside its own text)
);
CREATE INDEX IF NOT EXISTS dedup_prints_by_added ON dedup_prints (added);
CREATE INDEX IF NOT EXISTS dedup_prints_by_story ON dedup_prints (story);
CREATE TABLE IF NOT EXISTS dedup_keys (
    key INTEGER NOT NULL,
    fp  INTEGER NOT NULL,
    PRIMARY KEY (key, fp)
) WITHOUT ROWID;
"""
# Indexes on columns a store of an older version gains on opening (created after that).
INDEXES = """
-- Pruning keeps a story that others were merged into (their reports still name it): found by this.
CREATE INDEX IF NOT EXISTS dedup_stories_by_merge ON dedup_stories (merged_into) WHERE merged_into IS NOT NULL;
-- An outlet's recent articles, the ones read again (`due_for_revisit`), without a scan of its archive.
CREATE INDEX IF NOT EXISTS reports_recent ON reports (source_id, coalesce(published_at, fetched_at))
    WHERE deleted_at IS NULL AND feed_only = 0;
"""
SCHEMA_VERSION = 1


def upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    """An INSERT that replaces the row with the same `key` (SQLite's INSERT OR REPLACE, in the SQL both databases
    speak)."""
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column not in key)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")


REPLACE_BODY = upsert("bodies", ("record_id", "at", "body"), ("record_id",))
# A report's text kept for revisits; `at` stays the time it was first kept (pruning goes by it).
KEEP_BODY = "INSERT INTO bodies VALUES (?, ?, ?) ON CONFLICT (record_id) DO UPDATE SET body = excluded.body"
