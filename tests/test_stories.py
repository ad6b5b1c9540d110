"""Stories as a consumer sees them: split stories merged, one record per story by the documented jq rule, the same
story in other languages joined as translations, different stories kept apart, short reports only by title."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sqlite3
import subprocess
import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from conftest import record_schema
from test_dedup_index import OTHER as DEFECTOR_AID
from test_dedup_index import STORY, T0, file

from scraper.analyse import Analyser
from scraper.dedup import DedupOptions, DuplicateIndex
from scraper.dedup.anchors import Kind, cross_print, placed_anchors, sound_key
from scraper.records import Language, Publisher, Record
from scraper.sink import JsonlSink
from scraper.state import State
from scraper.urls import record_id

FLOOD = [
    "Heavy rain flooded large parts of the southern port city of Busan on Tuesday, cutting power to thousands of "
    "homes and forcing the closure of schools, roads and two subway lines, city officials said.",
    "The weather agency said more than 300 millimetres of rain had fallen in parts of the city since Monday "
    "evening, the most in a single day since records began in the early years of the last century.",
    "Rescue workers used boats to reach residents trapped in low-lying neighbourhoods near the river, and "
    "emergency shelters were opened in gymnasiums and community centres across the city.",
    "No deaths were reported, but the fire service said it had rescued dozens of people from cars caught in "
    "underpasses and from basement flats that filled with water within minutes.",
    "The interior ministry raised its disaster alert to the highest level for the region and sent officials "
    "to coordinate the response with the city government and the military.",
    "Forecasters warned that another band of heavy rain would reach the south coast overnight and urged "
    "people to stay away from rivers, mountain slopes and construction sites.",
    "Airlines cancelled most flights at the city's airport, and the national rail operator suspended "
    "high-speed services between Busan and the capital until the tracks could be inspected.",
    "Farmers in the surrounding province said the rain had flattened rice paddies weeks before the harvest, "
    "and local officials said they would assess the damage once the water receded.",
    "The president ordered ministers to mobilise all available resources and to make sure that aid reached "
    "families who had lost their homes, her office said in a statement.",
    "Scientists have warned that rainfall of this intensity is becoming more frequent in the region, and the "
    "city has been criticised for delaying work on new drains in its oldest districts.",
]
OTHER = DEFECTOR_AID[:4]  # another story of the same day, in four paragraphs

# One KCNA-style item in four of the languages KCNA publishes in (written for these tests), and another item of
# the same day in Russian that names the same leader and year.
VISIT = {
    "en": ("Kim Jong Un inspects munitions plant ahead of 2024 anniversary", [
        "Kim Jong Un inspected a munitions factory on March 2 and ordered it to build 1,500 new launchers by the "
        "end of 2024, state media said on Sunday.",
        "The plant in Jagang Province, which Kim visited for the third time in 18 months, will receive 2.5 billion "
        "won in new equipment, the report said.",
        "He said the factory had met 95 percent of its target last year and praised its 3,200 workers for what he "
        "called heroic efforts.",
        "The military of the South said it was watching the site and had seen preparations for a possible launch "
        "of the KN-25 rocket system within 48 hours.",
        "Analysts in Seoul said the visit was timed to the 76th anniversary of the founding of the army.",
    ]),
    "ru": ("Ким Чен Ын осмотрел военный завод накануне годовщины 2024 года", [
        "Ким Чен Ын 2 марта осмотрел военный завод и поручил до конца 2024 года выпустить 1 500 новых пусковых "
        "установок, сообщили в воскресенье государственные СМИ.",
        "Завод в провинции Чагандо, который Ким посетил в третий раз за 18 месяцев, получит новое оборудование на "
        "2,5 млрд вон, говорится в сообщении.",
        "По его словам, в прошлом году завод выполнил план на 95 процентов, и он похвалил 3200 рабочих за их "
        "героический труд.",
        "Военные Юга заявили, что следят за объектом и заметили подготовку к возможному пуску ракетной системы "
        "KN-25 в течение 48 часов.",
        "Аналитики в Сеуле отметили, что визит приурочен к 76-й годовщине основания армии.",
    ]),
    "ko": ("김정은, 2024년 기념일 앞두고 군수공장 현지지도", [
        "김정은 위원장이 3월 2일 군수공장을 현지지도하고 2024년 말까지 새 발사대 1500대를 생산하라고 지시했다고 "
        "국영 매체가 일요일 보도했다.",
        "김 위원장이 18개월 사이 세 번째로 찾은 자강도의 이 공장에는 25억 원 규모의 새 설비가 들어갈 것이라고 "
        "보도는 전했다.",
        "그는 공장이 지난해 목표의 95%를 달성했다며 3200명의 노동자들이 영웅적인 노력을 기울였다고 치하했다.",
        "남측 군은 현장을 감시하고 있으며 48시간 안에 KN-25 로켓 체계를 발사할 준비 움직임을 포착했다고 밝혔다.",
        "서울의 분석가들은 이번 방문이 군 창건 76주년에 맞춘 것이라고 말했다.",
    ]),
    "zh": ("金正恩在2024年纪念日前视察军工厂", [
        "据官方媒体周日报道，金正恩3月2日视察了一家军工厂，并下令在2024年底前生产1500台新发射装置。",
        "报道说，金正恩18个月内第三次视察位于慈江道的这家工厂，该厂将获得价值25亿韩元的新设备。",
        "他说该厂去年完成了目标的95%，并称赞3200名工人付出了英雄般的努力。",
        "韩方军队表示正在监视该地点，并发现可能在48小时内发射KN-25火箭系统的准备迹象。",
        "首尔的分析人士说，此次视察是为了配合建军76周年。",
    ]),
}
# A KCNA-style item whose people and places are in no names table (written for these tests): its Russian,
# Japanese and Korean versions spell them in their own script, and carry no number or date to link by.
VISIT_ZONE = {
    "en": ("Russian delegation led by Dmitry Patrushev arrives in Rason", [
        "A Russian government delegation led by Deputy Prime Minister Dmitry Patrushev arrived in Rason on a visit "
        "to the special economic zone, KCNA said.",
        "The delegation was met at the border by officials of the Rason People's Committee and toured the port of "
        "Rajin.",
        "Patrushev visited a fish processing plant run by the Primorye company Dalmoreprodukt and a new logistics "
        "centre.",
        "He also held talks with the chairman of the zone's management committee about agriculture and fisheries.",
        "Patrushev said the cooperation between Primorye and Rason would grow, according to the agency.",
    ]),
    "ru": ("Российская делегация во главе с Дмитрием Патрушевым прибыла в Расон", [
        "Правительственная делегация России во главе с вице-премьером Дмитрием Патрушевым прибыла в Расон с визитом "
        "в особую экономическую зону, сообщило ЦТАК.",
        "Делегацию на границе встретили представители народного комитета Расона, она осмотрела порт Раджин.",
        "Патрушев посетил рыбоперерабатывающий завод приморской компании Дальморепродукт и новый логистический "
        "центр.",
        "Он также провёл переговоры с председателем комитета по управлению зоной о сельском хозяйстве и рыболовстве.",
        "Патрушев заявил, что сотрудничество Приморья и Расона будет расширяться, сообщает агентство.",
    ]),
    "ja": ("ドミトリー・パトルシェフ副首相率いるロシア代表団が羅先に到着", [
        "朝鮮中央通信によると、ドミトリー・パトルシェフ副首相率いるロシア政府代表団が経済特区視察のため羅先に到着した。",
        "代表団は国境で羅先市人民委員会の関係者に出迎えられ、羅津港を視察した。",
        "パトルシェフ氏は沿海地方の企業ダリモレプロドゥクトが運営する水産加工場と新しい物流センターを訪れた。",
        "また、経済特区管理委員会の委員長と農業と漁業について会談した。",
        "パトルシェフ氏は沿海地方と羅先の協力が拡大すると述べたという。",
    ]),
    "ko": ("드미트리 파트루셰프 부총리가 이끄는 러시아 대표단 라선 도착", [
        "조선중앙통신에 따르면 드미트리 파트루셰프 부총리가 이끄는 러시아 정부 대표단이 경제특구를 방문하기 위해 "
        "라선에 도착했다.",
        "대표단은 국경에서 라선시 인민위원회 일꾼들의 영접을 받았으며 라진항을 돌아보았다.",
        "파트루셰프는 연해주 기업 달모레프로둑트가 운영하는 수산물 가공공장과 새 물류센터를 방문했다.",
        "그는 또 경제특구 관리위원회 위원장과 농업 및 수산업 문제를 논의했다.",
        "파트루셰프는 연해주와 라선의 협력이 확대될 것이라고 말했다고 통신은 전했다.",
    ]),
}
FARM_RU = ("Ким Чен Ын посетил сельскохозяйственную ферму в 2024 году", [
    "Ким Чен Ын посетил образцовую ферму в провинции Южная Хванхэ и призвал увеличить урожай риса, сообщили "
    "государственные СМИ.",
    "На ферме, где работают более 600 крестьян, в этом году построили новые теплицы и склады для зерна.",
    "Руководитель страны отметил, что механизация полей должна быть завершена в течение 2024 года.",
    "Он также осмотрел дома крестьян и вручил им подарки от имени партии.",
    "Визит стал частью кампании по развитию деревни, объявленной в начале года.",
])


def report(rid: str, paragraphs: list[str], *, source: str = "daily", at: datetime = T0, title: str = "",
           language: str = "en", analyser: Analyser | None = None) -> Record:
    url = f"https://{source}.example/{rid}"
    names = analyser.analyse(paragraphs).names if analyser is not None else ()
    return Record(
        id=record_id(source, url), url=url, canonical_url=url, source_id=source, source_name=source.title(),
        title=title, body="\n\n".join(paragraphs), authors=(), published_at=at, fetched_at=at,
        language=Language(language, 0.99), content_hash="sha256:" + "0" * 64, names=names,
    )


@pytest.fixture
def state(tmp_path: Path) -> State:
    return State(tmp_path / "state.sqlite")


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


# --- a split story merged ----------------------------------------------------------------------------------------
def split_story(index: DuplicateIndex, state: State, text: list[str] = STORY, at: datetime = T0
                ) -> tuple[Record, Record, Record]:
    """Two reports of one story that each miss the other (the first eight paragraphs, and the last seven: five in
    common, a little under the share that joins two texts), then the whole story, which holds both."""
    head = file(index, state, report("head", text[:8], source="wire", at=at))
    tail = file(index, state, report("tail", text[3:], source="paper", at=at + timedelta(hours=1)))
    whole = file(index, state, report("whole", text, source="daily", at=at + timedelta(hours=2)))
    return head, tail, whole


def test_a_report_that_matches_two_stories_merges_them_into_the_earlier(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    index = DuplicateIndex(state)
    head, tail, whole = split_story(index, state)
    assert head.story is not None and tail.story is not None and whole.story is not None
    assert tail.story.id == tail.id and tail.story.role == "first"  # the split: two stories
    assert whole.story.id == head.id and whole.story.merged == (tail.id,)
    assert whole.duplicate_of in (None, head.id)
    state.commit()
    # Later records carry the surviving id, whichever of the two stories they match; nothing written changes.
    later = file(index, state, report("later", STORY[4:], source="blog", at=T0 + timedelta(hours=3)))
    assert later.story is not None and later.story.id == head.id and later.story.merged == ()
    state.commit()
    assert state.stories.merged_stories() == [(tail.id, head.id)]
    state.close()
    reopened = State(tmp_path / "state.sqlite")  # the merge is in the store, not in memory
    assert reopened.stories.merged_stories() == [(tail.id, head.id)]
    again = file(DuplicateIndex(reopened), reopened, report("again", STORY[3:], source="other",
                                                             at=T0 + timedelta(hours=4)))
    assert again.story is not None and again.story.id == head.id


def test_a_round_up_of_two_stories_joins_one_and_merges_nothing(state: State) -> None:
    index = DuplicateIndex(state)
    missiles = file(index, state, report("missiles", STORY, source="wire"))
    aid = file(index, state, report("aid", OTHER, source="wire", at=T0 + timedelta(minutes=5)))
    roundup = file(index, state, report("roundup", [*STORY[:6], "In other news:", *OTHER[:2]],
                                        at=T0 + timedelta(hours=1)))
    assert roundup.story is not None and roundup.story.id == missiles.id and roundup.story.merged == ()
    next_aid = file(index, state, report("aid2", OTHER, source="paper", at=T0 + timedelta(hours=2)))
    assert next_aid.story is not None and next_aid.story.id == aid.id


def test_a_round_up_that_comes_before_its_own_story_does_not_chain_two_stories(state: State) -> None:
    """The aid story is in the index; a round-up of the missile story with the aid story's lead at its end comes
    before any report of the missile story. It must not join the aid story, and the missile story's reports must not
    follow it there."""
    index = DuplicateIndex(state)
    aid = file(index, state, report("aid", OTHER, source="wire"))
    roundup = file(index, state, report("roundup", [*STORY[:7], "In other news:", *OTHER[:2]], source="daily",
                                        at=T0 + timedelta(hours=1)))
    assert roundup.story is not None and roundup.story.id != aid.id
    missiles = file(index, state, report("missiles", STORY, source="wire", at=T0 + timedelta(hours=2)))
    brief = file(index, state, report("brief", STORY[:3], source="paper", at=T0 + timedelta(hours=3)))
    for record in (missiles, brief):
        assert record.story is not None and record.story.id != aid.id and record.story.merged == ()
    assert missiles.story is not None and brief.story is not None and missiles.story.id == brief.story.id
    later_aid = file(index, state, report("aid2", OTHER[:3], source="paper", at=T0 + timedelta(hours=4)))
    assert later_aid.story is not None and later_aid.story.id == aid.id and later_aid.story.merged == ()


LOCAL = [
    "Residents of the border town said they heard nothing on Saturday morning, and fishing boats went out as "
    "usual from the harbour while the news spread on their phones.",
    *STORY[:3],
    *FLOOD[5:9],
]


def test_a_wire_brief_inside_a_longer_local_story_is_a_copy(state: State) -> None:
    """A local story opens with a paragraph of its own, prints the wire's first three paragraphs and goes on
    with its own: the wire's story, whichever comes first."""
    index = DuplicateIndex(state)
    wire = file(index, state, report("wire", STORY, source="wire"))
    local = file(index, state, report("local", LOCAL, source="daily", at=T0 + timedelta(hours=1)))
    assert local.story is not None and local.story.id == wire.id and local.story.role == "copy"
    assert local.duplicate_of == wire.id


