"""The daily reconciliation (issue 14): per merchant account and agency, the money
reported captured on a Vietnamese calendar day, line by line, and its totals; refunds
done that day; who sees which agency's money; the page, its CSV and the API agreeing.

The first tests write captures and refunds straight into their tables (the figures
on known rows, the day's edges, the scope, bad days); the last sends real money
through the real paths (signed VNPay IPNs through the sandbox merchant, signed VietQR
notifications, cash at the counter) and checks the report adds up to what was sent.
Each test reports on days of its own, far from the other tests' clock, so that the
province-wide figures hold only its own money."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html
import io
import itertools
import json
import re
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.schemas import Principal
from backend.dossiers.runtime import DossiersRuntime
from backend.errors import Forbidden, InvalidInput
from backend.payments import service
from backend.payments.gateways import vietqr
from backend.payments.runtime import PaymentsRuntime
from backend.payments.tables import Capture, Payment, Refund
from backend.vietnam import VIETNAM, in_vietnam
from tests.accounts.helpers import Clock
from tests.conftest import PUBLIC_URL
from tests.dossiers.conftest import PersonFactory
from tests.payments.conftest import (
    LICENCE_AGENCY,
    VIETQR_ACCOUNT,
    VIETQR_BANK_BIN,
    VIETQR_SECRET,
    WARD,
    submitted_with_fees,
)
from tests.payments.test_service import IPN, WEBHOOK, notification, pay_order

CENTRE = "000.00.01.H56"  # the province's service centre: PROVINCE_WIDE
BANK = f"{VIETQR_BANK_BIN}:{VIETQR_ACCOUNT}"
_keys = itertools.count(1)


def at(day: str, time: str) -> dt.datetime:
    """A moment in Vietnam time."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=VIETNAM)


async def an_order(agency: str, codes: list[str], amount: int, provider: str = "vietqr") -> int:
    """A paid order of ``agency`` for dossiers with these codes (made in the table: the
    report reads only its reference and its dossiers' codes)."""
    n = next(_keys)
    now = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    rows = await Payment.insert(
        Payment(
            reference=f"MCRPT{n:06d}",
            provider=provider,
            status="paid",
            amount=amount,
            payer_kind="person",
            agency_code=agency,
            account_id=0,
            payer_name="Người nộp thử",
            lines=[
                {"dossier_id": 900_000 + n * 10 + i, "code": code} for i, code in enumerate(codes)
            ],
            created_at=now,
            created_ms=0,
            expires_ms=0,
            check_ms=0,
        )
    ).returning(Payment.id)
    return int(rows[0]["id"])


async def a_capture(
    moment: dt.datetime,
    amount: int,
    *,
    agency: str = LICENCE_AGENCY,
    merchant: str = BANK,
    provider: str = "vietqr",
    payment: int | None = None,
    excess: int = 0,
    refunded: int = 0,
    reason: str = "",
    reference: str = "",
) -> int:
    n = next(_keys)
    rows = await Capture.insert(
        Capture(
            key=f"report-test:{n}",
            provider=provider,
            merchant=merchant,
            agency_code=agency,
            payment=payment,
            reference=reference,
            transaction_no=f"FT{n:010d}",
            amount=amount,
            applied=amount - excess,
            excess=excess,
            refunded=refunded,
            reason=reason,
            captured_at=moment.astimezone(dt.UTC),
            day=in_vietnam(moment).date().isoformat(),
        )
    ).returning(Capture.id)
    return int(rows[0]["id"])


async def a_refund(
    moment: dt.datetime, amount: int, payment: int, capture: int | None, status: str = "done"
) -> None:
    await Refund.insert(
        Refund(
            payment=payment,
            dossier_id=0,
            capture=capture,
            amount=amount,
            method="manual",
            status=status,
            official_id=0,
            official_name="Kế toán thử",
            reason="Hoàn tiền nộp thừa",
            created_at=moment.astimezone(dt.UTC),
        )
    )


def figures(totals: service.Reconciliation | Any) -> tuple[int, ...]:
    t = totals.totals if isinstance(totals, service.Reconciliation) else totals
    return (t.count, t.captured, t.applied, t.excess, t.excess_refunded, t.refunds, t.refunded)


_days = itertools.count(0)


@dataclasses.dataclass(frozen=True)
class Money:
    """A day of money of one test's own: the day, the one before and the next."""

    day: str
    before: str
    next: str


