"""The daemon closes output segments as `[output]` says (by count, by age, and at shutdown), not after every poll."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from email.utils import format_datetime
from pathlib import Path

import httpx
from pytest_httpx import HTTPXMock
from test_nothing_lost import FEED, T0, _source
from test_output_contract import article_page

from scraper.analyse import Analyser
from scraper.daemon import Daemon
from scraper.fetch import Fetcher
from scraper.pipeline import Pipeline
from scraper.records import Settings
from scraper.sink import JsonlSink
from scraper.state import State


def _serve(httpx_mock: HTTPXMock, count: int) -> None:
    items = "".join(f"<item><title>R{n}</title><link>https://wire.example/a/{n}</link>"
                    f"<pubDate>{format_datetime(T0)}</pubDate></item>" for n in range(count))
    httpx_mock.add_response(url=FEED, is_reusable=True, headers={"Content-Type": "application/rss+xml"},
                            content=f'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>{items}'
                                    "</channel></rss>".encode())
    httpx_mock.add_callback(lambda request: httpx.Response(
        200, content=article_page(int(request.url.path.rsplit("/", 1)[1])), headers={"Content-Type": "text/html"}),
        url=re.compile(r"https://wire\.example/a/\d+"), is_reusable=True)


def _segments(output: Path) -> list[int]:
    return [len(f.read_text().splitlines()) for f in sorted(output.glob("*/*/*/*.jsonl"))]


async def _daemon_run(tmp_path: Path, settings: Settings, until: object) -> tuple[list[int], list[int]]:
    """Run the daemon until `until(output)` holds (bounded), note the visible segments, stop it; both lists."""
    state = State(tmp_path / "state.sqlite")
    sink = JsonlSink(tmp_path / "out", segment_records=settings.segment_records,
                     segment_seconds=settings.segment_seconds)
    async with Fetcher(robots=False) as fetcher:
        pipeline = Pipeline(fetcher, state, sink, Analyser())
        daemon = Daemon(settings, pipeline, output_root=tmp_path / "out")
        running = asyncio.ensure_future(daemon.run())
        for _ in range(300):  # 30 s at most
            if until(tmp_path / "out"):  # type: ignore[operator]
                break
            await asyncio.sleep(0.1)
        during = _segments(tmp_path / "out")
        daemon.stop()
        await running
        pipeline.close()
    sink.close()
    state.close()
    return during, _segments(tmp_path / "out")


async def test_segments_close_by_count_while_the_daemon_runs_and_the_rest_at_shutdown(
        tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    _serve(httpx_mock, 7)
    settings = Settings(path="sources.toml", sources=(replace(_source(), interval=3600.0),), segment_records=3,
                        segment_seconds=3600.0)
    during, after = await _daemon_run(tmp_path, settings, lambda out: len(_segments(out)) >= 2)
    assert during == [3, 3]  # the seventh waits in the open segment: no segment per poll
    assert after == [3, 3, 1]


async def test_a_segment_closes_by_age_while_the_daemon_runs(tmp_path: Path, httpx_mock: HTTPXMock) -> None:
    _serve(httpx_mock, 2)
    settings = Settings(path="sources.toml", sources=(replace(_source(), interval=3600.0),), segment_records=1000,
                        segment_seconds=0.5)
    during, after = await _daemon_run(tmp_path, settings, lambda out: sum(_segments(out)) == 2)
    assert during == [2] and after == [2]
