"""A dossier waiting for its fees before reception (issue 16): its people are told on
submission that paying is next, with a link to pay, and reminded one and five working
days later while still unpaid; never once paid, withdrawn or refused, and each
reminder once even with several workers at once (on PostgreSQL: really at once)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.app import background_jobs
from backend.db import write_transaction
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.dossiers.service.reminders import reminder_due
from backend.dossiers.tables import Dossier
from backend.jobs import Runner
from backend.notifications import service as notifications
from backend.outbox import service as outbox
from backend.settings import Settings, SettingsError
from backend.workdays import service as workdays
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import MONDAY, PersonFactory, submitted
from tests.payments.conftest import LICENCE_AGENCY, submitted_with_fees

DAY = dt.timedelta(days=1)


async def kinds(dossier: DossierRead) -> list[str]:
    return [m["kind"] for m in await outbox.messages_for(f"dossier:{dossier.id}")]


async def inbox(app: Litestar, person: Principal) -> list[tuple[str, str, str]]:
    """(title, body, link) of the person's notices, newest first, after the worker ran."""
    await notifications.fan_out(app.state["notifications"])
    page = await notifications.list_notices(person)
    return [(n.title, n.body, n.url) for n in page.items]


async def remind(runtime: DossiersRuntime, clock: Clock, at: dt.datetime) -> None:
    clock.now = at
    await service.remind_unpaid(runtime)


