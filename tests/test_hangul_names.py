"""People named in Korean text (scraper/analyse/hangul_names.py), on real sentences annotated by others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.analyse import Analyser
from scraper.analyse.hangul_names import HangulPeople

FIXTURES = Path(__file__).parent / "fixtures" / "real" / "klue-ner"
SENTENCES = {s["id"]: s for s in json.loads((FIXTURES / "wikitree-dev-sentences.json").read_text(encoding="utf-8"))}

# The people each cue must find (every name here is one the annotators tagged as a person).
EXPECTED = {
    "klue-ner-v1_dev_00056-wikitree": {"윤병세"},  # an organisation between the name and its title
    "klue-ner-v1_dev_00248-wikitree": {"유승민", "주호영", "윤상현", "강길부", "안상수", "장제원", "이철규"},  # lists
    "klue-ner-v1_dev_02068-wikitree": {"김희숙", "이부영", "노회찬", "한명숙", "신인령", "표창원"},  # age, "·", 전
    "klue-ner-v1_dev_01974-wikitree": {"최민정"},  # 씨 attached
    "klue-ner-v1_dev_00228-wikitree": {"장윤주"},  # an age in brackets
    "klue-ner-v1_dev_00044-wikitree": {"이현도"},  # an occupation before, 씨 after
    "klue-ner-v1_dev_00356-wikitree": {"김국태", "김일성"},  # a title of an organisation's in one word
    "klue-ner-v1_dev_02810-wikitree": {"황교안"},
    "klue-ner-v1_dev_00210-wikitree": {"전재국"},  # 씨 attached to a name ending as an organisation's (국)
}


@pytest.fixture(scope="module")
def people() -> HangulPeople:
    return HangulPeople.load()


@pytest.mark.parametrize("sentence_id", sorted(SENTENCES))
def test_every_name_found_in_a_real_sentence_is_a_person_the_annotators_tagged(people: HangulPeople,
                                                                              sentence_id: str) -> None:
    sentence = SENTENCES[sentence_id]
    found = {p.name for p in people.find(sentence["text"])[0]}
    assert all(any(name in tagged for tagged in sentence["people"]) for name in found), found
    assert EXPECTED.get(sentence_id, set()) <= found


def test_sentences_naming_no_one_give_no_one(people: HangulPeople) -> None:
    quiet = [s for s in SENTENCES.values() if not s["people"]]
    assert len(quiet) == 5
    assert [p for s in quiet for p in people.find(s["text"])[0]] == []
    # someone unnamed ("최모(32)씨": Choe so-and-so) is no one's name either
    assert people.find(SENTENCES["klue-ner-v1_dev_00016-wikitree"]["text"])[0] == []


def test_a_name_is_counted_with_its_particles_and_its_surname_alone(people: HangulPeople) -> None:
    (person,) = people.find(SENTENCES["klue-ner-v1_dev_00228-wikitree"]["text"])[0]
    # "장윤주(35)씨가", "장윤주의 가슴이야기", then "장 씨가"
    assert (person.name, person.count, person.short_mentions) == ("장윤주", 2, 1)


def test_offices_ministries_and_places_before_a_title_are_no_names(people: HangulPeople) -> None:
    text = ("국방부 장관은 이날 회견을 열었다. 신임 장관과 차기 대통령, 정부 대변인이 참석했다. "
            "시리아 외무장관도 왔다. 유치원 원장을 입건했다.")
    assert people.find(text)[0] == []


def test_a_name_of_two_syllables_needs_a_title_that_only_people_have(people: HangulPeople) -> None:
    assert [p.name for p in people.find("김구 선생은 이렇게 말했다.")[0]] == ["김구"]
    assert people.find("홍보 고문으로 위촉됐다. 여야 대표가 만났다.")[0] == []


def test_a_surname_alone_counts_for_the_person_last_named_with_it(people: HangulPeople) -> None:
    # (an imitation written for this test, not a real article)
    text = ("정동영 통일부 장관은 12일 정은경 보건복지부 장관과 만났다. 정 장관은 협력을 강조했다. "
            "이어 정민호 대변인이 브리핑했다. 정 대변인은 질문에 답했다. "
            "김정은 위원장은 불참했다. 김 위원장은 침묵했다.")
    found, known = people.find(text, taken=[(text.index("김정은"), text.index("김정은") + 3)],
                               known=[("Kim Jong Un", "김정은")])
    counts = {p.name: (p.count, p.short_mentions) for p in found}
    # the first "정 장관" follows 정은경, named last with that surname; "정 대변인" follows 정민호
    assert counts == {"정동영": (1, 0), "정은경": (1, 1), "정민호": (1, 1)}
    assert known == {"Kim Jong Un": 1}


def test_odd_input_gives_no_one(people: HangulPeople) -> None:
    for text in ("", "씨", "장관", "은는이가", "ㄱㄴㄷ 장관", "\ud83d 장관", "김 " * 1000, "(45)씨", "김철수(",
                 ",,, 장관"):
        assert people.find(text)[0] == []


def test_a_title_is_shared_by_a_dozen_names_of_a_list_at_most(people: HangulPeople) -> None:
    # (each name of a list looks ahead for the title; bounded, a list of thousands is read in linear time)
    text = ", ".join(f"김{chr(0xAC00 + i)}{chr(0xAD00 + i)}" for i in range(3000)) + " 의원이 참석했다."
    found = people.find(text)[0]
    assert len(found) == 13  # the titled name and the twelve before it


def test_korean_analysis_lists_people_outside_the_alias_table() -> None:
    # (an imitation written for this test)
    text = ("이재명 대통령은 이날 청와대에서 정동영 통일부 장관과 회의를 가졌다고 강유정 대변인이 밝혔다. "
            "이 대통령은 평화가 우선이라고 말했다. 정 장관은 북한의 반응을 지켜보겠다고 했다.")
    analysis = Analyser().analyse_text(text)
    assert analysis.language.code == "ko"
    names = {group.canonical: group.count for group in analysis.names}
    assert names["Lee Jae-myung"] == 2  # the alias table's, "이 대통령" counted
    assert names["정동영"] == 2
    assert names["강유정"] == 1


def test_donji_written_onto_a_name_as_north_korea_prints_it(people: HangulPeople) -> None:
    # (an imitation of Rodong Sinmun's Korean, written for this test)
    text = ("경애하는 김정은동지께서 현지지도하시였다. 조선로동당 중앙위원회 비서 리일환동지, 박정천동지가 "
            "동행하였다. 리일환동지는 보고하였다. 그는 국어선생으로 일하였다.")
    start = text.index("김정은")
    found, known = people.find(text, taken=[(start, start + 3)], known=[("Kim Jong Un", "김정은")])
    assert {p.name: p.count for p in found} == {"리일환": 2, "박정천": 1}  # (not "국어", a teacher of Korean)
    assert known == {}


def test_a_surname_alone_goes_to_the_person_of_that_surname_and_title(people: HangulPeople) -> None:
    # (an imitation written for this test: two people surnamed 한, the surname then used alone with a title)
    text = ("장동혁 국민의힘 대표가 한동훈 전 대표를 제명했다. 한 전 대표는 반발했다. 한덕수 전 국무총리는 "
            "선고를 받았다. 한 전 대표를 지지하는 이들이 모였다. 장 대표로서는 부담이다. 한 전 총리는 침묵했다.")
    counts = {p.name: (p.count, p.short_mentions) for p in people.find(text)[0]}
    # the second "한 전 대표" comes after 한덕수 was named, yet it is 한동훈's title; "한 전 총리" is 한덕수's
    assert counts == {"장동혁": (1, 1), "한동훈": (1, 2), "한덕수": (1, 1)}
