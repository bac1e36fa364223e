"""The rules of payments: quotes, orders, gateway notifications, reconciliation,
cash at the counter, refunds and receipts.

Amounts come only from the dossiers' fee lines, fixed on submission from the
catalogue. A gateway's word (its signed notification, or its answer to a status
query) is written to the inbox under a unique key before anything changes, and an
order leaves "pending" once: duplicates answer "already confirmed", and a failure
arriving after a success changes nothing. The browser's return from a gateway only
displays; it never settles anything. Every change of a payment's state writes its
notices to the outbox in the same transaction.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any, cast

import httpx
import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import active_engine, fetch, write_transaction
from backend.dossiers import service as dossiers
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.outbox import service as outbox
from backend.payments import receipt_pdf, vietqr, vnpay
from backend.payments.gateways import Fact, Order, VietqrGateway, VnpayGateway
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import (
    DossierDue,
    DossierPayments,
    PaymentRead,
    PaymentStart,
    Provider,
    Quote,
    ReceiptRead,
    RefundIn,
)
from backend.payments.tables import (
    GatewayNotice,
    Payment,
    PaymentDossier,
    Receipt,
    Refund,
)
from backend.vietnam import VIETNAM

logger = logging.getLogger("motcua.payments")

PROVIDERS: tuple[Provider, ...] = ("vnpay", "vietqr", "sandbox")
PROVIDER_LABELS: dict[str, tuple[str, str]] = {
    "vnpay": ("VNPay", "VNPay"),
    "vietqr": ("Chuyển khoản VietQR", "VietQR bank transfer"),
    "sandbox": ("Cổng thanh toán thử nghiệm", "Test payment gateway"),
    "cash": ("Tiền mặt tại quầy", "Cash at the counter"),
}
# Ask the gateway about an order still pending after a few minutes (its notification
# may be lost), then every few minutes; expire it once past its lifetime and the
# gateway does not know it as paid.
CHECK_AFTER_MS = 5 * 60_000
CHECK_EVERY_MS = 3 * 60_000
EXPIRY_GRACE_MS = 5 * 60_000
CASHIERS = frozenset({"reception", "leader"})
# Fees are given back only for dossiers the agency never took up.
REFUNDABLE = frozenset({"refused", "withdrawn"})


# ------------------------------------------------------------------------ errors


def _not_found() -> NotFound:
    return NotFound(
        "Không tìm thấy giao dịch thanh toán này, hoặc bạn không có quyền xem.",
        "No such payment, or you may not see it.",
        field="payment",
    )


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


# ------------------------------------------------------------------------- quote


async def _dossiers_due(principal: Principal, dossier_ids: list[int]) -> list[dict[str, Any]]:
    """The dossiers to pay, each one the person may act on and owing fees."""
    rows = []
    for dossier_id in dict.fromkeys(dossier_ids):
        row, may_act = await dossiers.brief(principal, dossier_id)
        if not may_act:
            raise Forbidden(
                f"Hồ sơ {row['code']} đang do cơ quan khác giải quyết.",
                f"Another agency is handling dossier {row['code']}.",
                field="dossier_ids",
            )
        if row["status"] in {"refused", "withdrawn"}:
            raise InvalidInput(
                f"Hồ sơ {row['code']} đã kết thúc (bị từ chối hoặc đã rút): không cần nộp phí.",
                f"Dossier {row['code']} is closed (refused or withdrawn): no fees are due.",
                field="dossier_ids",
            )
        if row["payment_status"] != "unpaid":
            raise InvalidInput(
                f"Hồ sơ {row['code'] or ''} không còn phí, lệ phí phải nộp.".replace("  ", " "),
                f"Dossier {row['code'] or ''} has no fees left to pay.".replace("  ", " "),
                field="dossier_ids",
            )
        rows.append(row)
    return rows


def _due(row: dict[str, Any]) -> DossierDue:
    return msgspec.convert(
        {
            "dossier_id": row["id"],
            "code": row["code"],
            "procedure_name_vi": row["procedure_name_vi"],
            "procedure_name_en": row["procedure_name_en"],
            "agency_code": row["agency_code"],
            "fee_lines": row["fee_lines"],
            "amount": row["fee_total"],
        },
        DossierDue,
    )


def offered(runtime: PaymentsRuntime) -> list[Provider]:
    return [name for name in PROVIDERS if name in runtime.gateways]


def _citizens_only(principal: Principal) -> None:
    if principal.kind != "citizen":
        raise Forbidden(
            "Cán bộ ghi nhận tiền mặt trên trang hồ sơ ở mục cán bộ.",
            "Officials record cash on the dossier's page in the console.",
        )


async def quote(runtime: PaymentsRuntime, principal: Principal, dossier_ids: list[int]) -> Quote:
    _citizens_only(principal)
    rows = await _dossiers_due(principal, dossier_ids)
    return _quote(runtime, rows, await _payer_card(rows))


async def _payer_card(rows: list[dict[str, Any]]) -> dict[str, str] | None:
    """The organisation that may pay: the one all these dossiers belong to, if any."""
    organisations = {row["organisation_id"] for row in rows}
    if len(organisations) != 1 or None in organisations:
        return None
    return await accounts.organisation_card(cast(int, rows[0]["organisation_id"]))


def _quote(
    runtime: PaymentsRuntime, rows: list[dict[str, Any]], card: dict[str, str] | None
) -> Quote:
    dues = [_due(row) for row in rows]
    return Quote(
        dossiers=dues,
        total=sum(due.amount for due in dues),
        full_total=sum(line.full_amount for due in dues for line in due.fee_lines),
        # A company's dossiers are paid by the company unless the person says otherwise.
        payers=["organisation", "person"] if card else ["person"],
        organisation_name=card["name"] if card else None,
        organisation_tax_code=card["tax_code"] if card else None,
        providers=offered(runtime),
    )


# ------------------------------------------------------------------------ orders


async def start(
    runtime: PaymentsRuntime,
    principal: Principal,
    data: PaymentStart,
    *,
    client_ip: str,
    lang: str,
) -> PaymentRead:
    """Make an order for these dossiers' fees, and the way to pay it."""
    _citizens_only(principal)
    rows = await _dossiers_due(principal, data.dossier_ids)
    card = await _payer_card(rows)
    offer = _quote(runtime, rows, card)
    if data.provider not in offer.providers:
        raise InvalidInput(
            "Cách thanh toán này hiện không dùng được. Hãy chọn cách khác.",
            "This way of paying is not available now. Choose another.",
            field="provider",
        )
    if data.payer not in offer.payers:
        raise InvalidInput(
            "Chỉ hồ sơ của cùng một tổ chức mới thanh toán được bằng tên tổ chức.",
            "Only dossiers of one organisation can be paid in its name.",
            field="payer",
        )
    if card is not None and data.payer == "organisation":
        payer_name, tax_code, address = card["name"], card["tax_code"], card["address"]
    else:
        account = await accounts.get_account(principal.account_id)
        payer_name, tax_code, address = account.full_name, None, ""
    gateway = runtime.gateways[data.provider]
    now = runtime.now()
    now_ms = runtime.now_ms()
    lifetime = runtime.lifetime * gateway.lifetime_factor
    lines = [_line(row) for row in rows]
    async with write_transaction():
        inserted = await Payment.insert(
            Payment(
                reference=vietqr.new_reference(),
                provider=data.provider,
                status="pending",
                amount=offer.total,
                payer_kind=data.payer,
                account_id=principal.account_id,
                organisation_id=rows[0]["organisation_id"]
                if data.payer == "organisation"
                else None,
                payer_name=payer_name,
                payer_tax_code=tax_code,
                payer_address=address,
                lines=lines,
                client_ip=client_ip[:45],
                created_at=now,
                created_ms=now_ms,
                expires_ms=now_ms + int(lifetime.total_seconds() * 1000),
                check_ms=now_ms + CHECK_AFTER_MS,
            )
        ).returning(Payment.id)
        await PaymentDossier.insert(
            *(
                PaymentDossier(
                    payment=inserted[0]["id"], dossier_id=line["dossier_id"], amount=line["amount"]
                )
                for line in lines
            )
        )
    return await _read(runtime, await _payment_row(id=inserted[0]["id"]), lang)


