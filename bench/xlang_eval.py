"""Cross-language story linking on real translations: NTREX news stories in nine languages, among other articles.

    python bench/xlang_eval.py                   # the untouched third of the stories, and the tuning part
    python bench/xlang_eval.py --stories other.jsonl --part all

Every document of ../shared/eval/stories/ntrex-dev.jsonl (`story` is the shared id, `lang` its language, `text`
the headline and then one sentence a line) becomes a report of an outlet per language ("ntrex-ko", ...), with its
first line as title and the rest as paragraphs, analysed as the pipeline analyses a page (language and names by
`scraper.analyse.Analyser`). The stories are split by a hash of their id: the first third (by sha256 of the
id) is untouched by tuning and is the result; the rest is where the thresholds were chosen. The real articles of
../shared/eval/extract (many languages, none a translation of another) are added as other stories. All reports
of a part arrive in a shuffled order within two days, so time does not tell stories apart.

Scoring is pairwise over the story a consumer resolves (`story.id` followed through `story.merged`): over all
pairs of NTREX documents in different languages, precision = pairs put in one story that are one story / pairs put
in one story, recall = pairs that are one story put in one story; per language pair too. Pairs with another
article wrongly joined are counted as wrong as well, as are same-language pairs put in one story.
A translation must never be anyone's `duplicate_of`.

The last line is machine-readable: `xlang: precision=… recall=…` (the untouched part).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"
START = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    story: str  # truth
    lang: str  # truth
    title: str
    paragraphs: tuple[str, ...]
    ntrex: bool


def split_stories(stories: Iterable[str]) -> tuple[set[str], set[str]]:
    """(untouched, tuning): the first third of the story ids by sha256, and the rest."""
    ordered = sorted(set(stories), key=lambda story: hashlib.sha256(story.encode()).hexdigest())
    cut = len(ordered) // 3
    return set(ordered[:cut]), set(ordered[cut:])


def load(stories_path: Path, shared: Path) -> tuple[list[Doc], list[Doc]]:
    rows = [json.loads(line) for line in stories_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = []
    for row in rows:
        lines = [line.strip() for line in row["text"].split("\n") if line.strip()]
        docs.append(Doc(row["id"], row["story"], row["lang"], lines[0], tuple(lines[1:]), True))
    others = []
    for path in sorted((shared / "extract").glob("*/ground_truth.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            paragraphs = tuple(p.strip() for p in row["body"].split("\n\n") if p.strip())
            if paragraphs:
                doc_id = f"{path.parent.name}/{row['id']}"
                others.append(Doc(doc_id, doc_id, row.get("lang") or "und", row.get("title") or "", paragraphs, False))
    return docs, others


def load_stitched(shared: Path, seed: int, per_article: int = 10) -> list[Doc]:
    """Harder distractors: news sentences of the Leipzig corpora in the nine languages (the lingua part of
    ../shared/eval/langid, none from NTREX), stitched ten at a time into articles of one language, one sentence a
    paragraph. Each names more people and places than a real article does, none of another article's."""
    path = shared / "langid" / "dev.jsonl"
    if not path.exists():
        return []
    by_lang: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["kind"] == "sentence" and row["id"].startswith("lingua/"):
            by_lang[row["lang"]].append(row["text"].strip())
    rng = random.Random(seed)
    docs = []
    for lang, sentences in sorted(by_lang.items()):
        rng.shuffle(sentences)
        for n in range(0, len(sentences) - per_article + 1, per_article):
            chunk = sentences[n:n + per_article]
            doc_id = f"stitched/{lang}/{n // per_article}"
            docs.append(Doc(doc_id, doc_id, lang, chunk[0], tuple(chunk[1:]), False))
    return docs


def run(docs: list[Doc], seed: int) -> tuple[dict[str, dict[str, object]], float]:
    """File every doc through the index in a shuffled order; each doc's record (as a dict) and seconds a report."""
    from scraper.analyse import Analyser
    from scraper.dedup import DuplicateIndex, story_print
    from scraper.records import Record
    from scraper.state import State

    rng = random.Random(seed)
    order = docs[:]
    rng.shuffle(order)
    analyser = Analyser()
    records = []
    for n, doc in enumerate(order):
        at = START + timedelta(minutes=int(n * 2 * 24 * 60 / len(order)))
        analysis = analyser.analyse(doc.paragraphs)
        source = f"ntrex-{doc.lang}" if doc.ntrex else "other"
        records.append(Record(
            id=doc.id, url=doc.id, canonical_url=doc.id, source_id=source, source_name=source, title=doc.title,
            body="\n\n".join(doc.paragraphs), authors=(), published_at=at, fetched_at=at, language=analysis.language,
            content_hash="", names=analysis.names))
    printed = [story_print(record) for record in records]  # the workers' part
    out: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        state = State(Path(tmp) / "state.sqlite")
        index = DuplicateIndex(state)
        started = time.perf_counter()
        for n, (record, print_) in enumerate(zip(records, printed, strict=True), start=1):
            result = index.assign(record, now=record.fetched_at, printed=print_)
            state.stage(result, ())
            out[record.id] = result.to_dict()
            if n % 100 == 0:
                state.commit()
        state.commit()
        elapsed = time.perf_counter() - started
        state.close()
    return out, elapsed / max(1, len(records))


