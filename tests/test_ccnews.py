"""CC-NEWS straight from Common Crawl: a period's files from the monthly listings, each WARC streamed with Range
requests and resumed after a cut or a kill, against a local fake of Common Crawl's layout on 127.0.0.x."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import itertools
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from articles import news_pages
from conftest import kill_once_written, read_records, run_cli, write_sources
from localsite import QuietHandler, Serving
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.config import parse_settings
from scraper.discover.ccnews import (
    DEFAULT_BASE,
    CCNews,
    Period,
    file_time,
    listing_url,
    parse_listing,
    parse_period,
    period_between,
    select_files,
)
from scraper.discover.warc import ArchivedPage, WarcSkip, read_warc, read_warc_stream
from scraper.errors import ConfigError, Skip
from scraper.fetch import Fetcher
from scraper.fetch.ranged import RemoteFile
from scraper.verify import verify_output

HOST = "127.0.0.2"  # Common Crawl's stand-in: a loopback address of its own
DELAY = 0.3  # [ccnews] delay in these tests
SEPTEMBER_LAST = "crawl-data/CC-NEWS/2026/09/CC-NEWS-20260930231500-00099.warc.gz"
OCTOBER = ["crawl-data/CC-NEWS/2026/10/CC-NEWS-20261001004500-00100.warc.gz",
           "crawl-data/CC-NEWS/2026/10/CC-NEWS-20261003120000-00101.warc.gz",
           "crawl-data/CC-NEWS/2026/10/CC-NEWS-20261005230000-00102.warc.gz"]


def _bodies(count: int) -> list[bytes]:
    return news_pages(count)


def warc_file(captures: list[tuple[str, bytes]], date: str) -> bytes:
    """A WARC.gz (one gzip member per record) of HTML responses, with a request record and a PDF among them."""
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=True)

    def write(record: Any) -> None:
        writer.write_record(record)
        record.raw_stream.close()  # warcio spooled the payload to a temporary file to digest it

    for number, (url, body) in enumerate(captures):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        write(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                        warc_headers_dict={"WARC-Date": date}))
        if number == 1:
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
            write(writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=request))
            pdf = StatusAndHeaders("200 OK", [("Content-Type", "application/pdf")], protocol="HTTP/1.1")
            write(writer.create_warc_record(url + ".pdf", "response", payload=io.BytesIO(b"%PDF-1.4"),
                                            http_headers=pdf, warc_headers_dict={"WARC-Date": date}))
    return stream.getvalue()


def crawl(per_file: int) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """The files of the fake crawl (path -> bytes) and the page URLs in each. Pages of the configured outlet
    (news1.example) and of others; the first page of each October file is copied, word for word, by another
    outlet in the next file: a story that crosses files."""
    names = [SEPTEMBER_LAST, *OCTOBER]
    bodies = _bodies(per_file * len(names))
    files: dict[str, bytes] = {}
    urls: dict[str, list[str]] = {}
    for index, name in enumerate(names):
        captures = [(f"https://news{n % 3}.example/{index}/{n}", body)
                    for n, body in enumerate(bodies[index * per_file:(index + 1) * per_file])]
        if index > 1:  # the previous October file's first page, copied by another outlet
            captures.append((f"https://copy.example/{index}", bodies[(index - 1) * per_file]))
        stamp = file_time(name)
        assert stamp is not None
        files[name] = warc_file(captures, f"{stamp:%Y-%m-%dT%H:%M:%SZ}")
        urls[name] = [url for url, _ in captures]
    for month in ("09", "10"):
        listed = "".join(f"{name}\n" for name in names if f"/2026/{month}/" in name)
        files[f"crawl-data/CC-NEWS/2026/{month}/warc.paths.gz"] = gzip.compress(listed.encode())
    return files, urls


class FakeCommonCrawl(Serving):
    """Common Crawl's layout on a loopback address: listings and WARC files, Range answered (or ignored), and on
    cue an answer cut after some bytes, a 429, a slow download. Every request is noted: (time, path, Range)."""

    def __init__(self, files: dict[str, bytes], host: str = HOST) -> None:
        self.files = files
        self.requests: list[tuple[float, str, str]] = []
        self.ignore_range = False
        self.cuts: dict[str, list[int]] = {}  # path -> for each next request, the bytes sent before the cut
        self.busy: dict[str, int] = {}  # path -> requests answered 429 (Retry-After: 1) before it is served
        self.slow = 0.0  # seconds between two 8 KB pieces of a file
        self._lock = threading.Lock()
        site = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.lstrip("/")
                asked = self.headers.get("Range", "")
                with site._lock:
                    site.requests.append((time.monotonic(), path, asked))
                    busy = site.busy.get(path, 0)
                    if busy:
                        site.busy[path] = busy - 1
                    cut = site.cuts[path].pop(0) if site.cuts.get(path) else None
                if busy:
                    return self.reply(429, b"slow down", {"Retry-After": "1"})
                data = site.files.get(path)
                if data is None:
                    return self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>", {})
                start = 0
                found = re.fullmatch(r"bytes=(\d+)-", asked)
                if found and not site.ignore_range:
                    start = int(found.group(1))
                    if start >= len(data):
                        return self.reply(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("ETag", f'"{hash(data) & 0xFFFFFFFF:08x}"')
                self.end_headers()
                body = data[start:] if cut is None else data[start:start + cut]
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for piece in range(0, len(body), 8192):
                        self.wfile.write(body[piece:piece + 8192])
                        if site.slow:
                            time.sleep(site.slow)
                    if cut is not None:  # the connection dropped mid-file
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True

        self._serve(Handler, host)
        self.base = f"http://{host}:{self.server.server_port}/"

    def asked(self, suffix: str = ".warc.gz") -> list[str]:
        return [path for _, path, _ in self.requests if path.endswith(suffix)]


@pytest.fixture
def fake() -> Iterator[tuple[FakeCommonCrawl, dict[str, list[str]]]]:
    files, urls = crawl(per_file=4)
    with FakeCommonCrawl(files) as server:
        yield server, urls


def configure(workdir: Path, base: str, segment_records: int | None = None) -> None:
    """sources.toml with one outlet (news1.example), and [ccnews] on the fake (delay DELAY, 2 retries)."""
    write_sources(workdir / "sources.toml", [{"id": "news1", "name": "News One", "homepage": "https://news1.example/",
                                              "feeds": ["https://news1.example/feed"]}])
    with (workdir / "sources.toml").open("a") as handle:
        handle.write(f'[ccnews]\nurl = "{base}"\ndelay = "{DELAY}s"\nretries = 2\nallow_private = ["127.0.0.0/8"]\n')
        if segment_records:
            handle.write(f"[output]\nsegment_records = {segment_records}\n")


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "archive"}


# --- periods and listings --------------------------------------------------------------------------------------
def test_periods_listings_and_the_files_of_a_period() -> None:
    october = parse_period("2026-10")
    assert (october.start, october.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    days = parse_period(" 2026-10-03..2026-10-04 ")
    assert (days.start, days.end) == (datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC))
    assert parse_period("2026-11..2027-01").months() == [(2026, 11), (2026, 12), (2027, 1)]
    assert parse_period("2026-10-31").months() == [(2026, 10)]
    assert str(days) == "2026-10-03..2026-10-04" and str(parse_period("2026-10-31")) == "2026-10-31"
    for bad, says in (("2026-13", "month must be in 1..12"), ("2026-10-05..2026-10-03", "ends before it starts"),
                      ("2015-01", "begins in August 2016"), ("last week", "expected a month (2026-10)"),
                      ("2026-02-30", "day is out of range")):
        with pytest.raises(ValueError, match=re.escape(says)):
            parse_period(bad)
    now = datetime(2026, 10, 7, 12, tzinfo=UTC)
    assert period_between(datetime(2026, 10, 3, tzinfo=UTC), None, now) == Period(days.start, now)
    with pytest.raises(ValueError, match="or --since"):
        period_between(None, None, now)

    assert listing_url("https://data.commoncrawl.org/", 2026, 10) == \
        "https://data.commoncrawl.org/crawl-data/CC-NEWS/2026/10/warc.paths.gz"
    assert file_time(OCTOBER[1]) == datetime(2026, 10, 3, 12, tzinfo=UTC) and file_time("x.warc.gz") is None
    assert parse_listing(gzip.compress("\n".join(OCTOBER).encode() + b"\n\n")) == OCTOBER
    assert parse_listing(gzip.compress(gzip.compress(b"a\nb\n"))) == ["a", "b"]  # gzipped again on the way
    with pytest.raises(Skip, match="bad_listing"):
        parse_listing(b"\x1f\x8b\x08 not gzip")
    # The files started in the period, and the one started last before it: it runs on past midnight.
    assert select_files([*OCTOBER, SEPTEMBER_LAST], days) == OCTOBER[:2]
    assert select_files(OCTOBER, parse_period("2026-10-04")) == [OCTOBER[1]]
    assert select_files([*reversed(OCTOBER), SEPTEMBER_LAST], october) == [SEPTEMBER_LAST, *OCTOBER]
    assert select_files(OCTOBER, parse_period("2026-11")) == [OCTOBER[2]]


def test_the_ccnews_table_has_defaults_and_is_checked() -> None:
    outlet = {"id": "x", "name": "X", "homepage": "https://x.example/", "feeds": ["https://x.example/feed"]}
    settings = parse_settings({"outlet": [outlet]})
    assert (settings.ccnews_url, settings.ccnews_delay, settings.ccnews_retries) == (DEFAULT_BASE, 1.0, 3)
    mirror = parse_settings({"outlet": [outlet], "ccnews": {"url": "https://cc.example/mirror/", "delay": "250ms",
                                                             "retries": 5, "allow_private": ["10.0.0.0/8"]}})
    assert (mirror.ccnews_url, mirror.ccnews_delay, mirror.ccnews_retries) == ("https://cc.example/mirror/", 0.25, 5)
    assert listing_url(mirror.ccnews_url, 2026, 1) == "https://cc.example/mirror/crawl-data/CC-NEWS/2026/01/warc.paths.gz"
    with pytest.raises(ConfigError, match='key "dealy": unknown key'):
        parse_settings({"outlet": [outlet], "ccnews": {"dealy": "1s"}})
    with pytest.raises(ConfigError, match='key "url"'):
        parse_settings({"outlet": [outlet], "ccnews": {"url": "ftp://cc.example/"}})


async def test_a_period_starting_on_the_first_takes_the_previous_months_last_file(fake: Any) -> None:
    server, _ = fake
    async with Fetcher() as fetcher:
        ccnews = CCNews(fetcher, server.base, delay=0.01, allow_private=("127.0.0.0/8",))
        assert await ccnews.files(parse_period("2026-10")) == [server.base + p for p in [SEPTEMBER_LAST, *OCTOBER]]
        assert await ccnews.files(parse_period("2026-10-02..2026-10-03")) == [server.base + p for p in OCTOBER[:2]]
        assert await ccnews.files(parse_period("2026-09-30")) == [server.base + SEPTEMBER_LAST]
        # August is not published: the file before September cannot be listed, and is not needed to go on.
        with pytest.raises(Skip, match=r"not_published: no CC-NEWS listing for 2026/11 .*HTTP 404.*not yet"):
            await ccnews.files(parse_period("2026-10-20..2026-11-02"))
    listings = [path for _, path, _ in server.requests]
    assert listings[:2] == ["crawl-data/CC-NEWS/2026/10/warc.paths.gz", "crawl-data/CC-NEWS/2026/09/warc.paths.gz"]
    assert "crawl-data/CC-NEWS/2026/08/warc.paths.gz" in listings


# --- the stream reader ---------------------------------------------------------------------------------------
def _opener(data: bytes, opened: list[int], piece: int = 1000) -> Any:
    def open_at(offset: int) -> Iterator[bytes]:
        opened.append(offset)
        for start in range(offset, len(data), piece):
            yield data[start:start + piece]
    return open_at


def _items(results: Iterator[ArchivedPage | WarcSkip]) -> list[tuple[Any, ...]]:
    return [(type(r).__name__, r.offset, r.fetched.url if isinstance(r, ArchivedPage) else r.reason,
             r.fetched.raw if isinstance(r, ArchivedPage) else r.at_end) for r in results]


def test_a_stream_gives_the_pages_skips_and_offsets_of_the_file(tmp_path: Path) -> None:
    files, _ = crawl(per_file=4)
    data = bytearray(files[OCTOBER[1]])
    local = tmp_path / "crawl.warc.gz"
    local.write_bytes(bytes(data))
    offsets = [item.offset for item in read_warc(local)]
    # Damage: a byte flipped inside the second page's member; and the file cut short inside its last record.
    data[offsets[1] + 200] ^= 0xFF
    damaged = bytes(data[:-300])
    local.write_bytes(damaged)
    for start in (0, offsets[1], offsets[2] + 1):
        for keep in (16 << 20, 2000):  # all kept, or so little that a seek back opens the stream again
            opened: list[int] = []
            streamed = _items(read_warc_stream(str(local), _opener(damaged, opened), start_offset=start, keep=keep))
            assert streamed == _items(read_warc(local, start_offset=start)), (start, keep)
            assert opened[0] == start  # a resumed read asks for the bytes from its offset, not from 0
            if keep == 2000 and start == 0:
                assert len(opened) > 1  # the damage scan went back past what was kept: opened again
    kinds = [(kind, reason) for kind, _, reason, _ in _items(read_warc(local)) if kind == "WarcSkip"]
    assert kinds == [("WarcSkip", "corrupt_warc"), ("WarcSkip", "not_html"), ("WarcSkip", "corrupt_warc")]


def test_a_stream_that_fails_raises_its_skip_after_what_it_read(tmp_path: Path) -> None:
    files, urls = crawl(per_file=4)
    data = files[OCTOBER[1]]

    def open_at(offset: int) -> Iterator[bytes]:
        yield data[offset:len(data) // 2]
        raise Skip("fetch_error", "the connection broke 4 times in a row")

    read: list[str] = []
    with pytest.raises(Skip, match="fetch_error"):
        for item in read_warc_stream("x.warc.gz", open_at):
            if isinstance(item, ArchivedPage):
                read.append(item.fetched.url)
    assert read and read == urls[OCTOBER[1]][:len(read)]  # not "damage": no corrupt_warc for a failed stream


async def test_a_remote_file_resumes_a_cut_and_reads_past_a_range_it_ignores(fake: Any) -> None:
    server, _ = fake
    path = OCTOBER[1]
    data = server.files[path]
    server.cuts[path] = [5000, 7000]
    source_delay = 0.05
    async with Fetcher() as fetcher:
        ccnews = CCNews(fetcher, server.base, delay=source_delay, retries=2, allow_private=("127.0.0.0/8",))
        file = RemoteFile(fetcher, server.base + path, ccnews.source, sleep=_no_wait)
        assert file.size is None
        assert b"".join(await asyncio.to_thread(lambda: list(file.chunks(0)))) == data
        assert file.size == len(data)
        assert [asked for _, p, asked in server.requests if p == path] == ["", "bytes=5000-", "bytes=12000-"]
        server.ignore_range = True
        server.cuts[path] = [3000]
        again = await asyncio.to_thread(lambda: b"".join(file.chunks(1234)))
        assert again == data[1234:]
        assert await asyncio.to_thread(lambda: b"".join(file.chunks(len(data)))) == b""
        server.ignore_range = False
        assert await asyncio.to_thread(lambda: b"".join(file.chunks(len(data)))) == b""  # a 416: at the end
        # Cut again and again with no progress: given up on after the retries, the breaker told.
        server.cuts[path] = [10] * 10
        with pytest.raises(Skip, match=r"fetch_error: .* broke 3 times in a row, last at byte 30 "):
            await asyncio.to_thread(lambda: b"".join(file.chunks(0)))
        # A file replaced on the server meanwhile is not spliced into the one being read.
        server.files[path] = data + b"more"
        with pytest.raises(Skip, match="changed on the server while read"):
            await asyncio.to_thread(lambda: b"".join(file.chunks(100)))
        # On the event loop itself it would wait for itself: refused.
        with pytest.raises(RuntimeError, match="worker thread"):
            next(file.chunks(0))


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


# --- end to end: scraper backfill --cc-news ------------------------------------------------------------------
def test_cc_news_reads_the_periods_files_as_warc_reads_them_locally(tmp_path: Path, fake: Any) -> None:
    server, urls = fake
    configure(tmp_path, server.base)
    server.busy[OCTOBER[1]] = 1  # "slow down": 429 with Retry-After: 1, honoured
    result = run_cli("backfill", "--workers", "1", "--cc-news", "2026-10-03..2026-10-04", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Exactly the period's files: the one started on the 3rd, and the one running into it from the 1st.
    assert sorted(set(server.asked())) == OCTOBER[:2]
    assert server.asked("warc.paths.gz") == ["crawl-data/CC-NEWS/2026/10/warc.paths.gz"]
    # Common Crawl's host gets its own politeness: one request at a time, `delay` apart, Retry-After obeyed.
    times = [moment for moment, _, _ in server.requests]
    assert all(later - earlier >= DELAY - 0.02 for earlier, later in itertools.pairwise(times)), times
    retried = [moment for moment, path, _ in server.requests if path == OCTOBER[1]]
    assert len(retried) == 2 and retried[1] - retried[0] >= 0.98
    streamed = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in streamed) == sorted(urls[OCTOBER[0]] + urls[OCTOBER[1]])
    assert {r["archive"]["file"] for r in streamed} == {server.base + p for p in OCTOBER[:2]}
    assert result.stdout.strip().splitlines()[-1].startswith("backfill: written=9 duplicates=1 skipped=2 "
                                                             "(not_html=2)"), result.stdout
    assert "100% of the archives" in [line for line in result.stderr.splitlines() if "progress:" in line][-1]
    # The same files downloaded and read with --warc: the same records, ids and story decisions.
    local = tmp_path / "downloaded"
    local.mkdir()
    for path in OCTOBER[:2]:
        (local / path.rsplit("/", 1)[-1]).write_bytes(server.files[path])
    from_disk = run_cli("--output", "local", "--state", "local.sqlite", "backfill", "--workers", "1", "--warc",
                        str(local), cwd=tmp_path)
    assert from_disk.returncode == 0, from_disk.stderr
    assert from_disk.stdout.splitlines()[-1] == result.stdout.splitlines()[-1]
    read = read_records(tmp_path / "local")
    assert [_comparable(r) for r in read] == [_comparable(r) for r in streamed]
    assert [r["archive"]["offset"] for r in read] == [r["archive"]["offset"] for r in streamed]
    copy = next(r for r in streamed if r["url"] == "https://copy.example/2")
    assert copy["duplicate_of"] == next(r["id"] for r in streamed if r["url"] == urls[OCTOBER[0]][0])
    # Run again: the files read to their end are not asked for again; nothing is written.
    before = len(server.requests)
    again = run_cli("backfill", "--workers", "1", "--cc-news", "2026-10-03..2026-10-04", cwd=tmp_path)
    assert again.stdout.strip().splitlines()[-1].startswith("backfill: written=0 duplicates=0 skipped=0"), again
    assert [path for _, path, _ in server.requests[before:]] == ["crawl-data/CC-NEWS/2026/10/warc.paths.gz"]
    assert "100% of the archives" in [line for line in again.stderr.splitlines() if "progress:" in line][-1]


def test_a_file_cut_off_mid_way_is_resumed_and_every_record_written_once(tmp_path: Path, fake: Any) -> None:
    server, urls = fake
    configure(tmp_path, server.base, segment_records=2)
    path = OCTOBER[1]
    size = len(server.files[path])
    # Within a run: cut twice, each time read on from the byte where it broke.
    server.cuts[path] = [size // 3, size // 3]
    first = run_cli("backfill", "--workers", "1", "--cc-news", "2026-10-03", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    ranges = [asked for _, p, asked in server.requests if p == path]
    assert ranges == ["", f"bytes={size // 3}-", f"bytes={2 * (size // 3)}-"]
    assert "the connection broke at byte" in first.stderr
    # A file cut more often than its retries: the run reports it, and the next goes on from the committed offset.
    server.cuts[OCTOBER[2]] = [size // 2, 10, 10]  # the retries (2) are used up without progress
    second = run_cli("backfill", "--workers", "1", "--cc-news", "2026-10-05", cwd=tmp_path)
    assert "unreadable=1" in second.stdout and "broke at byte" in second.stderr
    assert second.returncode == 0, second.stderr  # some of it was read
    done = {r["url"] for r in read_records(tmp_path / "output")}
    assert done >= set(urls[OCTOBER[1]]) and done & set(urls[OCTOBER[2]]), second.stderr
    before = len(server.requests)
    third = run_cli("backfill", "--workers", "1", "--cc-news", "2026-10-05", cwd=tmp_path)
    assert third.returncode == 0, third.stderr
    resumed = [asked for _, p, asked in server.requests[before:] if p == OCTOBER[2]]
    assert len(resumed) == 1 and int(resumed[0][6:-1]) > 0  # from the committed offset, not from 0
    records = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in records) == sorted(set(urls[OCTOBER[0]] + urls[OCTOBER[1]] + urls[OCTOBER[2]]))
    assert verify_output(tmp_path / "output").ok


def test_a_killed_cc_news_backfill_run_again_writes_nothing_twice(tmp_path: Path) -> None:
    files, urls = crawl(per_file=8)
    with FakeCommonCrawl(files) as server:
        server.slow = 0.01
        configure(tmp_path, server.base, segment_records=3)
        command = ["backfill", "--workers", "1", "--cc-news", "2026-10-03..2026-10-05"]
        wanted = sorted(set(urls[OCTOBER[0]] + urls[OCTOBER[1]] + urls[OCTOBER[2]]))
        rng = random.Random(5)
        for _ in range(3):
            kill_once_written(command, tmp_path, at_least=rng.randint(3, len(wanted) - 3))
        final = run_cli(*command, cwd=tmp_path, timeout=300)
        assert final.returncode == 0, final.stderr
    records = read_records(tmp_path / "output")
    assert sorted(r["url"] for r in records) == wanted  # every page exactly once
    assert verify_output(tmp_path / "output").ok


def test_a_month_not_published_and_a_bad_period_are_clear_errors(tmp_path: Path, fake: Any) -> None:
    server, _ = fake
    configure(tmp_path, server.base)
    missing = run_cli("backfill", "--cc-news", "2026-12", cwd=tmp_path)
    assert missing.returncode == 3, missing.stderr
    assert "no CC-NEWS listing for 2026/12" in missing.stderr and "not published" in missing.stderr
    assert "no CC-NEWS file could be read at all" in missing.stderr
    bad = run_cli("backfill", "--cc-news", "2026-13", cwd=tmp_path)
    assert bad.returncode == 2 and "argument --cc-news" in bad.stderr and "month must be in 1..12" in bad.stderr
    alone = run_cli("backfill", "--cc-news", cwd=tmp_path)
    assert alone.returncode == 2 and "or --since" in alone.stderr
    both = run_cli("backfill", "--cc-news", "2026-10", "--warc", "x.warc.gz", cwd=tmp_path)
    assert both.returncode == 2 and "not with --warc" in both.stderr
    # Every file failing (gone from the server): nothing read, exit 3, each named.
    for path in OCTOBER:
        del server.files[path]
    gone = run_cli("backfill", "--workers", "1", "--cc-news", "--since", "2026-10-04", "--until", "2026-10-05",
                   cwd=tmp_path)
    assert gone.returncode == 3, gone.stderr
    assert "CC-NEWS-20261003120000-00101.warc.gz: nothing could be read (error: http_404" in gone.stderr
    assert "unreadable=2" in gone.stdout
