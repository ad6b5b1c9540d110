"""Whole-pipeline throughput from a WARC: our backfill with 1 and with all workers, next to bare trafilatura.

Builds a WARC.gz from the pages in ../shared/eval/extract/ (repeated under distinct URLs to --records), runs
`scraper backfill --warc` with --workers 1 and --workers N as subprocesses (extraction, analysis, dedup and
durable output included, start-up too), and `trafilatura.extract` over the same pages in this process, half
the records before our runs and half after (the mean of the two is the baseline).
Each run also prints its CPU time per document (every process of it): where the wall-clock ratios come from;
and the CPU cost of each stage a worker runs, measured in this process over the distinct pages.
With `--database postgresql://…` (a server where it may create databases), the same pages split into files are
also read by a fleet (scraper/fleet/): one and two `scraper worker` processes on PostgreSQL, next to the single
process on SQLite over the same files, and the committer's own ceiling: the records handed by two workers while the
bench holds the store's lock (no committer), then the time the committer takes to write them all.
Last line: `pipeline: docs_per_s_1=… docs_per_s_all=… trafilatura_docs_per_s=… ratio_1=… ratio_all=…`, and with
`--database` also `sqlite_files_docs_per_s_1=… pg_docs_per_s_1=… pg_docs_per_s_2=… committer_docs_per_s=…`.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trafilatura
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.workers import available_cpus

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extract"


def pages() -> list[bytes]:
    files = sorted(EVAL.glob("*/pages/*.html.gz"))
    if not files:
        sys.exit(f"no eval pages under {EVAL}")
    return [gzip.decompress(path.read_bytes()) for path in files]


def build_warc(path: Path, bodies: list[bytes], records: int) -> None:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for number in range(records):
            body = bodies[number % len(bodies)]
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(f"https://bench{number % 7}.example/a/{number}", "response",
                                               payload=io.BytesIO(body), http_headers=http,
                                               warc_headers_dict={"WARC-Date": "2026-10-01T00:00:00Z"})
            writer.write_record(record)
            record.raw_stream.close()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float | None:
    """CPU seconds of one process (all its threads, not its children), from /proc; None where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ours(warc: Path, workers: int, workdir: Path, records: int) -> tuple[float, float | None]:
    """Seconds for the backfill, and the main process's CPU seconds (None off Linux)."""
    workdir.mkdir()
    (workdir / "sources.toml").write_text('[[outlet]]\nid = "bench"\nname = "Bench"\n'
                                          'homepage = "https://bench.example/"\nfeeds = ["https://bench.example/f"]\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    started, cpu = time.perf_counter(), _children_cpu()
    # stderr to a file: a full pipe would stall the run while it is sampled.
    with (workdir / "stderr.txt").open("w+") as errors:
        process = subprocess.Popen([sys.executable, "-m", "scraper", "-q", "backfill", "--workers", str(workers),
                                    "--warc", str(warc)], cwd=workdir, env=env, stdout=subprocess.PIPE,
                                   stderr=errors, text=True)
        # The main process reads, deduplicates and writes for every worker: its CPU per document is the ceiling
        # of a backfill on any number of cores. Sampled until it exits (the last tenth of a second is missed).
        main_cpu = None
        while process.poll() is None:
            main_cpu = _process_cpu(process.pid) or main_cpu
            time.sleep(0.1)
        stdout, _ = process.communicate()
        took, cpu = time.perf_counter() - started, _children_cpu() - cpu
        if process.returncode:
            errors.seek(0)
            sys.exit(errors.read())
    # CPU of the main process and its workers together, start-up included: what a document costs in all.
    main = f" main_cpu_ms_per_doc={main_cpu / records * 1e3:.1f}" if main_cpu is not None else ""
    print(f"  workers={workers}: {stdout.strip()}  cpu_ms_per_doc={cpu / records * 1e3:.1f}{main}")
    return took, main_cpu


def bare(bodies: list[bytes], records: int, label: str) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    for number in range(records):
        trafilatura.extract(bodies[number % len(bodies)].decode("utf-8", errors="replace"))
    took = time.perf_counter() - started
    print(f"  bare trafilatura ({label}): {records / took:.1f} docs/s "
          f"cpu_ms_per_doc={(time.process_time() - cpu) / records * 1e3:.1f}")
    return took


def stages(bodies: list[bytes]) -> None:
    """Where a worker's time goes: each CPU-bound stage in this process over the distinct pages, a cold
    pass (as on text never seen) and a warm one (the analysis keeps word caches), next to trafilatura."""
    from datetime import UTC, datetime

    from scraper.analyse import Analyser
    from scraper.dedup import story_print
    from scraper.errors import Skip
    from scraper.extract import extract_article
    from scraper.prepare import analyse_page
    from scraper.records import Fetched, Source

    source = Source(id="bench", name="Bench", languages=(), homepage="https://bench.example/", timezone="UTC")
    pages = [Fetched(url=f"https://bench.example/a/{n}", final_url=f"https://bench.example/a/{n}", status=200,
                     content_type="text/html; charset=utf-8", text=body.decode("utf-8", errors="replace"),
                     encoding="utf-8", fetched_at=datetime.now(UTC), size=len(body)) for n, body in enumerate(bodies)]
    analyser = Analyser()
    analyser.warm_up()
    for label in ("cold", "warm"):
        extract = analyse = printed = traf = 0.0
        for page in pages:
            started = time.process_time()
            trafilatura.extract(page.text)
            traf += time.process_time() - started
            try:
                started = time.process_time()
                extract_article(page, source)
                extract += time.process_time() - started
                started = time.process_time()
                # Extracts again (its own share is the rest): language, artefacts, names, the content hash.
                record, _ = analyse_page(page, source, analyser)
                analyse += time.process_time() - started
                started = time.process_time()
                story_print(record)
                printed += time.process_time() - started
            except Skip:
                pass
        analyse -= extract
        count = len(pages) / 1e3
        print(f"  stages ({label}, ms per page): extraction={extract / count:.1f} analysis={analyse / count:.1f} "
              f"story_fingerprint={printed / count:.1f} bare_trafilatura={traf / count:.1f}")


FILES = 8  # the fleet's jobs: one per file


def split_warcs(folder: Path, bodies: list[bytes], records: int) -> list[Path]:
    """The bench's records in FILES files (the fleet reads one file per job)."""
    folder.mkdir()
    paths = []
    per_file = records // FILES
    for number in range(FILES):
        path = folder / f"part-{number}.warc.gz"
        with path.open("wb") as stream:
            writer = WARCWriter(stream, gzip=True)
            for index in range(number * per_file, (number + 1) * per_file):
                body = bodies[index % len(bodies)]
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                        protocol="HTTP/1.1")
                record = writer.create_warc_record(f"https://bench{index % 7}.example/a/{index}", "response",
                                                   payload=io.BytesIO(body), http_headers=http,
                                                   warc_headers_dict={"WARC-Date": "2026-10-01T00:00:00Z"})
                writer.write_record(record)
                record.raw_stream.close()
        paths.append(path)
    return paths


