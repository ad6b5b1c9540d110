"""SIGKILL a backfill at 50 random moments; afterwards every report is in the output exactly once."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import read_records, write_sources
from test_output_contract import numbered_site

from scraper.verify import verify_output

ROUNDS = int(os.environ.get("SCRAPER_KILL_ROUNDS", "50"))
BUDGET_S = 240.0  # the rounds stop early rather than let this test run away on a slow machine


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    # Two extraction workers whatever the machine (the default, one per CPU, made this test's cost grow with the
    # cores): killed parents must take more than one with them.
    command = [sys.executable, "-m", "scraper", "backfill", "--workers", "2"]
    with numbered_site(300) as site:
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        with (tmp_path / "sources.toml").open("a") as config:
            config.write("[output]\nsegment_records = 4\n")
        started = time.monotonic()
        kills = 0
        for _ in range(ROUNDS):
            if time.monotonic() - started > BUDGET_S:
                break
            process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, 1.5))
            process.kill()
            process.wait(timeout=30)
            kills += 1
        final = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert kills >= min(ROUNDS, 30)
    # The killed backfills' extraction workers follow them (each checks its parent every second), even
    # those killed while their workers were still starting.
    deadline = time.monotonic() + 10
    while _workers_in(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _workers_in(tmp_path) == []

    output = tmp_path / "output"
    report = verify_output(output)
    assert report.ok, report.problems[:10]
    records = read_records(output)
    assert sorted(r["url"] for r in records) == sorted(site.url(f"/a/{n}") for n in range(300))
    assert all(not p.name.startswith(".") for p in output.rglob("*.jsonl"))  # no temp file matches *.jsonl
    db = sqlite3.connect(tmp_path / "output.state.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 300
    finally:
        db.close()


def _workers_in(folder: Path) -> list[int]:
    """Extraction worker processes (multiprocessing's spawn_main) running in `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if b"spawn_main" in (entry / "cmdline").read_bytes() and (entry / "cwd").resolve() == folder.resolve():
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue  # not a process, gone meanwhile, or not ours to look at
    return found
