"""Extraction quality and speed on the shared eval pages: our extractor next to bare trafilatura, same run.

    python bench/extract_eval.py                     # both sets, every page, three extractors
    python bench/extract_eval.py --set sh --limit 20 --jobs 2
    python bench/extract_eval.py --only newsnorm --worst 10

The data and the metric are described in ../shared/eval/README.md (the ScrapingHub benchmark's own metric:
4-token shingles of `\\w+` tokens with multiplicity; precision averaged over non-empty predictions, recall
over non-empty truths, F1 the harmonic mean of the two means). zh/ja/ko pages are also reported as their own
row because `\\w+` makes whole CJK clauses into single tokens.

The last line is machine-readable:
`extract: sh_f1=… fundus_f1=… cjk_f1=… empty=… trafilatura_sh_f1=… docs_per_s_ratio=…`
(`empty` counts our empty outputs over the sets run; `trafilatura_*` is trafilatura with its defaults;
`docs_per_s_ratio` is our docs/s over trafilatura-defaults docs/s, both measured on the same pages).

Timing is fair to every extractor: each process reads a warm-up page with all of them before it times
anything (one-off set-ups, such as jusText's stoplists, used to fall on whichever extractor needed them first),
and on each page they take turns to go first (the second to read a page finds it in the CPU caches).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

from scraper.errors import Skip
from scraper.extract import extract_article
from scraper.records import Fetched, Source

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extract"
SETS = ("sh", "fundus")
CJK = frozenset({"zh", "ja", "ko"})
_TOKEN = re.compile(r"\w+")
_EVAL_SOURCE = Source(id="eval", name="eval", languages=(), homepage="https://example.org/", timezone="UTC")


@dataclass(frozen=True, slots=True)
class Page:
    set: str
    id: str
    url: str
    lang: str
    truth: str
    path: Path


@dataclass(frozen=True, slots=True)
class Output:
    """One extractor's text for one page and the seconds it took."""

    text: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Score:
    label: str
    extractor: str
    pages: int
    f1: float
    precision: float
    recall: float
    empty: int
    docs_per_s: float


# --- extractors -------------------------------------------------------------------------------------------
def newsnorm(html: str, url: str) -> str:
    fetched = Fetched(url=url, final_url=url, status=200, content_type="text/html", text=html,
                      encoding="utf-8", fetched_at=datetime.now(UTC))
    try:
        return extract_article(fetched, _EVAL_SOURCE).body
    except Skip:
        return ""


def trafilatura_defaults(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url) or ""


def trafilatura_precision(html: str, url: str) -> str:
    return trafilatura.extract(html, url=url, favor_precision=True) or ""


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "newsnorm": newsnorm,
    "trafilatura": trafilatura_defaults,
    "trafilatura_precision": trafilatura_precision,
}


# --- the metric ---------------------------------------------------------------------------------------------
def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Runs of `size` consecutive `\\w+` tokens, with multiplicity; a shorter text is one shingle."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def page_scores(truth: str, prediction: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; None where the metric leaves the page out of the mean."""
    t, p = shingles(truth), shingles(prediction)
    tp = sum(min(count, p[key]) for key, count in t.items())
    fp = sum(max(0, count - t[key]) for key, count in p.items())
    fn = sum(max(0, count - p[key]) for key, count in t.items())
    precision = (tp / (tp + fp) if tp + fp else 1.0) if p else None
    recall = (tp / (tp + fn) if tp + fn else 1.0) if t else None
    return precision, recall


