"""The notifications worker against a fake push service that checks VAPID and decrypts
every message: one notice per device per status change, retries, dead subscriptions,
a worker killed between sending and recording, and two workers at once."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import secrets
from collections.abc import AsyncIterator

import msgspec
import pytest

from backend import vapid
from backend.accounts.schemas import Principal
from backend.accounts.tables import Session
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, SupplementItem
from backend.jobs import Runner
from backend.notifications import service
from backend.notifications.push import PushSender
from backend.notifications.runtime import NotificationsRuntime, utc_now
from backend.notifications.schemas import SubscriptionIn, SubscriptionKeys
from backend.notifications.tables import Delivery, PushJob, PushSubscription
from backend.notifications.worker import Notifier
from backend.outbox.tables import OutboxMessage
from tests.dossiers.conftest import PersonFactory, submitted
from tests.support.databases import POSTGRES_URL
from tests.support.fakepush import FakePushService, Subscription


@pytest.fixture
async def push() -> AsyncIterator[FakePushService]:
    async with FakePushService() as service_:
        yield service_


@pytest.fixture
def notify(dossiers_app: object) -> NotificationsRuntime:
    runtime: NotificationsRuntime = dossiers_app.state["notifications"]  # type: ignore[attr-defined]
    return runtime


@pytest.fixture(autouse=True)
async def quiet_outbox(dossiers_app: object) -> None:
    """Earlier tests left outbox messages; these tests count only their own."""
    await OutboxMessage.update({OutboxMessage.done_at: utc_now()}).where(
        OutboxMessage.done_at.is_null()
    )
    await PushJob.update({PushJob.status: "dead"}).where(PushJob.status == "pending")


async def signed_in(people: PersonFactory) -> Principal:
    """A citizen with a real session row (subscriptions live as long as it does)."""
    person = await people()
    public_id = secrets.token_urlsafe(16)
    now = utc_now()
    await Session.insert(
        Session(
            token_hash=secrets.token_hex(32),
            public_id=public_id,
            account=person.account_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    return msgspec.structs.replace(person, session_id=public_id)


async def device(
    notify: NotificationsRuntime, push: FakePushService, person: Principal, lang: str = "vi"
) -> Subscription:
    fake = push.new_subscription()
    data = SubscriptionIn(
        endpoint=fake.endpoint,
        keys=SubscriptionKeys(p256dh=fake.p256dh, auth=fake.auth),
        lang=lang,  # type: ignore[arg-type]
    )
    await service.subscribe(notify, person, data)
    return fake


async def drain(notify: NotificationsRuntime, rounds: int = 5) -> None:
    async with Runner([Notifier(notify)]) as runner:
        for _ in range(rounds):
            if not await runner.run_once():
                return


async def step(runtime: DossiersRuntime, who: Principal, dossier_id: int, action: str, **kw):  # type: ignore[no-untyped-def]
    current = await dossiers.get_dossier(runtime, who, dossier_id)
    return await dossiers.act(
        runtime, who, dossier_id, ActionIn(action=action, version=current.version, **kw)
    )


async def test_every_status_change_reaches_every_device_once(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    citizen = await signed_in(people)
    phone = await device(notify, push, citizen)
    tablet = await device(notify, push, citizen, lang="en")
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await step(runtime, reception, dossier.id, "receive")
    await step(
        runtime,
        reception,
        dossier.id,
        "request_supplement",
        items=[SupplementItem(label="Ảnh rõ hơn", component_id=dossier.components[0].id)],
    )
    await drain(notify)
    await drain(notify)  # a second pass finds nothing more to send
    for fake in (phone, tablet):
        kinds = [r.data["kind"] for r in push.received_for(fake)]
        assert kinds == ["dossier.received", "dossier.supplement_requested"]
    first = push.received_for(phone)[0]
    assert first.data["title"] == "Hồ sơ đã được tiếp nhận"
    assert dossier.code in first.data["body"] and first.data["url"] == f"/ho-so/{dossier.id}"
    assert citizen.name not in first.payload.decode()
    assert push.received_for(tablet)[0].data["title"] == "Dossier received"
    urgent = push.received_for(phone)[1]
    # A supplement request has a Topic of its own: a later notice of the same dossier
    # (the ordinary Topic) cannot replace it at the push service while the phone is off.
    assert urgent.urgency == "high" and first.topic == f"dossier-{dossier.id}"
    assert urgent.topic != first.topic and urgent.data["tag"] == first.data["tag"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", urgent.topic)  # RFC 8030, 5.4
    assert first.urgency == "normal" and first.ttl >= 24 * 3600
    assert first.claims["sub"].startswith("mailto:") and first.claims["aud"] == push.origin
    assert first.vapid_key == vapid.public_key(notify.vapid_private_key)
    # The inbox holds both, unread, whatever the push did.
    inbox = await service.list_notices(citizen)
    assert [n.kind for n in inbox.items] == ["dossier.supplement_requested", "dossier.received"]
    assert inbox.unread == 2 and push.received_for(phone)[1].data["unread"] == 2


async def test_gone_subscriptions_are_removed_and_do_not_block_others(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    citizen = await signed_in(people)
    dead = await device(notify, push, citizen)
    alive = await device(notify, push, citizen)
    push.mark_gone(dead)
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await step(runtime, reception, dossier.id, "receive")
    await drain(notify)
    assert len(push.received_for(alive)) == 1
    assert not await PushSubscription.exists().where(PushSubscription.endpoint == dead.endpoint)
    outcomes = {row["outcome"] for row in await Delivery.select(Delivery.outcome)}
    assert "gone" in outcomes


async def test_429_and_503_are_retried_after_the_wait(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    citizen = await signed_in(people)
    fake = await device(notify, push, citizen)
    push.respond(fake, 429, times=1, retry_after=30)
    push.respond(None, 503, times=1)
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await step(runtime, reception, dossier.id, "receive")
    clock = [utc_now()]
    notify.now = lambda: clock[0]
    try:
        await drain(notify)
        assert push.received_for(fake) == []
        job = (await PushJob.select().where(PushJob.status == "pending"))[0]
        assert job["available_ms"] >= notify.now_ms() + 30_000  # Retry-After honoured
        for _ in range(6):
            clock[0] += dt.timedelta(hours=1)
            await drain(notify)
            if push.received_for(fake):
                break
    finally:
        notify.now = utc_now
    assert len(push.received_for(fake)) == 1
    attempts = await Delivery.select(Delivery.status_code).where(Delivery.job_id == job["id"])
    assert [a["status_code"] for a in attempts] == [429, 503, 201]


async def test_a_hanging_push_service_is_cut_by_the_timeout(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    citizen = await signed_in(people)
    slow = await device(notify, push, citizen)
    quick = await device(notify, push, citizen)
    push.hang(slow, 30)
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await step(runtime, reception, dossier.id, "receive")
    fast = dataclasses.replace(notify, timeout_s=0.5)
    await asyncio.wait_for(drain(fast, rounds=1), timeout=10)
    assert len(push.received_for(quick)) == 1
    rows = await Delivery.select().where(Delivery.status_code.is_null())
    assert any(row["outcome"] == "retry" for row in rows)
    push.hang(slow, 0)


async def test_a_worker_killed_between_send_and_record_loses_nothing(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    citizen = await signed_in(people)
    fake = await device(notify, push, citizen)
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await step(runtime, reception, dossier.id, "receive")
    await service.fan_out(notify)
    jobs = await service.claim_jobs(notify)
    async with PushSender(notify) as sender:
        outcome = await sender.send(jobs[0])  # sent, then the worker "dies": no record
    assert outcome.status_code == 201
    assert await service.claim_jobs(notify) == []  # the lease holds it meanwhile
    later = utc_now() + dt.timedelta(seconds=61)  # the lease has run out
    notify.now = lambda: later
    try:
        await drain(notify)
    finally:
        notify.now = utc_now
    received = push.received_for(fake)
    assert len(received) == 2
    assert received[0].topic == received[1].topic == f"dossier-{dossier.id}"
    assert received[0].data == received[1].data
    assert (await PushJob.select(PushJob.status).where(PushJob.id == jobs[0].id))[0][
        "status"
    ] == "sent"


async def test_signing_out_and_muting_stop_pushes_not_the_inbox(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    citizen = await signed_in(people)
    phone = await device(notify, push, citizen)
    await Session.delete().where(Session.public_id == citizen.session_id)  # signed out
    other_session = await signed_in(people)
    muted = await device(notify, push, other_session)
    await service.set_preferences(other_session, ["dossier.received"])
    reception = await people("staff", "reception")
    for person in (citizen, other_session):
        dossier = await submitted(runtime, person)
        await step(runtime, reception, dossier.id, "receive")
    await drain(notify)
    assert push.received_for(phone) == [] and push.received_for(muted) == []
    assert not await PushSubscription.exists().where(PushSubscription.endpoint == phone.endpoint)
    assert (await service.list_notices(other_session)).unread == 1


@pytest.mark.parametrize(
    ("endpoint", "p256dh_ok", "field"),
    [
        ("https://evil.example.com/push/1", True, "endpoint"),
        ("http://fcm.googleapis.com/fcm/send/1", True, "endpoint"),
        ("https://fcm.googleapis.com.evil.com/x", True, "endpoint"),
        ("http://127.0.0.1:9/push/x", False, "keys"),
    ],
)
async def test_bad_subscriptions_are_refused(
    notify: NotificationsRuntime, people: PersonFactory, endpoint: str, p256dh_ok: bool, field: str
) -> None:
    from backend.errors import InvalidInput

    citizen = await signed_in(people)
    p256dh = vapid.public_key(vapid.new_key_pair()[0]) if p256dh_ok else "B" + "A" * 86
    data = SubscriptionIn(
        endpoint=endpoint, keys=SubscriptionKeys(p256dh=p256dh, auth=vapid.b64url(b"0" * 16))
    )
    with pytest.raises(InvalidInput) as refused:
        await service.subscribe(notify, citizen, data)
    assert refused.value.field == field


async def test_a_bad_endpoint_and_bad_keys_are_refused_together(
    notify: NotificationsRuntime, people: PersonFactory
) -> None:
    from backend.errors import InvalidInput

    citizen = await signed_in(people)
    data = SubscriptionIn(
        endpoint="https://evil.example.com/push/1",
        keys=SubscriptionKeys(p256dh="B" + "A" * 86, auth=vapid.b64url(b"0" * 16)),
    )
    with pytest.raises(InvalidInput) as refused:
        await service.subscribe(notify, citizen, data)
    assert [problem.field for problem in refused.value.problems] == ["endpoint", "keys"]


@pytest.mark.skipif(not POSTGRES_URL, reason="several workers run at once on PostgreSQL only")
async def test_two_workers_never_send_the_same_notice_twice(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    reception = await people("staff", "reception")
    devices = []
    for _ in range(12):
        citizen = await signed_in(people)
        devices.append(await device(notify, push, citizen))
        dossier = await submitted(runtime, citizen)
        await step(runtime, reception, dossier.id, "receive")

    async def worker() -> None:
        async with Runner([Notifier(notify, batch=3)]) as runner:
            await runner.drain()

    await asyncio.gather(worker(), worker(), worker())
    assert all(len(push.received_for(fake)) == 1 for fake in devices)


async def test_a_receiver_slower_than_the_lease_gets_each_notice_once(
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    push: FakePushService,
    people: PersonFactory,
) -> None:
    """The sending worker renews its lease while the push service keeps it waiting, so
    a second worker polling meanwhile never takes the job again."""
    citizen = await signed_in(people)
    slow = await device(notify, push, citizen)
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)
    await step(runtime, reception, dossier.id, "receive")
    await service.fan_out(notify)
    push.hang(slow, 2.5)  # longer than the lease, shorter than the push timeout
    short = dataclasses.replace(notify, lease_ms=600, timeout_s=10)

    async def sending() -> None:
        async with Runner([Notifier(short)]) as runner:
            await runner.run_once()

    first = asyncio.create_task(sending())
    held = (PushJob.status == "pending") & PushJob.claimed_until_ms.is_not_null()
    for _ in range(500):  # until the first worker holds the job: then the other polls
        if await PushJob.exists().where(held):
            break
        await asyncio.sleep(0.02)
    async with Runner([Notifier(short)]) as other:
        while not first.done():
            await other.run_once()
            await asyncio.sleep(0.1)
    await first
    push.hang(slow, 0)
    assert len(push.received_for(slow)) == 1
    subscription = await PushSubscription.select(PushSubscription.id).where(
        PushSubscription.endpoint == slow.endpoint
    )
    jobs = await PushJob.select(PushJob.id, PushJob.status).where(
        PushJob.subscription_id == subscription[0]["id"]
    )
    assert [job["status"] for job in jobs] == ["sent"]
    assert len(await Delivery.select().where(Delivery.job_id == jobs[0]["id"])) == 1
