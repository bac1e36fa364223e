"""Writing to the outbox. Call ``enqueue`` inside the transaction of the change that
causes the message: both commit, or neither.

An event several consumers act on (the webhooks, the national portal's sync)
is written once per consumer (``FAN_OUT``): each claims and marks done its own copy, so
a consumer that is down never holds up another nor loses its events. Only a consumer
that exists is listed: a copy nobody claims would wait in the table for ever."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.db import active_engine
from backend.outbox.tables import OutboxMessage

# kind -> the consumers that get their own copy, as kind "<consumer>:<kind>" and key
# "<event key>@<consumer>" (kinds not here are written once, as they are).
FAN_OUT: dict[str, tuple[str, ...]] = {
    "dossier.changed": ("webhooks", "portal"),
    "payment.settled": ("webhooks",),
}
# Every consumer copy's kind: what ``messages_for`` leaves out (it lists notices).
_COPIES = sorted(
    f"{consumer}:{kind}" for kind, consumers in FAN_OUT.items() for consumer in consumers
)


def consumer_kind(consumer: str, kind: str) -> str:
    """The kind of a consumer's own copy of an event (what it ``claim``s)."""
    return f"{consumer}:{kind}"


async def enqueue(
    *,
    event_key: str,
    kind: str,
    subject: str,
    account_ids: list[int],
    payload: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Add a message once: a second call with the same key changes nothing. A kind of
    ``FAN_OUT`` is written once per consumer instead."""
    if active_engine().current_transaction.get() is None:
        raise RuntimeError("enqueue outside a transaction: the message could be lost")
    consumers = FAN_OUT.get(kind)
    copies = (
        [(consumer_kind(consumer, kind), f"{event_key}@{consumer}") for consumer in consumers]
        if consumers
        else [(kind, event_key)]
    )
    messages = [
        OutboxMessage(
            event_key=key,
            kind=copy_kind,
            subject=subject,
            account_ids=account_ids,
            payload=payload,
            created_at=now,
            available_at=now,
        )
        for copy_kind, key in copies
    ]
    await OutboxMessage.insert(*messages).on_conflict(
        target=OutboxMessage.event_key, action="DO NOTHING"
    )


async def messages_for(subject: str, *, copies: bool = False) -> list[dict[str, Any]]:
    """A subject's messages, oldest first: the notices, and with ``copies`` the
    consumers' copies of fanned-out events too."""
    query = OutboxMessage.select().where(OutboxMessage.subject == subject)
    if not copies:
        query = query.where(OutboxMessage.kind.not_in(_COPIES))
    return list(await query.order_by(OutboxMessage.id).output(load_json=True))


async def claim(kinds: list[str], limit: int) -> list[dict[str, Any]]:
    """Pending messages of these kinds, oldest first; call inside the transaction that
    handles them and then ``mark_done``. On PostgreSQL the rows are locked and other
    workers skip them (SQLite serialises write transactions anyway)."""
    query = (
        OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.event_key,
            OutboxMessage.kind,
            OutboxMessage.subject,
            OutboxMessage.account_ids,
            OutboxMessage.payload,
            OutboxMessage.created_at,
        )
        .where(OutboxMessage.done_at.is_null() & OutboxMessage.kind.is_in(kinds))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .output(load_json=True)
    )
    if active_engine().engine_type == "postgres":
        query = query.lock_rows("UPDATE", skip_locked=True)
    return list(await query)


async def mark_done(ids: list[int], now: dt.datetime) -> None:
    if ids:
        await OutboxMessage.update({OutboxMessage.done_at: now}).where(OutboxMessage.id.is_in(ids))
