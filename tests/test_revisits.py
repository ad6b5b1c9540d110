"""Articles read again after they were written: an edit is one revision record with its diff, a page that is gone
one tombstone, a page whose only change is a view counter nothing. Against a local outlet on 127.0.0.1 whose pages
change between polls."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from conftest import read_records, record_schema, run_cli
from localsite import LocalSite, Page
from test_output_contract import article_page

from scraper.analyse import Analyser
from scraper.config import load_settings
from scraper.fetch import Fetcher
from scraper.pipeline import Pipeline
from scraper.revisit import change, gone_to_front_page, trivial
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.summary import Summary
from scraper.verify import verify_output

REVISIT_EVERY = 1.0  # seconds: a "day" between two readings of an article (the store keeps whole seconds)


def _page(title: str, paragraphs: list[str], views: int | None = None) -> bytes:
    counter = f"<p>This article has been read {views} times.</p>" if views is not None else ""
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return (f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1>{body}{counter}</article><footer>(C) Test</footer></body></html>").encode()


PARAGRAPHS = [
    "The delegation led by the vice-minister arrived in the capital on Tuesday for three days of talks on trade, "
    "fisheries and the reopening of the border crossing that has been closed since the spring floods.",
    "Officials said the talks would also cover the supply of fertiliser for the coming season and the repair of "
    "the railway bridge damaged in August, which both sides described as the most pressing matter.",
    "A joint statement is expected at the end of the visit, according to the foreign ministry, which gave no "
    "further details of the programme or of the members of the delegation accompanying the vice-minister.",
]
EDITED = [PARAGRAPHS[0], PARAGRAPHS[1].replace("most pressing matter", "least urgent of the questions"),
          PARAGRAPHS[2], "The vice-minister was later replaced as head of the delegation by the first deputy "
          "premier, the ministry said in a second statement on Wednesday evening."]


def _listing(numbers: list[int]) -> bytes:
    items = "".join(f"<li><a href='/a/{n}'>Report {n}</a></li>" for n in numbers)
    return f"<html><body><ul class='news'>{items}</ul></body></html>".encode()


def _sources(tmp_path: Path, base: str, **extra: str) -> Path:
    lines = "\n".join(f'{key} = "{value}"' for key, value in extra.items())
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[defaults]
delay = "10ms"
retries = 0
allow_private = ["127.0.0.0/8"]
revisit_every = "{int(REVISIT_EVERY * 1000)}ms"
{lines}
[[outlet]]
id = "wire"
name = "Wire"
homepage = "{base}/"
article_url = '/a/\\d+$'
[[outlet.listings]]
url = "{base}/list"
""", encoding="utf-8")
    return path


def _setup(tmp_path: Path, site: LocalSite) -> tuple[str, Path, State, JsonlSink]:
    """The site's base URL, a sources.toml of one outlet on it, a state store and an output."""
    base = site.url("")
    return base, _sources(tmp_path, base), State(tmp_path / "state.sqlite"), JsonlSink(tmp_path / "out")


async def _first_poll(pipeline: Pipeline, settings_path: Path) -> Summary:
    summary = await pipeline.poll(load_settings(settings_path).sources[0])
    pipeline.flush()
    return summary


async def _poll(pipeline: Pipeline, settings_path: Path) -> Summary:
    time.sleep(REVISIT_EVERY + 0.1)  # the articles written are due to be read again
    return await _first_poll(pipeline, settings_path)


