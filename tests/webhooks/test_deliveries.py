"""Signed deliveries as a subscriber receives them: a real HTTP server on 127.0.0.1
checks every signature; retries after a 500, redirects not followed, the order per
dossier, replay, key rotation, the agency scope, and the addresses refused at
delivery after DNS (the connection pinned to the address resolved once)."""

from __future__ import annotations

from typing import Any

from backend.webhooks.runtime import WebhooksRuntime
from tests.accounts.helpers import Clock
from tests.webhooks.conftest import (
    CENTRE,
    B,
    Staff,
    dossier_event,
    drain,
    new_dossier,
    payment_event,
    run_round,
    subscribe,
)
from tests.webhooks.receiver import Receiver

ALL = ["dossier.received", "dossier.status_changed", "dossier.result_ready", "payment.settled"]


async def log_of(client: Any, subscription_id: int) -> list[dict[str, Any]]:
    response = await client.get(f"/api/webhooks/subscriptions/{subscription_id}/deliveries")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_a_delivery_is_signed_and_a_500_is_retried_until_it_gets_through(
    hooks: WebhooksRuntime, staff: Staff, clock: Clock
) -> None:
    admin = await staff("catalogue", CENTRE)
    async with Receiver() as receiver:
        receiver.answer = lambda path, event_id, seen: 500 if seen == 0 else 200
        created = await subscribe(admin, url=receiver.url(), events=["dossier.status_changed"])
        receiver.secrets[created["key"]["key_id"]] = created["key"]["secret"]
        subscription = created["subscription"]
        dossier = new_dossier()
        await dossier_event(dossier, 1)
        await run_round(hooks)
        [first] = receiver.received
        assert first.status == 500
        [entry] = await log_of(admin, subscription["id"])
        assert entry["status"] == "pending"
        assert entry["attempts"] == 1
        assert entry["last_status_code"] == 500
        await run_round(hooks)  # not due yet: backoff
        assert len(receiver.received) == 1
        clock.advance(minutes=5)
        await run_round(hooks)
    second = receiver.received[1]
    assert second.status == 200
    # The same event, the same bytes, every signature right.
    assert (
        first.event_id == second.event_id == f"dossier:{dossier}:changed:1/dossier.status_changed"
    )
    assert first.body == second.body
    assert all(r.verified == [created["key"]["key_id"]] for r in receiver.received)
    assert second.key_id == created["key"]["key_id"]
    event = second.event
    assert event["type"] == "dossier.status_changed"
    assert event["data"]["code"] == f"H56.99-{dossier}"
    [entry] = await log_of(admin, subscription["id"])
    assert entry["status"] == "delivered"
    assert entry["attempts"] == 2
    assert entry["last_status_code"] == 200
    assert entry["delivered_at"] is not None


async def test_after_three_days_of_errors_a_delivery_is_failed(
    hooks: WebhooksRuntime, staff: Staff, clock: Clock
) -> None:
    admin = await staff("catalogue", CENTRE)
    async with Receiver() as receiver:
        receiver.answer = lambda path, event_id, seen: 503
        created = await subscribe(admin, url=receiver.url(), events=["dossier.status_changed"])
        await dossier_event(new_dossier(), 1, now=clock.now)
        await run_round(hooks)
        for _ in range(5):
            clock.advance(hours=16)
            await run_round(hooks)
        attempts = len(receiver.received)
        clock.advance(hours=16)
        await run_round(hooks)
        assert len(receiver.received) == attempts  # failed: nothing more is sent
    [entry] = await log_of(admin, created["subscription"]["id"])
    assert entry["status"] == "failed"
    assert entry["last_status_code"] == 503
    assert entry["attempts"] == attempts


async def test_a_redirect_is_not_followed(
    hooks: WebhooksRuntime, staff: Staff, clock: Clock
) -> None:
    admin = await staff("catalogue", CENTRE)
    async with Receiver() as receiver:
        receiver.answer = lambda path, event_id, seen: 302 if path == "/hook" else 200
        created = await subscribe(admin, url=receiver.url(), events=["dossier.status_changed"])
        await dossier_event(new_dossier(), 1)
        await run_round(hooks)
    assert [r.path for r in receiver.received] == ["/hook"]
    [entry] = await log_of(admin, created["subscription"]["id"])
    assert entry["status"] == "pending"
    assert entry["last_status_code"] == 302


