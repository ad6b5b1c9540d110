"""What the `*_scale` benches share: a cost per unit at growing sizes, as a ratio to the smallest size's.

Each case measures one size and returns (KB of input, cost per unit); the table prints every case at every size,
and linear time keeps a case's ratios near 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence


def size_options(description: str, default_sizes: Sequence[int], what: str,
                 argv: Sequence[str] | None) -> tuple[list[int], int]:
    """The sizes (smallest first) and the runs per size that `--sizes` and `--repeat` ask for; `what` names one
    input ("page", "text")."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(default_sizes),
                        help="the sizes to measure; the smallest is the baseline")
    parser.add_argument("--repeat", type=int, default=3, help=f"runs per {what}; the fastest counts (default 3)")
    args = parser.parse_args(argv)
    return sorted(args.sizes), args.repeat


def ratios_by_size(cases: Mapping[str, Callable[[int], tuple[float, float]]], sizes: Sequence[int],
                   size_name: str, unit: str) -> tuple[dict[str, float], float]:
    """Print each case's cost at each size (smallest first) beside its ratio to the smallest size's; return each
    case's ratio at the largest size and the mean of the cases' baselines."""
    sizes = sorted(sizes)
    print(f"{'case':10} {size_name:>7} {'KB':>8} {unit:>8} {'ratio':>7}")
    ratios: dict[str, float] = {}
    baselines: list[float] = []
    for label, measure in cases.items():
        baseline = 0.0
        for size in sizes:
            kb, cost = measure(size)
            baseline = baseline or cost
            ratios[label] = cost / baseline
            print(f"{label:10} {size:7} {kb:8.0f} {cost:8.3f} {ratios[label]:7.2f}")
        baselines.append(baseline)
    return ratios, sum(baselines) / len(baselines)
