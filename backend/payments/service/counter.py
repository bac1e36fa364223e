"""The officials' part: cash taken at the counter (a capture like any other, see
``capture``), and refunds of a refused or withdrawn dossier's fees (through the
gateway that took them, or recorded as done by hand for cash and transfers). Money
paid in excess is refunded from the refund queue (``refunds``).

Cash is taken by an official of the agency holding the dossier, and its receipt is
that agency's: after a transfer, the agency the dossier went to, not the one that
received it (it is that agency's official who takes the money and signs for it).
"""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import msgspec

from backend.accounts.schemas import Principal
from backend.db import fetch, write_transaction
from backend.dossiers import service as dossiers
from backend.dossiers.schemas import DossierBrief
from backend.errors import Conflict, Forbidden, InvalidInput, Problems
from backend.i18n import N_, Money, Text
from backend.payments.gateways import vietqr, vnpay
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import DossierPayments, RefundIn
from backend.payments.service import capture
from backend.payments.service.dues import CLOSED, Owing, line_of, payer_of
from backend.payments.service.ledger import dossier_payments, refunded_for
from backend.payments.service.notices import tell
from backend.payments.service.records import order_of, payment_row
from backend.payments.tables import Payment, PaymentDossier, Refund

logger = logging.getLogger("motcua.payments")

CASHIERS = frozenset({"reception", "leader"})


class _Share(msgspec.Struct):
    """An order that applied money to a dossier's fees, and how much."""

    id: int
    share: int


# The money each order applied to a dossier, first paid first.
_SHARES = (
    "SELECT p.id, d.paid AS share FROM payments_dossier d"
    " JOIN payments_payment p ON p.id = d.payment"
    " WHERE d.dossier_id = {} AND d.paid > 0 ORDER BY p.id"
)
_REFUNDED_THROUGH = (
    "SELECT COALESCE(SUM(amount), 0) AS total FROM payments_refund"
    " WHERE dossier_id = {} AND payment = {} AND capture IS NULL AND status <> 'failed'"
)


async def _cashier_brief(principal: Principal, dossier_id: int) -> DossierBrief:
    if principal.kind != "staff" or principal.role not in CASHIERS:
        raise Forbidden(N_("Chỉ cán bộ tiếp nhận hoặc lãnh đạo được thu và hoàn phí."))
    dossier = await dossiers.brief(principal, dossier_id)
    if not dossier.may_act:
        raise Forbidden(N_("Hồ sơ đang do cơ quan khác giải quyết."))
    return dossier


async def record_cash(
    runtime: PaymentsRuntime,
    principal: Principal,
    dossier_id: int,
    lang: str,
    expected: int | None = None,
) -> DossierPayments:
    """Cash taken at the counter: what the dossier still owes (all of its fees, or the
    rest of a short payment), paid at once with the official recorded. ``expected``:
    the amount the official was shown and took; refused if it changed since."""
    dossier = await _cashier_brief(principal, dossier_id)
    if dossier.payment_status != "unpaid" or dossier.status in CLOSED:
        raise InvalidInput(N_("Hồ sơ này không còn phí, lệ phí phải thu."), field="payment")
    payer = await payer_of(dossier.organisation_id)
    now, now_ms = runtime.now(), runtime.now_ms()
    async with write_transaction():
        await capture.lock_dossiers([dossier_id])
        rest = (await capture.owed([dossier_id])).get(dossier_id, 0)
        if not rest:
            raise Conflict(N_("Hồ sơ vừa được thanh toán. Hãy tải lại trang."), field="payment")
        if expected is not None and expected != rest:
            raise Conflict(
                N_(
                    "Số tiền còn phải thu vừa thay đổi thành %(amount)s. Hãy tải lại trang.",
                    amount=Money(rest),
                ),
                field="payment",
            )
        line = line_of(Owing(**msgspec.structs.asdict(dossier), applied=dossier.fee_total - rest))
        inserted = await Payment.insert(
            Payment(
                reference=vietqr.new_reference(),
                provider="cash",
                status="pending",
                amount=rest,
                payer_kind="organisation" if payer else "person",
                agency_code=dossier.agency_code,
                account_id=principal.account_id,
                organisation_id=dossier.organisation_id if payer else None,
                payer_name=payer.name if payer else dossier.applicant_name,
                payer_tax_code=payer.tax_code if payer else None,
                payer_address=payer.address if payer else dossier.applicant_address,
                lines=[msgspec.to_builtins(line)],
                created_at=now,
                created_ms=now_ms,
                expires_ms=now_ms,
                check_ms=now_ms,
                recorded_by_name=principal.name,
            )
        ).returning(Payment.id)
        payment_id = inserted[0]["id"]
        await PaymentDossier.insert(
            PaymentDossier(payment=payment_id, dossier_id=dossier_id, amount=rest)
        )
        order = await payment_row(id=payment_id)
        money = capture.Money(
            key=f"cash:{payment_id}",
            provider="cash",
            merchant="cash",
            reference=order.reference,
            transaction_no="",
            amount=rest,
        )
        await capture.allocate(money, order, now)
    return await dossier_payments(runtime, principal, dossier_id, lang)


