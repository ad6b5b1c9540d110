"""The near-duplicate index at 10k, 100k and 1M reports: lookup time, bytes per report, state size on disk.

    python bench/dedup_scale.py                  # 10k, 100k, 1M (a few minutes on 2 cores)
    python bench/dedup_scale.py --sizes 10000 100000

One state database grows to each size in turn. Most reports are synthetic fingerprints (random signature,
lead, sample and title key: to the index, distinct texts look exactly like that; a language of seven, and 20
anchors, 4 of them from a pool of 200 that every story draws on, as years and the leader's name are, the rest
from a pool of a million), inserted in batches through the same `State.stories.stage_print` / `State.commit` the
pipeline uses. Among them are 1,000 reports made from
generated text, fingerprinted for real, whose edited copies (page chrome, a cut to the first paragraphs)
are the lookups that must hit; lookups of 1,000 fresh texts must miss. A fresh text has no copy, so its lookup
also reads its anchors' keys and verifies the reports in other languages they find (the translation lookup,
the costlier path: its 20 anchors are drawn from the same pools; every other one is in a script that marks no
names, and reads the sounds of its words too). Lookup time is the index's part (keys read,
candidates verified), measured at each size: it must stay flat as the index grows. The story print of a text
(fingerprint and anchors, computed by the worker processes) costs the same at any size and is printed once.

Lookup times are the median over the lookups (the mean and 99th percentile beside it: on a shared
2-core machine the tail is mostly the scheduler). Bytes per report are the pages of the index's tables
and indexes (SQLite's dbstat) over the prints; `db MB` is the whole state file after a checkpoint.
The last line is machine-readable:
`dedup_scale: lookup_us_10k=… lookup_us_1m=… bytes_per_report=…` (bytes at the largest size).
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from scraper.dedup import DedupOptions, DuplicateIndex, story_print
from scraper.dedup.anchors import Kind
from scraper.dedup.fingerprint import LEAD, PERMS, SAMPLE, STARTS, WINDOW
from scraper.dedup.index import minutes, print_keys
from scraper.records import Language, Record
from scraper.state import State, StoredPrint

SIZES = (10_000, 100_000, 1_000_000)
PLANTED = 1_000  # real-text reports whose copies are looked up
BATCH = 50_000  # prints per commit while growing the index
START = datetime(2026, 3, 1, tzinfo=UTC)
INDEX_TABLES = ("dedup_prints", "dedup_keys", "dedup_stories", "dedup_prints_by_added", "dedup_prints_by_story")


def synthetic_text(rng: random.Random, vocabulary: list[str], paragraphs: int) -> str:
    """Paragraphs of Zipf-distributed words: as repetitive as news prose, never the same twice."""
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    out = []
    for _ in range(paragraphs):
        words = rng.choices(vocabulary, weights, k=rng.randint(25, 60))
        out.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(out)


def report(rid: str, text: str, at: datetime, source: str = "wire") -> Record:
    return Record(id=rid, url=rid, canonical_url=rid, source_id=source, source_name=source, title="",
                  body=text, authors=(), published_at=at, fetched_at=at, language=Language("und", 0.0),
                  content_hash="")


LANGUAGES = ("ko", "en", "zh", "ru", "ja", "es", "fr")
KINDS = (Kind.NUMBER, Kind.DATE, Kind.LATIN, Kind.NAME, Kind.SMALL, Kind.YEAR, Kind.SOUND)
HEARD = 200  # word sounds of a fresh Korean or Arabic lookup (a text whose script marks no names)


def synthetic_anchors(rng: np.random.Generator, count: int) -> list[bytes]:
    """20 anchors each (value and place): 4 from a pool of 200 common ones, 16 from a pool of a million."""
    common = rng.integers(0, 200, size=(count, 4))
    rare = rng.integers(200, 1_000_200, size=(count, 16))
    kinds = rng.integers(0, len(KINDS), size=(count, 20))
    places = np.sort(rng.integers(0, 256, size=(count, 20)), axis=1)
    out = []
    for i in range(count):
        values = [(int(KINDS[k]) << 29) | int(v) for k, v in zip(kinds[i], [*common[i], *rare[i]], strict=True)]
        out.append(b"".join(v.to_bytes(4, "little") + bytes([int(p)]) for v, p in zip(values, places[i], strict=True)))
    return out


def synthetic_heard(rng: np.random.Generator, count: int) -> list[bytes]:
    """What a Korean or Arabic text hears of its words: HEARD SOUND values (most from a pool of 20,000 word sounds,
    as a language's vocabulary repeats) with their places."""
    values = (int(Kind.SOUND) << 29) | rng.integers(0, 20_000, size=(count, HEARD))
    places = np.sort(rng.integers(0, 256, size=(count, HEARD)), axis=1)
    return [b"".join(int(v).to_bytes(4, "little") + bytes([int(p)]) for v, p in zip(values[i], places[i], strict=True))
            for i in range(count)]


def synthetic_prints(rng: np.random.Generator, count: int, first_fp: int, at: int) -> Iterable[StoredPrint]:
    """Fingerprints of `count` distinct texts of ~300 words: random where a real text's are pseudo-random."""
    signatures = rng.integers(0, 1 << 16, size=(count, PERMS), dtype=np.uint16).astype("<u2")
    leads = rng.integers(0, 1 << 16, size=(count, LEAD), dtype=np.uint16).astype("<u2")
    samples = np.sort(rng.integers(0, 1 << 16, size=(count, min(SAMPLE, 75)), dtype=np.uint16), axis=1).astype("<u2")
    titles = rng.integers(-(1 << 63), (1 << 63) - 1, size=count, dtype=np.int64)
    offsets = rng.integers(0, 24 * 60, size=count)
    gaps = np.sort(rng.integers(1, LEAD - WINDOW, size=(count, STARTS - 1)), axis=1)
    languages = rng.integers(0, len(LANGUAGES), size=count)
    anchors = synthetic_anchors(rng, count)
    shape = (12).to_bytes(2, "little") + bytes(range(20, 200, 20))
    for i in range(count):
        starts = bytes([0, *sorted(set(gaps[i].tolist()))])
        yield StoredPrint(first_fp + i, first_fp + i, at + int(offsets[i]), 300, 290, signatures[i].tobytes(),
                          leads[i].tobytes(), starts, int(titles[i]), None, np.unique(samples[i]).tobytes(),
                          LANGUAGES[languages[i]], anchors[i], shape)


def grow(state: State, rng: np.random.Generator, first: int, count: int, final: int, options: DedupOptions) -> float:
    """Add reports `first`..`first + count` in batches, fetched evenly over the window; seconds taken."""
    started = time.perf_counter()
    done = 0
    window = options.window.total_seconds() / 60
    while done < count:
        size = min(BATCH, count - done)
        added = minutes(START) + int((first + done) / final * window)
        for row in synthetic_prints(rng, size, 0, added):
            state.stories.stage_print(row, added, tuple(print_keys(row, options.min_words, options.anchor_keys)),
                                      first_id=f"synthetic-{done}")
        state.commit()
        done += size
    return time.perf_counter() - started


def checkpoint(state_path: Path) -> None:
    """Fold the write-ahead log into the database, as SQLite does between a daemon's small commits."""
    with sqlite3.connect(state_path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def index_bytes(state_path: Path) -> int:
    with sqlite3.connect(state_path) as db:
        rows = db.execute(
            f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({','.join('?' * len(INDEX_TABLES))})", INDEX_TABLES
        ).fetchone()
    return int(rows[0] or 0)


def chrome_copy(text: str, rng: random.Random) -> str:
    paragraphs = text.split("\n\n")
    if rng.random() < 0.5:
        paragraphs = paragraphs[:2]  # the wire brief
    return "\n\n".join(["Share this article on social media", *paragraphs, "Copyright 2026. All rights reserved."])


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--lookups", type=int, default=1000, help="hits and as many misses, at each size")
    parser.add_argument("--keep", type=Path, help="keep the state database here")
    args = parser.parse_args(list(argv) if argv is not None else None)

    rng = random.Random(6)
    nprng = np.random.default_rng(6)
    vocabulary = [f"w{n}" + "".join(rng.choices("aeioukntrs", k=rng.randint(2, 7))) for n in range(20_000)]
    planted = [synthetic_text(rng, vocabulary, rng.randint(4, 10)) for _ in range(PLANTED)]
    fresh = [synthetic_text(rng, vocabulary, rng.randint(4, 10)) for _ in range(args.lookups)]
    copies = [chrome_copy(planted[i % PLANTED], rng) for i in range(args.lookups)]

    started = time.perf_counter()
    printed = [story_print(report("q", text, START)) for text in copies + fresh]
    fingerprint_us = (time.perf_counter() - started) / len(printed) * 1e6
    queries = [p.fingerprint for p in printed]
    fresh_anchors = synthetic_anchors(nprng, len(queries))
    fresh_heard = synthetic_heard(nprng, len(queries))

    options = DedupOptions()
    results: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "state.sqlite"
        state = State(path)
        index = DuplicateIndex(state, options)
        for n, text in enumerate(planted):
            state.stage(index.assign(report(f"planted-{n}", text, START)), ())
        state.commit()
        size = PLANTED
        print(f"story print (fingerprint and anchors) of a ~300-word text: {fingerprint_us:.0f} us "
              "(worker processes; the same at any index size)")
        print(f"{'reports':>10} {'insert/s':>9} {'lookup us: median':>18} {'mean':>5} {'p99':>5} {'hits':>5} "
              f"{'false':>5} {'bytes/report':>12} {'db MB':>6}")
        for target in sorted(args.sizes):
            seconds = grow(state, nprng, size, target - size, max(args.sizes), options) if target > size else 0.0
            rate = (target - size) / seconds if seconds else float("nan")
            size = max(size, target)
            checkpoint(path)
            timings = []
            hits = false = 0
            for n, query in enumerate(queries):
                row = StoredPrint(0, 0, minutes(START), query.words, query.shingles, query.signature, query.lead,
                                  query.starts, None, None, query.sample, "en", fresh_anchors[n],
                                  (12).to_bytes(2, "little") + bytes(range(20, 200, 20)))
                # Every other fresh text is in a script that marks no names: its lookup reads word sounds too.
                heard = fresh_heard[n] if n >= len(copies) and n % 2 else b""
                began = time.perf_counter()
                match = index.best_match(query, row, heard)
                timings.append(time.perf_counter() - began)
                if n < len(copies):
                    hits += match is not None
                else:
                    false += match is not None
            lookup = statistics.median(timings) * 1e6
            mean = statistics.fmean(timings) * 1e6
            p99 = float(np.quantile(timings, 0.99)) * 1e6
            per_report = index_bytes(path) / state.stories.count_prints()
            file_mb = path.stat().st_size / 1e6
            results[size] = lookup
            results[-size] = per_report
            print(f"{size:>10,} {rate:>9,.0f} {lookup:>18.0f} {mean:>5.0f} {p99:>5.0f} {hits:>5} {false:>5} "
                  f"{per_report:>12.0f} {file_mb:>6.0f}")
        began = time.perf_counter()
        pruned = index.prune(START + options.window + timedelta(days=3), force=True)
        print(f"prune: {pruned:,} prints older than the window removed in {time.perf_counter() - began:.1f} s; "
              f"{state.stories.count_prints()} left")
        state.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {rss:.0f} MB (the index lives in SQLite, not in memory)")
    smallest, largest = min(size for size in results if size > 0), max(results)
    print(f"\ndedup_scale: lookup_us_10k={results[smallest]:.0f} lookup_us_1m={results[largest]:.0f} "
          f"bytes_per_report={results[-largest]:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