async def test_an_edit_is_one_revision_a_deletion_one_tombstone_and_a_view_counter_nothing(tmp_path: Path) -> None:
    site = LocalSite({
        "/": Page(b"<html><body><h1>Front page</h1></body></html>"),
        "/list": Page(_listing([1, 2, 3, 4, 5, 6])),
        "/a/1": Page(_page("Talks open in the capital", PARAGRAPHS)),
        "/a/2": Page(article_page(2)),
        "/a/3": Page(_page("Fisheries talks", [p.replace("talks", "meetings") for p in PARAGRAPHS], views=1203)),
        "/a/4": Page(article_page(4)),
        "/a/5": Page(article_page(5)),
        "/a/6": Page(article_page(6)),
    })
    with site:
        base, config, state, sink = _setup(tmp_path, site)
        async with Fetcher() as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            first = await _first_poll(pipeline, config)
            assert first.written == 6
            unchanged = await _poll(pipeline, config)  # read again: nothing changed, nothing written
            assert (unchanged.written, unchanged.revised, unchanged.deleted) == (0, 0, 0)
            assert site.hits["/a/1"] == 2

            site.routes["/a/1"] = Page(_page("Talks open in the capital", EDITED))  # edited on the server
            site.routes["/a/2"] = Page(b"gone", "text/plain", 404)  # removed
            site.routes["/a/3"] = Page(_page("Fisheries talks", [p.replace("talks", "meetings") for p in PARAGRAPHS],
                                             views=1388))  # only its view counter moved
            site.routes["/a/4"] = Page(b"", status=302, headers={"Location": "/"})  # sent to the front page
            # Dropped from the listing, and its URL serves an empty shell: gone on the second such reading.
            site.routes["/list"] = Page(_listing([1, 2, 3, 4, 6]))
            site.routes["/a/5"] = Page(b"<html><body><div id='content'></div></body></html>")
            site.routes["/a/6"] = Page(b"busy", "text/plain", 503)  # a bad moment, not a deletion
            changed = await _poll(pipeline, config)
            assert (changed.revised, changed.deleted) == (1, 2)
            again = await _poll(pipeline, config)
            assert (again.revised, again.deleted) == (0, 1)  # /a/5: unlisted, and no article twice in a row
            quiet = await _poll(pipeline, config)
            assert (quiet.written, quiet.revised, quiet.deleted) == (0, 0, 0)  # each change written once
            pipeline.close()
        stats = {row["outlet"]: row for row in state.outlets.outlet_stats(datetime.now(UTC))}
        sink.close()
        state.close()

    records = read_records(tmp_path / "out")
    by_url: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_url.setdefault(record["url"].removeprefix(base), []).append(record)
    originals = {path: rows[0] for path, rows in by_url.items()}
    assert all(rows[0]["revision"] is None and rows[0]["deleted"] is None for rows in by_url.values())
    assert "read 1203 times" in originals["/a/3"]["body"]  # the counter is in the text: a real test of triviality

    [original, revision] = by_url["/a/1"]
    assert revision["id"] == original["id"] and revision["revision"]["number"] == 1
    assert revision["revision"]["previous_content_hash"] == original["content_hash"]
    assert revision["content_hash"] != original["content_hash"] and "first deputy premier" in revision["body"]
    assert revision["revision"]["words_added"] >= 25 and 3 <= revision["revision"]["words_removed"] <= 6
    assert revision["story"] is None and revision["duplicate_of"] is None

    assert len(by_url["/a/3"]) == 1 and len(by_url["/a/6"]) == 1  # the counter, the 503: nothing
    [_, deleted] = by_url["/a/2"]
    assert deleted["deleted"]["how"] == "http_404" and deleted["id"] == originals["/a/2"]["id"]
    assert deleted["body"] == "" and deleted["title"] == ""
    assert deleted["content_hash"] == originals["/a/2"]["content_hash"]  # the text that is gone
    [_, home] = by_url["/a/4"]
    assert home["deleted"]["how"] == "redirect_home"
    [_, unlisted] = by_url["/a/5"]
    assert unlisted["deleted"]["how"] == "unlisted_unreachable"

    schema = record_schema()
    for record in records:
        jsonschema.validate(record, schema)
    assert verify_output(tmp_path / "out").ok
    assert (stats["wire"]["revisions"], stats["wire"]["deleted"]) == (1, 3)
    shown = run_cli("--config", str(config), "--state", str(tmp_path / "state.sqlite"), "stats", "--json",
                    cwd=tmp_path)
    row = json.loads(shown.stdout.splitlines()[0])
    assert (row["revisions"], row["deleted"]) == (1, 3)
    table = run_cli("--config", str(config), "--state", str(tmp_path / "state.sqlite"), "stats", cwd=tmp_path)
    header, line = table.stdout.splitlines()[:2]
    columns = dict(zip(re.split(r"\s{2,}", header), re.split(r"\s{2,}", line), strict=False))
    assert (columns["outlet"], columns["revised"], columns["deleted"]) == ("wire", "1", "3")


