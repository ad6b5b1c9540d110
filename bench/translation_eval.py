"""How often English news written by people is flagged as a (machine) translation: the false-alarm rate.

    python bench/translation_eval.py [../shared/eval/extract] [--show]

Runs the analyser over every English ground-truth body of the extraction sets (text written or edited
by newsrooms, not machine-translated as far as anyone knows) and counts `translation.suspected`.
Target: at most 2%. Also prints how many bodies carry each signal (flagged or not) and, with --show, the
flagged ones. Last line: `translation: english_bodies=… flagged=… rate=… signal_bodies=…`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from scraper.analyse import Analyser

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extract"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--show", action="store_true", help="print the signals of each flagged body")
    args = parser.parse_args(argv)
    analyser = Analyser()
    analyser.warm_up()
    total = flagged = with_signal = 0
    signals: Counter[str] = Counter()
    scores: list[float] = []
    start = time.perf_counter()
    print(f"{'set':<10}{'english':>9}{'flagged':>9}{'rate':>8}")
    for truth in sorted(Path(args.folder).glob("*/ground_truth.jsonl")):
        rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
        english = [row for row in rows if row.get("lang") == "en" and row.get("body", "").strip()]
        set_flagged = 0
        for row in english:
            analysis = analyser.analyse_text(row["body"], ("en",))
            translation = analysis.translation
            scores.append(translation.score)
            kinds = {s.kind for s in translation.signals}
            signals.update(kinds)
            with_signal += bool(kinds)
            if translation.suspected:
                set_flagged += 1
                if args.show:
                    print(f"  flagged {truth.parent.name}/{row['id']} score={translation.score:.2f} "
                          + json.dumps(translation.to_dict()["signals"], ensure_ascii=False)[:600])
        total += len(english)
        flagged += set_flagged
        print(f"{truth.parent.name:<10}{len(english):>9}{set_flagged:>9}{set_flagged / max(1, len(english)):>8.3f}")
    seconds = time.perf_counter() - start
    print(f"{'all':<10}{total:>9}{flagged:>9}{flagged / max(1, total):>8.3f}")
    print("bodies carrying each signal (flagged or not): "
          + ", ".join(f"{kind}={n}" for kind, n in sorted(signals.items())))
    high = sorted(scores, reverse=True)[:5]
    print("highest scores: " + ", ".join(f"{s:.2f}" for s in high) + f"   ({total / seconds:.1f} bodies/s)")
    print(f"translation: english_bodies={total} flagged={flagged} rate={flagged / max(1, total):.4f} "
          f"signal_bodies={with_signal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
