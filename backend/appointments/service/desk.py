"""The agency's side of bookings: the day's list per counter, arrivals and no-shows,
and the person's own arrival at the centre's entrance.

An arrival gives the person a queue ticket at the booking's counter, served before the
walk-ins waiting there (``backend.tickets``): marked by an official, or by the person
scanning the entrance's QR code of that centre and that day with their booking open.
A no-show is marked from the slot's start; those still booked when their day is over
become no-shows by themselves (``reminders``).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.accounts import service as accounts
from backend.appointments.schemas import BookingRead, ClosureIn, ClosureRead
from backend.appointments.service.bookings import (
    COLUMNS,
    booking_of,
    booking_read,
    free_place,
    no_such_booking,
    starts_at,
    vietnam_now,
)
from backend.appointments.service.hours import add_closure, clock
from backend.appointments.tables import Booking
from backend.db import write_transaction
from backend.errors import Conflict
from backend.i18n import N_, Moment
from backend.outbox import service as outbox
from backend.tickets import service as tickets

# A booking the agency cancelled by closing its day: its holder is told.
CANCELLED = "appointment.cancelled"


class DeskBooking(msgspec.Struct, frozen=True, kw_only=True):
    """A booking as the agency sees it: with the person's name."""

    booking: BookingRead
    name: str


async def day_of(agency_code: str, day: dt.date) -> list[DeskBooking]:
    rows = (
        await Booking.select(*COLUMNS, Booking.account_id)
        .where(Booking.agency_code == agency_code, Booking.day == day)
        .order_by(Booking.starts)
        .order_by(Booking.counter_number)
    )
    names = await accounts.names_of({row["account_id"] for row in rows})
    return [
        DeskBooking(booking=booking_read(row), name=names.get(row["account_id"], ""))
        for row in rows
    ]


async def desk_booking(agency_code: str, code: str) -> DeskBooking:
    """A booking at this agency; another agency's is not found."""
    rows = await Booking.select(*COLUMNS, Booking.account_id).where(
        Booking.code == code[:16], Booking.agency_code == agency_code
    )
    if not rows:
        raise no_such_booking()
    names = await accounts.names_of({rows[0]["account_id"]})
    return DeskBooking(booking=booking_read(rows[0]), name=names.get(rows[0]["account_id"], ""))


def _today_only(booking: BookingRead, now: dt.datetime) -> None:
    if booking.state != "booked":
        raise Conflict(N_("Lịch hẹn này đã được ghi nhận hoặc đã hủy."), field="code")
    if booking.day != vietnam_now(now).date():
        raise Conflict(
            N_("Lịch hẹn này là của ngày %(day)s, không phải hôm nay.", day=Moment(booking.day)),
            field="code",
        )


async def _arrive(row: dict[str, object], booking: BookingRead, now: dt.datetime) -> None:
    ticket = await tickets.issue(
        agency_code=booking.agency_code,
        counter_number=booking.counter_number,
        now=now,
        account_id=int(row["account_id"]),  # type: ignore[call-overload]
        device=str(row["device"]),
        procedure_code=booking.procedure_code,
        booked=True,
    )
    await Booking.update(
        {
            Booking.state: "arrived",
            Booking.arrived_at: now,
            Booking.ticket_path: tickets.ticket_path(ticket),
            Booking.updated_at: now,
        }
    ).where(Booking.code == booking.code)


async def _row(code: str) -> dict[str, object]:
    rows = await Booking.select(Booking.account_id, Booking.device).where(Booking.code == code)
    return rows[0]


async def mark_arrived(agency_code: str, code: str, *, now: dt.datetime) -> DeskBooking:
    """The person is at the counter's agency: a ticket at their counter, ahead of walk-ins."""
    async with write_transaction():
        found = await desk_booking(agency_code, code)
        _today_only(found.booking, now)
        await _arrive(await _row(found.booking.code), found.booking, now)
    return await desk_booking(agency_code, code)


async def mark_no_show(agency_code: str, code: str, *, now: dt.datetime) -> DeskBooking:
    async with write_transaction():
        found = await desk_booking(agency_code, code)
        booking = found.booking
        if booking.state != "booked":
            raise Conflict(N_("Lịch hẹn này đã được ghi nhận hoặc đã hủy."), field="code")
        hour, minute = booking.time.split(":")
        if now < starts_at(booking.day, int(hour) * 60 + int(minute)):
            raise Conflict(N_("Chưa đến giờ hẹn: chỉ ghi “không đến” sau giờ hẹn."), field="code")
        await Booking.update({Booking.state: "no_show", Booking.updated_at: now}).where(
            Booking.code == booking.code
        )
    return await desk_booking(agency_code, code)


async def check_in(
    account_id: int, code: str, entrance_agency: str, *, now: dt.datetime
) -> BookingRead:
    """The person's own arrival: ``entrance_agency`` is the centre whose entrance QR
    code of today they scanned (``backend.tickets`` checked it)."""
    async with write_transaction():
        booking = await booking_of(account_id, code)
        if booking.agency_code != entrance_agency:
            raise Conflict(
                N_(
                    "Mã QR này là của một trung tâm khác, không phải nơi bạn hẹn. Hãy đến "
                    "đúng nơi ghi trong lịch hẹn."
                ),
                field="entrance",
            )
        _today_only(booking, now)
        await _arrive(await _row(booking.code), booking, now)
    return await booking_of(account_id, code)


async def close_day(
    agency_code: str, data: ClosureIn, *, now: dt.datetime
) -> tuple[ClosureRead, int]:
    """The agency closes a day: the bookings of that day are cancelled and their holders
    told (``appointment.cancelled``), in the closure's own transaction. Returns the
    closure and how many bookings it cancelled."""
    async with write_transaction():
        closure = await add_closure(agency_code, data, vietnam_now(now).date())
        rows = await Booking.select(
            Booking.code, Booking.account_id, Booking.counter_number, Booking.starts
        ).where(
            Booking.agency_code == agency_code,
            Booking.day == data.day,
            Booking.state == "booked",
        )
        for row in rows:
            await Booking.update({Booking.state: "cancelled", Booking.updated_at: now}).where(
                Booking.code == row["code"]
            )
            await free_place(agency_code, row["counter_number"], data.day, row["starts"])
            await outbox.enqueue(
                event_key=f"{CANCELLED}:{row['code']}",
                kind=CANCELLED,
                subject=f"appointment:{row['code']}",
                account_ids=[row["account_id"]],
                payload={
                    "code": row["code"],
                    "due_date": data.day.isoformat(),
                    "status": clock(row["starts"]),
                    "agency_code": agency_code,
                    "at": now.isoformat(),
                },
                now=now,
            )
    return closure, len(rows)


async def booked_today(account_id: int, agency_code: str, now: dt.datetime) -> list[BookingRead]:
    """The person's bookings at this agency today, still to arrive (the entrance page)."""
    rows = await Booking.select(*COLUMNS).where(
        Booking.account_id == account_id,
        Booking.agency_code == agency_code,
        Booking.day == vietnam_now(now).date(),
        Booking.state == "booked",
    )
    return [booking_read(row) for row in rows]
