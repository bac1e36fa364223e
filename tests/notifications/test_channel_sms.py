"""Brand-name SMS through eSMS.vn, against a local server speaking its JSON API and
calling back as eSMS documents: one SMS a notice, unaccented, to the person's phone,
with our RequestId and a signed callback address; the callback marks it delivered
once (a replay changes nothing), a forged one is refused; error answers, 503 with
Retry-After and a gateway that takes the message but loses the answer (retried with
the same RequestId: still one SMS); no phone number in the logs."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.accounts.tables import Account
from backend.dossiers.runtime import DossiersRuntime
from backend.notifications import service
from backend.notifications.channels.base import Message, without_diacritics
from backend.notifications.channels.sms_esms import MAX_TEXT, EsmsChannel, EsmsConfig
from backend.notifications.runtime import NotificationsRuntime, utc_now
from backend.notifications.tables import ChannelJob
from backend.settings import Settings
from tests.dossiers.conftest import PersonFactory, submitted
from tests.notifications.channel_fakes import FakeEsms, Sms, esms_callback_query
from tests.notifications.channel_helpers import act, drain, local, serving, with_channels
from tests.notifications.test_channel_email import quiet_outbox

__all__ = ["quiet_outbox"]


@pytest.fixture
async def esms() -> AsyncIterator[FakeEsms]:
    async with FakeEsms() as gateway:
        yield gateway


@pytest.fixture
def notify(dossiers_app: Litestar, settings: Settings, esms: FakeEsms) -> NotificationsRuntime:
    return with_channels(
        dossiers_app.state["notifications"],
        settings,
        esms_api_key=esms.api_key,
        esms_secret_key=esms.secret_key,
        esms_brandname=esms.brandname,
        esms_api_url=esms.api_url,
        channel_timeout_s=0.5,
    )


async def phone_of(person: Principal) -> str:
    rows = await Account.select(Account.phone).where(Account.id == person.account_id)
    return str(rows[0]["phone"])


async def wants_sms(notify: NotificationsRuntime, person: Principal, *kinds: str) -> str:
    await service.choose_channels(
        person, service.kinds_offered(notify), {"sms": list(kinds)}, "", "vi"
    )
    return await phone_of(person)


async def job_of(phone: str) -> dict[str, object]:
    [job] = await ChannelJob.select().where(ChannelJob.address == phone)
    return job


def sms_to(esms: FakeEsms, phone: str) -> list[Sms]:
    return [sms for sms in esms.sent if sms.phone == phone]


async def test_one_unaccented_sms_a_notice_delivered_by_the_signed_callback_once(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    esms: FakeEsms,
    people: PersonFactory,
) -> None:
    citizen = await people()
    phone = await wants_sms(notify, citizen, "dossier.received")
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    received = await act(runtime, reception, dossier.id, "receive")
    await drain(notify)
    await drain(notify)

    [sms] = sms_to(esms, phone)
    due = received.due_date
    assert due is not None
    assert sms.content == (
        f"Ho so {dossier.code} da duoc tiep nhan. Hen tra ket qua ngay "
        f"{due:%d/%m/%Y}. http://localhost:8000/ho-so/{dossier.id}"
    )
    job = await job_of(phone)
    assert sms.request_id == f"motcua-sms-{job['id']}"
    assert sms.callback_url.startswith(f"http://localhost:8000/api/channels/esms/{job['id']}/")
    assert job["status"] == "sent" and job["provider_id"] == sms.sms_id

    async with serving(dossiers_app, notify) as client:
        # An interim report (at the carrier, awaiting its report) changes nothing.
        interim = await client.get(
            local(sms.callback_url), params=esms_callback_query(sms, status="7")
        )
        assert interim.status_code == 200 and interim.json() == {"result": "ignored"}
        assert (await job_of(phone))["status"] == "sent"

        answer = await client.get(local(sms.callback_url), params=esms_callback_query(sms))
        assert answer.status_code == 200 and answer.json() == {"result": "applied"}
        job = await job_of(phone)
        assert job["status"] == "delivered" and job["delivered_at"] is not None

        again = await client.get(local(sms.callback_url), params=esms_callback_query(sms))
        assert again.status_code == 200 and again.json() == {"result": "replayed"}
        # A later "rejected" report cannot undo a delivery.
        late = await client.get(
            local(sms.callback_url),
            params=esms_callback_query(sms, delivered=False, status="4"),
        )
        assert late.status_code == 200
        assert (await job_of(phone))["status"] == "delivered"


async def test_forged_callbacks_are_refused(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    esms: FakeEsms,
    people: PersonFactory,
) -> None:
    first, second = await people(), await people()
    reception = await people("staff", "reception")
    phones = [await wants_sms(notify, person, "dossier.received") for person in (first, second)]
    for person in (first, second):
        dossier = await submitted(runtime, person)
        await act(runtime, reception, dossier.id, "receive")
    await drain(notify)
    [one] = sms_to(esms, phones[0])
    [two] = sms_to(esms, phones[1])
    job_id = (await job_of(phones[0]))["id"]
    async with serving(dossiers_app, notify) as client:
        # No token, or one made up: refused.
        forged = await client.get(
            f"/api/channels/esms/{job_id}/{'0' * 32}", params=esms_callback_query(one)
        )
        assert forged.status_code == 403
        # A real address (the second SMS's) with the first SMS's id: refused.
        crossed = await client.get(local(two.callback_url), params=esms_callback_query(one))
        assert crossed.status_code == 403
    for phone in phones:
        assert (await job_of(phone))["status"] == "sent", "nothing moved"


async def test_error_answers_503_and_a_lost_answer(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    esms: FakeEsms,
    people: PersonFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reception = await people("staff", "reception")

    async def notice_for(mode: str) -> str:
        person = await people()
        phone = await wants_sms(notify, person, "dossier.received")
        esms.mode = mode
        dossier = await submitted(runtime, person)
        await act(runtime, reception, dossier.id, "receive")
        with caplog.at_level(logging.INFO, logger="motcua.worker"):
            # One round: a job retried a second later must not be sent again here.
            await drain(notify, rounds=1)
        return phone

    # A refusal for good (wrong brand name for this account): not retried.
    refused = await notice_for("104")
    assert (await job_of(refused))["status"] == "failed"
    # eSMS's "unknown error, try again": retried later.
    busy = await notice_for("99")
    job = await job_of(busy)
    assert job["status"] == "pending" and job["attempts"] == 1
    # 503 with Retry-After: not before it.
    unavailable = await notice_for("http500")
    job = await job_of(unavailable)
    assert job["status"] == "pending"
    assert int(job["available_ms"]) >= notify.now_ms() + 110_000  # type: ignore[call-overload]
    # Taken by eSMS, answer lost (the bounded wait ends it): retried with the same
    # RequestId, which eSMS does not send twice.
    lost = await notice_for("lose_answer")
    job = await job_of(lost)
    assert job["status"] == "pending" and len(sms_to(esms, lost)) == 1
    esms.mode = "ok"
    await drain(dataclasses.replace(notify, now=lambda: utc_now() + dt.timedelta(hours=2)))
    assert len(sms_to(esms, lost)) == 1, "the same RequestId: still one SMS"
    for phone in (busy, unavailable, lost):
        assert (await job_of(phone))["status"] == "sent"
    assert sms_to(esms, refused) == []
    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert "CodeResult 104" in logged, "the provider's answer is logged"
    for phone in (refused, busy, unavailable, lost):
        assert phone not in logged and phone[1:] not in logged, "no phone number in the logs"


def test_texts_lose_their_diacritics_and_keep_their_meaning() -> None:
    assert without_diacritics("Hồ sơ đã được tiếp nhận. Đến “quầy 3”…") == (
        'Ho so da duoc tiep nhan. Den "quay 3"...'
    )
    assert without_diacritics("Phản ánh ĐÃ trả lời ₫") == "Phan anh DA tra loi "


async def test_two_workers_at_once_send_each_sms_once(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    esms: FakeEsms,
    people: PersonFactory,
) -> None:
    reception = await people("staff", "reception")
    phones = []
    for _ in range(12):
        person = await people()
        phones.append(await wants_sms(notify, person, "dossier.received"))
        dossier = await submitted(runtime, person)
        await act(runtime, reception, dossier.id, "receive")
    # Two workers (on PostgreSQL each claims with SKIP LOCKED; SQLite serialises them).
    await asyncio.gather(drain(notify), drain(notify))
    for phone in phones:
        assert len(sms_to(esms, phone)) == 1
        assert (await job_of(phone))["status"] == "sent"
    assert esms.requests == 12, "no job was sent by both workers"


def test_a_long_text_is_shortened_never_its_link() -> None:
    channel = EsmsChannel(EsmsConfig("http://127.0.0.1:9/", "k", "s", "MOTCUA", 1.0))
    link = (
        "https://motcua.example.gov.vn/tra-cuu/000.00.12.H56-261005-0001.0123456789abcdef01234567"
    )
    message = Message("t", "0912345678", "dossier.late", "Hồ sơ trễ hẹn", "Hồ sơ " * 100, link)
    text = channel.text(message)
    assert len(text) <= MAX_TEXT and text.endswith(" " + link) and text.isascii()