async def test_an_article_read_again_after_a_crash_is_not_revised_twice(tmp_path: Path) -> None:
    """A revision on disk whose state commit was lost is recovered at start-up: the next reading compares with
    it, and writes nothing more."""
    site = LocalSite({"/list": Page(_listing([1])), "/a/1": Page(_page("Talks open", PARAGRAPHS))})
    with site:
        config = _sources(tmp_path, site.url(""))
        state = State(tmp_path / "state.sqlite")
        sink = JsonlSink(tmp_path / "out")
        async with Fetcher() as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            await pipeline.poll(load_settings(config).sources[0])
            pipeline.flush()
            site.routes["/a/1"] = Page(_page("Talks open", EDITED))
            time.sleep(REVISIT_EVERY + 0.1)
            summary = await pipeline.poll(load_settings(config).sources[0])
            assert summary.revised == 1
            sink.flush()  # on disk; the state store never hears of it (a crash here)
            state.discard_staged()
            pipeline.close()
        sink.close()
        state.close()

        state = State(tmp_path / "state.sqlite")
        sink = JsonlSink(tmp_path / "out")
        async with Fetcher() as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            assert pipeline.reconcile({}) == 1
            again = await _poll(pipeline, config)
            pipeline.close()
        sink.close()
        state.close()
    assert again.revised == 0
    revisions = [r for r in read_records(tmp_path / "out") if r["revision"]]
    assert len(revisions) == 1 and verify_output(tmp_path / "out").ok


async def test_a_site_whose_every_article_is_gone_at_once_has_moved_or_fails_and_deletes_nothing(
        tmp_path: Path) -> None:
    """A redesign that moved every article without redirects, or a CDN answering 404 for everything for an hour:
    each article read again is "gone". Tombstones are for ever (a deleted report is never read again), so a batch
    in which nearly all are gone at once writes none: the outlet is reported (`problems`, /healthz) and the
    articles are read again next time. When the pages are back, the report clears and nothing was written; when
    they stay gone, the third reading in a row writes their tombstones."""
    numbers = list(range(1, 9))
    site = LocalSite({"/list": Page(_listing(numbers)), **{f"/a/{n}": Page(article_page(n)) for n in numbers}})
    with site:
        _, config, state, sink = _setup(tmp_path, site)
        async with Fetcher() as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            assert (await _first_poll(pipeline, config)).written == 8
            for n in numbers:  # the site moved its pages; the listing still answers (with the old links, cached)
                site.routes[f"/a/{n}"] = Page(b"<html><body><h1>404</h1></body></html>", status=404)
            moved = await _poll(pipeline, config)
            problems = pipeline.problems()
            for n in numbers:
                site.routes[f"/a/{n}"] = Page(article_page(n))
            back = await _poll(pipeline, config)
            after = pipeline.problems()
            assert all(record["deleted"] is None for record in read_records(tmp_path / "out"))
            # Gone for good (an archive wiped, a move that lost them): held twice, written on the third reading.
            for n in numbers:
                site.routes[f"/a/{n}"] = Page(b"", status=410)
            readings = [(await _poll(pipeline, config)).deleted for _ in range(4)]
            pipeline.close()
        sink.close()
        state.close()
    assert (moved.deleted, moved.written) == (0, 0)
    [problem] = problems
    assert problem.startswith("wire: 8 of the 8 articles read again are gone at once (http_404=8)")
    assert (back.deleted, back.revised, back.written) == (0, 0, 0) and after == []
    assert readings == [0, 0, 8, 0]
    tombstones = [record for record in read_records(tmp_path / "out") if record["deleted"]]
    assert len(tombstones) == 8 and {record["deleted"]["how"] for record in tombstones} == {"http_410"}


