"""Check an output directory against the output contract: layout, complete lines, schema, each report once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from scraper.sink import MAX_LINE_BYTES, SEGMENT_NAME, TEMP_SUFFIX

_PARTITION = re.compile(r"^\d{4}/\d{2}/\d{2}$")


def record_schema() -> dict[str, Any]:
    text = resources.files("scraper").joinpath("schema/record-1.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass
class Report:
    segments: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _lines(path: Path, problems: list[str], name: str) -> Iterator[tuple[int, bytes]]:
    data = path.read_bytes()
    if not data:
        problems.append(f"{name}: empty segment")
        return
    if not data.endswith(b"\n"):
        problems.append(f"{name}: last line is not terminated (a partial write)")
    yield from enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"), 1)


def verify_output(root: str | Path) -> Report:
    root = Path(root)
    report = Report()
    if not root.is_dir():
        report.problems.append(f"{root}: not a directory")
        return report
    validator = jsonschema.Draft202012Validator(record_schema())
    first_seen: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if not path.is_file():
            if path.suffix == ".jsonl" and not path.name.startswith("."):  # a consumer globbing *.jsonl trips on it
                report.problems.append(f"{name}: a directory named as a segment")
            continue
        if path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX):
            report.notes.append(f"{name}: unfinished segment (a writer is running, or one crashed; "
                                "the next start removes it)")
            continue
        if path.name.startswith(".") or path.suffix != ".jsonl":
            continue
        partition = path.parent.relative_to(root).as_posix()
        if not _PARTITION.match(partition) or not SEGMENT_NAME.match(path.name):
            report.problems.append(f"{name}: not a segment name (expected YYYY/MM/DD/YYYYMMDDTHHMMSSZ-NNNN.jsonl)")
            continue
        report.segments += 1
        for number, raw in _lines(path, report.problems, name):
            where = f"{name}:{number}"
            report.records += 1
            if len(raw) + 1 > MAX_LINE_BYTES:
                report.problems.append(f"{where}: line is {len(raw) + 1} bytes, over {MAX_LINE_BYTES}")
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                report.problems.append(f"{where}: not UTF-8")
                continue
            except json.JSONDecodeError as exc:
                report.problems.append(f"{where}: not JSON ({exc.msg})")
                continue
            errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
            if errors:
                field_path = "/".join(str(p) for p in errors[0].path) or "(record)"
                report.problems.append(f"{where}: schema: {field_path}: {errors[0].message}")
                continue
            if record["fetched_at"][:10].replace("-", "/") != partition:
                report.problems.append(f"{where}: fetched {record['fetched_at']} but stored under {partition}")
            # A report once; each of its revisions once; its tombstone once.
            key = record["id"]
            if record.get("revision"):
                key = f"{key} revision {record['revision']['number']}"
            elif record.get("deleted"):
                key = f"{key} tombstone"
            if key in first_seen:
                report.problems.append(f"{where}: report {key} already in {first_seen[key]}")
            else:
                first_seen[key] = where
    return report
