"""The queue's day figures for the leaders' dashboard, over the tickets' own table:
per Vietnamese day, agency and counter, the tickets of its line (a transferred ticket
counts at the counter it ended at), served, skipped, booked, and the wait from issue
to the first call (``wait_s``, written when a ticket is first called)."""

from __future__ import annotations

import datetime as dt

from backend.db import fetch
from backend.db.dialect import Sql, list_param
from backend.tickets.schemas import CounterDayFigures

_COLUMNS = (
    "SELECT day, agency_code, counter_number, COUNT(*) AS issued,"
    " SUM(CASE WHEN state = 'served' THEN 1 ELSE 0 END) AS served,"
    " SUM(CASE WHEN state = 'skipped' THEN 1 ELSE 0 END) AS skipped,"
    " SUM(CASE WHEN booked THEN 1 ELSE 0 END) AS booked,"
    " AVG(wait_s) AS average_wait, MAX(wait_s) AS longest_wait"
    " FROM tickets_ticket WHERE day >= {} AND day <= {}"
)
_GROUP = " GROUP BY day, agency_code, counter_number ORDER BY day, agency_code, counter_number"
_ALL = Sql(_COLUMNS + _GROUP)
_SOME = Sql(_COLUMNS + " AND agency_code IN_TEXTS({})" + _GROUP)


async def day_figures(
    agency_codes: list[str] | None, start: dt.date, end: dt.date
) -> list[CounterDayFigures]:
    """Every (day, agency, counter) with tickets from ``start`` to ``end`` inclusive,
    of the given agencies (None: all)."""
    if agency_codes is not None and not agency_codes:
        return []
    if agency_codes is None:
        rows = await fetch(_ALL(), start.isoformat(), end.isoformat())
    else:
        rows = await fetch(_SOME(), start.isoformat(), end.isoformat(), list_param(agency_codes))
    return [
        CounterDayFigures(
            day=dt.date.fromisoformat(str(row["day"])),
            agency_code=row["agency_code"],
            counter_number=int(row["counter_number"]),
            issued=int(row["issued"]),
            served=int(row["served"] or 0),
            skipped=int(row["skipped"] or 0),
            booked=int(row["booked"] or 0),
            average_wait_s=None
            if row["average_wait"] is None
            else round(float(row["average_wait"])),
            longest_wait_s=None if row["longest_wait"] is None else int(row["longest_wait"]),
        )
        for row in rows
    ]
