"""Zalo ZNS, against a local server speaking Zalo's template API and its signed
webhook: one template message a notice (phone in 84 form, the kind's template, its
data, our tracking id), delivered by a signed ``user_received_message`` once; forged,
tampered, stale and replayed events change nothing; an error answer is final, a 503
retried, a timeout ends "unknown" (Zalo is not known to drop a repeated tracking id,
so it is never sent twice); only kinds with a template are offered."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.accounts.tables import Account
from backend.dossiers.runtime import DossiersRuntime
from backend.errors import InvalidInput
from backend.notifications import service
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.tables import ChannelJob
from backend.settings import Settings
from tests.dossiers.conftest import PersonFactory, submitted
from tests.notifications.channel_fakes import FakeZns, Zns
from tests.notifications.channel_helpers import act, drain, serving, with_channels
from tests.notifications.test_channel_email import quiet_outbox

__all__ = ["quiet_outbox"]
RECEIVED_TEMPLATE = "231234"
ANSWERED_TEMPLATE = "231235"
EVENTS = "/api/channels/zns/events"


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZns]:
    fields = {"code", "title", "date"}
    async with FakeZns(templates={RECEIVED_TEMPLATE: fields, ANSWERED_TEMPLATE: fields}) as fake:
        yield fake


@pytest.fixture
def notify(dossiers_app: Litestar, settings: Settings, zalo: FakeZns) -> NotificationsRuntime:
    return with_channels(
        dossiers_app.state["notifications"],
        settings,
        zns_access_token=zalo.access_token,
        zns_app_id=zalo.app_id,
        zns_oa_secret=zalo.oa_secret,
        zns_templates=(
            ("dossier.received", RECEIVED_TEMPLATE),
            ("feedback.answered", ANSWERED_TEMPLATE),
        ),
        zns_api_url=zalo.api_url,
        channel_timeout_s=0.5,
    )


async def received_with_zns(
    runtime: DossiersRuntime, notify: NotificationsRuntime, people: PersonFactory
) -> tuple[Principal, str, str]:
    citizen = await people()
    await service.choose_channels(
        citizen, service.kinds_offered(notify), {"zns": ["dossier.received"]}, "", "vi"
    )
    phone = str(
        (await Account.select(Account.phone).where(Account.id == citizen.account_id))[0]["phone"]
    )
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await act(runtime, reception, dossier.id, "receive")
    await drain(notify)
    return citizen, phone, dossier.code


async def job_of(phone: str) -> dict[str, object]:
    [job] = await ChannelJob.select().where(ChannelJob.address == phone)
    return job


def sent_to(zalo: FakeZns, phone: str) -> list[Zns]:
    return [zns for zns in zalo.sent if zns.phone == "84" + phone[1:]]


async def test_one_template_message_delivered_by_a_signed_event_once(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    zalo: FakeZns,
    people: PersonFactory,
) -> None:
    _, phone, code = await received_with_zns(runtime, notify, people)
    await drain(notify)
    [zns] = sent_to(zalo, phone)
    job = await job_of(phone)
    assert zns.template_id == RECEIVED_TEMPLATE
    assert zns.template_data["code"] == code
    assert zns.template_data["title"] == "Hồ sơ đã được tiếp nhận"
    assert zns.template_data["date"].count("/") == 2
    assert zns.tracking_id == f"motcua-zns-{job['id']}"
    assert job["status"] == "sent" and job["provider_id"] == zns.msg_id

    body, signature = zalo.event(zns)
    async with serving(dossiers_app, notify) as client:
        headers = {"X-ZEvent-Signature": signature, "Content-Type": "application/json"}
        answer = await client.post(EVENTS, content=body, headers=headers)
        assert answer.status_code == 200 and answer.json() == {"result": "applied"}
        assert (await job_of(phone))["status"] == "delivered"
        replay = await client.post(EVENTS, content=body, headers=headers)
        assert replay.status_code == 200 and replay.json() == {"result": "replayed"}


async def test_forged_tampered_and_stale_events_are_refused(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    zalo: FakeZns,
    people: PersonFactory,
) -> None:
    _, phone, _ = await received_with_zns(runtime, notify, people)
    [zns] = sent_to(zalo, phone)
    async with serving(dossiers_app, notify) as client:

        async def post(body: bytes, signature: str | None) -> int:
            headers = {"Content-Type": "application/json"}
            if signature is not None:
                headers["X-ZEvent-Signature"] = signature
            return (await client.post(EVENTS, content=body, headers=headers)).status_code

        body, _ = zalo.event(zns, secret="not-the-oa-secret")
        assert await post(body, zalo.event(zns, secret="not-the-oa-secret")[1]) == 403
        genuine, signature = zalo.event(zns)
        assert await post(genuine, None) == 403
        tampered = genuine.replace(zns.msg_id.encode(), b"zns9999999999")
        assert await post(tampered, signature) == 403
        stale, stale_signature = zalo.event(zns, timestamp_ms=int(time.time() * 1000) - 3_600_000)
        assert await post(stale, stale_signature) == 403, "a captured event replayed later"
        assert await post(b"not json", signature) == 403
        assert (await job_of(phone))["status"] == "sent", "nothing moved"


async def test_error_answers_a_503_and_a_timeout(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    zalo: FakeZns,
    people: PersonFactory,
) -> None:
    zalo.mode = "-124"  # the access token expired: refused
    _, refused, _ = await received_with_zns(runtime, notify, people)
    job = await job_of(refused)
    assert job["status"] == "failed" and "error -124" in str(job["detail"])
    zalo.mode = "http500"
    _, busy, _ = await received_with_zns(runtime, notify, people)
    assert (await job_of(busy))["status"] == "pending"
    zalo.mode = "slow"
    _, hung, _ = await received_with_zns(runtime, notify, people)
    job = await job_of(hung)
    assert job["status"] == "unknown" and job["attempts"] == 1, "never sent a second time"


async def test_only_kinds_with_a_template_are_offered(
    notify: NotificationsRuntime, people: PersonFactory
) -> None:
    offered = service.kinds_offered(notify)
    assert offered["dossier.received"] == ["zns"]
    assert offered["dossier.refused"] == []
    citizen = await people()
    with pytest.raises(InvalidInput):
        await service.choose_channels(citizen, offered, {"zns": ["dossier.refused"]}, "", "vi")