@pytest.fixture
async def money() -> Money:
    """A day's money: an agency's transfers (short, exact, over), card payments (one a
    duplicate) and cash; a ward's transfer; a transfer naming no order; money at 23:59
    and at 00:00:30 the next day; refunds done that day, the day before, and failed."""
    first = dt.date(2031, 3, 1) + dt.timedelta(days=3 * next(_days))
    days = Money(
        day=first.isoformat(),
        before=(first - dt.timedelta(days=1)).isoformat(),
        next=(first + dt.timedelta(days=1)).isoformat(),
    )
    day = days.day
    police = await an_order(LICENCE_AGENCY, ["000.00.16.H56-311001-0001"], 135_000)
    second = await an_order(LICENCE_AGENCY, ["000.00.16.H56-311001-0002"], 115_000, "sandbox")
    ward = await an_order(WARD, ["000.01.40.H56-311001-0001"], 100_000)
    ids = {
        "short": await a_capture(at(day, "08:00:00"), 100_000, payment=police),
        "rest": await a_capture(at(day, "08:30:00"), 35_000, payment=police),
        "over": await a_capture(
            at(day, "09:00:00"),
            150_000,
            payment=police,
            excess=15_000,
            refunded=15_000,
            reason="overpaid",
        ),
        "card": await a_capture(
            at(day, "10:00:00"), 115_000, payment=second, merchant="MOTCUA01", provider="sandbox"
        ),
        "twice": await a_capture(
            at(day, "10:05:00"),
            115_000,
            payment=second,
            merchant="MOTCUA01",
            provider="sandbox",
            excess=115_000,
            reason="duplicate",
        ),
        "cash": await a_capture(
            at(day, "11:00:00"), 135_000, merchant="cash", provider="cash", payment=police
        ),
        "ward": await a_capture(at(day, "14:00:00"), 100_000, agency=WARD, payment=ward),
        "stray": await a_capture(
            at(day, "15:00:00"),
            50_000,
            agency="",
            excess=50_000,
            reason="unmatched",
            reference="CHUYEN TIEN",
        ),
        "last": await a_capture(at(day, "23:59:30"), 20_000, payment=police),
        "next": await a_capture(at(days.next, "00:00:30"), 30_000, payment=police),
    }
    await a_refund(at(day, "16:00:00"), 15_000, police, ids["over"])
    await a_refund(at(days.before, "16:00:00"), 7_000, police, ids["over"])
    await a_refund(at(day, "16:30:00"), 9_000, police, ids["over"], status="failed")
    # A refused dossier's fees, given back from the card account.
    await a_refund(at(day, "17:00:00"), 115_000, second, None)
    assert len(ids) == 10
    return days


async def test_an_agencys_day_adds_up_to_its_lines(
    payments: PaymentsRuntime, people: PersonFactory, money: Money
) -> None:
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    report = await service.reconciliation(payments, cashier, money.day)
    day = dt.date.fromisoformat(money.day)
    assert (report.start, report.end, report.agency_code) == (day, day, LICENCE_AGENCY)
    groups = {(g.merchant, g.agency_code): g for g in report.groups}
    assert set(groups) == {
        (BANK, LICENCE_AGENCY),
        ("MOTCUA01", LICENCE_AGENCY),
        ("cash", LICENCE_AGENCY),
    }
    bank = groups[BANK, LICENCE_AGENCY]
    # 23:59:30 is still the day in Vietnam (16:59:30 UTC); 00:00:30 the next day is not.
    assert [c.amount for c in bank.captures] == [100_000, 35_000, 150_000, 20_000]
    assert bank.merchant_name_vi == bank.merchant_name_en == f"Vietcombank {VIETQR_ACCOUNT}"
    assert figures(bank.totals) == (4, 305_000, 290_000, 15_000, 15_000, 1, 15_000)
    assert bank.captures[2].reason == "overpaid"
    assert bank.captures[0].dossier_codes == ["000.00.16.H56-311001-0001"]
    assert bank.captures[0].order_reference.startswith("MCRPT")
    card = groups["MOTCUA01", LICENCE_AGENCY]
    assert figures(card.totals) == (2, 230_000, 115_000, 115_000, 0, 1, 115_000)
    assert card.refunds[0].capture_id is None and card.refunds[0].amount == 115_000
    assert figures(groups["cash", LICENCE_AGENCY].totals) == (1, 135_000, 135_000, 0, 0, 0, 0)
    till = groups["cash", LICENCE_AGENCY]
    assert (till.merchant_name_vi, till.merchant_name_en) == (
        "Tiền mặt tại quầy",
        "Cash at the counter",
    )
    # Every total is the sum of its lines, and the whole the sum of the groups.
    for group in report.groups:
        assert group.totals.captured == sum(c.amount for c in group.captures)
        assert group.totals.captured == group.totals.applied + group.totals.excess
        assert group.totals.refunded == sum(r.amount for r in group.refunds)
    assert figures(report) == tuple(
        sum(values) for values in zip(*(figures(g.totals) for g in report.groups), strict=True)
    )
    assert figures(report) == (7, 670_000, 540_000, 130_000, 15_000, 2, 130_000)
    assert [m.merchant for m in report.merchants] == sorted([BANK, "MOTCUA01", "cash"])

    # The next day holds the money after midnight, and the two days hold both.
    after = await service.reconciliation(payments, cashier, money.next)
    assert [c.amount for g in after.groups for c in g.captures] == [30_000]
    typed = day.strftime("%d/%m/%Y")  # as people type it
    both = await service.reconciliation(payments, cashier, typed, money.next)
    assert both.totals.captured == 700_000 and both.totals.count == 8