def _line(row: dict[str, Any]) -> dict[str, Any]:
    """What the order keeps of a dossier: enough for the receipt and the notices."""
    return {
        **msgspec.to_builtins(_due(row)),
        "owner_id": row["owner_id"],
        "organisation_id": row["organisation_id"],
    }


_PAYMENT = "SELECT * FROM payments_payment WHERE {} = {{}}"


async def _payment_row(*, id: int | None = None, reference: str | None = None) -> dict[str, Any]:
    if id is not None:
        rows = await fetch(_PAYMENT.format("id"), id)
    else:
        rows = await fetch(_PAYMENT.format("reference"), reference)
    if not rows:
        raise _not_found()
    return {**rows[0], "lines": json.loads(rows[0]["lines"])}


def _order(row: dict[str, Any]) -> Order:
    created = row["created_at"]
    if isinstance(created, str):  # SQLite gives fixed SQL's timestamps as text
        created = dt.datetime.fromisoformat(created)
    return Order(
        reference=row["reference"],
        amount=int(row["amount"]),
        created_at=created,
        expires_at=dt.datetime.fromtimestamp(row["expires_ms"] / 1000, dt.UTC),
        client_ip=row["client_ip"],
        transaction_no=row["transaction_no"],
    )


def return_url(runtime: PaymentsRuntime, reference: str) -> str:
    return f"{runtime.public_url}/thanh-toan/{reference}/ket-qua"


