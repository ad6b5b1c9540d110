"""Extraction in worker processes decides exactly as one worker does."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from conftest import read_records, rss, run_cli, write_sources
from localsite import LocalSite, Page
from test_output_contract import article_page

from scraper.errors import StateError, WorkerError
from scraper.extractors import Quarantine
from scraper.pipeline import InOrder
from scraper.workers import available_cpus


def _site() -> LocalSite:
    site = LocalSite()
    items = []
    for number in range(16):
        site.routes[f"/a/{number}"] = Page(article_page(number))
        items.append((f"A{number}", site.url(f"/a/{number}"), f"{1 + number:02d} Oct 2025 00:00:00 GMT"))
        if number % 3 == 0:  # a copy in other chrome, published a little later
            copy = article_page(number).replace(b"<footer>(C) Test</footer>", b"<aside>Related</aside>")
            site.routes[f"/copy/{number}"] = Page(copy)
            items.append((f"C{number}", site.url(f"/copy/{number}"), f"{1 + number:02d} Oct 2025 06:00:00 GMT"))
    site.routes["/feed"] = Page(rss(items), "application/rss+xml")
    return site


def _decisions(output: Path) -> list[tuple[str, str | None, str, str]]:
    return sorted((r["url"].split("/", 3)[3], r["duplicate_of"], r["body"], (r.get("story") or {}).get("role", ""))
                  for r in read_records(output))


def test_two_workers_write_what_one_worker_writes(tmp_path: Path) -> None:
    results = []
    with _site() as site:
        for workers in ("1", "2"):
            workdir = tmp_path / f"w{workers}"
            workdir.mkdir()
            write_sources(workdir / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                      "feeds": [site.url("/feed")]}])
            result = run_cli("backfill", "--workers", workers, cwd=workdir)
            assert result.returncode == 0, result.stderr
            results.append(result.stdout.strip().splitlines()[-1])
            site.hits.clear()
    assert results[0] == results[1] == "backfill: written=22 duplicates=6 skipped=0"
    one, two = _decisions(tmp_path / "w1" / "output"), _decisions(tmp_path / "w2" / "output")
    assert one == two
    assert sum(1 for _, duplicate, _, _ in one if duplicate) == 6


def test_after_a_run_ending_failure_no_later_link_takes_its_turn() -> None:
    # Link 1 fails for the whole run while 2 and 3 wait their turn: they must not record anything after it
    # (a WARC's progress would pass link 1, and a re-run would never read it again).
    async def scenario() -> tuple[list[int], list[str]]:
        turns, recorded, refused = InOrder(), [], []

        async def link(position: int, fails: bool = False) -> None:
            try:
                if fails:
                    await asyncio.sleep(0.01)
                    raise WorkerError("workers die")
                await turns.wait(position)
                recorded.append(position)
            except WorkerError as exc:
                refused.append(f"{position}: {exc}")
                turns.stop(exc)
            finally:
                turns.done(position)

        await asyncio.gather(link(3), link(2), link(1, fails=True), link(0))
        await link(4)  # comes after the failure: refused at once
        return recorded, sorted(refused)

    recorded, refused = asyncio.run(scenario())
    assert recorded == [0]
    assert refused == ["1: workers die", "2: workers die", "3: workers die", "4: workers die"]


def test_a_link_whose_turn_came_as_the_run_was_stopped_does_not_take_it() -> None:
    # Link 0 is done and fails in the same step (its record could not be filed after its turn): link 1, woken by
    # the done, has not run yet when the stop comes, and must not record progress past link 0.
    async def scenario() -> list[str]:
        turns, seen = InOrder(), []

        async def second() -> None:
            try:
                await turns.wait(1)
                seen.append("1 recorded")
            except StateError:
                seen.append("1 refused")

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0)  # link 1 waits for its turn
        turns.done(0)
        turns.stop(StateError("state store failing"))
        await waiting
        return seen

    assert asyncio.run(scenario()) == ["1 refused"]


def test_a_suspect_page_runs_with_nothing_beside_it() -> None:
    async def scenario() -> list[tuple[str, int]]:
        quarantine, running, seen = Quarantine(), set(), []

        async def page(name: str, suspect: bool, delay: float) -> None:
            await asyncio.sleep(delay)
            async with quarantine.alone() if suspect else quarantine.together():
                running.add(name)
                seen.append((name, len(running)))
                await asyncio.sleep(0.02)
                running.discard(name)

        await asyncio.gather(page("a", False, 0), page("b", False, 0), page("s1", True, 0.005),
                             page("s2", True, 0.005), page("c", False, 0.01))
        return seen

    seen = dict(asyncio.run(scenario()))
    assert seen["s1"] == seen["s2"] == 1  # each suspect alone, after a and b are done, before c starts
    assert seen["a"] == 1 and seen["b"] == 2 and seen["c"] == 1


def _cgroups(tmp_path: Path, files: dict[str, str], own: str) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    root.mkdir(exist_ok=True)
    (tmp_path / "self").write_text(own)
    return root, tmp_path / "self"


def test_the_default_worker_count_keeps_to_a_containers_cpu_limit(tmp_path: Path) -> None:
    machine = available_cpus(tmp_path / "none", tmp_path / "none")  # no cgroups: the CPUs it may run on
    assert machine == len(os.sched_getaffinity(0))
    cases = [
        # cgroup v2, as docker --cpus 1.5 sets it: rounded up
        ({"cpu.max": "150000 100000\n"}, "0::/\n", 2),
        ({"cpu.max": "50000 100000\n"}, "0::/\n", 1),
        ({"cpu.max": "max 100000\n"}, "0::/\n", machine),
        # the limit on an ancestor of the process's cgroup (a pod), none on its own
        ({"kubepods/cpu.max": "100000 100000\n", "kubepods/pod1/app/cpu.max": "max 100000\n"},
         "0::/kubepods/pod1/app\n", 1),
        # cgroup v1: quota -1 is none
        ({"cpu,cpuacct/cpu.cfs_quota_us": "100000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
         "3:cpu,cpuacct:/\n", 1),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, "1:cpu:/\n", machine),
        # unreadable or unexpected content is no limit
        ({"cpu.max": "lots\n"}, "garbage", machine),
    ]
    for number, (files, own, expected) in enumerate(cases):
        root, self_file = _cgroups(tmp_path / str(number), files, own)
        assert available_cpus(root, self_file) == min(expected, machine), files