async def test_the_submission_notice_says_paying_is_next_and_links_to_it(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    assert await kinds(dossier) == [service.FEE_DUE]
    [(title, body, link)] = await inbox(dossiers_app, citizen)
    assert title == "Cần nộp phí, lệ phí"
    assert body == (
        f"Đã gửi hồ sơ {dossier.code}. Cơ quan chỉ tiếp nhận sau khi bạn nộp phí, lệ phí."
        " Bấm để thanh toán."
    )
    assert link == f"/ho-so/{dossier.id}/thanh-toan"
    english = await notifications.list_notices(citizen, lang="en")
    assert english.items[0].title == "Fees to pay"

    # Nothing to pay, or fees due only with the result: the receipt is the end for now.
    free = await submitted(runtime, await people())
    later = await submitted_with_fees(
        runtime,
        await people(),
        procedure="2.000488",
        answers={"purpose": "so1", "copies": "1", "residence": "Thanh Hóa", "reduced": "khong"},
    )
    assert later.payment_status == "unpaid" and later.payment_stage == "result"
    assert service.FEE_DUE not in await kinds(free) + await kinds(later)


async def test_reminded_after_one_and_five_working_days_each_once(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)  # Monday 09:00 in Vietnam
    await remind(runtime, clock, MONDAY + DAY - dt.timedelta(minutes=1))
    assert await kinds(dossier) == [service.FEE_DUE]
    await remind(runtime, clock, MONDAY + DAY)  # Tuesday 09:00
    await remind(runtime, clock, MONDAY + DAY + dt.timedelta(hours=3))
    assert await kinds(dossier) == [service.FEE_DUE, service.FEE_REMINDER]
    title, body, link = (await inbox(dossiers_app, citizen))[0]
    assert title == "Nhắc nộp phí, lệ phí"
    assert body == (
        f"Hồ sơ {dossier.code} chưa được tiếp nhận vì chưa nộp phí, lệ phí. Bấm để thanh toán."
    )
    assert link == f"/ho-so/{dossier.id}/thanh-toan"

    await remind(runtime, clock, MONDAY + 6 * DAY)  # Sunday: four working days so far
    assert (await kinds(dossier)).count(service.FEE_REMINDER) == 1
    await remind(runtime, clock, MONDAY + 7 * DAY)  # the next Monday, 09:00: five
    await remind(runtime, clock, MONDAY + 30 * DAY)
    assert (await kinds(dossier)).count(service.FEE_REMINDER) == 2
    keys = [m["event_key"] for m in await outbox.messages_for(f"dossier:{dossier.id}")]
    assert keys[1:] == [f"dossier:{dossier.id}:fee-reminder:{n}" for n in (1, 2)]


async def test_a_friday_dossier_is_reminded_on_monday_and_late_workers_send_one(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    friday = MONDAY + 4 * DAY
    clock.now = friday
    dossier = await submitted_with_fees(runtime, await people())
    await remind(runtime, clock, friday + 2 * DAY)  # Sunday
    assert service.FEE_REMINDER not in await kinds(dossier)
    await remind(runtime, clock, friday + 3 * DAY)  # Monday, 09:00
    assert (await kinds(dossier)).count(service.FEE_REMINDER) == 1

    # No worker ran for three weeks: one reminder (the second), not two at once.
    clock.now = MONDAY
    quiet = await submitted_with_fees(runtime, await people())
    await remind(runtime, clock, MONDAY + 21 * DAY)
    [reminder] = [
        m
        for m in await outbox.messages_for(f"dossier:{quiet.id}")
        if m["kind"] == "payment.reminder"
    ]
    assert reminder["event_key"].endswith(":fee-reminder:2")


async def test_no_reminder_once_paid_withdrawn_or_refused(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    paid = await submitted_with_fees(runtime, await people())
    async with write_transaction():
        assert await service.settle_fees([paid.id]) == [paid.id]
    owner = await people()
    withdrawn = await submitted_with_fees(runtime, owner)
    await service.act(
        runtime, owner, withdrawn.id, ActionIn(action="withdraw", version=withdrawn.version)
    )
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    refused = await submitted_with_fees(runtime, await people())
    await service.act(
        runtime,
        reception,
        refused.id,
        ActionIn(action="refuse", version=refused.version, reasons=["Không thuộc thẩm quyền"]),
    )
    await remind(runtime, clock, MONDAY + 30 * DAY)
    for dossier in (paid, withdrawn, refused):
        assert service.FEE_REMINDER not in await kinds(dossier), dossier.status


async def test_several_workers_at_once_send_each_reminder_once(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    waiting = [await submitted_with_fees(runtime, await people()) for _ in range(6)]
    clock.now = MONDAY + DAY
    # Each worker its own transaction (tasks copy the context), as in separate processes.
    await asyncio.gather(*(service.remind_unpaid(runtime) for _ in range(5)))
    for dossier in waiting:
        assert (await kinds(dossier)).count(service.FEE_REMINDER) == 1
    rows = await Dossier.select(Dossier.fee_reminders).where(
        Dossier.id.is_in([d.id for d in waiting])
    )
    assert {row["fee_reminders"] for row in rows} == {1}


def test_the_reminder_days_are_a_setting(tmp_path: Path) -> None:
    base = {"MOTCUA_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).fee_reminder_days == (1, 5)
    spaced = Settings.from_env({**base, "MOTCUA_FEE_REMINDER_DAYS": " 2, 10 "})
    assert spaced.fee_reminder_days == (2, 10)
    assert Settings.from_env({**base, "MOTCUA_FEE_REMINDER_DAYS": ""}).fee_reminder_days == ()
    for bad in ("0", "5,1", "1,1", "a", "1;5", "61", "1,2,3,4,5,6", "-1"):
        with pytest.raises(SettingsError) as refused:
            Settings.from_env({**base, "MOTCUA_FEE_REMINDER_DAYS": bad})
        assert refused.value.variable == "MOTCUA_FEE_REMINDER_DAYS", bad


async def test_no_reminder_days_no_reminder(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    dossier = await submitted_with_fees(runtime, await people())
    runtime.fee_reminder_days = ()
    try:
        await remind(runtime, clock, MONDAY + 30 * DAY)
    finally:
        runtime.fee_reminder_days = (1, 5)
    assert service.FEE_REMINDER not in await kinds(dossier)


def test_when_each_reminder_falls_due() -> None:
    calendar = workdays.seed_calendar()
    # Thursday 29 April 2027, 16:00 in Vietnam: 30 April, 1 May (a Saturday) and the
    # Monday given for it are off, so the first working day after it is Tuesday 4 May.
    thursday = dt.datetime(2027, 4, 29, 9, 0, tzinfo=dt.UTC)
    at = [
        dt.datetime(2027, 5, day, hour, minute, tzinfo=dt.UTC)
        for day, hour, minute in ((3, 9, 0), (4, 8, 59), (4, 9, 0), (7, 9, 0), (10, 9, 0))
    ]
    assert [reminder_due(calendar, thursday, (1, 5), moment) for moment in at] == [0, 0, 1, 1, 2]
    assert reminder_due(calendar, thursday, (), at[-1]) == 0


async def test_the_worker_runs_the_reminders_among_its_chores(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    settings: Settings,
) -> None:
    dossier = await submitted_with_fees(runtime, await people())
    clock.now = MONDAY + DAY
    state = dossiers_app.state
    jobs = background_jobs(state["notifications"], state["payments"], settings, runtime)
    # Only this chore: the others (the figures' refresh, the file sweep) run on the real
    # clock and would move the session database's figures past other tests' days.
    [reminders] = [job for job in jobs if job.name == "dossiers.fee_reminders"]
    async with Runner([reminders]) as runner:
        await runner.run_once(every_job=True)
    assert (await kinds(dossier)).count(service.FEE_REMINDER) == 1