async def test_the_province_centre_sees_every_agency_and_the_money_of_none(
    payments: PaymentsRuntime, people: PersonFactory, money: Money
) -> None:
    leader = await people("staff", "leader", agency=CENTRE)
    report = await service.reconciliation(payments, leader, money.day)
    assert report.agency_code is None
    keys = [(g.agency_code, g.merchant) for g in report.groups]
    # Agencies by code, the money of no agency last.
    assert keys == [
        (LICENCE_AGENCY, BANK),
        (LICENCE_AGENCY, "MOTCUA01"),
        (LICENCE_AGENCY, "cash"),
        (WARD, BANK),
        ("", BANK),
    ]
    stray = report.groups[-1]
    assert stray.agency_name_vi == "Chưa xác định cơ quan (không khớp giao dịch)"
    assert [(c.reference, c.reason, c.order_reference) for c in stray.captures] == [
        ("CHUYEN TIEN", "unmatched", "")
    ]
    assert report.groups[3].agency_name_vi == "Ủy ban nhân dân phường Hạc Thành"
    # The bank account's day: what its statement lists, every agency together.
    accounts = {m.merchant: m.totals for m in report.merchants}
    assert accounts[BANK].captured == 100_000 + 35_000 + 150_000 + 20_000 + 100_000 + 50_000
    assert accounts[BANK].count == 6
    assert figures(report) == (9, 820_000, 640_000, 180_000, 15_000, 2, 130_000)

    # A ward's leader sees the ward's only.
    ward = await service.reconciliation(
        payments, await people("staff", "leader", agency=WARD), money.day
    )
    assert [(g.agency_code, g.totals.captured) for g in ward.groups] == [(WARD, 100_000)]


@pytest.mark.parametrize(
    ("kind", "role", "agency"),
    [
        ("citizen", None, None),
        ("staff", "processing", LICENCE_AGENCY),
        ("staff", "admin", LICENCE_AGENCY),
        ("staff", "catalogue", None),
        ("staff", "leader", None),
    ],
)
async def test_nobody_else_sees_the_money(
    payments: PaymentsRuntime,
    people: PersonFactory,
    kind: str,
    role: str | None,
    agency: str | None,
) -> None:
    with pytest.raises(Forbidden) as refused:
        await service.reconciliation(payments, await people(kind, role, agency=agency), "")
    assert refused.value.text.render("en") == (
        "Only an agency's reception officials and leaders can see the reconciliation of fees."
    )


@pytest.mark.parametrize(
    ("day", "to", "fields"),
    [
        ("2031-02-30", "", ["day"]),
        ("hôm qua", "", ["day"]),
        ("2031-03-14", "14/13/2031", ["to"]),
        ("2031-03-14", "2031-03-13", ["to"]),
        ("2031-03-01", "2031-04-01", ["to"]),
        ("x", "y", ["day", "to"]),
    ],
)
async def test_a_day_that_is_not_one_is_named(
    payments: PaymentsRuntime, people: PersonFactory, day: str, to: str, fields: list[str]
) -> None:
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    with pytest.raises(InvalidInput) as refused:
        await service.reconciliation(payments, cashier, day, to)
    assert [problem.field for problem in refused.value.problems] == fields
    for problem in refused.value.problems:
        assert problem.message.render("en") != problem.message.render("vi")


