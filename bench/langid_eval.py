"""Language identification on the shared dev set: our analyser against bare langdetect, in the same run.

    python bench/langid_eval.py [../shared/eval/langid/dev.jsonl] [--sample N] [--lingua]

Prints accuracy per language, per kind and per length bucket, texts per second, and as its last line
`langid: news_acc=… short_acc=… mixed_acc=… langdetect_news_acc=…`.
"news" is the NTREX news sentences (kind `sentence` from the NTREX part of the file), "short" every text
of 1-20 characters, "mixed" the main language of the `mixed` texts. Ours is what a record's `language`
field would say (UI residue removed first, every text classified, one word included); bare langdetect
is `DetectorFactory.seed = 0` over all its 55 languages, as a user would call it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from scraper.analyse import Analyser

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "langid" / "dev.jsonl"
BUCKETS = ((1, 10), (11, 20), (21, 50), (51, 10**9))


def bucket(text: str) -> str:
    n = len(text)
    for low, high in BUCKETS:
        if low <= n <= high:
            return f"{low}-{high}" if high < 10**9 else f">{low - 1}"
    return "0"


def is_news(row: dict[str, str]) -> bool:
    return row["kind"] == "sentence" and row["id"].split("/", 1)[0] == "ntrex"


def bare_langdetect() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            code: str = detect(text)
        except LangDetectException:
            return "und"
        return "zh" if code.startswith("zh") else code

    return run


def lingua_detector(languages: Iterable[str]) -> Callable[[str], str] | None:
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder  # type: ignore[import-not-found]
    except ImportError:
        print("lingua not installed: skipped", file=sys.stderr)
        return None
    codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()

    def run(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "und"

    return run


def measure(name: str, predict: Callable[[str], str], rows: list[dict[str, str]]) -> dict[str, object]:
    start = time.perf_counter()
    predictions = [predict(row["text"]) for row in rows]
    seconds = time.perf_counter() - start
    groups: dict[str, list[bool]] = defaultdict(list)
    confusion: Counter[tuple[str, str]] = Counter()
    for row, predicted in zip(rows, predictions, strict=True):
        right = predicted == row["lang"]
        if not right:
            confusion[(row["lang"], predicted)] += 1
        groups["all"].append(right)
        groups[f"lang:{row['lang']}"].append(right)
        groups[f"kind:{row['kind']}"].append(right)
        groups[f"len:{bucket(row['text'])}"].append(right)
        if is_news(row):
            groups["news"].append(right)
            groups[f"news:{row['lang']}"].append(right)
        if len(row["text"]) <= 20:
            groups["short"].append(right)
            groups[f"short:{row['lang']}"].append(right)
        if row["kind"] == "mixed":
            groups[f"mix:{row.get('mix', '?')}"].append(right)
    return {"name": name, "seconds": seconds, "rate": len(rows) / seconds, "groups": groups,
            "confusion": confusion}


def accuracy(values: list[bool]) -> float:
    return sum(values) / len(values) if values else float("nan")


def report(results: list[dict[str, object]]) -> None:
    keys: list[str] = sorted({k for r in results for k in r["groups"]},  # type: ignore[attr-defined]
                             key=lambda k: (k.split(":")[0], k))
    header = f"{'group':<28}{'n':>7}" + "".join(f"{r['name']:>14}" for r in results)
    print(header)
    print("-" * len(header))
    for key in keys:
        n = len(results[0]["groups"].get(key, []))  # type: ignore[attr-defined]
        cells = "".join(f"{accuracy(r['groups'].get(key, [])):>14.4f}" for r in results)  # type: ignore[attr-defined]
        print(f"{key:<28}{n:>7}{cells}")
    print("-" * len(header))
    print(f"{'texts/s':<35}" + "".join(f"{r['rate']:>14.0f}" for r in results))
    for r in results:
        worst = r["confusion"].most_common(8)  # type: ignore[attr-defined]
        print(f"{r['name']} most common errors (truth→said): "
              + ", ".join(f"{t}→{p} {n}" for (t, p), n in worst))
        zh_ja_as_ko = sum(n for (t, p), n in r["confusion"].items() if t in ("zh", "ja") and p == "ko")  # type: ignore[attr-defined]
        print(f"{r['name']} zh/ja called ko: {zh_ja_as_ko}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--sample", type=int, default=0, help="evaluate a random sample of N texts (seeded)")
    parser.add_argument("--lingua", action="store_true", help="also run lingua (optional extra), if installed")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line]
    if args.sample and args.sample < len(rows):
        rows = random.Random(0).sample(rows, args.sample)
    languages = sorted({r["lang"] for r in rows})
    analyser = Analyser(candidates=languages)
    analyser.warm_up()
    results = [measure("newsnorm", analyser.language_code, rows), measure("langdetect", bare_langdetect(), rows)]
    if args.lingua and (lingua := lingua_detector(languages)):
        results.append(measure("lingua", lingua, rows))
    report(results)
    ours, bare = results[0]["groups"], results[1]["groups"]
    news_min = min(accuracy(v) for k, v in ours.items() if k.startswith("news:"))  # type: ignore[attr-defined]
    print(f"langid: news_acc={accuracy(ours['news']):.4f} news_min_lang={news_min:.4f} "  # type: ignore[index]
          f"short_acc={accuracy(ours['short']):.4f} mixed_acc={accuracy(ours['kind:mixed']):.4f} "  # type: ignore[index]
          f"langdetect_news_acc={accuracy(bare['news']):.4f} langdetect_short_acc={accuracy(bare['short']):.4f} "  # type: ignore[index]
          f"texts_per_s={results[0]['rate']:.0f} langdetect_texts_per_s={results[1]['rate']:.0f} n={len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
