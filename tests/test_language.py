"""Language per paragraph: script rules, short text, priors, shares, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

from scraper.analyse import Analyser, LanguageDetector
from scraper.analyse.language import (
    LangdetectProfiles,
    _NgramNormal,
    _script_by_name,
    script_of,
    scripts_of,
    split_paragraphs,
)
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


# Written for these tests: a short news report in languages outside the default candidates.
OTHER_LANGUAGES = {
    "no": ["Regjeringen la fram et nytt forslag om skatt på tirsdag, og opposisjonen kritiserte det med en gang.",
           "Finansministeren sa at endringene skal gjelde fra neste år, og at de fleste familier vil merke lite."],
    "sv": ["Regeringen presenterade på tisdagen ett nytt förslag om skatter, och oppositionen kritiserade det direkt.",
           "Finansministern sade att ändringarna ska gälla från nästa år och att få familjer märker dem."],
    "tr": ["Hükümet salı günü vergilerle ilgili yeni bir teklif sundu ve muhalefet teklifi hemen eleştirdi.",
           "Maliye bakanı değişikliklerin gelecek yıl yürürlüğe gireceğini söyledi."],
    "pt": ["O governo apresentou na terça-feira uma nova proposta sobre impostos, e a oposição criticou-a de imediato.",
           "O ministro das Finanças disse que as mudanças valerão a partir do próximo ano."],
    "uk": ["Уряд у вівторок представив нову пропозицію щодо податків, і опозиція одразу її розкритикувала.",
           "Міністр фінансів сказав, що зміни діятимуть з наступного року і що більшість родин їх майже не помітить."],
}


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


@pytest.mark.parametrize("code", sorted(OTHER_LANGUAGES))
def test_text_of_no_known_outlet_may_be_in_any_language(analyser: Analyser, code: str) -> None:
    """The candidates keep a configured outlet's text to the languages it is in; a page of a site nobody
    configured (a web archive's other hosts) may be in any language langdetect knows."""
    paragraphs = OTHER_LANGUAGES[code]
    assert analyser.analyse(paragraphs).language.code != code  # forced into a candidate
    found = analyser.analyse(paragraphs, any_language=True).language
    assert found.code == code and found.paragraphs == ()
    assert analyser.analyse(["The talks ended on Friday and both sides agreed to meet again in Minsk next month."],
                            any_language=True).language.code == "en"


# --- the fast paths read as the slow ones did ----------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "analyse"
GERMAN = ("Die Außenministerin traf am Mittwoch ihren Amtskollegen in Minsk, wo beide über die Beziehungen "
          "zwischen den beiden Ländern und über die Lage auf der koreanischen Halbinsel sprachen.")
SPANISH = ("La ministra de Asuntos Exteriores llegó el miércoles a Minsk para mantener conversaciones con su "
           "homólogo bielorruso, según informó la agencia estatal de noticias.")
PORTUGUESE = ("A ministra dos Negócios Estrangeiros chegou na quarta-feira a Minsk para conversações com o seu "
              "homólogo bielorrusso, segundo a agência estatal de notícias.")


@pytest.fixture(scope="module")
def factory() -> DetectorFactory:
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def _prior(factory: DetectorFactory, allowed: tuple[str, ...]) -> dict[str, float]:
    boosted = allowed[:1]  # the outlet's language, say
    return {lang: (4.0 if lang in boosted else 1.0) if lang in allowed or not allowed else 0.0
            for lang in factory.get_lang_list()}


def _langdetect(factory: DetectorFactory, text: str, prior: dict[str, float]) -> list[tuple[str, float]]:
    detector = factory.create()
    detector.set_prior_map(prior)
    detector.append(text)
    try:
        return [(found.lang, found.prob) for found in detector.get_probabilities()]
    except LangDetectException:
        return []


@pytest.mark.parametrize("text", [
    GERMAN, SPANISH, "the weather", "Opening a NEW ERA of US-DPRK relations", "Министр прибыл в Пхеньян.",
    "مرحبا بكم في بيونغ يانغ", "Tiếng Việt có dấu", "see https://example.org/a?b=c or mail kim@example.org",
    "朝鲜外务省发表谈话 and some English", "12 345 !!!", "𝐁𝐨𝐥𝐝 text 😀 here", "", "  two  spaces. ", "E.U.-led",
])
def test_the_profiles_read_the_n_grams_langdetect_extracts(factory: DetectorFactory, text: str) -> None:
    # The n-grams (URLs and e-mail addresses removed, Vietnamese composed, Latin dropped from mostly
    # non-Latin text, capitalised words skipped) are langdetect's own, in its order, each once.
    detector = factory.create()
    detector.append(text)
    detector.cleaning_text()
    profiles = LangdetectProfiles(factory)
    rows = {gram: row for row, gram in enumerate(factory.word_lang_prob_map)}
    expected = [rows[gram] for gram in detector._extract_ngrams()]
    assert profiles._rows(text) == expected
    assert profiles._rows(text) == expected  # the same again from the remembered chunks


def test_the_normalising_table_folds_every_character_as_langdetect_does() -> None:
    """Filled as characters are met, it must read each as NGram.normalize would (and leave the rest alone)."""
    table = _NgramNormal()
    every = "".join(map(chr, range(0x10000)))
    assert every.translate(table) == "".join(map(NGram.normalize, every))
    assert every.translate(table) == "".join(map(NGram.normalize, every))  # and again from what it kept
    beyond = "𝐁𝐨𝐥𝐝 😀 𠀋"  # beyond the BMP: unchanged, and not kept
    assert beyond.translate(table) == "".join(map(NGram.normalize, beyond)) == beyond
    assert len(table) == 0x10000


NEWS = [*split_paragraphs((FIXTURES / "seed-000-yonhap-en.txt").read_text(encoding="utf-8")), GERMAN, SPANISH,
        PORTUGUESE, "Министр иностранных дел прибыл в Пхеньян для переговоров с руководством страны.",
        "Міністр закордонних справ прибув до Пхеньяна для переговорів з керівництвом країни.",
        "وصل وزير الخارجية إلى بيونغ يانغ لإجراء محادثات مع قيادة البلاد."]


@pytest.mark.parametrize(("allowed", "at_least"), [
    (("en", "fr", "de", "es"), 20), (("ru", "uk", "bg"), 2), (("ar", "fa", "ur"), 1), ((), 20),
])
def test_the_profiles_agree_with_langdetect_on_news_text(factory: DetectorFactory, allowed: tuple[str, ...],
                                                         at_least: int) -> None:
    # langdetect samples n-grams at random; where its answer is stable (one language above 0.9) the
    # full count names the same language, with most of the probability (tempered, it is less sure).
    profiles = LangdetectProfiles(factory)
    stable = 0
    for text in NEWS:
        prior = _prior(factory, allowed)
        theirs, ours = _langdetect(factory, text, prior), profiles.probabilities(text, prior)
        assert [lang for lang, _ in ours] == sorted((lang for lang, _ in ours), key=dict(ours).__getitem__,
                                                    reverse=True)
        assert all(0.1 < p <= 1.0 for _, p in ours) and sum(p for _, p in ours) <= 1.0 + 1e-9
        assert all(prior[lang] > 0 for lang, _ in ours)
        if theirs and theirs[0][1] > 0.9:
            stable += 1
            assert ours[0][0] == theirs[0][0], text[:60]
            assert ours[0][1] > 0.5
    assert stable >= at_least  # the comparison was made


def test_the_profiles_need_n_grams_and_an_allowed_language(factory: DetectorFactory) -> None:
    profiles = LangdetectProfiles(factory)
    assert profiles.probabilities("12 345 !!!", _prior(factory, ())) == []
    assert profiles.probabilities(GERMAN, {"de": 0.0, "en": 0.0}) == []
    assert profiles.probabilities(GERMAN, _prior(factory, ("de",))) == [("de", 1.0)]


def test_the_script_table_reads_every_character_as_its_unicode_name_does() -> None:
    for code in range(0x10000):
        assert script_of(chr(code)) == _script_by_name(chr(code)), hex(code)
    assert script_of("𝐁") == "other" and script_of("𠀀") == "other" and script_of("😀") == ""


def test_scripts_are_counted_in_order_of_first_appearance() -> None:
    assert list(scripts_of("Москва and London, 서울")) == ["cyrillic", "latin", "hangul"]
    assert scripts_of("Москва and London, 서울") == {"cyrillic": 6, "latin": 9, "hangul": 2}
    assert list(scripts_of("𝐁𝐨𝐥𝐝 Ура text")) == ["other", "cyrillic", "latin"]  # beyond the BMP, one by one


def test_a_document_gives_each_paragraph_the_language_it_has_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = LanguageDetector()
    english = split_paragraphs((FIXTURES / "seed-000-yonhap-en.txt").read_text(encoding="utf-8"))
    paragraphs = [*english[:6], GERMAN, *english[6:12], SPANISH, PORTUGUESE, *english[12:]]
    alone = [detector.detect_paragraph(p) for p in paragraphs]
    calls = 0
    probabilities = detector._profiles.probabilities

    def counted(text: str, prior: dict[str, float]) -> list[tuple[str, float]]:
        nonlocal calls
        calls += 1
        return probabilities(text, prior)

    monkeypatch.setattr(detector._profiles, "probabilities", counted)
    found = detector.detect_paragraphs(paragraphs)
    assert found.code == "en"
    assert [p.code for p in found.paragraphs] == [language.code for language in alone]
    assert [p.code for p in found.paragraphs][len(english[:6]):len(english[:6]) + 1] == ["de"]
    long_latin = sum(1 for language in alone if language.confidence > 0.99)
    assert calls < long_latin / 2  # one call for the document, one for each paragraph in doubt


def test_the_answer_does_not_depend_on_the_process(tmp_path: Path) -> None:
    """Worker processes each have their own hash seed: a close call (short text, a language outside the
    candidates, words no lexicon knows) must come out the same in every one of them."""
    import json
    import os
    import subprocess
    import sys

    texts = ["Det är en mycket vacker dag i Stockholm.", "Tack så mycket", "Kiitos paljon", "Mange tak",
             "Dziękuję bardzo", "Bună ziua", "Goeie more", "ok ok", "Ciao bella", "Olá mundo", "Tak for mad",
             "Velkommen hjem", "Xin chào", "Selamat pagi", "Habari yako"]
    source = tmp_path / "texts.jsonl"
    source.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts), encoding="utf-8")
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-m", "scraper", "analyse", str(source)], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert len(outputs[0].splitlines()) == len(texts)
    assert outputs[0] == outputs[1] == outputs[2]