def test_a_local_story_that_came_first_is_merged_with_the_wire_story_that_holds_its_brief(state: State) -> None:
    """The local story with the wire brief comes first, a reworded copy of the wire story second (each misses the
    other), the wire story last: it holds both, and the three are one story."""
    index = DuplicateIndex(state)
    local = file(index, state, report("local", LOCAL, source="daily"))
    reworded = [paragraph.replace("said", "stated").replace("the", "a") for paragraph in STORY[3:]]
    copy = file(index, state, report("copy", ["Officials confirmed that the North fired missiles.", *reworded],
                                     source="paper", at=T0 + timedelta(hours=1)))
    wire = file(index, state, report("wire", STORY, source="wire", at=T0 + timedelta(hours=2)))
    assert local.story is not None and copy.story is not None and wire.story is not None
    assert copy.story.id == copy.id  # the split: two stories
    assert wire.story.id == local.id and wire.story.merged == (copy.id,)


def test_a_merged_record_matches_the_output_schema(state: State) -> None:
    *_, whole = split_story(DuplicateIndex(state), state)
    line = whole.to_dict()
    jsonschema.validate(line, record_schema())
    assert line["story"]["merged"] and Record.from_dict(line) == whole
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**line, "story": {**line["story"], "merged": []}}, record_schema())


