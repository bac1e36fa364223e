"""Before the portal got its own copy of every history line: Piccolo's multi-row
``INSERT ... ON CONFLICT DO NOTHING`` keeps every row of the statement (on SQLite and
on PostgreSQL alike; the suite runs on both), and only the one that conflicts is left
out. Then: ``enqueue`` writes one copy per consumer, the webhooks' and the portal's."""

from __future__ import annotations

import itertools

from backend.clock import utc_now
from backend.db import Database, write_transaction
from backend.outbox import service as outbox
from backend.outbox.tables import OutboxMessage

_keys = itertools.count(1)


def _message(key: str, kind: str = "test.copy") -> OutboxMessage:
    now = utc_now()
    return OutboxMessage(
        event_key=key,
        kind=kind,
        subject="test:copies",
        account_ids=[],
        payload={"n": key},
        created_at=now,
        available_at=now,
    )


async def _kept(keys: list[str]) -> list[str]:
    rows = await OutboxMessage.select(OutboxMessage.event_key).where(
        OutboxMessage.event_key.is_in(keys)
    )
    return sorted(row["event_key"] for row in rows)


async def test_a_multi_row_insert_that_ignores_conflicts_keeps_every_other_row(
    database: Database,
) -> None:
    base = f"copies-{next(_keys)}-{utc_now().timestamp()}"
    first, second, third = f"{base}@a", f"{base}@b", f"{base}@c"
    async with write_transaction():
        await OutboxMessage.insert(_message(first)).on_conflict(
            target=OutboxMessage.event_key, action="DO NOTHING"
        )
    # One statement, three rows: the first conflicts, the two others are new.
    async with write_transaction():
        await OutboxMessage.insert(_message(first), _message(second), _message(third)).on_conflict(
            target=OutboxMessage.event_key, action="DO NOTHING"
        )
    assert await _kept([first, second, third]) == [first, second, third]
    rows = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.event_key == first)
    assert len(rows) == 1  # not twice


async def test_one_history_line_is_one_copy_for_each_consumer(database: Database) -> None:
    key = f"dossier:9999999:changed:{next(_keys)}-{utc_now().timestamp()}"
    async with write_transaction():
        for _ in range(2):  # a second enqueue of the same line changes nothing
            await outbox.enqueue(
                event_key=key,
                kind="dossier.changed",
                subject="dossier:9999999",
                account_ids=[],
                payload={"dossier_id": 9999999, "event_id": 1},
                now=utc_now(),
            )
    rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.event_key).where(
        OutboxMessage.event_key.like(f"{key}@%")
    )
    assert sorted((r["kind"], r["event_key"]) for r in rows) == [
        ("portal:dossier.changed", f"{key}@portal"),
        ("webhooks:dossier.changed", f"{key}@webhooks"),
    ]
    async with write_transaction():
        await OutboxMessage.delete().where(OutboxMessage.event_key.like(f"{key}@%"))
