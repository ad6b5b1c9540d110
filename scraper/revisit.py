"""Articles read again after they were written: is the new text a revision, and is a missing page a deletion?

KCNA rewrites and removes articles (a purged official disappears from old reports), and noticing that is part
of an analyst's job. Articles an outlet published in the last `revisit_for` days are read again every
`revisit_every`; a changed text is a revision unless the change is trivial (spacing and punctuation, which the
content hash ignores already, or only numbers in short lines: a view counter, a date widget); a page that is
gone (404, 410, or a redirect to the outlet's front page) is a deletion. Both become records of their own; what
was written before is never rewritten.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import datetime

from scraper.records import Deletion, Language, Record, Revision, Source
from scraper.urls import front_page

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"^\d[\d,.:/-]*$")
WIDGET_WORDS = 12  # a paragraph this short whose only change is a number is a counter or a date widget
# Revisits in a row that found no article under the URL of a report no index lists any more: then it is gone.
UNREACHABLE_READS = 2


@dataclass(frozen=True, slots=True)
class Change:
    """How a text changed: words added and removed (a replaced word counts in both)."""

    added: int
    removed: int

    @property
    def words(self) -> int:
        return self.added + self.removed


def _words(text: str) -> list[tuple[str, int]]:
    """The words of a text, case-folded, each with the length of the paragraph it stands in."""
    words: list[tuple[str, int]] = []
    for paragraph in text.split("\n\n"):
        tokens = [token.casefold() for token in _WORD.findall(paragraph)]
        words.extend((token, len(tokens)) for token in tokens)
    return words


def change(old: str, new: str) -> Change:
    """Words added and removed between two texts (a word diff, as a reader sees it)."""
    before, after = [w for w, _ in _words(old)], [w for w, _ in _words(new)]
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    added = removed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return Change(added, removed)


def trivial(old: str, new: str) -> bool:
    """True when the texts differ in nothing a reader would call a revision: not at all once spacing, case and
    punctuation are set aside, or only in numbers standing in short paragraphs (view counters, date widgets)."""
    before, after = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(a=[w for w, _ in before], b=[w for w, _ in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for word, length in (*before[i1:i2], *after[j1:j2]):
            if not (_NUMBER.match(word) and length <= WIDGET_WORDS):
                return False
    return True


def gone_to_front_page(final_url: str, article_url: str, homepage: str) -> bool:
    """A redirect from an article to the outlet's front page (or a site root): how many sites answer for a
    removed article."""
    return final_url.rstrip("/") != article_url.rstrip("/") and front_page(final_url, homepage)


@dataclass(frozen=True, slots=True)
class Earlier:
    """What was written of an article before: enough to tell what a revisit found."""

    record_id: str
    canonical_url: str
    content_hash: str
    revisions: int  # revision records written of it so far
    published_at: datetime | None
    body: str | None  # its text, when it was kept (None: only the hash can say whether it changed)


def revised(earlier: Earlier, now: Record, seen_at: datetime) -> Record | None:
    """The revision record of an article whose page now gives `now`; None when nothing a reader would call a
    change happened, or when the text written before was not kept (an article written before revisits were
    turned on): then the new text only becomes what the next revisit compares with. It keeps the article's id (a
    later version of one report) and no story (it belongs to the story of the record it revises)."""
    if now.content_hash == earlier.content_hash or earlier.body is None or trivial(earlier.body, now.body):
        return None
    diff = change(earlier.body, now.body)
    return replace(now, id=earlier.record_id, canonical_url=earlier.canonical_url, story=None, duplicate_of=None,
                   revision=Revision(earlier.revisions + 1, earlier.content_hash, seen_at, diff.added, diff.removed))


def tombstone(earlier: Earlier, source: Source, url: str, how: str, seen_at: datetime) -> Record:
    """The record saying an article written before is gone: its id, URL and the hash of the text that went;
    an empty title and body."""
    return Record(
        id=earlier.record_id, url=url, canonical_url=earlier.canonical_url, source_id=source.id,
        source_name=source.name, title="", body="", authors=(), published_at=earlier.published_at,
        fetched_at=seen_at, language=Language("und", 0.0), content_hash=earlier.content_hash,
        deleted=Deletion(seen_at, how),
    )
