"""The output directory and the state store: durable segments first, state second, nothing twice."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.errors import OutputError
from scraper.records import Language, Record
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.verify import verify_output

RECORD = Record(
    id="wire-0123456789abcdef0123", url="https://x.org/a?input=rss", canonical_url="https://x.org/a",
    source_id="wire", source_name="Wire", title="Title", body="First.\n\nSecond.", authors=("Kim",),
    published_at=datetime(2025, 10, 31, 0, 12, tzinfo=UTC), fetched_at=datetime(2025, 11, 1, 23, 59, tzinfo=UTC),
    language=Language("en", 0.99), content_hash="sha256:" + "0" * 64,
)


def test_segments_appear_only_when_flushed_and_are_partitioned_by_fetch_day(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path)
    sink.add(RECORD)
    sink.add(replace(RECORD, id="wire-1", fetched_at=datetime(2025, 11, 2, 0, 1, tzinfo=UTC)))
    assert list(tmp_path.rglob("*.jsonl")) == []  # nothing visible before the flush
    published = sink.flush()
    assert sorted(name[:10] for name in published) == ["2025/11/01", "2025/11/02"]
    assert sink.segments() == sorted(published) and sink.segments("2025/11/02") == [max(published)]
    line = (tmp_path / published[0]).read_text(encoding="utf-8")
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line)["fetched_at"] in ("2025-11-01T23:59:00Z", "2025-11-02T00:01:00Z")
    sink.close()


def test_one_writer_per_directory_and_leftovers_are_removed(tmp_path: Path) -> None:
    first = JsonlSink(tmp_path)
    first.add(RECORD)  # an open temp segment, as a crash would leave it
    with pytest.raises(OutputError, match="another scraper process"):
        JsonlSink(tmp_path)
    for segment in first._open.values():  # simulate the process dying without a flush
        segment.handle.close()
    first._lock.close()
    leftovers = list(tmp_path.rglob(".*.tmp"))
    assert len(leftovers) == 1
    JsonlSink(tmp_path).close()
    assert list(tmp_path.rglob(".*.tmp")) == [] and list(tmp_path.rglob("*.jsonl")) == []


def test_an_output_directory_on_a_filesystem_without_locks_is_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_locks(handle: object, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr("scraper.sink.fcntl.flock", no_locks)
    with pytest.raises(OutputError, match="cannot lock the output directory: No locks available"):
        JsonlSink(tmp_path)


def test_state_commits_staged_reports_and_survives_reopening(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite")
    state.stage(RECORD, ("https://x.org/a", "https://x.org/a?input=rss"))
    assert state.known_url("https://x.org/a") == RECORD.id  # visible at once to this run
    assert state.has_record(RECORD.id)
    state.close()
    reopened = State(tmp_path / "s.sqlite")
    assert reopened.known_url("https://x.org/a") is None  # never committed: it will be fetched again
    reopened.stage(RECORD, ("https://x.org/a",))
    reopened.commit()
    reopened.close()
    again = State(tmp_path / "s.sqlite")
    assert again.known_url("https://x.org/a") == RECORD.id and again.has_record(RECORD.id)
    assert again.count_reports() == 1


def test_failures_wait_for_their_retry_time(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    state.links.note_failure("https://x.org/gone", "wire", "http_404", datetime(2026, 1, 2, tzinfo=UTC))
    assert not state.links.retry_due("https://x.org/gone", now)
    assert state.links.retry_due("https://x.org/gone", datetime(2026, 1, 2, 0, 1, tzinfo=UTC))
    state.links.note_failure("https://x.org/gone", "wire", "http_404", datetime(2026, 1, 3, tzinfo=UTC))
    assert state.links.failures() == [("https://x.org/gone", "wire", "http_404", 2)]


def test_a_lost_state_is_rebuilt_from_the_segments_whatever_else_the_output_holds(tmp_path: Path) -> None:
    """A new state store reads the output's segments back (`reconcile`). What else a user or a consumer left in
    the output is not a segment, and a damaged byte in one costs that line, not the start: no traceback, every
    record readable is known again and none is taken for new."""
    from scraper.commit import Committer

    out = tmp_path / "out"
    sink = JsonlSink(out)
    for number in range(3):
        sink.add(replace(RECORD, id=f"wire-{number}", url=f"https://x.org/{number}",
                         canonical_url=f"https://x.org/{number}"))
    [name] = sink.flush()
    sink.close()
    day = out / name[:10]
    (day / "20251101T000000Z-0001.jsonl").mkdir()  # a directory named as a segment
    (day / "copy-for-the-analysts.jsonl").write_text('{"x": 1}\n', encoding="utf-8")  # a consumer's file
    damaged = (out / name).read_bytes().replace(b"Second.", b"Sec\xffnd.", 1)  # one byte the disk garbled
    (out / name).write_bytes(damaged)
    state = State(tmp_path / "new.sqlite")
    committer = Committer(state, JsonlSink(out))
    recovered = committer.reconcile({})
    assert recovered == 1
    assert [state.has_record(f"wire-{number}") for number in range(3)] == [True, True, True]
    committer.sink.close()
    state.close()
    problems = verify_output(out).problems  # what is there that is no segment, and the damaged line, are named
    assert any("20251101T000000Z-0001.jsonl: a directory named as a segment" in p for p in problems)
    assert any("copy-for-the-analysts.jsonl: not a segment name" in p for p in problems)


def test_line_separators_in_text_keep_a_record_one_line_for_every_reader(tmp_path: Path) -> None:
    """U+2028 and U+2029 (JavaScript-made text) and U+0085 (a page decoded as Latin-1 that meant "…") are left raw
    by JSON, and Python's str.splitlines() ends a line at each: a record carrying one was cut in two for such a
    reader, and for the read-back of segments whose commit was lost (a crash), which then lost the record from the
    state store and wrote it again. Escaped, each record is one line; the text reads back the same."""
    from scraper.commit import Committer

    out = tmp_path / "out"
    sink = JsonlSink(out)
    body = "First\u2028line of a paragraph\x85with NEL.\n\nSecond\u2029paragraph."
    ids = [f"wire-{str(number) * 20}" for number in range(2)]
    sink.add(replace(RECORD, id=ids[0], body=body, title="A title\u2028cut"))
    sink.add(replace(RECORD, id=ids[1], url="https://x.org/1", canonical_url="https://x.org/1"))
    [name] = sink.flush()
    sink.close()
    text = (out / name).read_text(encoding="utf-8")
    assert len(text.splitlines()) == 2
    first = json.loads(text.splitlines()[0])
    assert first["body"] == body and first["title"] == "A title\u2028cut"
    state = State(tmp_path / "new.sqlite")  # the commit was lost: the segment is read back
    committer = Committer(state, JsonlSink(out))
    assert committer.reconcile({}) == 1
    assert state.has_record(ids[0]) and state.has_record(ids[1])
    committer.sink.close()
    state.close()
    assert verify_output(out).ok
