"""Taking tickets and working the line through the service: numbering, limits, the
officials' actions, the notices and the day's figures."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.outbox import service as outbox
from backend.tickets import service
from backend.tickets.runtime import TicketsRuntime
from backend.tickets.tables import Ticket
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import PersonFactory
from tests.tickets.conftest import CENTRE, NO_COUNTERS, SATURDAY, WARD


async def take(
    clock: Clock, device: str, counter: int = 1, **options: object
) -> service.TicketRead:
    return await service.issue(
        agency_code=options.pop("agency", CENTRE),  # type: ignore[arg-type]
        counter_number=counter,
        now=clock(),
        account_id=options.pop("account_id", None),  # type: ignore[arg-type]
        device=device,
        **options,  # type: ignore[arg-type]
    )


async def count_tickets() -> int:
    return await Ticket.count()


async def test_numbers_start_at_one_per_counter_and_day(clock: Clock) -> None:
    first = await take(clock, "dev-a1")
    second = await take(clock, "dev-a2")
    other = await take(clock, "dev-a3", counter=2)
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert (first.code, second.code, other.code) == ("1001", "1002", "2001")
    assert first.state == "waiting" and first.counter_number == 1
    assert service.ticket_path(first) == f"/so-thu-tu/{first.public_id}"
    assert len(first.public_id) >= 20
    # The next day starts again at 1.
    clock.advance(days=1)
    assert (await take(clock, "dev-a1")).number == 1


async def test_one_waiting_ticket_a_counter_and_three_a_day_per_device(clock: Clock) -> None:
    await take(clock, "dev-b")
    before = await count_tickets()
    with pytest.raises(service.TicketLimit) as refused:
        await take(clock, "dev-b")
    assert "quầy 1" in refused.value.message("vi")
    assert "counter 1" in refused.value.message("en")
    await take(clock, "dev-b", counter=2)
    await take(clock, "dev-b", counter=3)
    with pytest.raises(service.TicketLimit) as refused:
        await take(clock, "dev-b", counter=4)
    assert "3" in refused.value.message("vi")
    assert await count_tickets() == before + 2
    # Another centre is another three.
    assert (await take(clock, "dev-b", agency=WARD)).number >= 1


async def test_the_limits_follow_the_account_across_devices(
    clock: Clock, people: PersonFactory
) -> None:
    citizen = await people("citizen")
    await take(clock, "phone-1", account_id=citizen.account_id)
    with pytest.raises(service.TicketLimit):
        await take(clock, "phone-2", account_id=citizen.account_id)


async def test_no_ticket_on_a_day_off_nor_at_a_counter_that_does_not_exist(clock: Clock) -> None:
    before = await count_tickets()
    with pytest.raises(service.QueueClosed) as closed:
        await service.issue(
            agency_code=CENTRE, counter_number=1, now=SATURDAY, account_id=None, device="d-sat"
        )
    assert "ngày làm việc" in closed.value.message("vi")
    with pytest.raises(NotFound):
        await take(clock, "d-none", counter=9)
    with pytest.raises(NotFound):
        await take(clock, "d-none", agency=NO_COUNTERS)
    assert await count_tickets() == before


async def test_the_counter_of_a_procedure(clock: Clock) -> None:
    counters = await service.counter_for_procedure(CENTRE, None)
    assert counters == 1
    assert await service.counter_for_procedure(NO_COUNTERS, None) is None
    assert await service.counter_for_procedure("no.such.agency", None) is None
    from backend.catalogue import service as catalogue

    for counter in await catalogue.counters_of(CENTRE):
        for procedure in counter.procedures:
            found = await service.counter_for_procedure(CENTRE, procedure.code)
            assert found is not None
            listed = await catalogue.get_counter(CENTRE, found)
            assert procedure.code in {p.code for p in listed.procedures}
    assert await service.counter_for_procedure(CENTRE, "9.999999") == 1


async def test_numbers_are_gapless_under_concurrent_takes(clock: Clock) -> None:
    n = 40
    taken = await asyncio.gather(*(take(clock, f"crowd-{i}", counter=3) for i in range(n)))
    assert sorted(t.number for t in taken) == list(range(1, n + 1))
    # A refused take in the crowd uses no number.
    again = await asyncio.gather(
        *(take(clock, f"crowd-{i}", counter=3) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, service.TicketLimit) for result in again)
    assert (await take(clock, "late-comer", counter=3)).number == n + 1


async def test_calling_next_never_calls_one_ticket_twice(
    clock: Clock, people: PersonFactory
) -> None:
    staff = [await people("staff", "reception", agency=CENTRE) for _ in range(16)]
    for i in range(12):
        await take(clock, f"line-{i}", counter=4)
    calls = await asyncio.gather(*(service.call_next(official, 4, clock()) for official in staff))
    called = [ticket for ticket in calls if ticket is not None]
    assert len(called) == 12
    assert len({ticket.id for ticket in called}) == 12
    assert sorted(ticket.number for ticket in called) == list(range(1, 13))
    clock.advance(seconds=10)
    assert await service.call_next(staff[0], 4, clock()) is None


async def test_a_double_press_repeats_the_call(clock: Clock, people: PersonFactory) -> None:
    reception = await people("staff", "reception", agency=CENTRE)
    first = await take(clock, "press-1", counter=3)
    second = await take(clock, "press-2", counter=3)
    pressed = await asyncio.gather(*(service.call_next(reception, 3, clock()) for _ in range(2)))
    assert [t.id if t else None for t in pressed] == [first.id, first.id]
    assert (await service.by_id(second.id)).state == "waiting"
    clock.advance(seconds=5)
    later = await service.call_next(reception, 3, clock())
    assert later is not None and later.id == second.id
    assert (await service.by_id(first.id)).state == "served"


async def test_booked_first_then_by_number(clock: Clock, people: PersonFactory) -> None:
    reception = await people("staff", "reception", agency=CENTRE)
    walk_in = await take(clock, "walk-1", counter=2)
    clock.advance(minutes=1)
    booked = await take(clock, "booked-1", counter=2, booked=True)
    first = await service.call_next(reception, 2, clock())
    clock.advance(seconds=30)
    second = await service.call_next(reception, 2, clock())
    assert first is not None and second is not None
    assert (first.id, second.id) == (booked.id, walk_in.id)


async def test_recall_served_skipped_and_transfer(
    clock: Clock, people: PersonFactory, tickets: TicketsRuntime
) -> None:
    reception = await people("staff", "reception", agency=CENTRE)
    a = await take(clock, "act-a")
    b = await take(clock, "act-b")
    c = await take(clock, "act-c")
    clock.advance(minutes=4)
    called = await service.call_next(reception, 1, clock())
    assert called is not None and called.id == a.id and called.times_called == 1
    clock.advance(seconds=30)
    recalled = await service.recall(reception, a.id, clock())
    assert recalled.state == "called" and recalled.times_called == 2
    status = await service.status(b.public_id)
    assert (status.serving, status.ahead) == ("1001", 0)
    # Calling the next ends the official's last one.
    clock.advance(minutes=2)
    nxt = await service.call_next(reception, 1, clock())
    assert nxt is not None and nxt.id == b.id
    assert (await service.by_id(a.id)).state == "served"
    skipped = await service.finish(reception, b.id, "skipped", clock())
    assert skipped.state == "skipped"
    with pytest.raises(service.NotCalled):
        await service.recall(reception, b.id, clock())
    with pytest.raises(service.NotCalled):
        await service.finish(reception, c.id, "served", clock())
    # c goes to counter 2, keeps its number, and is in line by its issue time there.
    later = await take(clock, "act-d", counter=2)
    moved = await service.transfer(reception, c.id, 2, clock())
    assert (moved.code, moved.counter_number, moved.transferred_from) == ("1003", 2, 1)
    assert moved.state == "waiting"
    _, waiting = await service.counter_tickets(CENTRE, tickets.today(), 2)
    assert [t.id for t in waiting][:2] == [c.id, later.id] or c.id in [t.id for t in waiting]
    assert [t.id for t in waiting].index(c.id) < [t.id for t in waiting].index(later.id)
    with pytest.raises(InvalidInput):
        await service.transfer(reception, c.id, 2, clock())
    with pytest.raises(InvalidInput):
        await service.transfer(reception, c.id, 99, clock())
    with pytest.raises(InvalidInput):
        await service.finish(reception, c.id, "gone", clock())


async def test_another_agencys_counter_and_tickets_are_not_found(
    clock: Clock, people: PersonFactory
) -> None:
    ward_official = await people("staff", "reception", agency=WARD)
    citizen = await people("citizen")
    ticket = await take(clock, "theirs")
    with pytest.raises(NotFound):
        await service.call_next(ward_official, 3, clock())  # the ward has counters 1-2
    for action in (
        service.recall(ward_official, ticket.id, clock()),
        service.finish(ward_official, ticket.id, "served", clock()),
        service.transfer(ward_official, ticket.id, 2, clock()),
    ):
        with pytest.raises(NotFound):
            await action
    with pytest.raises(Forbidden):
        await service.call_next(citizen, 1, clock())


async def test_notices_for_the_account_near_and_called(clock: Clock, people: PersonFactory) -> None:
    reception = await people("staff", "reception", agency=CENTRE)
    citizen = await people("citizen")
    for i in range(3):
        await take(clock, f"before-{i}", counter=2)
    mine = await take(clock, "mine", counter=2, account_id=citizen.account_id)
    subject = f"ticket:{mine.id}"
    assert await outbox.messages_for(subject) == []
    await service.call_next(reception, 2, clock())  # two ahead now: near
    kinds = [m["kind"] for m in await outbox.messages_for(subject)]
    assert kinds == ["ticket.near"]
    for _ in range(3):
        clock.advance(minutes=1)
        await service.call_next(reception, 2, clock())
    messages = await outbox.messages_for(subject)
    assert [m["kind"] for m in messages] == ["ticket.near", "ticket.called"]
    called = messages[1]
    assert called["account_ids"] == [citizen.account_id]
    assert called["payload"]["code"] == mine.code
    assert called["payload"]["agency_code"] == CENTRE
    assert "at" in called["payload"]
    await service.recall(reception, mine.id, clock())  # no second notice
    assert len(await outbox.messages_for(subject)) == 2


async def test_the_wait_estimate_uses_the_days_service_time(
    clock: Clock, people: PersonFactory
) -> None:
    reception = await people("staff", "reception", agency=WARD)
    first = await take(clock, "est-1", agency=WARD)
    for i in range(2, 5):
        await take(clock, f"est-{i}", agency=WARD)
    last = await take(clock, "est-last", agency=WARD)
    status = await service.status(last.public_id)
    assert (status.ahead, status.wait_minutes) == (4, 20)  # 5 minutes each, not known yet
    await service.call_next(reception, 1, clock())
    clock.advance(minutes=2)
    await service.finish(reception, first.id, "served", clock())
    status = await service.status(last.public_id)
    assert (status.ahead, status.wait_minutes) == (3, 6)


async def test_day_figures(clock: Clock, people: PersonFactory, tickets: TicketsRuntime) -> None:
    reception = await people("staff", "reception", agency=WARD)
    a = await take(clock, "fig-a", agency=WARD, counter=2)
    await take(clock, "fig-b", agency=WARD, counter=2, booked=True)
    await take(clock, "fig-c", agency=WARD, counter=2)
    clock.advance(minutes=10)
    booked = await service.call_next(reception, 2, clock())
    assert booked is not None and booked.booked
    await service.finish(reception, booked.id, "served", clock())
    clock.advance(minutes=5)
    called = await service.call_next(reception, 2, clock())
    assert called is not None and called.id == a.id
    await service.finish(reception, a.id, "skipped", clock())
    day = tickets.today()
    rows = [f for f in await service.day_figures([WARD], day, day) if f.counter_number == 2]
    assert len(rows) == 1
    row = rows[0]
    assert (row.day, row.agency_code) == (day, WARD)
    assert (row.issued, row.served, row.skipped, row.booked) == (3, 1, 1, 1)
    assert (row.average_wait_s, row.longest_wait_s) == (750, 900)
    assert await service.day_figures([], day, day) == []
    everyone = await service.day_figures(None, day, day)
    assert any(f.agency_code == WARD and f.counter_number == 2 for f in everyone)
    assert (
        await service.day_figures([WARD], day + dt.timedelta(days=1), day + dt.timedelta(days=2))
        == []
    )


async def test_the_apps_scanner_opens_the_entrance_qr(tickets: TicketsRuntime) -> None:
    from backend.catalogue import service as catalogue

    token = service.entrance_token(tickets.secret_key, tickets.key_version, CENTRE, tickets.today())
    scanned = await catalogue.resolve_scanned(
        f"{tickets.public_url}/lay-so/{token}", tickets.public_url
    )
    assert (scanned.kind, scanned.target) == ("local", f"/lay-so/{token}")


def test_entrance_tokens_name_their_day_and_refuse_forgeries(tickets: TicketsRuntime) -> None:
    day = dt.date(2026, 10, 5)
    key, version = tickets.secret_key, tickets.key_version
    token = service.entrance_token(key, version, CENTRE, day)
    assert service.agency_of_entrance(key, version, token, day) == CENTRE
    with pytest.raises(service.OtherDayEntrance):
        service.agency_of_entrance(key, version, token, day + dt.timedelta(days=1))
    # An older key's token of today: replaced, so "scan today's".
    with pytest.raises(service.OtherDayEntrance):
        service.agency_of_entrance(key, version + 1, token, day)
    display = service.display_token(key, version, CENTRE)
    for forged in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        service.entrance_token("another secret", version, CENTRE, day),
        f"{version + 1}{token[1:]}",
        display,  # a display link is no entrance QR
        "",
    ):
        with pytest.raises(service.InvalidEntrance):
            service.agency_of_entrance(key, version, forged, day)
    assert service.agency_of_display(key, version, display) == CENTRE
    assert service.agency_of_display(key, version, token) is None
    assert service.agency_of_display(key, version + 1, display) is None


async def test_issue_joins_the_callers_transaction(clock: Clock) -> None:
    from backend.db import write_transaction

    class Undone(Exception):
        """The caller's own step after the ticket, failing."""

    taken: list[service.TicketRead] = []

    async def arrival_that_fails() -> None:
        async with write_transaction():
            taken.append(await take(clock, "outer-1", agency=WARD, counter=2, booked=True))
            raise Undone  # the caller's own step failed: the ticket goes with it

    with pytest.raises(Undone):
        await arrival_that_fails()
    assert taken[0].number == 1 and taken[0].booked
    with pytest.raises(NotFound):
        await service.by_id(taken[0].id)
    again = await take(clock, "outer-1", agency=WARD, counter=2)
    assert again.number == 1  # the number was rolled back too: no gap
