"""Near-duplicate detection on real article bodies and copies edited by two independent generators, next to
plain MinHash LSH.

    python bench/dedup_eval.py                # both generators, seed 6
    python bench/dedup_eval.py --seed 7 --show 5

Two labelled streams are made here, each by its own seeded generator, from the ground-truth bodies in
../shared/eval/extract/*/ground_truth.jsonl (real articles written by others). Every article with at least
60 words is a story.

Generator A ("ours", the one the index was first built against) gives each story edited copies, one per kind:
  chrome    1-3 lines of page chrome before and after (menus, share buttons, a copyright line, a
            newsletter pitch, a "Read more:" teaser...)
  byline    a byline or a reporter's e-mail line added, and on half of them a wire dateline on the lead
  lead      2-4 small edits in the first paragraph (a word dropped, inserted, replaced or two swapped)
  truncate  only the first paragraphs (at least 35 words, at most 70% of the text): the wire brief
  reorder   one or two paragraphs moved (or two sentences swapped when there are fewer than 3)
  combined  chrome and byline together with one of lead, truncate or reorder
  update    on a third of the stories a brief (truncated) copy arrives first and the full article later
Copies arrive after their story's first report.

Generator B ("held out", written afterwards with other operations and rates, and never tuned on alone) gives
each story three to five copies, each of one kind, in a shuffled order (a copy may come before the original):
  paraphrase  a third to two thirds of the sentences reworded: a word swapped for a synonym, two words swapped,
              a word dropped (every sentence so touched loses the shingles around the change)
  relead      the first paragraph rewritten: its words in another order, some dropped, a new opening phrase
  reflow      paragraphs merged in pairs, or split at sentence ends (the line starts move)
  quotes      sentences with quotation marks trimmed to their reported part, or dropped
  roundup     two stories stitched into one round-up: most of this story, then the first paragraphs of another
              (it belongs to this story; joining the other, or merging the two, is wrong)
  inside      a wire brief (the first 2-3 paragraphs) inside a longer local story: an opening paragraph of
              its own before, and paragraphs of an unrelated text after (English news of ../shared/eval/mt,
              in neither stream)
  mixed       two or three of paraphrase, relead, reflow, quotes and a cut to the first 60-90% of the text

Negatives are different articles: every article is a story of its own, and the 513 NTREX documents
(../shared/eval/stories, nine languages, each story in all of them) are added as more stories.

Scoring is pairwise over the story a consumer resolves (`story.id`, followed through the `story.merged` of later
records), over pairs of reports in one language (cross-language linking is bench/xlang_eval.py's): precision =
pairs put in one story that are one story / pairs put in one story; recall = pairs that are one story put in one
story. Per kind, over the pairs that hold a report of that kind. Beside it, the old per-report score in arrival
order (a report that joins a story is right when the story's first report is of its truth story).
The baseline is datasketch's MinHashLSH (128 permutations, word 3-shingles of lower-cased `\\w+` tokens)
queried before each insert and linked to the earliest candidate's story, scored the same way; its threshold is
the best of a grid, so the baseline is shown at its best.

The last line is machine-readable, over both generators' pairs: `dedup: precision=… recall=… f1=… baseline_f1=…`.
"""

from __future__ import annotations

import argparse
import gzip
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
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"
KINDS = ("chrome", "byline", "lead", "truncate", "reorder", "combined", "update")
HELD_OUT_KINDS = ("paraphrase", "relead", "reflow", "quotes", "roundup", "inside", "mixed")
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
    kind: str  # "original", one of KINDS or HELD_OUT_KINDS, or "ntrex" (a negative of another set)
    text: str
    at: datetime
    source: str
    lang: str = "und"  # the truth's language (copies keep their original's)