async def _read(runtime: PaymentsRuntime, row: dict[str, Any], lang: str) -> PaymentRead:
    order = _order(row)
    receipt = await Receipt.select(Receipt.id).where(Receipt.payment == row["id"])
    read = msgspec.convert(
        {
            **row,
            "created_at": order.created_at,
            "expires_at": order.expires_at,
            "receipt_id": receipt[0]["id"] if receipt else None,
        },
        PaymentRead,
        strict=False,
    )
    gateway = runtime.gateways.get(row["provider"])
    if row["status"] == "pending" and gateway and row["expires_ms"] > runtime.now_ms():
        begun = await gateway.begin(
            order, return_url=return_url(runtime, row["reference"]), locale=lang
        )
        read.redirect_url, read.qr_payload = begun.redirect_url, begun.qr_payload
    return read


async def _may_see(principal: Principal, row: dict[str, Any]) -> None:
    if principal.account_id == row["account_id"]:
        return
    for line in row["lines"]:
        try:
            await dossiers.brief(principal, line["dossier_id"])
            return
        except NotFound:
            continue
    raise _not_found()


async def get_payment(
    runtime: PaymentsRuntime, principal: Principal, reference: str, lang: str
) -> PaymentRead:
    row = await _payment_row(reference=reference[:16])
    await _may_see(principal, row)
    return await _read(runtime, row, lang)


# ------------------------------------------------------------ gateway's word


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
    rows = await fetch(
        "SELECT * FROM payments_payment WHERE reference = {} AND provider = {}",
        fact.reference[:16],
        fact.provider,
    )
    if not rows:
        return "01"
    payment = {**rows[0], "lines": json.loads(rows[0]["lines"])}
    if fact.amount != int(payment["amount"]):
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
        .where((Payment.id == payment["id"]) & (Payment.status == "pending"))
        .returning(Payment.id)
    )
    if not updated:
        return "02"
    if fact.outcome == "paid":
        await _confirmed(payment, now)
    else:
        await _tell(payment, "payment.failed", "failed", now)
    return "00"


