"""Numbers, shares and days as the dashboard writes them, in the page's language, by
Babel: counts as ``backend.i18n`` writes every number; shares and averages with one
decimal (98,8% / 98.8%); the charts' axes in whole percents and short days
(05/10, 10/2026 / 5 Oct, Oct 2026)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_date as babel_date
from babel.numbers import format_decimal, format_percent

from backend.i18n import format_date, format_number, locale_of
from backend.stats.schemas import Rate, Step

NO_DATA = "—"
# A day's or a week's label, and a month's, by language.
_STEP_LABELS = {"vi": ("dd/MM", "MM/y"), "en": ("d MMM", "MMM y")}


@dataclass(frozen=True)
class Format:
    lang: str

    def number(self, value: float) -> str:
        return format_number(round(value), self.lang)

    def decimal(self, value: float | None) -> str:
        if value is None:
            return NO_DATA
        return str(format_decimal(value, "#,##0.0", locale=locale_of(self.lang)))

    def share(self, value: float | None) -> str:
        """A share between 0 and 1 as a percentage with one decimal."""
        if value is None:
            return NO_DATA
        return str(format_percent(value, "#,##0.0%", locale=locale_of(self.lang)))

    def rate(self, rate: Rate) -> str:
        return self.share(rate.value)

    def tick(self, value: float) -> str:
        """An axis' percentage: whole numbers."""
        return str(format_percent(value, "#,##0%", locale=locale_of(self.lang)))

    def date(self, day: dt.date) -> str:
        return format_date(day, self.lang)

    def step_label(self, start: dt.date, step: Step) -> str:
        """A chart's label for the step starting on ``start``."""
        patterns = _STEP_LABELS.get(self.lang, _STEP_LABELS["vi"])
        pattern = patterns[1] if step == "month" else patterns[0]
        return str(babel_date(start, pattern, locale=locale_of(self.lang)))
