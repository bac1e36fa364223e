"""The gateways' word, applied once: VNPay's IPN, a bank's transfer notification and
the browser's return from a gateway.

A gateway's word (its signed notification, or its answer to a status query) becomes
a ``Fact`` and is written to the inbox under its unique key before anything changes;
an order leaves "pending" once: duplicates answer "already confirmed", and a failure
arriving after a success changes nothing. The browser's return only displays.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Any

from backend.accounts.schemas import Principal
from backend.db import fetch, write_transaction
from backend.dossiers import service as dossiers
from backend.errors import Forbidden, InvalidInput
from backend.i18n import N_
from backend.payments.gateways import Fact, VietqrGateway, VnpayGateway, vietqr, vnpay
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import PaymentRead
from backend.payments.service.notices import tell
from backend.payments.service.orders import get_payment
from backend.payments.service.records import PaymentRow, payment_for
from backend.payments.tables import GatewayNotice, Payment, Receipt

logger = logging.getLogger("motcua.payments")


async def settle(runtime: PaymentsRuntime, fact: Fact, source: str) -> str:
    """Apply what a gateway says, once. Returns VNPay's answer code: 00 applied, 01 no
    such order, 02 already settled (or a replay), 04 wrong amount."""
    # A replay (gateways resend until they read 00 or 02) is answered from the inbox
    # without taking the write lock.
    known = await _known(fact.key)
    if known is not None:
        return known
    now = runtime.now()
    async with write_transaction():
        inserted = (
            await GatewayNotice.insert(
                GatewayNotice(
                    key=fact.key,
                    provider=fact.provider,
                    reference=fact.reference[:100],
                    received_at=now,
                    source=source,
                    body=fact.body,
                )
            )
            .on_conflict(target=GatewayNotice.key, action="DO NOTHING")
            .returning(GatewayNotice.id)
        )
        if not inserted:
            return await _known(fact.key) or "99"
        outcome = await _apply(fact, now)
        await GatewayNotice.update({GatewayNotice.outcome: outcome}).where(
            GatewayNotice.id == inserted[0]["id"]
        )
    if outcome not in {"00", "02"}:
        logger.warning(
            "gateway notice refused",
            extra={"fields": {"provider": fact.provider, "outcome": outcome, "source": source}},
        )
    return outcome


async def _known(key: str) -> str | None:
    """The answer already given to this fact: "02" once it was applied."""
    rows = await fetch("SELECT outcome FROM payments_notice WHERE key = {}", key)
    if not rows:
        return None
    outcome = str(rows[0]["outcome"])
    return "02" if outcome in {"00", "02"} else outcome


async def _apply(fact: Fact, now: dt.datetime) -> str:
    payment = await payment_for(fact.reference, fact.provider)
    if payment is None:
        return "01"
    if fact.amount != payment.amount:
        return "04"
    if fact.outcome not in {"paid", "failed"}:
        return "00"  # nothing final to apply
    changes: dict[Any, Any] = {Payment.status: fact.outcome, Payment.bank_code: fact.bank_code[:32]}
    if fact.outcome == "paid":
        changes |= {Payment.paid_at: now, Payment.transaction_no: fact.transaction_no[:64]}
    else:
        changes[Payment.failure_code] = fact.code[:8]
    updated = (
        await Payment.update(changes)
        .where((Payment.id == payment.id) & (Payment.status == "pending"))
        .returning(Payment.id)
    )
    if not updated:
        return "02"
    if fact.outcome == "paid":
        await _confirmed(payment, now)
    else:
        await tell(payment, "payment.failed", "failed", now)
    return "00"


async def _confirmed(payment: PaymentRow, now: dt.datetime) -> None:
    """A paid order settles its dossiers and gets its receipt, in the same transaction."""
    settled = await dossiers.settle_fees([line.dossier_id for line in payment.lines])
    duplicate = sum(line.amount for line in payment.lines if line.dossier_id not in settled)
    if duplicate:
        # Paid twice (two orders both completed): the second is to be refunded.
        await Payment.update({Payment.duplicate_amount: duplicate}).where(Payment.id == payment.id)
    await Receipt.insert(Receipt(payment=payment.id, issued_at=now)).on_conflict(
        target=Receipt.payment, action="DO NOTHING"
    )
    await tell(payment, "payment.confirmed", "paid", now)


def _vnpay_gateway(runtime: PaymentsRuntime, tmn_code: str) -> VnpayGateway | None:
    for gateway in runtime.gateways.values():
        if isinstance(gateway, VnpayGateway) and hmac.compare_digest(
            gateway.config.tmn_code, tmn_code
        ):
            return gateway
    return None


async def vnpay_ipn(runtime: PaymentsRuntime, params: dict[str, str]) -> dict[str, str]:
    """VNPay's server-to-server notification (for the real gateway and the sandbox)."""
    gateway = _vnpay_gateway(runtime, params.get("vnp_TmnCode", ""))
    if gateway is None:
        return vnpay.ipn_answer("97")
    try:
        notification = vnpay.read_notification(gateway.config, params)
    except vnpay.InvalidSignature:
        logger.warning("VNPay notification with a bad signature")
        return vnpay.ipn_answer("97")
    except vnpay.MalformedNotification:
        return vnpay.ipn_answer("99")
    body = {k: v for k, v in params.items() if k not in {"vnp_SecureHash", "vnp_SecureHashType"}}
    return vnpay.ipn_answer(await settle(runtime, gateway.fact(notification, body), "ipn"))


async def vnpay_return(
    runtime: PaymentsRuntime,
    principal: Principal,
    reference: str,
    params: dict[str, str],
    lang: str,
) -> tuple[PaymentRead, str | None]:
    """The browser back from the gateway: (the payment as we know it, the gateway's
    response code if its signature holds). Display only: it settles nothing."""
    payment = await get_payment(runtime, principal, reference, lang)
    gateway = _vnpay_gateway(runtime, params.get("vnp_TmnCode", ""))
    code = None
    if gateway is not None:
        try:
            notification = vnpay.read_notification(gateway.config, params)
            if notification.txn_ref == payment.reference:
                code = notification.response_code
        except (vnpay.InvalidSignature, vnpay.MalformedNotification):
            code = None
    return payment, code


async def vietqr_webhook(runtime: PaymentsRuntime, body: bytes, signature: str | None) -> str:
    """A bank's notification of a transfer into the agency's account. Returns what was
    done: "00" applied, "01" no order named, "02" already, "04" wrong amount."""
    gateway = runtime.gateways.get("vietqr")
    if not isinstance(gateway, VietqrGateway) or not vietqr.verify_webhook(
        gateway.config.webhook_secret, body, signature
    ):
        raise Forbidden(N_("Chữ ký không hợp lệ."), field="signature")
    try:
        transfer = vietqr.read_webhook(body)
    except ValueError as error:
        raise InvalidInput(
            N_("Thông báo chuyển khoản không hợp lệ (%(detail)s).", detail=str(error))
        ) from None
    if transfer.account != gateway.config.account:
        return "01"
    reference = vietqr.find_reference(transfer.description)
    return await settle(runtime, gateway.fact(transfer, reference or "-"), "webhook")
