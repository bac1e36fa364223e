"""The figures of the dashboard: daily aggregates, refreshed incrementally, and the
reads of the leaders' and the public pages.

**What is counted** (``METRICS``), per Vietnamese calendar day and agency:

- ``received`` and ``received.<channel>``: dossiers by the day they were received, at
  the agency that received them (``receiving_agency``); ``received.full`` and
  ``received.partial``: those of procedures offered fully / partly online (the
  procedure's ``online_level`` in the catalogue when the day is aggregated),
  ``received.online_capable`` their sum, ``received.full_online`` and
  ``received.partial_online`` the ones of them that came through the online channel.
- ``resolved``: dossiers by the day their result was ready (``result_ready_at``), at
  the agency handling them then (``agency_code``); ``resolved.on_time``: result ready
  on or before the appointment date and no apology (Form 04) sent: an apology moves
  the appointment, but the dossier was late all the same; ``resolved.days_sum``:
  calendar days from the day received to the day the result was ready (for the
  average); ``resolved.unhappy``: late, rated 1 or 2 (out of 5) by its applicant, or
  the subject of a feedback (Decision 766's dossier-satisfaction formula).
- ``paid.count``: dossiers whose fees were paid that day (a payment's ``paid_at``), at
  the agency that received them; ``paid.online``: those paid through a gateway (any
  provider but cash).
- ``ratings.*``: satisfaction ratings by their day, at the rated agency; count and
  satisfied (4 or 5 out of 5), in all and apart for counter visits and dossiers.
- ``feedback.received``: feedback (PAKN) by the day received, at the agency first
  given it; ``feedback.answered``, ``.on_time``, ``.rated`` (the person rated the
  answer), ``.rated_satisfied`` (4 or 5), ``.unhappy`` (answered late or rated 1 or
  2): by the day answered, at the agency that answered.

The agency code ``*`` holds each day's sum over the agencies: the province.

**Refresh** (``refresh(now)``, a chore of the outbox worker). The first time, every
day from the oldest data to today is aggregated from the base tables, a month of days
at a time, a few seconds a call, until done. After that, each call looks only at what
changed since the last one: dossiers, ratings and feedback by their indexed
``updated_at``, payments by ``paid_at``. Each changed row names the (day, agency)
pairs it counts in, for each family of metrics (``FAMILIES``: a dossier its received
day for ``received.*`` and its result day for ``resolved.*``, a rating its day for
``ratings.*`` and its dossier's result day for ``resolved.*``, ...); exactly those
families of those pairs are computed again from the base tables and replaced, then the
province rows of those days. The watermark then moves to the call's time less two
minutes, so a transaction that committed late is still seen.

**Clean-up.** A family of a day is recomputed only when a row that counts in it
changes, and never once the day is more than ``FROZEN_DAYS`` old: deleting old
dossiers, ratings or feedback later leaves their days' figures as they were. ``rebuild(start, end)``
recomputes a range on purpose (after importing old data); only use it on days whose
rows are all still there.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backend.db import active_engine, fetch, write_transaction
from backend.dossiers import lifecycle
from backend.stats.schemas import Bucket, Figures, Rate, Series, Step
from backend.stats.tables import StatsState
from backend.vietnam import VIETNAM

logger = logging.getLogger("motcua.stats")

PROVINCE = "*"
CHANNELS = ("online", "counter", "post", "assisted")
METRICS: tuple[str, ...] = (
    "received",
    *(f"received.{channel}" for channel in CHANNELS),
    "received.full",
    "received.partial",
    "received.online_capable",
    "received.full_online",
    "received.partial_online",
    "resolved",
    "resolved.on_time",
    "resolved.days_sum",
    "resolved.unhappy",
    "paid.count",
    "paid.online",
    "ratings.count",
    "ratings.satisfied",
    "ratings.counter",
    "ratings.counter_satisfied",
    "ratings.dossier",
    "ratings.dossier_satisfied",
    "feedback.received",
    "feedback.answered",
    "feedback.on_time",
    "feedback.rated",
    "feedback.rated_satisfied",
    "feedback.unhappy",
)
STATE_NAME = "daily"
# Rows changed this long before a refresh are looked at again by the next one: a
# transaction that took its timestamp before the refresh but committed after it.
MARGIN_MS = 2 * 60 * 1000
# How long a refresh may hold the state row (a worker that died lets go after this).
LEASE_MS = 10 * 60 * 1000
BATCH_DAYS = 31
# A first aggregation stops after this many seconds a call and goes on at the next.
BUDGET_S = 5.0
# Days older than this are final: a late change to one of their rows is not counted.
FROZEN_DAYS = 92
INSERT_ROWS = 250

Pair = tuple[dt.date, str]
Values = dict[Pair, dict[str, int]]


# --------------------------------------------------------------------- the SQL
# Fixed texts with ``{}`` placeholders (backend.db.fetch), written once for both
# engines: VNDAY(column) is a timestamp's Vietnamese calendar day and DAYS(a, b) the
# days between two timestamps' days. SQLite keeps timestamps as UTC text.


# The first day of a day's step (ISO weeks start on Monday).
_BUCKETS = {
    "day": ("day", "day"),
    "week": (
        "CAST(date_trunc('week', day) AS date)",
        "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')",
    ),
    "month": ("CAST(date_trunc('month', day) AS date)", "date(day, 'start of month')"),
}
_ON_TIME = (
    "d.due_date IS NOT NULL AND VNDAY(d.result_ready_at) <= d.due_date AND NOT EXISTS"
    " (SELECT 1 FROM dossiers_event e WHERE e.dossier = d.id AND e.action = 'apologise')"
)


def _dialect(sql: str, postgres: bool) -> str:
    sql = sql.replace("ON_TIME", _ON_TIME)
    # Hints for SQLite's planner, which has no statistics (nothing runs ANALYZE) or
    # only averages per index: RARE(condition)RARE says the condition holds for few
    # rows, NOINDEX keeps it from using a column's index. PostgreSQL's statistics
    # know better; it gets the plain condition.
    sql = re.sub(r"RARE\((.*?)\)RARE", r"\1" if postgres else r"likelihood(\1, 0.01)", sql)
    sql = sql.replace("NOINDEX ", "" if postgres else "+")
    for step, (pg, lite) in _BUCKETS.items():
        sql = sql.replace(f"BUCKET_{step.upper()}", pg if postgres else lite)
    if postgres:
        sql = re.sub(
            r"DAYS\(([\w.]+), ([\w.]+)\)",
            r"(CAST((\1 AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS date)"
            r" - CAST((\2 AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS date))",
            sql,
        )
        return re.sub(
            r"VNDAY\(([\w.]+)\)", r"CAST((\1 AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS date)", sql
        )
    sql = re.sub(
        r"DAYS\(([\w.]+), ([\w.]+)\)",
        r"CAST(julianday(date(\1, '+7 hours')) - julianday(date(\2, '+7 hours')) AS INTEGER)",
        sql,
    )
    return re.sub(r"VNDAY\(([\w.]+)\)", r"date(\1, '+7 hours')", sql)


class _Sql:
    def __init__(self, text: str) -> None:
        self.text = {False: _dialect(text, False), True: _dialect(text, True)}

    def __call__(self) -> str:
        return self.text[active_engine().engine_type == "postgres"]


_RECEIVED = _Sql(
    "SELECT VNDAY(d.received_at) AS day, d.receiving_agency AS agency, d.channel AS channel,"
    " COALESCE(p.online_level, '') AS level, COUNT(*) AS n"
    " FROM dossiers_dossier d LEFT JOIN catalogue_procedure p ON p.code = d.procedure_code"
    " WHERE d.received_at >= {} AND d.received_at < {}"
    " GROUP BY 1, 2, 3, 4"
)
# Per dossier, ``flag``: 0 late, 1 on time, 2 on time but rated 1-2 or complained about
# (one look-up of the apology, and of ratings and feedback only for those on time).
_RESOLVED = _Sql(
    "SELECT day, agency, COUNT(*) AS resolved,"
    " SUM(CASE WHEN flag > 0 THEN 1 ELSE 0 END) AS on_time,"
    " SUM(days) AS days_sum,"
    " SUM(CASE WHEN flag <> 1 THEN 1 ELSE 0 END) AS unhappy"
    " FROM (SELECT VNDAY(d.result_ready_at) AS day, d.agency_code AS agency,"
    " CASE WHEN d.received_at IS NULL THEN 0"
    " ELSE DAYS(d.result_ready_at, d.received_at) END AS days,"
    " CASE WHEN ON_TIME THEN (CASE WHEN EXISTS (SELECT 1 FROM feedback_rating r"
    " WHERE r.dossier_id = d.id AND r.overall <= 2) OR EXISTS (SELECT 1 FROM feedback_item f"
    " WHERE f.dossier_id = d.id) THEN 2 ELSE 1 END) ELSE 0 END AS flag"
    " FROM dossiers_dossier d"
    " WHERE d.result_ready_at >= {} AND d.result_ready_at < {}) AS resolved"
    " GROUP BY day, agency"
)
# Payments drive (CROSS JOIN keeps SQLite from starting elsewhere), found by the day
# they were paid: an index on payments_payment.paid_at makes this a range scan.
_PAID = _Sql(
    "SELECT VNDAY(p.paid_at) AS day, d.receiving_agency AS agency,"
    " COUNT(DISTINCT pd.dossier_id) AS paid,"
    " COUNT(DISTINCT CASE WHEN p.provider <> 'cash' THEN pd.dossier_id END) AS online"
    " FROM payments_payment p CROSS JOIN payments_dossier pd CROSS JOIN dossiers_dossier d"
    " WHERE pd.payment = p.id AND d.id = pd.dossier_id"
    " AND NOINDEX p.status = 'paid' AND p.paid_at >= {} AND p.paid_at < {}"
    " GROUP BY 1, 2"
)
_RATINGS = _Sql(
    "SELECT day, agency_code AS agency, source, COUNT(*) AS n,"
    " SUM(CASE WHEN overall >= 4 THEN 1 ELSE 0 END) AS satisfied"
    " FROM feedback_rating WHERE day >= {} AND day <= {}"
    " GROUP BY 1, 2, 3"
)
_FEEDBACK_RECEIVED = _Sql(
    "SELECT received_day AS day, first_agency AS agency, COUNT(*) AS n"
    " FROM feedback_item WHERE received_day >= {} AND received_day <= {}"
    " GROUP BY 1, 2"
)
_FEEDBACK_ANSWERED = _Sql(
    "SELECT answered_day AS day, agency_code AS agency, COUNT(*) AS answered,"
    " SUM(CASE WHEN on_time THEN 1 ELSE 0 END) AS on_time,"
    " SUM(CASE WHEN answer_rating IS NOT NULL THEN 1 ELSE 0 END) AS rated,"
    " SUM(CASE WHEN answer_rating >= 4 THEN 1 ELSE 0 END) AS rated_satisfied,"
    " SUM(CASE WHEN on_time THEN (CASE WHEN answer_rating <= 2 THEN 1 ELSE 0 END)"
    " ELSE 1 END) AS unhappy"
    " FROM feedback_item WHERE answered_day >= {} AND answered_day <= {}"
    " GROUP BY 1, 2"
)

# What changed since a moment: the (day, agency) pairs each changed row counts in.
_TOUCHED_DOSSIERS = _Sql(
    "SELECT DISTINCT VNDAY(received_at) AS d1, receiving_agency AS a1,"
    " VNDAY(result_ready_at) AS d2, agency_code AS a2"
    " FROM dossiers_dossier WHERE updated_at >= {}"
)
_TOUCHED_RATINGS = _Sql(
    "SELECT DISTINCT r.day AS d1, r.agency_code AS a1,"
    " VNDAY(d.result_ready_at) AS d2, d.agency_code AS a2"
    " FROM feedback_rating r LEFT JOIN dossiers_dossier d ON d.id = r.dossier_id"
    " WHERE r.updated_at >= {}"
)
_TOUCHED_FEEDBACK = _Sql(
    "SELECT DISTINCT f.received_day AS d1, f.first_agency AS a1,"
    " f.answered_day AS d2, f.agency_code AS a2,"
    " VNDAY(d.result_ready_at) AS d3, d.agency_code AS a3"
    " FROM feedback_item f LEFT JOIN dossiers_dossier d ON d.id = f.dossier_id"
    " WHERE f.updated_at >= {}"
)
_TOUCHED_PAYMENTS = _Sql(
    "SELECT DISTINCT VNDAY(p.paid_at) AS d1, d.receiving_agency AS a1"
    " FROM payments_payment p CROSS JOIN payments_dossier pd CROSS JOIN dossiers_dossier d"
    " WHERE pd.payment = p.id AND d.id = pd.dossier_id"
    " AND NOINDEX p.status = 'paid' AND p.paid_at >= {}"
)
_FIRST_DAYS = _Sql(
    "SELECT (SELECT MIN(received_at) FROM dossiers_dossier) AS received,"
    " (SELECT MIN(result_ready_at) FROM dossiers_dossier) AS resolved,"
    " (SELECT MIN(day) FROM feedback_rating) AS rated,"
    " (SELECT MIN(received_day) FROM feedback_item) AS feedback,"
    " (SELECT MIN(paid_at) FROM payments_payment WHERE status = 'paid') AS paid"
)

_DELETE_RANGE = "DELETE FROM stats_daily WHERE day >= {} AND day <= {}"
_DELETE_PAIR = "DELETE FROM stats_daily WHERE agency_code = {} AND day = {}"
_DELETE_PROVINCE = "DELETE FROM stats_daily WHERE agency_code = '*' AND day >= {} AND day <= {}"
_PROVINCE_SUMS = (
    "INSERT INTO stats_daily (day, agency_code, metric, value)"
    " SELECT day, '*', metric, SUM(value) FROM stats_daily"
    " WHERE agency_code <> '*' AND day >= {} AND day <= {}"
    " GROUP BY day, metric"
)
_INSERT_HEAD = "INSERT INTO stats_daily (day, agency_code, metric, value) VALUES "

_CLAIM = (
    "UPDATE stats_state SET lease_until_ms = {} WHERE name = {} AND lease_until_ms < {}"
    " RETURNING watermark_ms, rebuild_from, rebuild_started_ms"
)
_RELEASE = "UPDATE stats_state SET lease_until_ms = 0 WHERE name = {}"

_SUMS = (
    "SELECT metric, SUM(value) AS total FROM stats_daily"
    " WHERE agency_code = {} AND day >= {} AND day <= {} GROUP BY metric"
)
_SERIES = {
    step: _Sql(
        (
            "SELECT BUCKET AS bucket, metric, SUM(value) AS total FROM stats_daily"
            " WHERE agency_code = {} AND day >= {} AND day <= {} GROUP BY 1, 2"
        ).replace("BUCKET", "BUCKET_" + step.upper())
    )
    for step in ("day", "week", "month")
}
# Dossiers whose clock runs (a stopped clock is "supplement_requested", not a running
# state, so paused_at need not be read) and whose appointment date has passed. Both
# are answered from the dossiers' queue index (agency_code, status, due_date) alone;
# the province as the catalogue's agencies, so that it is one probe per agency. The
# states are the code's constants, written into the text.
_RUNNING = ", ".join(f"'{status}'" for status in sorted(lifecycle.CLOCK_RUNNING))
_OVERDUE = (
    "SELECT COUNT(*) AS n FROM dossiers_dossier"
    " WHERE agency_code IN (SELECT code FROM catalogue_agency)"
    " AND status IN (RUNNING) AND due_date < {}"
).replace("RUNNING", _RUNNING)
_OVERDUE_AT = (
    "SELECT COUNT(*) AS n FROM dossiers_dossier"
    " WHERE agency_code = {} AND status IN (RUNNING) AND due_date < {}"
).replace("RUNNING", _RUNNING)
# Open feedback is rare, and nearly every deadline is past: by status, whatever
# SQLite's statistics say.
_FEEDBACK_OVERDUE = _Sql(
    "SELECT COUNT(*) AS n FROM feedback_item"
    " WHERE RARE(status = 'open')RARE AND NOINDEX due_date < {}"
)
_FEEDBACK_OVERDUE_AT = _Sql(
    "SELECT COUNT(*) AS n FROM feedback_item"
    " WHERE RARE(status = 'open')RARE AND NOINDEX due_date < {} AND agency_code = {}"
)
_PROCEDURES = (
    "SELECT p.online_level AS level, COUNT(*) AS n FROM catalogue_procedure p"
    " JOIN catalogue_agency a ON a.id = p.agency"
)


# ------------------------------------------------------------------ helpers


def vietnam_today(now: dt.datetime) -> dt.date:
    return now.astimezone(VIETNAM).date()


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), VIETNAM)


def _as_date(value: Any) -> dt.date | None:
    """A day as either engine returns it (SQLite: text for a computed one)."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    return dt.date.fromisoformat(str(value)[:10])