def _too_much(left: int) -> Text:
    return N_("Số tiền hoàn lớn hơn số đã nộp còn lại (%(left)s).", left=Money(left))


async def _refundable(dossier_id: int, fee_total: int) -> tuple[list[_Share], int, int]:
    """The orders that paid a dossier's fees, what they paid of them, and what of that
    is not yet refunded."""
    shares = msgspec.convert(await fetch(_SHARES, dossier_id), list[_Share])
    if not shares:
        raise InvalidInput(N_("Hồ sơ này chưa có khoản phí nào đã nộp."), field="amount")
    paid = min(sum(share.share for share in shares), fee_total)
    return shares, paid, max(0, paid - await refunded_for(dossier_id))


async def refund(
    runtime: PaymentsRuntime, principal: Principal, dossier_id: int, data: RefundIn, lang: str
) -> DossierPayments:
    """Give back a refused or withdrawn dossier's fees (all or part): through the
    gateway that took them, or recorded as done by hand for cash and transfers. Fees
    paid through several orders (a short payment, then the rest) are given back
    through each in turn, first paid first."""
    dossier = await _cashier_brief(principal, dossier_id)
    if dossier.status not in CLOSED:
        raise InvalidInput(
            N_(
                "Chỉ hoàn phí, lệ phí cho hồ sơ bị từ chối tiếp nhận hoặc đã rút. Tiền nộp"
                " thừa hoặc trùng được hoàn ở mục “Hoàn tiền nộp thừa”."
            ),
            field="amount",
        )
    _, _, left = await _refundable(dossier_id, dossier.fee_total)
    problems = Problems()
    if data.amount > left:
        problems.add("amount", _too_much(left))
    if not data.reason.strip():
        problems.add("reason", N_("Hãy ghi lý do hoàn phí."))
    problems.raise_any()
    now = runtime.now()
    # All of it reserved at once under the dossier's lock, before any gateway is asked:
    # two officials refunding at once are taken one after the other, and the second
    # is refused whole rather than given what the first left.
    async with write_transaction():
        await capture.lock_dossiers([dossier_id])
        shares, paid, left = await _refundable(dossier_id, dossier.fee_total)
        if data.amount > left:
            raise InvalidInput(_too_much(left), field="amount")
        reserved: list[tuple[int, int, int]] = []
        wanted = data.amount
        for share in shares:
            through = (await fetch(_REFUNDED_THROUGH, dossier_id, share.id))[0]["total"]
            part = min(wanted, share.share - int(through))
            if part > 0:
                refund_id = await _reserve(principal, dossier_id, share.id, part, data.reason, now)
                reserved.append((share.id, refund_id, part))
                wanted -= part
            if not wanted:
                break
    for payment_id, refund_id, part in reserved:
        await _ask_gateway(runtime, principal, payment_id, refund_id, part)
    if await refunded_for(dossier_id) >= paid:
        async with write_transaction():
            await dossiers.mark_refunded(dossier_id)
            payment = await payment_row(id=shares[0].id)
            await tell(payment.only(dossier_id), "payment.refunded", "refunded", now)
    return await dossier_payments(runtime, principal, dossier_id, lang)


async def _reserve(
    principal: Principal,
    dossier_id: int,
    payment_id: int,
    amount: int,
    reason: str,
    now: dt.datetime,
) -> int:
    """One order's part of a refund, reserved (pending) until its gateway answers."""
    await Payment.update({Payment.refunded_amount: Payment.refunded_amount + amount}).where(
        Payment.id == payment_id
    )
    inserted = await Refund.insert(
        Refund(
            payment=payment_id,
            dossier_id=dossier_id,
            amount=amount,
            method="manual",
            official_id=principal.account_id,
            official_name=principal.name,
            reason=reason,
            created_at=now,
        )
    ).returning(Refund.id)
    return int(inserted[0]["id"])


async def _ask_gateway(
    runtime: PaymentsRuntime, principal: Principal, payment_id: int, refund_id: int, amount: int
) -> None:
    """A reserved part asked of the gateway that took it (done by hand where none did),
    and given back if the gateway says no."""
    payment = await payment_row(id=payment_id)
    gateway = runtime.gateways.get(payment.provider)
    try:
        if gateway is None:
            outcome_done, method, code = True, "manual", ""
        else:
            answer = await gateway.refund(
                order_of(payment),
                amount=amount,
                full=amount == payment.amount,
                by=principal.name,
                now=runtime.now(),
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
            await Payment.update({Payment.refunded_amount: Payment.refunded_amount - amount}).where(
                Payment.id == payment.id
            )
    if not outcome_done:
        raise Conflict(
            N_("Cổng thanh toán chưa hoàn được tiền (mã %(code)s). Hãy thử lại sau.", code=code),
            field="amount",
        )
