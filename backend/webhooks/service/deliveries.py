"""The sender's bookkeeping and the delivery log.

Due deliveries are claimed for a lease in one ``UPDATE ... RETURNING`` (on PostgreSQL
skipping rows another worker is claiming); an ordered subscription's delivery is due
only once no earlier one of its dossier is pending (a failed one no longer holds the
rest back: it stays in the log, to be replayed). Each attempt is recorded on the row,
only while the lease is still this worker's. 2xx: delivered; anything else (a redirect,
which is never followed, included) or no answer: retried with exponential backoff and
jitter (10 s, 20 s, 40 s ... at most an hour apart) until three days after the event,
then failed. A worker killed between sending and recording lets the lease run out and
the delivery is sent again with the same ``Webhook-Id``: at least once, receivers
dedupe by it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.accounts.schemas import Principal
from backend.db import active_engine, fetch, write_transaction
from backend.errors import NotFound
from backend.i18n import N_
from backend.jobs import backoff_ms
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.schemas import DeliveryRead, DeliveryStatus
from backend.webhooks.service import signing
from backend.webhooks.service.subscriptions import live_keys, owned_row
from backend.webhooks.tables import Delivery, Subscription

LOG_LIMIT = 100
# The first retry's wait; each later one doubles (backend.jobs.backoff_ms).
FIRST_RETRY_MS = 10_000

_CLAIM = (
    "UPDATE webhooks_delivery SET claimed_until_ms = {}, attempts = attempts + 1"
    " WHERE id IN (SELECT d.id FROM webhooks_delivery d WHERE d.status = 'pending'"
    " AND d.available_ms <= {} AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms < {})"
    " AND NOT (d.ordered AND EXISTS (SELECT 1 FROM webhooks_delivery e"
    " WHERE e.subscription_id = d.subscription_id AND e.order_key = d.order_key"
    " AND e.status = 'pending' AND e.seq < d.seq))"
    " ORDER BY d.available_ms, d.id LIMIT {}%s)"
    " RETURNING id, subscription_id, event_id, body, attempts, claimed_until_ms, deadline_ms"
)
_CLAIM_POSTGRES = _CLAIM % " FOR UPDATE OF d SKIP LOCKED"
_CLAIM_SQLITE = _CLAIM % ""


class _Claimed(msgspec.Struct, frozen=True):
    id: int
    subscription_id: int
    event_id: str
    body: str
    attempts: int
    claimed_until_ms: int
    deadline_ms: int


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed delivery with what sending it needs."""

    id: int
    attempt: int
    claimed_until_ms: int
    deadline_ms: int
    url: str
    event_id: str
    body: bytes
    keys: list[signing.Key]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt: the answer's status, or None and what went wrong."""

    status_code: int | None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def claim(runtime: WebhooksRuntime, limit: int = 100) -> list[Claim]:
    now_ms = runtime.now_ms()
    postgres = active_engine().engine_type == "postgres"
    async with write_transaction():
        rows = await fetch(
            _CLAIM_POSTGRES if postgres else _CLAIM_SQLITE,
            now_ms + runtime.lease_ms,
            now_ms,
            now_ms,
            limit,
        )
    if not rows:
        return []
    claimed = sorted(msgspec.convert(rows, list[_Claimed]), key=lambda c: c.id)
    ids = sorted({c.subscription_id for c in claimed})
    urls = {
        row["id"]: row["url"]
        for row in await Subscription.select(Subscription.id, Subscription.url).where(
            Subscription.id.is_in(ids)
        )
    }
    keys = await live_keys(ids, now_ms)
    claims = []
    for row in claimed:
        if row.subscription_id not in urls or not keys.get(row.subscription_id):
            continue  # removed meanwhile, with its deliveries
        claims.append(
            Claim(
                id=row.id,
                attempt=row.attempts,
                claimed_until_ms=row.claimed_until_ms,
                deadline_ms=row.deadline_ms,
                url=urls[row.subscription_id],
                event_id=row.event_id,
                body=row.body.encode(),
                keys=keys[row.subscription_id],
            )
        )
    return claims


def result_of(claim: Claim, outcome: Outcome, now_ms: int) -> str:
    if outcome.delivered:
        return "delivered"
    return "failed" if now_ms >= claim.deadline_ms else "retry"


