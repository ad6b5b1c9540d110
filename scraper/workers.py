"""CPU-bound stages (extraction, language, artefacts, fingerprints) in worker processes: every core for a
backfill, one for the daemon.

Each worker process builds its own Analyser once, in the pool's initializer, and keeps it (with the page
time limit and the test hook) in this module: the one module-level state in the package, and by necessity,
since a process pool can only call plain functions. The event-loop process never touches it.

`fault` is a test hook, as SCRAPER_FAULT is for the parent: "worker_start" makes every worker die as it
starts (what an out-of-memory kill or a broken installation looks like to the parent),
"worker_dies_on:TEXT" makes a worker die on the pages whose URL contains TEXT (a page that crashes it),
"worker_hangs_on:TEXT" makes it hang on them (a page that sends an extractor into an endless loop), and
"worker_stuck_on:TEXT" makes it hang where the page's alarm cannot reach it (one call into C that never
returns, or a library that swallows every alarm).

A page has two limits. At `page_timeout` an alarm interrupts the Python code the worker runs, and the page is
skipped (`extract_timeout`) by a worker that lives on. A call into C does not see the alarm until it returns,
so at `hard_limit(page_timeout)` faulthandler's watchdog thread, which needs neither the interpreter nor
signals, ends the process: the parent sees a worker die, as on a crash, runs the pages in flight again one at
a time, and skips the page (`extract_timeout`) when the worker that tried it alone died at the hard limit.
"""

from __future__ import annotations

import faulthandler
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import resource_tracker
from pathlib import Path

from scraper.analyse import Analyser
from scraper.errors import Skip
from scraper.logs import setup_logging
from scraper.prepare import Prepared, prepare
from scraper.records import Fetched, Link, Source

_analyser: Analyser | None = None
_fault = ""  # the test hook
_page_timeout = 0.0  # seconds; 0 = none
_watchdog_output = 2  # the file descriptor faulthandler writes a stuck worker's stack to (/dev/null once started)
FAULT_EXIT = 137  # what a SIGKILLed process reports: the test hooks' exit
# How long a page may run past its alarm before its worker is ended (and never more than the alarm itself):
# time for an interrupted extractor to unwind, or for a long call into C to return.
HARD_LIMIT_GRACE = 15.0


def hard_limit(page_timeout: float) -> float:
    """Seconds after which a page's worker process is ended, whatever it is doing."""
    return page_timeout + min(page_timeout, HARD_LIMIT_GRACE)


def _init(alias_files: Sequence[str], parent: int, fault: str = "", page_timeout: float = 0.0) -> None:
    global _analyser, _fault, _page_timeout, _watchdog_output
    # Ctrl-C in a terminal signals the whole foreground process group, workers too. The parent decides how to
    # stop (finish the pages in flight, then end its workers); a KeyboardInterrupt raised in a worker would
    # come back to it as the result of a page, and end it with a traceback instead. The same for the SIGHUP of a
    # closed terminal, which would otherwise kill the workers under the parent's clean stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _follow_parent(parent)
    if fault == "worker_start":
        os._exit(FAULT_EXIT)
    _fault, _page_timeout = fault, page_timeout
    signal.signal(signal.SIGALRM, _out_of_time)
    # The stack faulthandler dumps before it ends a stuck worker would be plain text in the JSON log stream;
    # the parent logs the page instead.
    _watchdog_output = os.open(os.devnull, os.O_WRONLY)  # open for the life of the process
    # Spawned processes start with no logging set up: the same format as the parent, warnings only.
    setup_logging(os.environ.get("SCRAPER_LOG_FORMAT", "json"), quiet=True)
    _analyser = Analyser(alias_files=alias_files)
    _analyser.warm_up()


def _follow_parent(parent: int) -> None:
    """Exit when the parent dies (SIGKILL, a crash): an orphaned worker would hold the parent's
    stdout and stderr open and live on forever, blocked on a queue nobody writes to. The parent's pid
    comes from the parent itself: one that died while this worker was still starting has already
    handed it on to init, and `getppid()` here would watch init."""
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def prepare_in_worker(fetched: Fetched | None, source: Source, link: Link | None) -> Prepared:
    """`prepare` in a worker process, with its Analyser, under the page's time limits."""
    assert _analyser is not None, "worker used before its initializer ran"
    # The page's time limit: the alarm interrupts Python code, which is where an extractor loops (it cannot
    # interrupt one long call into C, a parser, until the call returns). It rings again every second after
    # that, in case a library's `except Exception` swallowed the first. The hard limit is for the rest.
    if _page_timeout > 0:
        signal.setitimer(signal.ITIMER_REAL, _page_timeout, 1.0)
        faulthandler.dump_traceback_later(hard_limit(_page_timeout), exit=True, file=_watchdog_output)
    try:
        action, _, text = _fault.partition(":")
        if text and fetched is not None and text in fetched.url:
            if action == "worker_dies_on":
                os._exit(FAULT_EXIT)
            if action == "worker_stuck_on":
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as deaf to the alarm as C code
            if action in ("worker_hangs_on", "worker_stuck_on"):
                time.sleep(3600)
        return prepare(fetched, source, _analyser, link)
    finally:
        if _page_timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            faulthandler.cancel_dump_traceback_later()


