"""Structs of the stats domain: what figures are about (``Subject``: the province, an
administrative unit's agencies together, or one agency), the figures of a period, the
series for the charts, and the rows of the tables by unit and by agency.

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
SubjectKind = Literal["province", "unit", "agency"]


class Subject(msgspec.Struct, frozen=True, kw_only=True):
    """What figures are about: the whole province (``code`` "*"), an administrative
    unit (a commune or ward, or the province's own departments: the agencies serving
    it together; ``code`` "" for the agencies of no known unit), or one agency."""

    kind: SubjectKind
    code: str
    name_vi: str
    name_en: str
    # An agency's unit, a unit's own code ("" for the province or when unknown).
    unit_code: str
    # The agencies it is made of (the province: every agency of the catalogue).
    agencies: tuple[str, ...]


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
    """The dashboard of a subject over the days ``start`` to ``end`` (both included),
    plus what is true right now."""

    subject: Subject
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
    subject: Subject
    start: dt.date
    end: dt.date
    step: Step
    buckets: list[Bucket]


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a table by unit or by agency (and the total under it): a subject's
    figures over a period, the shares worked out as on the dashboard's cards, with
    every count they come from (``totals``, by metric)."""

    subject: Subject
    received: int
    received_online: int
    resolved: int
    on_time: Rate
    average_days: float | None
    overdue_now: int
    online: Rate
    paid_online: Rate
    satisfaction: Rate
    dossier_satisfaction: Rate
    feedback_on_time: Rate
    feedback_overdue_now: int
    totals: dict[str, int]

    @classmethod
    def of(
        cls, subject: Subject, totals: dict[str, int], overdue_now: int, feedback_overdue_now: int
    ) -> Line:
        counts = Counts(totals=totals)
        return cls(
            subject=subject,
            received=counts.count("received"),
            received_online=counts.count("received.online"),
            resolved=counts.count("resolved"),
            on_time=counts.on_time,
            average_days=counts.average_days,
            overdue_now=overdue_now,
            online=counts.online,
            paid_online=counts.paid_online,
            satisfaction=counts.satisfaction,
            dossier_satisfaction=counts.dossier_satisfaction,
            feedback_on_time=counts.feedback_on_time,
            feedback_overdue_now=feedback_overdue_now,
            totals=totals,
        )

    @classmethod
    def of_figures(cls, figures: Figures) -> Line:
        return cls.of(
            figures.subject, figures.totals, figures.overdue_now, figures.feedback_overdue_now
        )


class Breakdown(msgspec.Struct, frozen=True, kw_only=True):
    """A subject's figures split: by administrative unit (the province only) and by
    agency (the province, or a unit's agencies); every row's counts add up to the
    subject's."""

    units: list[Line]
    agencies: list[Line]


class Overview(msgspec.Struct, frozen=True, kw_only=True):
    """What the leaders' API gives for a subject and period: its figures, then its
    rows by unit and by agency."""

    subject: Subject
    start: dt.date
    end: dt.date
    total: Line
    procedures_online: Rate
    units: list[Line]
    agencies: list[Line]
    refreshed_at: dt.datetime | None