def f1_of(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def aggregate(label: str, extractor: str, pairs: Sequence[tuple[Page, Output]]) -> Score:
    precisions, recalls, empty, seconds = [], [], 0, 0.0
    for page, output in pairs:
        precision, recall = page_scores(page.truth, output.text)
        if precision is None:
            empty += 1
        else:
            precisions.append(precision)
        if recall is not None:
            recalls.append(recall)
        seconds += output.seconds
    mean_p = sum(precisions) / len(precisions) if precisions else 0.0
    mean_r = sum(recalls) / len(recalls) if recalls else 0.0
    return Score(label, extractor, len(pairs), f1_of(mean_p, mean_r), mean_p, mean_r, empty,
                 len(pairs) / seconds if seconds else 0.0)


# --- running ------------------------------------------------------------------------------------------------
def load_pages(data: Path, sets: Iterable[str], limit: int | None = None) -> list[Page]:
    """The pages of each set in ground-truth order; `limit` takes every k-th page so a sample spans the set."""
    pages: list[Page] = []
    for name in sets:
        rows = [json.loads(line) for line in (data / name / "ground_truth.jsonl").read_text("utf-8").splitlines()
                if line.strip()]
        if limit is not None and limit < len(rows):
            step = len(rows) / limit
            rows = [rows[int(i * step)] for i in range(limit)]
        pages.extend(Page(name, row["id"], row["url"], row.get("lang") or "", row["body"] or "",
                          data / name / "pages" / f"{row['id']}.html.gz") for row in rows)
    return pages


def run_page(page: Page, extractors: Sequence[str], turn: int = 0) -> dict[str, Output]:
    """Every extractor on one page. They take turns to go first (`turn`: the page's index), because whichever
    reads a page after another finds it warm in the CPU caches (some 3 % faster)."""
    html = gzip.decompress(page.path.read_bytes()).decode("utf-8", errors="replace")
    first = turn % len(extractors) if extractors else 0
    outputs: dict[str, Output] = {}
    for name in [*extractors[first:], *extractors[:first]]:
        start = time.perf_counter()
        text = EXTRACTORS[name](html, page.url)
        outputs[name] = Output(text, time.perf_counter() - start)
    return {name: outputs[name] for name in extractors}


# A page with too little text, which sends trafilatura's full cascade to jusText: read once by every extractor
# in every process before anything is timed, so that one-off set-ups are charged to none of them (jusText's
# stoplists of all languages take 0.3 s, and fell to whichever extractor first needed them in each worker).
_WARM_UP_PAGE = ("<html><head><title>Warm-up</title></head><body><article><p>A short paragraph to read.</p>"
                 "</article></body></html>")


def warm_up(extractors: Sequence[str]) -> None:
    for name in extractors:
        EXTRACTORS[name](_WARM_UP_PAGE, "https://example.org/warm-up")


def run(pages: Sequence[Page], extractors: Sequence[str], jobs: int = 1) -> list[dict[str, Output]]:
    """Every extractor on every page. Each page is timed on its own, so docs/s holds with jobs > 1 too."""
    if jobs <= 1:
        warm_up(extractors)
        return [run_page(page, extractors, turn) for turn, page in enumerate(pages)]
    with ProcessPoolExecutor(max_workers=jobs, initializer=warm_up, initargs=(extractors,)) as pool:
        return list(pool.map(run_page, pages, [extractors] * len(pages), range(len(pages)), chunksize=4))


def score(pages: Sequence[Page], results: Sequence[dict[str, Output]], extractors: Sequence[str]) -> list[Score]:
    groups: list[tuple[str, list[int]]] = [
        (name, [i for i, p in enumerate(pages) if p.set == name]) for name in dict.fromkeys(p.set for p in pages)
    ]
    groups.append(("cjk", [i for i, p in enumerate(pages) if p.lang in CJK]))
    if len(groups) > 2:
        groups.append(("all", list(range(len(pages)))))
    return [aggregate(label, name, [(pages[i], results[i][name]) for i in indices])
            for label, indices in groups if indices for name in extractors]


def table(scores: Sequence[Score]) -> str:
    lines = [f"{'set':<7} {'extractor':<22} {'pages':>5} {'F1':>6} {'prec':>6} {'recall':>6} {'empty':>5} "
             f"{'docs/s':>7}"]
    for s in scores:
        lines.append(f"{s.label:<7} {s.extractor:<22} {s.pages:>5} {s.f1:>6.4f} {s.precision:>6.4f} "
                     f"{s.recall:>6.4f} {s.empty:>5} {s.docs_per_s:>7.1f}")
    return "\n".join(lines)


def summary_line(scores: Sequence[Score]) -> str:
    def get(label: str, extractor: str) -> Score | None:
        return next((s for s in scores if s.label == label and s.extractor == extractor), None)

    def fmt(found: Score | None) -> str:
        return f"{found.f1:.4f}" if found else "na"

    ours = [s for s in scores if s.extractor == "newsnorm" and s.label in SETS]
    overall_ours = get("all", "newsnorm") or (ours[0] if ours else None)
    overall_base = get("all", "trafilatura") or next(
        (s for s in scores if s.extractor == "trafilatura" and s.label in SETS), None)
    ratio = (f"{overall_ours.docs_per_s / overall_base.docs_per_s:.2f}"
             if overall_ours and overall_base and overall_base.docs_per_s else "na")
    return (f"extract: sh_f1={fmt(get('sh', 'newsnorm'))} fundus_f1={fmt(get('fundus', 'newsnorm'))} "
            f"cjk_f1={fmt(get('cjk', 'newsnorm'))} empty={sum(s.empty for s in ours) if ours else 'na'} "
            f"trafilatura_sh_f1={fmt(get('sh', 'trafilatura'))} docs_per_s_ratio={ratio}")


def worst(pages: Sequence[Page], results: Sequence[dict[str, Output]], count: int) -> str:
    """The pages where we lose most F1, for development (prints eval ids: keep them out of the code)."""
    rows = []
    for page, outputs in zip(pages, results, strict=True):
        precision, recall = page_scores(page.truth, outputs["newsnorm"].text)
        rows.append((f1_of(precision or 0.0, recall or 0.0), precision, recall, page))
    rows.sort(key=lambda row: row[0])
    return "\n".join(f"{f1:.3f} p={'-' if p is None else f'{p:.3f}'} r={'-' if r is None else f'{r:.3f}'} "
                     f"{page.set}/{page.id} {page.lang}" for f1, p, r, page in rows[:count])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("EXTRACT_EVAL_DATA", DEFAULT_DATA)))
    parser.add_argument("--set", dest="sets", action="append", choices=SETS, help="repeatable; default both")
    parser.add_argument("--limit", type=int, help="at most this many pages per set, spread over the set")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--only", action="append", choices=sorted(EXTRACTORS),
                        help="run only these extractors (repeatable); the summary says na for the rest")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages where we score lowest")
    parser.add_argument("--dump", type=Path, help="write each page's outputs under this directory")
    args = parser.parse_args(argv)

    if not (args.data / SETS[0] / "ground_truth.jsonl").exists():
        print(f"extract_eval: no eval data under {args.data}", file=sys.stderr)
        return 2
    extractors = list(dict.fromkeys(["newsnorm", *(args.only or EXTRACTORS)]))
    pages = load_pages(args.data, args.sets or SETS, args.limit)
    results = run(pages, extractors, args.jobs)
    scores = score(pages, results, extractors)
    print(table(scores))
    if args.worst:
        print(worst(pages, results, args.worst))
    if args.dump:
        for page, outputs in zip(pages, results, strict=True):
            folder = args.dump / page.set / page.id
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "truth.txt").write_text(page.truth, "utf-8")
            for name, output in outputs.items():
                (folder / f"{name}.txt").write_text(output.text, "utf-8")
    print(summary_line(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
