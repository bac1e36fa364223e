"""Dates, moments and amounts by Babel, in each language; moments in Vietnam's time."""

from __future__ import annotations

import datetime as dt

from backend.i18n import (
    Moment,
    format_date,
    format_day,
    format_moment,
    format_number,
    format_size,
    format_time,
    format_vnd,
    parse_date,
)

DAY = dt.date(2026, 11, 25)
# 07:05 UTC is 14:05 in Vietnam.
MOMENT = dt.datetime(2026, 11, 22, 7, 5, tzinfo=dt.UTC)


def test_vietnamese_keeps_the_forms_of_legal_documents() -> None:
    assert format_date(DAY, "vi") == "25/11/2026"
    assert format_day(DAY, "vi") == "Thứ Tư, 25/11/2026"
    assert format_moment(MOMENT, "vi") == "22/11/2026 14:05"
    assert format_time(MOMENT, "vi") == "14:05"
    assert format_vnd(1_150_000, "vi") == "1.150.000\xa0₫"
    assert format_number(1234567, "vi") == "1.234.567"
    assert format_size(3_565_158, "vi") == "3,4 MB"


def test_english_names_the_month_so_nobody_swaps_day_and_month() -> None:
    assert format_date(DAY, "en") == "25 Nov 2026"
    assert format_day(DAY, "en") == "Wednesday, 25 Nov 2026"
    assert format_moment(MOMENT, "en") == "22 Nov 2026, 14:05"
    assert format_vnd(1_150_000, "en") == "₫1,150,000"
    assert format_size(3_565_158, "en") == "3.4 MB"


def test_missing_values_and_unknown_languages() -> None:
    assert format_date(None, "vi") == format_moment(None, "en") == format_day(None) == ""
    assert format_date(DAY, "fr") == "25/11/2026"  # a language we do not have: Vietnamese
    assert format_size(500, "vi") == "1 KB"
    assert Moment(DAY).render("en") == "25 Nov 2026"
    assert Moment(MOMENT).render("vi") == "22/11/2026 14:05"


def test_a_naive_moment_is_read_as_utc() -> None:
    # SQLite hands back timestamps without a zone: they are UTC, as stored.
    assert format_moment(MOMENT.replace(tzinfo=None), "vi") == "22/11/2026 14:05"


def test_a_day_is_read_as_date_inputs_send_it_or_as_people_type_it() -> None:
    assert parse_date("2026-04-27") == parse_date(" 27/04/2026 ") == dt.date(2026, 4, 27)
    assert parse_date("7/4/2026") == dt.date(2026, 4, 7)
    for wrong in ("", "31/02/2026", "2026-13-01", "27.04.2026", "27/04/26", "hôm nay"):
        assert parse_date(wrong) is None
