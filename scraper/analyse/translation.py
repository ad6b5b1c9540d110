"""Does a text read as a (machine) translation? Artefacts found, weighed, and the language they point to.

Signals (each `TranslationSignal(kind, evidence)`):
  name_variants  one person spelt several ways in one text (Ryzhenkov / Reyzhenkov / Rezhenkov): an
                 aggregator stitched or machine-translated reports that romanised the name differently
  calque         phrases that render Chinese, Korean or Russian news prose word for word ("It is worth
                 noting that", "Public opinion noted"); the lists are data, `scraper/data/calques/*.toml`
  ui_residue     a language-selector menu or share/print strings inside the article (handed over by the
                 residue cleaner, which removed them from the body)
  mixed_script   letters of another script inside a sentence of a language that does not use them
                 ("the 朝鲜 delegation"); text in brackets is a gloss and does not count

The score is 1 - Π(1 - w) over the signals' weights; a text is suspected at 0.5, which one signal alone
never reaches except a language menu together with anything else. Text too short to judge (under
`MIN_WORDS` words) gets no flags at all.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from scraper.analyse.language import script_of
from scraper.analyse.residue import MENU, Residue
from scraper.records import Translation, TranslationSignal

MIN_WORDS = 20
THRESHOLD = 0.5
WEIGHTS = {
    "name_group": 0.3,  # each person spelt several ways
    "calque": 0.25,  # each distinct phrase of weight 1.0 (0.5-weight phrases count half)
    "menu": 0.35,
    "interface": 0.1,
    "mixed_sentence": 0.2,  # each sentence, at most two
}
_MAX_MIXED_SENTENCES = 2
_CLOCK_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)|\b\d{1,2} o'clock", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]?")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|（[^（）]*）|“[^”]*”|\"[^\"]*\"|«[^»]*»|「[^」]*」")
# Scripts a language's running text uses; letters of any other script in a sentence are foreign.
_NATIVE = {
    "ko": {"hangul", "han", "latin"},
    "ja": {"kana", "han", "latin"},
    "zh": {"han", "latin"},
    "ru": {"cyrillic", "latin"},
    "ar": {"arabic", "latin"},
}
_SCRIPT_LANGUAGE = {"hangul": "ko", "kana": "ja", "han": "zh", "cyrillic": "ru", "arabic": "ar"}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Calque:
    pattern: re.Pattern[str]
    label: str  # the phrase as the data file writes it
    language: str  # the source language it points to
    target: str  # the language the calque is found in
    weight: float
    unless: str | None = None


def parse_calques(text: str, name: str) -> tuple[Calque, ...]:
    """One data file of calques; ValueError naming the file and entry if malformed."""
    data = tomllib.loads(text)
    source, target = data["source_language"], data.get("target_language", "en")
    calques = []
    for number, entry in enumerate(data.get("calque", []), 1):
        phrase, pattern = entry.get("phrase"), entry.get("pattern")
        if bool(phrase) == bool(pattern):
            raise ValueError(f"{name}: calque #{number}: give exactly one of phrase or pattern")
        regex = re.escape(phrase).replace(r"\ ", r"\s+") if phrase else pattern
        unless = entry.get("unless")
        if unless not in (None, "clock_time"):
            raise ValueError(f'{name}: calque #{number}: unknown condition "{unless}"')
        calques.append(Calque(re.compile(rf"(?<!\w){regex}(?!\w)", re.IGNORECASE), phrase or pattern,
                              source, target, float(entry.get("weight", 1.0)), unless))
    return tuple(calques)


def load_calques() -> tuple[Calque, ...]:
    folder = resources.files("scraper") / "data" / "calques"
    calques: list[Calque] = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            calques.extend(parse_calques(item.read_text(encoding="utf-8"), f"calques/{item.name}"))
    return tuple(calques)


def find_calques(text: str, language: str, calques: Sequence[Calque]) -> list[tuple[Calque, str]]:
    """Each calque of the text's language found, with its first occurrence as printed."""
    found = []
    has_clock = bool(_CLOCK_TIME.search(text))
    for calque in calques:
        if calque.target != language or (calque.unless == "clock_time" and has_clock):
            continue
        match = calque.pattern.search(text)
        if match:
            found.append((calque, match.group()))
    return found


def mixed_script_sentences(paragraphs: Sequence[str], language: str) -> list[tuple[str, str]]:
    """(sentence, foreign letters) for sentences carrying letters of a script their language does not
    use, outside brackets and quotes. Latin-script languages use Latin only."""
    native = _NATIVE.get(language, {"latin"})
    found = []
    for paragraph in paragraphs:
        for match in _SENTENCE.finditer(paragraph):
            sentence = match.group().strip()
            bare = _BRACKETED.sub(" ", sentence)
            foreign = [ch for ch in bare if (s := script_of(ch)) and s not in native and s != "other"]
            if foreign and len(_WORD.findall(bare)) >= 3:
                found.append((sentence, "".join(foreign)))
    return found


def _evidence_sentence(sentence: str, limit: int = 160) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def assess(
    paragraphs: Sequence[str],
    language: str,
    *,
    name_variants: Sequence[str],
    residue: Sequence[Residue],
    calques: Sequence[Calque],
) -> Translation:
    """Weigh the artefacts of one text (paragraphs already cleaned of `residue`) in `language`."""
    text = "\n\n".join(paragraphs)
    if language == "und" or len(_WORD.findall(text)) < MIN_WORDS:
        return Translation()
    signals: list[TranslationSignal] = []
    weights: list[float] = []
    pointers: dict[str, float] = {}  # source language → how strongly the artefacts point to it

    if name_variants:
        signals.append(TranslationSignal("name_variants", tuple(name_variants)))
        weights.extend(WEIGHTS["name_group"] for _ in name_variants)

    found = find_calques(text, language, calques)
    if found:
        by_language: dict[str, float] = {}
        for calque, _ in found:
            weights.append(WEIGHTS["calque"] * calque.weight)
            by_language[calque.language] = by_language.get(calque.language, 0.0) + calque.weight
        for source, weight in by_language.items():
            printed_here = tuple(printed for calque, printed in found if calque.language == source)
            signals.append(TranslationSignal("calque", printed_here, source))
            pointers[source] = pointers.get(source, 0.0) + weight

    menus = [r.text for r in residue if r.kind == MENU]
    interface = [r.text for r in residue if r.kind != MENU]
    if menus or interface:
        signals.append(TranslationSignal("ui_residue", tuple(menus + interface)))
        weights.extend(WEIGHTS["menu"] for _ in menus[:1])
        weights.extend(WEIGHTS["interface"] for _ in interface[:1])

    mixed = mixed_script_sentences(paragraphs, language)
    if mixed:
        evidence = tuple(f"{foreign}: {_evidence_sentence(sentence)}" for sentence, foreign in mixed)
        signals.append(TranslationSignal("mixed_script", evidence))
        weights.extend(WEIGHTS["mixed_sentence"] for _ in mixed[:_MAX_MIXED_SENTENCES])
        for _, foreign in mixed:
            scripts = Counter(script_of(ch) for ch in foreign)
            pointed = "ja" if scripts["kana"] else _SCRIPT_LANGUAGE.get(scripts.most_common(1)[0][0])
            if pointed:
                pointers[pointed] = pointers.get(pointed, 0.0) + 0.5

    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    score = 1.0 - remaining
    pointers.pop(language, None)
    likely = max(pointers, key=lambda lang: pointers[lang]) if pointers else None
    return Translation(score >= THRESHOLD, score, likely, tuple(signals))
