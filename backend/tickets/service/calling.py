"""The officials' side of the line: call the next number, recall, served, skipped,
transferred to another counter of the agency.

"Gọi số tiếp theo" first locks the counter's line (its sequence row, unchanged; SQLite
serialises write transactions anyway), so two presses at once run one after the other
and the second sees the first's call; it then takes the first waiting ticket with an
update that holds only while the ticket is still waiting, which would also keep two
calls apart without the lock. The official's own ticket still called at that counter is
then done (calling the next person ends the last one), unless it was called a moment
ago: a double click repeats the call instead of skipping a person.

A ticket with an account gets two notices through the outbox, in the same transaction:
``ticket.near`` once it has at most two people ahead, ``ticket.called`` when called.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.db import fetch, write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.i18n import N_
from backend.outbox import service as outbox
from backend.tickets.schemas import TicketRead, display_code
from backend.tickets.service.issuing import lock_line
from backend.tickets.service.rows import COLUMNS, by_id, missing, to_read, vietnam_day
from backend.tickets.tables import Ticket

QUEUE_ROLES: frozenset[str] = frozenset({"reception", "processing", "leader", "admin"})
NEAR = 2  # people ahead at most for "your turn is near" (the LIMIT of _FRONT: NEAR + 1)
_RETRIES = 20
# A second "call next" by one official this soon after the first is the same press.
DOUBLE_PRESS_S = 3

_FIRST_WAITING = (
    "SELECT id FROM tickets_ticket WHERE agency_code = {} AND day = {} AND counter_number = {}"
    " AND state = 'waiting' ORDER BY booked DESC, queued_at, id LIMIT 1"
)
_FRONT = (
    "SELECT id, public_id, account_id, issued_counter, number FROM tickets_ticket"
    " WHERE agency_code = {} AND day = {} AND counter_number = {} AND state = 'waiting'"
    " ORDER BY booked DESC, queued_at, id LIMIT 3"
)


class NotCalled(Conflict):
    code = "ticket_not_called"


def agency_of(principal: Principal) -> str:
    """The agency whose line an official works; Forbidden for anyone else."""
    if principal.kind != "staff" or principal.role not in QUEUE_ROLES or not principal.agency_code:
        raise Forbidden(N_("Chỉ cán bộ của trung tâm điều hành được hàng chờ."))
    return principal.agency_code


async def own_counter(principal: Principal, number: int) -> int:
    """A counter of the official's agency (another agency's, or none: NotFound)."""
    await catalogue.get_counter(agency_of(principal), number)
    return number


async def own_ticket(principal: Principal, ticket_id: int, now: dt.datetime) -> TicketRead:
    """A ticket of today at the official's agency (any other: NotFound)."""
    ticket = await by_id(ticket_id)
    if ticket.agency_code != agency_of(principal) or ticket.day != vietnam_day(now).isoformat():
        raise missing()
    return ticket


