"""Cost of reading a listing page per item, against a page of the size outlets print, in one run.

    python bench/listing_scale.py                     # 50 (the baseline) to 4,000 items
    python bench/listing_scale.py --sizes 50 1000 --repeat 5

An archive page or a page of garbage can hold thousands of items. Each page is read by `parse_listing` with
`item`, `links` and `dates` selectors, the date printed beside the link (as Yonhap's listing does: `beside`) or
inside it (as KCNA's does: `inside`), and with a links-only listing (`links`); the ratio is milliseconds per item at
a size over milliseconds per item on the 50-item page, measured in the same run. Linear time keeps the ratios near
1. Before nodes were told apart by `mem_id` (selectolax's `==` compares HTML, so every step up from a date beside
its link to the top of the page serialised the page's biggest ancestors), the `beside` ratio was 3.7 at 250 items
and 11.4 at 1,000 (1.5 s for that page; 4,000 items took 52 s in another run), and about 1 after; even a page of
50 items cost 0.13 ms an item against 0.04.

Last line: `listing_scale: beside_ratio=… inside_ratio=… links_ratio=… largest=… baseline_ms_per_item=…` (ratios at
the largest size).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from scraper.discover.listings import parse_listing, parse_listing_table
from scraper.records import Listing

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaling import ratios_by_size, size_options

ITEM = parse_listing_table({"url": "https://x.org/{page}", "item": "div.article", "links": "h5 > a",
                            "dates": "span.date"}, path="bench", outlet="bench")
INSIDE = "<h5><a href='/article/{n}.html'>Report number {n} <span class='date'>[2026.{m}.{d}.]</span></a></h5>"
BESIDE = "<h5><a href='/article/{n}.html'>Report number {n}</a></h5><span class='date'>2026.{m}.{d}.</span>"
LINKS = parse_listing_table({"url": "https://x.org/{page}", "links": "div.article a"}, path="bench", outlet="bench")


def page(items: int, entry: str = BESIDE) -> str:
    """A listing of `items` entries, each a titled link with its date (`entry`: BESIDE or INSIDE the link)."""
    entries = "".join("<div class='article'>" + entry.format(n=n, m=n % 12 + 1, d=n % 28 + 1) + "</div>"
                      for n in range(items))
    return f"<!DOCTYPE html><html><head><title>News</title></head><body><main>{entries}</main></body></html>"


def ms_per_item(html: str, listing: Listing, items: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        found = parse_listing(html, "https://x.org/1", listing, "bench", "UTC")
        best = min(best, time.perf_counter() - started)
    if len(found.links) != items:
        raise SystemExit(f"expected {items} links, read {len(found.links)}")
    return 1000 * best / items


def main(argv: list[str] | None = None) -> int:
    sizes, repeat = size_options(__doc__.split("\n\n")[0], [50, 250, 1_000, 4_000], "page", argv)
    ms_per_item(page(10), ITEM, 10, 1)  # (warm-up)

    def case(listing: Listing, entry: str) -> Callable[[int], tuple[float, float]]:
        def measure(size: int) -> tuple[float, float]:
            html = page(size, entry)
            return len(html.encode()) / 1000, ms_per_item(html, listing, size, repeat)
        return measure

    ratios, baseline = ratios_by_size({"beside": case(ITEM, BESIDE), "inside": case(ITEM, INSIDE),
                                       "links": case(LINKS, BESIDE)}, sizes, "items", "ms/item")
    print("listing_scale: " + " ".join(f"{label}_ratio={ratio:.2f}" for label, ratio in ratios.items())
          + f" largest={sizes[-1]} baseline_ms_per_item={baseline:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
