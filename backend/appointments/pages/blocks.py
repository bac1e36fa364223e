"""What this domain draws on other domains' pages: on the queue's entrance page
(``"tickets.entrance"``), the person's booking of today there, to arrive with it; on
the leaders' dashboard (``"stats.leaders"``), each counter's days: bookings, arrivals,
no-shows, and the queue's tickets and waits (``backend.tickets``' figures)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Request

from backend.accounts.guards import current_principal
from backend.appointments import service
from backend.appointments.runtime import runtime_of
from backend.appointments.schemas import BookingRead, CounterDayRead
from backend.catalogue import service as catalogue
from backend.tickets import service as tickets
from backend.web.blocks import Block, BlockState

ENTRANCE_SLOT = "tickets.entrance"
DASHBOARD_SLOT = "stats.leaders"
# The dashboard's table of counters' days: the latest days first, at most this many rows.
DASHBOARD_ROWS = 62


@dataclass(frozen=True, slots=True)
class EntranceView:
    bookings: list[BookingRead]
    token: str
    procedures: dict[str, Any]


async def entrance_box(
    request: Request[Any, Any, Any], agency_code: str, state: BlockState | None
) -> Block | None:
    principal = await current_principal(request)
    if principal is None or principal.kind != "citizen":
        return None
    found = await service.booked_today(principal.account_id, agency_code, runtime_of(request).now())
    if not found:
        return None
    procedures = {b.procedure_code: await catalogue.get_procedure(b.procedure_code) for b in found}
    token = str(request.path_params.get("token", ""))
    return Block("appointments/_entrance.html", EntranceView(found, token, procedures))


@dataclass(frozen=True, slots=True)
class CounterDay:
    day: dt.date
    agency_code: str
    counter_number: int
    booking: CounterDayRead | None
    queue: Any  # tickets' CounterDayFigures, or None


async def dashboard_box(
    request: Request[Any, Any, Any], subject: Any, state: BlockState | None
) -> Block | None:
    """``subject``: (the dashboard's subject, its first day, its last day)."""
    about, start, end = subject
    agencies = list(about.agencies)
    bookings = {
        (row.day, row.agency_code, row.counter_number): row
        for row in await service.counter_days(agencies, start, end)
    }
    queues = {
        (row.day, row.agency_code, row.counter_number): row
        for row in await tickets.day_figures(agencies, start, end)
    }
    keys = sorted(set(bookings) | set(queues), key=lambda key: (key[0], key[1], key[2]))
    keys.reverse()
    rows = [
        CounterDay(day, agency, number, bookings.get(key), queues.get(key))
        for key in keys[:DASHBOARD_ROWS]
        for day, agency, number in [key]
    ]
    names = {}
    for code in {row.agency_code for row in rows}:
        names[code] = await catalogue.get_agency(code)
    return Block("appointments/_dashboard.html", {"rows": rows, "agencies": names})
