"""Dates as pages and feeds print them → timezone-aware UTC datetimes, using the outlet's zone if none is given.

Forms read: ISO 8601 and RFC 822; "2024-07-23 14:05 KST"; dotted "2024.7.23." and "송고2026-01-06 16:46";
Korean, Japanese and Chinese "2024년 7월 23일 오후 2시 5분", "2024年7月23日 14時05分"; Russian "23 июля 2024 г.";
English "July 23, 2024" and "23 July 2024, 11:54"; Spanish and French "19 de febrero de 2026", "1er mars 2026";
DPRK Juche years "주체113(2024)년 7월 23일" and
"(Juche113.3.9.)" (Juche year + 1911 = Gregorian year). A date before 1990 or after the moment of
reading is no publication date and is rejected (None), not stored.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# A page's clock may run a little ahead of ours; more than this is a wrong date, not a fast clock.
CLOCK_SKEW = timedelta(hours=1)
JUCHE_OFFSET = 1911

# Zone abbreviations our outlets print; dateutil knows none of them and would guess (and warn).
ZONES: dict[str, float] = {"KST": 9, "JST": 9, "PYT": 9, "MSK": 3, "CST": 8, "BJT": 8, "HKT": 8, "CET": 1,
                           "CEST": 2, "EET": 2, "EEST": 3, "EST": -5, "EDT": -4, "PST": -8, "PDT": -7,
                           "UTC": 0, "GMT": 0, "Z": 0}
_ZONE = re.compile(r"(?<![A-Za-z])(" + "|".join(z for z in ZONES if z != "Z") + r")"
                   r"(?:\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?)?(?![A-Za-z])|(?<=\d)\s*([+-])(\d{2}):?(\d{2})\b")
# Juche years: "주체113(2024)년", "主体113(2024)年", "Juche113.3.9." (no Gregorian year printed).
_JUCHE_BOTH = re.compile(r"(?:주체|主体|主體|チュチェ|Juche|Чучхе)\s*\d{2,3}\s*[(（]\s*(\d{4})\s*[)）]", re.IGNORECASE)
_JUCHE_ONLY = re.compile(r"(?:주체|主体|主體|チュチェ|Juche|Чучхе)\s*(\d{2,3})(?=\s*[.년年г\s])", re.IGNORECASE)
# "2026.1.6.", "2026-01-06 16:46", "2024/07/23 14:05:09"
_NUMERIC = re.compile(r"(\d{4})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\.?"
                      r"(?:[T\s,]+(오전|오후|午前|午後|AM|PM)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM|a\.m\.|p\.m\.)?)?",
                      re.IGNORECASE)
# "06.12.2026", "6.12.2026, 9:00", "25/11/2026 14:05", "12-06-2026": the year last. Dotted, the day comes first
# wherever such dates are printed (Russia, Belarus, Europe); with slashes or dashes too, except in the Americas.
_YEAR_LAST = re.compile(r"(?<![\d.])(\d{1,2})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)"
                        r"(?:[T\s,]+(?:в\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM|a\.m\.|p\.m\.)?)?", re.IGNORECASE)
_DAY_FIRST_ZONES = ("Europe/", "Asia/", "Africa/", "Australia/", "Indian/", "Atlantic/")
# "2024년 7월 23일 오후 2시 5분", "2024年7月23日 14時05分", "2024年7月23日 14:05"
_CJK = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?"
                  r"(?:[\s,]*(?:\([^)]*\)|（[^）]*）)?\s*(오전|오후|午前|午後)?\s*(\d{1,2})\s*(?:[:시時点])\s*(\d{1,2})?)?")
_RU_MONTHS = {"январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
              "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12}
# "23 июля 2024 г., 14:05", "23 июля 2024"
_RUSSIAN = re.compile(r"(\d{1,2})\s+(январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)"
                      r"[а-я]*\s+(\d{4})(?:\s*г\.?)?(?:[\s,]+(?:в\s+)?(\d{1,2}):(\d{2}))?", re.IGNORECASE)
# Spanish and French, as KCNA's and Rodong Sinmun's editions print them: "19 de febrero de 2026", "19 février 2026".
_ROMANCE_MONTHS = {"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
                   "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
                   "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
                   "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
                   "decembre": 12}
_ROMANCE = re.compile(r"(?<!\d)(\d{1,2})(?:er)?\s+(?:de\s+)?(" + "|".join(_ROMANCE_MONTHS) + r")\s+(?:de\s+)?(\d{4})"
                      r"(?:[\s,]+(?:a\s+las\s+|à\s+)?(\d{1,2})[:h](\d{2}))?", re.IGNORECASE)
# What the dateutil fallback needs to see before it is trusted: a year, or a month's name and a day.
_WORDY_DATE = re.compile(r"\b(?:19|20)\d{2}\b|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d",
                         re.IGNORECASE)
_FOUR_DIGIT_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_PM = {"오후", "午後", "pm", "p.m."}
_AM = {"오전", "午前", "am", "a.m."}


def to_utc(moment: datetime, zone: str | tzinfo) -> datetime:
    """Attach the outlet's zone to a naive datetime, then convert to UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone) if isinstance(zone, str) else zone)
    return moment.astimezone(UTC)


