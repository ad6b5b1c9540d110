"""Nested cross-validation of the translation recipe: do its models and its threshold rule hold on documents
that nothing in them was made from?

    python bench/translation_nested.py [../shared/eval/mt/dev.jsonl.gz] [--part all|training] [--parts 5]

The documents are cut into `--parts` parts by source document (a hash of the `doc_id` unlike the trainer's own
folds, so that each fit still has five folds inside). Each part is judged by a model that
`train_translation_model.fit` made from the other parts alone — function words, vocabulary, idf, weights,
lambda and threshold, with its own cross-validation inside — through the whole analysis, as
`bench/translation_eval.py` reads text. The parts' judgements are reported together, in the evaluation's
tables. This is how the shipped model's threshold, read the same way from all the dev data, can be expected to
carry over to new documents; on the dev data it uses every reference where a split in halves uses one half.
Slow: one whole fit per part (about 15 minutes for all the dev data on two cores, 5 GB of memory). Last line:
`translation_nested: mt_flagged=… human_flagged=… native_flagged=… source_lang_acc=… parts=…`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_translation_model import DEFAULT_DATA, fit
from translation_eval import Results, judge_part, report_part
from wmt import load_documents

from scraper.analyse import Analyser
from scraper.analyse.translation import THRESHOLD


def part_of(doc_id: str, parts: int) -> int:
    """The part a source document is judged in: by its id alone, independent of the trainer's folds."""
    return hashlib.sha256(("nested:" + doc_id).encode("utf-8")).digest()[0] % parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--part", choices=("all", "training"), default="all",
                        help="all the dev data, or its training part only (leaving the validation part untouched)")
    parser.add_argument("--parts", type=int, default=5)
    args = parser.parse_args(argv)
    if args.parts < 2:
        parser.error("--parts must be at least 2")
    started = time.perf_counter()
    documents = load_documents(Path(args.data), args.part)
    pooled: Results = []
    with tempfile.TemporaryDirectory() as scratch:
        for part in range(args.parts):
            judged = [d for d in documents if part_of(d["doc_id"], args.parts) == part]
            fitted = [d for d in documents if part_of(d["doc_id"], args.parts) != part]
            print(f"\n-- part {part + 1} of {args.parts}: fit on {len(fitted)} texts, judge {len(judged)}", flush=True)
            model = fit(fitted, f"nested cross-validation, all but part {part + 1} of {args.parts}", args.part)
            path = Path(scratch) / f"part-{part}.npz"
            model.save(path)
            analyser = Analyser(statistics_model=path)
            results = judge_part(analyser, judged)
            references = [score >= THRESHOLD for d, score, _ in results if d["kind"] == "human_ref"]
            mt = [score >= THRESHOLD for d, score, _ in results if d["kind"] == "mt"]
            print(f"part {part + 1}: MT flagged {sum(mt)} of {len(mt)}, references {sum(references)} of "
                  f"{len(references)}", flush=True)
            pooled.extend(results)
    figures = report_part(f"nested ({args.parts} parts, each judged by a model made without it)", pooled)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    print(f"translation_nested: mt_flagged={figures['mt']:.4f} human_flagged={figures['human']:.4f} "
          f"native_flagged={figures['native']:.4f} source_lang_acc={figures['source']:.4f} parts={args.parts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
