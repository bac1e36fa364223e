"""The refund queue: captured money paid in excess (too much, twice, after its order
failed or expired, naming no order of ours, or for another amount than a gateway was
asked), refundable at once by the cashiers of the agency that took it, and money that
named no order by those of the province's service centre.

A refund is reserved first by a conditional update of the capture's ``refunded``
(two officials at once cannot give back more than the excess), then asked of the
gateway that took it (VNPay's refund API, a partial refund of that transaction) or
recorded as given back by hand (a transfer or cash), and released if the gateway
says no."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import msgspec

from backend.accounts.schemas import Principal
from backend.db import fetch, write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, Problems
from backend.i18n import N_, Money, Text
from backend.payments.gateways import Order, Refunded, vnpay
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import ExcessRead, ExcessRefundIn
from backend.payments.service.counter import CASHIERS
from backend.payments.service.records import payment_for, payment_row
from backend.payments.tables import Refund

logger = logging.getLogger("motcua.payments")

# Why part of captured money is to be refunded (Capture.reason), as people read it
# (the refund queue and the daily reconciliation).
REASONS: dict[str, Text] = {
    "overpaid": N_("Nộp thừa"),
    "duplicate": N_("Nộp trùng (hồ sơ đã được thanh toán)"),
    "late": N_("Tiền đến sau khi giao dịch đã hủy hoặc hết hạn"),
    "unmatched": N_("Không khớp giao dịch nào (không ghi đúng mã thanh toán)"),
    "amount": N_("Cổng thanh toán báo số tiền khác số phải nộp"),
}


class _Capture(msgspec.Struct, kw_only=True):
    id: int
    captured_at: dt.datetime
    provider: str
    merchant: str
    agency_code: str
    payment: int | None
    reference: str
    transaction_no: str
    amount: int
    applied: int
    excess: int
    refunded: int
    reason: str


_COLUMNS = (
    "id, captured_at, provider, merchant, agency_code, payment, reference, transaction_no,"
    " amount, applied, excess, refunded, reason"
)
# Only the constant columns are put in; values go as parameters.
_OPEN = (
    f"SELECT {_COLUMNS} FROM payments_capture"  # noqa: S608
    " WHERE excess > refunded AND agency_code = {} ORDER BY captured_at, id"
)
_ONE = f"SELECT {_COLUMNS} FROM payments_capture WHERE id = {{}}"  # noqa: S608


def _scopes(runtime: PaymentsRuntime, principal: Principal) -> list[str]:
    """The agencies whose money this official gives back: their own, and for the
    cashiers of the province's service centre (the statistics' rule) money that named
    no order, which is no agency's yet ("")."""
    if principal.kind != "staff" or principal.role not in CASHIERS or not principal.agency_code:
        raise Forbidden(N_("Chỉ cán bộ tiếp nhận hoặc lãnh đạo được hoàn tiền."))
    agency = principal.agency_code
    return [agency, ""] if agency in runtime.province_wide else [agency]


def _gateway_refunds(runtime: PaymentsRuntime, row: _Capture) -> bool:
    gateway = runtime.gateways.get(row.provider)
    return gateway is not None and gateway.exact_amount and row.payment is not None


async def _read(runtime: PaymentsRuntime, row: _Capture) -> ExcessRead:
    codes: list[str] = []
    if row.payment is not None:
        codes = [line.code for line in (await payment_row(id=row.payment)).lines]
    fields = msgspec.structs.asdict(row)
    del fields["payment"]
    fields["reason"] = row.reason if row.reason in REASONS else "overpaid"
    reason = REASONS[fields["reason"]]
    return ExcessRead(
        **fields,
        reason_vi=reason.render("vi"),
        reason_en=reason.render("en"),
        dossier_codes=codes,
        gateway_refund=_gateway_refunds(runtime, row),
    )


async def refund_queue(runtime: PaymentsRuntime, principal: Principal) -> list[ExcessRead]:
    """The captured money this official's agency is to give back, oldest first."""
    rows: list[_Capture] = []
    for scope in _scopes(runtime, principal):
        rows += msgspec.convert(await fetch(_OPEN, scope), list[_Capture], strict=False)
    return [await _read(runtime, row) for row in rows]


