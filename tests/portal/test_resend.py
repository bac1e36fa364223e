"""The nightly resend: once a night, at its hour, every received dossier out of step is
asked for again (an error, a request stuck for too long, a synced copy older than the
history, a dossier the portal never had); one in step is left alone. And without a
portal configured, nothing is sent and the outbox's copies do not pile up."""

from __future__ import annotations

import datetime as dt

from backend.clock import utc_now
from backend.db import write_transaction
from backend.dossiers.runtime import DossiersRuntime
from backend.outbox.tables import OutboxMessage
from backend.portal import service
from backend.portal.runtime import PortalRuntime
from backend.portal.tables import PortalSync
from backend.vietnam import VIETNAM
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import PersonFactory
from tests.portal.conftest import drain, office, received, step, sync_row
from tests.support.portal_fake import PortalFake


def vietnam_time(hour: int, minute: int = 0) -> dt.datetime:
    today = utc_now().astimezone(VIETNAM).date() + dt.timedelta(days=1)
    return dt.datetime(today.year, today.month, today.day, hour, minute, tzinfo=VIETNAM)


async def _lose_portal_copies(dossier_id: int) -> None:
    """As if the portal's copies of these history lines never came (a sync turned on
    later, a row restored from a backup)."""
    async with write_transaction():
        await OutboxMessage.delete().where(
            (OutboxMessage.subject == f"dossier:{dossier_id}")
            & (OutboxMessage.kind == "portal:dossier.changed")
        )


async def test_the_nightly_resend_sends_what_is_out_of_step_once_a_night(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    staff = await office(people)
    refused = await received(runtime, people, staff)
    behind = await received(runtime, people, staff)
    never = await received(runtime, people, staff)
    await _lose_portal_copies(never.id)
    current = await received(runtime, people, staff)
    stuck = await received(runtime, people, staff)
    assert refused.code and behind.code and never.code and current.code and stuck.code
    fake.reject[refused.code] = ("05", "Thiếu mã lĩnh vực")
    clock = Clock(vietnam_time(1))
    portal.now = clock
    await service.intake(portal)
    # "stuck": requested, but never sent since (say, its worker died in the claim).
    async with write_transaction():
        await PortalSync.update({PortalSync.next_ms: None}).where(PortalSync.dossier_id == stuck.id)
    await drain(portal)
    behind = await step(
        runtime, staff.reception, behind, "assign", assignee_id=staff.processing.account_id
    )
    await _lose_portal_copies(behind.id)
    await drain(portal)
    assert (await sync_row(refused.id) or {})["state"] == "error"
    assert fake.dossiers[behind.code]["TrangThaiHoSo"] == "2"  # the portal is behind
    assert await sync_row(never.id) is None
    assert (await sync_row(stuck.id) or {})["state"] == "requested"
    current_sends = fake.count("DongBoHoSoMC")

    # Before its hour: nothing. At its hour: once.
    assert await service.nightly_resend(portal) == 0
    clock.now = vietnam_time(2, 30)
    fake.reject.clear()
    asked = await service.nightly_resend(portal)
    assert asked >= 4  # and any other test's dossier still out of step
    assert await service.nightly_resend(portal) == 0  # once a night
    for dossier in (refused, behind, never, stuck):
        assert (await sync_row(dossier.id) or {})["state"] == "requested"
    assert (await sync_row(current.id) or {})["state"] == "synced"

    await drain(portal)
    # The resend asks for every dossier of the session out of step, not only these: on
    # a busy CI one of the sends has met a passing failure, which the worker retries
    # with its backoff. Let those retries come (a few rounds at most), as time would.
    ours = (refused, behind, never, stuck, current)
    passing: list[object] = []
    for _ in range(3):
        waiting = [r for d in ours if (r := await sync_row(d.id)) and r["state"] == "error"]
        if not waiting:
            break
        passing += [(r["problem"], r["message"]) for r in waiting]
        clock.now = dt.datetime.fromtimestamp(
            max(int(r["next_ms"] or 0) for r in waiting) / 1000 + 1, tz=dt.UTC
        )
        await drain(portal)
    for dossier in ours:
        row = await sync_row(dossier.id)
        assert row is not None
        assert (row["state"], row["sent_version"]) == ("synced", dossier.events[-1].id), (
            row,
            passing,
        )
    assert fake.dossiers[behind.code]["TrangThaiHoSo"] == "4"
    assert never.code in fake.dossiers
    # The dossier in step was not sent again.
    sent_current = [c for c in fake.progress if c["MaHoSo"] == current.code]
    assert len(sent_current) == 1
    assert fake.count("DongBoHoSoMC") > current_sends

    # The next night, everything is in step: nothing to ask (for these dossiers).
    clock.advance(days=1)
    await service.nightly_resend(portal)
    for dossier in (refused, behind, never, stuck, current):
        assert (await sync_row(dossier.id) or {})["state"] == "synced"


async def test_without_a_portal_nothing_is_sent_and_the_copies_are_done_with(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    off = PortalRuntime()  # MOTCUA_PORTAL_ADAPTER unset: the default
    dossier = await received(runtime, people, await office(people))
    await drain(off)
    assert await sync_row(dossier.id) is None
    assert fake.calls == []
    pending = await OutboxMessage.count().where(
        (OutboxMessage.kind == "portal:dossier.changed") & OutboxMessage.done_at.is_null()
    )
    assert pending == 0
    assert await service.resend_out_of_step(off) == 0
