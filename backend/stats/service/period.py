"""The dashboard's question: which days, by which step (``scope`` decides about what).

A period is one of a few named ones or the days typed; every problem with what was
typed is reported at once. A step that would give a chart more bars than a phone can
show is made coarser, and the choice says so.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import msgspec

from backend.errors import Problems
from backend.i18n import N_, parse_date
from backend.stats.schemas import Period, Step, Subject

PERIODS: tuple[Period, ...] = ("7d", "30d", "month", "year", "custom")
STEPS: tuple[Step, ...] = ("day", "week", "month")
# More steps than this and a chart (and its table) stops being readable on a phone.
MAX_BUCKETS = 62
MAX_DAYS = 5 * 366
EARLIEST = dt.date(2000, 1, 1)
T = TypeVar("T", bound=str)


class PeriodQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The dashboard's form as sent: what was typed or chosen, unchecked (``agency``
    and ``unit``: codes, "" for the default)."""

    agency: str = ""
    unit: str = ""
    period: str = "30d"
    start: str = ""
    end: str = ""
    step: str = ""


class Days(msgspec.Struct, frozen=True, kw_only=True):
    """The days ``start`` to ``end`` (both included), the charts' step, and whether
    that step is coarser than the one asked for."""

    period: Period
    start: dt.date
    end: dt.date
    step: Step
    step_changed: bool = False


class Choice(Days, frozen=True, kw_only=True):
    """What the dashboard shows: a subject over some days."""

    subject: Subject

    def as_query(self) -> PeriodQuery:
        """The form filled in with this choice: an agency's page names the agency
        alone (its unit in the form too would refuse the next choice of another unit
        with the agency left as it was)."""
        kind = self.subject.kind
        return PeriodQuery(
            agency=self.subject.code if kind == "agency" else "",
            unit=self.subject.code if kind == "unit" else "",
            period=self.period,
            start=self.start.isoformat(),
            end=self.end.isoformat(),
            step=self.step,
        )


def step_start(day: dt.date, step: Step) -> dt.date:
    if step == "week":
        return day - dt.timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def _step_end(first: dt.date, step: Step) -> dt.date:
    if step == "week":
        return first + dt.timedelta(days=6)
    if step == "month":
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    return first


def steps(start: dt.date, end: dt.date, step: Step) -> list[tuple[dt.date, dt.date]]:
    """The steps covering ``start`` to ``end``, each cut to that period."""
    result: list[tuple[dt.date, dt.date]] = []
    first = step_start(start, step)
    while first <= end:
        last = _step_end(first, step)
        result.append((max(first, start), min(last, end)))
        first = last + dt.timedelta(days=1)
    return result


def _one_of(value: str, known: tuple[T, ...], default: T) -> T:
    return next((choice for choice in known if choice == value), default)


def period_days(period: Period, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days of a named period up to ``today`` (30 days for "custom")."""
    if period == "7d":
        return today - dt.timedelta(days=6), today
    if period == "month":
        return today.replace(day=1), today
    if period == "year":
        return today.replace(month=1, day=1), today
    return today - dt.timedelta(days=29), today


def default_step(start: dt.date, end: dt.date) -> Step:
    days = (end - start).days + 1
    return "day" if days <= 31 else "week" if days <= 183 else "month"


def _typed_days(query: PeriodQuery, today: dt.date, problems: Problems) -> tuple[dt.date, dt.date]:
    start, end = parse_date(query.start), parse_date(query.end)
    if start is None:
        problems.add("start", N_("Hãy nhập ngày bắt đầu, ví dụ 01/10/2026."))
    if end is None:
        problems.add("end", N_("Hãy nhập ngày kết thúc, ví dụ 31/10/2026."))
    if start is None or end is None:
        return period_days("custom", today)
    if start > end:
        problems.add("end", N_("Ngày kết thúc phải sau ngày bắt đầu."))
    elif (end - start).days >= MAX_DAYS:
        problems.add("start", N_("Khoảng thời gian tối đa là 5 năm."))
    elif start < EARLIEST or end > today + dt.timedelta(days=366):
        problems.add("start", N_("Ngày nằm ngoài khoảng cho phép."))
    return start, end


def choose_days(query: PeriodQuery, today: dt.date, problems: Problems) -> Days:
    """The days ``query`` asks for; what is wrong with them goes to ``problems``
    (``start``, ``end``), and the days then returned are only a stand-in. An unknown
    period or step is taken as the default one."""
    period = _one_of(query.period, PERIODS, "30d")
    if period == "custom":
        first, last = _typed_days(query, today, problems)
    else:
        first, last = period_days(period, today)
    wanted = _one_of(query.step, STEPS, default_step(first, last))
    step = wanted
    for step in STEPS[STEPS.index(wanted) :]:
        if len(steps(first, last, step)) <= MAX_BUCKETS:
            break
    return Days(period=period, start=first, end=last, step=step, step_changed=step != wanted)
