"""What the figures (``backend/stats``) need of dossiers: counts by Vietnamese calendar
day and agency, the days and agencies a dossier counts in, and the live overdue counts.

Only this domain's tables (``dossiers_dossier``, ``dossiers_event``). A dossier
counts where it was received (``receiving_agency``) on the day it was received, and
where it was handled (``agency_code``) on the day its result was ready. On time: the
result was ready on or before the appointment date and no apology (Form 04) was sent:
an apology moves the date, but the dossier was late all the same.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Mapping

import msgspec

from backend.db import fetch
from backend.db.dialect import Sql, list_param
from backend.dossiers.lifecycle import CLOCK_RUNNING
from backend.vietnam import VIETNAM


class ReceivedCount(msgspec.Struct, frozen=True):
    """Dossiers received on ``day`` at ``agency`` by ``channel``, of the procedures of
    one of the groups asked for (``group``: its name, "" for none of them)."""

    day: dt.date
    agency: str
    channel: str
    group: str
    count: int


class ResolvedCount(msgspec.Struct, frozen=True):
    """Dossiers whose result was ready on ``day`` at ``agency``: how many, how many on
    time, the calendar days they took (summed), and the lowest and highest id of the
    ones on time (None if none was)."""

    day: dt.date
    agency: str
    resolved: int
    on_time: int
    days_sum: int
    first_on_time_id: int | None
    last_on_time_id: int | None


class OnTimeCount(msgspec.Struct, frozen=True):
    day: dt.date
    agency: str
    count: int


class DossierDays(msgspec.Struct, frozen=True):
    """The (day, agency) pairs a dossier counts in: received, and resolved."""

    received_day: dt.date | None
    receiving_agency: str
    result_day: dt.date | None
    agency: str


_ON_TIME = (
    "d.due_date IS NOT NULL AND VNDAY(d.result_ready_at) <= d.due_date AND NOT EXISTS"
    " (SELECT 1 FROM dossiers_event e WHERE e.dossier = d.id AND e.action = 'apologise')"
)
# GROUPS: "WHEN d.procedure_code IN_TEXTS({}) THEN <n>" for each group asked for.
_RECEIVED = (
    "SELECT VNDAY(d.received_at) AS day, d.receiving_agency AS agency, d.channel AS channel,"
    " CASE GROUPS ELSE 0 END AS n_group, COUNT(*) AS count"
    " FROM dossiers_dossier d"
    " WHERE d.received_at >= {} AND d.received_at < {}"
    " GROUP BY 1, 2, 3, 4"
)
# One look-up of the apology per dossier, in the inner query.
_RESOLVED = Sql(
    (
        "SELECT day, agency, COUNT(*) AS resolved, SUM(on_time) AS on_time,"
        " SUM(days) AS days_sum,"
        " MIN(CASE WHEN on_time = 1 THEN id END) AS first_on_time_id,"
        " MAX(CASE WHEN on_time = 1 THEN id END) AS last_on_time_id"
        " FROM (SELECT VNDAY(d.result_ready_at) AS day, d.agency_code AS agency, d.id AS id,"
        " CASE WHEN d.received_at IS NULL THEN 0"
        " ELSE DAYS(d.result_ready_at, d.received_at) END AS days,"
        " CASE WHEN ON_TIME THEN 1 ELSE 0 END AS on_time"
        " FROM dossiers_dossier d"
        " WHERE d.result_ready_at >= {} AND d.result_ready_at < {}) AS resolved"
        " GROUP BY day, agency"
    ).replace("ON_TIME", _ON_TIME)
)
_ON_TIME_AMONG = Sql(
    (
        "SELECT VNDAY(d.result_ready_at) AS day, d.agency_code AS agency, COUNT(*) AS count"
        " FROM dossiers_dossier d"
        " WHERE d.id IN_IDS({}) AND d.result_ready_at >= {} AND d.result_ready_at < {}"
        " AND ON_TIME GROUP BY 1, 2"
    ).replace("ON_TIME", _ON_TIME)
)
_DAYS_COLUMNS = (
    "VNDAY(received_at) AS received_day, receiving_agency,"
    " VNDAY(result_ready_at) AS result_day, agency_code AS agency"
)
# Few rows changed since the last refresh: by updated_at, whatever SQLite guesses.
_CHANGED = Sql(
    "SELECT DISTINCT COLUMNS FROM dossiers_dossier WHERE RARE(updated_at >= {})RARE".replace(
        "COLUMNS", _DAYS_COLUMNS
    )
)
_DAYS_OF = Sql(
    "SELECT id, COLUMNS FROM dossiers_dossier WHERE id IN_IDS({})".replace("COLUMNS", _DAYS_COLUMNS)
)
# Two subqueries: each is one probe of its column's index (one SELECT with both
# MIN() would read the whole table).
_FIRST = (
    "SELECT (SELECT MIN(received_at) FROM dossiers_dossier) AS received,"
    " (SELECT MIN(result_ready_at) FROM dossiers_dossier) AS resolved"
)
# Dossiers whose clock runs (a stopped clock is "supplement_requested", not a running
# state, so paused_at need not be read) and whose appointment date has passed: both
# answered from the queue index (agency_code, status, due_date) alone, one probe per
# agency and state, which is why the agencies are named. The states are the code's
# constants, written into the text.
_RUNNING = ", ".join(f"'{status}'" for status in sorted(CLOCK_RUNNING))
_OVERDUE = (
    "SELECT agency_code AS agency, COUNT(*) AS n FROM dossiers_dossier"
    " WHERE agency_code IN (AGENCIES) AND status IN (RUNNING) AND due_date < {}"
    " GROUP BY agency_code"
).replace("RUNNING", _RUNNING)


@functools.cache
def _received_sql(groups: int) -> Sql:
    cases = " ".join(f"WHEN d.procedure_code IN_TEXTS({{}}) THEN {n}" for n in range(1, groups + 1))
    return Sql(_RECEIVED.replace("GROUPS", cases or "WHEN 1 = 0 THEN 0"))


async def received_counts(
    start: dt.datetime, end: dt.datetime, groups: Mapping[str, Collection[str]]
) -> list[ReceivedCount]:
    """Dossiers received at or after ``start`` and before ``end``, by Vietnamese day,
    receiving agency, channel, and which of these groups of procedure codes theirs is
    in (the first that has it). One row a group, not a procedure: the caller's groups
    (the catalogue's online levels) keep the rows few."""
    names = list(groups)
    rows = await fetch(
        _received_sql(len(names))(), *(list_param(groups[name]) for name in names), start, end
    )
    for row in rows:
        number = int(row.pop("n_group"))
        row["group"] = names[number - 1] if number else ""
    return msgspec.convert(rows, list[ReceivedCount], strict=False)


async def resolved_counts(start: dt.datetime, end: dt.datetime) -> list[ResolvedCount]:
    """Dossiers whose result was ready at or after ``start`` and before ``end``, by
    Vietnamese day and the agency handling them."""
    rows = await fetch(_RESOLVED(), start, end)
    return msgspec.convert(rows, list[ResolvedCount], strict=False)


async def on_time_among(
    start: dt.datetime, end: dt.datetime, dossier_ids: Collection[int]
) -> list[OnTimeCount]:
    """Of these dossiers, those whose result was ready on time at or after ``start``
    and before ``end``, by Vietnamese day and agency."""
    if not dossier_ids:
        return []
    rows = await fetch(_ON_TIME_AMONG(), list_param(dossier_ids), start, end)
    return msgspec.convert(rows, list[OnTimeCount], strict=False)


async def dossiers_changed_since(since: dt.datetime) -> list[DossierDays]:
    """The pairs that dossiers changed at or after ``since`` count in (each once)."""
    rows = await fetch(_CHANGED(), since)
    return msgspec.convert(rows, list[DossierDays], strict=False)


async def dossier_days(dossier_ids: Collection[int]) -> dict[int, DossierDays]:
    """The pairs each of these dossiers counts in, by id (a dossier that is no more is
    left out)."""
    if not dossier_ids:
        return {}
    rows = await fetch(_DAYS_OF(), list_param(dossier_ids))
    return {int(row.pop("id")): msgspec.convert(row, DossierDays, strict=False) for row in rows}


async def first_dossier_day() -> dt.date | None:
    """The first Vietnamese day any dossier was received or resolved."""
    row = (await fetch(_FIRST))[0]
    moments = msgspec.convert(
        [row["received"], row["resolved"]], list[dt.datetime | None], strict=False
    )
    days = [moment.astimezone(VIETNAM).date() for moment in moments if moment is not None]
    return min(days, default=None)


async def overdue_counts(today: dt.date, agency_codes: Collection[str]) -> dict[str, int]:
    """Dossiers at these agencies whose clock runs and whose appointment date is
    before ``today``, by agency (an agency with none is left out)."""
    if not agency_codes:
        return {}
    sql = _OVERDUE.replace("AGENCIES", ", ".join(["{}"] * len(agency_codes)))
    rows = await fetch(sql, *agency_codes, today)
    return {str(row["agency"]): int(row["n"]) for row in rows}
