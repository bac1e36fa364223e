"""E-mail over SMTP through the channel outbox, against a real SMTP server (aiosmtpd)
on 127.0.0.1: a person who chose e-mail for a kind gets one e-mail a notice of that
kind and none of the others; a temporary refusal is retried, a permanent one is not;
a relay that never answers costs a bounded wait and is never sent twice; a worker
lost while sending leaves the job "unknown", not sent again; no address in the logs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from backend.accounts.schemas import Principal
from backend.dossiers.runtime import DossiersRuntime
from backend.errors import InvalidInput
from backend.notifications import service
from backend.notifications.runtime import NotificationsRuntime, utc_now
from backend.notifications.tables import ChannelAttempt, ChannelJob, PushJob
from backend.outbox.tables import OutboxMessage
from backend.settings import Settings
from tests.dossiers.conftest import PersonFactory, submitted
from tests.notifications.channel_fakes import FakeSmtp, SilentServer
from tests.notifications.channel_helpers import SENDER, act, drain, with_channels


@pytest.fixture(autouse=True)
async def quiet_outbox(dossiers_app: object) -> None:
    """Earlier tests left messages and jobs; these tests count only their own."""
    await OutboxMessage.update({OutboxMessage.done_at: utc_now()}).where(
        OutboxMessage.done_at.is_null()
    )
    await PushJob.update({PushJob.status: "dead"}).where(PushJob.status == "pending")
    await ChannelJob.update({ChannelJob.status: "failed"}).where(
        ChannelJob.status.is_in(["pending", "sending"])
    )


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp() as server:
        yield server


@pytest.fixture
def notify(dossiers_app: object, settings: Settings, smtp: FakeSmtp) -> NotificationsRuntime:
    base: NotificationsRuntime = dossiers_app.state["notifications"]  # type: ignore[attr-defined]
    return with_channels(
        base,
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from=SENDER,
        smtp_security="none",
        channel_timeout_s=1.0,
    )


async def wants_mail(notify: NotificationsRuntime, person: Principal, *kinds: str) -> str:
    address = f"nguoi.dan.{person.account_id}@example.vn"
    await service.choose_channels(
        person, service.kinds_offered(notify), {"email": list(kinds)}, address, "vi"
    )
    return address


async def jobs_of(address: str) -> list[dict[str, object]]:
    return list(
        await ChannelJob.select(
            ChannelJob.id, ChannelJob.kind, ChannelJob.status, ChannelJob.attempts
        )
        .where(ChannelJob.address == address)
        .order_by(ChannelJob.id)
    )


async def test_a_person_who_chose_email_gets_one_email_a_notice_of_that_kind(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    smtp: FakeSmtp,
    people: PersonFactory,
) -> None:
    citizen = await people()
    address = await wants_mail(notify, citizen, "dossier.received")
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await act(runtime, reception, dossier.id, "receive")
    await drain(notify)
    await drain(notify)  # a second worker pass sends nothing again

    mails = [mail for mail in smtp.mails if mail.recipients == [address]]
    assert len(mails) == 1
    mail = mails[0].message
    assert mail["Subject"] == "Hồ sơ đã được tiếp nhận"
    assert mail["From"] == SENDER
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_content()
    assert f"Hồ sơ {dossier.code} đã được tiếp nhận." in text
    assert f"http://localhost:8000/ho-so/{dossier.id}" in text
    assert "Đổi lựa chọn tại http://localhost:8000/tai-khoan/thong-bao" in text
    assert [job["status"] for job in await jobs_of(address)] == ["sent"]


async def test_kinds_not_chosen_and_people_who_chose_nothing_get_no_email(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    smtp: FakeSmtp,
    people: PersonFactory,
) -> None:
    chooser = await people()
    address = await wants_mail(notify, chooser, "dossier.result_ready")
    silent = await people()
    reception = await people("staff", "reception")
    for person in (chooser, silent):
        dossier = await submitted(runtime, person)
        await act(runtime, reception, dossier.id, "receive")
    await drain(notify)
    assert [m for m in smtp.mails if m.recipients == [address]] == []
    assert await jobs_of(address) == []
    # Choosing nothing any more (ticking every box off) stops it too.
    await service.choose_channels(chooser, service.kinds_offered(notify), {}, "", "vi")
    assert (await service.get_preferences(chooser)).channels == {}


async def test_a_temporary_refusal_is_retried_later_and_a_permanent_one_is_not(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    smtp: FakeSmtp,
    people: PersonFactory,
) -> None:
    citizen = await people()
    address = await wants_mail(notify, citizen, "dossier.received", "dossier.refused")
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    smtp.answer("451 4.3.0 Mailbox busy, try again later")
    await act(runtime, reception, dossier.id, "receive")
    await drain(notify)
    [job] = await jobs_of(address)
    assert job["status"] == "pending" and job["attempts"] == 1
    assert smtp.mails == [] or all(m.recipients != [address] for m in smtp.mails)

    smtp.answer("250 OK")
    await drain(notify)  # the backoff has not passed: nothing yet
    assert all(m.recipients != [address] for m in smtp.mails)
    ahead = dataclasses.replace(notify, now=lambda: utc_now() + dt.timedelta(minutes=5))
    await drain(ahead)
    assert len([m for m in smtp.mails if m.recipients == [address]]) == 1
    [job] = await jobs_of(address)
    assert job["status"] == "sent" and job["attempts"] == 2
    outcomes = [
        row["outcome"]
        for row in await ChannelAttempt.select(ChannelAttempt.outcome)
        .where(ChannelAttempt.job_id == job["id"])
        .order_by(ChannelAttempt.id)
    ]
    assert outcomes == ["retry", "sent"]

    # 550: the address does not exist; never tried again.
    smtp.answer("550 5.1.1 No such user")
    other = await submitted(runtime, citizen)
    await act(runtime, reception, other.id, "receive")
    await drain(notify)
    await drain(dataclasses.replace(notify, now=lambda: utc_now() + dt.timedelta(hours=3)))
    statuses = [job["status"] for job in await jobs_of(address)]
    assert statuses == ["sent", "failed"]


async def test_a_relay_that_never_answers_costs_a_bounded_wait_and_no_second_email(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    settings: Settings,
    people: PersonFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    citizen = await people()
    reception = await people("staff", "reception")
    async with SilentServer() as silent:
        hanging = with_channels(
            notify,
            settings,
            smtp_host="127.0.0.1",
            smtp_port=silent.port,
            smtp_from=SENDER,
            smtp_security="none",
            channel_timeout_s=0.5,
        )
        address = await wants_mail(hanging, citizen, "dossier.received")
        dossier = await submitted(runtime, citizen)
        await act(runtime, reception, dossier.id, "receive")
        with caplog.at_level(logging.INFO, logger="motcua.worker"):
            await drain(hanging)
    [job] = await jobs_of(address)
    # The relay never greeted: nothing was sent, so the job waits for a retry.
    assert job["status"] == "pending" and job["attempts"] == 1
    # Every field of every record (the JSON log line's), not only the message.
    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert "channel message not sent" in logged and "'channel': 'email'" in logged
    assert address not in logged, "no e-mail address in the logs"


async def test_a_worker_lost_while_sending_leaves_the_email_unknown_not_sent_twice(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    smtp: FakeSmtp,
    people: PersonFactory,
) -> None:
    citizen = await people()
    address = await wants_mail(notify, citizen, "dossier.received")
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await act(runtime, reception, dossier.id, "receive")
    await service.fan_out(notify)
    # A worker claims the job and dies before recording what happened.
    [claim] = [c for c in await service.claim_channel_jobs(notify) if c.message.address == address]
    assert claim.message.address == address
    after_lease = dataclasses.replace(
        notify, now=lambda: utc_now() + dt.timedelta(milliseconds=notify.lease_ms + 1000)
    )
    await drain(after_lease)
    assert [m for m in smtp.mails if m.recipients == [address]] == []
    [job] = await jobs_of(address)
    assert job["status"] == "unknown" and job["attempts"] == 1


async def test_the_settings_refuse_email_without_an_address_and_a_bad_address(
    notify: NotificationsRuntime, people: PersonFactory
) -> None:
    citizen = await people()
    offered = service.kinds_offered(notify)
    with pytest.raises(InvalidInput) as error:
        await service.choose_channels(citizen, offered, {"email": ["dossier.received"]}, "", "vi")
    assert [p.field for p in error.value.problems] == ["email"]
    with pytest.raises(InvalidInput) as error:
        await service.choose_channels(
            citizen, offered, {"email": ["dossier.received"]}, "khong-phai-thu", "vi"
        )
    assert [p.field for p in error.value.problems] == ["email"]
    with pytest.raises(InvalidInput) as error:
        await service.choose_channels(citizen, offered, {"sms": ["dossier.received"]}, "", "vi")
    assert [p.field for p in error.value.problems] == ["channels"], "SMS is not configured"
    assert (await service.get_preferences(citizen)).channels == {}