async def test_a_day_to_come_is_empty(
    payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    report = await service.reconciliation(payments, cashier, "2099-01-01")
    assert report.groups == [] and figures(report) == (0,) * 7
    # No day: today in Vietnam (the clock's Monday, 09:00 there).
    today = await service.reconciliation(payments, cashier)
    assert today.start == today.end == in_vietnam(clock()).date()


# ------------------------------------------------------------ the page, CSV, API


async def signed_in(app: Litestar, principal: Principal) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.60", 40000))
    client = httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL)
    token = await sessions.start(app.state["accounts"], principal.account_id, "test")
    client.cookies.set(app.state["accounts"].cookie_name, token)
    return client


def parsed_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def shown(page: str, cell: str) -> str:
    found = re.search(rf'id="{re.escape(cell)}">([^<]*)<', page)
    assert found, cell
    return html.unescape(found.group(1))


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + "\u00a0₫"


async def test_the_page_the_csv_and_the_api_agree(
    payments_app: Litestar, people: PersonFactory, money: Money
) -> None:
    leader = await people("staff", "leader", agency=CENTRE)
    async with await signed_in(payments_app, leader) as client:
        page = await client.get("/can-bo/doi-soat", params={"ngay": money.day})
        assert page.status_code == 200, page.text
        assert page.headers["cache-control"] == "private, no-store"
        assert 'href="/can-bo/doi-soat" id="nav-reconciliation" aria-current="page"' in page.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and " style=" not in page.text
        text = html.unescape(page.text)
        assert "Chưa xác định cơ quan (không khớp giao dịch)" in text
        unmatched = service.reason_text("unmatched")  # A1's label of the reason
        assert unmatched is not None and unmatched.render("vi") in text

        exported = await client.get("/can-bo/doi-soat.csv", params={"ngay": money.day})
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        assert (
            f'filename="doi-soat-toan-tinh-{money.day}.csv"'
            in exported.headers["content-disposition"]
        )
        rows = parsed_csv(exported.content)

        api = await client.get("/api/payments/reconciliation", params={"day": money.day})
        assert api.status_code == 200
        body = api.json()
        # In English: the headings, the labels and the names of the accounts.
        english = await client.get(
            "/can-bo/doi-soat.csv", params={"ngay": money.day}, headers={"Accept-Language": "en"}
        )
        english_rows = parsed_csv(english.content)
        assert "Money received (đồng)" in english_rows[0]
        assert {"Cash at the counter", f"Vietcombank {VIETQR_ACCOUNT}"} <= {
            row["Receiving account"] for row in english_rows
        }
        assert [row["Row kind"] for row in english_rows if row["Row"] == "total"] == ["Total"]

    columns = ("count", "captured", "applied", "excess", "excess_refunded", "refunds", "refunded")
    headings = (
        "Số giao dịch",
        "Số tiền nhận (đồng)",
        "Ghi vào phí, lệ phí (đồng)",
        "Thừa, cần hoàn (đồng)",
        "Đã hoàn của số thừa (đồng)",
        "Số lần hoàn trong kỳ",
        "Hoàn trong kỳ (đồng)",
    )
    [total] = [row for row in rows if row["Dòng"] == "total"]
    groups = [row for row in rows if row["Dòng"] == "agency"]
    assert [int(total[h]) for h in headings] == [body["totals"][c] for c in columns]
    assert len(groups) == len(body["groups"]) == 5
    for row, group in zip(groups, body["groups"], strict=True):
        assert (row["Mã cơ quan"], row["Mã tài khoản"]) == (group["agency_code"], group["merchant"])
        assert [int(row[h]) for h in headings] == [group["totals"][c] for c in columns]
    # The CSV's lines add up to its totals.
    lines = [row for row in rows if row["Dòng"] == "capture"]
    assert sum(int(row["Số tiền nhận (đồng)"]) for row in lines) == int(
        total["Số tiền nhận (đồng)"]
    )
    police_bank = [
        (row["Ngày"], row["Giờ"])
        for row in lines
        if (row["Mã cơ quan"], row["Mã tài khoản"]) == (LICENCE_AGENCY, BANK)
    ]
    assert police_bank[-1] == (money.day, "23:59:30")
    refunds = [row for row in rows if row["Dòng"] == "refund"]
    assert sum(int(row["Hoàn trong kỳ (đồng)"]) for row in refunds) == body["totals"]["refunded"]
    # The page shows the same figures.
    assert shown(page.text, "total-count") == str(body["totals"]["count"])
    for column in ("captured", "applied", "excess", "excess_refunded", "refunded"):
        cell = "total-" + column.replace("_", "-")
        assert shown(page.text, cell) == vnd(body["totals"][column])
    for n, group in enumerate(body["groups"], 1):
        assert shown(page.text, f"group-{n}-captured") == vnd(group["totals"]["captured"])
        assert shown(page.text, f"group-{n}-excess") == vnd(group["totals"]["excess"])