async def test_an_article_redirected_to_another_page_is_gone_not_revised_into_that_page(tmp_path: Path) -> None:
    """A removed article whose URL now sends to a related article or to its section: that page's text is no
    revision of it (read daily, a section would be a new "revision" every day); the article is gone. A redirect to
    its own page at another address (https, a new slug) with its text is no change at all."""
    site = LocalSite({"/list": Page(_listing([1, 2, 3])), "/a/1": Page(article_page(1)),
                      "/a/2": Page(article_page(2)), "/a/3": Page(article_page(3)),
                      "/politics": Page(_listing([7, 8, 9]) + article_page(9))})
    with site:
        base, config, state, sink = _setup(tmp_path, site)
        async with Fetcher() as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            assert (await _first_poll(pipeline, config)).written == 3
            site.routes["/a/1"] = Page(b"", status=301, headers={"Location": "/politics"})  # to its section
            site.routes["/a/2"] = Page(b"", status=301, headers={"Location": "/a/3"})  # to a related article
            site.routes["/a/3"] = Page(b"", status=301, headers={"Location": "/a/3-new-slug"})  # itself, moved
            site.routes["/a/3-new-slug"] = Page(article_page(3))
            moved = await _poll(pipeline, config)
            again = await _poll(pipeline, config)
            pipeline.close()
        sink.close()
        state.close()
    assert (moved.deleted, moved.revised) == (2, 0) and (again.deleted, again.revised) == (0, 0)
    deleted = {record["url"].removeprefix(base): record["deleted"]["how"]
               for record in read_records(tmp_path / "out") if record["deleted"]}
    assert deleted == {"/a/1": "redirect_elsewhere", "/a/2": "redirect_elsewhere"}


def test_revisits_can_be_turned_off_and_bad_values_are_named(tmp_path: Path) -> None:
    with LocalSite() as site:
        off = load_settings(_sources(tmp_path, site.url(""), revisit_for="7d").parent / "sources.toml")
    assert off.sources[0].revisit_for == 7 * 86400
    path = tmp_path / "sources.toml"
    path.write_text(path.read_text().replace(f'revisit_every = "{int(REVISIT_EVERY * 1000)}ms"',
                                             'revisit_every = "off"'), encoding="utf-8")
    assert load_settings(path).sources[0].revisit_every is None
    path.write_text(path.read_text().replace('revisit_every = "off"', 'revisit_every = "daily"'), encoding="utf-8")
    checked = run_cli("--config", str(path), "sources", "check", cwd=tmp_path)
    assert checked.returncode != 0 and "revisit_every" in checked.stderr


def test_what_counts_as_a_change() -> None:
    text = "Alpha beta gamma delta.\n\nViews: 1203\n\nEpsilon zeta eta theta iota kappa lambda mu."
    assert trivial(text, text.replace("1203", "1388"))  # a counter in a short line
    assert trivial(text, text.replace("Alpha beta", "alpha  beta,"))  # case, spacing, punctuation
    assert not trivial(text, text.replace("gamma", "omega"))
    long_line = "The ministry said 14 people were detained in the province after the protest on Monday night."
    assert not trivial(long_line, long_line.replace("14", "41"))  # a number in a sentence is news
    assert (change("a b c d", "a x c d e").added, change("a b c d", "a x c d e").removed) == (2, 1)
    assert gone_to_front_page("https://x.kp/", "https://x.kp/a/1", "https://x.kp/")
    assert gone_to_front_page("https://x.kp/en/index.php", "https://x.kp/a/1", "https://x.kp/en/index.php")
    assert not gone_to_front_page("https://x.kp/a/1/", "https://x.kp/a/1", "https://x.kp/")
    assert not gone_to_front_page("https://x.kp/a/2", "https://x.kp/a/1", "https://x.kp/")
    assert not gone_to_front_page("https://x.kp/?p=7", "https://x.kp/a/7", "https://x.kp/")  # WordPress's plain links
    assert gone_to_front_page("https://x.kp/en/index.php", "https://x.kp/a/1", "https://x.kp/en/index.php")
    assert not gone_to_front_page("https://x.kp/en/index.php?MTJA", "https://x.kp/a/1", "https://x.kp/en/index.php")


