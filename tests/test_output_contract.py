"""The output directory contract: complete lines under 100 KB, each report once, crash- and disk-full-safe."""

from __future__ import annotations

import errno
import json
import random
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from conftest import read_records, record_schema, rss, run_cli, write_sources
from localsite import LocalSite, Page
from pytest_httpx import HTTPXMock

from scraper.analyse import Analyser
from scraper.errors import OutputError
from scraper.fetch import Fetcher
from scraper.pipeline import Pipeline
from scraper.records import Language, NameGroup, Record, Source
from scraper.sink import MAX_LINE_BYTES, JsonlSink, encode
from scraper.state import State
from scraper.verify import verify_output

WORDS = ("Pyongyang", "Seoul", "delegation", "minister", "talks", "missile", "treaty", "cooperation", "sanctions",
         "summit", "visit", "statement", "agency", "reported", "foreign", "relations", "security", "exercise",
         "launch", "council", "session", "economy")


def article_page(number: int, paragraphs: int = 3) -> bytes:
    """A distinct, realistic-enough article page: its own title and paragraphs."""
    rng = random.Random(number)
    body = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(30)).capitalize() + f" (item {number}.{i}).</p>"
        for i in range(paragraphs)
    )
    return (f"<html><head><title>Report {number}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Report {number}</h1>{body}</article><footer>(C) Test</footer></body></html>").encode()


def numbered_site(count: int) -> LocalSite:
    site = LocalSite()
    items = []
    for number in range(count):
        site.routes[f"/a/{number}"] = Page(article_page(number))
        day = 1 + number % 28
        items.append((f"Report {number}", site.url(f"/a/{number}"), f"{day:02d} Oct 2025 0{number % 10}:00:00 GMT"))
    site.routes["/feed"] = Page(rss(items), "application/rss+xml")
    return site


RECORD = Record(
    id="wire-0123456789abcdef0123", url="https://x.org/a", canonical_url="https://x.org/a", source_id="wire",
    source_name="Wire", title="T", body="x", authors=(), published_at=None,
    fetched_at=datetime(2025, 11, 1, tzinfo=UTC), language=Language("en", 1.0), content_hash="sha256:" + "0" * 64,
)


def test_a_huge_body_is_cut_at_a_paragraph_boundary_and_marked() -> None:
    paragraphs = [f"Paragraph {i} " + "안녕하세요 " * 300 for i in range(100)]  # ~550 KB of UTF-8
    line = encode(replace(RECORD, body="\n\n".join(paragraphs)))
    assert len(line.encode("utf-8")) <= MAX_LINE_BYTES and line.endswith("\n")
    record = json.loads(line)
    jsonschema.validate(record, record_schema())
    assert record["truncated"] is True
    kept = record["body"].split("\n\n")
    assert kept == paragraphs[: len(kept)] and len(kept) >= 10
    assert json.loads(encode(RECORD))["truncated"] is False


def test_a_page_naming_thousands_of_people_keeps_its_line_its_body_and_its_most_named() -> None:
    # A list of deputies or delegates: 4,000 people, each entry ~80 bytes. The line stays under the limit, the
    # body keeps half of it at least, and the people kept are the most mentioned, in their order.
    people = tuple(NameGroup(f"Person Number {n}", (f"Person Number {n}", f"Person No. {n}"), 1 + (n % 7 == 0))
                   for n in range(4000))
    paragraphs = [f"Paragraph {i}: " + "words of the report " * 40 for i in range(200)]
    line = encode(replace(RECORD, body="\n\n".join(paragraphs), names=people))
    assert len(line.encode("utf-8")) <= MAX_LINE_BYTES
    record = json.loads(line)
    jsonschema.validate(record, record_schema())
    assert record["truncated"] is True and len(record["body"]) > MAX_LINE_BYTES // 3
    counts = [group["count"] for group in record["names"]]
    assert 100 < len(counts) < 4000 and all(count == 2 for count in counts)  # every twice-named one fits first
    numbers = [int(group["canonical"].split()[-1]) for group in record["names"]]
    assert numbers == sorted(numbers)
    few = replace(RECORD, names=people[:3])
    assert json.loads(encode(few))["names"] == [group.to_dict() for group in people[:3]]


