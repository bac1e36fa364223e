"""Dates, times, amounts and sizes as people write them, by Babel (CLDR) for each
language. Moments are shown in Vietnam's time, whatever the server's zone.

Vietnamese keeps the forms of the legal documents (25/11/2026, 150.000 ₫); English
writes the month's name (25 Nov 2026) so that no reader swaps day and month.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_currency, format_decimal

from backend.i18n.messages import DEFAULT_LANGUAGE, LANGUAGES
from backend.vietnam import VIETNAM

_DATE = {"vi": "dd/MM/y", "en": "d MMM y"}
_DAY = {"vi": "EEEE, dd/MM/y", "en": "EEEE, d MMM y"}
_MOMENT = {"vi": "dd/MM/y HH:mm", "en": "d MMM y, HH:mm"}
_TIME = "HH:mm"
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TYPED_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@functools.cache
def locale_of(lang: str) -> Locale:
    return Locale.parse(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def format_vnd(amount: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """150000 -> "150.000 ₫" (vi), "₫150,000" (en)."""
    return str(format_currency(amount, "VND", locale=locale_of(lang)))


def format_number(number: int | float, lang: str = DEFAULT_LANGUAGE) -> str:
    """1234567 -> "1.234.567" (vi), "1,234,567" (en); 3.5 -> "3,5" (vi)."""
    return str(format_decimal(number, locale=locale_of(lang)))


def format_date(day: dt.date | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """25/11/2026 (vi), 25 Nov 2026 (en); "" for None."""
    if day is None:
        return ""
    return str(babel_date(day, _DATE[_lang(lang)], locale=locale_of(lang)))


def parse_date(text: str) -> dt.date | None:
    """A day as a date input sends it (2026-04-27) or as people here type it where a
    browser has no date picker (27/04/2026); None if it is neither, or no real day."""
    value = text.strip()
    if match := _ISO_DAY.fullmatch(value):
        year, month, day = match.groups()
    elif match := _TYPED_DAY.fullmatch(value):
        day, month, year = match.groups()
    else:
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def format_day(day: dt.date | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A calendar day with its weekday: Thứ Tư, 25/11/2026 (vi), Wednesday, 25 Nov 2026."""
    if day is None:
        return ""
    return str(babel_date(day, _DAY[_lang(lang)], locale=locale_of(lang)))


def format_moment(moment: dt.datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A moment in Vietnam time: 22/11/2026 14:05 (vi), 22 Nov 2026, 14:05 (en)."""
    if moment is None:
        return ""
    return str(babel_datetime(moment, _MOMENT[_lang(lang)], tzinfo=VIETNAM, locale=locale_of(lang)))


def format_time(moment: dt.datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The time of day in Vietnam: 14:05."""
    if moment is None:
        return ""
    return str(babel_datetime(moment, _TIME, tzinfo=VIETNAM, locale=locale_of(lang)))


def format_size(size: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """820 KB, 3,4 MB (vi) or 3.4 MB (en)."""
    if size >= 1024 * 1024:
        number = format_decimal(
            round(size / (1024 * 1024), 1), format="0.0", locale=locale_of(lang)
        )
        return f"{number} MB"
    return f"{max(1, round(size / 1024))} KB"


class Number:
    """A number inside a message, written the reader's way (2.000 / 2,000)."""

    __slots__ = ("value",)

    def __init__(self, value: int | float) -> None:
        self.value = value

    def render(self, lang: str) -> str:
        return format_number(self.value, lang)


class Money:
    """An amount in đồng inside a message (150.000 ₫ / ₫150,000)."""

    __slots__ = ("amount",)

    def __init__(self, amount: int) -> None:
        self.amount = amount

    def render(self, lang: str) -> str:
        return format_vnd(self.amount, lang)


class Moment:
    """A date or a moment inside a message, in Vietnam's calendar."""

    __slots__ = ("value",)

    def __init__(self, value: dt.date | dt.datetime) -> None:
        self.value = value

    def render(self, lang: str) -> str:
        if isinstance(self.value, dt.datetime):
            return format_moment(self.value, lang)
        return format_date(self.value, lang)