async def record(runtime: WebhooksRuntime, attempts: list[tuple[Claim, Outcome]]) -> list[str]:
    """Write a round's attempts, in one transaction; each attempt's result."""
    now = runtime.now()
    now_ms = runtime.now_ms()
    results = [result_of(claim, outcome, now_ms) for claim, outcome in attempts]
    if not attempts:
        return results
    async with write_transaction():
        for (claim, outcome), result in zip(attempts, results, strict=True):
            changes: dict[object, object] = {
                Delivery.claimed_until_ms: None,
                Delivery.last_status_code: outcome.status_code,
                Delivery.last_error: outcome.error[:300],
                Delivery.last_attempt_at: now,
            }
            if result == "delivered":
                changes[Delivery.status] = "delivered"
                changes[Delivery.delivered_at] = now
            elif result == "failed":
                changes[Delivery.status] = "failed"
            else:
                changes[Delivery.available_ms] = now_ms + backoff_ms(
                    claim.attempt, first_ms=FIRST_RETRY_MS
                )
            # Only while the lease is still ours: a lease that ran out was taken again.
            await Delivery.update(changes).where(  # type: ignore[arg-type]
                (Delivery.id == claim.id)
                & (Delivery.claimed_until_ms == claim.claimed_until_ms)
                & (Delivery.status == "pending")
            )
    return results


def _moment(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _read(row: dict[str, object]) -> DeliveryRead:
    pending = row["status"] == "pending"
    return DeliveryRead(
        id=row["id"],  # type: ignore[arg-type]
        event_id=row["event_id"],  # type: ignore[arg-type]
        event_type=row["event_type"],  # type: ignore[arg-type]
        status=row["status"],  # type: ignore[arg-type]
        attempts=row["attempts"],  # type: ignore[arg-type]
        last_status_code=row["last_status_code"],  # type: ignore[arg-type]
        last_error=row["last_error"],  # type: ignore[arg-type]
        created_at=row["created_at"],  # type: ignore[arg-type]
        last_attempt_at=row["last_attempt_at"],  # type: ignore[arg-type]
        delivered_at=row["delivered_at"],  # type: ignore[arg-type]
        next_attempt_at=_moment(row["available_ms"]) if pending else None,  # type: ignore[arg-type]
    )


_LOG_COLUMNS = (
    Delivery.id,
    Delivery.event_id,
    Delivery.event_type,
    Delivery.status,
    Delivery.attempts,
    Delivery.last_status_code,
    Delivery.last_error,
    Delivery.created_at,
    Delivery.last_attempt_at,
    Delivery.delivered_at,
    Delivery.available_ms,
)


async def delivery_log(
    principal: Principal,
    subscription_id: int,
    status: DeliveryStatus | None = None,
    limit: int = LOG_LIMIT,
) -> list[DeliveryRead]:
    """A subscription's deliveries, newest first."""
    await owned_row(principal, subscription_id)
    where: Any = Delivery.subscription_id == subscription_id
    if status is not None:
        where = where & (Delivery.status == status)
    rows = (
        await Delivery.select(*_LOG_COLUMNS)
        .where(where)
        .order_by(Delivery.id, ascending=False)
        .limit(min(limit, LOG_LIMIT))
    )
    return [_read(row) for row in rows]


async def replay(
    runtime: WebhooksRuntime, principal: Principal, subscription_id: int, delivery_id: int
) -> DeliveryRead:
    """Send one delivery again, as it was (same body, same ``Webhook-Id``), now, and
    retried for three more days if it does not get through."""
    await owned_row(principal, subscription_id)
    now_ms = runtime.now_ms()
    async with write_transaction():
        rows = (
            await Delivery.update(
                {
                    Delivery.status: "pending",
                    Delivery.available_ms: now_ms,
                    Delivery.claimed_until_ms: None,
                    Delivery.deadline_ms: now_ms + runtime.retry_for_ms,
                }
            )
            .where((Delivery.id == delivery_id) & (Delivery.subscription_id == subscription_id))
            .returning(Delivery.id)
        )
    if not rows:
        raise NotFound(
            N_("Không có lần gửi số %(id)s của đăng ký này.", id=delivery_id), field="delivery"
        )
    found = await Delivery.select(*_LOG_COLUMNS).where(Delivery.id == delivery_id)
    return _read(found[0])
