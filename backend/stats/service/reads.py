"""The dashboard's reads: sums of the daily aggregates over a period for a subject (the
province, a unit's agencies, an agency), by step for the charts, split by unit and by
agency for the tables, and the live counts the other domains give (overdue dossiers
and feedback, procedures offered online)."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable

import msgspec

from backend.catalogue import service as catalogue
from backend.db import fetch
from backend.db.dialect import for_engine, is_postgres, list_param
from backend.dossiers import service as dossiers
from backend.feedback import service as feedback
from backend.stats.schemas import Breakdown, Bucket, Figures, Line, Rate, Series, Step, Subject
from backend.stats.service.metrics import PROVINCE, vietnam_today
from backend.stats.service.period import steps
from backend.stats.service.scope import Province, subject_of
from backend.stats.service.store import refreshed_at

# An agency code, None for the province, or any subject.
Of = Subject | str | None


class _Total(msgspec.Struct, frozen=True):
    metric: str
    total: int


class _AgencyTotal(msgspec.Struct, frozen=True):
    agency: str
    metric: str
    total: int


class _StepTotal(msgspec.Struct, frozen=True):
    bucket: dt.date
    metric: str
    total: int


# CODES: one code (the province's sums, or an agency's) or a list of them (a unit's).
_ONE = "agency_code = {}"
_MANY = "agency_code IN_TEXTS({})"
_SUMS = (
    "SELECT metric, CAST(SUM(value) AS BIGINT) AS total FROM stats_daily"
    " WHERE CODES AND day >= {} AND day <= {} GROUP BY metric"
)
# Every agency's rows (never the province's sums), or those of a unit's agencies.
_BY_AGENCY = (
    "SELECT agency_code AS agency, metric, CAST(SUM(value) AS BIGINT) AS total"
    " FROM stats_daily WHERE CODES AND day >= {} AND day <= {} GROUP BY 1, 2"
)
_EVERY_AGENCY = "agency_code <> '*'"
# The first day of a day's step (ISO weeks start on Monday), PostgreSQL's and SQLite's.
_BUCKETS: dict[Step, tuple[str, str]] = {
    "day": ("day", "day"),
    "week": (
        "CAST(date_trunc('week', day) AS date)",
        "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')",
    ),
    "month": ("CAST(date_trunc('month', day) AS date)", "date(day, 'start of month')"),
}
_SERIES = (
    "SELECT BUCKET AS bucket, metric, CAST(SUM(value) AS BIGINT) AS total FROM stats_daily"
    " WHERE CODES AND day >= {} AND day <= {} GROUP BY 1, 2"
)


@functools.cache
def _sql(text: str, codes: str, postgres: bool, step: Step = "day") -> str:
    bucket = _BUCKETS[step][0 if postgres else 1]
    return for_engine(text.replace("CODES", codes).replace("BUCKET", bucket), postgres)


def _codes(subject: Subject) -> tuple[str, list[object]] | None:
    """The condition on ``stats_daily.agency_code`` that gives a subject's rows, and
    its parameter (None: a unit without agencies, which has none)."""
    if subject.kind == "province":
        return _ONE, [PROVINCE]
    if subject.kind == "agency":
        return _ONE, [subject.code]
    if not subject.agencies:
        return None
    if len(subject.agencies) == 1:
        return _ONE, [subject.agencies[0]]
    return _MANY, [list_param(subject.agencies)]


async def _totals(subject: Subject, start: dt.date, end: dt.date) -> dict[str, int]:
    codes = _codes(subject)
    if codes is None:
        return {}
    sql = _sql(_SUMS, codes[0], is_postgres())
    rows = msgspec.convert(await fetch(sql, *codes[1], start, end), list[_Total], strict=False)
    return {row.metric: row.total for row in rows if row.total}


async def _by_agency(subject: Subject, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """The sums of each agency of the subject (the province: of every agency)."""
    if subject.kind == "province":
        codes: tuple[str, list[object]] = (_EVERY_AGENCY, [])
    elif subject.agencies:
        codes = (_MANY, [list_param(subject.agencies)])
    else:
        return {}
    sql = _sql(_BY_AGENCY, codes[0], is_postgres())
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for row in msgspec.convert(
        await fetch(sql, *codes[1], start, end), list[_AgencyTotal], strict=False
    ):
        if row.total:
            found[row.agency][row.metric] = row.total
    return found


def _subject_sum(subject: Subject, by_agency: dict[str, int]) -> int:
    if subject.kind == "province":
        return sum(by_agency.values())
    return sum(by_agency.get(code, 0) for code in subject.agencies)


async def overdue_now(of: Of, today: dt.date) -> int:
    """Dossiers whose clock runs and whose appointment date is before ``today``, at
    the subject's agencies (the province: every agency of the catalogue)."""
    subject = await subject_of(of)
    return sum((await dossiers.overdue_counts(today, subject.agencies)).values())


