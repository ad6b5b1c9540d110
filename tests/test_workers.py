"""Extraction in worker processes decides exactly as one worker does."""

from __future__ import annotations

from pathlib import Path

from conftest import read_records, rss, run_cli, write_sources
from localsite import LocalSite, Page
from test_output_contract import article_page


def _site() -> LocalSite:
    site = LocalSite()
    items = []
    for number in range(16):
        site.routes[f"/a/{number}"] = Page(article_page(number))
        items.append((f"A{number}", site.url(f"/a/{number}"), f"{1 + number:02d} Oct 2025 00:00:00 GMT"))
        if number % 3 == 0:  # a copy in other chrome, published a little later
            copy = article_page(number).replace(b"<footer>(C) Test</footer>", b"<aside>Related</aside>")
            site.routes[f"/copy/{number}"] = Page(copy)
            items.append((f"C{number}", site.url(f"/copy/{number}"), f"{1 + number:02d} Oct 2025 06:00:00 GMT"))
    site.routes["/feed"] = Page(rss(items), "application/rss+xml")
    return site


def _decisions(output: Path) -> list[tuple[str, str | None, str, str]]:
    return sorted((r["url"].split("/", 3)[3], r["duplicate_of"], r["body"], (r.get("story") or {}).get("role", ""))
                  for r in read_records(output))


def test_two_workers_write_what_one_worker_writes(tmp_path: Path) -> None:
    results = []
    with _site() as site:
        for workers in ("1", "2"):
            workdir = tmp_path / f"w{workers}"
            workdir.mkdir()
            write_sources(workdir / "sources.toml", [{"id": "wire", "name": "Wire", "homepage": site.url("/"),
                                                      "feeds": [site.url("/feed")]}])
            result = run_cli("backfill", "--workers", workers, cwd=workdir)
            assert result.returncode == 0, result.stderr
            results.append(result.stdout.strip().splitlines()[-1])
            site.hits.clear()
    assert results[0] == results[1] == "backfill: written=22 duplicates=6 skipped=0"
    one, two = _decisions(tmp_path / "w1" / "output"), _decisions(tmp_path / "w2" / "output")
    assert one == two
    assert sum(1 for _, duplicate, _, _ in one if duplicate) == 6
