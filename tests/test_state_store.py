"""The state store's contract, on both of its databases: a SQLite file (the embedded default) and a PostgreSQL server
(`--database`, for many processes). Every test runs on each; nothing above the store knows which it has."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scraper.errors import StateError
from scraper.fetch.conditional import Validators
from scraper.records import Deletion, Language, Link, Record, Revision, iso_utc
from scraper.state import RuleCheck, State, StoredPrint

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
RECORD = Record(
    id="wire-0123456789abcdef0123", url="https://x.org/a?input=rss", canonical_url="https://x.org/a",
    source_id="wire", source_name="Wire", title="Title", body="First.\n\nSecond.", authors=("Kim",),
    published_at=NOW - timedelta(days=1), fetched_at=NOW - timedelta(hours=1), language=Language("en", 0.99),
    content_hash="sha256:" + "0" * 64,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "state.sqlite")
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def store(address: str) -> Iterator[State]:
    state = State(address)
    yield state
    state.close()


def test_reports_are_visible_staged_and_kept_only_once_committed(address: str, store: State) -> None:
    store.stage(RECORD, ("https://x.org/a", "https://x.org/a?input=rss"))
    assert store.known_url("https://x.org/a") == RECORD.id and store.has_record(RECORD.id)
    store.discard_staged()
    assert store.known_url("https://x.org/a") is None  # never committed: it will be fetched again
    store.stage(RECORD, ("https://x.org/a",))
    store.stage_aliases(("https://x.org/a/amp",), RECORD.id)
    store.stage_progress("warc:f", "1234")
    store.commit(["2026/12/05/a.jsonl"])
    store.commit(["2026/12/05/a.jsonl"])  # (committing a segment again is harmless)
    store.close()
    again = State(address)
    try:
        assert again.known_url("https://x.org/a") == RECORD.id and again.known_url("https://x.org/a/amp") == RECORD.id
        assert again.has_record(RECORD.id) and again.count_reports() == 1
        assert again.progress("warc:f") == "1234" and again.committed_segments() == {"2026/12/05/a.jsonl"}
        assert again.integrity_ok()
    finally:
        again.close()


def test_links_wait_until_written_or_given_up_on(store: State) -> None:
    undated = Link("https://x.org/b", "wire", "https://x.org/list", title="B")
    dated = replace(undated, published_at=NOW)
    links = store.links
    assert links.add_pending("wire", [("https://x.org/b", undated), ("https://x.org/c", replace(undated, url="c"))],
                             NOW) == 2
    assert links.add_pending("wire", [("https://x.org/b", undated)], NOW + timedelta(minutes=5)) == 0  # known
    assert links.add_pending("wire", [("https://x.org/b", dated)], NOW + timedelta(minutes=9)) == 1  # gains a date
    waiting = {url: (link, found) for url, link, found in store.links.pending("wire")}
    assert waiting["https://x.org/b"] == (dated, NOW)  # its first discovery time kept
    assert store.links.count_pending("wire") == 2 and store.links.count_pending() == 2
    store.links.drop_pending(["https://x.org/c"])
    store.stage(replace(RECORD, canonical_url="https://x.org/b"), ("https://x.org/b",))
    store.commit()
    assert store.links.pending("wire") == []  # written: no longer waiting


def test_failures_wait_for_their_retry_time(store: State) -> None:
    store.links.note_failure("https://x.org/gone", "wire", "http_404", NOW + timedelta(days=1))
    assert not store.links.retry_due("https://x.org/gone", NOW)
    assert store.links.retry_due("https://x.org/gone", NOW + timedelta(days=1, minutes=1))
    store.links.note_failure("https://x.org/gone", "wire", "http_410", NOW + timedelta(days=2))
    assert store.links.failures() == [("https://x.org/gone", "wire", "http_410", 2)]
    assert store.links.failure_reason("https://x.org/gone") == "http_410"


def test_a_store_of_an_earlier_version_files_its_urls_under_their_one_spelling(address: str, store: State) -> None:
    # What a store written before spellings of one address were made one (scraper/urls.py) holds: a report, a
    # waiting link and a failing URL under spellings canonicalize() no longer gives.
    old, new = "https://x.org/%ea%b8%b0%ec%82%ac/1", "https://x.org/%EA%B8%B0%EC%82%AC/1"
    store.stage(replace(RECORD, canonical_url=old), (old, "https://x.org/기사/1", "https://x.org/a"))
    store.commit(["2026/12/05/a.jsonl"])
    waiting = Link("https://x.org/~wait", "wire", "https://x.org/feed")
    store.links.add_pending("wire", [("https://x.org/%7ewait", waiting)], NOW)
    store.links.note_failure("https://x.org/./gone", "wire", "http_503", NOW + timedelta(days=1))
    session = replace(RECORD, id="wire-" + "1" * 20, canonical_url="https://x.org/b.do;jsessionid=A1?id=2")
    store.stage(session, ("https://x.org/b.do;jsessionid=A1?id=2",))  # (spelled so before session ids went)
    store.commit(["2026/12/05/b.jsonl"])
    store._db.execute("DELETE FROM meta WHERE key = 'url_spelling'")
    store.close()
    for _ in range(2):  # (and opening it again changes nothing)
        again = State(address)
        try:
            assert again.known_url(new) == RECORD.id  # the report is not written again under its new spelling
            assert again.known_url(old) == RECORD.id and again.known_url("https://x.org/a") == RECORD.id
            assert [url for url, _, _ in again.links.pending("wire")] == ["https://x.org/~wait"]
            assert again.links.failures() == [("https://x.org/gone", "wire", "http_503", 1)]
            assert not again.links.retry_due("https://x.org/gone", NOW)
            assert again.known_article("https://x.org/b.do;jsessionid=Z9?id=2") == session.id  # another session
            assert again.count_reports() == 2 and again.integrity_ok()
        finally:
            again.close()


def test_a_store_spelled_before_session_ids_went_is_respelled_once_more(address: str, store: State) -> None:
    """A store marked with the spelling of early December 2026 (2) is looked over again for session ids."""
    store.stage(RECORD, ("https://x.org/news/1;jsessionid=OLD",))
    store.commit(["2026/12/05/a.jsonl"])
    store._db.execute("UPDATE meta SET value = '2' WHERE key = 'url_spelling'")
    store.close()
    again = State(address)
    try:
        assert again.known_article("https://x.org/news/1;jsessionid=NEW") == RECORD.id
        assert again._db.execute("SELECT value FROM meta WHERE key = 'url_spelling'").fetchone()[0] == "3"
    finally:
        again.close()


def test_validators_polls_and_rules(store: State) -> None:
    validators = Validators("https://x.org/feed", '"e1"', "Sat, 05 Dec 2026 10:00:00 GMT", "abc", NOW, 2, None)
    store.outlets.save_validators(validators, validators.url)
    store.outlets.save_validators(replace(validators, etag='"e2"'), validators.url)
    assert store.outlets.validators(validators.url) == replace(validators, etag='"e2"')
    store.outlets.save_validators(None, validators.url)
    assert store.outlets.validators(validators.url) is None

    store.outlets.record_poll_start("wire", NOW)
    store.outlets.record_poll("wire", NOW, "ok", "", [])
    store.outlets.record_poll("wire", NOW + timedelta(minutes=15), "unreachable", "unreachable=2", ["x.org"])
    check = RuleCheck("wire", "title", 3, 5, 9, NOW, NOW - timedelta(days=1))
    store.outlets.save_rule_checks([check])
    store.outlets.save_rule_checks([replace(check, misses_in_row=0, last_match=NOW)])
    assert store.outlets.rule_checks() == [replace(check, misses_in_row=0, last_match=NOW)]
    store.stage(RECORD, ("https://x.org/a",))
    store.stage(replace(RECORD, id="wire-2", canonical_url="https://x.org/2", duplicate_of=RECORD.id,
                        fetched_at=NOW - timedelta(days=3)), ("https://x.org/2",))
    store.commit()
    [row] = store.outlets.outlet_stats(NOW)
    assert (row["outlet"], row["last_result"], row["last_error"], row["paused_hosts"]) == (
        "wire", "unreachable", "unreachable=2", ["x.org"])
    assert row["last_success"] == "2026-12-05T12:00:00Z"  # only an ok poll moves it
    assert (row["articles_today"], row["articles_7d"], row["articles_total"], row["duplicates_7d"]) == (1, 2, 2, 1)


def test_revisits_revisions_and_tombstones(store: State) -> None:
    store.stage(RECORD, ("https://x.org/a",), keep_body=True)
    other = replace(RECORD, id="wire-2", canonical_url="https://x.org/2")
    store.stage(other, ("https://x.org/2",), keep_body=True)
    store.commit()
    assert store.revisits.body(RECORD.id) == RECORD.body
    store.revisits.note_listed([RECORD.id], NOW)
    due = store.revisits.due_for_revisit("wire", NOW - timedelta(days=30), NOW, 10)
    assert [d.record_id for d in due] == [RECORD.id, "wire-2"] and due[0].last_listed == NOW
    revision = replace(RECORD, body="First.\n\nSecond, changed.", content_hash="sha256:" + "1" * 64,
                       fetched_at=NOW, revision=Revision(1, RECORD.content_hash, NOW, 1, 0))
    tombstone = replace(other, title="", body="", fetched_at=NOW, deleted=Deletion(NOW, "http_404"))
    store.revisits.stage_change(revision)
    store.revisits.stage_change(tombstone)
    assert not store.revisits.has_change(revision)
    store.commit(["2026/12/05/b.jsonl"])
    assert store.revisits.has_change(revision) and store.revisits.has_change(tombstone)
    assert store.revisits.body(RECORD.id) == revision.body and store.revisits.body("wire-2") is None
    due = store.revisits.due_for_revisit("wire", NOW - timedelta(days=30), NOW - timedelta(seconds=1), 10)
    assert due == []  # read now
    [row] = store.outlets.outlet_stats(NOW)
    assert (row["revisions"], row["deleted"]) == (1, 1)
    store.revisits.read_again(RECORD.id, NOW + timedelta(days=1), found=False)
    [again] = store.revisits.due_for_revisit("wire", NOW - timedelta(days=30), NOW + timedelta(days=2), 10)
    assert again.read_failures == 1 and again.content_hash == revision.content_hash and again.revisions == 1
    store.revisits.rebase(RECORD.id, "sha256:" + "2" * 64, "Rebased.", NOW + timedelta(days=2))
    assert store.revisits.body(RECORD.id) == "Rebased."
    assert store.revisits.prune_bodies("wire", NOW + timedelta(days=400)) == 1
    assert store.revisits.body(RECORD.id) is None


def test_the_story_index(store: State) -> None:
    row = StoredPrint(0, 0, 29_000_000, 120, 110, b"\x01" * 16, b"lead", b"starts", 7, 8, b"s", "en", b"a",
                      b"sh", True)
    first = store.stories.stage_print(row, 29_000_000, (1 << 62, -5), first_id=RECORD.id, origin=None)
    second = store.stories.stage_print(replace(row, story=first.fp), 29_000_100, (-5,))
    store.stories.stage_origin(first.story, "Yonhap")
    store.commit()
    assert store.stories.print_candidates([-5, 1 << 62], per_key=10) == {first.fp: 2, second.fp: 1}
    assert {p.fp for p in store.stories.prints([first.fp, second.fp])} == {first.fp, second.fp}
    [stored] = store.stories.prints([first.fp])
    assert stored == first and isinstance(stored.signature, bytes)
    story = store.stories.story(first.story)
    assert story is not None and (story.first_id, story.origin) == (RECORD.id, "Yonhap")
    third = store.stories.stage_print(row, 29_000_200, (9,), first_id="wire-3")
    store.stories.stage_merge(third.story, first.story)
    store.commit()
    resolved = store.stories.resolve(third.story)
    assert resolved is not None and resolved.story == first.story
    assert store.stories.merged_stories() == [("wire-3", RECORD.id)]
    stories = store.stories
    assert stories.prune_prints(29_000_150, lambda p: {p.fp: (1 << 62, -5), second.fp: (-5,)}.get(p.fp, (9,))) == 2
    assert store.stories.count_prints() == 1 and store.stories.print_candidates([-5], per_key=10) == {}
    assert store.stories.story(first.story) is not None  # a story merged into it still has a print


def test_one_output_and_one_process_per_store(address: str, store: State, tmp_path: Path) -> None:
    store.claim(tmp_path / "output")
    second = State(address)
    try:
        with pytest.raises(StateError, match="another scraper process"):
            second.claim(tmp_path / "output")
    finally:
        second.close()
    store.close()
    third = State(address)
    try:
        with pytest.raises(StateError, match="give each output directory its own"):
            third.claim(tmp_path / "elsewhere")
    finally:
        third.close()


def test_a_backfill_and_stats_with_the_state_in_postgresql(pg_database: str, tmp_path: Path) -> None:
    """`--database` (env SCRAPER_DATABASE) puts the state on the server; the commands work as with the file."""
    from conftest import read_records, run_cli, write_sources
    from test_output_contract import numbered_site

    from scraper.verify import verify_output

    with numbered_site(6) as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        first = run_cli("--database", pg_database, "backfill", cwd=tmp_path)
        again = run_cli("backfill", cwd=tmp_path, env={"SCRAPER_DATABASE": pg_database})
        stats = run_cli("--database", pg_database, "stats", "--json", cwd=tmp_path)
        bad = run_cli("--database", "state.sqlite", "stats", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1].startswith("backfill: written=6 ")
    assert again.stdout.strip().splitlines()[-1].startswith("backfill: written=0 ")  # known, from the server
    assert not (tmp_path / "output.state.sqlite").exists()
    assert '"articles_total": 6' in stats.stdout
    assert bad.returncode == 2 and "postgresql://" in bad.stderr
    assert len(read_records(tmp_path / "output")) == 6 and verify_output(tmp_path / "output").ok


def test_links_found_at_once_wait_in_page_order(store: State) -> None:
    """A listing's undated links are taken in the order the page gave them (the first is the newest)."""
    links = [(f"https://x.org/{name}", Link(f"https://x.org/{name}", "wire", "https://x.org/list"))
             for name in ("zeta", "alpha", "mu")]
    store.links.add_pending("wire", links, NOW)
    store.links.add_pending("wire", [("https://x.org/beta", Link("https://x.org/beta", "wire", "l"))], NOW)
    assert [url for url, _, _ in store.links.pending("wire")] == [
        "https://x.org/zeta", "https://x.org/alpha", "https://x.org/mu", "https://x.org/beta"]


