"""Translation artefacts: each signal, the seeds, bad input, the residue cleaner and the command."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import run_cli

from scraper.analyse import Analyser, ResidueCleaner, analyse_texts
from scraper.analyse.patterns import phrase_alternation
from scraper.analyse.residue import INTERFACE, MENU, read_list
from scraper.analyse.translation import (
    _ASCII_LOOKALIKES,
    find_calques,
    mixed_script_sentences,
    parse_calques,
    required_words,
    word_key,
)
from scraper.records import Language, Record

FIXTURES = Path(__file__).parent / "fixtures" / "analyse"
SEED_002 = (FIXTURES / "seed-002-machine-translated-zh.txt").read_text(encoding="utf-8")
SEED_000 = (FIXTURES / "seed-000-yonhap-en.txt").read_text(encoding="utf-8")
FILLER = ("The delegation toured a factory and a school before returning to the capital in the evening, "
          "where officials held a dinner for the visitors at a hotel near the river.")


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


def kinds(analysis_signals: tuple[object, ...]) -> dict[str, list[str]]:
    return {s.kind: list(s.evidence) for s in analysis_signals}  # type: ignore[attr-defined]


def test_seed_002_is_flagged_with_names_calques_and_menu(analyser: Analyser) -> None:
    translation = analyser.analyse_text(SEED_002, ("en",)).translation
    assert translation.suspected
    assert translation.score >= 0.8  # statistics, two name groups, calques and a menu
    assert translation.likely_source_language == "zh"
    signals = kinds(translation.signals)
    assert "Reyzhenkov / Rezhenkov / Ryzhenkov" in signals["name_variants"]
    assert "Choe Sun Hui / Choi Sun Hui / Choi Sun-hee" in signals["name_variants"]
    assert "It is worth noting that" in signals["calque"]
    assert any(e.lower().startswith("public opinion") for e in signals["calque"])
    assert any(e.startswith("한어Русский язык") for e in signals["ui_residue"])


def test_seed_000_is_not_flagged(analyser: Analyser) -> None:
    analysis = analyser.analyse_text(SEED_000, ("en",))
    assert analysis.language.code == "en"
    assert not analysis.translation.suspected
    assert "name_variants" not in kinds(analysis.translation.signals)
    assert "calque" not in kinds(analysis.translation.signals)


def test_name_variants_alone_are_a_signal_but_not_a_verdict(analyser: Analyser) -> None:
    text = (f"Foreign Minister Ryzhenkov arrived in Pyongyang. {FILLER} Reyzhenkov said the visit "
            f"was important. {FILLER}")
    translation = analyser.analyse_text(text).translation
    assert kinds(translation.signals) == {"name_variants": ["Reyzhenkov / Ryzhenkov"],
                                          "statistics": ["not judged: 72 words, the statistics need 80"]}
    assert 0 < translation.score < 0.5 and not translation.suspected


def test_calques_name_their_source_language(analyser: Analyser) -> None:
    # Under 80 words the statistics do not judge, and the calques weigh on their own.
    text = (f"It is worth noting that the talks lasted two hours. {FILLER} Public opinion noted the "
            f"timing. Public information shows the trip is the first of its kind.")
    translation = analyser.analyse_text(text).translation
    assert translation.suspected
    assert translation.likely_source_language == "zh"
    assert kinds(translation.signals)["calque"] == ["It is worth noting that", "Public opinion noted",
                                                    "Public information shows"]


def test_local_time_counts_only_without_a_clock_time(analyser: Analyser) -> None:
    calques = analyser.calques
    assert any(c.label == "local time" for c, _ in find_calques("He arrived on July 23, local time.", "en", calques))
    assert not any(c.label == "local time"
                   for c, _ in find_calques("He arrived at 14:30 local time.", "en", calques))


def test_calques_are_data_and_checked_when_loaded() -> None:
    (calque,) = parse_calques('source_language = "ko"\n[[calque]]\nphrase = "it is analysed that"\n', "x.toml")
    assert calque.language == "ko" and calque.pattern.search("It is  analysed that")
    with pytest.raises(ValueError, match=r"x\.toml: calque #1"):
        parse_calques('source_language = "ko"\n[[calque]]\nweight = 1.0\n', "x.toml")


@pytest.mark.parametrize(("regex", "words", "choices"), [
    ("it is (?:known|said|told) that", {"it", "is", "that"}, [{"known"}, {"said"}, {"told"}]),
    ("attach(?:es|ed)? great importance to", {"great", "importance", "to"}, None),
    (r"on the \d+(?:st|nd|rd|th)\b(?! of)", {"on", "the"}, None),
    ("(?:respected|dear respected) (?:comrade )?kim", set(), [{"respected"}, {"dear", "respected"}]),
    (r"win-win\s+cooperation", {"win", "cooperation"}, None), (r"win\s*cooperation", set(), None),
    ("colou?r of", {"of"}, None), ("a ?b", set(), None), ("a|b c", set(), None),
    (r"the [a-z]+ side", {"the", "side"}, None), ("x{2} y", {"y"}, None),
])
def test_calque_words_are_those_every_match_holds(regex: str, words: set[str],
                                                  choices: list[set[str]] | None) -> None:
    found, groups = required_words(regex)
    assert found == words
    assert [set(map(frozenset, group)) for group in groups] == ([{frozenset(c) for c in choices}] if choices else [])


def test_calques_found_with_their_words_are_those_every_search_finds(analyser: Analyser) -> None:
    # The word check only skips searches that would fail: on texts built to hold each calque (and each
    # near miss), the calques found are those a search of every pattern finds.
    texts = [SEED_002, SEED_000, FILLER]
    for calque in analyser.calques:
        example = calque.label if calque.label.isascii() and "(" not in calque.label else None
        if example:
            texts += [f"{FILLER} {example.upper()} and so on.", f"x{example}", f"{example}s"]
    texts += ["Respected Comrade Kim spoke.", "Dear respected Kim spoke.", "good development momentum",
              "On the 23rd the talks began.", "IT İS SAİD THAT it was ſaid", "The north side", "the North Side.",
              "It was revealed that the reporter expressed his position on it.", "attached great importance to"]
    for text in texts:
        expected = [(c.label, m.group()) for c in analyser.calques if c.target == "en" and (m := c.pattern.search(text))
                    and not (c.unless == "clock_time" and re.search(r"\d{1,2}[:.]\d{2}", text))]
        assert [(c.label, printed) for c, printed in find_calques(text, "en", analyser.calques)] == expected, text


def test_a_calque_that_is_an_alternation_is_searched_as_written() -> None:
    # The look-behind binds only the first branch of "a b|c d": the scan must not change that.
    (calque,) = parse_calques('source_language = "zh"\n[[calque]]\npattern = "good talks|xsaid [(|]so"\n', "x.toml")
    assert calque.scan is None and calque.words == frozenset()
    assert [printed for _, printed in find_calques("He xxsaid (so.", "en", [calque])] == ["xsaid (so"]


def test_words_spelt_with_ascii_look_alikes_count_as_the_ascii_word() -> None:
    # re.IGNORECASE matches these to ASCII letters, so a calque's words must match them too.
    letter = re.compile("[a-z]", re.IGNORECASE)
    lookalikes = {chr(code) for code in range(128, sys.maxunicode + 1) if letter.fullmatch(chr(code))}
    assert lookalikes == set(map(chr, _ASCII_LOOKALIKES))
    for char in lookalikes:
        assert re.fullmatch(word_key(char), char, re.IGNORECASE)
    assert word_key("İT") == "it" and word_key("Said") == "said"


@pytest.mark.parametrize("name", ["language_names.txt", "interface_strings.txt"])
def test_a_phrase_trie_matches_as_the_alternation_it_replaces(name: str) -> None:
    phrases = read_list(name)
    flat = re.compile("|".join(re.escape(p).replace(r"\ ", r"\s+")
                               for p in sorted(set(phrases), key=len, reverse=True)), re.IGNORECASE)
    trie = re.compile(phrase_alternation(phrases), re.IGNORECASE)
    texts = [SEED_002, SEED_000, " | ".join(phrases), "".join(phrases)]
    for phrase in phrases:
        texts += [phrase.upper(), phrase.lower() + "x", phrase[:-1], phrase.replace(" ", "  \n ")]
    for text in texts:
        assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)], text[:80]
    assert phrase_alternation([]) == "(?!)"


def test_mixed_scripts_inside_a_sentence(analyser: Analyser) -> None:
    text = f"The 朝鲜 delegation met the minister in the morning. {FILLER} {FILLER}"
    signals = kinds(analyser.analyse_text(text).translation.signals)
    assert signals["mixed_script"][0].startswith("朝鲜: The 朝鲜 delegation")
    assert analyser.analyse_text(text).translation.likely_source_language == "zh"


def test_a_gloss_in_brackets_is_not_mixed_script(analyser: Analyser) -> None:
    text = f"Kim Jong Un (김정은) inspected the plant (0/250자). {FILLER} {FILLER}"
    assert "mixed_script" not in kinds(analyser.analyse_text(text).translation.signals)


@pytest.mark.parametrize("sentence", [
    "According to WНO data, more than 55 million people suffer from the disease.",  # a Cyrillic Н typed in WHO
    "The daytime temperature in the capital will be between 22°С and 24°С, forecasters said.",
    "Readers can find the figures on the official site стопкоронавирус.рф every morning.",
    "He shouted О! and the crowd in the square answered him at once.",
])
def test_a_look_alike_letter_or_a_domain_name_is_not_mixed_script(analyser: Analyser, sentence: str) -> None:
    text = f"{sentence} {FILLER} {FILLER}"
    assert "mixed_script" not in kinds(analyser.analyse_text(text).translation.signals)
    foreign = f"{text} Minister Рыженков arrived in Minsk."
    assert "mixed_script" in kinds(analyser.analyse_text(foreign).translation.signals)


@pytest.mark.parametrize(("sentence", "marks"), [
    ("The temperature in the city reached 35℃ on Monday afternoon.", "℃"),
    ("○ The ministry said it would release the figures next week.", "○"),
    ("The company sold 2,000㎡ of office space【Exclusive】this year.", "㎡【】"),
    ("Prime Minister Mohammed·bin Salman received the delegation on Friday.", "·"),
    ("The minister said （in a statement） that the talks would go on.", "（）"),
    ("He said the ⁇ programme would be expanded next year.", "⁇"),
])
def test_east_asian_typesetting_left_in_english_is_mixed_script(analyser: Analyser, sentence: str,
                                                                  marks: str) -> None:
    translation = analyser.analyse_text(f"{FILLER} {sentence} {FILLER}").translation
    evidence = kinds(translation.signals)["mixed_script"]
    assert evidence == [f"{marks}: {sentence}"]
    assert translation.likely_source_language is None  # marks shared by three languages name none of them
    assert 0.15 < translation.score < 0.5  # one sentence is a hint, not a verdict


@pytest.mark.parametrize("sentence", [
    "Markets · Sport · Culture: the sections were redesigned last year, the editor said.",  # a separator
    "The daytime temperature will be between 22°C and 24°C, forecasters said on Monday.",
    "The report – published on Monday – said “exports rose” by 5% in the third quarter.",
])
def test_english_typography_is_not_mixed_script(analyser: Analyser, sentence: str) -> None:
    translation = analyser.analyse_text(f"{FILLER} {sentence} {FILLER}").translation
    assert "mixed_script" not in kinds(translation.signals)


def test_east_asian_marks_are_native_in_chinese_japanese_and_korean() -> None:
    for language, sentence in [("ja", "政府は、来週○日に発表する。"), ("zh", "会议于【北京】举行，气温35℃。"),
                               ("ko", "남북·북미 회담이 열렸다 ※ 참고 바람.")]:
        assert mixed_script_sentences([sentence], language) == []
    assert mixed_script_sentences(["La col·lecció del museu és molt gran i bonica."], "ca") == []  # Catalan l·l
    assert mixed_script_sentences(["Он сказал：да, мы придём завтра."], "ru") == [
        ("Он сказал：да, мы придём завтра.", "：")]


def test_menu_is_removed_from_the_paragraph_and_returned() -> None:
    cleaner = ResidueCleaner.default()
    paragraphs = ["news", "한어Русский языкEnglishFrançaisIndonesianSanskrit日本語Deutsch",
                  "English | 한국어 | 日本語 | 中文\nThe minister arrived on Tuesday.",
                  "The talks went well, she said. Share on Facebook Share on Twitter Email Print"]
    kept, removed = cleaner.strip(paragraphs)
    assert kept == ("news", "The minister arrived on Tuesday.", "The talks went well, she said.")
    assert [(r.kind, r.paragraph) for r in removed] == [(MENU, 1), (MENU, 2), (INTERFACE, 3)]
    assert removed[0].text.startswith("한어Русский язык")


def test_interface_strings_are_looked_for_only_at_an_edge_that_holds_one() -> None:
    # `_edge` is searched only in paragraphs that start or end with an interface string; no paragraph
    # it would find something in is passed over.
    cleaner = ResidueCleaner.default()
    paragraphs = [*SEED_002.split("\n"), *SEED_000.split("\n"), "Print this. The end", "The end. Print Email",
                  "Share on Facebook Share on Twitter the end", "» Share Print «", "x Email Print !"]
    for paragraph in paragraphs:
        if list(cleaner._edge.finditer(paragraph)):
            assert cleaner._starts_ui.match(paragraph) or cleaner._ends_ui.match(paragraph[::-1]), paragraph


def test_prose_naming_languages_or_one_button_word_is_kept() -> None:
    cleaner = ResidueCleaner.default()
    paragraphs = ["The agency publishes in English, French and Spanish.",
                  "Readers can print the report or share it by email.",
                  "The Englishman spoke Deutsch and Français badly."]
    assert cleaner.strip(paragraphs) == (tuple(paragraphs), ())


@pytest.mark.parametrize("text", ["", "Pyongyang", "!!! ...", "12 345 6789", "한어Русский языкEnglishFrançais"])
def test_bad_input_is_und_without_flags(analyser: Analyser, text: str) -> None:
    analysis = analyser.analyse_text(text)
    assert analysis.language == Language("und", 0.0)
    assert not analysis.translation.suspected and analysis.translation.signals == ()
    assert analysis.names == ()


def test_analyse_command_reads_json_lines_and_plain_text(analyser: Analyser) -> None:
    lines = io.StringIO(json.dumps({"id": "a", "text": SEED_002}) + "\nnot json\n"
                        + json.dumps({"id": "b", "text": "hello"}) + "\n")
    errors: list[int] = []
    results = list(analyse_texts(lines, analyser, on_error=lambda n, _: errors.append(n)))
    assert [r["id"] for r in results] == ["a", "b"] and errors == [2]
    assert results[0]["translation"]["suspected"] and results[1]["language"]["code"] == "und"
    every = list(analyse_texts(io.StringIO(json.dumps({"text": "hello"})), analyser, every_text=True))
    assert every[0]["language"]["code"] == "en"
    # Plain text is one document, however many paragraphs: an article saved as text.
    plain = list(analyse_texts(io.StringIO(SEED_002), analyser, name="seed-002.txt"))
    assert len(plain) == 1 and plain[0]["id"] == "seed-002.txt" and plain[0]["translation"]["suspected"]
    assert list(analyse_texts(io.StringIO("\n\n"), analyser)) == []
    too_long: list[str] = []
    assert list(analyse_texts(io.StringIO("word " * 1_100_000), analyser,
                              on_error=lambda _, reason: too_long.append(reason))) == []
    assert too_long and "JSON lines" in too_long[0]


def test_analyse_command_takes_files_of_either_kind_and_names_each(tmp_path: Path) -> None:
    (tmp_path / "many.jsonl").write_text(json.dumps({"id": "de", "text": "Der Minister kam am Dienstag an."}) + "\n"
                                         + json.dumps({"id": "ko", "text": "북한 외무상이 도착했다."}) + "\n")
    result = run_cli("analyse", str(FIXTURES / "seed-002-machine-translated-zh.txt"), str(tmp_path / "many.jsonl"),
                     str(tmp_path / "missing.txt"), str(FIXTURES / "seed-000-yonhap-en.txt"), cwd=tmp_path)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["id"]).name for r in rows] == ["seed-002-machine-translated-zh.txt", "de", "ko",
                                                  "seed-000-yonhap-en.txt"]
    assert [r["translation"]["suspected"] for r in rows] == [True, False, False, False]
    assert rows[0]["translation"]["likely_source_language"] == "zh"
    assert [r["language"]["code"] for r in rows[1:3]] == ["de", "ko"]
    assert {"Krasnov", "Shestakov", "Aleinik"} <= {n["canonical"] for n in rows[0]["names"]}
    assert result.returncode == 1 and "missing.txt: No such file or directory" in result.stderr  # and the rest read


def test_record_with_analysis_matches_the_schema(analyser: Analyser) -> None:
    from datetime import UTC, datetime
    from importlib import resources

    analysis = analyser.analyse_text(SEED_002, ("en",))
    record = Record(id="wire-" + "0" * 20, url="https://wire.example/a", canonical_url="https://wire.example/a",
                    source_id="wire", source_name="Wire", title="t", body=SEED_002, authors=(),
                    published_at=None, fetched_at=datetime(2025, 1, 1, tzinfo=UTC), language=analysis.language,
                    content_hash="sha256:" + "0" * 64, translation=analysis.translation, names=analysis.names)
    schema = json.loads((resources.files("scraper") / "schema" / "record-1.json").read_text(encoding="utf-8"))
    line = record.to_dict()
    jsonschema.validate(line, schema)
    assert line["translation"]["suspected"] and line["names"][0]["canonical"] == "Maxim Ryzhenkov"
    assert Record.from_dict(json.loads(json.dumps(line))).to_dict() == line
