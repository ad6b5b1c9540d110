"""The WMT documents of `../shared/eval/mt/dev.jsonl.gz` as the translation trainer and evaluation read them.

One JSON object a line (gzip): `doc_id`, `lang_pair` (zh-en, ru-en, ja-en; `en` for English originals), `kind`
(`mt`, `human_ref`, `native_en`), `system`, `tier`, `text`. The dev file is split in two by source document:
`split_of` puts every output of one source document (each system's translation and the human reference) on one
side, by its id alone.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def split_of(doc_id: str) -> str:
    """`training` or `validation`, by the document's id alone (stable across runs and machines)."""
    return "validation" if hashlib.sha256(doc_id.encode("utf-8")).digest()[0] % 2 else "training"


def load_documents(path: Path, part: str | None = None) -> list[dict[str, Any]]:
    """The documents of `path`; with `part` ("training" or "validation"), only that side of the split."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [row for row in rows if part in (None, "all") or split_of(row["doc_id"]) == part]


def source_language(row: dict[str, Any]) -> str | None:
    """The language a document was translated from (None for an English original)."""
    pair = str(row["lang_pair"])
    return pair.split("-")[0] if pair.endswith("-en") else None


def reference_cut(references: npt.NDArray[np.float64], rate: float) -> float:
    """The lowest score that at most `rate` of the `references` exceed (-inf when there are none)."""
    ordered = np.sort(references)[::-1]
    allowed = int(rate * len(ordered))
    return float(ordered[allowed]) if allowed < len(ordered) else -np.inf