def plausible(moment: datetime | None, now: datetime | None = None) -> datetime | None:
    """Drop dates no article can have: before 1990, or later than the moment of reading."""
    if moment is None:
        return None
    now = now or datetime.now(UTC)
    return moment if EARLIEST <= moment <= now + CLOCK_SKEW else None


def _hour(hour: str | None, marker: str | None) -> int:
    value = int(hour or 0)
    marker = (marker or "").casefold()
    if marker in _PM and value < 12:
        return value + 12
    if marker in _AM and value == 12:
        return 0
    return value


def _zone_in(text: str) -> tzinfo | None:
    # (the "-2026" of "06-12-2026" is a year, not an offset of -20:26)
    days = [(day.start(1), day.end(4)) for day in _YEAR_LAST.finditer(text)]
    match = next((found for found in _ZONE.finditer(text)
                  if found[1] or not any(start <= found.start() < end for start, end in days)), None)
    if not match:
        return None
    name, sign, hours, minutes, sign2, hours2, minutes2 = match.groups()
    if name:
        offset = timedelta(hours=ZONES[name.upper()])
        if sign:
            extra = timedelta(hours=int(hours), minutes=int(minutes or 0))
            offset += extra if sign == "+" else -extra
    else:
        offset = timedelta(hours=int(hours2), minutes=int(minutes2))
        offset = offset if sign2 == "+" else -offset
    return timezone(offset)


def normalise_date_text(text: str) -> str:
    """Full-width digits to ASCII and Juche years to Gregorian ones."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = _JUCHE_BOTH.sub(lambda m: m.group(1), text)
    return _JUCHE_ONLY.sub(lambda m: str(int(m.group(1)) + JUCHE_OFFSET), text)


def _year_last(match: re.Match[str], zone: str) -> datetime:
    first, separator, second, year, hour, minute, seconds, marker = match.groups()
    day, month = int(first), int(second)
    if month > 12 or (day <= 12 and separator != "." and not zone.startswith(_DAY_FIRST_ZONES)):
        day, month = month, day  # 12/25/2026, or 12/06/2026 on an outlet in the Americas (or of no known zone)
    return datetime(int(year), month, day, _hour(hour, marker), int(minute or 0), int(seconds or 0))


def _by_pattern(text: str, zone: str) -> datetime | None:
    if match := _NUMERIC.search(text):
        year, month, day, marker, hour, minute, second, marker2 = match.groups()
        return datetime(int(year), int(month), int(day), _hour(hour, marker or marker2), int(minute or 0),
                        int(second or 0))
    if match := _CJK.search(text):
        year, month, day, marker, hour, minute = match.groups()
        return datetime(int(year), int(month), int(day), _hour(hour, marker), int(minute or 0))
    if match := _YEAR_LAST.search(text):
        return _year_last(match, zone)
    if match := _ROMANCE.search(text):
        day, month, year, hour, minute = match.groups()
        return datetime(int(year), _ROMANCE_MONTHS[month.casefold()], int(day), int(hour or 0), int(minute or 0))
    if match := _RUSSIAN.search(text):
        day, month, year, hour, minute = match.groups()
        return datetime(int(year), _RU_MONTHS[month.casefold()], int(day), int(hour or 0), int(minute or 0))
    return None


def parse_date(text: str | None, zone: str = "UTC", now: datetime | None = None) -> datetime | None:
    """Parse one date string in any form above; None if it is not a plausible date (never raises: a page or a
    feed may print anything, "9999-12-31T23:59:59-23:59" and an offset of +99:99 included).

    `zone` is the outlet's IANA timezone, applied when the text carries no zone of its own.
    """
    if not text or not text.strip():
        return None
    try:
        return _parse_date(normalise_date_text(text), zone, now)
    except (ValueError, OverflowError):  # out of datetime's range once converted, an offset of a day or more
        return None


_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))  # no year, month or day in common
_TZINFOS = {name: int(hours * 3600) for name, hours in ZONES.items()}


def _fuzzy(text: str, default: datetime) -> datetime | None:
    """dateutil's lenient reading of `text`, the parts it lacks taken from `default`; None if it finds no date."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
            return dateparser.parse(text, fuzzy=True, default=default, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError, dateparser.ParserError):
        return None


