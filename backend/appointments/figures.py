"""The counts the leaders' dashboard asks of bookings: per day, agency and counter,
how many were booked (not cancelled), came, did not come, and were cancelled. Over this
domain's own table only."""

from __future__ import annotations

import datetime as dt

from backend.appointments.schemas import CounterDayRead
from backend.db import fetch
from backend.db.dialect import Sql, list_param

_COUNTS = Sql(
    "SELECT day, agency_code, counter_number,"
    " SUM(CASE WHEN state <> 'cancelled' THEN 1 ELSE 0 END) AS booked,"
    " SUM(CASE WHEN state = 'arrived' THEN 1 ELSE 0 END) AS arrived,"
    " SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END) AS no_show,"
    " SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled"
    " FROM appointments_booking WHERE day >= {} AND day <= {} AND agency_code IN_TEXTS({})"
    " GROUP BY day, agency_code, counter_number ORDER BY day, agency_code, counter_number"
)


async def counter_days(
    agency_codes: list[str], start: dt.date, end: dt.date
) -> list[CounterDayRead]:
    rows = await fetch(_COUNTS(), start, end, list_param(agency_codes))
    return [
        CounterDayRead(
            day=row["day"]
            if isinstance(row["day"], dt.date)
            else dt.date.fromisoformat(row["day"]),
            agency_code=row["agency_code"],
            counter_number=int(row["counter_number"]),
            booked=int(row["booked"]),
            arrived=int(row["arrived"]),
            no_show=int(row["no_show"]),
            cancelled=int(row["cancelled"]),
        )
        for row in rows
    ]
