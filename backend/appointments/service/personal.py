"""A person's bookings for their data archive, and their end when the account is
deleted (``backend.privacy``): each booking still to come is cancelled the way the
person would cancel it, so its place is free for someone else; past ones stay, for
the agency's figures, no longer tied to the device that booked them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.appointments.service.bookings import cancel
from backend.appointments.tables import Booking
from backend.db import write_transaction
from backend.errors import Conflict


async def bookings_of_person(account_id: int) -> list[dict[str, Any]]:
    rows = await Booking.select(*Booking.all_columns(exclude=[Booking.device])).where(
        Booking.account_id == account_id
    )
    return [dict(row) for row in rows]


async def forget_booker(account_id: int, *, now: dt.datetime) -> int:
    """Cancel what is still to come; answers how many were."""
    cancelled = 0
    booked = await Booking.select(Booking.code).where(
        (Booking.account_id == account_id) & (Booking.state == "booked")
    )
    for row in booked:
        try:
            await cancel(account_id, row["code"], now=now)
        except Conflict:
            continue  # its time has come or gone: kept as it is
        cancelled += 1
    async with write_transaction():
        await Booking.update({Booking.device: ""}).where(Booking.account_id == account_id)
    return cancelled


__all__ = ["bookings_of_person", "forget_booker"]
