"""Lone surrogates ("\\ud83d" in a page's JSON, half of an emoji a CMS cut in two) never reach a record: the page
is written, with U+FFFD where the half character was, and nothing downstream fails to encode it."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import read_records, rss, run_cli, write_sources
from localsite import LocalSite, Page
from test_output_contract import article_page

from scraper.text import json_line, scrub, scrub_json
from scraper.verify import verify_output

PARAGRAPHS = ["The delegation toured a factory and a school before returning to the capital in the evening.",
              "Officials held a dinner for the visitors at a hotel near the river, the agency said on Tuesday.",
              "Both sides agreed to expand exchanges in trade, culture and education over the coming years."]


def _page(title: str, *, body_in_json: bool) -> bytes:
    """A page whose JSON-LD holds lone surrogate escapes in its headline, author and description, and, with
    `body_in_json`, the only copy of its text (a client-rendered page)."""
    body = " ".join(PARAGRAPHS) + " \\ud83d"
    ld = ('{"@type": "NewsArticle", "headline": "' + title + ' \\ud83d", "author": {"@type": "Person", '
          '"name": "Jane \\udc00 Doe"}, "description": "A visit \\ud83d", "datePublished": "2026-11-02T10:00:00Z"'
          + (', "articleBody": "' + body + '"' if body_in_json else "") + "}")
    shown = "" if body_in_json else "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f'<html><head><title>{title}</title><script type="application/ld+json">{ld}</script></head>'
            f"<body><article><h1>{title}</h1>{shown}</article></body></html>").encode()


def test_a_lone_surrogate_becomes_a_replacement_character_and_a_pair_stays() -> None:
    decoded = json.loads('{"a\\ud800": ["x\\ud83d", {"k": "\\udc00y"}, 1, null, "ok \\ud83d\\ude00"]}')
    assert scrub_json(decoded) == {"a\ufffd": ["x\ufffd", {"k": "\ufffdy"}, 1, None, "ok \U0001f600"]}
    clean = "nothing to do here"
    assert scrub(clean) is clean
    deep: list[object] = []
    level = deep
    for _ in range(100_000):  # far deeper than the recursion limit
        level.append([])
        level = level[0]  # type: ignore[assignment]
    level.append("\udfff")
    result = scrub_json(deep)
    for _ in range(100_000):
        result = result[0]
    assert result == ["\ufffd"]


def test_extract_writes_pages_whose_json_holds_half_characters(tmp_path: Path) -> None:
    (tmp_path / "shown.html").write_bytes(_page("Visit to the factory", body_in_json=False))
    (tmp_path / "scripted.html").write_bytes(_page("Visit to the school", body_in_json=True))
    result = run_cli("extract", str(tmp_path / "shown.html"), str(tmp_path / "scripted.html"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2 and all(PARAGRAPHS[1] in r["body"] for r in records)
    assert all("\\ud8" not in line and "\\udc" not in line for line in result.stdout.splitlines())


def test_a_backfill_writes_them_once_and_its_output_verifies(tmp_path: Path) -> None:
    with LocalSite() as site:
        site.routes["/a/1"] = Page(_page("Visit to the factory", body_in_json=False))
        site.routes["/a/2"] = Page(_page("Visit to the school", body_in_json=True))
        site.routes["/a/3"] = Page(article_page(3))
        site.routes["/feed"] = Page(rss([(f"Item {n}", site.url(f"/a/{n}"), "Mon, 02 Nov 2026 10:00:00 GMT")
                                         for n in (1, 2, 3)]), "application/rss+xml")
        write_sources(tmp_path / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                   "feeds": [site.url("/feed")]}])
        result = run_cli("backfill", "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("backfill: written=3 ")
    assert sorted(r["url"].rsplit("/", 1)[-1] for r in read_records(tmp_path / "output")) == ["1", "2", "3"]
    assert verify_output(tmp_path / "output").ok


def test_analyse_reads_json_lines_with_half_characters(tmp_path: Path) -> None:
    line = json.dumps({"id": "x\ud83d", "text": "\n\n".join(PARAGRAPHS) + " Kim Jong Un \udc00"})
    result = run_cli("analyse", cwd=tmp_path, stdin=(line + "\n").encode("utf-8", "surrogatepass"))
    assert result.returncode == 0, result.stderr
    [row] = [json.loads(text) for text in result.stdout.splitlines()]
    assert row["id"] == "x\ufffd" and row["language"]["code"] == "en"
    assert [name["canonical"] for name in row["names"]] == ["Kim Jong Un"]


def test_analyse_reports_each_bad_json_line_and_reads_the_rest(tmp_path: Path) -> None:
    good = json.dumps({"id": "good", "text": "\n\n".join(PARAGRAPHS), "languages": "en,ko"})
    lines = ['{"text": "hello world", "languages": 5}', '{"text": "hello", "languages": [1, null]}', '{"id": 1}',
             '{"text": 5}', "[1, 2]", "{not json", good]
    result = run_cli("analyse", cwd=tmp_path, stdin="\n".join(lines).encode())
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    errors = result.stderr.splitlines()
    assert [line.split(": ", 3)[2] for line in errors] == ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"]
    assert '"languages" must be a list of language codes' in errors[0]
    assert errors[3].endswith('a string "text", got int') and errors[4].endswith('a string "text", got list')
    assert "not JSON" in errors[5]
    [row] = [json.loads(text) for text in result.stdout.splitlines()]
    assert row["id"] == "good" and row["language"]["code"] == "en"


def test_a_json_line_is_one_line_for_every_reader() -> None:
    value = {"message": "a\u2028b\x85c\u2029d\ne", "title": "Kim\u2028Jong Un"}
    line = json_line(value)
    assert len(line.splitlines()) == 1 and "\u2028" not in line and "\x85" not in line
    assert json.loads(line) == value
