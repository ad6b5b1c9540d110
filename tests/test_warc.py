"""WARC input: archived HTML pages with file and offset, skips for the rest, resume, host filter, damage."""

from __future__ import annotations

import gzip
import io
import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from articles import news_pages
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.discover.warc import ArchivedPage, WarcSkip, host_matches, read_warc
from scraper.errors import Skip
from scraper.fetch.guard import decoded

DATE = "2024-06-15T03:04:05Z"


@pytest.fixture(scope="module")
def bodies() -> list[bytes]:
    return news_pages(3)


@dataclass
class Written:
    path: Path
    offsets: dict[str, int]  # record name → offset of the record in the file


class Archive:
    """Writes a WARC file record by record, noting where each record starts."""

    def __init__(self, path: Path, gzipped: bool) -> None:
        self.path = path
        self.stream = path.open("wb")
        self.writer = WARCWriter(self.stream, gzip=gzipped)
        self.offsets: dict[str, int] = {}

    def response(self, name: str, url: str, body: bytes, *, status: str = "200 OK",
                 content_type: str | None = "text/html; charset=utf-8", date: str = DATE,
                 headers: list[tuple[str, str]] | None = None) -> None:
        fields = [("Content-Type", content_type)] if content_type else []
        http = StatusAndHeaders(status, fields + (headers or []), protocol="HTTP/1.1")
        self._write(name, self.writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                         http_headers=http, warc_headers_dict={"WARC-Date": date}))

    def request(self, name: str, url: str) -> None:
        http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "www.yna.co.kr")], is_http_request=True)
        self._write(name, self.writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=http))

    def dns(self, name: str, host: str) -> None:
        answer = io.BytesIO(f"20240615030405\n{host}.\t300\tIN\tA\t203.0.113.7\n".encode())
        self._write(name, self.writer.create_warc_record(f"dns:{host}", "response", payload=answer,
                                                         warc_content_type="text/dns"))

    def warcinfo(self, name: str) -> None:
        self._write(name, self.writer.create_warcinfo_record("test.warc", {"software": "newsnorm tests"}))

    def _write(self, name: str, record: Any) -> None:
        self.offsets[name] = self.stream.tell()
        self.writer.write_record(record)
        record.raw_stream.close()  # warcio spooled the payload to a temporary file to digest it

    def close(self) -> Written:
        self.stream.close()
        return Written(self.path, self.offsets)


def standard_archive(tmp_path: Path, bodies: list[bytes], gzipped: bool) -> Written:
    archive = Archive(tmp_path / ("news.warc.gz" if gzipped else "news.warc"), gzipped)
    archive.warcinfo("info")
    archive.dns("dns", "www.yna.co.kr")
    archive.request("request", "https://www.yna.co.kr/view/AKR20240615000100504")
    archive.response("yna", "https://www.yna.co.kr/view/AKR20240615000100504", bodies[0])
    archive.response("image", "https://img.yna.co.kr/photo/yh/2024/06/15/a.jpg", b"\xff\xd8\xff\xe0" + bytes(300),
                     content_type="image/jpeg")
    archive.response("kcna", "http://www.kcna.kp/en/article/detail/0a1b2c3d4e5f60718293a4b5c6d7e8f9", bodies[1],
                     date="2024-06-15T12:00:00.250000Z")
    archive.response("missing", "https://en.yna.co.kr/view/AEN0", b"<html><body>Not found</body></html>",
                     status="404 Not Found")
    archive.response("en", "https://en.yna.co.kr:443/view/AEN20240615000100315", bodies[2])
    return archive.close()


def pages_of(results: list[ArchivedPage | WarcSkip]) -> list[ArchivedPage]:
    return [r for r in results if isinstance(r, ArchivedPage)]


