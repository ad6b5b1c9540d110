"""Language per paragraph: script rules, short text, priors, shares, bad input."""

from __future__ import annotations

import pytest

from scraper.analyse import Analyser, LanguageDetector
from scraper.records import Language


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(("text", "code"), [
    ("북한 외무성은 23일 담화를 발표했다.", "ko"),
    ("서울", "ko"),
    ("東京", "zh"),  # Han alone is Chinese, never Korean
    ("朝鲜外务省发表谈话", "zh"),
    ("朝鮮中央通信が23日報じた。", "ja"),
    ("とうきょう", "ja"),
    ("Москва", "ru"),
    ("Министр иностранных дел прибыл в Пхеньян.", "ru"),
    ("مرحبا بكم", "ar"),
])
def test_script_decides(detector: LanguageDetector, text: str, code: str) -> None:
    assert detector.detect(text).code == code


def test_chinese_is_never_korean_even_with_a_korean_word_in_it(detector: LanguageDetector) -> None:
    text = "한어 朝鲜外务省发表谈话，谴责美韩联合军演加剧半岛紧张局势。"
    assert detector.detect(text).code == "zh"


@pytest.mark.parametrize(("text", "code"), [
    ("the weather", "en"),
    ("erfahrung", "de"),
    ("Straße", "de"),
    ("universidad", "es"),
    ("connaissent", "fr"),
    ("Opening a new era", "en"),
    ("Mehr zum Thema", "de"),
])
def test_short_latin_text_is_read_with_the_lexicons(detector: LanguageDetector, text: str, code: str) -> None:
    assert detector.detect(text).code == code


def test_outlet_languages_are_priors_for_ambiguous_text(detector: LanguageDetector) -> None:
    assert detector.detect("hotel").code == "en"
    assert detector.detect("hotel", ["de"]).code == "de"
    assert detector.detect("hotel", ["es"]).code == "es"
    # a prior never overrides clear evidence
    assert detector.detect("the weather is fine today", ["de"]).code == "en"


def test_long_text_with_a_foreign_title_keeps_its_language(detector: LanguageDetector) -> None:
    text = ("Die Ministerin, die seit Jahren in Berlin lebt, ist Autorin des Buches „The Last Thousand Days "
            "of the British Empire“ und hielt am Montag einen Vortrag.")
    assert detector.detect(text).code == "de"


def test_document_language_is_the_largest_share_and_paragraphs_are_listed(detector: LanguageDetector) -> None:
    english = ("North Korea's foreign minister arrived in Minsk on Wednesday for talks with her "
               "Belarusian counterpart, the state news agency said.")
    korean = "북한 외무상이 수요일 민스크에 도착했다."
    found = detector.detect(f"{english}\n\n{korean}\n\n{english}")
    assert found.code == "en"
    assert [p.code for p in found.paragraphs] == ["en", "ko", "en"]
    assert sum(p.share for p in found.paragraphs) == pytest.approx(1.0)
    assert found.paragraphs[1].share < found.paragraphs[0].share
    assert found.to_dict()["paragraphs"][1] == {"code": "ko", "share": round(found.paragraphs[1].share, 4)}


def test_one_language_has_no_paragraph_list(detector: LanguageDetector) -> None:
    found = detector.detect("The talks ended on Friday.\n\nBoth sides agreed to meet again.\n\nPhoto: Reuters")
    assert found.code == "en"
    assert found.paragraphs == ()
    assert "paragraphs" not in found.to_dict()


def test_a_quoted_sentence_in_another_script_does_not_change_the_paragraph(detector: LanguageDetector) -> None:
    text = ("For survivors, the situation was increasingly dire at the evacuation centre in the gutted city. "
            "주민들은 파괴된 집으로 돌아가 소지품을 뒤졌습니다. "
            "Every minute an ambulance brings in more of the wounded from the coast.")
    assert detector.detect(text).code == "en"


@pytest.mark.parametrize("text", ["", "   ", "12 345 6789", "!!! ... ???", "2024-07-24"])
def test_no_letters_is_und_with_zero_confidence(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text) == Language("und", 0.0)


def test_results_are_deterministic() -> None:
    text = "Belarus and North Korea established diplomatic relations in 1992."
    assert LanguageDetector().detect(text) == LanguageDetector().detect(text)


def test_the_analyser_removes_a_language_menu_before_judging() -> None:
    analyser = Analyser()
    text = ("한어Русский языкEnglishFrançaisIndonesian日本語Deutsch Mi hija se estaba muriendo y "
            "tuve que despedirme por teléfono Share on Facebook Share on Twitter Email Print")
    assert analyser.language_of(text).code == "es"
