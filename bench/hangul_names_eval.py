"""How well the people of Korean text are found (scraper/analyse/hangul_names.py), on sentences annotated by others.

Reads named-entity corpora whose annotators tagged people (PS) in Korean sentences, and runs the finder on each
sentence alone:
- KLUE-NER v1.1 (`klue-ner-v1.1_dev.tsv` of github:korean-named-entity/konne-prep, CC BY-SA 4.0; the corrected
  KLUE development set): its news sentences (wikitree) only, in two halves by sentence number: the even ones, which
  the rules were read against, and the odd ones, held out;
- KMOU NER (`2016klp/ner.dev`, `2016klp/ner.test` of github:kmounlp/NER, news sentences; non-commercial research
  use): never read while writing the rules.
A name found is right when it lies within a span the annotators tagged as a person. Recall is over the tagged
people written as a Korean name in full (three syllables, a surname first), the shape the cues look for; a
sentence alone gives fewer cues than an article (no title elsewhere, no surname used alone), so recall here is
the floor of what an article gets. Last line: `hangul_names: precision=… recall=… found=… people=…` over the
held-out KLUE half and the KMOU files together.

    python bench/hangul_names_eval.py klue-ner-v1.1_dev.tsv ner.dev ner.test [--show N]
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

from scraper.analyse.hangul_names import HangulPeople

_TAG = re.compile(r"<([^<>:]+):([A-Z]{2})>|([^<]+|<)")
_KLUE_LINE = re.compile(r"## klue-ner-v1_dev_(\d+)-(\w+)\t(.*)")


@dataclass
class Tally:
    found: int = 0
    right: int = 0
    people: int = 0
    recalled: int = 0
    wrong: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.found += other.found
        self.right += other.right
        self.people += other.people
        self.recalled += other.recalled
        self.wrong.extend(other.wrong)

    def line(self, label: str) -> str:
        return (f"{label:<28} {self.found:>6} {self.right / max(1, self.found):>10.3f} {self.people:>7} "
                f"{self.recalled / max(1, self.people):>8.3f}")


def untag(annotated: str) -> tuple[str, list[str]]:
    """The sentence's text and the text of each span tagged as a person."""
    text, people = "", []
    for match in _TAG.finditer(annotated):
        if match.group(1) is not None:
            text += match.group(1)
            if match.group(2) == "PS":
                people.append(match.group(1))
        else:
            text += match.group(3)
    return text, people


def read(path: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """The sentences of a corpus file by part: KLUE's news sentences in halves, a KMOU file whole."""
    parts: dict[str, list[tuple[str, list[str]]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        klue = _KLUE_LINE.match(line)
        if klue:
            if klue.group(2) == "wikitree":
                half = "KLUE news, even (read)" if int(klue.group(1)) % 2 == 0 else "KLUE news, odd (held out)"
                parts.setdefault(half, []).append(untag(klue.group(3)))
        elif line.startswith("$"):
            parts.setdefault(f"KMOU {path.name}", []).append(untag(line[1:]))
    return parts


def score(finder: HangulPeople, sentences: list[tuple[str, list[str]]]) -> Tally:
    tally = Tally()
    for text, people in sentences:
        names = {person.name for person in finder.find(text)[0]}
        for name in sorted(names):
            tally.found += 1
            if any(name in tagged for tagged in people):
                tally.right += 1
            else:
                tally.wrong.append((name, text))
        for tagged in people:
            if len(tagged) == 3 and tagged[0] in finder.surnames:
                tally.people += 1
                tally.recalled += tagged in names
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="klue-ner-v1.1_dev.tsv and/or KMOU ner.* files")
    parser.add_argument("--show", type=int, default=0, help="print this many wrong names of the held-out parts")
    args = parser.parse_args(argv)
    finder = HangulPeople.load()
    print(f"{'part':<28} {'found':>6} {'precision':>10} {'people':>7} {'recall':>8}")
    unseen = Tally()
    for path in args.files:
        for label, sentences in read(path).items():
            tally = score(finder, sentences)
            print(tally.line(f"{label} ({len(sentences)})"))
            if "(read)" not in label:
                unseen.add(tally)
    print(unseen.line("held out, all"))
    for name, text in unseen.wrong[:args.show]:
        print(f"  wrong: {name} | {text[:100]}")
    print(f"hangul_names: precision={unseen.right / max(1, unseen.found):.4f} "
          f"recall={unseen.recalled / max(1, unseen.people):.4f} found={unseen.found} people={unseen.people}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