def skips_of(results: list[ArchivedPage | WarcSkip]) -> list[tuple[str, int]]:
    return [(r.reason, r.offset) for r in results if isinstance(r, WarcSkip)]


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_html_responses_become_pages_with_file_and_offset(tmp_path: Path, bodies: list[bytes], gzipped: bool) -> None:
    written = standard_archive(tmp_path, bodies, gzipped)
    counts: Counter[str] = Counter()
    results = list(read_warc(written.path, counts=counts))
    pages = pages_of(results)
    assert [p.fetched.url for p in pages] == [
        "https://www.yna.co.kr/view/AKR20240615000100504",
        "http://www.kcna.kp/en/article/detail/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "https://en.yna.co.kr:443/view/AEN20240615000100315",
    ]
    assert [p.offset for p in pages] == [written.offsets[n] for n in ("yna", "kcna", "en")]
    assert all(p.file == str(written.path) for p in pages)
    for page, body in zip(pages, bodies, strict=True):
        assert page.fetched.raw == body and page.fetched.text == ""  # decoded where it is extracted
        fetched = decoded(page.fetched)
        assert fetched.final_url == fetched.url and fetched.status == 200
        assert fetched.content_type == "text/html; charset=utf-8"
        assert fetched.text == body.decode("utf-8") and fetched.encoding == "utf-8" and fetched.raw is None
        assert fetched.size == len(body)
    assert pages[0].fetched.fetched_at == datetime(2024, 6, 15, 3, 4, 5, tzinfo=UTC)
    assert pages[1].fetched.fetched_at == datetime(2024, 6, 15, 12, 0, 0, 250000, tzinfo=UTC)
    assert skips_of(results) == [("not_html", written.offsets["image"]), ("http_404", written.offsets["missing"])]
    assert counts == Counter(not_response=2, not_http=1)  # warcinfo, request and dns: counted, not yielded


def test_resume_from_an_offset(tmp_path: Path, bodies: list[bytes]) -> None:
    written = standard_archive(tmp_path, bodies, gzipped=True)
    resumed = list(read_warc(written.path, start_offset=written.offsets["kcna"]))
    assert [r.offset for r in resumed] == [written.offsets[n] for n in ("kcna", "missing", "en")]
    # An offset inside a record (the last one done, plus one) resumes at the next record.
    after = list(read_warc(written.path, start_offset=written.offsets["kcna"] + 1))
    assert [r.offset for r in after] == [written.offsets[n] for n in ("missing", "en")]
    assert list(read_warc(written.path, start_offset=written.path.stat().st_size + 10)) == []


def test_resume_in_an_uncompressed_file(tmp_path: Path, bodies: list[bytes]) -> None:
    written = standard_archive(tmp_path, bodies, gzipped=False)
    after = list(read_warc(written.path, start_offset=written.offsets["yna"] + 100))
    assert [r.offset for r in after] == [written.offsets[n] for n in ("image", "kcna", "missing", "en")]


def test_host_filter_takes_hosts_and_their_subdomains(tmp_path: Path, bodies: list[bytes]) -> None:
    written = standard_archive(tmp_path, bodies, gzipped=True)
    counts: Counter[str] = Counter()
    results = list(read_warc(written.path, hosts=["yna.co.kr"], counts=counts))
    assert [p.fetched.url for p in pages_of(results)] == ["https://www.yna.co.kr/view/AKR20240615000100504",
                                                           "https://en.yna.co.kr:443/view/AEN20240615000100315"]
    assert skips_of(results) == [("not_html", written.offsets["image"]), ("http_404", written.offsets["missing"])]
    assert counts["other_host"] == 1  # the KCNA page
    only_kcna = list(read_warc(written.path, hosts=["http://www.kcna.kp/"]))  # a homepage URL works too
    assert [p.fetched.url for p in pages_of(only_kcna)] == [
        "http://www.kcna.kp/en/article/detail/0a1b2c3d4e5f60718293a4b5c6d7e8f9"]
    assert host_matches("www.yna.co.kr", {"yna.co.kr"}) and host_matches("YNA.co.kr.", {"yna.co.kr"})
    assert not host_matches("notyna.co.kr", {"yna.co.kr"}) and not host_matches("yna.co.kr.evil.org", {"yna.co.kr"})
    assert list(read_warc(written.path, hosts=[])) == skips_of([])  # no host wanted, nothing read


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_a_file_cut_inside_a_record_ends_with_one_corrupt_skip(
    tmp_path: Path, bodies: list[bytes], gzipped: bool
) -> None:
    written = standard_archive(tmp_path, bodies, gzipped)
    data = written.path.read_bytes()
    cut_at = written.offsets["en"] + (len(data) - written.offsets["en"]) // 2
    written.path.write_bytes(data[:cut_at])
    results = list(read_warc(written.path))
    assert len(pages_of(results)) == 2
    assert skips_of(results)[-1] == ("corrupt_warc", written.offsets["en"])
    # The file may still be growing (a download, a crawler writing it): the cut record is marked as such.
    last = results[-1]
    assert isinstance(last, WarcSkip) and last.at_end