def resolved_stories(records: Iterable[dict[str, object]]) -> dict[str, str]:
    """Record id -> story id, followed through the merges the records announce (what a consumer does)."""
    merged_into: dict[str, str] = {}
    story_of: dict[str, str] = {}
    for record in records:
        story = record["story"]
        assert isinstance(story, dict)
        story_of[str(record["id"])] = str(story["id"])
        for old in story.get("merged", ()):
            merged_into[str(old)] = str(story["id"])

    def final(story: str) -> str:
        while story in merged_into:
            story = merged_into[story]
        return story

    return {rid: final(story) for rid, story in story_of.items()}


@dataclass
class Pairs:
    right: int = 0
    wrong: int = 0
    missed: int = 0

    @property
    def precision(self) -> float:
        return self.right / (self.right + self.wrong) if self.right + self.wrong else 1.0

    @property
    def recall(self) -> float:
        return self.right / (self.right + self.missed) if self.right + self.missed else 1.0


def score(docs: list[Doc], records: dict[str, dict[str, object]]) -> tuple[Pairs, dict[tuple[str, str], Pairs], int]:
    """Pairwise scores over the NTREX documents in different languages (all, and per language pair), and how many
    wrong pairs involve another article or two documents of one language."""
    story = resolved_stories(records.values())
    total = Pairs()
    per: dict[tuple[str, str], Pairs] = defaultdict(Pairs)
    ntrex = [doc for doc in docs if doc.ntrex]
    for a, b in itertools.combinations(ntrex, 2):
        if a.lang == b.lang:
            continue
        same, joined = a.story == b.story, story[a.id] == story[b.id]
        pair = per[tuple(sorted((a.lang, b.lang)))]  # type: ignore[index]
        for bucket in (total, pair):
            if same and joined:
                bucket.right += 1
            elif joined:
                bucket.wrong += 1
            elif same:
                bucket.missed += 1
    by_story: dict[str, list[Doc]] = defaultdict(list)
    for doc in docs:
        by_story[story[doc.id]].append(doc)
    other_wrong = 0
    for members in by_story.values():
        for a, b in itertools.combinations(members, 2):
            if a.story != b.story and (not (a.ntrex and b.ntrex) or a.lang == b.lang):
                other_wrong += 1
    return total, dict(per), other_wrong


def report(label: str, docs: list[Doc], records: dict[str, dict[str, object]], per_report: float) -> Pairs:
    total, per, other_wrong = score(docs, records)
    roles = Counter(str(records[doc.id]["story"]["role"]) for doc in docs if doc.ntrex)  # type: ignore[index]
    duplicates = sum(1 for doc in docs if doc.ntrex and records[doc.id]["duplicate_of"])
    stories = len({doc.story for doc in docs if doc.ntrex})
    print(f"\n{label}: {stories} stories, {sum(doc.ntrex for doc in docs)} NTREX documents, "
          f"{sum(not doc.ntrex for doc in docs)} other articles; {per_report * 1000:.2f} ms per report")
    print(f"roles {dict(sorted(roles.items()))}; NTREX documents with duplicate_of set: {duplicates}; wrong pairs "
          f"with another article or within one language: {other_wrong}")
    print(f"{'pair':<7} {'precision':>9} {'recall':>7} {'right':>6} {'wrong':>6} {'missed':>6}")
    for pair, result in sorted(per.items()):
        print(f"{pair[0]}-{pair[1]:<4} {result.precision:>9.3f} {result.recall:>7.3f} {result.right:>6} "
              f"{result.wrong:>6} {result.missed:>6}")
    print(f"{'all':<7} {total.precision:>9.4f} {total.recall:>7.4f} {total.right:>6} {total.wrong:>6} "
          f"{total.missed:>6}")
    return total


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stories", type=Path, default=SHARED / "stories" / "ntrex-dev.jsonl")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--part", choices=("untouched", "tuning", "all", "both"), default="both",
                        help="which stories: the untouched third, the tuning part, all, or the first two apart")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--stitched", action="store_true",
                        help="add ~450 articles stitched from news sentences in the nine languages as distractors")
    args = parser.parse_args(list(argv) if argv is not None else None)

    docs, others = load(args.stories, args.shared)
    if args.stitched:
        others += load_stitched(args.shared, args.seed)
    untouched, tuning = split_stories(doc.story for doc in docs)
    parts = {"untouched": untouched, "tuning": tuning, "all": untouched | tuning}
    wanted = ["tuning", "untouched"] if args.part == "both" else [args.part]
    result = Pairs()
    for part in wanted:
        chosen = [doc for doc in docs if doc.story in parts[part]] + others
        records, per_report = run(chosen, args.seed)
        result = report(part, chosen, records, per_report)
    print(f"\nxlang: precision={result.precision:.4f} recall={result.recall:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