def load_articles(shared: Path) -> list[tuple[str, str, str]]:
    """(id, body, language) of every ground-truth article."""
    articles = []
    for path in sorted((shared / "extract").glob("*/ground_truth.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["body"].strip():
                articles.append((f"{path.parent.name}/{row['id']}", row["body"], row.get("lang") or "und"))
    return articles


def load_ntrex(shared: Path) -> list[tuple[str, str, str, str]]:
    """(id, text, story, language) of every NTREX document: each story is there in nine languages."""
    path = shared / "stories" / "ntrex-dev.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(row["id"], row["text"], row["story"], row["lang"]) for row in rows]


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
    for article_id, body, lang in load_articles(shared):
        first_at = start + timedelta(minutes=rng.randrange(10 * 24 * 60))
        update_at = first_at + timedelta(minutes=rng.randrange(1, 12 * 60))
        later = [first_at + timedelta(minutes=rng.randrange(12 * 60, 3 * 24 * 60)) for _ in EDITS]
        if len(body.split()) < MIN_STORY_WORDS:
            items.append(Item(article_id, article_id, "original", body, first_at, "wire", lang))
            continue
        copies = []
        for (kind, edit), at in zip(EDITS.items(), later, strict=False):
            text = edit(body, rng)
            if text is not None:
                copies.append(Item(f"{article_id}#{kind}", article_id, kind, text, at, f"outlet-{rng.randrange(9)}",
                                   lang))
        brief = truncate(body, rng) if rng.random() < 1 / 3 else None
        if brief is None:
            items.append(Item(article_id, article_id, "original", body, first_at, "wire", lang))
        else:
            items.append(Item(f"{article_id}#brief", article_id, "original", brief, first_at, "wire", lang))
            items.append(Item(article_id, article_id, "update", body, update_at, "wire", lang))
        items.extend(copies)
    items.extend(ntrex_items(shared, rng, start))
    items.sort(key=lambda item: (item.at, item.id))
    return items


def ntrex_items(shared: Path, rng: random.Random, start: datetime) -> list[Item]:
    return [Item(doc_id, story, "ntrex", text, start + timedelta(minutes=rng.randrange(13 * 24 * 60)), f"ntrex-{lang}",
                 lang) for doc_id, text, story, lang in load_ntrex(shared)]


# --- generator B: other operations, other rates, another order --------------------------------------------------
SYNONYMS = {
    "said": "stated", "says": "states", "told": "informed", "about": "around", "big": "large", "large": "big",
    "many": "numerous", "also": "additionally", "but": "however", "after": "following", "before": "prior to",
    "help": "assist", "show": "demonstrate", "shows": "demonstrates", "buy": "purchase", "start": "begin",
    "started": "began", "end": "finish", "ended": "finished", "people": "individuals", "new": "fresh",
    "important": "key", "because": "since", "while": "whereas", "get": "obtain", "got": "obtained", "need": "require",
    "more": "additional", "use": "employ", "used": "employed", "think": "believe", "thinks": "believes",
    "very": "highly", "enough": "sufficient", "try": "attempt", "tried": "attempted", "month": "period",
    "company": "firm", "government": "administration", "country": "nation", "city": "town", "children": "kids",
    "car": "vehicle", "job": "position", "jobs": "positions", "money": "funds", "house": "home", "fast": "quick",
    "sagte": "erklärte", "und": "sowie", "dijo": "afirmó", "a dit": "a déclaré", "aussi": "également",
}
OPENERS = ("In a development on Tuesday,", "Officials confirmed that", "According to reports,", "It emerged that",
           "In the latest twist,", "Sources say")


def paraphrase(text: str, rng: random.Random) -> str:
    """Reword two fifths to nine tenths of the sentences, each with one to three edits: a synonym, two words
    swapped, a word dropped."""
    share = rng.uniform(0.4, 0.9)
    out = []
    for paragraph in _paragraphs(text):
        sentences = []
        for sentence in _sentences(paragraph):
            words = sentence.split()
            if len(words) >= 6 and rng.random() < share:
                for _ in range(rng.randint(1, 3)):
                    swappable = [i for i, word in enumerate(words) if word.lower() in SYNONYMS]
                    if swappable and rng.random() < 0.7:
                        i = rng.choice(swappable)
                        words[i] = SYNONYMS[words[i].lower()]
                    elif rng.random() < 0.5:
                        i = rng.randrange(1, len(words) - 2)
                        words[i], words[i + 1] = words[i + 1], words[i]
                    elif len(words) > 4:
                        del words[rng.randrange(1, len(words) - 1)]
            sentences.append(" ".join(words))
        out.append(" ".join(sentences))
    return "\n\n".join(out)


def relead(text: str, rng: random.Random) -> str | None:
    """The first paragraph rewritten: a new opening phrase, its words in chunks of two shuffled, a fifth dropped."""
    paragraphs = _paragraphs(text)
    if len(paragraphs) < 3:
        return None
    words = paragraphs[0].split()
    chunks = [words[i:i + 2] for i in range(0, len(words), 2)]
    rng.shuffle(chunks)
    kept = [word for chunk in chunks for word in chunk if rng.random() > 0.2]
    paragraphs[0] = rng.choice(OPENERS) + " " + " ".join(kept)
    return "\n\n".join(paragraphs)


def reflow(text: str, rng: random.Random) -> str | None:
    """Paragraphs merged in pairs, or split at sentence ends."""
    paragraphs = _paragraphs(text)
    if rng.random() < 0.5 and len(paragraphs) >= 2:
        merged = [" ".join(paragraphs[i:i + 2]) for i in range(0, len(paragraphs), 2)]
        return "\n\n".join(merged)
    split = [sentence for paragraph in paragraphs for sentence in _sentences(paragraph)]
    return "\n\n".join(split) if len(split) > len(paragraphs) else None


_QUOTED = re.compile(r"[\"“”«»„]")


def trim_quotes(text: str, rng: random.Random) -> str | None:
    """Sentences with quotation marks dropped, or cut to what is outside the marks."""
    out, touched = [], 0
    for paragraph in _paragraphs(text):
        sentences = []
        for sentence in _sentences(paragraph):
            if _QUOTED.search(sentence):
                touched += 1
                if rng.random() < 0.5:
                    continue
                sentence = re.sub(r"[\"“„«][^\"”»]*[\"”»]", "", sentence).strip() or sentence
            sentences.append(sentence)
        if sentences:
            out.append(" ".join(sentences))
    result = "\n\n".join(out)
    return result if touched and len(result.split()) >= 35 else None


def cut(text: str, rng: random.Random) -> str | None:
    paragraphs = _paragraphs(text)
    total = len(text.split())
    keep = max(1, round(len(paragraphs) * rng.uniform(0.6, 0.9)))
    kept = "\n\n".join(paragraphs[:keep])
    return kept if len(kept.split()) >= 35 and keep < len(paragraphs) and len(kept.split()) < total else None


def roundup(text: str, other: str, rng: random.Random) -> str | None:
    """Most of this story, then the first paragraphs of another: a round-up of two stories."""
    paragraphs, others = _paragraphs(text), _paragraphs(other)
    if len(paragraphs) < 3 or not others:
        return None
    keep = max(2, round(len(paragraphs) * rng.uniform(0.6, 0.8)))
    added = others[:rng.randint(1, 2)]
    if len(" ".join(added).split()) > 0.5 * len(" ".join(paragraphs[:keep]).split()):
        added = added[:1]
    return "\n\n".join([*paragraphs[:keep], "In other news:", *added])


def inside(text: str, filler: str, rng: random.Random) -> str | None:
    """A wire brief (the first 2-3 paragraphs) inside a longer local story."""
    paragraphs, fill = _paragraphs(text), _paragraphs(filler)
    if len(paragraphs) < 3 or len(fill) < 3:
        return None
    brief = paragraphs[:rng.randint(2, 3)]
    if len(" ".join(brief).split()) < 35:
        return None
    opening = rng.choice(OPENERS) + " " + " ".join(fill[0].split()[:25])
    return "\n\n".join([opening, *brief, *fill[1:rng.randint(3, 6)]])


def mixed(text: str, rng: random.Random) -> str | None:
    operations: list[Callable[[str, random.Random], str | None]] = [paraphrase, relead, reflow, trim_quotes, cut]
    edited: str | None = text
    for operation in rng.sample(operations, rng.randint(2, 3)):
        edited = operation(edited, rng) or edited
    return edited if edited != text else None


def load_fillers(shared: Path) -> list[str]:
    """English news text that is in neither stream (the human references and English originals of the MT set):
    what a local outlet writes around a wire brief."""
    path = shared / "mt" / "dev.jsonl.gz"
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [row["text"] for row in rows if row["kind"] in ("native_en", "human_ref")]


def held_out_stream(seed: int, shared: Path = SHARED) -> list[Item]:
    """Generator B: originals and three to five copies each, in a shuffled order within a few days, and the
    NTREX documents."""
    rng = random.Random(seed * 7919 + 1)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    articles = load_articles(shared)
    fillers = load_fillers(shared)
    rng.shuffle(fillers)  # each local story its own text: drawn without replacement
    items: list[Item] = []
    single: dict[str, Callable[[str, random.Random], str | None]] = {
        "paraphrase": paraphrase, "relead": relead, "reflow": reflow, "quotes": trim_quotes, "mixed": mixed}
    for n, (article_id, body, lang) in enumerate(articles):
        first_at = start + timedelta(minutes=rng.randrange(12 * 24 * 60))
        items.append(Item(article_id, article_id, "original", body, first_at, "wire", lang))
        if len(body.split()) < MIN_STORY_WORDS:
            continue
        for kind in rng.sample(HELD_OUT_KINDS, rng.randint(3, 5)):
            if kind == "roundup":
                other = articles[(n + rng.randrange(1, len(articles))) % len(articles)]
                text = roundup(body, other[1], rng) if other[2] == lang else None
            elif kind == "inside":
                text = inside(body, fillers.pop(), rng) if fillers else None
            else:
                text = single[kind](body, rng)
            if text is not None and len(text.split()) >= 35:
                # Within two days either side of the original: a copy may well arrive first.
                at = first_at + timedelta(minutes=rng.randrange(-2 * 24 * 60, 2 * 24 * 60))
                items.append(Item(f"{article_id}#{kind}", article_id, kind, text, at, f"outlet-{rng.randrange(9)}",
                                  lang))
    items.extend(ntrex_items(shared, rng, start))
    items.sort(key=lambda item: (item.at, item.id))
    return items


# --- running and scoring -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Prediction:
    linked_to: str | None  # the item id of the first report of the story it joined
    role: str
    origin: str | None = None
    story: str = ""  # the story id the record carries
    merged: tuple[str, ...] = ()  # story ids the record says are this story


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
                language=Language(item.lang, 1.0 if item.lang != "und" else 0.0), content_hash="",
            )
            result = index.assign(record, now=item.at)
            story = result.story
            assert story is not None
            predictions.append(Prediction(None if story.role == "first" else story.id, story.role, story.origin,
                                          story.id, getattr(story, "merged", ())))  # (absent before merges)
            state.stage(result, ())
            if n % batch == 0:
                state.commit()
        state.commit()
        elapsed = time.perf_counter() - started
        state.close()
    return predictions, elapsed / max(1, len(items))


def resolved(predictions: list[Prediction]) -> list[str]:
    """Each report's story as a consumer resolves it: its `story.id` followed through later `story.merged`."""
    merged_into = {old: prediction.story for prediction in predictions for old in prediction.merged}

    def final(story: str) -> str:
        while story in merged_into:
            story = merged_into[story]
        return story

    return [final(prediction.story) for prediction in predictions]


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
        predictions.append(Prediction(None if story == item.id else story, "first" if story == item.id else "copy",
                                      story=story))
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

    def add(self, other: Score) -> Score:
        return Score(self.correct + other.correct, self.wrong + other.wrong, self.missed + other.missed)


def score(items: list[Item], predictions: list[Prediction]) -> dict[str, Score]:
    """Per report in arrival order, overall ("all") and per kind of report."""
    truth_of = {item.id: item.story for item in items}
    seen: set[str] = set()
    scores: dict[str, Score] = {"all": Score()}
    for item, prediction in zip(items, predictions, strict=True):
        kind = scores.setdefault(item.kind, Score())
        expected = item.story in seen and item.kind != "ntrex"  # (translations: bench/xlang_eval.py)
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


def _pair_counts(members: list[tuple[str, str]]) -> tuple[int, int, int]:
    """(pairs in one truth story and one predicted story, pairs predicted together, pairs truly together) of
    (truth, predicted) labels."""
    cells = Counter(members)
    predicted = Counter(p for _, p in members)
    truth = Counter(t for t, _ in members)

    def pairs(counter: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    return pairs(cells), pairs(predicted), pairs(truth)


def pairwise(items: list[Item], stories: list[str]) -> dict[str, Score]:
    """Pairwise scores over pairs of reports in one language: "all", and per kind over the pairs holding a report
    of that kind (a pair of two reports of one kind counts once)."""
    scores: dict[str, Score] = {}
    by_lang: dict[str, list[tuple[Item, str]]] = {}
    for item, story in zip(items, stories, strict=True):
        by_lang.setdefault(item.lang, []).append((item, story))
    for members in by_lang.values():
        labels = [(item.story, story) for item, story in members]
        tp, pp, tt = _pair_counts(labels)
        scores["all"] = scores.get("all", Score()).add(Score(tp, pp - tp, tt - tp))
        cells, predicted, truth = Counter(labels), Counter(p for _, p in labels), Counter(t for t, _ in labels)
        for kind in {item.kind for item, _ in members}:
            mine = [(item.story, story) for item, story in members if item.kind == kind]
            # Pairs with a report of this kind: each such report's partners, less the pairs counted twice.
            tp_k = sum(cells[label] - 1 for label in mine)
            pp_k = sum(predicted[p] - 1 for _, p in mine)
            tt_k = sum(truth[t] - 1 for t, _ in mine)
            itp, ipp, itt = _pair_counts(mine)
            tp_k, pp_k, tt_k = tp_k - itp, pp_k - ipp, tt_k - itt
            scores[kind] = scores.get(kind, Score()).add(Score(tp_k, pp_k - tp_k, tt_k - tp_k))
    return scores


def _row(label: str, ours: Score | None, baseline: Score | None) -> str:
    def cell(result: Score | None) -> str:
        return "      -      -" if result is None else f"{result.precision:>7.4f}{result.recall:>7.4f}"

    pairs = ours.correct + ours.missed if ours is not None else 0
    return f"{label:<11}{cell(ours)}   {cell(baseline)}  {pairs:>6}"


@dataclass(frozen=True, slots=True)
class Run:
    label: str
    items: list[Item]
    ours: dict[str, Score]
    arrival: dict[str, Score]
    baseline: dict[str, Score]
    threshold: float
    per_report: float


def evaluate(label: str, items: list[Item], kinds: tuple[str, ...], show: int) -> Run:
    counts = Counter(item.kind for item in items)
    print(f"\n== {label}: {len(items)} reports, " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    predictions, per_report = run_ours(items)
    ours = pairwise(items, resolved(predictions))
    arrival = score(items, predictions)
    best: tuple[float, float, dict[str, Score]] | None = None
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        result = pairwise(items, [p.story for p in run_baseline(items, threshold)])
        if best is None or result["all"].f1 > best[0]:
            best = (result["all"].f1, threshold, result)
    assert best is not None
    _, threshold, baseline = best
    merges = sum(len(p.merged) for p in predictions)
    roles = Counter(p.role for p in predictions)
    print(f"newsnorm {per_report * 1000:.2f} ms per report; roles {dict(sorted(roles.items()))}; merges {merges}")
    print(f"pairwise, pairs in one language: newsnorm, and datasketch MinHashLSH at its best threshold ({threshold})")
    print(f"{'kind':<11}{'P':>7}{'R':>7}   {'base P':>7}{'base R':>7}  {'pairs':>6}")
    for kind in ("all", "original", "ntrex", *kinds):
        if kind in ours:
            print(_row(kind, ours[kind], baseline.get(kind)))
    total = arrival["all"]
    print(f"per report in arrival order: precision={total.precision:.4f} recall={total.recall:.4f} "
          f"(links right {total.correct}, wrong {total.wrong}, missed {total.missed})")
    if show:
        stories = resolved(predictions)
        first_of: dict[str, Item] = {}
        for item, story in zip(items, stories, strict=True):
            first_of.setdefault(story, item)
        shown = 0
        for item, story in zip(items, stories, strict=True):
            head = first_of[story]
            wrong = head.story != item.story
            missed = item.kind not in ("original", "ntrex") and head is item
            if (wrong or missed) and shown < show:
                shown += 1
                print(f"{'WRONG' if wrong else 'MISSED'} {item.kind} {item.id} -> {head.id}")
                print("   ", item.text[:300].replace("\n", " | "))
    return Run(label, items, ours, arrival, baseline, threshold, per_report)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--show", type=int, default=0, help="print this many missed and wrong reports")
    args = parser.parse_args(list(argv) if argv is not None else None)

    runs = [evaluate(f"generator A (ours), seed {args.seed}", labelled_stream(args.seed, args.shared), KINDS,
                     args.show),
            evaluate(f"generator B (held out), seed {args.seed}", held_out_stream(args.seed, args.shared),
                     HELD_OUT_KINDS, args.show)]
    ours = runs[0].ours["all"].add(runs[1].ours["all"])
    baseline = runs[0].baseline["all"].add(runs[1].baseline["all"])
    print(f"\nboth generators, pairwise: newsnorm P {ours.precision:.4f} R {ours.recall:.4f}; "
          f"baseline P {baseline.precision:.4f} R {baseline.recall:.4f}")
    held_out = runs[1].ours["all"]
    print(f"held-out generator alone: precision={held_out.precision:.4f} recall={held_out.recall:.4f} "
          f"f1={held_out.f1:.4f}")
    print(f"\ndedup: precision={ours.precision:.4f} recall={ours.recall:.4f} f1={ours.f1:.4f} "
          f"baseline_f1={baseline.f1:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