def _parse_date(text: str, zone: str, now: datetime | None) -> datetime | None:
    try:
        return plausible(to_utc(dateparser.isoparse(text), zone), now)
    except (ValueError, OverflowError):
        pass
    printed_zone = _zone_in(text)
    try:
        moment = _by_pattern(text, zone)
    except ValueError:  # 2024-02-31 and the like
        return None
    if moment is None:
        if not _WORDY_DATE.search(text):
            return None  # dateutil would read "Page 5" as the fifth of this month
        # dateutil fills what the text lacks from its default (the date of today, else), so "03 พ.ย. 2005" (a
        # month it cannot read) would become March, the 6th. A date whose year, month or day depends on the
        # default is no date: one that shares a part with the first default is read again with the second.
        first, second = _DEFAULTS
        moment = _fuzzy(text, first)
        if moment is None:
            return None
        if moment.year == first.year or moment.month == first.month or moment.day == first.day:
            again = _fuzzy(text, second)
            if again is None or again.date() != moment.date():
                return None
        if moment.tzinfo is not None and printed_zone is None:
            # (ours first: dateutil reads "GMT+9" the POSIX way, as nine hours behind, where a page or feed that
            # prints it, as JavaScript's Date does, means nine hours ahead)
            printed_zone = moment.tzinfo
        moment = moment.replace(tzinfo=None)
    return plausible(to_utc(moment, printed_zone or zone), now)


# A day in an article URL: "/2024/07/23/", "2024-07-23", or eight digits opening a run of them, as wire ids
# begin ("AEN20170601003851315", "AKR20260106051300504"), but not a hexadecimal hash that happens to start so.
_URL_DAY = re.compile(r"(?<![0-9a-fA-F])((?:19|20)\d{2})(?:/(\d{1,2})/(\d{1,2})(?![0-9])|-(\d{2})-(\d{2})(?![0-9])"
                      r"|(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?![0-9]*[a-fA-F]))")


def url_date(url: str, zone: str = "UTC", now: datetime | None = None) -> datetime | None:
    """The day an article's URL names (its path, not its host or query), as the outlet's local midnight in
    UTC; None when it names none. Wire ids carry the day a story was first filed, which a later update keeps:
    a page's or feed's own date is better when there is one."""
    path = urlsplit(url).path if "://" in url else url
    for match in _URL_DAY.finditer(path):
        year, *rest = match.groups()
        month, day = next((m, d) for m, d in zip(rest[::2], rest[1::2], strict=True) if m)
        try:
            moment = to_utc(datetime(int(year), int(month), int(day)), zone)
        except ValueError:
            continue
        if plausible(moment, now) is not None:
            return moment
    return None


_PAGE_DAY = re.compile(r"(?<![0-9])((?:19|20)\d{2})[./-](\d{1,2})[./-](\d{1,2})(?![0-9])")


def page_day(html: str, now: datetime | None = None) -> datetime | None:
    """The day a page prints most often, in its text or its links ("2017/06/01", "2017.6.1", "2017-06-01"; a
    tie goes to the latest), as midnight UTC: what a year-less dateline's year is read against when the page
    states no date of its own. An article's page names its own day in its images, related links and stamps more
    often than any other; old boilerplate (a 2013 sidebar) less."""
    counts: dict[datetime, int] = {}
    for match in _PAGE_DAY.finditer(html):
        try:
            day = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
        except ValueError:
            continue
        if plausible(day, now) is not None:
            counts[day] = counts.get(day, 0) + 1
    return max(counts, key=lambda day: (counts[day], day)) if counts else None


def date_from_dateline(date_text: str, fetched_at: datetime, zone: str = "UTC",
                       near: datetime | None = None) -> datetime | None:
    """A dateline's "July 23" or "23 июля" as a date.

    The year is the one that puts the day nearest `near`, another date of the same page (a day printed
    elsewhere on it, or in its URL); with none, the year of the fetch (a web archive's capture), or the one
    before if the day would otherwise lie in the future (a December report read in January). A year the page
    itself prints ("July 23, 2017") is kept.
    """
    text = normalise_date_text(date_text)
    if _FOUR_DIGIT_YEAR.search(text):
        return parse_date(text, zone, now=fetched_at)
    if near is not None:
        local = near.astimezone(ZoneInfo(zone))
        candidates = [moment for year in (local.year - 1, local.year, local.year + 1)
                      if (moment := parse_date(f"{text} {year}", zone, now=fetched_at)) is not None]
        if candidates:
            return min(candidates, key=lambda moment: abs(moment - near))
    local_now = fetched_at.astimezone(ZoneInfo(zone))
    for year in (local_now.year, local_now.year - 1):
        moment = parse_date(f"{text} {year}", zone, now=fetched_at)
        if moment is not None:
            return moment
    return None
