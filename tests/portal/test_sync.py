"""The sync of real dossiers with the local fake of the national portal: what it gets for
a received dossier and a status change, that drafts and unreceived dossiers never go,
every dossier at its latest state after a run in which the portal failed half the
time, a portal too slow to answer, one that refuses, sessions that end, and wrong
credentials."""

from __future__ import annotations

import datetime as dt
import random
import time

from backend.clock import utc_now
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import DossierRead
from backend.portal.adapters.dvcqg import STATUS_CODES
from backend.portal.runtime import PortalRuntime
from backend.portal.tables import PortalSync
from backend.portal.worker import PortalSyncJob
from backend.vietnam import VIETNAM
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import PROCEDURE, PersonFactory, submitted
from tests.portal.conftest import drain, office, received, run_round, step, sync_row
from tests.support.portal_fake import PortalFake


def vn(moment: dt.datetime | dt.date) -> str:
    if not isinstance(moment, dt.datetime):
        return moment.strftime("%Y%m%d") + "000000"
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


async def test_a_received_dossier_and_its_status_change_reach_the_portal(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    staff = await office(people)
    dossier = await received(runtime, people, staff)
    assert dossier.code and dossier.received_at and dossier.due_date
    await drain(portal)
    sent = fake.dossiers[dossier.code]
    assert sent["MaHoSo"] == dossier.code
    assert sent["MaTTHC"] == PROCEDURE
    assert sent["TenTTHC"] == dossier.procedure_name_vi
    assert sent["ChuHoSo"] == dossier.applicant_name
    assert sent["LoaiDoiTuong"] == "1"  # a person, not an organisation
    assert sent["TrangThaiHoSo"] == "2"  # được tiếp nhận
    assert sent["NgayTiepNhan"] == vn(dossier.received_at)
    assert sent["NgayHenTra"] == vn(dossier.due_date)
    assert sent["HinhThuc"] == "0"
    assert sent["DonViXuLy"] == "Sở Tư pháp tỉnh Thanh Hóa" or sent["DonViXuLy"].startswith("Sở")
    first = [p for p in fake.progress if p["MaHoSo"] == dossier.code]
    assert [(p["TrangThai"], p["NoiDungXuLy"]) for p in first] == [("2", "Tiếp nhận hồ sơ")]
    assert first[0]["NguoiXuLy"] == staff.reception.name
    row = await sync_row(dossier.id)
    assert row is not None and row["state"] == "synced" and row["message"] == ""

    dossier = await step(
        runtime, staff.reception, dossier, "assign", assignee_id=staff.processing.account_id
    )
    await drain(portal)
    assert fake.dossiers[dossier.code]["TrangThaiHoSo"] == "4"  # đang xử lý
    last = [p for p in fake.progress if p["MaHoSo"] == dossier.code][-1]
    assert (last["TrangThai"], last["NoiDungXuLy"]) == ("4", "Phân công xử lý")
    assert last["ThoiDiemXuLy"] == vn(dossier.events[-1].at)
    # Sent once for each version, never again for nothing.
    sends = fake.count("DongBoHoSoMC")
    await drain(portal)
    assert fake.count("DongBoHoSoMC") == sends


async def test_a_dossier_not_yet_received_is_never_sent(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    dossier = await submitted(runtime, await people("citizen"))
    await drain(portal)
    assert fake.calls == []
    assert await sync_row(dossier.id) is None


async def test_every_dossier_ends_at_its_latest_state_though_the_portal_failed_half_the_time(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    clock = Clock(utc_now())
    portal.now = clock
    staff = await office(people)
    choice = random.Random(18)
    fake.fail_rate = 0.5
    dossiers: list[DossierRead] = []
    for _ in range(40):
        citizen = await people("citizen")
        dossier = await step(runtime, staff.reception, await submitted(runtime, citizen), "receive")
        dossiers.append(dossier)
    # Several status changes each, with worker rounds (and failures) in between: older
    # states go out, then newer ones.
    plan = {
        "received": (staff.reception, "assign", {"assignee_id": staff.processing.account_id}),
        "processing": (staff.processing, "propose", {"decision": "approve"}),
        "proposed": (staff.leader, "decide", {"decision": "approve"}),
    }
    for _ in range(3):
        await run_round(portal)
        for index, dossier in enumerate(dossiers):
            if choice.random() < 0.8 and dossier.status in plan:
                who, action, fields = plan[dossier.status]
                dossiers[index] = await step(runtime, who, dossier, action, **fields)
        clock.advance(minutes=1)
    # One worker run (one sign-in kept, as ``motcua worker`` keeps it), going on past
    # every retry waiting; a window long enough that no dossier stops being retried
    # (each attempt needs two or three calls through: 1 in 4 to 8 get through).
    portal.retry_for_ms = 30 * 24 * 3600 * 1000
    async with PortalSyncJob(portal) as job:
        for _ in range(200):
            while await job():
                continue
            due = await PortalSync.select(PortalSync.next_ms).where(
                PortalSync.next_ms.is_not_null()
            )
            if not due:
                break
            latest = max(row["next_ms"] for row in due)
            clock.now = dt.datetime.fromtimestamp(latest / 1000 + 0.001, dt.UTC)
    assert fake.count("DongBoHoSoMC", 500) > 20  # it did fail, often
    for dossier in dossiers:
        assert dossier.code is not None
        row = await sync_row(dossier.id)
        assert row is not None
        assert (row["state"], row["sent_version"]) == ("synced", dossier.events[-1].id), (
            row["problem"],
            row["message"],
            row["next_ms"],
            row["attempts"],
        )
        assert fake.dossiers[dossier.code]["TrangThaiHoSo"] == STATUS_CODES[dossier.status]
        last = [p for p in fake.progress if p["MaHoSo"] == dossier.code][-1]
        assert last["ThoiDiemXuLy"] == vn(dossier.events[-1].at)


async def test_a_slow_portal_is_an_error_retried_later_and_never_hangs_the_worker(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    clock = Clock(utc_now())
    portal.now = clock
    dossier = await received(runtime, people, await office(people))
    fake.delay_s = 3 * portal.settings.timeout_s + 1  # beyond the whole send's bound
    started = time.monotonic()
    await run_round(portal)
    assert time.monotonic() - started < 3 * portal.settings.timeout_s + 1
    row = await sync_row(dossier.id)
    assert row is not None
    assert (row["state"], row["problem"], row["attempts"]) == ("error", "timeout", 1)
    assert row["next_ms"] is not None and row["next_ms"] > portal.now_ms()
    fake.delay_s = 0
    await drain(portal)  # not due yet: nothing happens
    assert (await sync_row(dossier.id) or {})["state"] == "error"
    clock.advance(hours=1, minutes=1)
    await drain(portal)
    row = await sync_row(dossier.id)
    assert row is not None and (row["state"], row["problem"]) == ("synced", "")


async def test_a_portal_answering_500_is_retried_with_its_message_shown_meanwhile(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    dossier = await received(runtime, people, await office(people))
    fake.fail_rate = 1.0
    await run_round(portal)
    row = await sync_row(dossier.id)
    assert row is not None
    assert (row["state"], row["problem"]) == ("error", "server")
    assert row["message"] == "Lỗi hệ thống, vui lòng thử lại sau"
    assert row["next_ms"] is not None


async def test_a_refusal_keeps_the_portal_s_message_and_is_not_retried(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    dossier = await received(runtime, people, await office(people))
    assert dossier.code is not None
    fake.reject[dossier.code] = ("05", "Mã TTHC chưa được công bố trên Cổng")
    await drain(portal)
    row = await sync_row(dossier.id)
    assert row is not None
    assert (row["state"], row["problem"], row["message"]) == (
        "error",
        "rejected",
        "Mã TTHC chưa được công bố trên Cổng",
    )
    assert row["next_ms"] is None
    calls = len(fake.calls)
    await drain(portal)
    assert len(fake.calls) == calls


async def test_a_session_the_portal_ended_is_renewed(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    staff = await office(people)
    first = await received(runtime, people, staff)
    await drain(portal)
    fake.end_sessions()
    second = await received(runtime, people, staff)
    await drain(portal)
    assert first.code in fake.dossiers and second.code in fake.dossiers
    assert fake.count("/auth") == 2
    assert (await sync_row(second.id) or {})["state"] == "synced"


async def test_wrong_credentials_are_an_error_retried_until_fixed(
    portal: PortalRuntime, fake: PortalFake, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    import dataclasses

    dossier = await received(runtime, people, await office(people))
    wrong = dataclasses.replace(
        portal, settings=dataclasses.replace(portal.settings, password="khong-dung")
    )
    await drain(wrong)
    row = await sync_row(dossier.id)
    assert row is not None
    assert (row["state"], row["problem"]) == ("error", "auth")
    assert row["message"] == "Sai tên đăng nhập hoặc mật khẩu"
    assert row["next_ms"] is not None
    assert fake.dossiers == {}