def _fresh_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    base, _, query = server.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def _scraper(workdir: Path, *args: str, wait: bool = True) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPER_")}
    process = subprocess.Popen([sys.executable, "-m", "scraper", "-q", *args], cwd=workdir, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if wait:
        _, errors = process.communicate()
        if process.returncode:
            sys.exit(errors)
    return process


def fleet(server: str, files: list[Path], workers: int, workdir: Path, records: int, *,
          committer_only: bool = False) -> float:
    """Seconds for `workers` worker processes to read, hand and commit every file (with `committer_only`: the
    seconds the committer takes to write what two workers handed while it could not lead)."""
    import psycopg

    from scraper.state import STORE_LOCK

    workdir.mkdir()
    (workdir / "sources.toml").write_text('[[outlet]]\nid = "bench"\nname = "Bench"\n'
                                          'homepage = "https://bench.example/"\nfeeds = ["https://bench.example/f"]\n')
    database = _fresh_database(server, f"bench_{workdir.name}")
    holder = psycopg.connect(database, autocommit=True) if committer_only else None
    if holder is not None:
        holder.execute("SELECT pg_advisory_lock(%s)", (STORE_LOCK,))  # no worker can be the committer
    running = [_scraper(workdir, "--database", database, "worker", "--concurrency", "1", wait=False)
               for _ in range(workers)]
    try:
        started = time.perf_counter()
        queued = _scraper(workdir, "--database", database, "backfill", "--warc", *map(str, files), wait=False)
        queued.communicate()
        if holder is not None:
            with psycopg.connect(database, autocommit=True) as db:
                while db.execute("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                                 ).fetchone()[0]:
                    time.sleep(0.2)
                handed = db.execute("SELECT count(*) FROM fleet_handoff").fetchone()[0]
            print(f"  committer: {handed} calls handed, waiting")
            holder.close()  # now one of the workers leads (within LEAD_EVERY) and writes them
            with psycopg.connect(database, autocommit=True) as db:
                # The clock starts when the committer takes its first rows, not while a worker waits to lead.
                while db.execute("SELECT count(*) FROM fleet_handoff").fetchone()[0] >= handed:
                    time.sleep(0.02)
            started = time.perf_counter()
        with psycopg.connect(database, autocommit=True) as db:
            while True:
                row = db.execute("SELECT bool_and(current >= files), sum(written) FROM fleet_streams").fetchone()
                if row and row[0]:
                    break
                time.sleep(0.1)
        took = time.perf_counter() - started
        print(f"  fleet of {workers} ({'committer only' if committer_only else 'whole'}): {took:.1f}s "
              f"{records / took:.1f} docs/s, written={row[1]}")
        return took
    finally:
        if holder is not None and not holder.closed:
            holder.close()
        for process in running:
            process.terminate()
        for process in running:
            process.communicate(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=available_cpus(), help="default: what `backfill` takes")
    parser.add_argument("--database", metavar="URL",
                        help="a PostgreSQL server (its maintenance database) to measure the fleet on")
    args = parser.parse_args()
    bodies = pages()
    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "bench.warc.gz"
        build_warc(warc, bodies, args.records)
        print(f"records={args.records} distinct_pages={len(bodies)} warc_mb={warc.stat().st_size / 1e6:.1f}")
        # The baseline before and after our runs, and their mean: this machine's speed drifts by a fifth over
        # minutes (other tenants), and one measurement taken after ours would tilt every ratio with the drift.
        trafilatura.extract(bodies[0].decode("utf-8", errors="replace"))  # one-off set-ups (jusText's stoplists)
        before = bare(bodies, args.records // 2, "before")
        one, _ = ours(warc, 1, Path(tmp) / "one", args.records)
        many, main_cpu = ours(warc, args.workers, Path(tmp) / "many", args.records)
        fleet_line = ""
        if args.database:
            files = split_warcs(Path(tmp) / "files", bodies, args.records)
            records = len(files) * (args.records // FILES)
            started = time.perf_counter()
            _scraper(Path(tmp) / "one", "--output", "files-out", "--state", "files.sqlite", "backfill",
                     "--workers", "1", "--warc", *map(str, files))
            sqlite_files = records / (time.perf_counter() - started)
            print(f"  sqlite, one process, {len(files)} files: {sqlite_files:.1f} docs/s")
            pg_1 = records / fleet(args.database, files, 1, Path(tmp) / "pg1", records)
            pg_2 = records / fleet(args.database, files, 2, Path(tmp) / "pg2", records)
            committer = records / fleet(args.database, files, 2, Path(tmp) / "pgc", records, committer_only=True)
            fleet_line = (f" sqlite_files_docs_per_s_1={sqlite_files:.1f} pg_docs_per_s_1={pg_1:.1f}"
                          f" pg_docs_per_s_2={pg_2:.1f} committer_docs_per_s={committer:.1f}"
                          f" pg_1_vs_sqlite={pg_1 / sqlite_files:.2f}")
        after = bare(bodies, args.records // 2, "after")
    base = (before + after) / (2 * (args.records // 2)) * args.records  # seconds for `records` documents
    stages(bodies)
    rate_1, rate_all, rate_t = args.records / one, args.records / many, args.records / base
    print(f"ours, 1 worker:        {one:7.1f}s {rate_1:6.1f} docs/s")
    print(f"ours, {args.workers} workers:       {many:7.1f}s {rate_all:6.1f} docs/s")
    print(f"bare trafilatura.extract: {base:5.1f}s {rate_t:6.1f} docs/s (one process)")
    if main_cpu:
        # Start-up included: a longer run's ceiling is a little higher.
        print(f"single-writer ceiling:   {args.records / main_cpu:6.0f} docs/s whatever the number of cores "
              f"(about {args.records / main_cpu / rate_1:.0f} workers' worth at one worker's rate)")
    print(f"pipeline: docs_per_s_1={rate_1:.1f} docs_per_s_all={rate_all:.1f} trafilatura_docs_per_s={rate_t:.1f} "
          f"ratio_1={rate_1 / rate_t:.2f} ratio_all={rate_all / rate_t:.2f}{fleet_line}")


if __name__ == "__main__":
    main()
