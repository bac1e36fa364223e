"""The dispatcher: the webhooks' copies of outbox events become one delivery per
matching subscription, and are marked done, in one transaction (a worker killed
half-way leaves all or nothing; ``delivery_key`` makes a second pass change nothing).

What integrators see of an outbox event (each with its own, stable event id: the
outbox event's key and the type, sent as ``Webhook-Id``):
- ``dossier.changed``: ``dossier.status_changed`` for every change in the dossier's
  history, ``dossier.received`` too when it was received, ``dossier.result_ready`` too
  when its result became ready;
- ``payment.settled``: ``payment.settled``.
Codes and states only, never a person's details (the outbox payloads carry none).

On PostgreSQL dispatchers take turns (a transaction-scoped advisory lock): two workers
dispatching two events of one dossier side by side could commit the later one first,
and an ordered subscriber would be sent it first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from backend.db import fetch, write_transaction
from backend.db.dialect import is_postgres
from backend.outbox import service as outbox
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.service.subscriptions import Matching, all_subscriptions
from backend.webhooks.tables import Delivery

CONSUMER = "webhooks"
KINDS = sorted(
    outbox.consumer_kind(CONSUMER, kind)
    for kind, consumers in outbox.FAN_OUT.items()
    if CONSUMER in consumers
)
# The advisory lock space (payments use 7_000_001 and 7_000_003, feedback 7_000_015-16).
DISPATCH_LOCK = 7_000_018
# At most this many integrator events come out of one outbox event (the seq's step).
_STEP = 4


class _Message(msgspec.Struct, frozen=True):
    id: int
    event_key: str
    kind: str
    subject: str
    payload: dict[str, Any]
    created_at: dt.datetime


def events_of(kind: str, payload: dict[str, Any]) -> list[str]:
    """The integrators' event types an outbox event (its kind without the consumer) is."""
    if kind == "payment.settled":
        return ["payment.settled"]
    if kind != "dossier.changed":
        return []
    types = []
    if payload.get("action") == "receive":
        types.append("dossier.received")
    types.append("dossier.status_changed")
    if payload.get("to_status") == "result_ready" and payload.get("from_status") != "result_ready":
        types.append("dossier.result_ready")
    return types


def _matches(subscription: Matching, event_type: str, payload: dict[str, Any]) -> bool:
    if event_type not in subscription.events:
        return False
    scope = subscription.agency_code
    return not scope or scope in {payload.get("agency_code"), payload.get("receiving_agency")}


def _body(event_id: str, event_type: str, message: _Message) -> str:
    payload = message.payload
    occurred = payload.get("at") or payload.get("settled_at") or message.created_at.isoformat()
    return msgspec.json.encode(
        {"id": event_id, "type": event_type, "occurred_at": occurred, "data": payload}
    ).decode()


def _base_key(message: _Message) -> str:
    suffix = f"@{CONSUMER}"
    key = message.event_key
    return key[: -len(suffix)] if key.endswith(suffix) else key


async def dispatch(runtime: WebhooksRuntime, limit: int = 200) -> int:
    """Turn pending outbox copies into deliveries; returns how many messages."""
    async with write_transaction():
        if is_postgres():
            await fetch("SELECT pg_advisory_xact_lock({}, 0)", DISPATCH_LOCK)
        claimed = await outbox.claim(KINDS, limit)
        if not claimed:
            return 0
        messages = msgspec.convert(claimed, list[_Message], strict=False)
        subscriptions = await all_subscriptions()
        now = runtime.now()
        now_ms = runtime.now_ms()
        rows: list[Delivery] = []
        for message in messages:
            kind = message.kind.removeprefix(f"{CONSUMER}:")
            for index, event_type in enumerate(events_of(kind, message.payload)):
                event_id = f"{_base_key(message)}/{event_type}"
                body = _body(event_id, event_type, message)
                for subscription in subscriptions:
                    if not _matches(subscription, event_type, message.payload):
                        continue
                    dossier = message.subject.startswith("dossier:")
                    rows.append(
                        Delivery(
                            delivery_key=f"{event_id}#{subscription.id}",
                            subscription_id=subscription.id,
                            event_id=event_id,
                            event_type=event_type,
                            order_key=message.subject if dossier else "",
                            seq=message.id * _STEP + index,
                            ordered=subscription.ordered and dossier,
                            body=body,
                            status="pending",
                            attempts=0,
                            available_ms=now_ms,
                            deadline_ms=now_ms + runtime.retry_for_ms,
                            created_at=now,
                        )
                    )
        for start in range(0, len(rows), 200):
            await Delivery.insert(*rows[start : start + 200]).on_conflict(
                target=Delivery.delivery_key, action="DO NOTHING"
            )
        await outbox.mark_done([m.id for m in messages], now)
    return len(messages)
