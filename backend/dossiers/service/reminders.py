"""Telling people that a dossier waits for its fees (issue 16). A dossier whose fees
are due before reception is not received until they are paid, yet its receipt and
the silence afterwards read as done: on submission its people are told that payment
is needed, and, while it is still unpaid, reminded a few working days later
(``DossiersRuntime.fee_reminder_days``: 1 and 5 by default; nothing lapses on its
own, so the second reminder comes after a working week). No reminder once it is paid,
withdrawn or refused (it is then no longer "submitted" and "unpaid").

Both go through the outbox like every other notice, so the inbox and push get them.
Each reminder is taken by ``UPDATE ... SET fee_reminders = n WHERE fee_reminders < n``
in the transaction that writes its message: workers running the chore at once on
PostgreSQL wait on the dossier's row and the later ones find it taken, and the
message's own key (``dossier:<id>:fee-reminder:<n>``) is unique besides."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.db import write_transaction
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.service.history import recipients
from backend.dossiers.tables import Dossier
from backend.outbox import service as outbox
from backend.vietnam import VIETNAM
from backend.workdays import service as workdays
from backend.workdays.service import WorkCalendar

# The outbox kinds (the notifications domain says what they mean to a person).
FEE_DUE = "payment.due"
FEE_REMINDER = "payment.reminder"
# At most this many dossiers are looked at in one round; the rest wait for the next.
BATCH = 200


class _Waiting(msgspec.Struct, frozen=True):
    id: int
    submitted_at: dt.datetime
    fee_reminders: int


async def tell_fee_due(runtime: DossiersRuntime, dossier_id: int) -> None:
    """Inside the submission's transaction: if the dossier now waits for fees before
    reception, its people are told so (the notice leads to the pay page)."""
    rows = await Dossier.select(
        Dossier.code,
        Dossier.owner_id,
        Dossier.organisation_id,
        Dossier.payment_stage,
        Dossier.payment_status,
    ).where(Dossier.id == dossier_id)
    row = rows[0]
    if row["payment_stage"] != "reception" or row["payment_status"] != "unpaid":
        return
    await outbox.enqueue(
        event_key=f"dossier:{dossier_id}:fee-due",
        kind=FEE_DUE,
        subject=f"dossier:{dossier_id}",
        account_ids=await recipients(row["owner_id"], row["organisation_id"]),
        payload={"dossier_id": dossier_id, "code": row["code"], "status": "submitted"},
        now=runtime.now(),
    )


def reminder_due(
    calendar: WorkCalendar, submitted_at: dt.datetime, days: tuple[int, ...], now: dt.datetime
) -> int:
    """How many of the reminders are due by ``now`` for a dossier submitted at
    ``submitted_at``: the n-th at the same time of day ``days[n - 1]`` working days
    after the (Vietnamese) day of submission."""
    local = submitted_at.astimezone(VIETNAM)
    due = 0
    for number, after in enumerate(days, start=1):
        day = calendar.add_working_days(local.date(), after)
        if dt.datetime.combine(day, local.timetz()) > now:
            break
        due = number
    return due


async def remind_unpaid(runtime: DossiersRuntime, limit: int = BATCH) -> int:
    """One round of the chore: the reminders now due, each sent once (only the latest
    when several fell due while no worker ran). Returns how many were sent."""
    days = runtime.fee_reminder_days
    if not days:
        return 0
    now = runtime.now()
    # The n-th reminder comes no sooner than days[n - 1] calendar days after submission
    # (a working day is at least a day): only dossiers past that are read, per reminder,
    # so those reminded once wait unread until the next one could be due.
    waiting: dict[int, _Waiting] = {}
    for number, after in enumerate(days, start=1):
        rows = (
            await Dossier.select(Dossier.id, Dossier.submitted_at, Dossier.fee_reminders)
            .where(
                (Dossier.status == "submitted")
                & (Dossier.payment_status == "unpaid")
                & (Dossier.payment_stage == "reception")
                & (Dossier.fee_reminders < number)
                & (Dossier.submitted_at <= now - dt.timedelta(days=after))
            )
            .order_by(Dossier.submitted_at)
            .limit(limit)
        )
        for dossier in msgspec.convert(rows, list[_Waiting]):
            waiting[dossier.id] = dossier
    if not waiting:
        return 0
    calendar = await workdays.load()
    due = {
        dossier.id: number
        for dossier in waiting.values()
        if (number := reminder_due(calendar, dossier.submitted_at, days, now))
        > dossier.fee_reminders
    }
    if not due:
        return 0
    sent = 0
    async with write_transaction():
        for dossier_id, number in due.items():
            taken = (
                await Dossier.update({Dossier.fee_reminders: number})
                .where(
                    (Dossier.id == dossier_id)
                    & (Dossier.fee_reminders < number)
                    & (Dossier.status == "submitted")
                    & (Dossier.payment_status == "unpaid")
                )
                .returning(Dossier.code, Dossier.owner_id, Dossier.organisation_id)
            )
            if not taken:
                continue  # another worker took it, or it was paid, withdrawn or refused
            row = taken[0]
            await outbox.enqueue(
                event_key=f"dossier:{dossier_id}:fee-reminder:{number}",
                kind=FEE_REMINDER,
                subject=f"dossier:{dossier_id}",
                account_ids=await recipients(row["owner_id"], row["organisation_id"]),
                payload={
                    "dossier_id": dossier_id,
                    "code": row["code"],
                    "status": "submitted",
                    "at": now.isoformat(),
                },
                now=now,
            )
            sent += 1
    return sent
