"""News pages for the archive tests: the shared eval set's real pages when it sits beside the repository
(../shared/eval/extract/sh/pages), else pages made here of English words, as many distinct articles, so that a
fresh clone runs the same tests (the assertions hold for both: distinct stories, one page each)."""

from __future__ import annotations

import gzip
import json
import random
from importlib import resources
from pathlib import Path

PAGES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extract" / "sh" / "pages"
_VOCABULARY = 6_000  # the commonest English words the made pages draw from


def news_pages(count: int) -> list[bytes]:
    """`count` HTML pages of distinct articles."""
    files = sorted(PAGES.glob("*.html.gz"))[:count]
    if len(files) == count:
        return [gzip.decompress(path.read_bytes()) for path in files]
    words = _words()  # (read once: the lexicon takes a tenth of a second to load)
    return [made_page(number, words) for number in range(count)]


def made_page(number: int, words: list[str]) -> bytes:
    """An article page of its own, of `words`: a headline, a date, a byline and six paragraphs of 40 to 70 words."""
    rng = random.Random(f"article-{number}")

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(9, 16))).capitalize() + "."

    title = " ".join(rng.choice(words) for _ in range(7)).capitalize()
    paragraphs = "".join(f"<p>{' '.join(sentence() for _ in range(4))}</p>" for _ in range(6))
    # The chrome of a real page (menus, related stories, a script): as on the eval pages, most of its bytes.
    related = "".join(f'<li><a href="/story/{number}-{n}">{" ".join(rng.choice(words) for _ in range(8))}</a></li>'
                      for n in range(60))
    script = "var config = {" + ",".join(f'"k{n}": "{rng.choice(words)}"' for n in range(400)) + "};"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Example News</title>'
            f'<meta property="og:title" content="{title}"><script>{script}</script></head><body><nav>'
            f'<a href="/">Home</a> <a href="/world">World</a></nav><article><h1>{title}</h1>'
            f'<p class="byline">By Alex Morgan</p>'
            f'<time datetime="2026-10-0{1 + number % 9}T08:00:00Z">October {1 + number % 9}, 2026</time>'
            f'{paragraphs}</article><aside><h2>Related</h2><ul>{related}</ul></aside>'
            f"<footer>© Example News</footer></body></html>").encode()


def _words() -> list[str]:
    path = resources.files("scraper") / "data" / "lexicon" / "en.json.gz"
    with path.open("rb") as handle, gzip.open(handle, "rt", encoding="utf-8") as text:
        counts: dict[str, float] = json.load(text)["words"]
    return [word for word in sorted(counts, key=lambda w: -counts[w])[:_VOCABULARY] if word.isalpha()]
