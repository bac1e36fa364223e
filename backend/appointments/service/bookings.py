"""Where a procedure is received, the places left in each slot, and a person's
bookings: made, changed, cancelled.

**No double booking.** A slot's places at a counter are one ``appointments_slot`` row,
made by the first booking (``INSERT ... ON CONFLICT DO NOTHING`` on its unique place)
and taken by one conditional ``UPDATE ... SET taken = taken + 1 WHERE taken <
capacity``: on PostgreSQL a second writer waits for the first's row lock and then
finds the condition false; on SQLite writers take turns. However many people press at
once, a slot's last place goes to one of them.

**No hoarding.** A person holds at most ``MAX_UPCOMING`` bookings still to come, one
per procedure and agency (more would be a change of the one they have), and so does a
phone (``backend.web.device``), whatever accounts sign in on it; the addresses' rate
limit is the pages' and API's. On PostgreSQL a transaction-scoped advisory lock on
the account and one on the device make these counts exact under concurrency.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zlib
from dataclasses import dataclass

from backend.appointments.schemas import (
    AvailabilityRead,
    BookingIn,
    BookingRead,
    ChangeIn,
    DayRead,
    PlaceRead,
    SlotRead,
)
from backend.appointments.service.hours import (
    Session,
    clock,
    closures_between,
    minutes_of,
    session_at,
    sessions_on,
    week_of,
    why_closed,
)
from backend.appointments.tables import Booking
from backend.catalogue import service as catalogue
from backend.db import fetch, write_transaction
from backend.db.dialect import Sql, is_postgres, list_param
from backend.errors import Conflict, InvalidInput, NotFound
from backend.i18n import N_, Number
from backend.vietnam import VIETNAM
from backend.workdays import service as workdays

# How far ahead a visit may be booked, and how many open days the picker offers.
HORIZON_DAYS = 30
DAYS_OFFERED = 10
MAX_UPCOMING = 3
# The advisory lock spaces (payments use 7_000_001 and 7_000_003, feedback 7_000_015-16).
ACCOUNT_LOCK = 7_000_019
DEVICE_LOCK = 7_000_020
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at a counter
BOOKING_CODE_LENGTH = 10  # "LH" and 8 characters: 40 random bits

_ENSURE_SLOT = (
    "INSERT INTO appointments_slot (agency_code, counter_number, day, starts, capacity, taken)"
    " VALUES ({}, {}, {}, {}, {}, 0)"
    " ON CONFLICT (agency_code, counter_number, day, starts) DO NOTHING"
)
# The counter with the most room at that slot, raised only while it has room.
_TAKE = Sql(
    "UPDATE appointments_slot SET taken = taken + 1 WHERE id = ("
    " SELECT id FROM appointments_slot WHERE agency_code = {} AND day = {} AND starts = {}"
    " AND counter_number IN_IDS({}) AND taken < capacity"
    " ORDER BY capacity - taken DESC, counter_number LIMIT 1"
    ") AND taken < capacity RETURNING counter_number"
)
_FREE = (
    "UPDATE appointments_slot SET taken = taken - 1"
    " WHERE agency_code = {} AND counter_number = {} AND day = {} AND starts = {} AND taken > 0"
)
_TAKEN = Sql(
    "SELECT counter_number, day, starts, capacity, taken FROM appointments_slot"
    " WHERE agency_code = {} AND day >= {} AND day <= {} AND counter_number IN_IDS({})"
)
_ROOM_LEFT = Sql(
    "SELECT 1 FROM appointments_slot WHERE agency_code = {} AND day = {} AND starts = {}"
    " AND counter_number IN_IDS({}) AND taken < capacity"
)
_UPCOMING_OF_ACCOUNT = (
    "SELECT procedure_code, agency_code, code FROM appointments_booking"
    " WHERE account_id = {} AND state = 'booked' AND day >= {}"
)
_UPCOMING_OF_DEVICE = (
    "SELECT code FROM appointments_booking WHERE device = {} AND state = 'booked' AND day >= {}"
)


@dataclass(frozen=True, slots=True)
class Place:
    agency: catalogue.AgencyRead
    counters: list[int]


def vietnam_now(now: dt.datetime) -> dt.datetime:
    return now.astimezone(VIETNAM)


def starts_at(day: dt.date, starts: int) -> dt.datetime:
    """A slot's start as a moment."""
    return dt.datetime.combine(day, dt.time(starts // 60, starts % 60), VIETNAM)


def new_code() -> str:
    return "LH" + "".join(secrets.choice(_ALPHABET) for _ in range(BOOKING_CODE_LENGTH - 2))


# ---- Where and when --------------------------------------------------------------------


async def places_for(procedure_code: str) -> list[Place]:
    """The agencies that receive the procedure at a counter, with those counters: the
    counters that list it (a provincial centre's receive the departments'), and every
    counter of an agency carrying it out whose counters list none of it."""
    procedure = await catalogue.get_procedure(procedure_code)
    counters: dict[str, list[int]] = {}
    listing: dict[str, list[int]] = {}
    for counter in await catalogue.counter_places():
        counters.setdefault(counter.agency_code, []).append(counter.number)
        if procedure_code in counter.procedure_codes:
            listing.setdefault(counter.agency_code, []).append(counter.number)
    for agency_code in procedure.agency_codes:
        if agency_code in counters and agency_code not in listing:
            listing[agency_code] = counters[agency_code]
    return [
        Place(await catalogue.get_agency(code), numbers)
        for code, numbers in sorted(listing.items())
    ]


def _place_read(place: Place) -> PlaceRead:
    return PlaceRead(
        agency_code=place.agency.code,
        name_vi=place.agency.name_vi,
        name_en=place.agency.name_en,
        address=place.agency.address,
        counters=place.counters,
    )


async def _place(procedure_code: str, agency_code: str) -> Place:
    for place in await places_for(procedure_code):
        if place.agency.code == agency_code:
            return place
    raise InvalidInput(
        N_("Cơ quan này không nhận đặt lịch cho thủ tục này. Hãy chọn nơi khác trong danh sách."),
        field="agency_code",
    )


async def _taken(
    place: Place, start: dt.date, end: dt.date
) -> dict[tuple[dt.date, int], list[tuple[int, int]]]:
    """(day, start) -> the (capacity, taken) of each counter's slot row made so far."""
    rows = await fetch(_TAKEN(), place.agency.code, start, end, list_param(place.counters))
    found: dict[tuple[dt.date, int], list[tuple[int, int]]] = {}
    for row in rows:
        day = row["day"] if isinstance(row["day"], dt.date) else dt.date.fromisoformat(row["day"])
        found.setdefault((day, row["starts"]), []).append((row["capacity"], row["taken"]))
    return found


def _free(place: Place, session: Session, made: list[tuple[int, int]]) -> int:
    """Places left at a slot: each counter's row's room, or a whole slot where none."""
    return sum(capacity - taken for capacity, taken in made) + session.per_counter * (
        len(place.counters) - len(made)
    )


def _bookable(day: dt.date, starts: int, now: dt.datetime) -> bool:
    return starts_at(day, starts) > now


async def availability(
    procedure_code: str, agency_code: str = "", day: dt.date | None = None, *, now: dt.datetime
) -> AvailabilityRead:
    """The places that take bookings for the procedure; for the chosen one (or the only
    one) its next open days with room; for a chosen day its slots with room."""
    places = await places_for(procedure_code)
    chosen = next((p for p in places if p.agency.code == agency_code), None)
    if chosen is None and len(places) == 1:
        chosen = places[0]
    reads = [_place_read(place) for place in places]
    if chosen is None:
        return AvailabilityRead(procedure_code=procedure_code, places=reads)
    today = vietnam_now(now).date()
    end = today + dt.timedelta(days=HORIZON_DAYS)
    week = await week_of(chosen.agency.code)
    calendar = await workdays.load()
    closed = await closures_between(chosen.agency.code, today, end)
    taken = await _taken(chosen, today, end)
    days: list[DayRead] = []
    slots: dict[dt.date, list[SlotRead]] = {}
    current = today
    while current <= end and len(days) < DAYS_OFFERED:
        if current not in closed:
            sessions = sessions_on(week, current, calendar)
            found = [
                SlotRead(
                    time=clock(starts),
                    ends=clock(starts + session.slot_minutes),
                    free=_free(chosen, session, taken.get((current, starts), [])),
                )
                for session in sessions
                for starts in session.starts()
                if _bookable(current, starts, now)
            ]
            if found:
                days.append(DayRead(day=current, free=sum(slot.free for slot in found)))
                slots[current] = found
        current += dt.timedelta(days=1)
    return AvailabilityRead(
        procedure_code=procedure_code,
        places=reads,
        agency_code=chosen.agency.code,
        days=days,
        day=day if day in slots else None,
        slots=slots.get(day, []) if day else [],
    )


# ---- Taking and freeing places ---------------------------------------------------------


async def _slot_of(place: Place, day: dt.date, time: str, now: dt.datetime) -> Session:
    """The session of a wanted slot, or why it cannot be booked (nothing is saved)."""
    starts = minutes_of(time)
    today = vietnam_now(now).date()
    if day < today or not _bookable(day, starts, now):
        raise InvalidInput(N_("Giờ này đã qua. Hãy chọn một giờ sắp tới."), field="time")
    if day > today + dt.timedelta(days=HORIZON_DAYS):
        raise InvalidInput(
            N_("Chỉ đặt lịch được trong %(days)s ngày tới.", days=Number(HORIZON_DAYS)),
            field="day",
        )
    closed = await why_closed(place.agency.code, day)
    if closed is not None:
        raise InvalidInput(closed, field="day")
    sessions = sessions_on(await week_of(place.agency.code), day, await workdays.load())
    session = session_at(sessions, starts)
    if session is None:
        raise InvalidInput(
            N_("Cơ quan không nhận hẹn vào giờ này. Hãy chọn một giờ trong danh sách."),
            field="time",
        )
    return session


async def _take(place: Place, day: dt.date, session: Session, starts: int) -> int:
    """Take a place at the slot: the counter it is at; Conflict when the slot is full."""
    for number in place.counters:
        await fetch(_ENSURE_SLOT, place.agency.code, number, day, starts, session.per_counter)
    # Another writer may empty the counter picked between the pick and the update (on
    # PostgreSQL): then the next with room is tried, at most once per counter.
    for _ in place.counters:
        rows = await fetch(_TAKE(), place.agency.code, day, starts, list_param(place.counters))
        if rows:
            return int(rows[0]["counter_number"])
        if not await fetch(
            _ROOM_LEFT(), place.agency.code, day, starts, list_param(place.counters)
        ):
            break
    raise Conflict(
        N_("Giờ này vừa hết chỗ. Hãy chọn giờ khác: danh sách đã được cập nhật."), field="time"
    )


async def free_place(agency_code: str, counter: int, day: dt.date, starts: int) -> None:
    await fetch(_FREE, agency_code, counter, day, starts)


async def _lock(space: int, key: str) -> None:
    if is_postgres():
        await fetch("SELECT pg_advisory_xact_lock({}, {})", space, zlib.crc32(key.encode()) - 2**31)


async def _check_limits(account_id: int, device: str, data: BookingIn, today: dt.date) -> None:
    await _lock(ACCOUNT_LOCK, str(account_id))
    mine = await fetch(_UPCOMING_OF_ACCOUNT, account_id, today)
    for row in mine:
        if row["procedure_code"] == data.procedure_code and row["agency_code"] == data.agency_code:
            raise Conflict(
                N_(
                    "Bạn đã có lịch hẹn %(code)s cho thủ tục này. Hãy đổi giờ của lịch hẹn đó "
                    "thay vì đặt thêm.",
                    code=row["code"],
                ),
                field="procedure_code",
            )
    if len(mine) >= MAX_UPCOMING:
        raise Conflict(
            N_(
                "Bạn đang giữ %(count)s lịch hẹn sắp tới, là mức tối đa. Hãy hủy một lịch "
                "không cần nữa để đặt lịch mới.",
                count=Number(MAX_UPCOMING),
            ),
            field="day",
        )
    if device:
        await _lock(DEVICE_LOCK, device)
        held = await fetch(_UPCOMING_OF_DEVICE, device, today)
        if len(held) >= MAX_UPCOMING:
            raise Conflict(
                N_(
                    "Điện thoại này đang giữ %(count)s lịch hẹn sắp tới, là mức tối đa. "
                    "Hãy hủy một lịch không cần nữa để đặt lịch mới.",
                    count=Number(MAX_UPCOMING),
                ),
                field="day",
            )


def booking_read(row: dict[str, object]) -> BookingRead:
    starts = int(row["starts"])  # type: ignore[call-overload]
    minutes = int(row["slot_minutes"])  # type: ignore[call-overload]
    return BookingRead(
        code=str(row["code"]),
        state=row["state"],  # type: ignore[arg-type]
        procedure_code=str(row["procedure_code"]),
        agency_code=str(row["agency_code"]),
        counter_number=int(row["counter_number"]),  # type: ignore[call-overload]
        day=row["day"],  # type: ignore[arg-type]
        time=clock(starts),
        ends=clock(starts + minutes),
        created_at=row["created_at"],  # type: ignore[arg-type]
        arrived_at=row["arrived_at"],  # type: ignore[arg-type]
        ticket_path=str(row["ticket_path"] or ""),
    )


async def book(account_id: int, device: str, data: BookingIn, *, now: dt.datetime) -> BookingRead:
    """Book a visit: the slot's place is taken and the booking written together, or
    nothing is."""
    place = await _place(data.procedure_code, data.agency_code)
    session = await _slot_of(place, data.day, data.time, now)
    starts = minutes_of(data.time)
    async with write_transaction():
        await _check_limits(account_id, device, data, vietnam_now(now).date())
        counter = await _take(place, data.day, session, starts)
        code = new_code()
        await Booking.insert(
            Booking(
                code=code,
                account_id=account_id,
                device=device,
                agency_code=place.agency.code,
                counter_number=counter,
                procedure_code=data.procedure_code,
                day=data.day,
                starts=starts,
                slot_minutes=session.slot_minutes,
                state="booked",
                created_at=now,
                updated_at=now,
            )
        )
    return await booking_of(account_id, code)


# ---- A person's bookings ---------------------------------------------------------------


COLUMNS = (
    Booking.code,
    Booking.state,
    Booking.procedure_code,
    Booking.agency_code,
    Booking.counter_number,
    Booking.day,
    Booking.starts,
    Booking.slot_minutes,
    Booking.created_at,
    Booking.arrived_at,
    Booking.ticket_path,
)


def no_such_booking() -> NotFound:
    return NotFound(N_("Không tìm thấy lịch hẹn này."), field="code")


async def booking_of(account_id: int, code: str) -> BookingRead:
    """A booking of this person's; anyone else's is not found, like a code never made."""
    rows = await Booking.select(*COLUMNS).where(
        Booking.code == code[:16], Booking.account_id == account_id
    )
    if not rows:
        raise no_such_booking()
    return booking_read(rows[0])


async def bookings_of(account_id: int) -> list[BookingRead]:
    rows = (
        await Booking.select(*COLUMNS)
        .where(Booking.account_id == account_id)
        .order_by(Booking.day, ascending=False)
        .order_by(Booking.starts, ascending=False)
        .limit(50)
    )
    return [booking_read(row) for row in rows]


def _still_to_come(booking: BookingRead, now: dt.datetime) -> None:
    if booking.state != "booked":
        raise Conflict(
            N_("Lịch hẹn này đã kết thúc hoặc đã hủy nên không thay đổi được."), field="code"
        )
    if not _bookable(booking.day, minutes_of(booking.time), now):
        raise Conflict(
            N_("Giờ hẹn đã đến hoặc đã qua nên không đổi hay hủy được nữa."), field="code"
        )


async def cancel(account_id: int, code: str, *, now: dt.datetime) -> BookingRead:
    async with write_transaction():
        booking = await booking_of(account_id, code)
        _still_to_come(booking, now)
        await Booking.update({Booking.state: "cancelled", Booking.updated_at: now}).where(
            Booking.code == booking.code
        )
        await free_place(
            booking.agency_code, booking.counter_number, booking.day, minutes_of(booking.time)
        )
    return await booking_of(account_id, code)


async def change(account_id: int, code: str, data: ChangeIn, *, now: dt.datetime) -> BookingRead:
    """Move a booking to another slot at the same agency: the new place is taken before
    the old is freed, so a full slot leaves the booking as it was."""
    booking = await booking_of(account_id, code)
    _still_to_come(booking, now)
    if (data.day, data.time) == (booking.day, booking.time):
        return booking
    place = await _place(booking.procedure_code, booking.agency_code)
    session = await _slot_of(place, data.day, data.time, now)
    starts = minutes_of(data.time)
    async with write_transaction():
        booking = await booking_of(account_id, code)
        _still_to_come(booking, now)
        counter = await _take(place, data.day, session, starts)
        await free_place(
            booking.agency_code, booking.counter_number, booking.day, minutes_of(booking.time)
        )
        await Booking.update(
            {
                Booking.day: data.day,
                Booking.starts: starts,
                Booking.counter_number: counter,
                Booking.slot_minutes: session.slot_minutes,
                Booking.reminded_at: None,
                Booking.updated_at: now,
            }
        ).where(Booking.code == booking.code)
    return await booking_of(account_id, code)
