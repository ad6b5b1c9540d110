"""Output throughput: our durable segments (fsync + rename per segment) vs a bare json.dumps loop.

Both write the same records in the same run; the ratio shows what durability costs once it is paid per
segment instead of per record. Last line: `sink: records_per_s=… plain_ratio=…`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from scraper.records import Language, Record
from scraper.sink import JsonlSink


def make_records(count: int) -> list[Record]:
    body = "\n\n".join(f"Paragraph {i}: North Korea's foreign minister held talks in Minsk. " * 6 for i in range(8))
    base = Record(id="", url="", canonical_url="", source_id="bench", source_name="Bench", title="A title",
                  body=body, authors=("Reporter",), published_at=datetime(2025, 10, 31, tzinfo=UTC),
                  fetched_at=datetime(2025, 11, 1, tzinfo=UTC), language=Language("en", 0.99),
                  content_hash="sha256:" + "0" * 64)
    return [replace(base, id=f"bench-{n:020x}", url=f"https://x.org/{n}", canonical_url=f"https://x.org/{n}")
            for n in range(count)]


def ours(records: list[Record], root: Path, segment_records: int) -> float:
    sink = JsonlSink(root, segment_records=segment_records, segment_seconds=3600)
    started = time.perf_counter()
    for record in records:
        sink.add(record)
        if sink.due():
            sink.flush()
    sink.close()
    return time.perf_counter() - started


def plain(records: list[Record], path: Path) -> float:
    started = time.perf_counter()
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--segment-records", type=int, default=1000)
    args = parser.parse_args()
    records = make_records(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        plain_s = plain(records, Path(tmp) / "plain.jsonl")
        ours_s = ours(records, Path(tmp) / "out", args.segment_records)
    ours_rate, plain_rate = len(records) / ours_s, len(records) / plain_s
    print(f"records={len(records)} segment_records={args.segment_records}")
    print(f"ours:  {ours_s:.2f}s  {ours_rate:,.0f} records/s  (fsync + rename every {args.segment_records})")
    print(f"plain: {plain_s:.2f}s  {plain_rate:,.0f} records/s  (json.dumps loop, one file, no fsync)")
    print(f"sink: records_per_s={ours_rate:.0f} plain_ratio={ours_rate / plain_rate:.2f}")


if __name__ == "__main__":
    main()