def _payload(ticket: TicketRead | dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The notice's code is the number; its status, the ticket page's id (where the
    notice leads: ``notifications`` builds ``/so-thu-tu/<status>``)."""
    if isinstance(ticket, TicketRead):
        code, agency, counter = ticket.code, ticket.agency_code, ticket.counter_number
        public_id = ticket.public_id
    else:
        code = display_code(ticket["issued_counter"], ticket["number"])
        agency, counter = ticket["agency_code"], ticket["counter_number"]
        public_id = ticket["public_id"]
    return {
        "code": code,
        "status": public_id,
        "agency_code": agency,
        "counter_number": counter,
        "at": now.isoformat(),
    }


async def notify_near(agency_code: str, day: str, counter_number: int, now: dt.datetime) -> None:
    """``ticket.near`` for the account holders now at most NEAR places from the front."""
    for row in await fetch(_FRONT, agency_code, day, counter_number):
        if row["account_id"] is None:
            continue
        await outbox.enqueue(
            event_key=f"ticket.near:{row['public_id']}",
            kind="ticket.near",
            subject=f"ticket:{row['id']}",
            account_ids=[int(row["account_id"])],
            payload=_payload(
                {**row, "agency_code": agency_code, "counter_number": counter_number}, now
            ),
            now=now,
        )


async def _notify_called(ticket: TicketRead, now: dt.datetime) -> None:
    if ticket.account_id is None:
        return
    await outbox.enqueue(
        event_key=f"ticket.called:{ticket.public_id}",
        kind="ticket.called",
        subject=f"ticket:{ticket.id}",
        account_ids=[ticket.account_id],
        payload=_payload(ticket, now),
        now=now,
    )


async def _finish_own(
    agency_code: str, day: str, counter_number: int, official: int, now: dt.datetime
) -> int | None:
    """The official's tickets still called at this counter: served. Unless one was
    called within DOUBLE_PRESS_S: then the press repeats that call (a double click, a
    resent form) and its ticket's id is returned, nothing changed."""
    rows = await Ticket.select(Ticket.id, Ticket.called_at, Ticket.last_called_at).where(
        (Ticket.agency_code == agency_code)
        & (Ticket.day == day)
        & (Ticket.counter_number == counter_number)
        & (Ticket.state == "called")
        & (Ticket.called_by == official)
    )
    for row in rows:
        last = row["last_called_at"]
        if last is not None and (now - last).total_seconds() < DOUBLE_PRESS_S:
            return int(row["id"])
    for row in rows:
        await _end(row["id"], row["called_at"], "served", official, now)
    return None


async def _end(
    ticket_id: int, called_at: dt.datetime | None, state: str, official: int, now: dt.datetime
) -> bool:
    seconds = int((now - called_at).total_seconds()) if called_at else None
    done = (
        await Ticket.update(
            {
                Ticket.state: state,
                Ticket.finished_at: now,
                Ticket.finished_by: official,
                Ticket.service_s: max(0, seconds) if seconds is not None else None,
            }
        )
        .where((Ticket.id == ticket_id) & (Ticket.state == "called"))
        .returning(Ticket.id)
    )
    return bool(done)


async def call_next(
    principal: Principal, counter_number: int, now: dt.datetime
) -> TicketRead | None:
    """Call the first waiting ticket of the counter (booked first); None when nobody
    waits. The official's previous ticket at the counter, still called, is served
    (unless it was called a moment ago: then it is returned again)."""
    agency = agency_of(principal)
    await own_counter(principal, counter_number)
    today = vietnam_day(now)
    day = today.isoformat()
    official = principal.account_id
    async with write_transaction():
        # One call at a time per counter: a double press then sees the first one's call.
        await lock_line(agency, counter_number, today)
        repeated = await _finish_own(agency, day, counter_number, official, now)
        if repeated is not None:
            return await by_id(repeated)
        for _ in range(_RETRIES):
            first = await fetch(_FIRST_WAITING, agency, day, counter_number)
            if not first:
                return None
            ticket_id = int(first[0]["id"])
            taken = await _take(ticket_id, official, now)
            if taken is None:
                continue  # another official called it first: the next one
            await _notify_called(taken, now)
            await notify_near(agency, day, counter_number, now)
            return taken
    raise Conflict(N_("Hàng chờ đang bận, hãy bấm lại."), field="counter")


async def _take(ticket_id: int, official: int, now: dt.datetime) -> TicketRead | None:
    rows = await Ticket.select(Ticket.issued_at, Ticket.called_at).where(Ticket.id == ticket_id)
    if not rows:
        return None
    first_call = rows[0]["called_at"] is None
    changes: dict[Any, Any] = {
        Ticket.state: "called",
        Ticket.last_called_at: now,
        Ticket.times_called: Ticket.times_called + 1,
        Ticket.called_by: official,
    }
    if first_call:
        changes[Ticket.called_at] = now
        changes[Ticket.wait_s] = max(0, int((now - rows[0]["issued_at"]).total_seconds()))
    done = (
        await Ticket.update(changes)
        .where((Ticket.id == ticket_id) & (Ticket.state == "waiting"))
        .returning(Ticket.id)
    )
    if not done:
        return None
    saved = await Ticket.select(*COLUMNS).where(Ticket.id == ticket_id)
    return to_read(saved[0])


async def recall(principal: Principal, ticket_id: int, now: dt.datetime) -> TicketRead:
    """Announce a called ticket again (the hall's screen shows it as the latest call)."""
    async with write_transaction():
        ticket = await own_ticket(principal, ticket_id, now)
        done = (
            await Ticket.update(
                {
                    Ticket.last_called_at: now,
                    Ticket.times_called: Ticket.times_called + 1,
                    Ticket.called_by: principal.account_id,
                }
            )
            .where((Ticket.id == ticket.id) & (Ticket.state == "called"))
            .returning(Ticket.id)
        )
        if not done:
            raise _not_called()
        return await by_id(ticket.id)


def _not_called() -> NotCalled:
    return NotCalled(
        N_("Số này không còn đang được gọi (đã xong, bị bỏ qua hoặc đã chuyển quầy)."),
        field="ticket",
    )


async def finish(principal: Principal, ticket_id: int, state: str, now: dt.datetime) -> TicketRead:
    """A called ticket served ("served") or not come when called ("skipped")."""
    if state not in {"served", "skipped"}:
        raise InvalidInput(field="state")
    async with write_transaction():
        ticket = await own_ticket(principal, ticket_id, now)
        if not await _end(ticket.id, ticket.called_at, state, principal.account_id, now):
            raise _not_called()
        return await by_id(ticket.id)


async def transfer(
    principal: Principal, ticket_id: int, counter_number: int, now: dt.datetime
) -> TicketRead:
    """Send a waiting or called ticket to another counter of the agency: it keeps its
    number and its place by issue time in the other counter's line."""
    agency = agency_of(principal)
    try:
        await own_counter(principal, counter_number)
    except NotFound:
        raise InvalidInput(N_("Hãy chọn một quầy khác của trung tâm."), field="counter") from None
    async with write_transaction():
        ticket = await own_ticket(principal, ticket_id, now)
        if ticket.counter_number == counter_number:
            raise InvalidInput(N_("Số này đã ở quầy %(n)d.", n=counter_number), field="counter")
        done = (
            await Ticket.update(
                {
                    Ticket.state: "waiting",
                    Ticket.counter_number: counter_number,
                    Ticket.transferred_from: ticket.counter_number,
                }
            )
            .where(
                (Ticket.id == ticket.id)
                & (Ticket.counter_number == ticket.counter_number)
                & Ticket.state.is_in(["waiting", "called"])
            )
            .returning(Ticket.id)
        )
        if not done:
            raise Conflict(
                N_("Số này đã xong hoặc bị bỏ qua, không chuyển quầy được."), field="ticket"
            )
        await notify_near(agency, ticket.day, counter_number, now)
        await notify_near(agency, ticket.day, ticket.counter_number, now)
        return await by_id(ticket.id)