async def test_events_are_mapped_and_scoped_to_the_agency(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    province = await staff("catalogue", CENTRE)
    agency_b = await staff("admin", B)
    async with Receiver() as receiver:
        everything = await subscribe(province, url=receiver.url("/all"), events=ALL)
        only_b = await subscribe(agency_b, url=receiver.url("/b"), events=ALL)
        assert only_b["subscription"]["agency_code"] == B
        results = await subscribe(
            province, url=receiver.url("/results"), events=["dossier.result_ready"]
        )
        for created in (everything, only_b, results):
            receiver.secrets[created["key"]["key_id"]] = created["key"]["secret"]
        dossier = new_dossier()
        await dossier_event(
            dossier, 1, action="receive", from_status="submitted", to_status="received"
        )
        await dossier_event(
            dossier, 2, action="finish", from_status="processing", to_status="result_ready"
        )
        await payment_event(new_dossier(), agency=B)
        await drain(hooks)
    assert all(r.verified for r in receiver.received)
    types = [r.event["type"] for r in receiver.at("/all")]
    assert sorted(types) == sorted(
        [
            "dossier.received",
            "dossier.status_changed",
            "dossier.status_changed",
            "dossier.result_ready",
            "payment.settled",
        ]
    )
    assert [r.event["type"] for r in receiver.at("/b")] == ["payment.settled"]
    assert [r.event["type"] for r in receiver.at("/results")] == ["dossier.result_ready"]
    # Each integrator event has its own id, the same for every subscriber.
    ids = {r.event_id for r in receiver.at("/all")}
    assert len(ids) == 5
    assert {r.event_id for r in receiver.at("/results")} <= ids


async def test_an_ordered_subscription_gets_each_dossier_s_events_in_order(
    hooks: WebhooksRuntime, staff: Staff, clock: Clock
) -> None:
    admin = await staff("catalogue", CENTRE)
    first, other = new_dossier(), new_dossier()
    stuck = f"dossier:{first}:changed:1/dossier.status_changed"
    async with Receiver() as receiver:
        # Both refuse the first dossier's first event once.
        receiver.answer = lambda path, event_id, seen: (
            500 if event_id == stuck and not seen else 200
        )
        ordered = await subscribe(
            admin, url=receiver.url("/ordered"), events=["dossier.status_changed"], ordered=True
        )
        await subscribe(admin, url=receiver.url("/any"), events=["dossier.status_changed"])
        assert ordered["subscription"]["ordered"] is True
        for number in (1, 2, 3):
            await dossier_event(first, number)
        await dossier_event(other, 1)
        await run_round(hooks)
        # The first dossier's later events wait; the other dossier does not.
        assert sorted(r.event_id for r in receiver.at("/ordered")) == sorted(
            [stuck, f"dossier:{other}:changed:1/dossier.status_changed"]
        )
        assert len(receiver.at("/any")) == 4  # unordered: everything at once
        clock.advance(minutes=5)
        await drain(hooks)
        clock.advance(minutes=5)
        await drain(hooks)
    firsts = [
        r.event["data"]["event_id"]
        for r in receiver.at("/ordered")
        if r.event["data"]["dossier_id"] == first
    ]
    assert firsts == [1, 1, 2, 3]
    statuses = {entry["status"] for entry in await log_of(admin, ordered["subscription"]["id"])}
    assert statuses == {"delivered"}


async def test_replay_sends_the_same_event_again(hooks: WebhooksRuntime, staff: Staff) -> None:
    admin = await staff("catalogue", CENTRE)
    async with Receiver() as receiver:
        created = await subscribe(admin, url=receiver.url(), events=["payment.settled"])
        receiver.secrets[created["key"]["key_id"]] = created["key"]["secret"]
        subscription_id = created["subscription"]["id"]
        await payment_event(new_dossier())
        await drain(hooks)
        [entry] = await log_of(admin, subscription_id)
        assert entry["status"] == "delivered"
        replayed = await admin.post(
            f"/api/webhooks/subscriptions/{subscription_id}/deliveries/{entry['id']}/replay"
        )
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["status"] == "pending"
        await drain(hooks)
        # A delivery of another subscription, or none at all, is not found.
        other = await subscribe(admin, url=receiver.url("/other"), events=["payment.settled"])
        wrong = await admin.post(
            f"/api/webhooks/subscriptions/{other['subscription']['id']}"
            f"/deliveries/{entry['id']}/replay"
        )
        assert wrong.status_code == 404
        missing = await admin.post(
            f"/api/webhooks/subscriptions/{subscription_id}/deliveries/999999/replay"
        )
        assert missing.status_code == 404
    first, again = receiver.received
    assert first.event_id == again.event_id
    assert first.body == again.body
    assert again.verified
    [entry] = await log_of(admin, subscription_id)
    assert entry["status"] == "delivered"
    assert entry["attempts"] == 2


async def test_a_rotated_key_keeps_signing_through_its_grace(
    hooks: WebhooksRuntime, staff: Staff, clock: Clock
) -> None:
    admin = await staff("catalogue", CENTRE)
    async with Receiver() as receiver:
        created = await subscribe(admin, url=receiver.url(), events=["payment.settled"])
        old = created["key"]
        subscription_id = created["subscription"]["id"]
        rotated = await admin.post(f"/api/webhooks/subscriptions/{subscription_id}/keys")
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()
        assert new["key_id"] != old["key_id"]
        keys = (await admin.get(f"/api/webhooks/subscriptions/{subscription_id}")).json()["keys"]
        assert [k["key_id"] for k in keys] == [new["key_id"], old["key_id"]]
        assert keys[0]["expires_at"] is None and keys[1]["expires_at"] is not None
        await payment_event(new_dossier())
        await drain(hooks)
        during = receiver.received[-1]
        clock.advance(hours=25)
        await payment_event(new_dossier())
        await drain(hooks)
        after = receiver.received[-1]
        keys = (await admin.get(f"/api/webhooks/subscriptions/{subscription_id}")).json()["keys"]
    check = receiver.check
    assert during.key_id == after.key_id == new["key_id"]

    only_old = {old["key_id"]: old["secret"]}
    only_new = {new["key_id"]: new["secret"]}
    assert check(during, only_old) == [old["key_id"]]  # the old secret still verifies
    assert check(during, only_new) == [new["key_id"]]
    assert check(after, only_old) == []  # its grace is over
    assert check(after, only_new) == [new["key_id"]]
    assert [k["key_id"] for k in keys] == [new["key_id"]]


async def test_a_name_that_resolves_to_a_private_address_at_delivery_is_refused(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    admin = await staff("catalogue", CENTRE)
    answers = {"hooks.example.test": ["93.184.216.34"]}
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return answers[host]

    hooks.resolve = resolve
    hooks.allow_http_loopback = False
    created = await subscribe(
        admin, url="https://hooks.example.test/events", events=["payment.settled"]
    )
    answers["hooks.example.test"] = ["93.184.216.34", "10.1.2.3"]  # rebinding
    await payment_event(new_dossier())
    await run_round(hooks)
    [entry] = await log_of(admin, created["subscription"]["id"])
    assert entry["status"] == "pending"
    assert entry["last_status_code"] is None
    assert entry["last_error"] == "address not allowed: 10.1.2.3"


async def test_the_connection_goes_to_the_address_resolved_once(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    admin = await staff("catalogue", CENTRE)
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        assert host == "pinned.test"
        return ["127.0.0.1"]

    hooks.resolve = resolve
    async with Receiver() as receiver:
        created = await subscribe(
            admin, url=f"http://pinned.test:{receiver.port}/hook", events=["payment.settled"]
        )
        receiver.secrets[created["key"]["key_id"]] = created["key"]["secret"]
        lookups.clear()
        await payment_event(new_dossier())
        await drain(hooks)
    [received] = receiver.received
    assert received.host == f"pinned.test:{receiver.port}"
    assert received.verified
    assert lookups == ["pinned.test"]  # one lookup for the one delivery


async def test_a_slow_receiver_times_out_and_an_endless_answer_is_cut(
    hooks: WebhooksRuntime, staff: Staff
) -> None:
    admin = await staff("catalogue", CENTRE)
    async with Receiver() as receiver:
        slow = await subscribe(admin, url=receiver.url("/slow"), events=["payment.settled"])
        endless = await subscribe(admin, url=receiver.url("/endless"), events=["payment.settled"])
        await payment_event(new_dossier())
        await run_round(hooks)
    [waited] = await log_of(admin, slow["subscription"]["id"])
    assert waited["status"] == "pending"
    assert waited["last_status_code"] is None
    assert "timeout" in waited["last_error"].lower() or "timed out" in waited["last_error"]
    # The status came; the body was not read past a few KiB.
    [cut] = await log_of(admin, endless["subscription"]["id"])
    assert cut["status"] == "delivered"
    assert cut["last_status_code"] == 200
