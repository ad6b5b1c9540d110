"""The story index over a real state database: copies found, different articles not, roles, restarts, pruning."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from conftest import record_schema

from scraper.dedup import DedupOptions, DuplicateIndex
from scraper.dedup.anchors import Anchor, Kind, cross_print, sound_key
from scraper.dedup.index import _found_in, _longest_run, anchor_key, print_keys
from scraper.records import Language, Record
from scraper.state import State
from scraper.urls import record_id

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

STORY = [
    "North Korea fired two cruise missiles off its west coast on Saturday, the South's Joint Chiefs of Staff "
    "said, in the latest of a series of weapons tests the North has staged since the start of the year.",
    "The missiles were launched from an area near the port city of Nampo at around 8 a.m. and flew for about "
    "two hours before falling into the Yellow Sea, according to the JCS, which did not give a range.",
    "South Korean and U.S. intelligence authorities are analysing the details of the launch, the JCS said, "
    "adding that the military had stepped up surveillance and maintained a full readiness posture.",
    "The launch came two days after Pyongyang denounced a joint air exercise by Seoul and Washington as a "
    "rehearsal for invasion and warned of what it called strong countermeasures against the allies.",
    "Analysts in Seoul said the test appeared aimed at showing off the North's ability to strike naval "
    "targets, and that more launches were likely ahead of the allies' springtime field training.",
    "Cruise missiles fly at low altitude and can change course in flight, which makes them harder to "
    "detect and intercept than ballistic missiles, whose launches are banned by United Nations resolutions.",
    "The North's state media did not immediately report the launch. It usually carries accounts of weapons "
    "tests the following morning, often with photographs of leader Kim Jong Un watching from a command post.",
    "In January the North said it had tested a new type of strategic cruise missile designed to carry a "
    "nuclear warhead, a claim that outside experts said could not be independently verified.",
    "Japan's defence ministry said it was aware of reports of the launch and that no missile had fallen "
    "inside its exclusive economic zone. Tokyo lodged no protest, officials told reporters in the afternoon.",
    "Inter-Korean relations have been at their lowest point in years, with the North declaring the South "
    "its principal enemy and cutting off the roads and railways that once crossed the heavily armed border.",
]
OTHER = [
    "South Korea's unification ministry said on Monday it would resume funding for civic groups that send "
    "aid to North Korean defectors, reversing a cut made last year amid a row over budget priorities.",
    "The ministry said about 40 groups would receive grants this year to run job training, counselling and "
    "language classes for defectors, most of whom arrive in the South after years of living in China.",
    "Officials said the number of defectors reaching the South had fallen sharply since the pandemic, when "
    "the North sealed its border with China, and had recovered only slowly after travel resumed.",
    "Civic groups welcomed the decision but said the money would not make up for two years of lost "
    "support, during which several shelters closed and staff left for better-paid jobs in Seoul.",
    "The ministry also plans to open a new settlement centre in the southern port of Busan next year, "
    "officials said, to ease crowding at the main facility south of the capital.",
]


def report(rid: str, paragraphs: list[str], *, source: str = "daily", at: datetime = T0, title: str = "",
           source_name: str | None = None) -> Record:
    url = f"https://{source}.example/{rid}"
    return Record(
        id=record_id(source, url), url=url, canonical_url=url,
        source_id=source, source_name=source_name or source.title(), title=title, body="\n\n".join(paragraphs),
        authors=(), published_at=at, fetched_at=at, language=Language("en", 0.99), content_hash="sha256:" + "0" * 64,
    )


@pytest.fixture
def state(tmp_path: Path) -> State:
    return State(tmp_path / "state.sqlite")


def file(index: DuplicateIndex, state: State, record: Record) -> Record:
    """What the pipeline does: assign a story, then stage the record beside its print (filed when fetched)."""
    result = index.assign(record, now=record.fetched_at)
    state.stage(result, (result.canonical_url,))
    return result


def test_a_truncated_copy_on_another_outlet_is_found(state: State) -> None:
    index = DuplicateIndex(state)
    first = file(index, state, report("full", STORY, source="yonhap"))
    state.commit()
    brief = file(index, state, report("brief", ["Share this article", *STORY[:2], "Advertisement"]))
    assert first.story is not None and first.story.role == "first" and first.duplicate_of is None
    assert brief.duplicate_of == first.id
    assert brief.story is not None and brief.story.role == "copy" and brief.story.id == first.id
    assert brief.story.similarity > 0.9  # the brief's text is all in the full story


def test_a_two_paragraph_brief_of_a_long_story_is_found(state: State) -> None:
    """Under a tenth of the story's text: MinHash alone misses such briefs, the lead's exact shingles do not."""
    mirrored = [" ".join(reversed(paragraph.split())) for paragraph in STORY + OTHER]  # more distinct text
    index = DuplicateIndex(state)
    first = file(index, state, report("long", STORY + OTHER + mirrored, source="wire"))
    brief = file(index, state, report("brief", STORY[:2], source="daily"))
    assert brief.duplicate_of == first.id and brief.story is not None and brief.story.similarity > 0.9


@pytest.mark.parametrize("edit", ["chrome", "byline", "lead", "reorder"])
def test_edited_copies_are_found(state: State, edit: str) -> None:
    paragraphs = list(STORY)
    if edit == "chrome":
        paragraphs = ["Home > World > Asia", "Subscribe to our newsletter for daily news.", *paragraphs, "Most read"]
    elif edit == "byline":
        paragraphs = ["By Josh Smith", "SEOUL, March 2 (Reuters) - " + paragraphs[0], *paragraphs[1:]]
    elif edit == "lead":
        paragraphs[0] = paragraphs[0].replace("two cruise missiles", "several cruise missiles").replace(
            "in the latest of", "the latest in")
    else:
        paragraphs = [paragraphs[3], *paragraphs[:3], *paragraphs[4:8], paragraphs[9], paragraphs[8]]
    index = DuplicateIndex(state)
    first = file(index, state, report("wire", STORY, source="wire"))
    copy = file(index, state, report("copy", paragraphs))
    assert copy.duplicate_of == first.id and copy.story is not None and copy.story.role == "copy"


def test_a_different_article_is_not_a_duplicate(state: State) -> None:
    index = DuplicateIndex(state)
    file(index, state, report("a", STORY))
    # The same lead sentence with a different story after it is not a copy either.
    mixed = file(index, state, report("b", [STORY[0], *OTHER]))
    other = file(index, state, report("c", OTHER[1:]))
    assert mixed.duplicate_of is None and mixed.story is not None and mixed.story.role == "first"
    assert other.duplicate_of == mixed.id  # but that story's tail is a copy of it: all its text is there


def test_the_index_survives_a_restart(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    first = file(DuplicateIndex(state), state, report("full", STORY))
    state.commit()
    state.close()

    state = State(tmp_path / "state.sqlite")
    copy = file(DuplicateIndex(state), state, report("copy", STORY[:3], source="other", at=T0 + timedelta(days=1)))
    assert copy.duplicate_of == first.id


def test_an_uncommitted_report_is_not_remembered(tmp_path: Path) -> None:
    """The segment holding a report failed to write: the index must not claim it either."""
    state = State(tmp_path / "state.sqlite")
    index = DuplicateIndex(state)
    file(index, state, report("lost", STORY))
    state.discard_staged()
    again = file(index, state, report("again", STORY))
    assert again.duplicate_of is None
    state.commit()
    state.close()
    state = State(tmp_path / "state.sqlite")
    assert state.stories.count_prints() == 1


def test_copies_within_one_batch_find_each_other(state: State) -> None:
    index = DuplicateIndex(state)
    first = file(index, state, report("one", STORY))
    copy = file(index, state, report("two", STORY, source="other"))  # nothing committed yet
    assert copy.duplicate_of == first.id


def test_a_longer_report_of_the_same_story_is_an_update_not_a_duplicate(state: State) -> None:
    index = DuplicateIndex(state)
    brief = file(index, state, report("brief", STORY[:3], source="wire"))
    full = file(index, state, report("full", STORY, source="wire", at=T0 + timedelta(hours=2)))
    copy = file(index, state, report("copy", ["Most read", *STORY], source="daily", at=T0 + timedelta(hours=3)))
    second_brief = file(index, state, report("brief2", STORY[:4], source="other", at=T0 + timedelta(hours=4)))
    assert full.story is not None and full.story.role == "update" and full.story.id == brief.id
    assert full.duplicate_of is None  # it carries news: never dropped as a duplicate
    assert copy.story is not None and copy.story.role == "copy" and copy.duplicate_of == brief.id
    # Four paragraphs are more than the first brief, but the story has them all already.
    assert second_brief.story is not None and second_brief.story.role == "copy"


def test_pruning_forgets_reports_older_than_the_window(state: State) -> None:
    index = DuplicateIndex(state, DedupOptions(window=timedelta(days=30)))
    file(index, state, report("old", STORY))
    file(index, state, report("other", OTHER, at=T0 + timedelta(days=20)))
    state.commit()
    assert index.prune(T0 + timedelta(days=31)) == 1
    assert index.prune(T0 + timedelta(days=31, minutes=5)) == 0  # at most once per prune_every
    assert state.stories.count_prints() == 1
    late = file(index, state, report("late", STORY, source="other", at=T0 + timedelta(days=20)))
    assert late.duplicate_of is None
    with sqlite3.connect(state.path) as db:
        assert db.execute("SELECT count(*) FROM dedup_stories").fetchone()[0] == 1
        # The other's keys alone: 16 bands, 3 windows, and its anchors (numbers, names...) for translations.
        (other,) = state.stories.prints([db.execute("SELECT fp FROM dedup_prints").fetchone()[0]])
        anchors = len(print_keys(other, 30)) - 16 - 3
        assert 0 < anchors <= 16
        assert db.execute("SELECT count(*) FROM dedup_keys").fetchone()[0] == 16 + 3 + anchors
        assert db.execute("SELECT count(*) FROM dedup_keys WHERE typeof(key) != 'integer'").fetchone()[0] == 0


def test_pruning_goes_by_filing_time_so_an_archive_backfill_keeps_its_prints(state: State) -> None:
    index = DuplicateIndex(state, DedupOptions(window=timedelta(days=30)))
    filed = T0 + timedelta(days=400)  # a WARC captured a year before the backfill reads it
    index.assign(report("old-capture", STORY), now=filed)
    state.commit()
    assert index.prune(filed + timedelta(minutes=1)) == 0
    late = index.assign(report("old-copy", STORY, source="other"), now=filed + timedelta(hours=2))
    assert late.duplicate_of is not None


def test_reports_further_apart_than_the_window_are_not_one_story(state: State) -> None:
    index = DuplicateIndex(state, DedupOptions(window=timedelta(days=7)))
    file(index, state, report("march", STORY))
    later = file(index, state, report("april", STORY, source="other", at=T0 + timedelta(days=8)))
    assert later.duplicate_of is None


def test_short_texts_are_matched_by_outlet_title_and_time_only(state: State) -> None:
    index = DuplicateIndex(state)
    words = "North Korea fired two cruise missiles off its west coast on Saturday, the military said."
    title = "N. Korea fires cruise missiles off west coast"
    first = file(index, state, report("s1", [words], source="wire", title=title))
    elsewhere = file(index, state, report("s2", [words], source="daily", title=title))
    same_outlet = file(index, state, report("s3", [words + " More soon."], source="wire", title=title,
                                            at=T0 + timedelta(hours=1)))
    next_week = file(index, state, report("s4", [words], source="wire", title=title, at=T0 + timedelta(days=7)))
    assert elsewhere.duplicate_of is None  # same words, but short texts are not matched by shingles
    assert same_outlet.duplicate_of == first.id
    assert next_week.duplicate_of is None
    # The full story from the same outlet under the same title extends the short one.
    full = file(index, state, report("s5", STORY, source="wire", title=title, at=T0 + timedelta(hours=2)))
    assert full.story is not None and full.story.role == "update" and full.story.id == first.id


def test_empty_texts_are_never_duplicates(state: State) -> None:
    index = DuplicateIndex(state)
    one = file(index, state, report("e1", ["Home", "Share"], title="Photo of the day in Pyongyang city"))
    two = file(index, state, report("e2", ["Home", "Share"], title="Photo of the day in Pyongyang city"))
    assert one.duplicate_of is None and two.duplicate_of is None
    assert two.story is not None and two.story.id == two.id and two.story.role == "first"


def test_the_story_knows_its_origin_even_when_the_wire_comes_later(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    index = DuplicateIndex(state)
    uncredited = file(index, state, report("daily", STORY, source="daily"))
    credited = file(index, state, report("paper", [*STORY[:4], "Yonhap"], source="paper"))
    state.commit()
    state.close()
    state = State(tmp_path / "state.sqlite")
    index = DuplicateIndex(state)
    later = file(index, state, report("blog", STORY[:5], source="blog"))
    wire = file(index, state, report("wire", STORY, source="yonhap-en", source_name="Yonhap News Agency"))
    assert uncredited.story is not None and uncredited.story.origin is None
    assert credited.story is not None and credited.story.origin == "Yonhap"
    assert later.story is not None and later.story.origin == "Yonhap" and later.duplicate_of == uncredited.id
    assert wire.story is not None and wire.story.origin == "Yonhap" and wire.duplicate_of == uncredited.id


def test_a_dateline_credit_starts_the_story_with_its_origin(state: State) -> None:
    index = DuplicateIndex(state)
    first = file(index, state, report("kcna", ["PYONGYANG, March 2 (KCNA) -- " + STORY[0], *STORY[1:]]))
    assert first.story is not None and first.story.origin == "KCNA"


def test_records_with_a_story_match_the_output_schema(state: State) -> None:
    index = DuplicateIndex(state)
    file(index, state, report("a", STORY))
    copy = file(index, state, report("b", STORY[:3], source="other"))
    line = copy.to_dict()
    jsonschema.validate(line, record_schema())
    assert line["story"] == {"id": record_id("daily", "https://daily.example/a"), "role": "copy",
                             "similarity": line["story"]["similarity"], "origin": None}
    assert Record.from_dict(line) == copy


def test_the_exact_overlap_counts_the_shared_shingles_of_any_two_sets() -> None:
    """The lead check counts, with one binary search per value, what np.isin would count (the verified share
    of a text decides copy or not: an off-by-one at an array's end would misjudge reports at the threshold)."""
    rng = np.random.default_rng(7)
    values = rng.permutation(65536).astype(np.uint16)  # distinct: common ones first, then each side's own
    for only_a, only_b, common in [(0, 5, 0), (5, 0, 0), (0, 0, 1), (440, 68, 60), (0, 372, 128), (40, 40, 0),
                                   (0, 0, 300)]:
        shared = values[:common]
        a = np.unique(np.concatenate([shared, values[common:common + only_a]]))
        b = np.unique(np.concatenate([shared, values[common + only_a:common + only_a + only_b]]))
        assert _found_in(a, b) == _found_in(b, a) == int(np.count_nonzero(np.isin(a, b))) == common
    top = np.array([65535], dtype=np.uint16)  # past the end of the other set: the search lands beyond it
    assert _found_in(top, np.array([3, 9], dtype=np.uint16)) == 0
    assert _found_in(np.array([0, 65535], dtype=np.uint16), np.array([0, 65535], dtype=np.uint16)) == 2


def test_the_longest_run_says_where_it_starts() -> None:
    ordered = np.array([9, 1, 2, 3, 8, 4, 5, 6, 7, 0], dtype=np.uint16)
    assert _longest_run(ordered, np.array([1, 2, 3, 4, 5, 6, 7], dtype=np.uint16)) == (4, 5)
    assert _longest_run(ordered, np.array([11, 12], dtype=np.uint16)) == (0, 0)
    assert _longest_run(ordered[:0], np.array([1], dtype=np.uint16)) == (0, 0)


def test_a_korean_report_is_filed_under_the_sounds_of_its_longest_words(state: State) -> None:
    """Hangul marks no names: the index keeps the sounds of a Korean report's longest words, and files it under
    a few of them, so an English report naming Patrushev finds it (and compares its names with those sounds)."""
    korean = ["조선중앙통신에 따르면 드미트리 파트루셰프 부총리가 이끄는 러시아 정부 대표단이 경제특구를 "
              "방문하기 위해 라선에 도착했다.",
              "파트루셰프는 연해주 기업 달모레프로둑트가 운영하는 수산물 가공공장과 새 물류센터를 방문했다.",
              "그는 또 경제특구 관리위원회 위원장과 농업 및 수산업 문제를 논의했다."]
    record = replace(report("zone-ko", korean * 2, source="kcna-ko"), language=Language("ko", 0.99))
    index = DuplicateIndex(state)
    index.assign(record, now=T0)
    cross = cross_print("", korean * 2, (), "ko")
    heard = cross.heard_at()
    patrushev = Anchor(Kind.SOUND, sound_key("Patrushev")).value()
    assert patrushev in heard and not cross.values()  # heard, not an anchor of its own
    row = state.stories.prints([1])[0]
    assert anchor_key(patrushev) in print_keys(row, DedupOptions().min_words)


def test_a_delegations_arrival_and_departure_in_the_same_words_are_two_stories(state: State) -> None:
    # Real KCNA English (a third party's archive, tests/fixtures/real/kcna-en, provenance beside it): "arrived here by
    # air on Thursday" and, days later, "left here for home by air on Oct. 15", the rest of the sentence the same. The
    # departure was filed as a copy of the arrival: a reader who drops copies lost it.
    folder = Path(__file__).parent / "fixtures" / "real" / "kcna-en"
    items = {item["headline"]: item for item in json.loads(
        (folder / "stiles-archive-2024-10-21-arrivals-departures.json").read_text(encoding="utf-8"))}
    index = DuplicateIndex(state)

    def filed(headline: str, number: int, source: str = "kcna", hours: int = 0) -> Record:
        item = items[headline]
        at = datetime.fromtimestamp(item["date"] / 1000, UTC) + timedelta(hours=hours)
        return file(index, state, report(f"{source}{number}", item["story_text"].split("\n"), source=source,
                                         title=item["headline"], at=at))

    for arrives, leaves in (("Japanese Delegation Here", "Japanese Delegation Leaves"),
                            ("Home-visiting Group of Koreans in Japan Arrives Here",
                             "Home-visiting Group of Koreans in Japan Leaves Pyongyang")):
        first = filed(arrives, 1)
        departure = filed(leaves, 2)
        assert departure.duplicate_of is None and departure.story is not None and departure.story.role == "first"
        # a mirror's copy of either is still that report's copy
        for original, number in ((first, 3), (departure, 4)):
            copy = filed(original.title, number, source="mirror", hours=5)
            assert copy.duplicate_of == original.id and copy.story is not None and copy.story.role == "copy"


def test_a_day_of_the_week_is_read_in_each_script_and_kept_apart_from_the_anchors() -> None:
    thursday = {("The delegation arrived here on Thursday.", "en"), ("Die Delegation traf am Donnerstag ein.", "de"),
                ("La délégation est arrivée jeudi.", "fr"), ("Делегация прибыла в четверг.", "ru"),
                ("대표단이 목요일 도착했다.", "ko"), ("代表团星期四抵达。", "zh"), ("代表団は木曜日に到着した。", "ja"),
                ("On THURSDAY'S flight the delegation arrived.", "en"), ("The delegation arrived on Thursday.", None)}
    found = [set(cross_print("", [text], (), language).weekdays()) for text, language in thursday]
    assert all(len(days) == 1 for days in found) and len(set.union(*found)) == 1
    # in English only English days: a brand named "Mardi Mercredi" is no Tuesday
    assert not cross_print("", ["The fashion brand Mardi Mercredi filed for a review today."], (), "en").weekdays()
    # neither an anchor (no translation is found or linked by one) nor a word inside another ("Thursdays" is one)
    plain = cross_print("", ["The delegation led by Yoko Hayashi arrived here on Oct. 10."])
    dated = cross_print("", ["The delegation led by Yoko Hayashi arrived here on Oct. 10, a Thursday."])
    assert dated.values() == plain.values() and plain.weekdays() == {}
    assert cross_print("", ["Mondayville and Sundayer are no days."]).weekdays() == {}
    assert not cross_print("", ["环境保护周一次会议举行。"]).weekdays()  # 周一 is not read: 一周一次, "once a week"


def test_one_short_brief_at_two_addresses_is_one_story(state: State) -> None:
    # Real KCNA English (a third party's archive, tests/fixtures/real/kcna-en, provenance beside it): a 25-word photo
    # brief listed at two addresses the same day under a three-word title, too short for the title to decide.
    folder = Path(__file__).parent / "fixtures" / "real" / "kcna-en"
    items = json.loads((folder / "stiles-archive-2024-11-10-brief-two-addresses.json").read_text(encoding="utf-8"))
    index = DuplicateIndex(state)
    at = datetime.fromtimestamp(items[0]["date"] / 1000, UTC)
    filed = [file(index, state, replace(report(f"k{n}", [item["story_text"]], source="kcna", title=item["headline"],
                                               at=at), url=item["link"], canonical_url=item["link"]))
             for n, item in enumerate(items)]
    assert filed[1].duplicate_of == filed[0].id and filed[1].story is not None and filed[1].story.role == "copy"
    # One word other, the same brief a week later, or on another outlet, is another report (short texts do not
    # join across publishers).
    text, title = items[0]["story_text"], items[0]["headline"]
    other = file(index, state, report("k3", [text.replace("more tractors", "more trucks")], source="kcna", title=title,
                                      at=at + timedelta(hours=2)))
    later = file(index, state, report("k4", [text], source="kcna", title=title, at=at + timedelta(days=7)))
    elsewhere = file(index, state, report("k5", [text], source="mirror", title=title, at=at + timedelta(hours=1)))
    assert other.duplicate_of is None and later.duplicate_of is None and elsewhere.duplicate_of is None