def test_a_damaged_member_is_skipped_and_reading_goes_on(tmp_path: Path, bodies: list[bytes]) -> None:
    written = standard_archive(tmp_path, bodies, gzipped=True)
    data = bytearray(written.path.read_bytes())
    middle = (written.offsets["kcna"] + written.offsets["missing"]) // 2
    data[middle:middle + 64] = bytes(64)  # inside the KCNA page's compressed data: its CRC fails
    written.path.write_bytes(bytes(data))
    results = list(read_warc(written.path))
    assert [p.offset for p in pages_of(results)] == [written.offsets["yna"], written.offsets["en"]]
    assert ("corrupt_warc", written.offsets["kcna"]) in skips_of(results)
    assert ("http_404", written.offsets["missing"]) in skips_of(results)
    # Records follow the damage: it is not the end of a file still being written.
    assert not any(r.at_end for r in results if isinstance(r, WarcSkip))


def test_a_damaged_record_header_in_an_uncompressed_file(tmp_path: Path, bodies: list[bytes]) -> None:
    written = standard_archive(tmp_path, bodies, gzipped=False)
    data = bytearray(written.path.read_bytes())
    start = written.offsets["kcna"]
    data[start:start + 8] = b"GARBAGE!"  # where "WARC/1.0" should be
    written.path.write_bytes(bytes(data))
    results = list(read_warc(written.path))
    assert [p.offset for p in pages_of(results)] == [written.offsets["yna"], written.offsets["en"]]
    assert skips_of(results) == [("not_html", written.offsets["image"]), ("corrupt_warc", start),
                                 ("http_404", written.offsets["missing"])]


def test_a_record_longer_than_its_length_writes_nothing_to_stderr(
    tmp_path: Path, bodies: list[bytes], capfd: pytest.CaptureFixture[str]
) -> None:
    # warcio writes a warning of three plain-text lines straight to stderr for it, among the JSON log lines.
    written = standard_archive(tmp_path, bodies, gzipped=False)
    data = written.path.read_bytes()
    start = written.offsets["yna"]
    field = data.index(b"Content-Length: ", start)
    end = data.index(b"\r\n", field)
    length = int(data[field + 16:end])
    written.path.write_bytes(data[:field + 16] + str(length - 10).encode() + data[end:])
    results = list(read_warc(written.path))
    assert written.offsets["en"] in [p.offset for p in pages_of(results)]  # the records after it are read
    assert capfd.readouterr().err == ""


def test_digest_check_catches_damaged_bytes_in_an_uncompressed_file(tmp_path: Path, bodies: list[bytes]) -> None:
    written = standard_archive(tmp_path, bodies, gzipped=False)
    data = bytearray(written.path.read_bytes())
    spot = written.offsets["yna"] + 2000  # inside the first page's HTML
    data[spot:spot + 4] = b"XXXX"
    written.path.write_bytes(bytes(data))
    assert len(pages_of(list(read_warc(written.path)))) == 3  # unverified, the damage passes
    results = list(read_warc(written.path, verify_digests=True))
    assert [p.offset for p in pages_of(results)] == [written.offsets["kcna"], written.offsets["en"]]
    assert skips_of(results)[0] == ("corrupt_warc", written.offsets["yna"])


