"""Dates as outlets print them, to UTC with the outlet's zone; implausible dates are rejected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scraper.extract.dates import date_from_dateline, page_day, parse_date, url_date

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "zone", "expected"), [
    # Rodong Sinmun's #article-date, Chinese and English editions (2025-26 layout), and its 2022 date line.
    ("2025年 10月 10日 星期五", "Asia/Pyongyang", datetime(2025, 10, 9, 15, 0, tzinfo=UTC)),
    ("Feb. 19, 2026 Thursday [Photo]", "Asia/Pyongyang", datetime(2026, 2, 18, 15, 0, tzinfo=UTC)),
    ("Mar. 10,\xa0Juche 111 (2022)\xa0\xa0Thursday", "Asia/Pyongyang", datetime(2022, 3, 9, 15, 0, tzinfo=UTC)),
    ("[2026.9.8.]", "Asia/Pyongyang", datetime(2026, 9, 7, 15, 0, tzinfo=UTC)),  # a KCNA list entry
    # The other editions' date lines: Korean (with a Juche year), Russian, Japanese, Spanish, French.
    ("주체115(2026)년 2월 19일 목요일", "Asia/Pyongyang", datetime(2026, 2, 18, 15, 0, tzinfo=UTC)),
    ("19 февраля 2026 г. Четверг", "Asia/Pyongyang", datetime(2026, 2, 18, 15, 0, tzinfo=UTC)),
    ("2026年2月19日 木曜日", "Asia/Pyongyang", datetime(2026, 2, 18, 15, 0, tzinfo=UTC)),
    ("19 de febrero de 2026 jueves", "Asia/Pyongyang", datetime(2026, 2, 18, 15, 0, tzinfo=UTC)),
    ("1er mars 2026 à 14h05", "Asia/Pyongyang", datetime(2026, 3, 1, 5, 5, tzinfo=UTC)),
    ("2024-07-23 14:05 KST", "UTC", datetime(2024, 7, 23, 5, 5, tzinfo=UTC)),
    ("2024-07-23 14:05", "Asia/Seoul", datetime(2024, 7, 23, 5, 5, tzinfo=UTC)),
    ("2024년 7월 23일", "Asia/Seoul", datetime(2024, 7, 22, 15, 0, tzinfo=UTC)),
    ("2024년 7월 23일 오후 2시 5분", "Asia/Seoul", datetime(2024, 7, 23, 5, 5, tzinfo=UTC)),
    ("입력 2024.07.23. 오후 2:05", "Asia/Seoul", datetime(2024, 7, 23, 5, 5, tzinfo=UTC)),
    ("송고2026-01-06 16:46", "Asia/Seoul", datetime(2026, 1, 6, 7, 46, tzinfo=UTC)),
    ("2024年7月23日", "Asia/Tokyo", datetime(2024, 7, 22, 15, 0, tzinfo=UTC)),
    ("2024年7月23日 14時05分", "Asia/Shanghai", datetime(2024, 7, 23, 6, 5, tzinfo=UTC)),
    ("２０２４年７月２３日", "Asia/Tokyo", datetime(2024, 7, 22, 15, 0, tzinfo=UTC)),
    ("23 июля 2024", "Europe/Moscow", datetime(2024, 7, 22, 21, 0, tzinfo=UTC)),
    ("23 июля 2024 г., 14:05", "Europe/Moscow", datetime(2024, 7, 23, 11, 5, tzinfo=UTC)),
    ("주체113(2024)년 7월 23일", "Asia/Pyongyang", datetime(2024, 7, 22, 15, 0, tzinfo=UTC)),
    ("主体113(2024)年7月23日", "Asia/Pyongyang", datetime(2024, 7, 22, 15, 0, tzinfo=UTC)),
    ("www.kcna.kp (Juche113.3.9.)", "Asia/Pyongyang", datetime(2024, 3, 8, 15, 0, tzinfo=UTC)),
    ("www.kcna.kp (2025.12.14.)", "Asia/Pyongyang", datetime(2025, 12, 13, 15, 0, tzinfo=UTC)),
    ("２０２６.２.１９.", "Asia/Pyongyang", datetime(2026, 2, 18, 15, 0, tzinfo=UTC)),
    ("02 October 2026, 11:54", "Europe/Minsk", datetime(2026, 10, 2, 8, 54, tzinfo=UTC)),
    ("Sun, 03 Aug 2025 06:27:03 GMT", "Asia/Seoul", datetime(2025, 8, 3, 6, 27, 3, tzinfo=UTC)),
    ("2025-10-31T09:12:00+09:00", "UTC", datetime(2025, 10, 31, 0, 12, tzinfo=UTC)),
    ("2024.07.23 14:05 +09:00", "UTC", datetime(2024, 7, 23, 5, 5, tzinfo=UTC)),
    ("July 23, 2024 2:05 p.m. EDT", "UTC", datetime(2024, 7, 23, 18, 5, tzinfo=UTC)),
    # A real feed's pubDate with no space before its offset (acnnewswire.net, in chardet's test feeds), which
    # feedparser does not read.
    ("Tue, 27 Dec 2005 13:08:54+0900", "UTC", datetime(2005, 12, 27, 4, 8, 54, tzinfo=UTC)),
    # The Korean Ministry of the Interior's press-release feed (a sample kept in a public repository): upper case,
    # KST, which feedparser reads as UTC.
    ("FRI, 26 JUL 2019 10:00:00 KST", "UTC", datetime(2019, 7, 26, 1, 0, tzinfo=UTC)),
    # "GMT+9" as pages and feeds print it (and JavaScript's Date): nine hours ahead, not dateutil's POSIX reading.
    ("Sat, 06 Dec 2025 09:00:00 GMT+9", "UTC", datetime(2025, 12, 6, 0, 0, tzinfo=UTC)),
    ("Sat Dec 06 2025 09:00:00 GMT+0900 (Korean Standard Time)", "UTC", datetime(2025, 12, 6, 0, 0, tzinfo=UTC)),
    ("Dec 6, 2025 09:00 GMT-3", "Asia/Seoul", datetime(2025, 12, 6, 12, 0, tzinfo=UTC)),
    # The year last: dotted, the day first, as Russian and Belarusian pages print it (dateutil took 06.12 for
    # June 12); with slashes or dashes, the day first too, but the month first for an outlet in the Americas.
    ("06.12.2025 09:00", "Europe/Moscow", datetime(2025, 12, 6, 6, 0, tzinfo=UTC)),
    ("Опубликовано: 6.12.2025 в 9:05", "Europe/Minsk", datetime(2025, 12, 6, 6, 5, tzinfo=UTC)),
    ("06.12.2025", "America/New_York", datetime(2025, 12, 6, 5, 0, tzinfo=UTC)),
    ("06/12/2025", "Europe/London", datetime(2025, 12, 6, 0, 0, tzinfo=UTC)),
    ("06-12-2025", "Europe/Moscow", datetime(2025, 12, 5, 21, 0, tzinfo=UTC)),  # "-2025" is no offset
    ("12/06/2025", "America/New_York", datetime(2025, 12, 6, 5, 0, tzinfo=UTC)),
    ("11/25/2025 2:05 PM", "Europe/London", datetime(2025, 11, 25, 14, 5, tzinfo=UTC)),  # 25 is no month
    ("25/11/2025 14:05", "America/Chicago", datetime(2025, 11, 25, 20, 5, tzinfo=UTC)),  # nor here
])
def test_printed_forms_become_utc(text: str, zone: str, expected: datetime) -> None:
    assert parse_date(text, zone, now=NOW) == expected


@pytest.mark.parametrize("text", [
    "1989-12-31",  # before 1990
    "2026-11-02T12:00:00Z",  # a day after the page was read
    "주체116(2027)년 1월 1일",
    "2024-02-31",  # no such day
    "Page 5",  # no date at all
    "9999-12-31T23:59:59-23:59",  # past datetime's range once in UTC
    "Thu, 01 Jan 1970 00:00:00 +9999",  # an offset of days
    "2026-01-01 10:00 +99:99",
    # A month name the parser cannot read (Thai, a real feed's pubDate: trickspot.boxchart.com in chardet's test
    # feeds): "03 ... 2005" is no date; it was taken for March, with the day of reading filled in.
    "พฤ., 03 พ.ย. 2005 21:24:18 +0000",
    "Mon, 30 Foo 2025 10:00:00 GMT",
    "",
    None,
])
def test_implausible_or_missing_dates_are_rejected(text: str | None) -> None:
    assert parse_date(text, "Asia/Seoul", now=NOW) is None


def test_a_naive_time_is_read_in_the_outlet_zone() -> None:
    seoul = parse_date("2026-01-06 16:46", "Asia/Seoul", now=NOW)
    minsk = parse_date("2026-01-06 16:46", "Europe/Minsk", now=NOW)
    assert seoul == datetime(2026, 1, 6, 7, 46, tzinfo=UTC)
    assert minsk == datetime(2026, 1, 6, 13, 46, tzinfo=UTC)


def test_dateline_dates_take_the_year_of_reading_or_the_one_before() -> None:
    assert date_from_dateline("September 10", NOW, "Asia/Pyongyang") == datetime(2026, 9, 9, 15, tzinfo=UTC)
    january = datetime(2027, 1, 2, tzinfo=UTC)
    assert date_from_dateline("December 30", january, "Asia/Pyongyang") == datetime(2026, 12, 29, 15,
                                                                                     tzinfo=UTC)
    assert date_from_dateline("7월 23일", NOW, "Asia/Seoul") == datetime(2026, 7, 22, 15, tzinfo=UTC)
    assert date_from_dateline("23 июля", NOW, "Europe/Moscow") == datetime(2026, 7, 22, 21, tzinfo=UTC)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://en.yna.co.kr/view/AEN20170601002651315", datetime(2017, 5, 31, 15, 0, tzinfo=UTC)),
    ("https://www.yna.co.kr/view/AKR20260106051300504?section=nk", datetime(2026, 1, 5, 15, 0, tzinfo=UTC)),
    ("https://www.koreatimes.co.kr/economy/cryptocurrency/20260222/slug", datetime(2026, 2, 21, 15, 0, tzinfo=UTC)),
    ("https://example.com/2024/7/23/story", datetime(2024, 7, 22, 15, 0, tzinfo=UTC)),
    ("https://example.com/news/2024-07-23-story", datetime(2024, 7, 22, 15, 0, tzinfo=UTC)),
    # A hexadecimal hash that starts like a date, a number that is no date, a date in the host or the query.
    ("http://www.kcna.kp/en/article/detail/20260911ab5c6d7e8f90a1b2c3d4e5f6a7b8", None),
    ("https://tass.com/politics/2012345", None),
    ("https://www.20240723.example/a?d=20240723", None),
    ("https://example.com/2024/13/45/x", None),
    ("https://example.com/2099/01/01/x", None),  # after the moment of reading
])
def test_the_day_an_article_url_names(url: str, expected: datetime | None) -> None:
    assert url_date(url, "Asia/Seoul", NOW) == expected


def test_a_year_less_dateline_takes_the_year_nearest_the_pages_own_dates() -> None:
    assert date_from_dateline("June 1", NOW, "Asia/Seoul", near=datetime(2017, 6, 1, tzinfo=UTC)) == datetime(
        2017, 5, 31, 15, 0, tzinfo=UTC)
    # A 31 December report whose page prints mostly 1 January dates belongs to the year before them.
    assert date_from_dateline("Dec. 31", NOW, "Asia/Seoul", near=datetime(2018, 1, 2, tzinfo=UTC)) == datetime(
        2017, 12, 30, 15, 0, tzinfo=UTC)
    # A dateline that prints its year keeps it, whatever else the page says.
    assert date_from_dateline("June 1, 2019", NOW, "UTC", near=datetime(2017, 6, 1, tzinfo=UTC)) == datetime(
        2019, 6, 1, tzinfo=UTC)


def test_the_day_a_page_prints_most_often() -> None:
    page = ("<p>2013/06/03</p><a href='/2017/06/01/a.jpg'>x</a> 2017.6.1 <span>2017-06-01 18:10</span>"
            "<div class='old'>2013/06/03 2013/06/03</div><p>2099/01/01 2099/01/01 2099/01/01 2099/01/01</p>")
    assert page_day(page, NOW) == datetime(2017, 6, 1, tzinfo=UTC)  # 3 times; 2013's 3 are older; 2099 no date
    assert page_day("no dates here, 1234/56/78 either", NOW) is None