async def _confirmed(payment: dict[str, Any], now: dt.datetime) -> None:
    """A paid order settles its dossiers and gets its receipt, in the same transaction."""
    settled = await dossiers.settle_fees([line["dossier_id"] for line in payment["lines"]])
    duplicate = sum(
        line["amount"] for line in payment["lines"] if line["dossier_id"] not in settled
    )
    if duplicate:
        # Paid twice (two orders both completed): the second is to be refunded.
        await Payment.update({Payment.duplicate_amount: duplicate}).where(
            Payment.id == payment["id"]
        )
    await Receipt.insert(Receipt(payment=payment["id"], issued_at=now)).on_conflict(
        target=Receipt.payment, action="DO NOTHING"
    )
    await _tell(payment, "payment.confirmed", "paid", now)


async def _tell(payment: dict[str, Any], kind: str, status: str, now: dt.datetime) -> None:
    for line in payment["lines"]:
        await outbox.enqueue(
            event_key=f"payment:{payment['id']}:{kind}:{line['dossier_id']}",
            kind=kind,
            subject=f"dossier:{line['dossier_id']}",
            account_ids=await dossiers.recipients(line),
            payload={
                "dossier_id": line["dossier_id"],
                "code": line["code"],
                "status": status,
                "payment": payment["reference"],
            },
            now=now,
        )


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
        raise Forbidden("Chữ ký không hợp lệ.", "Invalid signature.", field="signature")
    try:
        transfer = vietqr.read_webhook(body)
    except ValueError as error:
        raise InvalidInput(
            "Thông báo chuyển khoản không hợp lệ.", f"Invalid transfer notice: {error}"
        ) from None
    if transfer.account != gateway.config.account:
        return "01"
    reference = vietqr.find_reference(transfer.description)
    return await settle(runtime, gateway.fact(transfer, reference or "-"), "webhook")


# ---------------------------------------------------------------- reconciliation