async def test_a_change_is_written_once_while_its_segment_is_still_open(tmp_path: Path) -> None:
    """Polls more often than segments close (an interval under segment_seconds): the revision and the tombstone
    are not written again by the polls before the segment is committed."""
    site = LocalSite({"/list": Page(_listing([1, 2])), "/a/1": Page(_page("Talks open", PARAGRAPHS)),
                      "/a/2": Page(article_page(2))})
    with site:
        config = _sources(tmp_path, site.url(""))
        state = State(tmp_path / "state.sqlite")
        sink = JsonlSink(tmp_path / "out")
        async with Fetcher() as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            await pipeline.poll(load_settings(config).sources[0])
            pipeline.flush()
            site.routes["/a/1"] = Page(_page("Talks open", EDITED))
            site.routes["/a/2"] = Page(b"gone", "text/plain", 410)
            summaries = []
            for _ in range(3):  # no flush between them: the segment stays open
                time.sleep(REVISIT_EVERY + 0.1)
                summaries.append(await pipeline.poll(load_settings(config).sources[0]))
            pipeline.flush()
            pipeline.close()
        sink.close()
        state.close()
    assert [(s.revised, s.deleted) for s in summaries] == [(1, 1), (0, 0), (0, 0)]
    assert verify_output(tmp_path / "out").ok


SOFT_404 = (b"<html><head><title>Page not found | Wire</title></head><body><nav><a href='/'>Home</a></nav><main>"
            b"<h1>Sorry, this page could not be found</h1><p>The page you requested may have been moved or deleted. "
            b"Try searching our site or return to the homepage.</p></main><footer>(C) Wire</footer></body></html>")


async def test_a_not_found_page_served_with_200_is_a_deletion_not_a_revision_nor_a_record(tmp_path: Path) -> None:
    """Many sites answer a removed article with their "Page not found" page and status 200. Read again, the
    article is gone (a tombstone), not revised into "Sorry, this page could not be found"; a new link that
    answers so is skipped, not written as an article."""
    site = LocalSite({"/list": Page(_listing([1, 2])), "/a/1": Page(_page("Talks open in the capital", PARAGRAPHS)),
                      "/a/2": Page(article_page(2))})
    with site:
        base, config, state, sink = _setup(tmp_path, site)
        async with Fetcher() as fetcher:
            pipeline = Pipeline(fetcher, state, sink, Analyser())
            first = await _first_poll(pipeline, config)
            site.routes["/a/1"] = Page(SOFT_404)  # removed on the server, status 200
            site.routes["/list"] = Page(_listing([1, 2, 3]))
            site.routes["/a/3"] = Page(SOFT_404)  # listed, but not there (yet)
            changed = await _poll(pipeline, config)
            pipeline.close()
        sink.close()
        state.close()
    assert first.written == 2
    assert (changed.written, changed.revised, changed.deleted) == (0, 0, 1)
    assert changed.skips["not_found_page"] == 1
    by_url: dict[str, list[dict[str, Any]]] = {}
    for record in read_records(tmp_path / "out"):
        by_url.setdefault(record["url"].removeprefix(base), []).append(record)
    assert set(by_url) == {"/a/1", "/a/2"}
    [original, gone] = by_url["/a/1"]
    assert gone["deleted"]["how"] == "not_found_page" and gone["id"] == original["id"] and gone["body"] == ""
    for record in by_url["/a/1"]:
        jsonschema.validate(record, record_schema())
