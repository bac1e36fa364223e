"""Writing to the outbox. Call ``enqueue`` inside the transaction of the change that
causes the message: both commit, or neither."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.db import active_engine
from backend.outbox.tables import OutboxMessage


async def enqueue(
    *,
    event_key: str,
    kind: str,
    subject: str,
    account_ids: list[int],
    payload: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Add a message once: a second call with the same key changes nothing."""
    if active_engine().current_transaction.get() is None:
        raise RuntimeError("enqueue outside a transaction: the message could be lost")
    message = OutboxMessage(
        event_key=event_key,
        kind=kind,
        subject=subject,
        account_ids=account_ids,
        payload=payload,
        created_at=now,
        available_at=now,
    )
    await OutboxMessage.insert(message).on_conflict(
        target=OutboxMessage.event_key, action="DO NOTHING"
    )


async def messages_for(subject: str) -> list[dict[str, Any]]:
    rows = (
        await OutboxMessage.select()
        .where(OutboxMessage.subject == subject)
        .order_by(OutboxMessage.id)
        .output(load_json=True)
    )
    return list(rows)


async def claim(kinds: list[str], limit: int) -> list[dict[str, Any]]:
    """Pending messages of these kinds, oldest first; call inside the transaction that
    handles them and then ``mark_done``. On PostgreSQL the rows are locked and other
    workers skip them (SQLite serialises write transactions anyway)."""
    query = (
        OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.event_key,
            OutboxMessage.kind,
            OutboxMessage.account_ids,
            OutboxMessage.payload,
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