async def test_the_pages_refuse_whoever_may_not_see_them(
    payments_app: Litestar, people: PersonFactory, money: Money
) -> None:
    async with await signed_in(payments_app, await people()) as client:
        for path in ("/can-bo/doi-soat", "/can-bo/doi-soat.csv"):
            assert (await client.get(path, params={"ngay": money.day})).status_code == 403
        api = await client.get("/api/payments/reconciliation", params={"day": money.day})
        assert api.status_code == 403
        assert api.json()["error"]["message_vi"].startswith("Chỉ cán bộ tiếp nhận và lãnh đạo")
    ward = await people("staff", "reception", agency=WARD)
    async with await signed_in(payments_app, ward) as client:
        page = html.unescape(
            (await client.get("/can-bo/doi-soat", params={"ngay": money.day})).text
        )
        assert "Ủy ban nhân dân phường Hạc Thành" in page
        # Nothing of the police's money, nor the money of no agency.
        assert LICENCE_AGENCY not in page and "CHUYEN TIEN" not in page
        exported = parsed_csv(
            (await client.get("/can-bo/doi-soat.csv", params={"ngay": money.day})).content
        )
        assert {row["Mã cơ quan"] for row in exported if row["Dòng"] != "merchant"} <= {WARD, ""}
        assert {row["Mã cơ quan"] for row in exported if row["Dòng"] == "capture"} == {WARD}
        api = (await client.get("/api/payments/reconciliation", params={"day": money.day})).json()
        assert api["agency_code"] == WARD and api["totals"]["captured"] == 100_000


async def test_a_bad_day_is_named_in_both_languages(
    payments_app: Litestar, people: PersonFactory
) -> None:
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    async with await signed_in(payments_app, cashier) as client:
        api = await client.get(
            "/api/payments/reconciliation",
            params={"day": "2031-02-30"},
            headers={"Accept-Language": "en"},
        )
        assert api.status_code == 422
        error = api.json()["error"]
        assert error["field"] == "day"
        assert error["message_vi"] == "Hãy nhập một ngày có thật, dạng 2026-10-05 hoặc 05/10/2026."
        assert error["message_en"] == "Enter a real day, as 2026-10-05 or 05/10/2026."
        page = await client.get("/can-bo/doi-soat", params={"ngay": "30/02/2031"})
        assert page.status_code == 422
        assert 'href="#day"' in page.text and 'value="30/02/2031"' in page.text
        exported = await client.get(
            "/can-bo/doi-soat.csv", params={"ngay": "2031-03-01", "den": "2031-02-01"}
        )
        assert exported.status_code == 422
        assert "Ngày kết thúc phải từ ngày bắt đầu trở đi." in exported.text
        # A day to come: an empty report, no error.
        future = await client.get("/can-bo/doi-soat", params={"ngay": "2099-01-01"})
        assert future.status_code == 200 and 'id="nothing"' in future.text


# ------------------------------------------------------- money through real paths


def transfer(reference: str, amount: int, transaction_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "transaction_id": transaction_id,
            "account": VIETQR_ACCOUNT,
            "amount": amount,
            "description": f"CT DEN:0123 {reference.lower()} thanh toan le phi".strip(),
            "time": "2031-04-20T09:30:00+07:00",
        }
    ).encode()
    return body, {"x-signature": vietqr.webhook_signature(VIETQR_SECRET, body)}