def test_a_store_of_an_earlier_version_gains_the_last_new_article_of_its_polls(address: str) -> None:
    """Stores made before `polls.last_new` existed (2026-12) get the column when opened, on SQLite and PostgreSQL;
    a poll that found nothing new keeps the last one that did."""
    state = State(address)
    state._db.execute("DROP TABLE polls")
    state._db.execute("CREATE TABLE polls (outlet TEXT PRIMARY KEY, last_poll TEXT NOT NULL, last_success TEXT,"
                      " last_error TEXT, paused_hosts TEXT NOT NULL DEFAULT '', last_result TEXT)")
    state._db.execute("INSERT INTO polls (outlet, last_poll, last_success, last_result) VALUES (?, ?, ?, 'ok')",
                      ("old", iso_utc(NOW - timedelta(days=9)), iso_utc(NOW - timedelta(days=9))))
    state.close()
    again = State(address)
    try:
        again.outlets.record_poll("wire", NOW - timedelta(days=2), "ok", "", [], found_new=True)
        again.outlets.record_poll("wire", NOW - timedelta(days=1), "ok", "", [])
        again.outlets.record_poll("wire", NOW, "unreachable", "timeout=1", [])
        assert again.outlets.last_new() == {"wire": NOW - timedelta(days=2)}
        rows = {row["outlet"]: row for row in again.outlets.outlet_stats(NOW)}
        assert rows["wire"]["last_new"] == iso_utc(NOW - timedelta(days=2)) and rows["old"]["last_new"] is None
    finally:
        again.close()
