"""Document language: the script decides where it can (Hangul, kana, Han), langdetect decides within a script.

langdetect alone calls Chinese Korean and is unstable on short text; the script tells ko/ja/zh apart
for certain, so it is asked only about what the script leaves open (Latin, Cyrillic, Arabic...).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from scraper.records import Language

_SAMPLE_CHARS = 4000  # enough for a stable answer; a whole long article only costs time
_CJK_ONLY = {"ko", "ja", "zh-cn", "zh-tw"}
_CYRILLIC = {"ru", "uk", "bg", "mk"}
_PRIOR_BOOST = 4.0  # how much more likely the outlet's own languages are, a priori


def script_of(char: str) -> str:
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x0400 <= code <= 0x052F:
        return "cyrillic"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F:
        return "arabic"
    if char.isalpha():
        return "latin" if unicodedata.name(char, "").startswith("LATIN") else "other"
    return ""


def _code(langdetect_code: str) -> str:
    return "zh" if langdetect_code.startswith("zh") else langdetect_code


class LanguageDetector:
    """Holds its own seeded langdetect factory, so results are deterministic and no global is touched."""

    def __init__(self, seed: int = 0) -> None:
        self._factory = DetectorFactory()
        self._factory.load_profile(PROFILES_DIRECTORY)
        self._factory.set_seed(seed)
        self._languages = self._factory.get_lang_list()

    def detect(self, text: str, priors: Sequence[str] = ()) -> Language:
        sample = text[:_SAMPLE_CHARS]
        scripts = Counter(s for ch in sample if (s := script_of(ch)))
        letters = sum(scripts.values())
        if not letters:
            return Language("und", 0.0)
        hangul, kana, han = scripts["hangul"], scripts["kana"], scripts["han"]
        if hangul / letters >= 0.3:
            return Language("ko", hangul / letters if hangul >= kana + han else 0.8)
        if (kana + han) / letters >= 0.3:
            # Japanese prose is rarely under a fifth kana; Chinese has none. Han alone is never Korean.
            if kana / (kana + han) >= 0.05:
                return Language("ja", (kana + han) / letters)
            return Language("zh", han / letters)
        allowed = _CYRILLIC if scripts["cyrillic"] / letters >= 0.5 else set(self._languages) - _CJK_ONLY
        return self._langdetect(sample, allowed, priors)

    def _langdetect(self, text: str, allowed: set[str], priors: Sequence[str]) -> Language:
        detector = self._factory.create()
        wanted = {p for p in self._languages if _code(p) in priors}
        detector.set_prior_map({
            lang: (_PRIOR_BOOST if lang in wanted else 1.0) if lang in allowed else 0.0
            for lang in self._languages
        })
        detector.append(text)
        try:
            ranked = detector.get_probabilities()
        except LangDetectException:
            return Language("und", 0.0)
        if not ranked:
            return Language("und", 0.0)
        return Language(_code(ranked[0].lang), float(ranked[0].prob))
