"""Datelines and credits: "PYONGYANG, July 23 (KCNA) --", "(서울=연합뉴스)", "新华社北京7月23日电", a closing "Yonhap".

Wires open a report with where and when it was filed and whose report it is, and dailies that run wire
copy close it with the agency's name. Both are metadata, not text: `split_wire_lines` takes them out of
the paragraphs and returns them as a Dateline, a credit and, where the dateline names one, the reporter.
A note from the wire's desk to editors ("(ATTN: UPDATES with quotes at bottom)", "(EDS: ...)") heads an
updated report: it is no text either, and is kept as an editor's note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from scraper.records import Dateline

# Agencies as they print themselves → the name the record uses.
AGENCIES: dict[str, str] = {
    "yonhap": "Yonhap", "연합뉴스": "Yonhap", "연합": "Yonhap", "聯合ニュース": "Yonhap", "韩联社": "Yonhap",
    "kcna": "KCNA", "조선중앙통신": "KCNA", "조선중앙통신사": "KCNA", "朝中社": "KCNA", "朝鲜中央通讯社": "KCNA",
    "朝鮮中央通信": "KCNA", "цтак": "KCNA",
    "xinhua": "Xinhua", "新华社": "Xinhua", "新華社": "Xinhua", "синьхуа": "Xinhua",
    "tass": "TASS", "тасс": "TASS", "ria novosti": "RIA Novosti", "риа новости": "RIA Novosti",
    "interfax": "Interfax", "интерфакс": "Interfax", "belta": "BelTA", "белта": "BelTA",
    "kyodo": "Kyodo", "共同": "Kyodo", "共同通信": "Kyodo", "jiji": "Jiji", "時事": "Jiji", "時事通信": "Jiji",
    "reuters": "Reuters", "로이터": "Reuters", "路透社": "Reuters", "ロイター": "Reuters",
    "ap": "AP", "associated press": "AP", "afp": "AFP", "dpa": "dpa", "efe": "EFE", "ansa": "ANSA",
    "ntb": "NTB", "upi": "UPI", "bernama": "Bernama", "vna": "VNA", "kctv": "KCTV",
    "뉴시스": "Newsis", "뉴스1": "News1", "中新社": "China News Service", "中新网": "China News Service",
}
_AGENCY = "|".join(sorted((re.escape(name) for name in AGENCIES), key=len, reverse=True))
_DASH = r"(?:--|—|–|-|―)"
_MONTH = (r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?|"
          r"(?:январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*")
_DAY_MONTH = rf"(?:(?:{_MONTH})\s+\d{{1,2}}|\d{{1,2}}\s+(?:{_MONTH}))(?:,?\s+\d{{4}})?"
_PLACE = r"[^\W\d_][\w.'’/\- ]{0,40}?"
# The state or country AP and others print after a city: "ST. JOSEPH, Mich.", "FORT WORTH, Texas" (no digits:
# "SEOUL, Nov. 22" is a date).
_REGION = r"[^\W\d_](?:[^\W\d_]|[.'’\- ]){0,20}?"
_PLACE_WORDS = re.compile(r"[\s/-]+")  # "Frankfurt/Main", "Baden-Baden"
_ABBREVIATED_REGION = re.compile(r",\s*[^\W\d_][^\W\d_.]{0,4}\.(?:[^\W\d_]\.)?$")  # "Mich.", "Calif.", "S.C."

# "SEOUL, Nov. 22 (Yonhap) --", "PYONGYANG, July 23 (KCNA) --", "MINSK, 23 July (BelTA) -",
# "WASHINGTON (AP) —", "ST. JOSEPH, Mich. (AP) —", "(Reuters) -", "MOSCOW, July 23. /TASS/.", "МОСКВА, 23 июля. /ТАСС/."
_LATIN_CYRILLIC = re.compile(
    rf"^(?:(?P<place>{_PLACE}(?:,\s*{_REGION})?),?\s*(?:,\s*(?P<date>{_DAY_MONTH}))?\.?\s*)?"
    rf"(?:\((?P<credit>{_AGENCY})\)\s*(?P<dash>{_DASH}|:)|/(?P<credit2>{_AGENCY})/\.?)\s*",
    re.IGNORECASE,
)
# "(서울=연합뉴스) 김철수 기자 = ", "【평양 7월 23일발 조선중앙통신】", "(평양=연합뉴스)"
_KOREAN = re.compile(
    rf"^[(\[【〔]\s*(?P<place>[가-힣]{{1,10}})\s*(?:=\s*|(?P<date>\d{{1,2}}\s*월\s*\d{{1,2}}\s*일)발\s*)"
    rf"(?P<credit>{_AGENCY})\s*[)\]】〕]\s*(?:(?P<author>[가-힣]{{2,4}}(?:\s*[·,]\s*[가-힣]{{2,4}})*)\s*"
    rf"(?:기자|특파원|통신원)\s*=\s*)?",
)
# "新华社北京7月23日电（记者 张三）", "朝中社平壤7月23日电"
_CHINESE = re.compile(
    rf"^[【\[]?(?P<credit>{_AGENCY})(?P<place>[\u4e00-\u9fff]{{2,8}}?)(?P<date>\d{{1,2}}月\d{{1,2}}日)电[】\]]?"
    r"\s*(?:[（(](?:记者)?\s*(?P<author>[^）)]{1,30})[）)])?\s*",
)
# "【ソウル共同】", "【ソウル＝小池和樹】"
_JAPANESE = re.compile(
    rf"^【(?P<place>[^\s＝=】]{{1,12}}?)(?:(?P<credit>{_AGENCY})|[＝=](?P<author>[^】]{{1,20}}))】\s*",
)
# A closing line that only names the agency: "Yonhap", "(KCNA)", "/TASS/", "mit dpa", "(끝)".
_CREDIT_LINE = re.compile(
    rf"^\W*(?:(?:mit|with|via|from|source|quelle|fuente|источник|출처)\s*:?\s+)?(?P<credit>{_AGENCY})"
    rf"(?:\s*[/,]\s*(?:{_AGENCY}))*\W*$",
    re.IGNORECASE,
)
# End-of-report marks printed by wires: "(END)", "(끝)", "-0-" (KCNA).
_END_MARK = re.compile(r"^\W*(?:\(?end\)?|\(?끝\)?|-0-|\(完\)|（完）|\(完\))\W*$", re.IGNORECASE)
# A note to editors at the top of a wire report: "(ATTN: UPDATES with quotes at bottom)", "(EDS: RECASTS lead)",
# "(EDITORS: adds byline)", "(EDITOR'S NOTE: ...)". Notes with one level of parentheses inside are read whole.
_EDITOR_NOTE = re.compile(
    r"^\s*(?P<note>\((?:ATTN|EDS|EDITORS?|EDITOR[’']S NOTE|NOTE TO EDITORS)\s*:(?:[^()]|\([^()]*\))*\))\s*")
# A reporter's sign-off: "김철수 기자 kcs@yna.co.kr", "kcs@yna.co.kr".
_SIGN_OFF = re.compile(r"^(?:(?P<author>[가-힣]{2,4})\s*(?:기자|특파원))?\s*[\w.+-]+@[\w-]+\.[\w.]+\s*$")


@dataclass(frozen=True, slots=True)
class WireLines:
    paragraphs: tuple[str, ...]
    dateline: Dateline | None = None
    credit: str | None = None
    authors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # notes to editors, as printed


def _editor_notes(paragraphs: list[str]) -> list[str]:
    """Take the notes to editors off the first paragraphs (in place); the notes, in order."""
    notes: list[str] = []
    index = 0
    while index < min(len(paragraphs), 3):
        match = _EDITOR_NOTE.match(paragraphs[index])
        if not match:
            index += 1
            continue
        notes.append(" ".join(match.group("note").split()))
        rest = paragraphs[index][match.end():].strip()
        if rest:
            paragraphs[index] = rest
        else:
            del paragraphs[index]
    return notes


def is_wire_line(line: str) -> bool:
    """A closing credit, end mark or reporter's sign-off, which `split_wire_lines` reads (keep it till then)."""
    line = line.strip()
    return bool(_CREDIT_LINE.match(line) or _END_MARK.match(line) or _SIGN_OFF.match(line))