# --- one record per story, by the README's jq rule ---------------------------------------------------------------
# The rule as the README gives it: resolve each story id through the merges later records announce, group by it,
# keep the report with the most text (a feed-only record last; revisions and tombstones carry no story).
ONE_PER_STORY = """
(map(select(.story.merged) | .story.id as $id | .story.merged[] | {key: ., value: $id}) | from_entries) as $into
| def resolve: if $into[.] then $into[.] | resolve else . end;
map(select(.story) | .story.id |= resolve)
| group_by(.story.id)[]
| max_by([(.feed_only | not), (.body | length)])
| {story: .story.id, id, length: (.body | length)}
"""


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_the_jq_rule_gives_one_record_per_story_and_its_longest_text(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite")
    sink = JsonlSink(tmp_path / "out")
    index = DuplicateIndex(state)
    written = []
    # A brief first, the full text later (an update, not a duplicate), a copy of the full text pointing at the
    # brief: the old rule ("drop records with duplicate_of") counts this story twice.
    for record in [report("brief", FLOOD[:3], source="wire"),
                   report("full", FLOOD, source="wire", at=T0 + timedelta(hours=1)),
                   report("copy", ["Most read", *FLOOD], source="paper", at=T0 + timedelta(hours=2)),
                   report("aid", OTHER, source="wire", at=T0 + timedelta(hours=2))]:
        written.append(file(index, state, record))
        sink.add(written[-1])
    sink.flush()
    state.commit()
    for record in split_story(index, state):  # a split story, merged by its third report
        written.append(record)
        sink.add(record)
    sink.close()
    lines = [json.loads(line) for segment in sorted((tmp_path / "out").glob("*/*/*/*.jsonl"))
             for line in segment.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 7
    assert sum(1 for line in lines if line["duplicate_of"] is None) > 3  # the old rule's overcount
    segments = sorted(str(path) for path in (tmp_path / "out").glob("*/*/*/*.jsonl"))
    out = subprocess.run(["jq", "-s", "-c", ONE_PER_STORY, *segments], capture_output=True, text=True, check=True)
    kept = [json.loads(line) for line in out.stdout.splitlines()]
    by_id = {record.id: record for record in written}
    assert len(kept) == 3  # the flood story (a brief, its update, a copy), the aid story, the split story
    longest = {entry["story"]: entry["id"] for entry in kept}
    full = by_id[record_id("wire", "https://wire.example/full")]
    assert longest[by_id[record_id("wire", "https://wire.example/brief")].id] in (
        full.id, record_id("paper", "https://paper.example/copy"))
    assert longest[record_id("wire", "https://wire.example/aid")] == record_id("wire", "https://wire.example/aid")
    assert longest[record_id("wire", "https://wire.example/head")] == record_id("daily", "https://daily.example/whole")
    state.close()


# --- the same story in other languages ---------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["ru", "ko", "zh"])
def test_a_version_in_another_language_joins_as_a_translation(state: State, analyser: Analyser,
                                                               language: str) -> None:
    index = DuplicateIndex(state)
    title, paragraphs = VISIT["en"]
    english = file(index, state, report("kcna-en", paragraphs, source="kcna-en", title=title, analyser=analyser))
    title, paragraphs = VISIT[language]
    other = file(index, state, report(f"kcna-{language}", paragraphs, source=f"kcna-{language}", title=title,
                                      language=language, at=T0 + timedelta(hours=3), analyser=analyser))
    assert other.story is not None and other.story.id == english.id and other.story.role == "translation"
    assert other.duplicate_of is None  # a translation is never a duplicate
    assert 0 < other.story.similarity <= 1
    jsonschema.validate(other.to_dict(), record_schema())


def test_translations_join_one_story_whichever_language_comes_first(state: State, analyser: Analyser) -> None:
    index = DuplicateIndex(state)
    filed = [file(index, state, report(f"kcna-{lang}", VISIT[lang][1], source=f"kcna-{lang}", title=VISIT[lang][0],
                                       language=lang, at=T0 + timedelta(minutes=20 * n), analyser=analyser))
             for n, lang in enumerate(["zh", "ko", "en", "ru"])]
    stories = {record.story.id for record in filed if record.story is not None}
    assert stories == {filed[0].id}
    assert [record.story.role for record in filed if record.story is not None] == ["first"] + ["translation"] * 3


@pytest.mark.parametrize("language", ["ru", "ja", "ko"])
def test_a_version_naming_people_only_in_its_own_script_joins_as_a_translation(state: State, analyser: Analyser,
                                                                                language: str) -> None:
    """No number, no date, no name of the names table: Patrushev, Патрушевым, パトルシェフ and 파트루셰프 sound alike
    (in Korean, which marks no names, by the sounds of its words), at the same places."""
    index = DuplicateIndex(state)
    title, paragraphs = VISIT_ZONE["en"]
    english = file(index, state, report("zone-en", paragraphs, source="kcna-en", title=title, analyser=analyser))
    title, paragraphs = VISIT_ZONE[language]
    other = file(index, state, report(f"zone-{language}", paragraphs, source=f"kcna-{language}", title=title,
                                      language=language, at=T0 + timedelta(hours=2), analyser=analyser))
    assert other.story is not None and other.story.id == english.id and other.story.role == "translation"
    assert other.duplicate_of is None


@pytest.mark.parametrize("language", ["ru", "ja", "ko"])
def test_the_english_version_joins_a_version_in_another_script_that_came_first(state: State, analyser: Analyser,
                                                                                language: str) -> None:
    index = DuplicateIndex(state)
    title, paragraphs = VISIT_ZONE[language]
    first = file(index, state, report(f"zone-{language}", paragraphs, source=f"kcna-{language}", title=title,
                                      language=language, analyser=analyser))
    title, paragraphs = VISIT_ZONE["en"]
    english = file(index, state, report("zone-en", paragraphs, source="kcna-en", title=title,
                                        at=T0 + timedelta(hours=2), analyser=analyser))
    # (A Korean report keeps the sounds of its longest words for the English report's names to be found among.)
    assert english.story is not None and english.story.id == first.id and english.story.role == "translation"


def test_names_sound_alike_in_every_script() -> None:
    sounds = {word: sound_key(word) for word in ("Patrushev", "Патрушев", "パトルシェフ", "파트루셰프", "Trump",
                                                 "Трамп", "トランプ", "트럼프", "ترامب", "特朗普")}
    assert len({sounds[word] for word in ("Patrushev", "Патрушев", "パトルシェフ", "파트루셰프")}) == 1
    assert len({sounds[word] for word in ("Trump", "Трамп", "トランプ", "트럼프", "ترامب", "特朗普")}) == 1
    assert sounds["Patrushev"] != sounds["Trump"]


def test_german_nouns_are_not_names() -> None:
    text = ["Die Abordnung besuchte am Dienstag die Fabrik in Rason und sprach mit Arbeitern über die Ernte.",
            "Nach Angaben von Patrushev soll die Zusammenarbeit mit der Sonderwirtschaftszone wachsen."]
    sounds = {anchor.text for anchor, _ in placed_anchors("", text, (), "de") if anchor.kind is Kind.SOUND}
    assert sounds == {sound_key("Rason"), sound_key("Patrushev")}


def test_two_stories_in_two_languages_stay_apart(state: State, analyser: Analyser) -> None:
    """The same leader and the same year, even the same paragraph count, are not the same story."""
    index = DuplicateIndex(state)
    title, paragraphs = VISIT["en"]
    file(index, state, report("kcna-en", paragraphs, source="kcna-en", title=title, analyser=analyser))
    title, paragraphs = FARM_RU
    farm = file(index, state, report("farm-ru", paragraphs, source="kcna-ru", title=title, language="ru",
                                     at=T0 + timedelta(hours=1), analyser=analyser))
    assert farm.story is not None and farm.story.role == "first" and farm.story.id == farm.id


def test_a_translation_days_later_is_not_linked(state: State, analyser: Analyser) -> None:
    index = DuplicateIndex(state, DedupOptions(xlang_window=timedelta(days=2)))
    file(index, state, report("kcna-en", VISIT["en"][1], source="kcna-en", title=VISIT["en"][0], analyser=analyser))
    late = file(index, state, report("kcna-ko", VISIT["ko"][1], source="kcna-ko", title=VISIT["ko"][0],
                                     language="ko", at=T0 + timedelta(days=5), analyser=analyser))
    assert late.story is not None and late.story.role == "first"


def test_amounts_dates_and_names_are_the_same_anchors_in_every_language(analyser: Analyser) -> None:
    prints = {lang: cross_print(title, paragraphs, [n.canonical for n in analyser.analyse(paragraphs).names])
              for lang, (title, paragraphs) in VISIT.items()}
    shared = set(prints["en"].values())
    for lang in ("ru", "ko", "zh"):
        shared &= set(prints[lang].values())
    # 1,500 / 1 500; 2.5 billion / 2,5 млрд / 25억 / 25亿; March 2 / 2 марта / 3월 2일 / 3月2日; Kim Jong Un / Ким Чен
    # Ын / 김정은 / 金正恩; KN-25; 2024; 18, 95, 48, 76
    assert len(shared) >= 10


# --- short reports -----------------------------------------------------------------------------------------------
BRIEF = "North Korea fired two cruise missiles off its west coast on Saturday, the JCS said."


def test_a_brief_with_only_shingle_overlap_does_not_join(state: State) -> None:
    index = DuplicateIndex(state)
    file(index, state, report("full", [BRIEF, *STORY[1:]], source="wire", title="N. Korea fires cruise missiles"))
    brief = file(index, state, report("brief", [BRIEF], source="daily", title="Missiles fired off west coast today"))
    assert brief.story is not None and brief.story.role == "first" and brief.duplicate_of is None


def test_a_brief_joins_by_title_publisher_time_and_entities_together(state: State) -> None:
    index = DuplicateIndex(state)
    title = "N. Korea fires 2 cruise missiles off west coast"
    full = file(index, state, report("full", [BRIEF, *STORY[1:]], source="wire", title=title))
    same = file(index, state, report("brief", [BRIEF], source="wire", title=title, at=T0 + timedelta(hours=1)))
    assert same.story is not None and same.story.id == full.id
    # The same publisher and title, but a number the story does not have: another event.
    other = file(index, state, report("brief2", [BRIEF.replace("Saturday", "Saturday, March 14,")], source="wire",
                                      title=title, at=T0 + timedelta(hours=2)))
    assert other.story is not None and other.story.role == "first"
    # Another publisher with the same title and words: short texts do not join across publishers by title.
    elsewhere = file(index, state, report("brief3", [BRIEF], source="daily", title=title, at=T0 + timedelta(hours=1)))
    assert elsewhere.story is not None and elsewhere.story.role == "first"


def test_an_aggregators_items_key_their_titles_on_the_publisher_it_names(state: State) -> None:
    """Two items of one aggregator feed (one source id) from two publishers are two publishers' titles."""
    index = DuplicateIndex(state)
    title = "Seoul says North fired cruise missiles into the Yellow Sea"
    one = replace(report("item1", [BRIEF], source="gnews", title=title), publisher=Publisher("Yonhap"))
    two = replace(report("item2", [BRIEF], source="gnews", title=title, at=T0 + timedelta(minutes=5)),
                  publisher=Publisher("Korea Herald"))
    file(index, state, one)
    second = file(index, state, two)
    assert second.story is not None and second.story.role == "first"


# --- the store ---------------------------------------------------------------------------------------------------
OLD_DEDUP_SCHEMA = """
CREATE TABLE dedup_stories (story INTEGER PRIMARY KEY, first_id TEXT NOT NULL, origin TEXT);
CREATE TABLE dedup_prints (fp INTEGER PRIMARY KEY, story INTEGER NOT NULL, at INTEGER NOT NULL,
    added INTEGER NOT NULL, words INTEGER NOT NULL, shingles INTEGER NOT NULL, signature BLOB NOT NULL,
    lead BLOB NOT NULL, starts BLOB NOT NULL, title_key INTEGER, xtitle_key INTEGER);
CREATE TABLE dedup_keys (key INTEGER NOT NULL, fp INTEGER NOT NULL, PRIMARY KEY (key, fp)) WITHOUT ROWID;
"""


def test_a_store_of_the_previous_version_opens_and_its_prints_still_match(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    state = State(path)
    first = file(DuplicateIndex(state), state, report("aid", OTHER, source="wire"))
    state.commit()
    state.close()
    # The same rows as the previous version kept them: no sample, language, anchors, shape or merges.
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT fp, story, at, added, words, shingles, signature, lead, starts, title_key,"
                          " xtitle_key FROM dedup_prints").fetchall()
        stories = db.execute("SELECT story, first_id, origin FROM dedup_stories").fetchall()
        keys = db.execute("SELECT key, fp FROM dedup_keys").fetchall()
        db.executescript("DROP TABLE dedup_prints; DROP TABLE dedup_stories; DROP TABLE dedup_keys;"
                         + OLD_DEDUP_SCHEMA)
        db.executemany("INSERT INTO dedup_prints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO dedup_stories VALUES (?, ?, ?)", stories)
        db.executemany("INSERT INTO dedup_keys VALUES (?, ?)", keys)
    state = State(path)
    index = DuplicateIndex(state)
    copy = file(index, state, report("copy", OTHER[:3], source="paper", at=T0 + timedelta(hours=1)))
    assert copy.duplicate_of == first.id
    split_story(index, state)
    state.commit()
    assert len(state.stories.merged_stories()) == 1
    state.close()


def test_pruning_keeps_a_story_while_stories_merged_into_it_have_reports(state: State) -> None:
    index = DuplicateIndex(state, DedupOptions(window=timedelta(days=30)))
    head = file(index, state, report("head", STORY[:8], source="wire"))
    # The second half arrives later, and the merging report later still: the head's print goes first.
    tail = index.assign(report("tail", STORY[3:], source="paper", at=T0 + timedelta(days=10)),
                        now=T0 + timedelta(days=10))
    whole = index.assign(report("whole", STORY, source="daily", at=T0 + timedelta(days=11)),
                         now=T0 + timedelta(days=11))
    assert tail.story is not None and whole.story is not None and whole.story.merged == (tail.id,)
    state.commit()
    assert index.prune(T0 + timedelta(days=31)) == 1  # the head's print
    late = index.assign(report("late", STORY[3:], source="blog", at=T0 + timedelta(days=12)),
                        now=T0 + timedelta(days=12))
    assert late.story is not None and late.story.id == head.id  # the story the tail was merged into lives on
    state.discard_staged()
    assert index.prune(T0 + timedelta(days=45), force=True) == 2
    with sqlite3.connect(state.path) as db:
        assert db.execute("SELECT count(*) FROM dedup_stories").fetchone()[0] == 0


def test_a_run_of_thousands_of_digits_is_no_amount_and_no_crash() -> None:
    # A page printing a hash or a code of 5,000 digits: int() refuses past 4,300 (the article was lost as an
    # extraction error); such a run is not an amount a story is told by.
    lines = ["The code was " + "7" * 5000 + " and 1.5 million won changed hands.", "Pi is 3." + "1" * 400]
    found = [anchor for anchor, _ in placed_anchors("Codes", lines)]
    assert [anchor.text for anchor in found if anchor.kind == Kind.NUMBER] == ["1500000"]


# --- recurring items: one template, many stories ------------------------------------------------------------------
YONHAP_COPIES = Path(__file__).parent / "fixtures" / "real" / "yonhap-en" / "naver-copies-2025-12"


def yonhap_copy(name: str) -> Record:
    """A real Yonhap English article as a third party's crawler saved it from Naver News (provenance.toml beside
    it): its title, when it was crawled, and its paragraphs."""
    text = (YONHAP_COPIES / f"001_{name}.md").read_text(encoding="utf-8")
    front, _, rest = text.partition("\n---\n")
    meta = dict(re.findall(r"^(\w+): (.*)$", front, re.M))
    body = rest.split("\n---\n")[1]
    paragraphs = [html.unescape(part).strip() for part in body.split("\n\n") if part.strip()]
    at = datetime.strptime(meta["crawled_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return report(name, paragraphs, source="yonhap", at=at, title=html.unescape(meta["title"].strip('"')))


def test_every_real_story_text_is_the_third_partys_file_it_names() -> None:
    provenance = tomllib.loads((YONHAP_COPIES / "provenance.toml").read_text(encoding="utf-8"))
    assert str(provenance["origin"]).startswith("github:") and provenance["captured_evidence"]
    listed = {entry["name"]: entry["blob"] for entry in provenance["file"]}
    assert listed.keys() == {path.name for path in YONHAP_COPIES.glob("*.md")}
    for name, blob in listed.items():
        content = (YONHAP_COPIES / name).read_bytes()
        assert hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest() == blob, name  # git's object id


def test_the_daily_rate_table_of_three_days_is_three_stories(state: State) -> None:
    # Yonhap's KORIBOR item is one text every day, its dateline and a few rates changed: each day's is a report of
    # its own, not a copy of the first day's (a consumer keeping one record per story kept one day of three).
    index = DuplicateIndex(state)
    filed = [file(index, state, yonhap_copy(name)) for name in ("0015818168", "0015820162", "0015825350")]
    assert all(record.story is not None for record in filed)
    assert len({record.story.id for record in filed if record.story is not None}) == 3
    assert [record.duplicate_of for record in filed] == [None, None, None]


def test_a_wire_story_and_its_updated_versions_stay_one_story(state: State) -> None:
    # Real update chains of one day: a story, then its (LEAD) and (2nd LD) versions, rewritten and longer.
    index = DuplicateIndex(state)
    chains = [("0015816895", "0015816999", "0015817060"), ("0015819488", "0015819643"),
              ("0015821183", "0015821308", "0015821381"), ("0015818159", "0015819366")]
    stories = []
    for chain in chains:
        filed = [file(index, state, yonhap_copy(name)) for name in chain]
        ids = {record.story.id for record in filed if record.story is not None}
        assert len(ids) == 1, chain
        stories.append(ids.pop())
    assert len(set(stories)) == 4


# Written for these tests (no capture of KCNA's greetings was found): its greetings to heads of state are one text
# with the president, the country, the day and the anniversary filled in.
GREETINGS = (
    "Kim Jong Un, general secretary of the Workers' Party of Korea and president of the State Affairs of the "
    "Democratic People's Republic of Korea, sent a message of greeting to {president}, president of {country}, on "
    "{day}.",
    "In the message, he extended warm congratulations and best wishes to the president and, through him, to the "
    "government and people of {country} on the occasion of the {years}th anniversary of the country's independence.",
    "Expressing the belief that the friendly and cooperative relations between the two countries would grow "
    "stronger in the common struggle for independence against imperialism and for peace, he wished the president "
    "greater success in his responsible work for the prosperity of the country and the well-being of its people.",
    "The message said that the Korean people are pleased with the successes achieved by the people of {country} in "
    "their efforts to defend the sovereignty of the country and build a new society.",
)


def greetings(rid: str, source: str, president: str, country: str, day: str, years: int) -> Record:
    lines = [line.format(president=president, country=country, day=day, years=years) for line in GREETINGS]
    return report(rid, lines, source=source, title=f"Kim Jong Un Sends Greetings to President of {country}")


def test_greetings_to_two_presidents_are_two_stories_and_a_mirror_joins_its_own(state: State) -> None:
    index = DuplicateIndex(state)
    nigeria = file(index, state, greetings("ng", "kcna", "Bola Ahmed Tinubu", "Nigeria", "October 1", 64))
    cyprus = file(index, state, greetings("cy", "kcna", "Nikos Christodoulides", "Cyprus", "October 1", 64))
    mirror = file(index, state, greetings("ng", "mirror", "Bola Ahmed Tinubu", "Nigeria", "October 1", 64))
    assert nigeria.story is not None and cyprus.story is not None and mirror.story is not None
    assert cyprus.story.id != nigeria.story.id and cyprus.duplicate_of is None
    assert mirror.story.id == nigeria.story.id and mirror.duplicate_of == nigeria.id