def _out_of_time(signum: int, frame: object) -> None:
    raise Skip("extract_timeout", f"extraction took over {_page_timeout:g}s")


def available_cpus(cgroup_root: Path = Path("/sys/fs/cgroup"), own_cgroups: Path = Path("/proc/self/cgroup")) -> int:
    """The CPUs this process may use: those it may run on (its affinity: `docker --cpuset-cpus`, `taskset`),
    and no more than its cgroup's CPU quota allows (`docker --cpus`, a Kubernetes limit), rounded up.

    os.cpu_count() counts the host's: on a 64-core host, a container given two CPUs would start 64 workers
    (some 200 MB each) to share them. Both cgroup versions are read, at the process's own cgroup and each of
    its ancestors (a Kubernetes pod's limit sits above its containers'); anything unreadable counts as no quota.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota(cgroup_root, _cgroup_paths(own_cgroups))
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def _cgroup_paths(own_cgroups: Path) -> dict[str, str]:
    """The process's cgroup in each hierarchy ("" for the unified one, "cpu" for v1's), from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    try:
        lines = own_cgroups.read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path.strip("/")
    return paths


def _cgroup_quota(root: Path, paths: dict[str, str]) -> float | None:
    """CPUs the tightest CPU quota over the process's cgroup and its ancestors allows (quota / period), or None
    for none found. cgroup v2 writes "max 100000" or "200000 100000" in cpu.max; v1 a quota of -1 for none."""
    found: list[float] = []
    for directory in _up_from(root, paths.get("", "")):
        quota, _, period = (_read(directory / "cpu.max") or "").partition(" ")
        if (ratio := _ratio(quota, period)) is not None:
            found.append(ratio)
    v1 = next((root / name for name in ("cpu", "cpu,cpuacct") if (root / name).is_dir()), None)
    for directory in _up_from(v1, paths.get("cpu", "")) if v1 is not None else ():
        ratio = _ratio(_read(directory / "cpu.cfs_quota_us") or "", _read(directory / "cpu.cfs_period_us") or "")
        if ratio is not None:
            found.append(ratio)
    return min(found, default=None)


def _up_from(mount: Path, path: str) -> list[Path]:
    """The cgroup directory `path` under `mount` and each of its ancestors up to the mount itself (inside a
    container the mount is already the container's own cgroup, and `path` may not exist under it)."""
    parts = [part for part in path.split("/") if part and part != ".."]
    return [mount.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _ratio(quota: str, period: str) -> float | None:
    try:
        allowed, length = int(quota), int(period)
    except ValueError:
        return None  # "max", or anything unexpected
    return allowed / length if allowed > 0 and length > 0 else None


def make_executor(workers: int, alias_files: Sequence[str], fault: str = "", page_timeout: float = 0.0) -> Executor:
    """A pool of `workers` processes; one extraction thread in this process when `workers` is 0.

    With processes the event-loop process only reads, deduplicates and writes, on another core; one
    process is the right choice even on one core, and the daemon's too: a page that crashes or stalls a
    worker costs that page, where in a thread it would cost the process. The thread (no start-up, no
    pickling) is for in-process uses and tests. Processes are spawned, not forked: the parent has an event
    loop, threads and an open database.
    """
    if workers <= 0:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
    _start_resource_tracker()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init, initargs=(tuple(alias_files), os.getpid(), fault, page_timeout))
    # Start every worker now: each needs a second or two to import trafilatura and build its Analyser,
    # which then overlaps the parent's own start (state store, reconciling, the first discovery).
    for _ in range(workers):
        pool.submit(worker_ready)
    return pool


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (a helper process of the pool's) with SIGHUP ignored, which it then
    keeps: it ignores SIGINT and SIGTERM itself, not the SIGHUP of a closed terminal, which would kill it while the
    pool stops cleanly and leave tracebacks behind. (Signal dispositions are the main thread's to change.)"""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        resource_tracker.ensure_running()
    finally:
        signal.signal(signal.SIGHUP, previous)


def stop_executor(executor: Executor, grace: float = 2.0) -> None:
    """Shut a pool down now: queued pages are cancelled, idle workers exit, and a worker still on a page after
    `grace` seconds is terminated (a thread cannot be, and is waited for). `ProcessPoolExecutor` has no public
    way to end a busy worker before Python 3.14's `terminate_workers`; its `_processes` map is read for that."""
    if not isinstance(executor, ProcessPoolExecutor):
        executor.shutdown(wait=True, cancel_futures=True)
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
            process.join(1.0)
        if process.is_alive():
            process.kill()


def worker_ready() -> None:
    """Nothing: submitted once per worker so that the pool starts them at once, and run to check that a new
    pool's workers start at all."""
