"""Near-duplicate detection on real article bodies and edited copies of them, next to plain MinHash LSH.

    python bench/dedup_eval.py                # the whole labelled set, seed 6
    python bench/dedup_eval.py --seed 7 --show 5

The labelled set is made here, by a seeded generator, from the ground-truth bodies in
../shared/eval/extract/*/ground_truth.jsonl (real articles written by others). Every article with at least
60 words is a story; each gets edited copies, one per kind:
  chrome    1-3 lines of page chrome before and after (menus, share buttons, a copyright line, a
            newsletter pitch, a "Read more:" teaser...)
  byline    a byline or a reporter's e-mail line added, and on half of them a wire dateline on the lead
  lead      2-4 small edits in the first paragraph (a word dropped, inserted, replaced or two swapped)
  truncate  only the first paragraphs (at least 35 words, at most 70% of the text): the wire brief
  reorder   one or two paragraphs moved (or two sentences swapped when there are fewer than 3)
  combined  chrome and byline together with one of lead, truncate or reorder
  update    on a third of the stories a brief (truncated) copy arrives first and the full article later:
            the full article must join the brief's story as an `update`
Negatives are different articles: every article is a story of its own, and the 513 NTREX documents
(../shared/eval/stories, nine languages) are added as more stories, none the copy of another.
Reports arrive in time order over a few days, copies within three days of their story's first report.

Scoring is per report, in arrival order: a report that joins a story is a predicted link, correct when
the story's first report is the same truth story. Precision = correct links / links; recall = correct
links / reports that had an earlier report of their story. The baseline is datasketch's MinHashLSH (128
permutations, word 3-shingles of lower-cased `\\w+` tokens) queried before each insert and linked to the
earliest candidate's story; its threshold is the best of a grid, so the baseline is shown at its best.

The last line is machine-readable: `dedup: precision=… recall=… f1=… baseline_f1=…`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"
KINDS = ("chrome", "byline", "lead", "truncate", "reorder", "combined", "update")
MIN_STORY_WORDS = 60

CHROME = (
    "Home > News > North Korea", "Share this article", "Advertisement", "Related Articles", "Most Read",
    "Print | Email | Share", "Font size A A A", "Comments (0)", "Recommended stories", "Top stories",
    "Subscribe to our newsletter for the latest news from the Korean Peninsula.",
    "Log in to Twitter or Facebook account to connect with the Korea JoongAng Daily",
    "Copyright © 2026 Yonhap News Agency. All rights reserved.",
    "Click here to read the full story and more news on our website",
    "Follow us on Facebook, X and Telegram for breaking news",
    "Read more: North Korea fires ballistic missile into the East Sea, Japan says",
    "This article was first published in our print edition.",
    "The views expressed in this article are the author's own and do not reflect our editorial policy.",
    "Photo: KCNA", "[Yonhap]", "Sign up for our morning briefing", "Listen to this article 4 min",
)
BYLINES = (
    "By Kim Soo-yeon", "By Park Ji-won and Lee Haye-ah", "Josh Smith, staff reporter", "kimsy@example.co.kr",
    "(Reporting by Josh Smith; Editing by Ed Davies)", "By Our Correspondent", "Lee Min-ji, correspondent",
    "Written by Choi Jae-hee", "By AFP",
)
DATELINES = ("SEOUL, Oct. 31 (Yonhap) -- ", "PYONGYANG, July 23 (KCNA) -- ", "BEIJING, May 3 (Xinhua) -- ",
             "TOKYO (AP) — ", "(Yonhap) -- ")
FILLERS = ("reportedly", "also", "on Friday", "officially", "again", "now", "the", "said")


@dataclass(frozen=True, slots=True)
class Item:
    """One report of the labelled stream."""

    id: str
    story: str  # truth: the article it is a copy of (its own id for an original)
    kind: str  # "original", one of KINDS, or "ntrex" (a negative of another set)
    text: str
    at: datetime
    source: str


def load_articles(shared: Path) -> list[tuple[str, str]]:
    articles = []
    for path in sorted((shared / "extract").glob("*/ground_truth.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["body"].strip():
                articles.append((f"{path.parent.name}/{row['id']}", row["body"]))
    return articles


def load_ntrex(shared: Path) -> list[tuple[str, str]]:
    path = shared / "stories" / "ntrex-dev.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(row["id"], row["text"]) for row in rows]


# --- the edits ---------------------------------------------------------------------------------------
def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。！？])\s+", paragraph) if s]


def add_chrome(text: str, rng: random.Random) -> str:
    before = rng.sample(CHROME, rng.randint(1, 3))
    after = rng.sample(CHROME, rng.randint(1, 3))
    return "\n\n".join([*before, text, *after])


def change_byline(text: str, rng: random.Random) -> str:
    paragraphs = _paragraphs(text)
    if rng.random() < 0.5:
        paragraphs[0] = rng.choice(DATELINES) + paragraphs[0]
    byline = rng.choice(BYLINES)
    return "\n\n".join([byline, *paragraphs] if rng.random() < 0.6 else [*paragraphs, byline])


def edit_lead(text: str, rng: random.Random) -> str:
    paragraphs = _paragraphs(text)
    lead = 0 if len(paragraphs[0].split()) >= 10 or len(paragraphs) == 1 else 1
    words = paragraphs[lead].split()
    pool = text.split()
    for _ in range(rng.randint(2, 4)):
        where = rng.randrange(len(words))
        operation = rng.choice(("drop", "insert", "replace", "swap"))
        if operation == "drop" and len(words) > 3:
            del words[where]
        elif operation == "insert":
            words.insert(where, rng.choice(FILLERS))
        elif operation == "replace":
            words[where] = rng.choice(pool)
        elif where + 1 < len(words):
            words[where], words[where + 1] = words[where + 1], words[where]
    paragraphs[lead] = " ".join(words)
    return "\n\n".join(paragraphs)


def truncate(text: str, rng: random.Random) -> str | None:
    """The first paragraphs: at least 35 words, at most 70% of the words; None when no cut fits."""
    total = len(text.split())
    paragraphs = _paragraphs(text)
    units = paragraphs if len(paragraphs) >= 3 else [s for p in paragraphs for s in _sentences(p)]
    cuts = []
    words = 0
    for count, unit in enumerate(units[:-1], start=1):
        words += len(unit.split())
        if 35 <= words <= 0.7 * total:
            cuts.append(count)
    if not cuts:
        return None
    keep = cuts[min(int(rng.random() ** 2 * len(cuts)), len(cuts) - 1)]  # short briefs more often
    return "\n\n".join(units[:keep])


def reorder(text: str, rng: random.Random) -> str | None:
    paragraphs = _paragraphs(text)
    if len(paragraphs) >= 3:
        for _ in range(rng.randint(1, 2)):
            moved = paragraphs.pop(rng.randrange(len(paragraphs)))
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), moved)
        return "\n\n".join(paragraphs)
    sentences = [s for p in paragraphs for s in _sentences(p)]
    if len(sentences) < 2:
        return None
    i, j = rng.sample(range(len(sentences)), 2)
    sentences[i], sentences[j] = sentences[j], sentences[i]
    return " ".join(sentences)


def combined(text: str, rng: random.Random) -> str | None:
    third: Callable[[str, random.Random], str | None] = rng.choice((edit_lead, truncate, reorder))
    edited = third(text, rng)
    return None if edited is None else add_chrome(change_byline(edited, rng), rng)


EDITS: dict[str, Callable[[str, random.Random], str | None]] = {
    "chrome": add_chrome, "byline": change_byline, "lead": edit_lead, "truncate": truncate,
    "reorder": reorder, "combined": combined,
}


def labelled_stream(seed: int, shared: Path = SHARED) -> list[Item]:
    """Originals, their edited copies and the NTREX negatives, in arrival order."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    items: list[Item] = []
    for article_id, body in load_articles(shared):
        first_at = start + timedelta(minutes=rng.randrange(10 * 24 * 60))
        update_at = first_at + timedelta(minutes=rng.randrange(1, 12 * 60))
        later = [first_at + timedelta(minutes=rng.randrange(12 * 60, 3 * 24 * 60)) for _ in EDITS]
        if len(body.split()) < MIN_STORY_WORDS:
            items.append(Item(article_id, article_id, "original", body, first_at, "wire"))
            continue
        copies = []
        for (kind, edit), at in zip(EDITS.items(), later, strict=False):
            text = edit(body, rng)
            if text is not None:
                copies.append(Item(f"{article_id}#{kind}", article_id, kind, text, at, f"outlet-{rng.randrange(9)}"))
        brief = truncate(body, rng) if rng.random() < 1 / 3 else None
        if brief is None:
            items.append(Item(article_id, article_id, "original", body, first_at, "wire"))
        else:
            items.append(Item(f"{article_id}#brief", article_id, "original", brief, first_at, "wire"))
            items.append(Item(article_id, article_id, "update", body, update_at, "wire"))
        items.extend(copies)
    for doc_id, text in load_ntrex(shared):
        items.append(Item(doc_id, doc_id, "ntrex", text, start + timedelta(minutes=rng.randrange(13 * 24 * 60)),
                          "ntrex"))
    items.sort(key=lambda item: (item.at, item.id))
    return items