def test_names_say_which_are_people_and_records_written_before_that_still_read() -> None:
    body = ("PYONGYANG, July 23 (KCNA) -- Foreign Minister Choe Son Hui met Sergei Lavrov in Pyongyang, KCNA said. "
            "Choe said the talks were useful.")
    names = Analyser().analyse([body], ("en",)).names
    line = encode(replace(RECORD, body=body, names=names))
    record = json.loads(line)
    jsonschema.validate(record, record_schema())
    kinds = {group["canonical"]: group["kind"] for group in record["names"]}
    assert kinds == {"Korean Central News Agency": "organisation", "Choe Son Hui": "person",
                     "Sergei Lavrov": "person"}
    people = [g["canonical"] for g in record["names"] if g["kind"] == "person"]
    assert sorted(people) == ["Choe Son Hui", "Sergei Lavrov"]
    # a line written before `kind` was added: valid, and its names read back as people
    for group in record["names"]:
        del group["kind"]
    jsonschema.validate(record, record_schema())
    old = Record.from_dict(record)
    assert {group.kind for group in old.names} == {"person"}
    record["names"][0]["kind"] = "place"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, record_schema())


def test_evidence_of_a_page_with_a_foreign_word_in_every_sentence_is_counted_not_listed() -> None:
    sentences = [f"The minister visited factory number {n} and said the output of 钢铁 steel had risen sharply "
                 "compared with the year before." for n in range(1500)]
    (signal,) = [s for s in Analyser().analyse(sentences, ("en",)).translation.signals if s.kind == "mixed_script"]
    assert len(signal.evidence) == 11 and signal.evidence[-1] == "… and 1490 more"
    line = encode(replace(RECORD, body="\n\n".join(sentences),
                          translation=Analyser().analyse(sentences, ("en",)).translation))
    assert len(line.encode("utf-8")) <= MAX_LINE_BYTES and len(json.loads(line)["body"]) > MAX_LINE_BYTES // 2


def test_verify_output_finds_each_kind_of_problem(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path)
    sink.add(RECORD)
    sink.add(replace(RECORD, id="wire-1123456789abcdef0123"))
    (first,) = sink.flush()
    sink.add(RECORD)  # the same report again, in another segment
    (second,) = sink.flush()
    sink.close()
    assert verify_output(tmp_path).problems == [f"{second}:1: report {RECORD.id} already in {first}:1"]
    (tmp_path / second).unlink()
    assert verify_output(tmp_path).ok

    partition = tmp_path / "2025" / "11" / "01"
    (partition / "20251101T000000Z-0099.jsonl").write_bytes(encode(replace(RECORD, id="wire-2"))[:-20].encode())
    (partition / "notes.jsonl").write_text("{}\n")
    (tmp_path / "2025" / "11" / "02").mkdir()
    (tmp_path / "2025" / "11" / "02" / "20251102T000000Z-0001.jsonl").write_text(
        encode(replace(RECORD, id="wire-3123456789abcdef0123")) + "{}\n", encoding="utf-8")
    problems = verify_output(tmp_path).problems
    assert any("-0099.jsonl: last line is not terminated" in p for p in problems)
    assert any("-0099.jsonl:1: not JSON" in p for p in problems)
    assert any("notes.jsonl: not a segment name" in p for p in problems)
    assert any("20251102T000000Z-0001.jsonl:1: fetched 2025-11-01T00:00:00Z but stored under 2025/11/02" in p
               for p in problems)
    assert any("20251102T000000Z-0001.jsonl:2: schema" in p for p in problems)


def test_verify_output_command(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "out")
    sink.add(RECORD)
    sink.close()
    good = run_cli("verify-output", str(tmp_path / "out"), cwd=tmp_path)
    assert good.returncode == 0 and "1 segment, 1 record, ok" in good.stdout
    next((tmp_path / "out").rglob("*.jsonl")).write_text("{broken\n")
    bad = run_cli("--output", str(tmp_path / "out"), "verify-output", cwd=tmp_path)
    assert bad.returncode == 1 and "not JSON" in bad.stdout


def test_a_crash_between_rename_and_commit_is_reconciled_without_duplicates(tmp_path: Path) -> None:
    with numbered_site(12) as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        (tmp_path / "sources.toml").write_text((tmp_path / "sources.toml").read_text()
                                               + "[output]\nsegment_records = 5\n")
        crashed = run_cli("backfill", cwd=tmp_path, env={"SCRAPER_FAULT": "after_publish"})
        assert crashed.returncode == 137
        assert len(read_records(tmp_path / "output")) == 5  # on disk, but never committed to state
        resumed = run_cli("backfill", cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
        assert "its records were on disk but not in the state store" in resumed.stderr
        assert resumed.stdout.strip().splitlines()[-1].startswith("backfill: written=7 ")
    records = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in records) == sorted(site.url(f"/a/{n}") for n in range(12))
    assert verify_output(tmp_path / "output").ok


