"""A person's queue tickets for their data archive, and what deleting their account
does to them (``backend.privacy``): a ticket still waiting leaves the line as a
no-show's does (skipped), so the next person is called; every ticket stays for the
agency's figures, no longer tied to the account or the device."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.db import write_transaction
from backend.tickets.tables import Ticket


async def tickets_of_person(account_id: int) -> list[dict[str, Any]]:
    rows = (
        await Ticket.select(
            Ticket.public_id,
            Ticket.agency_code,
            Ticket.counter_number,
            Ticket.day,
            Ticket.number,
            Ticket.state,
            Ticket.booked,
            Ticket.procedure_code,
            Ticket.issued_at,
            Ticket.called_at,
            Ticket.finished_at,
        )
        .where(Ticket.account_id == account_id)
        .order_by(Ticket.id)
    )
    return [dict(row) for row in rows]


async def forget_holder(account_id: int, *, now: dt.datetime) -> int:
    """Answers how many tickets left the line."""
    async with write_transaction():
        left = (
            await Ticket.update({Ticket.state: "skipped", Ticket.finished_at: now})
            .where((Ticket.account_id == account_id) & (Ticket.state == "waiting"))
            .returning(Ticket.id)
        )
        await Ticket.update({Ticket.account_id: None, Ticket.device: ""}).where(
            Ticket.account_id == account_id
        )
    return len(left)
