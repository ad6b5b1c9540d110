"""Dates as pages and feeds print them → timezone-aware UTC datetimes, using the outlet's zone if none is given."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# "2026.1.6." / "송고2026-01-06 16:46" (Korean and DPRK sites): dateutil misreads dots and prefixes.
_DOTTED = re.compile(r"(\d{4})[.\-/]\s*(\d{1,2})[.\-/]\s*(\d{1,2})\.?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
# Zone abbreviations our outlets print; dateutil knows none of them and would guess (and warn).
_ZONES = {"KST": 9 * 3600, "JST": 9 * 3600, "PYT": 9 * 3600, "MSK": 3 * 3600, "CST": 8 * 3600,
          "UTC": 0, "GMT": 0, "Z": 0}
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?(?:\s*(\d{1,2})[:시](\d{2}))?")


def to_utc(moment: datetime, timezone: str) -> datetime:
    """Attach the outlet's zone to a naive datetime, then convert to UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC)


def plausible(moment: datetime | None, now: datetime | None = None) -> datetime | None:
    """Drop dates no news article can have (before 1990, or more than two days ahead)."""
    if moment is None:
        return None
    now = now or datetime.now(UTC)
    return moment if _EARLIEST <= moment <= now + timedelta(days=2) else None


def parse_date(text: str | None, timezone: str = "UTC") -> datetime | None:
    """Parse one date string (ISO 8601, RFC 822, dotted or CJK forms); None if it is not a date."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        return plausible(to_utc(dateparser.isoparse(text), timezone))
    except (ValueError, OverflowError):
        pass
    for pattern in (_DOTTED, _CJK_DATE):
        if match := pattern.search(text):
            year, month, day, hour, minute, *rest = match.groups()
            second = rest[0] if rest else None
            try:
                moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                  int(second or 0))
            except ValueError:
                return None
            return plausible(to_utc(moment, timezone))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
            moment = dateparser.parse(text, tzinfos=_ZONES)
    except (ValueError, OverflowError, TypeError, dateparser.ParserError):
        return None
    return plausible(to_utc(moment, timezone))
