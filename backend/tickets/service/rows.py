"""Reading tickets back: the columns, a row as a ``TicketRead``, one ticket by id."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from backend.errors import NotFound
from backend.i18n import N_
from backend.tickets.schemas import TicketRead, display_code
from backend.tickets.tables import Ticket
from backend.vietnam import VIETNAM

COLUMNS = (
    Ticket.id,
    Ticket.public_id,
    Ticket.agency_code,
    Ticket.counter_number,
    Ticket.issued_counter,
    Ticket.day,
    Ticket.number,
    Ticket.state,
    Ticket.booked,
    Ticket.account_id,
    Ticket.procedure_code,
    Ticket.issued_at,
    Ticket.called_at,
    Ticket.last_called_at,
    Ticket.finished_at,
    Ticket.times_called,
    Ticket.called_by,
    Ticket.transferred_from,
)
# The order of a counter's line, in the SQL of calling and reads: booked tickets
# first, then by when each was issued ("booked DESC, queued_at, id").


def vietnam_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(VIETNAM).date()


def to_read(row: dict[str, Any]) -> TicketRead:
    code = display_code(row["issued_counter"], row["number"])
    return msgspec.convert({**row, "code": code, "booked": bool(row["booked"])}, TicketRead)


def missing() -> NotFound:
    return NotFound(N_("Không tìm thấy số thứ tự này."), field="ticket")


async def by_public_id(public_id: str) -> TicketRead:
    if not 8 <= len(public_id) <= 32:
        raise missing()
    rows = await Ticket.select(*COLUMNS).where(Ticket.public_id == public_id)
    if not rows:
        raise missing()
    return to_read(rows[0])


async def by_id(ticket_id: int) -> TicketRead:
    rows = await Ticket.select(*COLUMNS).where(Ticket.id == ticket_id)
    if not rows:
        raise missing()
    return to_read(rows[0])
