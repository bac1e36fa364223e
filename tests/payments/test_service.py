"""Payments end to end through the service and the gateways' HTTP endpoints: fees
computed on the server, the IPN's answers, idempotency under concurrency, the sandbox
gateway, reconciliation, expiry, VietQR webhooks, cash, refunds and receipts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

import httpx
import msgspec
import pytest

from backend.app import background_jobs
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn
from backend.errors import AppError, Forbidden, InvalidInput, NotFound
from backend.jobs import Runner
from backend.outbox import service as outbox
from backend.payments import service
from backend.payments.gateways import vietqr, vnpay
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import PaymentRead, PaymentStart, RefundIn
from backend.payments.service import counter, records
from backend.payments.tables import GatewayNotice, Receipt
from backend.settings import Settings
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import PersonFactory
from tests.payments.conftest import (
    LICENCE_AGENCY,
    VIETQR_ACCOUNT,
    VIETQR_SECRET,
    organisation_of,
    submitted_with_fees,
)

IPN = "/api/payments/vnpay/ipn"
WEBHOOK = "/api/payments/vietqr/webhook"


def notification(
    payments: PaymentsRuntime,
    payment: PaymentRead,
    *,
    code: str = "00",
    status: str = "00",
    amount: int | None = None,
    transaction_no: str = "14012345",
) -> dict[str, str]:
    """What VNPay's servers send (here: signed with the sandbox merchant's secret)."""
    assert payments.sandbox is not None
    return vnpay.signed_notification(
        payments.sandbox,
        {
            "vnp_TmnCode": payments.sandbox.tmn_code,
            "vnp_Amount": str((payment.amount if amount is None else amount) * 100),
            "vnp_BankCode": "NCB",
            "vnp_OrderInfo": f"Thanh toan phi le phi {payment.reference}",
            "vnp_PayDate": "20261005093000",
            "vnp_ResponseCode": code,
            "vnp_TransactionNo": transaction_no,
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": payment.reference,
        },
    )


async def pay_order(
    payments: PaymentsRuntime, citizen: Any, dossier_ids: list[int], **start: Any
) -> PaymentRead:
    return await service.start(
        payments,
        citizen,
        PaymentStart(dossier_ids=dossier_ids, provider=start.pop("provider", "sandbox"), **start),
        client_ip="203.0.113.9",
        lang="vi",
    )


async def confirmed_notices(dossier_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in await outbox.messages_for(f"dossier:{dossier_id}")
        if m["kind"] == "payment.confirmed"
    ]


async def receipts_of(payment: PaymentRead) -> int:
    row = await records.payment_row(reference=payment.reference)
    return await Receipt.count().where(Receipt.payment == row.id)


# ------------------------------------------------------------------ the amount


async def test_fees_come_from_the_catalogue_and_the_channel(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    assert dossier.payment_status == "unpaid" and dossier.fee_total == 115_000
    [line] = dossier.fee_lines
    assert (line.amount, line.full_amount) == (115_000, 135_000)

    quote = await service.quote(payments, citizen, [dossier.id])
    assert (quote.total, quote.full_total) == (115_000, 135_000)
    assert quote.payers == ["person"] and "sandbox" in quote.providers

    payment = await pay_order(payments, citizen, [dossier.id])
    assert payment.status == "pending" and payment.amount == 115_000
    assert payment.redirect_url and payment.redirect_url.startswith(
        "http://localhost:8000/cong-thanh-toan-thu/vpcpay?"
    )
    sent = dict(httpx.URL(payment.redirect_url).params)
    assert sent["vnp_Amount"] == "11500000" and sent["vnp_TxnRef"] == payment.reference
    assert sent["vnp_ReturnUrl"].endswith(f"/thanh-toan/{payment.reference}/ket-qua")
    assert vnpay.verify(payments.sandbox.hash_secret, sent)  # type: ignore[union-attr]


def test_the_client_never_names_the_amount() -> None:
    # An order names dossiers, a way to pay and a payer; an amount sent along is refused.
    with pytest.raises(msgspec.ValidationError, match="amount"):
        msgspec.convert({"dossier_ids": [1], "provider": "sandbox", "amount": 1}, PaymentStart)


async def test_someone_elses_dossier_cannot_be_paid_or_seen(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    owner, stranger = await people(), await people()
    dossier = await submitted_with_fees(runtime, owner)
    with pytest.raises(NotFound):
        await service.quote(payments, stranger, [dossier.id])
    with pytest.raises(NotFound):
        await pay_order(payments, stranger, [dossier.id])
    payment = await pay_order(payments, owner, [dossier.id])
    with pytest.raises(NotFound):
        await service.get_payment(payments, stranger, payment.reference, "vi")
    official = await people("staff", "reception", agency=LICENCE_AGENCY)
    with pytest.raises(Forbidden):
        await pay_order(payments, official, [dossier.id])
    # The agency's official sees the payment; an official elsewhere does not.
    assert (await service.get_payment(payments, official, payment.reference, "vi")).amount
    elsewhere = await people("staff", "reception")
    with pytest.raises(NotFound):
        await service.get_payment(payments, elsewhere, payment.reference, "vi")


async def test_reception_waits_for_the_fees(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    with pytest.raises(InvalidInput) as unpaid:
        await dossiers.act(
            runtime, reception, dossier.id, ActionIn(action="receive", version=dossier.version)
        )
    assert unpaid.value.field == "payment" and "115.000\u00a0₫" in unpaid.value.message("vi")


async def test_an_order_names_every_wrong_choice_at_once(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    first = await submitted_with_fees(runtime, citizen)
    second = await submitted_with_fees(runtime, citizen)
    assert "vnpay" not in service.offered(payments)
    with pytest.raises(InvalidInput) as wrong:
        await pay_order(payments, citizen, [first.id], provider="vnpay", payer="organisation")
    assert [problem.field for problem in wrong.value.problems] == ["provider", "payer"]
    # Every dossier with nothing to pay is named, not only the first.
    await pay_order(payments, citizen, [first.id, second.id], provider="vietqr")
    for dossier in (first, second):
        await dossiers.settle_fees([dossier.id])
    with pytest.raises(InvalidInput) as paid:
        await service.quote(payments, citizen, [first.id, second.id])
    messages = [problem.message.render("vi") for problem in paid.value.problems]
    assert len(messages) == 2
    assert first.code in messages[0] and second.code in messages[1]  # type: ignore[operator]


# ------------------------------------------------------------------------ IPN


async def test_ipn_answers_in_vnpays_codes(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    params = notification(payments, payment)

    tampered = {**params, "vnp_Amount": "100"}
    assert (await http.get(IPN, params=tampered)).json() == {
        "RspCode": "97",
        "Message": "Invalid signature",
    }
    unsigned = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
    assert (await http.get(IPN, params=unsigned)).json()["RspCode"] == "97"
    foreign = {**params, "vnp_TmnCode": "OTHER123"}
    assert (await http.get(IPN, params=foreign)).json()["RspCode"] == "97"
    unknown = notification(payments, msgspec.structs.replace(payment, reference="MCZZZZZZZZZZ"))
    assert (await http.get(IPN, params=unknown)).json()["RspCode"] == "01"
    wrong_amount = notification(payments, payment, amount=1_000)
    assert (await http.get(IPN, params=wrong_amount)).json()["RspCode"] == "04"
    assert (
        await service.get_payment(payments, citizen, payment.reference, "vi")
    ).status == "pending"

    answer = await http.get(IPN, params=params)
    assert answer.status_code == 200 and answer.json() == {
        "RspCode": "00",
        "Message": "Confirm Success",
    }
    assert (await http.get(IPN, params=params)).json()["RspCode"] == "02"
    paid = await service.get_payment(payments, citizen, payment.reference, "vi")
    assert paid.status == "paid" and paid.transaction_no == "14012345" and paid.receipt_id
    assert (await dossiers.get_dossier(runtime, citizen, dossier.id)).payment_status == "paid"
    # A failure arriving after the success changes nothing.
    late_failure = notification(payments, payment, code="24", status="02", transaction_no="0")
    assert (await http.get(IPN, params=late_failure)).json()["RspCode"] == "02"
    assert (await service.get_payment(payments, citizen, payment.reference, "vi")).status == "paid"
    assert len(await confirmed_notices(dossier.id)) == 1


@pytest.mark.parametrize("copies", [50])
async def test_the_same_ipn_fifty_times_at_once_pays_once(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    copies: int,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    params = notification(payments, payment)
    answers = await asyncio.gather(*(http.get(IPN, params=params) for _ in range(copies)))
    codes = sorted(answer.json()["RspCode"] for answer in answers)
    assert codes == ["00"] + ["02"] * (copies - 1)
    assert await receipts_of(payment) == 1
    assert len(await confirmed_notices(dossier.id)) == 1
    assert await GatewayNotice.count().where(GatewayNotice.reference == payment.reference) == 1


async def test_a_cancelled_payment_can_be_paid_again(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    first = await pay_order(payments, citizen, [dossier.id])
    cancelled = notification(payments, first, code="24", status="02", transaction_no="0")
    assert (await http.get(IPN, params=cancelled)).json()["RspCode"] == "00"
    failed = await service.get_payment(payments, citizen, first.reference, "vi")
    assert failed.status == "failed" and failed.failure_code == "24" and failed.redirect_url is None
    kinds = [m["kind"] for m in await outbox.messages_for(f"dossier:{dossier.id}")]
    assert "payment.failed" in kinds
    # A new order pays; money captured for the cancelled order after all is recorded
    # (the person was charged) and, the dossier being paid, to be refunded.
    second = await pay_order(payments, citizen, [dossier.id])
    assert (await http.get(IPN, params=notification(payments, second))).json()["RspCode"] == "00"
    assert (await dossiers.get_dossier(runtime, citizen, dossier.id)).payment_status == "paid"
    with pytest.raises(InvalidInput):
        await pay_order(payments, citizen, [dossier.id])  # nothing left to pay
    assert (await http.get(IPN, params=notification(payments, first))).json()["RspCode"] == "00"
    late = await service.get_payment(payments, citizen, first.reference, "vi")
    assert late.status == "paid" and late.duplicate_amount == 115_000 and not late.receipt_id


async def test_the_return_url_never_marks_anything_paid(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    shown, code = await service.vnpay_return(
        payments, citizen, payment.reference, notification(payments, payment), "vi"
    )
    assert code == "00" and shown.status == "pending"
    forged = {**notification(payments, payment), "vnp_ResponseCode": "00", "vnp_Amount": "1"}
    shown, code = await service.vnpay_return(payments, citizen, payment.reference, forged, "vi")
    assert code is None and shown.status == "pending"
    assert (await dossiers.get_dossier(runtime, citizen, dossier.id)).payment_status == "unpaid"


# ---------------------------------------------------------------- the sandbox


async def _sandbox_pay(
    http: httpx.AsyncClient, redirect_url: str, outcome: str, *, lose_ipn: bool = False
) -> httpx.Response:
    url = httpx.URL(redirect_url)
    shown = await http.get(url.path, params=url.params)
    assert shown.status_code == 200 and "Cổng thanh toán thử nghiệm" in shown.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', shown.text)
    assert token, "the gateway's form carries a CSRF token"
    form = {**dict(url.params), "_csrf_token": token.group(1), "outcome": outcome}
    if lose_ipn:
        form["lose_ipn"] = "1"
    return await http.post(url.path, data=form)


async def test_the_sandbox_gateway_pays_through_our_ipn(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    assert payment.redirect_url
    answer = await _sandbox_pay(http, payment.redirect_url, "success")
    assert answer.status_code == 303
    back = httpx.URL(answer.headers["location"])
    assert back.path == f"/thanh-toan/{payment.reference}/ket-qua"
    assert vnpay.verify(payments.sandbox.hash_secret, dict(back.params))  # type: ignore[union-attr]
    # The IPN came first, server to server: the payment is paid before the browser is back.
    paid = await service.get_payment(payments, citizen, payment.reference, "vi")
    assert paid.status == "paid" and paid.transaction_no == back.params["vnp_TransactionNo"]
    # Paying the same order again at the gateway is refused.
    again = await _sandbox_pay(http, payment.redirect_url, "success")
    assert again.status_code == 409


async def test_a_tampered_redirect_is_refused_by_the_gateway(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    assert payment.redirect_url
    url = httpx.URL(payment.redirect_url)
    cheaper = url.copy_set_param("vnp_Amount", "100")
    shown = await http.get(cheaper.path, params=cheaper.params)
    assert shown.status_code == 400 and "97" in shown.text
    elsewhere = url.copy_set_param("vnp_ReturnUrl", "https://evil.example/thanh-toan")
    assert (await http.get(elsewhere.path, params=elsewhere.params)).status_code == 400


async def test_a_lost_ipn_is_repaired_by_reconciliation(
    payments_app: Any,
    settings: Settings,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    assert payment.redirect_url
    answer = await _sandbox_pay(http, payment.redirect_url, "success", lose_ipn=True)
    assert answer.status_code == 303
    assert (
        await service.get_payment(payments, citizen, payment.reference, "vi")
    ).status == "pending"
    # Too early: reconciliation leaves young orders to their IPN.
    clock.advance(minutes=1)
    await service.reconcile(payments)
    assert (
        await service.get_payment(payments, citizen, payment.reference, "vi")
    ).status == "pending"
    clock.advance(minutes=5)
    # The worker runs reconciliation among its chores.
    jobs = background_jobs(payments_app.state["notifications"], payments, settings)
    async with Runner(jobs) as runner:
        assert await runner.run_once(every_job=True) >= 1
    repaired = await service.get_payment(payments, citizen, payment.reference, "vi")
    assert repaired.status == "paid" and repaired.receipt_id
    assert len(await confirmed_notices(dossier.id)) == 1
    # The IPN arriving late after all is answered "already confirmed".
    late = dict(httpx.URL(answer.headers["location"]).params)
    assert (await http.get(IPN, params=late)).json()["RspCode"] == "02"


async def test_an_abandoned_order_expires_and_the_person_is_told(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    clock.advance(minutes=10)
    await service.reconcile(payments)  # the gateway does not know it (91): still in time
    assert (
        await service.get_payment(payments, citizen, payment.reference, "vi")
    ).status == "pending"
    clock.advance(minutes=15)
    await service.reconcile(payments)
    expired = await service.get_payment(payments, citizen, payment.reference, "vi")
    assert expired.status == "expired" and expired.redirect_url is None
    failed = [
        m
        for m in await outbox.messages_for(f"dossier:{dossier.id}")
        if m["kind"] == "payment.failed"
    ]
    assert [m["payload"]["status"] for m in failed] == ["expired"]
    assert (await dossiers.get_dossier(runtime, citizen, dossier.id)).payment_status == "unpaid"


# ---------------------------------------------------------------------- VietQR


def _transfer(reference: str, amount: int, transaction_id: str = "FT26278123456") -> bytes:
    return json.dumps(
        {
            "transaction_id": transaction_id,
            "account": VIETQR_ACCOUNT,
            "amount": amount,
            "description": f"CT DEN:0123 {reference.lower()} thanh toan le phi",
            "time": "2026-10-05T09:30:00+07:00",
        }
    ).encode()


async def test_a_bank_transfer_confirmed_by_a_signed_webhook(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id], provider="vietqr")
    assert payment.qr_payload and payment.redirect_url is None
    fields = vietqr.parse(payment.qr_payload)
    assert fields["54"] == "115000" and fields["62"] == {"08": payment.reference}

    body = _transfer(payment.reference, 115_000)
    unsigned = await http.post(WEBHOOK, content=body)
    assert unsigned.status_code == 403
    forged = await http.post(
        WEBHOOK, content=body, headers={"x-signature": vietqr.webhook_signature("guess", body)}
    )
    assert forged.status_code == 403
    # A short transfer is kept (the order short-paid, see test_money); the full one then
    # pays the rest, its excess to be refunded.
    short = _transfer(payment.reference, 15_000, "FT26278000001")
    answer = await http.post(
        WEBHOOK,
        content=short,
        headers={"x-signature": vietqr.webhook_signature(VIETQR_SECRET, short)},
    )
    assert answer.json()["outcome"] == "00" and answer.json()["status"] == "partial"
    signed = {"x-signature": vietqr.webhook_signature(VIETQR_SECRET, body)}
    paid = (await http.post(WEBHOOK, content=body, headers=signed)).json()
    assert (paid["outcome"], paid["applied"], paid["excess"]) == ("00", 100_000, 15_000)
    assert (await http.post(WEBHOOK, content=body, headers=signed)).json()["outcome"] == "02"
    assert (await dossiers.get_dossier(runtime, citizen, dossier.id)).payment_status == "paid"
    junk = b'{"amount": "many"}'
    answer = await http.post(
        WEBHOOK,
        content=junk,
        headers={"x-signature": vietqr.webhook_signature(VIETQR_SECRET, junk)},
    )
    assert answer.status_code == 422


# ------------------------------------------------------- a business, many dossiers


async def test_a_business_pays_several_dossiers_at_once(
    payments_app: Any,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    director = await people()
    company = await organisation_of(payments_app, director, 310_000_000 + director.account_id)
    first = await submitted_with_fees(runtime, director, organisation_id=company)
    second = await submitted_with_fees(runtime, director, organisation_id=company)
    quote = await service.quote(payments, director, [first.id, second.id])
    assert quote.total == 230_000 and quote.payers == ["organisation", "person"]
    assert quote.organisation_name == "Công ty TNHH Vận tải Sông Mã"
    payment = await pay_order(payments, director, [first.id, second.id], payer="organisation")
    assert payment.payer_name == "Công ty TNHH Vận tải Sông Mã" and payment.payer_tax_code
    assert (await http.get(IPN, params=notification(payments, payment))).json()["RspCode"] == "00"
    for dossier in (first, second):
        assert (await dossiers.get_dossier(runtime, director, dossier.id)).payment_status == "paid"
        assert len(await confirmed_notices(dossier.id)) == 1
    receipt = await service.receipt_of(payments, director, payment.reference, "vi")
    assert [line.code for line in receipt.payment.lines] == [first.code, second.code]
    # A personal dossier cannot go on the company's bill.
    own = await submitted_with_fees(runtime, director)
    third = await submitted_with_fees(runtime, director, organisation_id=company)
    with pytest.raises(InvalidInput) as mixed:
        await pay_order(payments, director, [own.id, third.id], payer="organisation")
    assert mixed.value.field == "payer"


# ------------------------------------------------------------ cash and refunds


async def test_cash_at_the_counter_then_reception(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=LICENCE_AGENCY, name="Lê Thu Ngân")
    processing = await people("staff", "processing", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    with pytest.raises(Forbidden):
        await service.record_cash(payments, processing, dossier.id, "vi")
    with pytest.raises(Forbidden):
        await service.record_cash(payments, citizen, dossier.id, "vi")
    state = await service.record_cash(payments, reception, dossier.id, "vi")
    assert state.payment_status == "paid"
    [cash] = state.payments
    assert cash.provider == "cash" and cash.recorded_by_name == "Lê Thu Ngân" and cash.receipt_id
    with pytest.raises(InvalidInput):
        await service.record_cash(payments, reception, dossier.id, "vi")
    received = await dossiers.act(
        runtime, reception, dossier.id, ActionIn(action="receive", version=dossier.version)
    )
    assert received.status == "received"


async def test_refunds_of_a_refused_dossier(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    assert payment.redirect_url
    await _sandbox_pay(http, payment.redirect_url, "success")
    with pytest.raises(InvalidInput) as not_refused:
        await service.refund(payments, reception, dossier.id, RefundIn(amount=1, reason="x"), "vi")
    assert "từ chối" in not_refused.value.message("vi")
    dossier = await dossiers.get_dossier(runtime, reception, dossier.id)
    await dossiers.act(
        runtime,
        reception,
        dossier.id,
        ActionIn(action="refuse", version=dossier.version, reasons=["Không thuộc thẩm quyền"]),
    )
    with pytest.raises(InvalidInput) as too_much:
        await service.refund(
            payments, reception, dossier.id, RefundIn(amount=115_001, reason="Từ chối"), "vi"
        )
    assert too_much.value.field == "amount" and "115.000" in too_much.value.message("vi")
    state = await service.refund(
        payments, reception, dossier.id, RefundIn(amount=15_000, reason="Hoàn một phần"), "vi"
    )
    assert state.refundable == 100_000 and state.payment_status == "paid"
    assert [(r.amount, r.method) for r in state.refunds] == [(15_000, "gateway")]
    state = await service.refund(
        payments, reception, dossier.id, RefundIn(amount=100_000, reason="Hoàn phần còn lại"), "vi"
    )
    assert state.refundable == 0 and state.payment_status == "refunded"
    with pytest.raises(InvalidInput):
        await service.refund(payments, reception, dossier.id, RefundIn(amount=1, reason="x"), "vi")
    kinds = [m["kind"] for m in await outbox.messages_for(f"dossier:{dossier.id}")]
    assert kinds.count("payment.refunded") == 1


async def test_a_refund_names_every_field_at_fault_at_once(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    await service.record_cash(payments, reception, dossier.id, "vi")
    dossier = await dossiers.get_dossier(runtime, reception, dossier.id)
    await dossiers.act(
        runtime,
        reception,
        dossier.id,
        ActionIn(action="refuse", version=dossier.version, reasons=["Không thuộc thẩm quyền"]),
    )
    with pytest.raises(InvalidInput) as refused:
        await service.refund(
            payments, reception, dossier.id, RefundIn(amount=200_000, reason="   "), "vi"
        )
    assert [problem.field for problem in refused.value.problems] == ["amount", "reason"]
    assert "115.000\u00a0₫" in refused.value.problems[0].message.render("vi")
    assert "₫115,000" in refused.value.problems[0].message.render("en")
    state = await service.dossier_payments(payments, reception, dossier.id, "vi")
    assert state.refunds == [] and state.refundable == 115_000


async def test_two_officials_refunding_at_once_never_exceed_what_was_paid(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    first = await people("staff", "reception", agency=LICENCE_AGENCY)
    second = await people("staff", "leader", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    await service.record_cash(payments, first, dossier.id, "vi")
    dossier = await dossiers.get_dossier(runtime, first, dossier.id)
    await dossiers.act(
        runtime,
        first,
        dossier.id,
        ActionIn(action="refuse", version=dossier.version, reasons=["x"]),
    )
    outcomes = await asyncio.gather(
        *(
            service.refund(payments, who, dossier.id, RefundIn(amount=100_000, reason="x"), "vi")
            for who in (first, second)
        ),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, AppError)]
    assert len(refused) == 1 and isinstance(refused[0], InvalidInput), outcomes
    state = await service.dossier_payments(payments, first, dossier.id, "vi")
    assert sum(r.amount for r in state.refunds) == 100_000 and state.refundable == 15_000


async def test_a_refund_that_found_another_under_way_is_refused_whole(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second official read what was left (115.000) before the first's refund of
    100.000 went through: they must be refused, not given the 15.000 left over as
    if their 100.000 had been refunded."""
    citizen = await people()
    first = await people("staff", "reception", agency=LICENCE_AGENCY)
    second = await people("staff", "leader", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    await service.record_cash(payments, first, dossier.id, "vi")
    dossier = await dossiers.get_dossier(runtime, first, dossier.id)
    await dossiers.act(
        runtime,
        first,
        dossier.id,
        ActionIn(action="refuse", version=dossier.version, reasons=["x"]),
    )
    read_left, first_done = asyncio.Event(), asyncio.Event()
    original = counter.refunded_for

    async def refunded_for(dossier_id: int) -> int:
        total = await original(dossier_id)
        if asyncio.current_task() is late and not read_left.is_set():
            read_left.set()
            # The first refund runs in this pause (bounded, should the read ever move
            # under a lock the first then waits for).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(first_done.wait(), 5)
        return total

    monkeypatch.setattr(counter, "refunded_for", refunded_for)
    asked = RefundIn(amount=100_000, reason="x")
    late = asyncio.create_task(service.refund(payments, second, dossier.id, asked, "vi"))
    await read_left.wait()
    try:
        early = await service.refund(payments, first, dossier.id, asked, "vi")
    except InvalidInput as error:
        early = error
    finally:
        first_done.set()
    outcomes = [early, *(await asyncio.gather(late, return_exceptions=True))]
    refused = [o for o in outcomes if isinstance(o, AppError)]
    assert len(refused) == 1 and isinstance(refused[0], InvalidInput), outcomes
    state = await service.dossier_payments(payments, first, dossier.id, "vi")
    assert [r.amount for r in state.refunds] == [100_000] and state.refundable == 15_000


# ------------------------------------------------------------------ receipts


async def test_the_receipt_and_its_public_check(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    citizen = await people(name="Đỗ Thị Thông")
    dossier = await submitted_with_fees(runtime, citizen)
    payment = await pay_order(payments, citizen, [dossier.id])
    with pytest.raises(NotFound):
        await service.receipt_of(payments, citizen, payment.reference, "vi")
    await http.get(IPN, params=notification(payments, payment))
    receipt = await service.receipt_of(payments, citizen, payment.reference, "vi")
    assert receipt.symbol == "MC-26E" and re.fullmatch(r"\d{7}", receipt.number)
    assert receipt.payment.payer_name == "Đỗ Thị Thông"
    check = httpx.URL(receipt.verify_url)
    assert check.path == f"/bien-lai/{receipt.id}"
    answer = await http.get(f"/api/receipts/{receipt.id}", params={"k": check.params["k"]})
    assert answer.status_code == 200 and answer.json()["payment"]["amount"] == 115_000
    forged = await http.get(f"/api/receipts/{receipt.id}", params={"k": "A" * 16})
    assert forged.status_code == 404
    other = await http.get(f"/api/receipts/{receipt.id + 1}", params={"k": check.params["k"]})
    assert other.status_code == 404
    assert receipt.agency_name_vi == "Công an tỉnh Thanh Hóa (Bộ phận một cửa)"
    pdf = await service.render_receipt(payments, receipt)
    assert pdf.startswith(b"%PDF")
