"""The gateways' word, applied once: VNPay's IPN, a bank's transfer notification and
the browser's return from a gateway.

A gateway's word (its signed notification, or its answer to a status query) becomes
a ``Fact`` and is written to the inbox under its unique key before anything changes;
money a gateway or bank reports captured is recorded and allocated (``capture``)
whatever its amount and whatever became of its order, so a success after a failure
or an expiry still pays; a failure only ends an order still pending. The browser's
return only displays.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging

from backend.accounts.schemas import Principal
from backend.db import fetch, write_transaction
from backend.errors import Forbidden, InvalidInput
from backend.i18n import N_
from backend.payments.gateways import Fact, VietqrGateway, VnpayGateway, vietqr, vnpay
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import PaymentRead, TransferRecorded
from backend.payments.service import capture
from backend.payments.service.notices import tell
from backend.payments.service.orders import get_payment
from backend.payments.service.records import payment_for, payment_row
from backend.payments.tables import GatewayNotice, Payment

logger = logging.getLogger("motcua.payments")


async def settle(runtime: PaymentsRuntime, fact: Fact, source: str) -> str:
    """Apply what a gateway says, once. Returns VNPay's answer code: 00 applied, 01 no
    such order, 02 already settled (or a replay), 04 wrong amount. Money it reports
    captured is recorded whatever the answer (see ``capture``)."""
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
        outcome = await _apply(runtime, fact, now)
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


async def _apply(runtime: PaymentsRuntime, fact: Fact, now: dt.datetime) -> str:
    gateway = runtime.gateways.get(fact.provider)
    # A gateway charges what it was asked; a bank transfer is whatever was sent.
    exact = gateway is None or gateway.exact_amount
    money = None
    if fact.outcome == "paid":
        money = capture.Money(
            key=fact.key,
            provider=fact.provider,
            merchant=gateway.merchant if gateway else fact.provider,
            reference=fact.reference,
            transaction_no=fact.transaction_no,
            amount=fact.amount,
            bank_code=fact.bank_code,
        )
    payment = await payment_for(fact.reference, fact.provider) if fact.reference else None
    if payment is None:
        if money is not None:
            await capture.unmatched(money, now)
        return "01" if exact else "00"
    if exact and fact.amount != payment.amount:
        if money is not None:
            await capture.wrong_amount(money, payment, now)
        return "04"
    if money is not None:
        allocated = await capture.allocate(money, payment, now)
        return "02" if exact and allocated.before in {"paid", "partial"} else "00"
    if fact.outcome != "failed":
        return "00"  # nothing final to apply
    # A failure only ends an order still waiting: after money was captured, or a
    # failure already, it changes nothing.
    updated = (
        await Payment.update(
            {
                Payment.status: "failed",
                Payment.bank_code: fact.bank_code[:32],
                Payment.failure_code: fact.code[:8],
            }
        )
        .where((Payment.id == payment.id) & (Payment.status == "pending"))
        .returning(Payment.id)
    )
    if not updated:
        return "02"
    await tell(payment, "payment.failed", "failed", now)
    return "00"


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


async def vietqr_webhook(
    runtime: PaymentsRuntime, body: bytes, signature: str | None
) -> TransferRecorded:
    """A bank's notification of a transfer into the agency's account: every transfer
    into it is recorded, whatever its amount and whether it names an order ("00"; "02"
    for a notification recorded before); one to another account is not ours ("01")."""
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
        return TransferRecorded(outcome="01", recorded=False)
    reference = vietqr.find_reference(transfer.description) or ""
    fact = gateway.fact(transfer, reference)
    outcome = await settle(runtime, fact, "webhook")
    recorded = await capture.by_key(fact.key)
    if recorded is None:
        return TransferRecorded(outcome=outcome, recorded=False)
    booked = await payment_row(id=recorded.payment_id) if recorded.payment_id else None
    return TransferRecorded(
        outcome=outcome,
        recorded=True,
        payment=booked.reference if booked else None,
        status=booked.status if booked else None,
        applied=recorded.applied,
        excess=recorded.excess,
        reason=recorded.reason,
    )
