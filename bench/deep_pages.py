"""Extraction time of pathological pages (deep, wide, huge) per kilobyte, against a normal news page's.

    python bench/deep_pages.py                # the eval page of median size is the baseline
    python bench/deep_pages.py --repeat 5

Each page is extracted (scraper.extract.extract_article) `--repeat` times and the fastest run counts; the
baseline is a real page of the shared eval set (../shared/eval/extract, or EXTRACT_EVAL_DATA), measured in the
same run. A ratio is seconds per KB of the page over seconds per KB of the baseline. A news page's KB are
cheap (half of them are scripts, dropped before parsing), so the ratios are above 1; what linear means is that
they do not grow with the page: depth_10000, depth_40000 and depth_100000 stay level (or fall), where time
quadratic in the depth would multiply the ratio by ten from the first to the last. Before depth.py and the
linear density pass, 40,000 nested <div>s took 15 s and 100,000 took 170 s (ratios near 400 and 2,000).

The last line is machine-readable:
`deep_pages: depth_40000_ratio=… depth_100000_ratio=… inline_100000_ratio=… flat_1mb_seconds=… baseline_ms=…`
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from scraper.errors import Skip
from scraper.extract import extract_article
from scraper.records import Fetched, Source

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extract"
_SOURCE = Source(id="bench", name="bench", languages=(), homepage="https://example.org/", timezone="UTC",
                 any_language=True)
_SENTENCE = "The ministry said on Tuesday that the two countries would expand trade across their shared border."


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Trade talks</title></head><body>{body}</body></html>"


def nested_divs(depth: int) -> str:
    return _page("<div>" * depth + f"<p>{_SENTENCE}</p>" + "</div>" * depth)


def nested_inline(depth: int) -> str:
    tags = [("b", "i", "span", "em")[i % 4] for i in range(depth)]
    return _page("<p>" + "".join(f"<{t}>" for t in tags) + _SENTENCE + "".join(f"</{t}>" for t in reversed(tags))
                 + "</p>")


def nested_tables(depth: int) -> str:
    return _page("<table><tr><td>" * depth + _SENTENCE + "</td></tr></table>" * depth)


def prose_at_every_level(depth: int) -> str:
    return _page("".join(f"<div class='box'><p>{_SENTENCE} Said {n}.</p>" for n in range(depth)) + "</div>" * depth)


def flat(size: int) -> str:
    """About `size` bytes of paragraphs, one after the other."""
    paragraph = f"<p>{_SENTENCE} It was report {{}} of the day.</p>"
    return _page("<article>" + "".join(paragraph.format(n) for n in range(size // len(paragraph))) + "</article>")


def one_text_node(size: int) -> str:
    return _page("<p>" + (_SENTENCE + " ") * (size // (len(_SENTENCE) + 1)) + "</p>")


PAGES: dict[str, Callable[[], str]] = {
    "depth_10000": lambda: nested_divs(10_000),
    "depth_40000": lambda: nested_divs(40_000),
    "depth_100000": lambda: nested_divs(100_000),
    "inline_100000": lambda: nested_inline(100_000),
    "tables_10000": lambda: nested_tables(10_000),
    "prose_levels_5000": lambda: prose_at_every_level(5_000),
    "text_node_1mb": lambda: one_text_node(1_000_000),
    "flat_1mb": lambda: flat(1_000_000),
}


def baseline_page(data: Path) -> tuple[str, str]:
    """The eval page of median size (name, html)."""
    pages = sorted(data.glob("*/pages/*.html.gz"), key=lambda path: (path.stat().st_size, path.name))
    if not pages:
        raise SystemExit(f"no eval pages under {data} (set EXTRACT_EVAL_DATA or --data)")
    path = pages[len(pages) // 2]
    return path.name, gzip.decompress(path.read_bytes()).decode("utf-8", "replace")


def seconds(html: str, repeat: int) -> float:
    """The fastest of `repeat` extractions of the page."""
    fetched = Fetched(url="https://example.org/a", final_url="https://example.org/a", status=200,
                      content_type="text/html", text=html, encoding="utf-8", fetched_at=datetime.now(UTC))
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.suppress(Skip):  # (a page with no article text is timed all the same)
            extract_article(fetched, _SOURCE)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("EXTRACT_EVAL_DATA", DEFAULT_DATA)))
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; the fastest counts (default 3)")
    args = parser.parse_args()
    name, html = baseline_page(args.data)
    seconds(html, 1)  # (warm-up: imports, trafilatura's settings, regex caches)
    base = seconds(html, max(args.repeat, 5))
    base_per_kb = base / (len(html.encode()) / 1000)
    print(f"baseline {name}: {len(html.encode()) / 1000:.0f} KB in {base * 1000:.1f} ms "
          f"({base_per_kb * 1000:.3f} ms/KB)")
    print(f"{'page':20} {'KB':>7} {'seconds':>8} {'ms/KB':>7} {'ratio':>7}")
    ratios: dict[str, float] = {}
    timings: dict[str, float] = {}
    for label, build in PAGES.items():
        page = build()
        kb = len(page.encode()) / 1000
        taken = seconds(page, args.repeat)
        timings[label] = taken
        ratios[label] = (taken / kb) / base_per_kb
        print(f"{label:20} {kb:7.0f} {taken:8.3f} {taken / kb * 1000:7.3f} {ratios[label]:7.2f}")
    print(f"deep_pages: depth_40000_ratio={ratios['depth_40000']:.2f} depth_100000_ratio={ratios['depth_100000']:.2f} "
          f"inline_100000_ratio={ratios['inline_100000']:.2f} flat_1mb_seconds={timings['flat_1mb']:.2f} "
          f"baseline_ms={base * 1000:.1f}")


if __name__ == "__main__":
    main()
