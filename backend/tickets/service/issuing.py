"""Taking a ticket: the day and the counter checked, the limits per device and account,
and a gapless number.

Numbers come from ``tickets_sequence`` by an upsert that adds one and returns the new
value, inside the ticket's own transaction: a refusal or a crash rolls the number back
with the ticket, so the day's numbers at a counter are exactly 1..N. On PostgreSQL the
upsert locks the sequence row until commit, so concurrent takes at one counter queue on
it; on SQLite write transactions are serialised anyway. The agency's own row (counter
0) is bumped first: it counts the day's tickets and makes the limits' read-then-write
safe, since two takes by one phone at two counters wait for each other on it.
"""

from __future__ import annotations

import datetime as dt
import secrets

from backend.catalogue import service as catalogue
from backend.db import fetch, write_transaction
from backend.errors import Conflict, NotFound
from backend.i18n import N_
from backend.tickets.schemas import TicketRead
from backend.tickets.service.rows import COLUMNS, missing, to_read, vietnam_day
from backend.tickets.tables import Ticket
from backend.workdays import service as workdays

# At most this many tickets a day at one centre, per device and per account.
PER_CENTRE_DAY = 3
MAX_DEVICE_LENGTH = 64
MAX_PROCEDURE_LENGTH = 32
AGENCY_ROW = 0
NO_COUNTER = N_("Trung tâm này chưa có quầy nào nhận số thứ tự. Hãy hỏi cán bộ hướng dẫn tại sảnh.")
CHOOSE = N_("Hãy chọn việc bạn cần làm (hoặc “Việc khác”) rồi bấm “Lấy số”.")

_BUMP = (
    "INSERT INTO tickets_sequence (agency_code, counter_number, day, last_number)"
    " VALUES ({}, {}, {}, 1)"
    " ON CONFLICT (agency_code, counter_number, day)"
    " DO UPDATE SET last_number = tickets_sequence.last_number + 1"
    " RETURNING last_number"
)
# The same row locked without a change (made at 0 if the day has none yet, so the
# first ticket is still 1): serialises the calls at one counter on PostgreSQL.
_LOCK = (
    "INSERT INTO tickets_sequence (agency_code, counter_number, day, last_number)"
    " VALUES ({}, {}, {}, 0)"
    " ON CONFLICT (agency_code, counter_number, day)"
    " DO UPDATE SET last_number = tickets_sequence.last_number"
    " RETURNING last_number"
)
# The limits' counts, by the device or by the account.
_COUNT = "SELECT COUNT(*) AS n FROM tickets_ticket WHERE agency_code = {} AND day = {}"
_WAITING_AT = {
    "device": _COUNT + " AND counter_number = {} AND state = 'waiting' AND device = {}",
    "account_id": _COUNT + " AND counter_number = {} AND state = 'waiting' AND account_id = {}",
}
_TODAY_AT = {"device": _COUNT + " AND device = {}", "account_id": _COUNT + " AND account_id = {}"}


class QueueClosed(Conflict):
    code = "queue_closed"


class TicketLimit(Conflict):
    code = "ticket_limit"


class NoCounter(NotFound):
    code = "no_counter"


async def bump(agency_code: str, counter_number: int, day: dt.date) -> int:
    rows = await fetch(_BUMP, agency_code, counter_number, day.isoformat())
    return int(rows[0]["last_number"])


async def lock_line(agency_code: str, counter_number: int, day: dt.date) -> None:
    """Hold the counter's line until the transaction ends (its sequence row)."""
    await fetch(_LOCK, agency_code, counter_number, day.isoformat())


async def _count(sql: str, *args: object) -> int:
    return int((await fetch(sql, *args))[0]["n"])


async def _check_limits(
    agency_code: str, counter_number: int, day: dt.date, account_id: int | None, device: str
) -> None:
    holders: list[tuple[str, object]] = []
    if device:
        holders.append(("device", device))
    if account_id is not None:
        holders.append(("account_id", account_id))
    for column, value in holders:
        if await _count(_WAITING_AT[column], agency_code, day.isoformat(), counter_number, value):
            raise TicketLimit(
                N_(
                    "Bạn đã có một số đang chờ ở quầy %(counter)d. Hãy chờ đến lượt số đó "
                    "(mở lại trang số thứ tự của bạn) trước khi lấy số mới ở quầy này.",
                    counter=counter_number,
                ),
                field="counter",
            )
        if await _count(_TODAY_AT[column], agency_code, day.isoformat(), value) >= PER_CENTRE_DAY:
            raise TicketLimit(
                N_(
                    "Mỗi người chỉ lấy được tối đa %(n)d số một ngày tại một trung tâm. "
                    "Nếu cần thêm, hãy hỏi cán bộ hướng dẫn tại sảnh.",
                    n=PER_CENTRE_DAY,
                ),
                field="counter",
            )


async def check_open(agency_code: str, day: dt.date) -> None:
    """Refuse a day the centre does not work (weekends and holidays of the calendar)."""
    if not await workdays.is_working_day(day):
        raise QueueClosed(
            N_(
                "Hôm nay không phải ngày làm việc nên trung tâm không phát số thứ tự. "
                "Hãy quay lại vào ngày làm việc tiếp theo."
            ),
            field="day",
        )


async def issue(
    *,
    agency_code: str,
    counter_number: int,
    now: dt.datetime,
    account_id: int | None,
    device: str,
    procedure_code: str | None = None,
    booked: bool = False,
) -> TicketRead:
    """A new ticket at a counter of the agency, today (Vietnamese day of ``now``).
    Joins the caller's ``write_transaction`` if one is open. Refused, with nothing
    saved: on a day that is not a working day (QueueClosed), at a counter the agency
    does not have (NotFound), when the device or the account already waits at that
    counter or has taken the day's tickets at this centre (TicketLimit). A booked
    ticket is served before the walk-ins waiting at its counter."""
    day = vietnam_day(now)
    await check_open(agency_code, day)
    try:
        await catalogue.get_counter(agency_code, counter_number)
    except NotFound:
        raise NoCounter(
            N_("Quầy số %(n)d không có ở cơ quan này.", n=counter_number), field="counter"
        ) from None
    device = device[:MAX_DEVICE_LENGTH]
    procedure = (procedure_code or "").strip()[:MAX_PROCEDURE_LENGTH] or None
    async with write_transaction():
        await bump(agency_code, AGENCY_ROW, day)
        await _check_limits(agency_code, counter_number, day, account_id, device)
        number = await bump(agency_code, counter_number, day)
        rows = await Ticket.insert(
            Ticket(
                public_id=secrets.token_urlsafe(16),
                agency_code=agency_code,
                counter_number=counter_number,
                issued_counter=counter_number,
                day=day.isoformat(),
                number=number,
                state="waiting",
                booked=booked,
                account_id=account_id,
                device=device,
                procedure_code=procedure,
                queued_at=now,
                issued_at=now,
            )
        ).returning(Ticket.id)
        saved = await Ticket.select(*COLUMNS).where(Ticket.id == rows[0]["id"])
    if not saved:
        raise missing()
    return to_read(saved[0])


async def counter_for_procedure(agency_code: str, procedure_code: str | None) -> int | None:
    """The counter of the agency that receives the procedure; else its first counter
    ("việc khác"); None when the agency has no counter (or does not exist)."""
    try:
        counters = await catalogue.counters_of(agency_code)
    except NotFound:
        return None
    if not counters:
        return None
    if procedure_code:
        for counter in counters:
            if any(item.code == procedure_code for item in counter.procedures):
                return counter.number
    return counters[0].number
