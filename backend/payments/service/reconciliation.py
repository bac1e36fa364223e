"""Reconciliation and expiry, run by the worker every 30 s: orders still pending a
while after they were made are claimed for a while (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and their gateway is asked; paid or failed answers go through ``settle``
like a notification. An order past its lifetime that the gateway does not know as
paid expires, and the person is told."""

from __future__ import annotations

import logging

import httpx

from backend.db import active_engine, fetch, write_transaction
from backend.payments.gateways import Fact, vnpay
from backend.payments.runtime import PaymentsRuntime
from backend.payments.service.inbox import settle
from backend.payments.service.notices import tell
from backend.payments.service.records import COLUMNS, PaymentRow, order_of, payment_of
from backend.payments.tables import Payment

logger = logging.getLogger("motcua.payments")

# Asked again every few minutes; expired once past its lifetime and this grace.
CHECK_EVERY_MS = 3 * 60_000
EXPIRY_GRACE_MS = 5 * 60_000
# Due pending orders, taken for a while in one statement (another worker skips them);
# only the constant columns are put in, values go as parameters.
_DUE = (
    "UPDATE payments_payment SET check_ms = {} WHERE id IN (SELECT id FROM"  # noqa: S608
    " payments_payment WHERE status = 'pending' AND check_ms <= {}"
    f" ORDER BY check_ms LIMIT {{}}%s) RETURNING {COLUMNS}"
)
_DUE_POSTGRES = _DUE % " FOR UPDATE SKIP LOCKED"
_DUE_SQLITE = _DUE % ""


async def reconcile(runtime: PaymentsRuntime, limit: int = 50) -> int:
    """Ask the gateways about orders pending for a while, so a lost notification is
    repaired, and expire those the gateway does not know as paid. Returns how many
    orders were looked at."""
    now_ms = runtime.now_ms()
    postgres = active_engine().engine_type == "postgres"
    async with write_transaction():
        due = await fetch(
            _DUE_POSTGRES if postgres else _DUE_SQLITE, now_ms + CHECK_EVERY_MS, now_ms, limit
        )
    for row in due:
        payment = payment_of(row)
        gateway = runtime.gateways.get(payment.provider)
        fact: Fact | None = None
        if gateway is not None:
            try:
                fact = await gateway.ask(order_of(payment), runtime.now())
            except (httpx.HTTPError, vnpay.InvalidSignature, ValueError) as error:
                logger.warning(
                    "payment status query failed",
                    extra={"fields": {"provider": payment.provider, "error": type(error).__name__}},
                )
                continue
            if fact is None:
                continue
            if fact.outcome in {"paid", "failed"}:
                await settle(runtime, fact, "querydr")
                continue
        if now_ms > payment.expires_ms + EXPIRY_GRACE_MS:
            await _expire(runtime, payment)
    return len(due)


async def _expire(runtime: PaymentsRuntime, payment: PaymentRow) -> None:
    async with write_transaction():
        updated = (
            await Payment.update({Payment.status: "expired"})
            .where((Payment.id == payment.id) & (Payment.status == "pending"))
            .returning(Payment.id)
        )
        if updated:
            await tell(payment, "payment.failed", "expired", runtime.now())