# --- running and scoring -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Prediction:
    linked_to: str | None  # the item id of the first report of the story it joined
    role: str
    origin: str | None = None


def run_ours(items: list[Item], batch: int = 200) -> tuple[list[Prediction], float]:
    """Our index over the stream (state on disk, committed every `batch` reports); and seconds per report."""
    from scraper.dedup import DuplicateIndex
    from scraper.records import Language, Record
    from scraper.state import State

    predictions = []
    with tempfile.TemporaryDirectory() as tmp:
        state = State(Path(tmp) / "state.sqlite")
        index = DuplicateIndex(state)
        started = time.perf_counter()
        for n, item in enumerate(items, start=1):
            record = Record(
                id=item.id, url=item.id, canonical_url=item.id, source_id=item.source, source_name=item.source,
                title="", body=item.text, authors=(), published_at=item.at, fetched_at=item.at,
                language=Language("und", 0.0), content_hash="",
            )
            result = index.assign(record)
            story = result.story
            assert story is not None
            predictions.append(Prediction(None if story.role == "first" else story.id, story.role, story.origin))
            state.stage(result, ())
            if n % batch == 0:
                state.commit()
        state.commit()
        elapsed = time.perf_counter() - started
        state.close()
    return predictions, elapsed / max(1, len(items))


