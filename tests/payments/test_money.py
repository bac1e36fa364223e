"""Every đồng accounted for: money a gateway or bank reports is recorded whatever its
amount (short, exact, over, twice, after a failure or expiry, naming no order, for a
wrong amount), applied to what the dossiers still owe, the rest queued for refund on
the officials' console and refundable at once; through signed VNPay IPNs (the
sandbox merchant's real HMAC), signed VietQR webhooks and cash."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal, StaffCreate
from backend.db import fetch
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.errors import Conflict, InvalidInput, NotFound
from backend.outbox import service as outbox
from backend.payments import service
from backend.payments.gateways import vietqr
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import ExcessRefundIn, PaymentRead
from backend.payments.service import records
from backend.payments.tables import Capture, Receipt, Refund
from backend.stats import service as stats
from backend.vietnam import in_vietnam
from tests.accounts.helpers import Browser, Clock, enrol, new_browser
from tests.dossiers.conftest import PersonFactory
from tests.payments.conftest import (
    LICENCE_AGENCY,
    VIETQR_ACCOUNT,
    VIETQR_BANK_BIN,
    VIETQR_SECRET,
    organisation_of,
    submitted_with_fees,
)
from tests.payments.test_pages import citizen as signed_up
from tests.payments.test_pages import send, text_of
from tests.payments.test_service import IPN, WEBHOOK, _sandbox_pay, notification, pay_order

CENTRE = "000.00.01.H56"
_transactions = iter(range(10_000_000, 99_999_999, 7))


@pytest.fixture
async def sent() -> AsyncIterator[list[int]]:
    """The amounts a test sends as captured money: afterwards, the captures recorded
    during the test add up to exactly them (what the daily reconciliation relies on)."""
    before = await fetch("SELECT COALESCE(MAX(id), 0) AS last FROM payments_capture")
    amounts: list[int] = []
    yield amounts
    rows = await Capture.select(Capture.amount).where(Capture.id > before[0]["last"])
    assert sorted(row["amount"] for row in rows) == sorted(amounts)


def _transfer(reference: str, amount: int, *, account: str = VIETQR_ACCOUNT) -> bytes:
    return json.dumps(
        {
            "transaction_id": f"FT{next(_transactions)}",
            "account": account,
            "amount": amount,
            "description": f"CT DEN:0123 {reference.lower()} thanh toan le phi".strip(),
            "time": "2026-10-05T09:30:00+07:00",
        }
    ).encode()


async def _webhook(http: httpx.AsyncClient, body: bytes) -> dict[str, Any]:
    signature = vietqr.webhook_signature(VIETQR_SECRET, body)
    answer = await http.post(WEBHOOK, content=body, headers={"x-signature": signature})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _transfer_in(
    http: httpx.AsyncClient, sent: list[int], reference: str, amount: int
) -> dict[str, Any]:
    sent.append(amount)
    return await _webhook(http, _transfer(reference, amount))


async def _ipn(http: httpx.AsyncClient, params: dict[str, str]) -> str:
    code: str = (await http.get(IPN, params=params)).json()["RspCode"]
    return code


async def _payment(payments: PaymentsRuntime, who: Principal, reference: str) -> PaymentRead:
    return await service.get_payment(payments, who, reference, "vi")


async def _captures(reference: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await Capture.select().where(Capture.reference == reference).order_by(Capture.id)
    )
    return rows


async def _kinds(dossier_id: int) -> list[str]:
    return [m["kind"] for m in await outbox.messages_for(f"dossier:{dossier_id}")]


# ------------------------------------------------------------------ short payments


async def test_a_short_transfer_is_kept_and_the_rest_paid_by_another(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id], provider="vietqr")
    answer = await _transfer_in(http, sent, order.reference, 100_000)
    assert answer == {
        "outcome": "00",
        "recorded": True,
        "payment": order.reference,
        "status": "partial",
        "applied": 100_000,
        "excess": 0,
        "reason": "",
    }
    short = await _payment(payments, citizen, order.reference)
    assert (short.status, short.received_amount, short.duplicate_amount) == ("partial", 100_000, 0)
    receipt = await service.receipt_of(payments, citizen, order.reference, "vi")
    assert receipt.amount == 100_000
    fees = await service.dossier_payments(payments, citizen, dossier.id, "vi")
    assert (fees.payment_status, fees.applied, fees.left) == ("unpaid", 100_000, 15_000)
    assert "payment.partial" in await _kinds(dossier.id)
    # The rest, quoted and ordered: 15.000 whichever way it is paid.
    assert (await service.quote(payments, citizen, [dossier.id])).total == 15_000

    # A second transfer quoting the same order pays the rest, on an order of its own
    # with its own receipt (the first receipt stays what it said).
    answer = await _transfer_in(http, sent, order.reference, 15_000)
    assert answer["outcome"] == "00" and answer["status"] == "paid"
    assert answer["payment"] != order.reference and answer["applied"] == 15_000
    rest = await _payment(payments, citizen, answer["payment"])
    assert rest.provider == "vietqr" and rest.amount == 15_000 and rest.receipt_id
    assert (await service.receipt_of(payments, citizen, rest.reference, "vi")).amount == 15_000
    assert (await service.receipt_of(payments, citizen, order.reference, "vi")).amount == 100_000
    fees = await service.dossier_payments(payments, citizen, dossier.id, "vi")
    assert (fees.payment_status, fees.applied, fees.left) == ("paid", 115_000, 0)
    assert "payment.confirmed" in await _kinds(dossier.id)


async def test_the_rest_of_a_short_payment_in_cash_or_through_vnpay(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    by_cash = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [by_cash.id], provider="vietqr")
    await _transfer_in(http, sent, order.reference, 100_000)
    # The official was shown 15.000: an amount that changed since is refused.
    with pytest.raises(Conflict):
        await service.record_cash(payments, cashier, by_cash.id, "vi", 115_000)
    sent.append(15_000)
    fees = await service.record_cash(payments, cashier, by_cash.id, "vi", 15_000)
    assert (fees.payment_status, fees.applied, fees.left) == ("paid", 115_000, 0)
    cash = next(p for p in fees.payments if p.provider == "cash")
    assert cash.amount == 15_000 and cash.status == "paid" and cash.receipt_id
    [capture] = await Capture.select().where(Capture.reference == cash.reference)
    assert capture["key"].startswith("cash:") and capture["merchant"] == "cash"
    assert (capture["applied"], capture["excess"]) == (15_000, 0)

    by_card = await submitted_with_fees(runtime, citizen)
    first = await pay_order(payments, citizen, [by_card.id], provider="vietqr")
    await _transfer_in(http, sent, first.reference, 40_000)
    rest = await pay_order(payments, citizen, [by_card.id])
    assert rest.amount == 75_000 and rest.provider == "sandbox"
    sent.append(75_000)
    assert await _ipn(http, notification(payments, rest)) == "00"
    assert (await _payment(payments, citizen, rest.reference)).status == "paid"
    fees = await service.dossier_payments(payments, citizen, by_card.id, "vi")
    assert (fees.payment_status, fees.applied) == ("paid", 115_000)


async def test_an_open_order_made_before_part_was_paid_is_not_reused(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    """An open card order for the whole fee, then part paid by transfer: asking to pay
    by card again makes an order for the rest, not the open one for the whole fee that
    would charge the person too much."""
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    whole = await pay_order(payments, citizen, [dossier.id])
    transfer = await pay_order(payments, citizen, [dossier.id], provider="vietqr")
    await _transfer_in(http, sent, transfer.reference, 100_000)
    again = await pay_order(payments, citizen, [dossier.id])
    assert again.reference != whole.reference and again.amount == 15_000
    # The same request once more, while the order for the rest is open, answers it.
    assert (await pay_order(payments, citizen, [dossier.id])).reference == again.reference


# ------------------------------------------------------------ exact, over, double


async def test_an_exact_payment_through_vnpay(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id])
    params = notification(payments, order)
    sent.append(115_000)
    assert await _ipn(http, params) == "00"
    assert await _ipn(http, params) == "02"  # a replay: nothing more recorded
    [capture] = await _captures(order.reference)
    assert capture["merchant"] == payments.sandbox.tmn_code  # type: ignore[union-attr]
    assert capture["agency_code"] == LICENCE_AGENCY and capture["transaction_no"] == "14012345"
    assert (capture["applied"], capture["excess"], capture["reason"]) == (115_000, 0, "")
    assert capture["day"] == in_vietnam(clock()).date().isoformat()
    paid = await _payment(payments, citizen, order.reference)
    assert (paid.status, paid.received_amount, paid.duplicate_amount) == ("paid", 115_000, 0)


async def test_too_much_by_transfer_is_refunded_by_hand_from_the_queue(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id], provider="vietqr")
    body = _transfer(order.reference, 150_000)
    sent.append(150_000)
    answer = await _webhook(http, body)
    assert (answer["status"], answer["applied"], answer["excess"]) == ("paid", 115_000, 35_000)
    assert answer["reason"] == "overpaid"
    assert (await _webhook(http, body))["outcome"] == "02"  # the bank's retry
    paid = await _payment(payments, citizen, order.reference)
    assert paid.status == "paid" and paid.duplicate_amount == 35_000
    assert "payment.excess" in await _kinds(dossier.id)
    [line] = [
        c for c in await service.refund_queue(payments, cashier) if c.reference == order.reference
    ]
    assert (line.excess, line.refunded, line.reason, line.gateway_refund) == (
        35_000,
        0,
        "overpaid",
        False,
    )
    assert line.merchant == f"{VIETQR_BANK_BIN}:{VIETQR_ACCOUNT}"
    assert line.dossier_codes == [dossier.code] and line.reason_en
    with pytest.raises(InvalidInput) as wrong:
        await service.refund_excess(
            payments, cashier, line.id, ExcessRefundIn(amount=35_001, reason=" ")
        )
    assert [p.field for p in wrong.value.problems] == ["amount", "reason"]
    assert "35.000" in wrong.value.problems[0].message.render("vi")
    done = await service.refund_excess(
        payments, cashier, line.id, ExcessRefundIn(amount=35_000, reason="Trả lại tiền thừa")
    )
    assert done.refunded == 35_000
    assert all(c.id != line.id for c in await service.refund_queue(payments, cashier))
    [refund] = await Refund.select().where(Refund.capture == line.id)
    assert (refund["method"], refund["status"], refund["amount"]) == ("manual", "done", 35_000)
    after = await _payment(payments, citizen, order.reference)
    assert after.duplicate_amount == 0 and after.excess_refunded == 35_000
    # The fees themselves are not refundable: the dossier goes on.
    assert (await service.dossier_payments(payments, citizen, dossier.id, "vi")).refundable == 0


async def test_a_dossier_paid_twice_is_refunded_at_once_through_the_gateway(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    company = await organisation_of(payments_app, citizen, 320_000_000 + citizen.account_id)
    cashier = await people("staff", "leader", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen, organisation_id=company)
    # Two open orders (in the company's name, then in one's own), both paid.
    first = await pay_order(payments, citizen, [dossier.id], payer="organisation")
    second = await pay_order(payments, citizen, [dossier.id], payer="person")
    assert first.reference != second.reference
    for order in (first, second):
        assert order.redirect_url
        sent.append(115_000)
        assert (await _sandbox_pay(http, order.redirect_url, "success")).status_code == 303
    twice = await _payment(payments, citizen, second.reference)
    assert twice.status == "paid" and twice.duplicate_amount == 115_000 and not twice.receipt_id
    [capture] = await _captures(second.reference)
    assert (capture["reason"], capture["applied"]) == ("duplicate", 0)
    [line] = [c for c in await service.refund_queue(payments, cashier) if c.id == capture["id"]]
    assert line.gateway_refund
    done = await service.refund_excess(
        payments, cashier, line.id, ExcessRefundIn(amount=115_000, reason="Nộp trùng")
    )
    assert done.refunded == 115_000
    [refund] = await Refund.select().where(Refund.capture == line.id)
    assert (refund["method"], refund["status"], refund["gateway_code"]) == ("gateway", "done", "00")
    # Nothing more to give back: the gateway is not asked twice.
    with pytest.raises(InvalidInput):
        await service.refund_excess(
            payments, cashier, line.id, ExcessRefundIn(amount=1, reason="x")
        )
    shown = await _payment(payments, citizen, second.reference)
    assert shown.duplicate_amount == 0 and shown.excess_refunded == 115_000
    assert (await dossiers.get_dossier(runtime, citizen, dossier.id)).payment_status == "paid"


async def test_a_second_transfer_after_payment_is_recorded_not_forgotten(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id], provider="vietqr")
    assert (await _transfer_in(http, sent, order.reference, 115_000))["status"] == "paid"
    again = await _transfer_in(http, sent, order.reference, 115_000)
    assert (again["outcome"], again["excess"], again["reason"]) == ("00", 115_000, "duplicate")
    paid = await _payment(payments, citizen, order.reference)
    assert paid.received_amount == 230_000 and paid.duplicate_amount == 115_000
    assert await Receipt.count().where(Receipt.payment == (await _row(order)).id) == 1


async def _row(order: PaymentRead) -> records.PaymentRow:
    return await records.payment_row(reference=order.reference)


# ------------------------------------------------------------ money after failure


async def test_a_success_after_a_failure_pays(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id])
    failure = notification(payments, order, code="24", status="02", transaction_no="0")
    assert await _ipn(http, failure) == "00"
    assert (await _payment(payments, citizen, order.reference)).status == "failed"
    sent.append(115_000)
    assert await _ipn(http, notification(payments, order)) == "00"
    paid = await _payment(payments, citizen, order.reference)
    assert paid.status == "paid" and paid.receipt_id and paid.duplicate_amount == 0
    assert (await dossiers.get_dossier(runtime, citizen, dossier.id)).payment_status == "paid"
    # A failure arriving after the money changes nothing.
    assert await _ipn(http, {**failure}) == "02"
    late = notification(payments, order, code="11", status="02", transaction_no="1")
    assert await _ipn(http, late) == "02"
    assert (await _payment(payments, citizen, order.reference)).status == "paid"


async def test_a_success_after_expiry_settles_or_is_refunded(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    owing = await submitted_with_fees(runtime, citizen)
    settled = await submitted_with_fees(runtime, citizen)
    expired = await pay_order(payments, citizen, [owing.id])
    gone = await pay_order(payments, citizen, [settled.id])
    clock.advance(minutes=40)
    await service.reconcile(payments)  # the sandbox does not know them: both expire
    assert (await _payment(payments, citizen, expired.reference)).status == "expired"
    assert (await _payment(payments, citizen, gone.reference)).status == "expired"
    # The second dossier is paid another way meanwhile.
    sent.append(115_000)
    await service.record_cash(payments, cashier, settled.id, "vi")

    sent.extend([115_000, 115_000])
    assert await _ipn(http, notification(payments, expired)) == "00"
    assert (await dossiers.get_dossier(runtime, citizen, owing.id)).payment_status == "paid"
    assert (await _payment(payments, citizen, expired.reference)).status == "paid"
    assert await _ipn(http, notification(payments, gone, transaction_no="14099999")) == "00"
    late = await _payment(payments, citizen, gone.reference)
    assert late.status == "paid" and late.duplicate_amount == 115_000 and not late.receipt_id
    [capture] = await _captures(gone.reference)
    assert capture["reason"] == "late"
    assert any(c.id == capture["id"] for c in await service.refund_queue(payments, cashier))


# ------------------------------------------------------- wrong amounts, no order


async def test_a_gateways_wrong_amount_is_answered_04_and_kept_for_refund(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id])
    sent.append(1_000)
    params = notification(payments, order, amount=1_000)
    assert await _ipn(http, params) == "04"
    assert await _ipn(http, params) == "04"
    pending = await _payment(payments, citizen, order.reference)
    assert pending.status == "pending" and pending.received_amount == 0
    [capture] = await _captures(order.reference)
    assert (capture["excess"], capture["reason"]) == (1_000, "amount")
    [line] = [c for c in await service.refund_queue(payments, cashier) if c.id == capture["id"]]
    assert line.reason_vi and line.excess == 1_000


async def test_money_naming_no_order_goes_to_the_centres_queue(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    centre = await people("staff", "reception", agency=CENTRE)
    here = await people("staff", "reception", agency=LICENCE_AGENCY)
    assert CENTRE in stats.PROVINCE_WIDE and payments.province_wide == stats.PROVINCE_WIDE
    body = _transfer("", 50_000)
    sent.append(50_000)
    answer = await _webhook(http, body)
    assert answer == {
        "outcome": "00",
        "recorded": True,
        "payment": None,
        "status": None,
        "applied": 0,
        "excess": 50_000,
        "reason": "unmatched",
    }
    # A transfer to another account is not ours: not recorded.
    other = await _webhook(http, _transfer("", 70_000, account="999999999"))
    assert other == {
        "outcome": "01",
        "recorded": False,
        "payment": None,
        "status": None,
        "applied": 0,
        "excess": 0,
        "reason": "",
    }
    # A VNPay success for a reference of nobody's: answered 01, recorded all the same.
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id])
    nobodys = vietqr.new_reference()
    stranger = notification(payments, msgspec.structs.replace(order, reference=nobodys))
    sent.append(115_000)
    assert await _ipn(http, stranger) == "01"
    [vnpay_line] = await _captures(nobodys)
    assert vnpay_line["agency_code"] == "" and vnpay_line["reason"] == "unmatched"

    queue = await service.refund_queue(payments, centre)
    ours = [
        c for c in queue if c.id == vnpay_line["id"] or (c.reference == "" and c.excess == 50_000)
    ]
    assert len(ours) >= 2 and all(c.agency_code == "" for c in ours)
    assert all(c.agency_code != "" for c in await service.refund_queue(payments, here))
    with pytest.raises(NotFound):
        await service.refund_excess(
            payments, here, vnpay_line["id"], ExcessRefundIn(amount=1, reason="x")
        )
    done = await service.refund_excess(
        payments, centre, vnpay_line["id"], ExcessRefundIn(amount=115_000, reason="Trả lại")
    )
    assert done.refunded == 115_000 and not done.gateway_refund


# ------------------------------------------------------------------ concurrency


async def test_two_partial_captures_at_once_never_over_credit(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    sent: list[int],
) -> None:
    citizen = await people()
    company = await organisation_of(payments_app, citizen, 330_000_000 + citizen.account_id)
    dossier = await submitted_with_fees(runtime, citizen, organisation_id=company)
    one = await pay_order(payments, citizen, [dossier.id], provider="vietqr", payer="organisation")
    two = await pay_order(payments, citizen, [dossier.id], provider="vietqr", payer="person")
    assert one.reference != two.reference
    sent.extend([100_000, 100_000])
    answers = await asyncio.gather(
        _webhook(http, _transfer(one.reference, 100_000)),
        _webhook(http, _transfer(two.reference, 100_000)),
    )
    assert sorted(answer["applied"] for answer in answers) == [15_000, 100_000]
    # The first recorded leaves its order short; the second pays the rest, and its
    # order is paid (nothing more is owed through it), the rest of its money excess.
    assert sorted(answer["status"] for answer in answers) == ["paid", "partial"]
    assert sorted(answer["excess"] for answer in answers) == [0, 85_000]
    fees = await service.dossier_payments(payments, citizen, dossier.id, "vi")
    assert fees.applied == 115_000 and fees.payment_status == "paid"
    rows = await Capture.select().where(Capture.reference.is_in([one.reference, two.reference]))
    assert sum(row["applied"] for row in rows) == 115_000
    assert sum(row["amount"] for row in rows) == sum(sent)


# ------------------------------------------------------------------ the console


async def _official(app: Litestar, browsers: list[Browser], role: str, agency: str) -> Browser:
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=f"Lê Thu {role.title()}", role=role, agency_code=agency),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    browsers.append(browser)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    await browser.headers()
    return browser


async def test_the_refund_queue_page_is_scoped_and_refunds_with_csrf(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    open_browsers: list[Browser],
    sent: list[int],
) -> None:
    citizen = await people()
    dossier = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [dossier.id], provider="vietqr")
    await _transfer_in(http, sent, order.reference, 135_000)
    [capture] = await _captures(order.reference)

    cashier = await _official(payments_app, open_browsers, "reception", LICENCE_AGENCY)
    page = await cashier.get("/can-bo/hoan-tien")
    assert page.status_code == 200 and 'id="nav-refunds"' in page.text
    shown = text_of(page)
    assert order.reference in shown and "20.000\u00a0₫" in shown and "Nộp thừa" in shown
    listed = await cashier.get("/api/payments/refunds")
    assert capture["id"] in [line["id"] for line in listed.json()]

    elsewhere = await _official(payments_app, open_browsers, "reception", "000.01.40.H56")
    assert order.reference not in (await elsewhere.get("/can-bo/hoan-tien")).text
    assert all(
        line["id"] != capture["id"]
        for line in (await elsewhere.get("/api/payments/refunds")).json()
    )
    stolen = await send(
        elsewhere,
        f"/can-bo/hoan-tien/{capture['id']}",
        {"amount": "20000", "reason": "x", "by_hand": "1"},
    )
    assert stolen.status_code == 404
    processing = await _official(payments_app, open_browsers, "processing", LICENCE_AGENCY)
    assert (await processing.get("/can-bo/hoan-tien")).status_code == 403
    assert (await processing.get("/api/payments/refunds")).status_code == 403

    # Without the CSRF token nothing is done.
    forged = await cashier.client.post(
        f"/can-bo/hoan-tien/{capture['id']}", data={"amount": "20000", "reason": "x"}
    )
    assert forged.status_code == 403
    no_reason = await send(
        cashier, f"/can-bo/hoan-tien/{capture['id']}", {"amount": "20.000", "reason": ""}
    )
    assert no_reason.status_code == 422
    assert f'href="#reason-{capture["id"]}"' in no_reason.text
    too_much = await send(
        cashier, f"/can-bo/hoan-tien/{capture['id']}", {"amount": "20.001", "reason": "Thừa"}
    )
    assert too_much.status_code == 422
    assert f'href="#amount-{capture["id"]}"' in too_much.text
    assert "20.000\u00a0₫" in text_of(too_much) and 'value="20.001"' in too_much.text
    done = await send(
        cashier,
        f"/can-bo/hoan-tien/{capture['id']}",
        {"amount": "20.000 ₫", "reason": "Trả lại tiền thừa", "by_hand": "1"},
    )
    assert done.status_code == 303
    after = await cashier.get(done.headers["location"])
    assert "Đã ghi nhận hoàn tiền." in text_of(after) and order.reference not in after.text
    # The citizen's order page says what was received and that the excess was refunded.
    status = await service.get_payment(payments, citizen, order.reference, "vi")
    assert status.excess_refunded == 20_000 and status.duplicate_amount == 0


async def test_the_order_page_says_what_is_left(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
    open_browsers: list[Browser],
    sent: list[int],
) -> None:
    thong = await signed_up(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    order = await pay_order(payments, thong.principal, [dossier.id], provider="vietqr")
    await _transfer_in(http, sent, order.reference, 100_000)
    page = text_of(await thong.browser.get(f"/thanh-toan/{order.reference}"))
    assert "Đã nhận 100.000\u00a0₫, còn thiếu 15.000\u00a0₫." in page
    assert 'id="pay-rest"' in page
    box = text_of(await thong.browser.get(f"/ho-so/{dossier.id}"))
    assert "Đã nộp 100.000\u00a0₫, còn thiếu 15.000\u00a0₫." in box
    assert "Thanh toán phần còn thiếu" in box
    english = text_of(
        await thong.browser.get(f"/thanh-toan/{order.reference}", headers={"Accept-Language": "en"})
    )
    assert "₫100,000 received, ₫15,000 still owed." in english
    official = await _official(payments_app, open_browsers, "reception", LICENCE_AGENCY)
    block = text_of(await official.get(f"/can-bo/ho-so/{dossier.id}"))
    assert "Còn thiếu" in block and "15.000\u00a0₫" in block
