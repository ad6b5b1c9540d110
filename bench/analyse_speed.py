"""Cost of analysing an article: `Analyser.analyse` against bare langdetect on the same bodies, in one run.

    python bench/analyse_speed.py [../shared/eval/extract] [--rounds N]

The bodies are the ground truth of the extraction sets, split into paragraphs at blank lines as a
record's `body` is. Ours is the whole analysis (language per paragraph, translation artefacts and statistics, names);
the baseline is one `langdetect.detect` of the whole body (`DetectorFactory.seed = 0`, all 55 languages),
the least a user could spend on the language alone. Removing interface residue (`strip_residue`, which
the extractor runs before `analyse`) is timed on its own. Each is timed over every body, best of `--rounds`
passes (the first pass is cold: the lexicons' word cache fills as it goes). Also prints where our time
goes. Last line: `analyse: ms_per_article=… langdetect_ms_per_article=… ratio=…` (ratio = ours / baseline).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from scraper.analyse import Analyser
from scraper.analyse.language import split_paragraphs

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extract"


def load_bodies(folder: Path) -> list[list[str]]:
    bodies = []
    for truth in sorted(folder.glob("*/ground_truth.jsonl")):
        for line in truth.read_text(encoding="utf-8").splitlines():
            if line.strip() and (paragraphs := split_paragraphs(json.loads(line).get("body") or "")):
                bodies.append(paragraphs)
    return bodies


def ms_per_article(run: Callable[[list[str]], object], bodies: Sequence[list[str]], rounds: int) -> list[float]:
    """Milliseconds per body of each pass."""
    passes = []
    for _ in range(rounds):
        started = time.perf_counter()
        for paragraphs in bodies:
            run(paragraphs)
        passes.append(1000 * (time.perf_counter() - started) / len(bodies))
    return passes


def bare_langdetect() -> Callable[[list[str]], object]:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(paragraphs: list[str]) -> object:
        try:
            return detect("\n\n".join(paragraphs))
        except LangDetectException:
            return "und"

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--rounds", type=int, default=2, help="passes over the bodies; the best is reported")
    args = parser.parse_args(argv)
    bodies = load_bodies(Path(args.folder))
    if not bodies:
        parser.error(f"no ground-truth bodies under {args.folder}")
    analyser = Analyser()
    analyser.warm_up()
    paragraphs = sum(len(b) for b in bodies)
    print(f"{len(bodies)} bodies, {paragraphs / len(bodies):.1f} paragraphs and "
          f"{sum(len(p) for b in bodies for p in b) / len(bodies):.0f} characters each on average")

    ours = ms_per_article(lambda p: analyser.analyse(p, ()), bodies, args.rounds)
    language = ms_per_article(lambda p: analyser.detector.detect_paragraphs(p, ()), bodies, args.rounds)
    names = ms_per_article(lambda p: analyser.names.find("\n\n".join(p)), bodies, args.rounds)
    statistics = ms_per_article(lambda p: analyser.statistics.judge("\n\n".join(p)), bodies, args.rounds)
    residue = ms_per_article(analyser.strip_residue, bodies, args.rounds)
    baseline = ms_per_article(bare_langdetect(), bodies, args.rounds)

    def passes(values: list[float]) -> str:
        return " ".join(f"{v:7.2f}" for v in values)

    print(f"{'ms per article, each pass':<42}")
    print(f"  {'analyse (language, translation, names)':<40}{passes(ours)}")
    print(f"  {'  of which language per paragraph':<40}{passes(language)}")
    print(f"  {'  of which names':<40}{passes(names)}")
    print(f"  {'  of which translation statistics':<40}{passes(statistics)}")
    print(f"  {'residue removal (strip_residue), before':<40}{passes(residue)}")
    print(f"  {'bare langdetect, whole body':<40}{passes(baseline)}")
    best, base = min(ours), min(baseline)
    print(f"analyse: ms_per_article={best:.2f} langdetect_ms_per_article={base:.2f} ratio={best / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