async def test_money_sent_through_every_path_is_what_the_report_adds_up_to(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    http: httpx.AsyncClient,
) -> None:
    day = "2031-04-20"
    clock.now = at(day, "09:00:00").astimezone(dt.UTC)
    citizen = await people()
    sent: dict[tuple[str, str], int] = {}  # (agency, merchant) -> đồng sent

    def sending(agency: str, merchant: str, amount: int) -> None:
        sent[agency, merchant] = sent.get((agency, merchant), 0) + amount

    async def webhook(reference: str, amount: int, agency: str) -> str:
        body, signed = transfer(reference, amount, f"FT{next(_keys):010d}")
        answer = await http.post(WEBHOOK, content=body, headers=signed)
        assert answer.status_code == 200, answer.text
        # The bank resends; the money is counted once.
        assert (await http.post(WEBHOOK, content=body, headers=signed)).status_code == 200
        sending(agency, BANK, amount)
        return str(answer.json()["outcome"])

    async def ipn(order: Any, amount: int | None = None, transaction_no: str = "") -> None:
        params = notification(
            payments, order, amount=amount, transaction_no=transaction_no or str(next(_keys))
        )
        assert (await http.get(IPN, params=params)).status_code == 200
        assert (await http.get(IPN, params=params)).status_code == 200  # a retry
        sending(LICENCE_AGENCY, "MOTCUA01", order.amount if amount is None else amount)

    # Transfers: short then the rest, exact, over.
    short = await submitted_with_fees(runtime, citizen)
    order = await pay_order(payments, citizen, [short.id], provider="vietqr")
    await webhook(order.reference, 100_000, LICENCE_AGENCY)
    await webhook(order.reference, 15_000, LICENCE_AGENCY)
    exact = await submitted_with_fees(runtime, citizen)
    await webhook(
        (await pay_order(payments, citizen, [exact.id], provider="vietqr")).reference,
        exact.fee_total,
        LICENCE_AGENCY,
    )
    over = await submitted_with_fees(runtime, citizen)
    await webhook(
        (await pay_order(payments, citizen, [over.id], provider="vietqr")).reference,
        135_000,
        LICENCE_AGENCY,
    )
    # A transfer naming no order.
    await webhook("", 50_000, "")
    # Card payments through the sandbox merchant: exact, and the same dossier paid
    # again through a second order opened meanwhile (a duplicate).
    card = await submitted_with_fees(runtime, citizen)
    first = await pay_order(payments, citizen, [card.id])
    second = await pay_order(payments, citizen, [card.id], provider="vietqr")
    await ipn(first)
    await webhook(second.reference, 115_000, LICENCE_AGENCY)
    # Cash at the counter.
    cash = await submitted_with_fees(runtime, citizen)
    cashier = await people("staff", "reception", agency=LICENCE_AGENCY)
    await service.record_cash(payments, cashier, cash.id, "vi")
    sending(LICENCE_AGENCY, "cash", cash.fee_total)
    # Money at 23:59 belongs to the day; at 00:01 to the next.
    late = await submitted_with_fees(runtime, citizen)
    late_order = await pay_order(payments, citizen, [late.id], provider="vietqr")
    clock.now = at(day, "23:59:00").astimezone(dt.UTC)
    await webhook(late_order.reference, 60_000, LICENCE_AGENCY)
    clock.now = at("2031-04-21", "00:01:00").astimezone(dt.UTC)
    body, signed = transfer(late_order.reference, 55_000, f"FT{next(_keys):010d}")
    assert (await http.post(WEBHOOK, content=body, headers=signed)).status_code == 200

    leader = await people("staff", "leader", agency=CENTRE)
    report = await service.reconciliation(payments, leader, day)
    got = {(g.agency_code, g.merchant): g.totals.captured for g in report.groups}
    assert got == sent
    assert report.totals.captured == sum(sent.values())
    assert report.totals.captured == report.totals.applied + report.totals.excess
    excess = {
        (c.reason, c.amount - c.applied) for g in report.groups for c in g.captures if c.excess
    }
    assert ("overpaid", 20_000) in excess and ("unmatched", 50_000) in excess
    assert any(reason == "duplicate" for reason, _ in excess)
    # The next day holds the 00:01 transfer only (of this test's money).
    following = await service.reconciliation(payments, leader, "2031-04-21")
    assert [c.amount for g in following.groups for c in g.captures] == [55_000]
    # The police's cashier: the police's money only, the same figures.
    own = await service.reconciliation(payments, cashier, day)
    assert {(g.agency_code, g.merchant): g.totals.captured for g in own.groups} == {
        key: amount for key, amount in sent.items() if key[0] == LICENCE_AGENCY
    }