def test_overlapping_backfills_add_nothing_twice(tmp_path: Path) -> None:
    with numbered_site(28) as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        early = run_cli("backfill", "--since", "2025-10-01", "--until", "2025-10-15", cwd=tmp_path)
        late = run_cli("backfill", "--since", "2025-10-10", "--until", "2025-10-28", cwd=tmp_path)
        everything = run_cli("backfill", cwd=tmp_path)
    assert early.stdout.startswith("backfill: written=15 ")
    assert late.stdout.startswith("backfill: written=13 ")  # 10th-15th were written by the first run
    assert everything.stdout.startswith("backfill: written=0 ")
    records = read_records(tmp_path / "output")
    assert len(records) == len({r["id"] for r in records}) == 28
    assert verify_output(tmp_path / "output").ok


def test_segments_taken_from_the_output_are_not_written_again_and_the_start_says_so(tmp_path: Path) -> None:
    """A consumer may take segments it has read (or a user empties the directory to start over): the state store,
    not the directory, says what was written. Nothing is written twice, and the start says how to start over."""
    with numbered_site(4) as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        first = run_cli("backfill", cwd=tmp_path)
        kept = run_cli("backfill", cwd=tmp_path)
        for segment in (tmp_path / "output").glob("*/*/*/*.jsonl"):
            segment.unlink()  # taken by a consumer
        taken = run_cli("backfill", cwd=tmp_path)
        (tmp_path / "output.state.sqlite").rename(tmp_path / "old.sqlite")
        again = run_cli("backfill", cwd=tmp_path)
    assert first.stdout.startswith("backfill: written=4 ")
    assert "no longer holds" not in kept.stderr
    assert taken.returncode == 0 and taken.stdout.startswith("backfill: written=0 ")
    assert "the 4 reports the store holds are not written again" in taken.stderr
    assert "start with a new state store" in taken.stderr
    assert again.stdout.startswith("backfill: written=4 ")  # the new store's start over
    assert len(read_records(tmp_path / "output")) == 4


class FlakyDisk(JsonlSink):
    """A sink on a disk that is full until `full` is cleared."""

    full = True

    def add(self, record: Record) -> None:
        if self.full:
            raise OutputError(f"{self.root}: cannot write a record: {errno.errorcode[errno.ENOSPC]}")
        super().add(record)


async def test_a_full_disk_loses_nothing_and_resumes(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    source = Source(id="wire", name="Wire", languages=("en",), homepage="https://wire.example/", timezone="UTC",
                    feeds=("https://wire.example/feed",), delay=0.001)
    feed = rss([(f"R{n}", f"https://wire.example/a/{n}", "Fri, 31 Oct 2025 00:00:00 GMT") for n in range(5)])
    httpx_mock.add_response(url="https://wire.example/feed", content=feed, is_reusable=True)
    for n in range(5):
        httpx_mock.add_response(url=f"https://wire.example/a/{n}", content=article_page(n), is_reusable=True,
                                headers={"Content-Type": "text/html"})
    sink, state = FlakyDisk(tmp_path / "out"), State(tmp_path / "state.sqlite")
    try:
        async with Fetcher(robots=False) as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            with pytest.raises(OutputError, match="ENOSPC"):
                await pipeline.poll(source)
            assert state.staged == 0 and state.count_reports() == 0 and sink.pending == 0
            sink.full = False  # space is back
            summary = await pipeline.poll(source)
            pipeline.flush()
            pipeline.close()
    finally:
        sink.close()
    assert summary.written == 5
    assert state.count_reports() == 5
    assert sorted(r["url"] for r in read_records(tmp_path / "out")) == [f"https://wire.example/a/{n}" for n in range(5)]
    state.close()


def test_state_database_is_sound_after_runs(tmp_path: Path) -> None:
    with numbered_site(3) as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        assert run_cli("backfill", cwd=tmp_path).returncode == 0
    db = sqlite3.connect(tmp_path / "output.state.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM segments").fetchone()[0] == 1
    db.close()


