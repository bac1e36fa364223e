"""What the pages show: a ticket's status (its page and the JSON its script polls),
each counter's line, the hall's screen, a counter's waiting list for the console.

The status is polled by every waiting phone every few seconds, so it is fixed SQL
(``backend.db.fetch``): the ticket, how many are ahead of it, the number its counter
serves, and the counter's average service time today.
"""

from __future__ import annotations

import datetime as dt
import math

from backend.catalogue.schemas import CounterRead
from backend.db import fetch
from backend.tickets.schemas import (
    CallRead,
    CounterLine,
    DisplayRead,
    TicketRead,
    TicketStatus,
    display_code,
)
from backend.tickets.service.rows import COLUMNS, missing, to_read
from backend.tickets.tables import Ticket

DEFAULT_SERVICE_S = 300  # 5 minutes a person until the day has served someone
CALLS_SHOWN = 6

_TICKET = (
    "SELECT id, agency_code, day, counter_number, issued_counter, number, state,"
    " transferred_from, times_called FROM tickets_ticket WHERE public_id = {}"
)
_AHEAD = (
    "SELECT COUNT(*) AS n FROM tickets_ticket o, tickets_ticket t WHERE t.id = {}"
    " AND o.agency_code = t.agency_code AND o.day = t.day"
    " AND o.counter_number = t.counter_number AND o.state = 'waiting'"
    " AND (o.booked > t.booked OR (o.booked = t.booked AND (o.queued_at < t.queued_at"
    " OR (o.queued_at = t.queued_at AND o.id < t.id))))"
)
_SERVING = (
    "SELECT issued_counter, number FROM tickets_ticket"
    " WHERE agency_code = {} AND day = {} AND counter_number = {}"
    " AND state IN ('called', 'served', 'skipped') AND last_called_at IS NOT NULL"
    " ORDER BY last_called_at DESC, id DESC LIMIT 1"
)
_SERVICE_TIME = (
    "SELECT AVG(service_s) AS s FROM tickets_ticket WHERE agency_code = {} AND day = {}"
    " AND counter_number = {} AND state = 'served' AND service_s IS NOT NULL"
)
_WAITING_COUNTS = (
    "SELECT counter_number, COUNT(*) AS n FROM tickets_ticket"
    " WHERE agency_code = {} AND day = {} AND state = 'waiting' GROUP BY counter_number"
)
_LAST_CALLS = (
    "SELECT counter_number, issued_counter, number, state, times_called FROM tickets_ticket"
    " WHERE agency_code = {} AND day = {} AND state IN ('called', 'served', 'skipped')"
    " AND last_called_at IS NOT NULL ORDER BY last_called_at DESC, id DESC"
)


async def serving_at(agency_code: str, day: str, counter_number: int) -> str:
    rows = await fetch(_SERVING, agency_code, day, counter_number)
    return display_code(rows[0]["issued_counter"], rows[0]["number"]) if rows else ""


async def status(public_id: str) -> TicketStatus:
    if not 8 <= len(public_id) <= 32:
        raise missing()
    rows = await fetch(_TICKET, public_id)
    if not rows:
        raise missing()
    row = rows[0]
    agency, day, counter = row["agency_code"], row["day"], row["counter_number"]
    ahead = 0
    minutes = 0
    if row["state"] == "waiting":
        ahead = int((await fetch(_AHEAD, row["id"]))[0]["n"])
        average = (await fetch(_SERVICE_TIME, agency, day, counter))[0]["s"]
        seconds = float(average) if average is not None else DEFAULT_SERVICE_S
        minutes = math.ceil(ahead * seconds / 60)
    return TicketStatus(
        code=display_code(row["issued_counter"], row["number"]),
        state=row["state"],
        agency_code=agency,
        counter_number=counter,
        transferred_from=row["transferred_from"],
        serving=await serving_at(agency, day, counter),
        ahead=ahead,
        wait_minutes=minutes,
        times_called=int(row["times_called"]),
    )


async def lines(agency_code: str, day: dt.date, counters: list[CounterRead]) -> list[CounterLine]:
    """Each counter's number served now and how many wait, in the counters' order."""
    waiting = {
        int(row["counter_number"]): int(row["n"])
        for row in await fetch(_WAITING_COUNTS, agency_code, day.isoformat())
    }
    serving: dict[int, str] = {}
    for row in await fetch(_LAST_CALLS, agency_code, day.isoformat()):
        serving.setdefault(
            int(row["counter_number"]), display_code(row["issued_counter"], row["number"])
        )
    return [
        CounterLine(
            counter_number=counter.number,
            name_vi=counter.name_vi,
            name_en=counter.name_en,
            serving=serving.get(counter.number, ""),
            waiting=waiting.get(counter.number, 0),
        )
        for counter in counters
    ]


async def display(agency_code: str, day: dt.date, counters: list[CounterRead]) -> DisplayRead:
    """The hall's screen: the tickets being called, latest first, and every line."""
    rows = (
        await Ticket.select(
            Ticket.counter_number,
            Ticket.issued_counter,
            Ticket.number,
            Ticket.times_called,
            Ticket.last_called_at,
        )
        .where(
            (Ticket.agency_code == agency_code)
            & (Ticket.day == day.isoformat())
            & (Ticket.state == "called")
        )
        .order_by(Ticket.last_called_at, ascending=False)
        .order_by(Ticket.id, ascending=False)
        .limit(CALLS_SHOWN)
    )
    calls = [
        CallRead(
            code=display_code(row["issued_counter"], row["number"]),
            counter_number=row["counter_number"],
            times_called=row["times_called"],
            at=row["last_called_at"],
        )
        for row in rows
    ]
    return DisplayRead(
        agency_code=agency_code,
        day=day.isoformat(),
        calls=calls,
        counters=await lines(agency_code, day, counters),
    )


async def counter_tickets(
    agency_code: str, day: dt.date, counter_number: int
) -> tuple[list[TicketRead], list[TicketRead]]:
    """A counter's tickets being called now, and its waiting line in order."""
    base = (
        (Ticket.agency_code == agency_code)
        & (Ticket.day == day.isoformat())
        & (Ticket.counter_number == counter_number)
    )
    called = (
        await Ticket.select(*COLUMNS)
        .where(base & (Ticket.state == "called"))
        .order_by(Ticket.last_called_at, ascending=False)
    )
    waiting = (
        await Ticket.select(*COLUMNS)
        .where(base & (Ticket.state == "waiting"))
        .order_by(Ticket.booked, ascending=False)
        .order_by(Ticket.queued_at)
        .order_by(Ticket.id)
    )
    return [to_read(row) for row in called], [to_read(row) for row in waiting]


async def held_by(
    agency_code: str, day: dt.date, device: str, account_id: int | None
) -> list[TicketRead]:
    """The tickets this phone (or the signed-in account) took at the agency today."""
    today = (Ticket.agency_code == agency_code) & (Ticket.day == day.isoformat())
    if account_id is None:
        query = Ticket.select(*COLUMNS).where(today & (Ticket.device == device))
    else:
        holder = (Ticket.device == device) | (Ticket.account_id == account_id)
        query = Ticket.select(*COLUMNS).where(today & holder)
    rows = await query.order_by(Ticket.id)
    return [to_read(row) for row in rows]