def agency(name: str) -> str | None:
    """The canonical name of a wire or agency, or None if the name is not one."""
    return AGENCIES.get(name.strip().casefold()) or AGENCIES.get(name.strip())


def _lead(paragraph: str) -> tuple[str, Dateline | None, str | None, str | None] | None:
    """(rest of the paragraph, dateline, credit, author) when the paragraph opens with a dateline."""
    for pattern in (_KOREAN, _CHINESE, _JAPANESE, _LATIN_CYRILLIC):
        match = pattern.match(paragraph)
        if not match:
            continue
        groups = match.groupdict()
        rest = paragraph[match.end():].strip()
        if not rest:
            continue
        credit_text = groups.get("credit") or groups.get("credit2")
        place = (groups.get("place") or "").strip(" ,.")
        if place and paragraph[match.end("place"):].startswith(".") and _ABBREVIATED_REGION.search(place + "."):
            place += "."  # the full stop of "Mich." is the region's, not the dateline's
        date_text = (groups.get("date") or "").strip() or None
        # "North Korea (KCNA) -- said" is no dateline: a place without a date is printed in capitals (its city,
        # that is: "ST. JOSEPH, Mich."), or, as German and French wires print it ("Berlin (dpa) - Die..."), with
        # capital initials and a dash before a new sentence.
        city, _, region = place.partition(",")
        wire_style = (bool(groups.get("dash")) and rest[:1].isupper()
                      and all(word[:1].isupper() for word in _PLACE_WORDS.split(city) if word))
        if pattern is _LATIN_CYRILLIC and place and (
                len(city.split()) > 4 or not place[0].isupper() or (region and not region.strip()[:1].isupper())
                or (not date_text and city != city.upper() and not wire_style)):
            continue
        dateline = Dateline(place, date_text) if place else None
        credit = agency(credit_text) if credit_text else None
        author = (groups.get("author") or "").strip() or None
        return rest, dateline, credit, author
    return None


def split_wire_lines(paragraphs: Sequence[str]) -> WireLines:
    """Take the dateline out of the first paragraphs and credit lines, end marks and sign-offs off the end."""
    kept = list(paragraphs)
    notes = _editor_notes(kept)
    dateline: Dateline | None = None
    credit: str | None = None
    authors: list[str] = []
    for index, paragraph in enumerate(kept[:2]):
        found = _lead(paragraph)
        if found is None:
            continue
        rest, dateline, credit, author = found
        kept[index] = rest
        if author:
            authors.extend(a.strip() for a in re.split(r"[·,]", author) if a.strip())
        break
    while kept:
        last = kept[-1].strip()
        if _END_MARK.match(last):
            kept.pop()
        elif match := _CREDIT_LINE.match(last):
            credit = credit or agency(match.group("credit"))
            kept.pop()
        elif (match := _SIGN_OFF.match(last)) and len(kept) > 1:
            if match.group("author"):
                authors.append(match.group("author"))
            kept.pop()
        else:
            break
    return WireLines(tuple(kept), dateline, credit, tuple(dict.fromkeys(authors)), tuple(notes))
