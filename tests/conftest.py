"""Shared test helpers: fixture pages, a sources.toml writer, reading the output directory."""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two test processes per CPU this process may use (pyproject caps them at eight). Much of the suite
    waits on the servers, commands and workers it starts: with one per CPU, a fifth of the run had a core idle."""
    from scraper.workers import available_cpus  # (affinity and a container's CPU quota, off Linux too)

    return 2 * available_cpus()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the package's bytecode once, before the tests start their hundreds of `python -m scraper` commands
    and extraction workers: where PYTHONDONTWRITEBYTECODE is set (as in many CI images) no process writes it, and
    each one compiled the whole package again, about a tenth of a second of CPU per process."""
    if not hasattr(session.config, "workerinput"):  # the controller, or a run without xdist
        compileall.compile_dir(ROOT / "scraper", quiet=1)


def fixture_page(name: str, base: str = "http://127.0.0.1") -> bytes:
    return (FIXTURES / "site" / name).read_text(encoding="utf-8").replace("{{base}}", base).encode("utf-8")


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed of (title, link, RFC 822 date) items."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate></item>"
        for title, link, date in items
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test</title>'
            f"<link>http://127.0.0.1/</link><description>t</description>{entries}</channel></rss>").encode()


def write_sources(path: Path, outlets: list[dict[str, Any]], **defaults: Any) -> Path:
    """Write a sources.toml; values are TOML-encoded with json.dumps (valid for strings and lists)."""
    # Test sites live on 127.0.0.x, which the fetch guard refuses unless told otherwise; only loopback is
    # allowed, so every end-to-end run goes through the guard as a user's would.
    defaults = {"delay": "10ms", "timeout": "10s", "allow_private": ["127.0.0.0/8"], **defaults}
    lines = ["[defaults]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in defaults.items()]
    for outlet in outlets:
        lines.append("[[outlet]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in outlet.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_records(output: Path) -> list[dict[str, Any]]:
    records = []
    for segment in sorted(output.glob("*/*/*/*.jsonl")):
        for line in segment.read_text(encoding="utf-8").splitlines():
            records.append(json.loads(line))
    return records


def record_schema() -> dict[str, Any]:
    text = resources.files("scraper").joinpath("schema/record-1.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def run_cli(
    *args: str, cwd: Path, timeout: float = 120, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m scraper ARGS` as a user would, in `cwd`, with no SCRAPER_* variables leaking in.

    A backfill gets one extraction process unless the test says how many (`--workers`): by default it starts one
    per CPU, each taking two seconds of CPU to start, which made the suite's cost grow with the machine's cores.
    Files handed to a fleet (`--database` with `--warc` or `--cc-news`) are the fleet's workers' to read: no option."""
    handed = "--database" in args and ("--warc" in args or "--cc-news" in args)
    if "backfill" in args and "--workers" not in args and not handed:
        args = (*args, "--workers", "1")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args],
        cwd=cwd, env=env, capture_output=True, timeout=timeout,
        input=stdin.decode() if stdin is not None else None, text=True,
    )


def kill_once_written(args: list[str], cwd: Path, at_least: int, timeout: float = 60) -> None:
    """Start `python -m scraper ARGS` in `cwd` (no SCRAPER_* variables) and kill -9 it once `cwd/output` holds
    `at_least` records (or it ended, or `timeout` seconds passed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    process = subprocess.Popen([sys.executable, "-m", "scraper", *args], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if len(read_records(cwd / "output")) >= at_least:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@contextlib.contextmanager
def running_daemon(workdir: Path, listen: str = "off", **env: str
                   ) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """`scraper run --listen LISTEN` in `workdir` with `env` added (no other SCRAPER_* variables); killed if
    still running when the block ends. Its stderr is in the dict yielded, once the block is over."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}, **env}
    daemon = subprocess.Popen([sys.executable, "-m", "scraper", "run", "--listen", listen], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result: dict[str, str] = {}
    try:
        yield daemon, result
    finally:
        if daemon.poll() is None:
            daemon.kill()
        _, result["stderr"] = daemon.communicate(timeout=10)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server's URL: SCRAPER_TEST_DATABASE's, or a throwaway cluster's (see tests/pgserver.py)."""
    import pgserver

    if os.environ.get(pgserver.ENV):
        yield os.environ[pgserver.ENV]
        return
    try:
        server = pgserver.throwaway_server()
        url = server.__enter__()
    except RuntimeError as exc:
        pgserver.unavailable(str(exc))
        return
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def pg_database(pg_server: str, request: pytest.FixtureRequest) -> str:
    """An empty database of its own for one test: its URL."""
    import hashlib

    import pgserver

    name = "t_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:24]
    return pgserver.fresh_database(pg_server, name)