async def feedback_overdue_now(of: Of, today: dt.date) -> int:
    """Open feedback past its deadline held by the subject's agencies (the province:
    by any agency)."""
    subject = await subject_of(of)
    return _subject_sum(subject, await feedback.overdue_feedback_counts(today))


def _online(levels: Iterable[str]) -> Rate:
    found = list(levels)
    return Rate(sum(1 for level in found if level in ("full", "partial")), len(found))


async def _procedures_online(subject: Subject) -> Rate:
    if subject.kind != "unit" or len(subject.agencies) == 1:
        agency = None if subject.kind == "province" else subject.agencies[0]
        counts = await catalogue.procedures_by_level(agency)
        return Rate(counts.get("full", 0) + counts.get("partial", 0), sum(counts.values()))
    # A unit's agencies together: each procedure once, whichever of them carries it out.
    levels: dict[str, str] = {}
    size = max(1, await catalogue.count_procedures())
    for code in subject.agencies:
        page = await catalogue.list_procedures(agency=code, page_size=size)
        levels |= {item.code: item.online_level for item in page.items}
    return _online(levels.values())


async def figures(of: Of, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> Figures:
    """The dashboard of a subject for the days ``start`` to ``end``, both included:
    sums of the daily aggregates, and the live counts."""
    subject = await subject_of(of)
    today = vietnam_today(now or dt.datetime.now(dt.UTC))
    return Figures(
        subject=subject,
        start=start,
        end=end,
        totals=await _totals(subject, start, end),
        overdue_now=await overdue_now(subject, today),
        feedback_overdue_now=await feedback_overdue_now(subject, today),
        procedures_online=await _procedures_online(subject),
        refreshed_at=await refreshed_at(),
    )


def _added(lines: Iterable[Line]) -> tuple[dict[str, int], int, int]:
    totals: dict[str, int] = defaultdict(int)
    overdue = late = 0
    for line in lines:
        for metric, n in line.totals.items():
            totals[metric] += n
        overdue += line.overdue_now
        late += line.feedback_overdue_now
    return dict(totals), overdue, late


async def breakdown(
    subject: Subject,
    province: Province,
    start: dt.date,
    end: dt.date,
    now: dt.datetime | None = None,
) -> Breakdown:
    """The subject's figures by unit (the province's only) and by agency (the
    province's or a unit's; an agency has neither). Every agency the figures hold
    counts in one row, even one the catalogue no longer has, so that the rows add up
    to the subject's figures."""
    if subject.kind == "agency":
        return Breakdown(units=[], agencies=[])
    today = vietnam_today(now or dt.datetime.now(dt.UTC))
    sums = await _by_agency(subject, start, end)
    overdue = await dossiers.overdue_counts(today, subject.agencies)
    late = await feedback.overdue_feedback_counts(today)
    codes = set(subject.agencies)
    gone: list[str] = []
    if subject.kind == "province":
        gone = sorted((set(sums) | set(late)) - codes)
        codes |= set(gone)
    lines = {
        code: Line.of(
            province.of_agency(code), sums.get(code, {}), overdue.get(code, 0), late.get(code, 0)
        )
        for code in codes
    }
    agencies = [lines[agency.code] for agency in province.agencies if agency.code in lines]
    agencies += [lines[code] for code in gone]
    if subject.kind != "province":
        return Breakdown(units=[], agencies=agencies)
    units = [
        Line.of(unit, *_added(lines[code] for code in unit.agencies if code in lines))
        for unit in province.unit_subjects(gone)
    ]
    return Breakdown(units=units, agencies=agencies)


async def series(of: Of, start: dt.date, end: dt.date, step: Step) -> Series:
    """The metrics of a subject by day, week (Monday to Sunday) or calendar month,
    over the days ``start`` to ``end``."""
    subject = await subject_of(of)
    spans = steps(start, end, step)
    index = {first: position for position, (first, _) in enumerate(spans)}
    totals: list[dict[str, int]] = [defaultdict(int) for _ in spans]
    codes = _codes(subject)
    if codes is not None:
        sql = _sql(_SERIES, codes[0], is_postgres(), step)
        rows = await fetch(sql, *codes[1], start, end)
        for row in msgspec.convert(rows, list[_StepTotal], strict=False):
            totals[index[max(row.bucket, start)]][row.metric] += row.total
    return Series(
        subject=subject,
        start=start,
        end=end,
        step=step,
        buckets=[
            Bucket(start=first, end=last, totals=dict(values))
            for (first, last), values in zip(spans, totals, strict=True)
        ],
    )