def test_size_cap_binary_bodies_and_bad_dates(tmp_path: Path, bodies: list[bytes]) -> None:
    archive = Archive(tmp_path / "odd.warc.gz", gzipped=True)
    archive.response("big", "https://www.yna.co.kr/view/big", bodies[0])
    archive.response("binary", "https://www.yna.co.kr/view/bin", bytes(range(256)) * 40)
    archive.response("undated", "https://www.yna.co.kr/view/undated", b"<html><body>x</body></html>", date="yesterday")
    archive.response("redirect", "https://www.yna.co.kr/view/old", b"", status="301 Moved Permanently",
                     headers=[("Location", "https://www.yna.co.kr/view/new")])
    written = archive.close()
    results = list(read_warc(written.path, max_bytes=len(bodies[0]) - 1))
    assert skips_of(results) == [("too_large", written.offsets["big"]), ("binary", written.offsets["binary"]),
                                 ("bad_record", written.offsets["undated"]), ("http_301", written.offsets["redirect"])]


def test_legacy_charsets_compressed_bodies_and_missing_content_type(tmp_path: Path) -> None:
    korean = "<html><head><title>북한</title></head><body><p>조선중앙통신은 23일 보도했다.</p></body></html>"
    archive = Archive(tmp_path / "charsets.warc", gzipped=False)
    archive.response("euc-kr", "https://www.yna.co.kr/view/a", korean.encode("euc-kr"),
                     content_type="text/html; charset=euc-kr")
    archive.response("gzip", "https://www.yna.co.kr/view/b", gzip.compress(korean.encode("utf-8")),
                     headers=[("Content-Encoding", "gzip")])
    archive.response("untyped", "https://www.yna.co.kr/view/c", b"<!DOCTYPE html><html><body>x</body></html>",
                     content_type=None)
    archive.response("plain", "https://www.yna.co.kr/robots.txt", b"User-agent: *\nDisallow:\n", content_type=None)
    written = archive.close()
    results = list(read_warc(written.path))
    pages = pages_of(results)
    assert [decoded(p.fetched).text for p in pages[:2]] == [korean, korean]
    assert decoded(pages[0].fetched).encoding == "cp949"
    assert pages[1].fetched.size == len(korean.encode("utf-8"))  # after content decoding
    assert pages[2].fetched.url == "https://www.yna.co.kr/view/c"  # sniffed as HTML
    assert skips_of(results) == [("not_html", written.offsets["plain"])]


def test_files_that_are_not_warcs_never_raise_while_read(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"this is not an archive\n" * 100)
    assert [r.reason for r in read_warc(junk) if isinstance(r, WarcSkip)] == ["corrupt_warc"]
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    assert list(read_warc(empty)) == []
    whole = tmp_path / "whole-file-gzip.warc.gz"  # one gzip stream over all records: warcio refuses to seek it
    plain = tmp_path / "plain.warc"
    archive = Archive(plain, gzipped=False)
    for n in range(3):
        archive.response(f"p{n}", f"https://www.yna.co.kr/view/{n}", b"<html><body>%d</body></html>" % n)
    archive.close()
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    first, *rest = read_warc(whole)
    assert isinstance(first, ArchivedPage) and first.offset == 0  # warcio reads the first record only...
    assert [(r.reason, "non-chunked gzip" in r.detail) for r in rest if isinstance(r, WarcSkip)] == [
        ("corrupt_warc", True)]  # ...and says why


def test_an_unreadable_file_is_a_skip_at_once(tmp_path: Path) -> None:
    with pytest.raises(Skip) as caught:
        read_warc(tmp_path / "missing.warc.gz")
    assert caught.value.reason == "unreadable"
    with pytest.raises(Skip) as caught:
        read_warc(tmp_path)  # a directory
    assert caught.value.reason == "unreadable"
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.warc"
        locked.write_bytes(b"WARC/1.0\r\n")
        locked.chmod(0)
        with pytest.raises(Skip):
            read_warc(locked)
