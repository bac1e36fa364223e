"""The dashboard's reads: sums of the daily aggregates over a period, by step for the
charts, and the live counts the other domains give (overdue dossiers and feedback,
procedures offered online)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from backend.catalogue import service as catalogue
from backend.db import fetch
from backend.db.dialect import is_postgres
from backend.dossiers import service as dossiers
from backend.feedback import service as feedback
from backend.stats.schemas import Bucket, Figures, Rate, Series, Step
from backend.stats.service.metrics import PROVINCE, vietnam_today
from backend.stats.service.store import refreshed_at


class _Total(msgspec.Struct, frozen=True):
    metric: str
    total: int


class _StepTotal(msgspec.Struct, frozen=True):
    bucket: dt.date
    metric: str
    total: int


_SUMS = (
    "SELECT metric, CAST(SUM(value) AS BIGINT) AS total FROM stats_daily"
    " WHERE agency_code = {} AND day >= {} AND day <= {} GROUP BY metric"
)
# The first day of a day's step (ISO weeks start on Monday), PostgreSQL's and SQLite's.
_BUCKETS: dict[Step, tuple[str, str]] = {
    "day": ("day", "day"),
    "week": (
        "CAST(date_trunc('week', day) AS date)",
        "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')",
    ),
    "month": ("CAST(date_trunc('month', day) AS date)", "date(day, 'start of month')"),
}
_SERIES = {
    (step, postgres): (
        "SELECT BUCKET AS bucket, metric, CAST(SUM(value) AS BIGINT) AS total FROM stats_daily"
        " WHERE agency_code = {} AND day >= {} AND day <= {} GROUP BY 1, 2"
    ).replace("BUCKET", bucket)
    for step, texts in _BUCKETS.items()
    for postgres, bucket in zip((True, False), texts, strict=True)
}


async def _totals(agency_code: str | None, start: dt.date, end: dt.date) -> dict[str, int]:
    rows = msgspec.convert(
        await fetch(_SUMS, agency_code or PROVINCE, start, end), list[_Total], strict=False
    )
    return {row.metric: row.total for row in rows if row.total}


async def overdue_now(agency_code: str | None, today: dt.date) -> int:
    """Dossiers whose clock runs and whose appointment date is before ``today``, at
    an agency or at any of the catalogue's."""
    agencies = [agency_code] if agency_code else await catalogue.agency_codes()
    return await dossiers.overdue_count(today, agencies)


async def feedback_overdue_now(agency_code: str | None, today: dt.date) -> int:
    return await feedback.overdue_feedback_count(today, agency_code)


async def _procedures_online(agency_code: str | None) -> Rate:
    counts = await catalogue.procedures_by_level(agency_code)
    return Rate(counts.get("full", 0) + counts.get("partial", 0), sum(counts.values()))


async def figures(
    agency_code: str | None, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> Figures:
    """The dashboard of an agency (None: the province) for the days ``start`` to
    ``end``, both included: sums of the daily aggregates, and the live counts."""
    today = vietnam_today(now or dt.datetime.now(dt.UTC))
    return Figures(
        agency_code=agency_code,
        start=start,
        end=end,
        totals=await _totals(agency_code, start, end),
        overdue_now=await overdue_now(agency_code, today),
        feedback_overdue_now=await feedback_overdue_now(agency_code, today),
        procedures_online=await _procedures_online(agency_code),
        refreshed_at=await refreshed_at(),
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


async def series(agency_code: str | None, start: dt.date, end: dt.date, step: Step) -> Series:
    """The metrics of an agency (None: the province) by day, week (Monday to Sunday)
    or calendar month, over the days ``start`` to ``end``."""
    spans = steps(start, end, step)
    index = {first: position for position, (first, _) in enumerate(spans)}
    totals: list[dict[str, int]] = [defaultdict(int) for _ in spans]
    rows = await fetch(_SERIES[(step, is_postgres())], agency_code or PROVINCE, start, end)
    for row in msgspec.convert(rows, list[_StepTotal], strict=False):
        totals[index[max(row.bucket, start)]][row.metric] += row.total
    return Series(
        agency_code=agency_code,
        start=start,
        end=end,
        step=step,
        buckets=[
            Bucket(start=first, end=last, totals=dict(values))
            for (first, last), values in zip(spans, totals, strict=True)
        ],
    )