# Due pending orders, taken for a while in one statement (another worker skips them).
_DUE = (
    "UPDATE payments_payment SET check_ms = {} WHERE id IN (SELECT id FROM"
    " payments_payment WHERE status = 'pending' AND check_ms <= {}"
    " ORDER BY check_ms LIMIT {}%s) RETURNING *"
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
        payment = {**row, "lines": json.loads(row["lines"])}
        gateway = runtime.gateways.get(row["provider"])
        fact: Fact | None = None
        if gateway is not None:
            try:
                fact = await gateway.ask(_order(payment), runtime.now())
            except (httpx.HTTPError, vnpay.InvalidSignature, ValueError) as error:
                logger.warning(
                    "payment status query failed",
                    extra={"fields": {"provider": row["provider"], "error": type(error).__name__}},
                )
                continue
            if fact is None:
                continue
            if fact.outcome in {"paid", "failed"}:
                await settle(runtime, fact, "querydr")
                continue
        if now_ms > row["expires_ms"] + EXPIRY_GRACE_MS:
            await _expire(payment, runtime.now())
    return len(due)


async def _expire(payment: dict[str, Any], now: dt.datetime) -> None:
    async with write_transaction():
        updated = (
            await Payment.update({Payment.status: "expired"})
            .where((Payment.id == payment["id"]) & (Payment.status == "pending"))
            .returning(Payment.id)
        )
        if updated:
            await _tell(payment, "payment.failed", "expired", now)


# -------------------------------------------------------- officials: cash, refunds


async def _staff_row(principal: Principal, dossier_id: int) -> dict[str, Any]:
    if principal.kind != "staff" or principal.role not in CASHIERS:
        raise Forbidden(
            "Chỉ cán bộ tiếp nhận hoặc lãnh đạo được thu và hoàn phí.",
            "Only reception officials or leaders may take and refund fees.",
        )
    row, may_act = await dossiers.brief(principal, dossier_id)
    if not may_act:
        raise Forbidden(
            "Hồ sơ đang do cơ quan khác giải quyết.",
            "Another agency is handling this dossier now.",
        )
    return row


async def record_cash(
    runtime: PaymentsRuntime, principal: Principal, dossier_id: int, lang: str
) -> DossierPayments:
    """Cash taken at the counter: paid at once, with the official recorded."""
    row = await _staff_row(principal, dossier_id)
    if row["payment_status"] != "unpaid":
        raise InvalidInput(
            "Hồ sơ này không còn phí, lệ phí phải thu.",
            "This dossier has no fees left to take.",
            field="payment",
        )
    card = (
        await accounts.organisation_card(row["organisation_id"]) if row["organisation_id"] else None
    )
    now, now_ms = runtime.now(), runtime.now_ms()
    line = _line(row)
    async with write_transaction():
        inserted = await Payment.insert(
            Payment(
                reference=vietqr.new_reference(),
                provider="cash",
                status="paid",
                amount=row["fee_total"],
                payer_kind="organisation" if card else "person",
                account_id=principal.account_id,
                organisation_id=row["organisation_id"] if card else None,
                payer_name=card["name"] if card else row["applicant_name"],
                payer_tax_code=card["tax_code"] if card else None,
                payer_address=card["address"] if card else row["applicant_address"],
                lines=[line],
                created_at=now,
                created_ms=now_ms,
                expires_ms=now_ms,
                check_ms=now_ms,
                paid_at=now,
                recorded_by_name=principal.name,
            )
        ).returning(Payment.id)
        await PaymentDossier.insert(
            PaymentDossier(payment=inserted[0]["id"], dossier_id=dossier_id, amount=line["amount"])
        )
        payment = await _payment_row(id=inserted[0]["id"])
        if not await dossiers.settle_fees([dossier_id]):
            raise Conflict(
                "Hồ sơ vừa được thanh toán. Hãy tải lại trang.",
                "The dossier has just been paid. Reload the page.",
                field="payment",
            )
        await Receipt.insert(Receipt(payment=payment["id"], issued_at=now))
        await _tell(payment, "payment.confirmed", "paid", now)
    return await dossier_payments(runtime, principal, dossier_id, lang)


async def refund(
    runtime: PaymentsRuntime, principal: Principal, dossier_id: int, data: RefundIn, lang: str
) -> DossierPayments:
    """Give back a refused or withdrawn dossier's fees (all or part): through the
    gateway that took them, or recorded as done by hand for cash and transfers."""
    row = await _staff_row(principal, dossier_id)
    if row["status"] not in REFUNDABLE:
        raise InvalidInput(
            "Chỉ hoàn phí cho hồ sơ bị từ chối tiếp nhận hoặc đã rút.",
            "Fees are refunded only for refused or withdrawn dossiers.",
            field="amount",
        )
    paid = await fetch(
        "SELECT p.id, p.provider, p.amount, p.refunded_amount, d.amount AS share"
        " FROM payments_dossier d JOIN payments_payment p ON p.id = d.payment"
        " WHERE d.dossier_id = {} AND p.status = 'paid' ORDER BY p.id",
        dossier_id,
    )
    if not paid:
        raise InvalidInput(
            "Hồ sơ này chưa có khoản phí nào đã nộp.",
            "No fees have been paid for this dossier.",
            field="amount",
        )
    payment = await _payment_row(id=paid[0]["id"])
    now = runtime.now()
    async with write_transaction():
        # The payment's row is locked by this update until commit: two officials
        # refunding at once are serialised, and the second sees the first's refund.
        reserved = await fetch(
            "UPDATE payments_payment SET refunded_amount = refunded_amount + {}"
            " WHERE id = {} AND refunded_amount + {} <= amount RETURNING id",
            data.amount,
            payment["id"],
            data.amount,
        )
        done = await _refunded_for(dossier_id)
        share = int(paid[0]["share"])
        if not reserved or done + data.amount > share:
            left = max(0, share - done)
            raise InvalidInput(
                f"Số tiền hoàn lớn hơn số đã nộp còn lại ({_money(left)} đồng).",
                f"The refund is larger than what was paid and not yet refunded ({left:,} VND).",
                field="amount",
            )
        inserted = await Refund.insert(
            Refund(
                payment=payment["id"],
                dossier_id=dossier_id,
                amount=data.amount,
                method="manual",
                official_id=principal.account_id,
                official_name=principal.name,
                reason=data.reason,
                created_at=now,
            )
        ).returning(Refund.id)
    refund_id = inserted[0]["id"]
    gateway = runtime.gateways.get(payment["provider"])
    try:
        if gateway is None:
            outcome_done, method, code = True, "manual", ""
        else:
            answer = await gateway.refund(
                _order(payment),
                amount=data.amount,
                full=data.amount == int(payment["amount"]),
                by=principal.name,
                now=now,
            )
            outcome_done, method, code = answer.done, answer.method, answer.code
    except (httpx.HTTPError, vnpay.InvalidSignature, ValueError) as error:
        logger.warning("refund failed", extra={"fields": {"error": type(error).__name__}})
        outcome_done, method, code = False, "gateway", "99"
    async with write_transaction():
        await Refund.update(
            {
                Refund.status: "done" if outcome_done else "failed",
                Refund.method: method,
                Refund.gateway_code: code,
            }
        ).where(Refund.id == refund_id)
        if not outcome_done:
            await Payment.update(
                {Payment.refunded_amount: Payment.refunded_amount - data.amount}
            ).where(Payment.id == payment["id"])
        elif done + data.amount == share:
            await dossiers.mark_refunded(dossier_id)
            await _tell(
                {
                    **payment,
                    "lines": [
                        line for line in payment["lines"] if line["dossier_id"] == dossier_id
                    ],
                },
                "payment.refunded",
                "refunded",
                now,
            )
    if not outcome_done:
        raise Conflict(
            f"Cổng thanh toán chưa hoàn được tiền (mã {code}). Hãy thử lại sau.",
            f"The gateway did not make the refund (code {code}). Try again later.",
            field="amount",
        )
    return await dossier_payments(runtime, principal, dossier_id, lang)


async def _refunded_for(dossier_id: int) -> int:
    rows = await fetch(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM payments_refund"
        " WHERE dossier_id = {} AND status <> 'failed'",
        dossier_id,
    )
    return int(rows[0]["total"])


async def dossier_payments(
    runtime: PaymentsRuntime, principal: Principal, dossier_id: int, lang: str
) -> DossierPayments:
    """A dossier's fees, its payments and refunds, for whoever may see the dossier."""
    row, _ = await dossiers.brief(principal, dossier_id)
    links = await PaymentDossier.select(PaymentDossier.payment).where(
        PaymentDossier.dossier_id == dossier_id
    )
    payments = [
        await _read(runtime, await _payment_row(id=link["payment"]), lang)
        for link in sorted(links, key=lambda link: -link["payment"])
    ]
    refunds = (
        await Refund.select(
            *Refund.all_columns(), Refund.payment.reference.as_alias("payment_reference")
        )
        .where((Refund.dossier_id == dossier_id) & (Refund.status == "done"))
        .order_by(Refund.id)
    )
    paid_share = sum(
        line["amount"]
        for payment in payments
        if payment.status == "paid"
        for line in msgspec.to_builtins(payment.lines)
        if line["dossier_id"] == dossier_id
    )
    return msgspec.convert(
        {
            "dossier_id": dossier_id,
            "code": row["code"],
            "fee_lines": row["fee_lines"],
            "fee_total": row["fee_total"],
            "payment_stage": row["payment_stage"],
            "payment_status": row["payment_status"],
            "payments": payments,
            "refunds": refunds,
            "refundable": max(
                0, min(paid_share, row["fee_total"]) - await _refunded_for(dossier_id)
            )
            if paid_share and row["status"] in REFUNDABLE
            else 0,
        },
        DossierPayments,
        strict=False,
    )


# ---------------------------------------------------------------------- receipts


def receipt_number(receipt_id: int, issued_at: dt.datetime) -> str:
    """Symbol and number, as e-receipts print them: MC26E-0000012."""
    return f"MC{issued_at.astimezone(VIETNAM):%y}E-{receipt_id:07d}"


def receipt_token(secret_key: str, receipt_id: int) -> str:
    mac = hmac.new(secret_key.encode(), f"receipt:{receipt_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:12]).decode().rstrip("=")


def receipt_url(runtime: PaymentsRuntime, receipt_id: int) -> str:
    token = receipt_token(runtime.secret_key, receipt_id)
    return f"{runtime.public_url}/bien-lai/{receipt_id}?k={token}"


async def _receipt(runtime: PaymentsRuntime, receipt_id: int, lang: str) -> ReceiptRead:
    rows = await Receipt.select().where(Receipt.id == receipt_id)
    if not rows:
        raise _receipt_not_found()
    payment = await _read(runtime, await _payment_row(id=rows[0]["payment"]), lang)
    return ReceiptRead(
        id=receipt_id,
        number=receipt_number(receipt_id, rows[0]["issued_at"]),
        issued_at=rows[0]["issued_at"],
        payment=payment,
        verify_url=receipt_url(runtime, receipt_id),
    )


def _receipt_not_found() -> NotFound:
    return NotFound(
        "Không tìm thấy biên lai này. Biên lai có thể là giả.",
        "No such receipt. The receipt may be forged.",
        field="receipt",
    )


async def receipt_of(
    runtime: PaymentsRuntime, principal: Principal, reference: str, lang: str
) -> ReceiptRead:
    """The payer's receipt of a paid payment."""
    payment = await get_payment(runtime, principal, reference, lang)
    if payment.receipt_id is None:
        raise NotFound(
            "Giao dịch chưa được thanh toán nên chưa có biên lai.",
            "The payment is not complete, so there is no receipt yet.",
            field="receipt",
        )
    return await _receipt(runtime, payment.receipt_id, lang)


async def verify_receipt(
    runtime: PaymentsRuntime, receipt_id: int, token: str, lang: str
) -> ReceiptRead:
    """The public check behind the receipt's QR code: genuine only with our signature."""
    if not hmac.compare_digest(
        token.encode(), receipt_token(runtime.secret_key, receipt_id).encode()
    ):
        raise _receipt_not_found()
    return await _receipt(runtime, receipt_id, lang)


async def render_receipt(runtime: PaymentsRuntime, receipt: ReceiptRead, agency_name: str) -> bytes:
    payment = receipt.payment
    view = receipt_pdf.ReceiptView(
        number=receipt.number,
        issued_at=receipt.issued_at,
        agency_name=agency_name,
        province_name=runtime.province_name,
        payer_name=payment.payer_name,
        payer_tax_code=payment.payer_tax_code,
        payer_address="",
        items=[
            receipt_pdf.ReceiptLine(
                dossier_code=line.code, label=fee.label_vi, amount_vnd=fee.amount
            )
            for line in payment.lines
            for fee in line.fee_lines
        ],
        total_vnd=payment.amount,
        method=PROVIDER_LABELS[payment.provider][0],
        transaction_ref=payment.transaction_no or payment.reference,
        verify_url=receipt.verify_url,
        refunded_vnd=payment.refunded_amount,
    )
    return await asyncio.to_thread(receipt_pdf.render_receipt, view)
