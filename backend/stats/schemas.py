"""Structs of the stats domain: the figures of a period and the series for the charts.

Counts come straight from the daily aggregates (``backend.stats.service.METRICS``);
every share is a ``Rate`` that keeps its numerator and denominator, so a page can show
"98,8 % (1.235 / 1.250)" and a period without any dossier shows "no data" rather than
0 % or 100 %.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

Step = Literal["day", "week", "month"]
Period = Literal["7d", "30d", "month", "year", "custom"]


class Rate(msgspec.Struct, frozen=True):
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The share between 0 and 1, or None when there is nothing to divide by."""
        return self.numerator / self.denominator if self.denominator else None


def _rate(totals: dict[str, int], numerator: str, denominator: str) -> Rate:
    return Rate(totals.get(numerator, 0), totals.get(denominator, 0))


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    """Sums of the daily metrics over some days, with the shares they give."""

    totals: dict[str, int]

    def count(self, metric: str) -> int:
        return self.totals.get(metric, 0)

    @property
    def on_time(self) -> Rate:
        return _rate(self.totals, "resolved.on_time", "resolved")

    @property
    def average_days(self) -> float | None:
        resolved = self.count("resolved")
        return self.count("resolved.days_sum") / resolved if resolved else None

    @property
    def online(self) -> Rate:
        return Rate(
            self.count("received.full_online") + self.count("received.partial_online"),
            self.count("received.online_capable"),
        )

    @property
    def full_online(self) -> Rate:
        return _rate(self.totals, "received.full_online", "received.full")

    @property
    def partial_online(self) -> Rate:
        return _rate(self.totals, "received.partial_online", "received.partial")

    @property
    def online_of_all(self) -> Rate:
        return _rate(self.totals, "received.online", "received")

    @property
    def paid_online(self) -> Rate:
        return _rate(self.totals, "paid.online", "paid.count")

    @property
    def feedback_on_time(self) -> Rate:
        return _rate(self.totals, "feedback.on_time", "feedback.answered")

    @property
    def feedback_satisfaction(self) -> Rate:
        """Decision 766: answered feedback less the late or badly rated, over answered."""
        answered = self.count("feedback.answered")
        return Rate(answered - self.count("feedback.unhappy"), answered)

    @property
    def feedback_rated_satisfied(self) -> Rate:
        return _rate(self.totals, "feedback.rated_satisfied", "feedback.rated")

    @property
    def dossier_satisfaction(self) -> Rate:
        """Decision 766: resolved dossiers less the late, badly rated or complained
        about, over resolved dossiers."""
        resolved = self.count("resolved")
        return Rate(resolved - self.count("resolved.unhappy"), resolved)

    @property
    def satisfaction(self) -> Rate:
        return _rate(self.totals, "ratings.satisfied", "ratings.count")

    @property
    def satisfaction_counter(self) -> Rate:
        return _rate(self.totals, "ratings.counter_satisfied", "ratings.counter")

    @property
    def satisfaction_dossier(self) -> Rate:
        return _rate(self.totals, "ratings.dossier_satisfied", "ratings.dossier")


class Figures(Counts, frozen=True, kw_only=True):
    """The dashboard of one agency (or the province: ``agency_code`` None) over the
    days ``start`` to ``end`` (both included), plus what is true right now."""

    agency_code: str | None
    start: dt.date
    end: dt.date
    # Live: dossiers whose clock runs and whose appointment date has passed, and open
    # feedback past its deadline (now, whatever the period).
    overdue_now: int
    feedback_overdue_now: int
    # Live, from the catalogue: procedures offered online (full or partial) / all.
    procedures_online: Rate
    # When the aggregates were last brought up to date (None: never yet).
    refreshed_at: dt.datetime | None


class Bucket(Counts, frozen=True, kw_only=True):
    """One step of a series: the days ``start`` to ``end`` (both included)."""

    start: dt.date
    end: dt.date


class Series(msgspec.Struct, frozen=True, kw_only=True):
    agency_code: str | None
    start: dt.date
    end: dt.date
    step: Step
    buckets: list[Bucket]