async def _capture(runtime: PaymentsRuntime, principal: Principal, capture_id: int) -> _Capture:
    """The capture, if it is this official's agency's to give back (else not found:
    ids reveal nothing)."""
    scopes = _scopes(runtime, principal)
    rows = msgspec.convert(await fetch(_ONE, capture_id), list[_Capture], strict=False)
    if not rows or rows[0].agency_code not in scopes:
        raise NotFound(
            N_("Không tìm thấy khoản tiền này, hoặc bạn không có quyền hoàn."), field="capture"
        )
    return rows[0]


def _too_much(left: int) -> Text:
    return N_("Số tiền hoàn lớn hơn số tiền thừa còn lại (%(left)s).", left=Money(left))


async def _gateway_refund(
    runtime: PaymentsRuntime, row: _Capture, amount: int, by: str, now: dt.datetime
) -> Refunded:
    """Ask the gateway that took the money to give part of that transaction back."""
    gateway = runtime.gateways[row.provider]
    named = await payment_for(row.reference, row.provider)
    if named is None:  # the order VNPay knows the transaction by
        named = await payment_row(id=row.payment)
    order = Order(
        reference=row.reference,
        amount=row.amount,
        created_at=named.created_at,
        expires_at=named.created_at,
        client_ip="",
        transaction_no=row.transaction_no,
    )
    return await gateway.refund(order, amount=amount, full=amount == row.amount, by=by, now=now)


async def refund_excess(
    runtime: PaymentsRuntime, principal: Principal, capture_id: int, data: ExcessRefundIn
) -> ExcessRead:
    """Give back (part of) captured money's excess: through its gateway where it can,
    else recorded as given back by hand."""
    row = await _capture(runtime, principal, capture_id)
    left = row.excess - row.refunded
    problems = Problems()
    if data.amount > left:
        problems.add("amount", _too_much(left))
    if not data.reason.strip():
        problems.add("reason", N_("Hãy ghi lý do hoàn tiền."))
    problems.raise_any()
    by_gateway = not data.by_hand and _gateway_refunds(runtime, row)
    now = runtime.now()
    dossier_id = 0
    if row.payment is not None:
        dossier_id = (await payment_row(id=row.payment)).lines[0].dossier_id
    async with write_transaction():
        reserved = await fetch(
            "UPDATE payments_capture SET refunded = refunded + {}"
            " WHERE id = {} AND refunded + {} <= excess RETURNING refunded",
            data.amount,
            row.id,
            data.amount,
        )
        if not reserved:
            fresh = msgspec.convert(await fetch(_ONE, row.id), list[_Capture], strict=False)[0]
            raise InvalidInput(_too_much(max(0, fresh.excess - fresh.refunded)), field="amount")
        inserted = await Refund.insert(
            Refund(
                payment=row.payment,
                dossier_id=dossier_id,
                capture=row.id,
                amount=data.amount,
                method="gateway" if by_gateway else "manual",
                status="pending" if by_gateway else "done",
                official_id=principal.account_id,
                official_name=principal.name,
                reason=data.reason.strip(),
                created_at=now,
            )
        ).returning(Refund.id)
    if by_gateway:
        try:
            answer = await _gateway_refund(runtime, row, data.amount, principal.name, now)
            done, code = answer.done, answer.code
        except (httpx.HTTPError, vnpay.InvalidSignature, ValueError) as error:
            logger.warning("refund failed", extra={"fields": {"error": type(error).__name__}})
            done, code = False, "99"
        async with write_transaction():
            await Refund.update(
                {Refund.status: "done" if done else "failed", Refund.gateway_code: code}
            ).where(Refund.id == inserted[0]["id"])
            if not done:
                await fetch(
                    "UPDATE payments_capture SET refunded = refunded - {} WHERE id = {}",
                    data.amount,
                    row.id,
                )
        if not done:
            raise Conflict(
                N_(
                    "Cổng thanh toán chưa hoàn được tiền (mã %(code)s). Hãy thử lại sau, hoặc"
                    " hoàn trực tiếp rồi ghi nhận.",
                    code=code,
                ),
                field="amount",
            )
    fresh = msgspec.convert(await fetch(_ONE, row.id), list[_Capture], strict=False)[0]
    return await _read(runtime, fresh)