def _as_moment(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as ranges of at most BATCH_DAYS days."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges:
            first, last = ranges[-1]
            if day == last + dt.timedelta(days=1) and (day - first).days < BATCH_DAYS:
                ranges[-1] = (first, day)
                continue
        ranges.append((day, day))
    return ranges


# -------------------------------------------------------------- aggregation


# Each family of metrics comes from one query over one kind of row, and is replaced as
# a whole: a change to a rating recomputes the ratings of its day, not the dossiers.
FAMILIES: dict[str, tuple[str, ...]] = {
    "received": tuple(m for m in METRICS if m.startswith("received")),
    "resolved": tuple(m for m in METRICS if m.startswith("resolved")),
    "paid": ("paid.count", "paid.online"),
    "ratings": tuple(m for m in METRICS if m.startswith("ratings.")),
    "feedback.received": ("feedback.received",),
    "feedback.answered": tuple(
        m for m in METRICS if m.startswith("feedback.") and m != "feedback.received"
    ),
}
Touched = dict[str, set[Pair]]


async def compute(
    first: dt.date, last: dt.date, families: Iterable[str] = tuple(FAMILIES)
) -> Values:
    """The metrics of these families, of every agency, on the days ``first`` to
    ``last``, from the base tables. Zero values are left out."""
    values: Values = defaultdict(lambda: defaultdict(int))
    start, end = _start_of(first), _start_of(last + dt.timedelta(days=1))
    wanted = set(families)

    def add(day: Any, agency: str | None, metric: str, n: Any) -> None:
        when = _as_date(day)
        if when is not None and agency and n:
            values[(when, agency)][metric] += int(n)

    if "received" in wanted:
        for row in await fetch(_RECEIVED(), start, end):
            day, agency, n = row["day"], row["agency"], row["n"]
            add(day, agency, "received", n)
            add(day, agency, f"received.{row['channel']}", n)
            if row["level"] in ("full", "partial"):
                add(day, agency, f"received.{row['level']}", n)
                add(day, agency, "received.online_capable", n)
                if row["channel"] == "online":
                    add(day, agency, f"received.{row['level']}_online", n)
    if "resolved" in wanted:
        for row in await fetch(_RESOLVED(), start, end):
            day, agency = row["day"], row["agency"]
            add(day, agency, "resolved", row["resolved"])
            add(day, agency, "resolved.on_time", row["on_time"])
            add(day, agency, "resolved.days_sum", row["days_sum"])
            add(day, agency, "resolved.unhappy", row["unhappy"])
    if "paid" in wanted:
        for row in await fetch(_PAID(), start, end):
            add(row["day"], row["agency"], "paid.count", row["paid"])
            add(row["day"], row["agency"], "paid.online", row["online"])
    if "ratings" in wanted:
        for row in await fetch(_RATINGS(), first, last):
            day, agency, source = row["day"], row["agency"], row["source"]
            add(day, agency, "ratings.count", row["n"])
            add(day, agency, "ratings.satisfied", row["satisfied"])
            if source in ("counter", "dossier"):
                add(day, agency, f"ratings.{source}", row["n"])
                add(day, agency, f"ratings.{source}_satisfied", row["satisfied"])
    if "feedback.received" in wanted:
        for row in await fetch(_FEEDBACK_RECEIVED(), first, last):
            add(row["day"], row["agency"], "feedback.received", row["n"])
    if "feedback.answered" in wanted:
        for row in await fetch(_FEEDBACK_ANSWERED(), first, last):
            day, agency = row["day"], row["agency"]
            for metric in ("answered", "on_time", "rated", "rated_satisfied", "unhappy"):
                add(day, agency, f"feedback.{metric}", row[metric])
    return {
        pair: {metric: n for metric, n in metrics.items() if n}
        for pair, metrics in values.items()
        if first <= pair[0] <= last
    }


async def _insert(rows: list[tuple[dt.date, str, str, int]]) -> None:
    for index in range(0, len(rows), INSERT_ROWS):
        chunk = rows[index : index + INSERT_ROWS]
        sql = _INSERT_HEAD + ", ".join(["({}, {}, {}, {})"] * len(chunk))
        await fetch(sql, *(value for row in chunk for value in row))


async def _province(days: Iterable[dt.date]) -> None:
    """The province's rows of these days: sums of the agencies' rows (never the base
    tables, so they too survive a clean-up)."""
    for first, last in _ranges(days):
        await fetch(_DELETE_PROVINCE, first, last)
        await fetch(_PROVINCE_SUMS, first, last)


async def rebuild(first: dt.date, last: dt.date) -> int:
    """Aggregate the days ``first`` to ``last`` again from the base tables, for every
    agency and metric. For data imported late: rows deleted since (clean-up) are then
    lost from those days' figures. Returns the number of days."""
    day = first
    while day <= last:
        end = min(day + dt.timedelta(days=BATCH_DAYS - 1), last)
        values = await compute(day, end)
        rows = [
            (pair[0], pair[1], metric, n)
            for pair, metrics in sorted(values.items())
            for metric, n in sorted(metrics.items())
        ]
        async with write_transaction():
            await fetch(_DELETE_RANGE, day, end)
            await _insert(rows)
            await fetch(_PROVINCE_SUMS, day, end)
        day = end + dt.timedelta(days=1)
    return max(0, (last - first).days + 1)


async def touched_since(since: dt.datetime) -> Touched:
    """For each family, the (day, agency) pairs that rows changed at or after
    ``since`` count in."""
    touched: Touched = {family: set() for family in FAMILIES}

    def take(rows: list[dict[str, Any]], *columns: tuple[str, str, str]) -> None:
        for row in rows:
            for family, day_column, agency_column in columns:
                day = _as_date(row[day_column])
                if day is not None and row[agency_column]:
                    touched[family].add((day, row[agency_column]))

    take(
        await fetch(_TOUCHED_DOSSIERS(), since),
        ("received", "d1", "a1"),
        ("resolved", "d2", "a2"),
    )
    # A rating or a feedback about a dossier may change its dossier satisfaction.
    take(
        await fetch(_TOUCHED_RATINGS(), since),
        ("ratings", "d1", "a1"),
        ("resolved", "d2", "a2"),
    )
    take(
        await fetch(_TOUCHED_FEEDBACK(), since),
        ("feedback.received", "d1", "a1"),
        ("feedback.answered", "d2", "a2"),
        ("resolved", "d3", "a3"),
    )
    take(await fetch(_TOUCHED_PAYMENTS(), since), ("paid", "d1", "a1"))
    return {family: pairs for family, pairs in touched.items() if pairs}


async def recompute(touched: Touched) -> None:
    """Compute exactly these families of these (day, agency) pairs again from the base
    tables and replace them, then the province's rows of their days. The reads come
    first; the writes are one short transaction."""
    deletes: list[tuple[str, dt.date, tuple[str, ...]]] = []
    rows: list[tuple[dt.date, str, str, int]] = []
    for family, pairs in sorted(touched.items()):
        metrics = FAMILIES[family]
        for first, last in _ranges(day for day, _ in pairs):
            values = await compute(first, last, (family,))
            for day, agency in sorted(pair for pair in pairs if first <= pair[0] <= last):
                deletes.append((agency, day, metrics))
                rows.extend(
                    (day, agency, metric, n)
                    for metric, n in sorted(values.get((day, agency), {}).items())
                )
    if not deletes:
        return
    async with write_transaction():
        for agency, day, metrics in deletes:
            sql = _DELETE_PAIR + " AND metric IN (" + ", ".join(["{}"] * len(metrics)) + ")"
            await fetch(sql, agency, day, *metrics)
        await _insert(rows)
        await _province({day for _, day, _ in deletes})


async def _first_day() -> dt.date | None:
    row = (await fetch(_FIRST_DAYS()))[0]
    days: list[dt.date] = []
    for name in ("received", "resolved", "paid"):
        moment = _as_moment(row[name])
        if moment is not None:
            days.append(vietnam_today(moment))
    for name in ("rated", "feedback"):
        day = _as_date(row[name])
        if day is not None:
            days.append(day)
    return min(days) if days else None


@dataclass
class Refreshed:
    """What one call of ``refresh_once`` did."""

    claimed: bool = False
    # Pairs computed again by an incremental refresh (any family), sorted.
    pairs: list[Pair] = field(default_factory=list)
    # The same by family of metrics.
    families: dict[str, list[Pair]] = field(default_factory=dict)
    # Days aggregated by a first (full) aggregation in this call.
    days: int = 0
    # False while a first aggregation is still under way.
    done: bool = True


async def _state_row() -> None:
    if await StatsState.exists().where(StatsState.name == STATE_NAME):
        return
    async with write_transaction():
        await StatsState.insert(StatsState(name=STATE_NAME)).on_conflict(
            target=StatsState.name, action="DO NOTHING"
        )


async def _save(**changes: Any) -> None:
    async with write_transaction():
        await StatsState.update({getattr(StatsState, k): v for k, v in changes.items()}).where(
            StatsState.name == STATE_NAME
        )


async def refresh_once(now: dt.datetime, budget_s: float = BUDGET_S) -> Refreshed:
    """One round of the refresh (see the module's docstring)."""
    await _state_row()
    wall_ms = int(time.time() * 1000)
    async with write_transaction():
        claimed = await fetch(_CLAIM, wall_ms + LEASE_MS, STATE_NAME, wall_ms)
    if not claimed:
        return Refreshed()
    state = claimed[0]
    try:
        if int(state["watermark_ms"]) == 0 or state["rebuild_from"] is not None:
            return await _first_aggregation(now, state, budget_s)
        return await _incremental(now, int(state["watermark_ms"]))
    finally:
        async with write_transaction():
            await fetch(_RELEASE, STATE_NAME)


async def _first_aggregation(now: dt.datetime, state: dict[str, Any], budget_s: float) -> Refreshed:
    today = vietnam_today(now)
    day = _as_date(state["rebuild_from"])
    started_ms = int(state["rebuild_started_ms"])
    if day is None:
        day = await _first_day() or today
        started_ms = _ms(now)
        await _save(rebuild_from=day, rebuild_started_ms=started_ms)
    deadline = time.monotonic() + budget_s
    done = 0
    while day <= today:
        last = min(day + dt.timedelta(days=BATCH_DAYS - 1), today)
        done += await rebuild(day, last)
        day = last + dt.timedelta(days=1)
        await _save(rebuild_from=day)
        if time.monotonic() >= deadline:
            break
    if day <= today:
        logger.info("stats: first aggregation under way", extra={"fields": {"next_day": str(day)}})
        return Refreshed(claimed=True, days=done, done=False)
    await _save(rebuild_from=None, watermark_ms=max(1, started_ms - MARGIN_MS), refreshed_at=now)
    return Refreshed(claimed=True, days=done)


async def _incremental(now: dt.datetime, watermark_ms: int) -> Refreshed:
    today = vietnam_today(now)
    oldest = today - dt.timedelta(days=FROZEN_DAYS)
    touched = {
        family: kept
        for family, pairs in (await touched_since(_moment(watermark_ms))).items()
        if (kept := {pair for pair in pairs if pair[0] >= oldest})
    }
    await recompute(touched)
    await _save(watermark_ms=max(watermark_ms, _ms(now) - MARGIN_MS), refreshed_at=now)
    return Refreshed(
        claimed=True,
        pairs=sorted(set().union(*touched.values())),
        families={family: sorted(pairs) for family, pairs in touched.items()},
    )


async def refresh(now: dt.datetime) -> int:
    """The outbox worker's chore: bring the daily aggregates up to date. Returns how
    many (day, agency) pairs or days were aggregated."""
    result = await refresh_once(now)
    return len(result.pairs) + result.days


# -------------------------------------------------------------------- reads


async def _totals(agency_code: str | None, start: dt.date, end: dt.date) -> dict[str, int]:
    rows = await fetch(_SUMS, agency_code or PROVINCE, start, end)
    return {row["metric"]: int(row["total"]) for row in rows if row["total"]}


async def overdue_now(agency_code: str | None, today: dt.date) -> int:
    """Dossiers whose clock runs and whose appointment date is before ``today``."""
    if agency_code is None:
        rows = await fetch(_OVERDUE, today)
    else:
        rows = await fetch(_OVERDUE_AT, agency_code, today)
    return int(rows[0]["n"])


async def feedback_overdue_now(agency_code: str | None, today: dt.date) -> int:
    if agency_code is None:
        rows = await fetch(_FEEDBACK_OVERDUE(), today)
    else:
        rows = await fetch(_FEEDBACK_OVERDUE_AT(), today, agency_code)
    return int(rows[0]["n"])


async def _procedures_online(agency_code: str | None) -> Rate:
    if agency_code is None:
        rows = await fetch(_PROCEDURES + " GROUP BY 1")
    else:
        rows = await fetch(_PROCEDURES + " WHERE a.code = {} GROUP BY 1", agency_code)
    counts = {row["level"]: int(row["n"]) for row in rows}
    return Rate(counts.get("full", 0) + counts.get("partial", 0), sum(counts.values()))


async def refreshed_at() -> dt.datetime | None:
    rows = await StatsState.select(StatsState.refreshed_at).where(StatsState.name == STATE_NAME)
    return _as_moment(rows[0]["refreshed_at"]) if rows else None


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
    for row in await fetch(_SERIES[step](), agency_code or PROVINCE, start, end):
        first = _as_date(row["bucket"])
        assert first is not None
        totals[index[max(first, start)]][row["metric"]] += int(row["total"])
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


# --------------------------------------------------------- Decision 766/QĐ-TTg


@dataclass(frozen=True)
class Indicator:
    """One indicator of the Decision 766 index that our data can give."""

    key: str  # the Counts property that holds it
    name: tuple[str, str]  # Vietnamese, English
    formula: tuple[str, str]


@dataclass(frozen=True)
class Group:
    name: tuple[str, str]
    points: int  # the group's maximum in the index
    indicators: tuple[Indicator, ...]
    # What the group also scores that our data cannot give.
    missing: tuple[str, str]


GROUPS: tuple[Group, ...] = (
    Group(
        ("Công khai, minh bạch", "Publicity and transparency"),
        18,
        (),
        (
            "Không tính được từ dữ liệu của Một Cửa: cần ngày ban hành quyết định công bố "
            "thủ tục, việc cập nhật, công khai thủ tục và việc đồng bộ hồ sơ lên Cổng Dịch vụ "
            "công quốc gia.",
            "Not computable from Một Cửa's data: it needs the dates procedures were "
            "published, their updating and publicity, and the dossiers synchronised to the "
            "National Public Service Portal.",
        ),
    ),
    Group(
        ("Tiến độ, kết quả giải quyết", "Progress and results"),
        20,
        (
            Indicator(
                "on_time",
                ("Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn", "Dossiers resolved on time"),
                (
                    "Số hồ sơ có kết quả trong kỳ vào hoặc trước ngày hẹn trả ÷ số hồ sơ có "
                    "kết quả trong kỳ × 100 %. Hồ sơ đã gửi thư xin lỗi, hẹn lại (Mẫu 04) tính là "
                    "trễ hạn. Thời gian chờ người nộp bổ sung không tính (ngày hẹn đã lùi tương "
                    "ứng).",
                    "Dossiers whose result was ready in the period on or before the appointment "
                    "date ÷ dossiers whose result was ready in the period × 100 %. A dossier that "
                    "was sent an apology with a new date (Form 04) counts as late. Time spent "
                    "waiting for the applicant's supplement does not count (the appointment "
                    "moved by it).",
                ),
            ),
            Indicator(
                "average_days",
                ("Thời gian giải quyết trung bình", "Average processing time"),
                (
                    "Tổng số ngày lịch từ ngày tiếp nhận đến ngày có kết quả ÷ số hồ sơ có kết "
                    "quả trong kỳ. Ngày lịch, kể cả ngày nghỉ và thời gian chờ bổ sung; chung "
                    "cho mọi thủ tục (Quyết định 766 tính theo từng thủ tục).",
                    "Calendar days from the day received to the day the result was ready, "
                    "summed, ÷ dossiers whose result was ready in the period. Calendar days, "
                    "holidays and supplement waits included; over all procedures together "
                    "(Decision 766 takes each procedure apart).",
                ),
            ),
        ),
        (
            "Điểm chính thức của nhóm do hệ thống của Văn phòng Chính phủ chấm; trang này "
            "không quy đổi tỷ lệ ra điểm.",
            "The group's official points are scored by the Government Office's system; "
            "this page does not turn rates into points.",
        ),
    ),
    Group(
        ("Số hóa hồ sơ", "Digitisation of dossiers"),
        22,
        (),
        (
            "Không tính được từ dữ liệu của Một Cửa: cần dữ liệu số hóa hồ sơ, kết quả giải "
            "quyết và việc tái sử dụng dữ liệu đã số hóa.",
            "Not computable from Một Cửa's data: it needs the digitisation of dossiers and "
            "results and the reuse of digitised data.",
        ),
    ),
    Group(
        ("Cung cấp dịch vụ trực tuyến", "Online service provision"),
        22,
        (
            Indicator(
                "procedures_online",
                (
                    "Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến",
                    "Procedures offered online",
                ),
                (
                    "Số thủ tục trực tuyến toàn trình hoặc một phần ÷ tổng số thủ tục trong danh "
                    "mục (hiện tại, không theo kỳ) × 100 %.",
                    "Procedures offered fully or partly online ÷ all procedures of the "
                    "catalogue (now, whatever the period) × 100 %.",
                ),
            ),
            Indicator(
                "online",
                ("Tỷ lệ hồ sơ trực tuyến", "Dossiers submitted online"),
                (
                    "Số hồ sơ nộp trực tuyến của các thủ tục có dịch vụ công trực tuyến (toàn "
                    "trình hoặc một phần) ÷ tổng số hồ sơ tiếp nhận trong kỳ của các thủ tục đó, "
                    "mọi kênh × 100 %.",
                    "Dossiers submitted online for procedures offered online (fully or partly) "
                    "÷ all dossiers of those procedures received in the period, by any channel "
                    "× 100 %.",
                ),
            ),
            Indicator(
                "full_online",
                ("Tỷ lệ hồ sơ trực tuyến toàn trình", "Online share, full-online procedures"),
                (
                    "Số hồ sơ nộp trực tuyến của các thủ tục toàn trình ÷ tổng số hồ sơ tiếp "
                    "nhận của các thủ tục toàn trình × 100 %.",
                    "Dossiers submitted online for full-online procedures ÷ all dossiers of "
                    "full-online procedures received × 100 %.",
                ),
            ),
            Indicator(
                "partial_online",
                ("Tỷ lệ hồ sơ trực tuyến một phần", "Online share, partly online procedures"),
                (
                    "Số hồ sơ nộp trực tuyến của các thủ tục một phần ÷ tổng số hồ sơ tiếp "
                    "nhận của các thủ tục một phần × 100 %.",
                    "Dossiers submitted online for partly online procedures ÷ all dossiers of "
                    "partly online procedures received × 100 %.",
                ),
            ),
            Indicator(
                "paid_online",
                ("Tỷ lệ thanh toán trực tuyến", "Fees paid online"),
                (
                    "Số hồ sơ nộp phí, lệ phí trong kỳ qua cổng thanh toán (VNPay, VietQR, ...) "
                    "÷ số hồ sơ nộp phí, lệ phí trong kỳ (kể cả tiền mặt) × 100 %.",
                    "Dossiers whose fees were paid in the period through a gateway (VNPay, "
                    "VietQR, ...) ÷ dossiers whose fees were paid in the period (cash "
                    "included) × 100 %.",
                ),
            ),
        ),
        (
            "Điểm và trọng số từng chỉ số trong nhóm chưa được xác nhận; trang này chỉ hiện tỷ lệ.",
            "The points and weights of each indicator within the group are unconfirmed; "
            "this page shows the rates only.",
        ),
    ),
    Group(
        ("Mức độ hài lòng", "Satisfaction"),
        18,
        (
            Indicator(
                "feedback_on_time",
                ("Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn", "Feedback handled on time"),
                (
                    "Số phản ánh, kiến nghị trả lời trong kỳ, đúng hoặc trước hạn ÷ số phản "
                    "ánh, kiến nghị trả lời trong kỳ × 100 %. Phản ánh chưa trả lời đã quá hạn "
                    "được đếm riêng (hiện tại).",
                    "Feedback answered in the period on or before its deadline ÷ feedback "
                    "answered in the period × 100 %. Unanswered feedback past its deadline is "
                    "counted apart (now).",
                ),
            ),
            Indicator(
                "feedback_satisfaction",
                (
                    "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
                    "Satisfaction with feedback handling",
                ),
                (
                    "(Số phản ánh, kiến nghị trả lời trong kỳ − số trả lời quá hạn hoặc bị người "
                    "gửi đánh giá 1–2 trên 5) ÷ số phản ánh, kiến nghị trả lời trong kỳ × 100 %.",
                    "(Feedback answered in the period − those answered late or rated 1–2 out of "
                    "5 by the sender) ÷ feedback answered in the period × 100 %.",
                ),
            ),
            Indicator(
                "dossier_satisfaction",
                (
                    "Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính",
                    "Satisfaction with receiving and processing dossiers",
                ),
                (
                    "(Số hồ sơ có kết quả trong kỳ − số hồ sơ trễ hạn, bị người nộp đánh giá "
                    "1–2 trên 5 hoặc có phản ánh, kiến nghị) ÷ số hồ sơ có kết quả trong kỳ "
                    "× 100 %.",
                    "(Dossiers whose result was ready in the period − those late, rated 1–2 out "
                    "of 5 by the applicant, or the subject of feedback) ÷ dossiers whose result "
                    "was ready in the period × 100 %.",
                ),
            ),
        ),
        (
            "Theo các bản tóm tắt Quyết định 766, chỉ số hài lòng trong tiếp nhận, giải quyết "
            "được tối đa 6/18 điểm khi đạt mục tiêu của Nghị quyết 76/NQ-CP; điểm của hai chỉ "
            "số kia và thang quy đổi chưa được xác nhận, nên trang này không tính điểm.",
            "According to summaries of Decision 766, satisfaction with receiving and "
            "processing is worth up to 6 of the 18 points when it meets the targets of "
            "Resolution 76/NQ-CP; the other two indicators' points and the scale are "
            "unconfirmed, so this page scores no points.",
        ),
    ),
)
