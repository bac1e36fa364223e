"""The reminder of a visit, the evening before, through the person's own channels
(their notices, Web Push, e-mail, SMS or Zalo, as they chose: ``backend.notifications``
tells them), and the day's end: bookings nobody came for become no-shows.

A booking is reminded once from ``REMIND_AT`` the day before its day (a changed one is
reminded again), unless it was made after that moment (the person has just booked it),
and never once its slot has begun. The reminder's outbox message is written in the same
transaction that marks the booking reminded: a worker killed between the two leaves
both or neither."""

from __future__ import annotations

import datetime as dt

from backend.appointments.service.bookings import starts_at, vietnam_now
from backend.appointments.service.hours import clock
from backend.appointments.tables import Booking
from backend.db import write_transaction
from backend.outbox import service as outbox
from backend.vietnam import VIETNAM

REMINDER = "appointment.reminder"
REMIND_AT = dt.time(17, 0)


def remind_from(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day - dt.timedelta(days=1), REMIND_AT, VIETNAM)


async def remind(now: dt.datetime) -> int:
    """Remind the bookings due a reminder; returns how many."""
    today = vietnam_now(now).date()
    rows = await Booking.select(
        Booking.id,
        Booking.code,
        Booking.account_id,
        Booking.agency_code,
        Booking.day,
        Booking.starts,
        Booking.created_at,
    ).where(
        Booking.state == "booked",
        Booking.reminded_at.is_null(),
        Booking.day >= today,
        Booking.day <= today + dt.timedelta(days=1),
    )
    due = [
        row
        for row in rows
        if remind_from(row["day"]) <= now < starts_at(row["day"], row["starts"])
        and row["created_at"] < remind_from(row["day"])
    ]
    for row in due:
        async with write_transaction():
            marked = (
                await Booking.update({Booking.reminded_at: now})
                .where(Booking.id == row["id"], Booking.reminded_at.is_null())
                .returning(Booking.id)
            )
            if not marked:
                continue  # another worker reminded it
            await outbox.enqueue(
                event_key=f"{REMINDER}:{row['code']}:{row['day'].isoformat()}:{row['starts']}",
                kind=REMINDER,
                subject=f"appointment:{row['code']}",
                account_ids=[row["account_id"]],
                payload={
                    "code": row["code"],
                    "due_date": row["day"].isoformat(),
                    # The notice's "status" carries the time of the visit.
                    "status": clock(row["starts"]),
                    "agency_code": row["agency_code"],
                    "at": now.isoformat(),
                },
                now=now,
            )
    return len(due)


async def close_past_days(now: dt.datetime) -> int:
    """Bookings of past days that nobody came for are no-shows."""
    today = vietnam_now(now).date()
    async with write_transaction():
        done = (
            await Booking.update({Booking.state: "no_show", Booking.updated_at: now})
            .where(Booking.state == "booked", Booking.day < today)
            .returning(Booking.id)
        )
    return len(done)


async def chore(now: dt.datetime) -> int:
    return await remind(now) + await close_past_days(now)
