"""The rules of bookings on the database: where and when a procedure is received, no
double booking under concurrency, the limits per person and phone, changing and
cancelling, reminders, the agency's side and the arrival at the entrance."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest

from backend.appointments import service
from backend.appointments.schemas import ChangeIn, ClosureIn, OpeningIn
from backend.appointments.tables import Booking, Slot
from backend.errors import Conflict, InvalidInput, NotFound
from backend.outbox import service as outbox
from backend.tickets import service as tickets
from backend.vietnam import VIETNAM
from tests.accounts.helpers import Clock
from tests.appointments.conftest import (
    BIRTH,
    CENTRE,
    DEATH,
    LICENCE,
    WARD,
    at,
    open_day,
    wanted,
)
from tests.dossiers.conftest import PersonFactory

_devices = (f"device-{n}" for n in itertools.count())


def device() -> str:
    return next(_devices)


async def counts() -> tuple[int, int]:
    return await Booking.count(), int(sum(row["taken"] for row in await Slot.select(Slot.taken)))


async def test_a_procedure_is_booked_where_its_counters_receive_it(clock: Clock) -> None:
    births = await service.places_for(BIRTH)
    assert [(p.agency.code, p.counters) for p in births] == [(WARD, [1])]
    # A police procedure is received at the provincial centre's counter 2.
    licences = await service.places_for(LICENCE)
    assert [(p.agency.code, p.counters) for p in licences] == [(CENTRE, [2])]
    # Carried out by the ward, listed at none of its counters: any counter of the ward.
    deaths = await service.places_for(DEATH)
    assert [(p.agency.code, p.counters) for p in deaths] == [(WARD, [1, 2])]


async def test_the_days_offered_are_working_days_with_room(clock: Clock) -> None:
    # The week of 30 April (Reunification Day, a Friday in 2027) and 3 May (its day off
    # in lieu of 1 May, a Saturday), at 08:00 on the Monday.
    clock.now = at(dt.date(2027, 4, 26), 8)
    found = await service.availability(BIRTH, WARD, now=clock())
    assert found.agency_code == WARD
    offered = [day.day for day in found.days]
    assert offered[:4] == [dt.date(2027, 4, d) for d in (26, 27, 28, 29)]
    assert dt.date(2027, 4, 30) not in offered
    assert all(day.weekday() < 5 for day in offered)
    # Today at 08:00: the 07:30 and 08:00 slots have begun.
    today = await service.availability(BIRTH, WARD, offered[0], now=clock())
    assert today.slots[0].time == "08:30" and today.slots[0].free == 2
    assert today.slots[-1].time == "16:30"
    assert "11:30" not in [slot.time for slot in today.slots]  # the lunch break


async def test_a_booking_takes_a_place(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day), now=clock())
    assert (booking.state, booking.counter_number, booking.time, booking.ends) == (
        "booked",
        1,
        "08:00",
        "08:30",
    )
    assert booking.code.startswith("LH") and len(booking.code) == 10
    slots = await service.availability(BIRTH, WARD, day, now=clock())
    assert next(s for s in slots.slots if s.time == "08:00").free == 1
    assert await service.booking_of(person.account_id, booking.code) == booking


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("past", "time"),
        ("weekend", "day"),
        ("holiday", "day"),
        ("lunch", "time"),
        ("off grid", "time"),
        ("too far", "day"),
        ("elsewhere", "agency_code"),
    ],
)
async def test_a_slot_that_cannot_be_booked_saves_nothing(
    clock: Clock, people: PersonFactory, case: str, field: str
) -> None:
    monday = clock().astimezone(VIETNAM).date()
    data = {
        "past": wanted(monday, "07:30"),
        "weekend": wanted(monday + dt.timedelta(days=5)),
        "holiday": wanted(dt.date(2027, 4, 30)),
        "lunch": wanted(monday + dt.timedelta(days=1), "12:00"),
        "off grid": wanted(monday + dt.timedelta(days=1), "08:10"),
        "too far": wanted(monday + dt.timedelta(days=45)),
        "elsewhere": wanted(monday + dt.timedelta(days=1), agency=CENTRE),
    }[case]
    if case == "holiday":
        clock.now = at(dt.date(2027, 4, 26), 8)  # the Monday before Reunification Day
    before = await counts()
    person = await people()
    with pytest.raises(InvalidInput) as refused:
        await service.book(person.account_id, device(), data, now=clock())
    assert refused.value.field == field
    assert refused.value.text.render("vi") and refused.value.text.render("en")
    assert await counts() == before


async def test_closing_a_day_cancels_its_bookings_and_tells_their_holders(
    clock: Clock, people: PersonFactory
) -> None:
    day = await open_day(clock, skip=2)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "08:30"), now=clock())
    closure, cancelled = await service.close_day(
        WARD, ClosureIn(day=day, reason_vi="Tổng vệ sinh"), now=clock()
    )
    try:
        assert (closure.reason_en, cancelled) == ("Tổng vệ sinh", 1)
        assert (await service.booking_of(person.account_id, booking.code)).state == "cancelled"
        told = await outbox.messages_for(f"appointment:{booking.code}")
        assert [m["kind"] for m in told] == ["appointment.cancelled"]
        assert told[0]["account_ids"] == [person.account_id]
        found = await service.availability(BIRTH, WARD, now=clock())
        assert day not in [d.day for d in found.days]
        with pytest.raises(InvalidInput) as refused:
            await service.book((await people()).account_id, device(), wanted(day), now=clock())
        assert "Tổng vệ sinh" in refused.value.text.render("vi")
        with pytest.raises(InvalidInput):  # a day gone by
            await service.close_day(
                WARD, ClosureIn(day=day - dt.timedelta(days=30), reason_vi="x"), now=clock()
            )
        with pytest.raises(InvalidInput):  # no reason given
            await service.close_day(WARD, ClosureIn(day=day, reason_vi=" "), now=clock())
    finally:
        await service.remove_closure(WARD, day)
    assert day in [d.day for d in (await service.availability(BIRTH, WARD, now=clock())).days]


async def test_a_full_slot_is_refused(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock)
    for _ in range(2):
        await service.book((await people()).account_id, device(), wanted(day, "09:00"), now=clock())
    before = await counts()
    with pytest.raises(Conflict) as refused:
        await service.book((await people()).account_id, device(), wanted(day, "09:00"), now=clock())
    assert refused.value.field == "time"
    assert await counts() == before


async def test_fifty_people_pressing_for_the_last_place_one_gets_it(
    clock: Clock, people: PersonFactory
) -> None:
    day = await open_day(clock)
    await service.book((await people()).account_id, device(), wanted(day, "10:00"), now=clock())
    crowd = [await people() for _ in range(50)]
    results = await asyncio.gather(
        *(
            service.book(person.account_id, device(), wanted(day, "10:00"), now=clock())
            for person in crowd
        ),
        return_exceptions=True,
    )
    won = [result for result in results if not isinstance(result, BaseException)]
    lost = [result for result in results if isinstance(result, BaseException)]
    assert len(won) == 1
    assert all(isinstance(error, Conflict) for error in lost), lost[:3]
    taken = await Slot.select(Slot.capacity, Slot.taken).where(
        Slot.agency_code == WARD, Slot.day == day, Slot.starts == 600
    )
    assert taken == [{"capacity": 2, "taken": 2}]
    assert await Booking.count().where(Booking.day == day, Booking.starts == 600) == 2


async def test_two_counters_share_a_procedure_s_slots(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock)
    booked = [
        await service.book(
            (await people()).account_id, device(), wanted(day, "14:00", DEATH), now=clock()
        )
        for _ in range(4)
    ]
    assert sorted(b.counter_number for b in booked) == [1, 1, 2, 2]
    with pytest.raises(Conflict):
        await service.book(
            (await people()).account_id, device(), wanted(day, "14:00", DEATH), now=clock()
        )


async def test_no_hoarding_by_a_person_or_a_phone(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock)
    person = await people()
    phone = device()
    await service.book(person.account_id, phone, wanted(day, "08:00"), now=clock())
    with pytest.raises(Conflict) as twice:
        await service.book(person.account_id, phone, wanted(day, "08:30"), now=clock())
    assert twice.value.field == "procedure_code"
    await service.book(person.account_id, phone, wanted(day, "08:30", DEATH), now=clock())
    await service.book(person.account_id, phone, wanted(day, "09:00", LICENCE, CENTRE), now=clock())
    with pytest.raises(Conflict):  # a fourth of the person's
        await service.book(
            person.account_id, device(), wanted(day, "09:30", "2.000635"), now=clock()
        )
    # The same phone, another account: the phone holds three already.
    with pytest.raises(Conflict) as phone_full:
        await service.book((await people()).account_id, phone, wanted(day, "09:30"), now=clock())
    assert "Điện thoại" in phone_full.value.text.render("vi")
    # A cancelled one no longer counts.
    mine = await service.bookings_of(person.account_id)
    await service.cancel(person.account_id, mine[0].code, now=clock())
    await service.book(person.account_id, device(), wanted(day, "10:30", "2.000635"), now=clock())


async def test_cancelling_frees_the_place(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock)
    first, second, third = [await people() for _ in range(3)]
    a = await service.book(first.account_id, device(), wanted(day, "15:00"), now=clock())
    await service.book(second.account_id, device(), wanted(day, "15:00"), now=clock())
    with pytest.raises(NotFound):  # someone else's booking
        await service.cancel(third.account_id, a.code, now=clock())
    cancelled = await service.cancel(first.account_id, a.code, now=clock())
    assert cancelled.state == "cancelled"
    await service.book(third.account_id, device(), wanted(day, "15:00"), now=clock())
    with pytest.raises(Conflict):  # cancelled already
        await service.cancel(first.account_id, a.code, now=clock())


async def test_a_booking_cannot_be_changed_once_its_time_has_come(
    clock: Clock, people: PersonFactory
) -> None:
    day = await open_day(clock, skip=0)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "16:30"), now=clock())
    clock.now = at(day, 16, 30)
    with pytest.raises(Conflict):
        await service.cancel(person.account_id, booking.code, now=clock())


async def test_changing_moves_the_booking_or_leaves_it(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "08:00"), now=clock())
    moved = await service.change(
        person.account_id, booking.code, ChangeIn(day=day, time="13:30"), now=clock()
    )
    assert (moved.code, moved.time) == (booking.code, "13:30")
    slots = {
        s.time: s.free for s in (await service.availability(BIRTH, WARD, day, now=clock())).slots
    }
    assert slots["08:00"] == 2 and slots["13:30"] == 1
    for _ in range(2):
        await service.book((await people()).account_id, device(), wanted(day, "14:30"), now=clock())
    with pytest.raises(Conflict):
        await service.change(
            person.account_id, booking.code, ChangeIn(day=day, time="14:30"), now=clock()
        )
    assert (await service.booking_of(person.account_id, booking.code)).time == "13:30"
    with pytest.raises(InvalidInput):
        await service.change(
            person.account_id, booking.code, ChangeIn(day=day, time="12:00"), now=clock()
        )


async def test_the_reminder_goes_out_once_the_evening_before(
    clock: Clock, people: PersonFactory
) -> None:
    day = await open_day(clock, skip=1)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "09:30"), now=clock())
    eve = day - dt.timedelta(days=1)
    late = await service.book(
        (await people()).account_id, device(), wanted(day, "10:30"), now=at(eve, 18)
    )

    async def reminders() -> list[dict[str, object]]:
        return [m for m in await outbox.messages_for(f"appointment:{booking.code}")]

    clock.now = at(eve, 16, 59)
    await service.chore(clock())
    assert await reminders() == []
    clock.now = at(eve, 17, 0)
    await service.chore(clock())
    await service.chore(clock())
    sent = await reminders()
    assert len(sent) == 1
    assert sent[0]["account_ids"] == [person.account_id]
    payload = sent[0]["payload"]
    assert payload["code"] == booking.code and payload["status"] == "09:30"
    assert payload["due_date"] == day.isoformat() and payload["agency_code"] == WARD
    # Booked after 17:00 the day before: just booked, not reminded.
    assert await outbox.messages_for(f"appointment:{late.code}") == []
    # Moved to another day: reminded again before that one.
    later = await open_day(clock, skip=3)
    await service.change(
        person.account_id, booking.code, ChangeIn(day=later, time="09:30"), now=clock()
    )
    clock.now = at(later - dt.timedelta(days=1), 17, 5)
    await service.chore(clock())
    assert len(await reminders()) == 2


async def test_nobody_came_the_day_after_is_a_no_show(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock, skip=0)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "11:00"), now=clock())
    clock.now = at(day + dt.timedelta(days=1), 7)
    await service.chore(clock())
    assert (await service.booking_of(person.account_id, booking.code)).state == "no_show"


async def test_the_desk_marks_arrivals_with_a_ticket_ahead_of_walk_ins(
    clock: Clock, people: PersonFactory
) -> None:
    day = await open_day(clock, skip=0)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "09:00"), now=clock())
    walk_in = await tickets.issue(
        agency_code=WARD, counter_number=1, now=clock(), account_id=None, device=device()
    )
    listed = await service.day_of(WARD, day)
    assert [(item.booking.code, item.name) for item in listed] == [(booking.code, person.name)]
    with pytest.raises(NotFound):  # another agency's official
        await service.mark_arrived(CENTRE, booking.code, now=clock())
    with pytest.raises(Conflict):  # before the slot: no no-show yet
        await service.mark_no_show(WARD, booking.code, now=clock())
    arrived = await service.mark_arrived(WARD, booking.code, now=clock())
    assert arrived.booking.state == "arrived" and arrived.booking.ticket_path
    _, line = await tickets.counter_tickets(WARD, day, 1)
    assert [(t.booked, t.public_id) for t in line] == [
        (True, arrived.booking.ticket_path.rsplit("/", 1)[1]),
        (False, walk_in.public_id),
    ]
    with pytest.raises(Conflict):  # twice
        await service.mark_arrived(WARD, booking.code, now=clock())


async def test_arriving_at_the_entrance(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock, skip=0)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "10:30"), now=clock())
    with pytest.raises(Conflict) as elsewhere:
        await service.check_in(person.account_id, booking.code, CENTRE, now=clock())
    assert elsewhere.value.field == "entrance"
    with pytest.raises(NotFound):
        await service.check_in((await people()).account_id, booking.code, WARD, now=clock())
    done = await service.check_in(person.account_id, booking.code, WARD, now=clock())
    assert done.state == "arrived" and done.ticket_path.startswith("/so-thu-tu/")
    assert await service.booked_today(person.account_id, WARD, clock()) == []


async def test_a_booking_of_another_day_cannot_arrive_today(
    clock: Clock, people: PersonFactory
) -> None:
    day = await open_day(clock, skip=1)
    person = await people()
    booking = await service.book(person.account_id, device(), wanted(day, "10:30"), now=clock())
    with pytest.raises(Conflict):
        await service.check_in(person.account_id, booking.code, WARD, now=clock())


async def test_the_counters_days_for_the_dashboard(clock: Clock, people: PersonFactory) -> None:
    day = await open_day(clock, skip=0)
    made = [
        await service.book((await people()).account_id, device(), wanted(day, time), now=clock())
        for time in ("13:30", "14:00", "14:30")
    ]
    await service.mark_arrived(WARD, made[0].code, now=clock())
    await service.cancel(
        (await Booking.select(Booking.account_id).where(Booking.code == made[2].code))[0][
            "account_id"
        ],
        made[2].code,
        now=clock(),
    )
    clock.now = at(day, 16)
    await service.mark_no_show(WARD, made[1].code, now=clock())
    rows = await service.counter_days([WARD], day, day)
    assert [(r.counter_number, r.booked, r.arrived, r.no_show, r.cancelled) for r in rows] == [
        (1, 2, 1, 1, 1)
    ]


async def test_opening_hours_are_checked(clock: Clock) -> None:
    bad = [
        OpeningIn(weekday=0, opens="11:00", closes="08:00"),
        OpeningIn(weekday=1, opens="05:00", closes="08:00"),
        OpeningIn(weekday=2, opens="08:00", closes="11:00"),
        OpeningIn(weekday=2, opens="10:00", closes="12:00"),
    ]
    with pytest.raises(InvalidInput) as refused:
        await service.set_week(CENTRE, bad)
    assert len(refused.value.problems) == 3
    assert await service.week_of(CENTRE) == service.DEFAULT_WEEK


async def test_an_agency_s_own_hours(clock: Clock, people: PersonFactory) -> None:
    agency = "000.02.40.H56"  # no counters: hours alone take no booking
    own = [
        OpeningIn(weekday=d, opens="08:00", closes="10:00", slot_minutes=60, per_counter=1)
        for d in range(5)
    ]
    try:
        week = await service.set_week(CENTRE, own)
        assert [w.opens for w in week] == ["08:00"] * 5
        found = await service.availability(LICENCE, CENTRE, now=clock())
        first = found.days[1].day
        slots = await service.availability(LICENCE, CENTRE, first, now=clock())
        assert [(s.time, s.ends, s.free) for s in slots.slots] == [
            ("08:00", "09:00", 1),
            ("09:00", "10:00", 1),
        ]
    finally:
        await service.set_week(CENTRE, [])
    assert (await service.availability(BIRTH, agency, now=clock())).agency_code == WARD