_WORD = re.compile(r"\w+")


def run_baseline(items: list[Item], threshold: float) -> list[Prediction]:
    """datasketch MinHashLSH: 128 permutations, lower-cased word 3-shingles, linked to the earliest candidate."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    story_of: dict[str, str] = {}
    order: dict[str, int] = {}
    predictions = []
    for n, item in enumerate(items):
        tokens = _WORD.findall(item.text.lower())
        signature = MinHash(num_perm=128)
        signature.update_batch([" ".join(tokens[i:i + 3]).encode() for i in range(max(1, len(tokens) - 2))])
        candidates = sorted(lsh.query(signature), key=order.__getitem__) if tokens else []
        story = story_of[candidates[0]] if candidates else item.id
        story_of[item.id] = story
        order[item.id] = n
        predictions.append(Prediction(None if story == item.id else story, "first" if story == item.id else "copy"))
        if tokens:
            lsh.insert(item.id, signature)
    return predictions


@dataclass
class Score:
    correct: int = 0
    wrong: int = 0
    missed: int = 0

    @property
    def precision(self) -> float:
        return self.correct / (self.correct + self.wrong) if self.correct + self.wrong else 1.0

    @property
    def recall(self) -> float:
        return self.correct / (self.correct + self.missed) if self.correct + self.missed else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(items: list[Item], predictions: list[Prediction]) -> dict[str, Score]:
    """Scores overall ("all") and per kind of report."""
    truth_of = {item.id: item.story for item in items}
    seen: set[str] = set()
    scores: dict[str, Score] = {"all": Score()}
    for item, prediction in zip(items, predictions, strict=True):
        kind = scores.setdefault(item.kind, Score())
        expected = item.story in seen
        seen.add(item.story)
        right = prediction.linked_to is not None and truth_of[prediction.linked_to] == item.story
        for bucket in (kind, scores["all"]):
            if right:
                bucket.correct += 1
            elif prediction.linked_to is not None:
                bucket.wrong += 1
            if expected and not right:
                bucket.missed += 1
    return scores


def _line(label: str, result: Score) -> str:
    return (f"{label:<10} precision={result.precision:.4f} recall={result.recall:.4f} f1={result.f1:.4f}"
            f"  (links right {result.correct}, wrong {result.wrong}, missed {result.missed})")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--show", type=int, default=0, help="print this many missed and wrong reports")
    args = parser.parse_args(list(argv) if argv is not None else None)

    items = labelled_stream(args.seed, args.shared)
    kinds = Counter(item.kind for item in items)
    print(f"labelled stream (seed {args.seed}): {len(items)} reports, "
          + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))

    predictions, per_report = run_ours(items)
    ours = score(items, predictions)
    print(f"\nnewsnorm dedup ({per_report * 1000:.2f} ms per report, state on disk)")
    for kind in ("all", "original", "ntrex", *KINDS):
        if kind in ours:
            print(_line(kind, ours[kind]))
    updates = [p for item, p in zip(items, predictions, strict=True) if item.kind == "update"]
    copies = [p for item, p in zip(items, predictions, strict=True) if item.kind in EDITS and p.linked_to]
    print(f"roles: updates marked update {sum(p.role == 'update' for p in updates)}/{len(updates)}, "
          f"copies marked copy {sum(p.role == 'copy' for p in copies)}/{len(copies)}")

    best: tuple[float, float, dict[str, Score]] | None = None
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        result = score(items, run_baseline(items, threshold))
        if best is None or result["all"].f1 > best[0]:
            best = (result["all"].f1, threshold, result)
    assert best is not None
    _, threshold, baseline = best
    print(f"\nbaseline: datasketch MinHashLSH, threshold {threshold} (best of 0.3..0.8)")
    for kind in ("all", "original", "ntrex", *KINDS):
        if kind in baseline:
            print(_line(kind, baseline[kind]))

    if args.show:
        print()
        shown = 0
        for item, prediction in zip(items, predictions, strict=True):
            wrong = prediction.linked_to is not None and prediction.linked_to.split("#")[0] != item.story
            missed = prediction.linked_to is None and item.kind in (*EDITS, "update")
            if (wrong or missed) and shown < args.show:
                shown += 1
                print(f"{'WRONG' if wrong else 'MISSED'} {item.kind} {item.id} -> {prediction.linked_to}")
                print("   ", item.text[:300].replace("\n", " | "))

    total = ours["all"]
    print(f"\ndedup: precision={total.precision:.4f} recall={total.recall:.4f} f1={total.f1:.4f} "
          f"baseline_f1={baseline['all'].f1:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
