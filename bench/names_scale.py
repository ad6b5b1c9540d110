"""Cost of finding names in texts that repeat names, or many names of one surname, thousands of times, per kilobyte,
against the smallest such text.

    python bench/names_scale.py                       # 1,000 to 40,000 repetitions
    python bench/names_scale.py --sizes 1000 10000

A list page, a table of results or a page of garbage can print one name or one surname thousands of times. Each
text below is read by `NameFinder.find` (with the English word list, as `analyse` does) at every size; the ratio is
milliseconds per KB at a size over milliseconds per KB at the smallest size, measured in the same run. Linear time
keeps the ratios near 1 at every size. Before the mentions of one spelling were compared once (not each with each
other) and a lone surname found its person by bisection (not by reading every full name), time grew with the square
of the repetitions: at 10,000 the ratios were 5.4 (lone), 6.9 (surname: 54 s for 280 KB) and 6.0 (particles),
against 1.1, 0.9 and 1.2 after, in alternating runs on this machine.

Texts: `lone` ("Anna and " n times: one word, never a person), `surname` ("Mr. Berg said Anna Berg met " n times:
a full name and its surname alone), `particles` ("Anna von der Berg and " n times), `distinct` (n different
surnames after "Mr."), `family` (n people of one surname, thousands of them different: a list page of a family, of
a clan, or of Kim Chol somebodies; every name was compared with every other of its last part's sound, 17 s for
2,000 such names, 0.3 s since they are compared only where their last two parts sound alike). Last line:
`names_scale: lone_ratio=… surname_ratio=… particles_ratio=… distinct_ratio=… family_ratio=… largest=…
baseline_ms_per_kb=…`
(each ratio at the largest size).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from scraper.analyse import Analyser

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaling import ratios_by_size, size_options

TEXTS: dict[str, Callable[[int], str]] = {
    "lone": lambda n: "Anna and " * n,
    "surname": lambda n: "Mr. Berg said Anna Berg met " * n,
    "particles": lambda n: "Anna von der Berg and " * n,
    "distinct": lambda n: " ".join(f"Mr. Berg{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676 % 26)} said."
                                   for i in range(n)),
    "family": lambda n: " ".join(f"President {given(i)} Gaddafi met {given(i + 1)} Gaddafi." for i in range(n)),
}


def given(i: int) -> str:
    """The i-th of 4,913 made-up given names ("Bababan", "Cababan"...)."""
    consonants = "bcdfghjklmnprstvz"
    return f"{consonants[i % 17]}a{consonants[i // 17 % 17]}a{consonants[i // 289 % 17]}an".capitalize()


def ms_per_kb(find: Callable[[str], object], text: str, repeat: int) -> float:
    """The fastest of `repeat` runs, in milliseconds per KB of the text."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        find(text)
        best = min(best, time.perf_counter() - started)
    return 1000 * best / (len(text.encode()) / 1000)


def main(argv: list[str] | None = None) -> int:
    sizes, repeat = size_options(__doc__.split("\n\n")[0], [1_000, 4_000, 10_000, 40_000], "text", argv)
    analyser = Analyser()
    words = analyser.detector.vocabulary("en")

    def find(text: str) -> object:
        return analyser.names.find(text, words)

    find(TEXTS["surname"](100))  # (warm-up: the lists and the word cache)

    def case(build: Callable[[int], str]) -> Callable[[int], tuple[float, float]]:
        def measure(size: int) -> tuple[float, float]:
            text = build(size)
            return len(text.encode()) / 1000, ms_per_kb(find, text, repeat if size < 20_000 else 1)
        return measure

    ratios, baseline = ratios_by_size({label: case(build) for label, build in TEXTS.items()}, sizes, "size",
                                      "ms/KB")
    print("names_scale: " + " ".join(f"{label}_ratio={ratio:.2f}" for label, ratio in ratios.items())
          + f" largest={sizes[-1]} baseline_ms_per_kb={baseline:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
