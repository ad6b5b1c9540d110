"""Operating the daemon: /healthz, /metrics, JSON logs, `scraper stats`, backfill progress."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import fixture_page, read_records, rss, run_cli, running_daemon, write_sources
from localsite import LocalSite, Page

from scraper.logs import JsonFormatter, redact
from scraper.metrics import Metrics
from scraper.service import StatusServer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _wait(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return bool(condition())  # type: ignore[operator]


def test_health_metrics_and_a_clean_stop(tmp_path: Path) -> None:
    with LocalSite() as site:
        base = site.url("")
        site.routes.update({"/a/1": Page(fixture_page("wire-1.html", base)),
                            "/a/2": Page(fixture_page("daily-1.html", base)), "/gone": Page(b"", status=404)})
        site.routes["/feed"] = Page(rss([("1", site.url("/a/1"), "Fri, 31 Oct 2025 00:12:00 GMT"),
                                         ("2", site.url("/a/2"), "Fri, 31 Oct 2025 01:40:00 GMT"),
                                         ("x", site.url("/gone"), "Fri, 31 Oct 2025 02:00:00 GMT")]),
                                    "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "interval": "1h", "feeds": [site.url("/feed")]}])
        with (tmp_path / "sources.toml").open("a") as config:
            config.write('[output]\nsegment_seconds = "1s"\n')
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
        daemon = subprocess.Popen([sys.executable, "-m", "scraper", "run", "--listen", f"127.0.0.1:{port}"],
                                  cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert _wait(lambda: _get_or_none(f"http://127.0.0.1:{port}/healthz") == 200, 30)
            status, body = _get(f"http://127.0.0.1:{port}/healthz")
            assert json.loads(body) == {"status": "ok", "problems": [], "warnings": []}
            assert _wait(lambda: _metric(_get(f"http://127.0.0.1:{port}/metrics")[1],
                                         "scraper_polls_total", outlet="wire", result="ok") == 1, 30)
            metrics = _get(f"http://127.0.0.1:{port}/metrics")[1]
            assert _metric(metrics, "scraper_articles_written_total", outlet="wire") == 2
            assert _metric(metrics, "scraper_duplicates_total", outlet="wire") == 1, metrics
            assert _metric(metrics, "scraper_skips_total", outlet="wire", reason="http_404") == 1
            assert _metric(metrics, "scraper_fetches_total", outlet="wire", status_class="2xx") >= 3
            assert _metric(metrics, "scraper_fetches_total", outlet="wire", status_class="4xx") >= 1
            assert _metric(metrics, "scraper_fetch_seconds_count", outlet="wire") >= 4
            assert _metric(metrics, "scraper_fetched_bytes_total", outlet="wire") > 1000
            assert _metric(metrics, "scraper_last_successful_poll_timestamp_seconds", outlet="wire") > 1.7e9
            # The segment closes by age ([output] segment_seconds, 1 s here), not at the end of the poll.
            assert _wait(lambda: _metric(_get(f"http://127.0.0.1:{port}/metrics")[1],
                                         "scraper_segments_written_total") == 1, 30)
            assert "scraper_hosts_paused 0.0" in metrics
            assert _get(f"http://127.0.0.1:{port}/nothing")[0] == 404

            # The output directory becomes unwritable: /healthz says so.
            (tmp_path / "output").chmod(0o500)
            if os.geteuid() != 0:  # root writes anywhere; the check is meaningful for everyone else
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                assert status == 503 and "not writable" in body
            (tmp_path / "output").chmod(0o755)

            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=12)
        finally:
            if daemon.poll() is None:
                daemon.kill()
            _, stderr = daemon.communicate(timeout=10)
    assert daemon.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines()]  # every log line is JSON
    assert {"time", "level", "event", "message"} <= set(lines[0])
    events = {line["event"] for line in lines}
    assert {"start", "article", "duplicate", "skip", "stopping", "stopped"} <= events
    skip = next(line for line in lines if line["event"] == "skip")
    assert skip["outlet"] == "wire" and skip["reason"] == "http_404" and skip["url"].endswith("/gone")
    assert len(read_records(tmp_path / "output")) == 2
    assert not list((tmp_path / "output").rglob(".*.tmp"))  # the last records are in a closed segment


def _get_or_none(url: str) -> int | None:
    try:
        return _get(url)[0]
    except OSError:
        return None


def test_stats_table_and_json(tmp_path: Path) -> None:
    with LocalSite() as site:
        base = site.url("")
        site.routes.update({"/a/1": Page(fixture_page("wire-1.html", base)),
                            "/a/2": Page(fixture_page("daily-1.html", base))})
        site.routes["/feed"] = Page(rss([("1", site.url("/a/1"), "Fri, 31 Oct 2025 00:12:00 GMT"),
                                         ("2", site.url("/a/2"), "Fri, 31 Oct 2025 01:40:00 GMT"),
                                         ("3", site.url("/missing"), "Fri, 31 Oct 2025 03:00:00 GMT")]),
                                    "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        assert run_cli("stats", cwd=tmp_path).returncode == 1  # nothing to report yet: said so, no traceback
        assert run_cli("backfill", cwd=tmp_path).returncode == 0
    table = run_cli("stats", cwd=tmp_path)
    assert table.returncode == 0
    header, row = table.stdout.splitlines()
    assert header.split()[:2] == ["outlet", "last"] and row.split()[0] == "wire"
    (stats,) = [json.loads(line) for line in run_cli("stats", "--json", cwd=tmp_path).stdout.splitlines()]
    assert stats["outlet"] == "wire"
    assert stats["articles_today"] == stats["articles_7d"] == stats["articles_total"] == 2
    assert stats["duplicates_7d"] == 1 and stats["failing_urls"] == 1
    assert stats["paused_hosts"] == []


def test_backfill_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    with LocalSite() as site:
        base = site.url("")
        site.routes.update({"/a/1": Page(fixture_page("wire-1.html", base)),
                            "/a/2": Page(fixture_page("wire-2.html", base))})
        site.routes["/feed"] = Page(rss([("1", site.url("/a/1"), "Fri, 31 Oct 2025 00:12:00 GMT"),
                                         ("2", site.url("/a/2"), "Sun, 02 Nov 2025 00:30:00 GMT")]),
                                    "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        result = run_cli("--log-format", "text", "backfill", "--progress-every", "0", cwd=tmp_path)
    assert result.returncode == 0
    progress = [line for line in result.stderr.splitlines() if line.startswith("progress:")]
    assert progress[0].startswith("progress: 0/2 articles")
    assert progress[-1].startswith("progress: 2/2 articles")
    assert "\x1b[" not in result.stderr  # no terminal codes in a log file
    assert " INFO scraper." in result.stderr  # text logs, not JSON


def test_secrets_never_reach_the_logs() -> None:
    text = redact("GET https://user:hunter2@proxy.example:8080/feed?id=3&token=abc123&x=1 Cookie: sid=42")
    assert "hunter2" not in text and "abc123" not in text and "sid=42" not in text
    assert "https://***@proxy.example:8080/feed?id=3&token=***&x=1" in text
    record = logging.LogRecord("scraper.fetch", logging.WARNING, __file__, 1, "failed %s", ("http://a:b@h/x",),
                               None)
    record.url = "http://a:secret@h/x?api_key=k"
    line = json.loads(JsonFormatter().format(record))
    assert "secret" not in json.dumps(line) and line["url"] == "http://***@h/x?api_key=***"


def test_backfill_progress_bar_on_a_terminal() -> None:
    import io

    from scraper.progress import BackfillProgress

    screen = io.StringIO()
    progress = BackfillProgress(stream=screen, tty=True)
    progress.discovered("wire", 10)
    for _ in range(4):
        progress.processed("wire")
    progress.close()
    shown = screen.getvalue()
    assert "4/10" in shown and "articles/s" in shown and "ETA" in shown


def test_archive_progress_goes_by_bytes_with_an_eta_at_this_runs_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from scraper import progress as module
    from scraper.progress import BackfillProgress

    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    lines = io.StringIO()
    progress = BackfillProgress(stream=lines, every=0.0, tty=False)
    progress.archives({"a.warc.gz": 1000, "b.warc.gz": 3000})
    progress.archive_read("a.warc.gz", 600)  # resumed: 600 bytes were read by an earlier run
    clock[0] += 10
    progress.discovered("warc", 32)
    progress.archive_read("a.warc.gz", 1000)  # 400 bytes in 10 s: the 3,000 left take 75 s
    progress.processed("warc")
    assert lines.getvalue().splitlines()[-1] == "progress: 1/32 articles, 0.1/s, 25% of the archives, ETA 1m15s"
    progress.archive_read("b.warc.gz", 3000)
    progress.close()
    assert lines.getvalue().splitlines()[-1].endswith(", 100% of the archives")

    screen = io.StringIO()
    bar = BackfillProgress(stream=screen, tty=True)
    bar.archives({"a.warc.gz": 1000})
    bar.archive_read("a.warc.gz", 250)
    bar.close()
    assert "25% of the archives" in screen.getvalue()


def test_healthz_reports_extraction_workers_that_cannot_start(tmp_path: Path) -> None:
    with LocalSite() as site:
        site.routes["/a/1"] = Page(fixture_page("wire-1.html", site.url("")))
        site.routes["/feed"] = Page(rss([("1", site.url("/a/1"), "Fri, 31 Oct 2025 00:12:00 GMT")]),
                                    "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "interval": "1h", "feeds": [site.url("/feed")]}])
        with (tmp_path / "sources.toml").open("a") as config:
            config.write('[output]\nsegment_seconds = "1s"\n')
        port = _free_port()
        with running_daemon(tmp_path, f"127.0.0.1:{port}", SCRAPER_FAULT="worker_start") as (daemon, result):
            assert _wait(lambda: _get_or_none(f"http://127.0.0.1:{port}/healthz") == 503, 60)
            status, body = _get(f"http://127.0.0.1:{port}/healthz")
            assert status == 503
            assert any("extraction workers die as they start" in p for p in json.loads(body)["problems"])
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=15)
    assert daemon.returncode == 0, result["stderr"]
    assert read_records(tmp_path / "output") == []
    assert "poll_failed" in result["stderr"]


async def _ask(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await writer.wait_closed()
    return answer


async def test_head_gets_the_headers_of_get_and_a_failing_check_gets_a_500(caplog: pytest.LogCaptureFixture) -> None:
    checks: list[Callable[[], list[str]]] = [list]
    server = StatusServer("127.0.0.1", 0, Metrics(), lambda: checks[0]())
    await server.start()
    try:
        get = await _ask(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await _ask(server.port, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head_lines, _, body = get.partition(b"\r\n\r\n")
        assert json.loads(body) == {"status": "ok", "problems": [], "warnings": []}
        assert head == head_lines + b"\r\n\r\n"  # Content-Length says what GET would send; no body follows

        def broken() -> list[str]:
            raise OSError(5, "Input/output error")

        checks[0] = broken
        with caplog.at_level(logging.ERROR, logger="scraper.service"):
            failed = await _ask(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert failed.startswith(b"HTTP/1.1 500 ") and b"Input/output error" in failed
        assert "cannot answer GET /healthz" in caplog.text
        checks[0] = list
        again = await _ask(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert again.startswith(b"HTTP/1.1 200 ")  # the server goes on answering
    finally:
        await server.close()
