"""Payments follow the agency: the agency that received a dossier takes its fees and
issues their receipt, so one order pays the dossiers of one receiving agency. A business
with dossiers at a ward and at a department gets one group, one order and one receipt
per agency; a request mixing agencies, or holding someone else's dossier, is refused
with nothing made; the same request made again answers the same order; cash taken
after a transfer is headed by the agency whose official took it."""

from __future__ import annotations

import asyncio
import html
import importlib
import io
import re
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pypdf
import pytest
from litestar import Litestar

from backend.catalogue.tables import Agency, Procedure, Provision
from backend.db import fetch
from backend.db.dialect import is_postgres
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.payments import service
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import PaymentRead, PaymentStart
from backend.payments.tables import Payment, PaymentDossier
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import PersonFactory
from tests.payments.conftest import (
    LICENCE_AGENCY,
    WARD,
    organisation_of,
    submitted_at_ward,
    submitted_with_fees,
)
from tests.payments.test_pages import citizen, local, sandbox, text_of

POLICE = "Công an tỉnh Thanh Hóa (Bộ phận một cửa)"
HAC_THANH = "Ủy ban nhân dân phường Hạc Thành"
NGA_AN = "000.03.40.H56"
JUSTICE = "000.00.12.H56"  # Sở Tư pháp
# Phiếu lý lịch tư pháp: 200.000 đồng, paid before the result (so received unpaid).
RECORD = "2.000488"
RECORD_ANSWERS = {"purpose": "so1", "copies": "1", "residence": "Thôn 3", "reduced": "khong"}


async def orders_of(account_id: int) -> int:
    return await Payment.count().where(Payment.account_id == account_id)


def start(ids: list[int], **choice: Any) -> PaymentStart:
    return PaymentStart(dossier_ids=ids, provider=choice.pop("provider", "sandbox"), **choice)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def issuer(page: str) -> str:
    found = re.search(r'<p class="receipt-issuer">(.*?)</p>', page, re.S)
    assert found, "no issuer"
    return html.unescape(found.group(1))


def groups(page: str) -> dict[str, tuple[str, set[int]]]:
    """The batch page's groups: id → (the agency it pays, the dossiers in it)."""
    found = {}
    for key, body in re.findall(
        r'<form [^>]*class="pay-group" id="([^"]+)"(.*?)</form>', page, re.S
    ):
        agency = re.search(r'<span class="group-agency">(.*?)</span>', body, re.S)
        assert agency, key
        ids = {int(i) for i in re.findall(r'name="ho-so" value="(\d+)"', body)}
        found[key] = (html.unescape(agency.group(1)), ids)
    return found


# ------------------------------------------------------- one agency per order


async def test_a_business_pays_a_wards_and_a_departments_dossiers_in_one_order_each(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    director = await citizen(payments_app, open_browsers, name="Lê Văn Giám")
    me = director.principal
    company = await organisation_of(payments_app, me, 330_000_000 + me.account_id)
    ward = await submitted_at_ward(runtime, me, organisation_id=company)
    first = await submitted_with_fees(runtime, me, organisation_id=company)
    second = await submitted_with_fees(runtime, me, organisation_id=company)
    assert (ward.receiving_agency, ward.fee_total, ward.payment_status) == (WARD, 8_000, "unpaid")
    assert first.receiving_agency == LICENCE_AGENCY
    browser = director.browser

    # The batch page: one group, and one pay button, per agency.
    listed = groups(text_of(await browser.get("/thanh-toan")))
    assert sorted(listed.values(), key=lambda group: group[0]) == [
        (f"Nộp cho {POLICE}", {first.id, second.id}),
        (f"Nộp cho {HAC_THANH}", {ward.id}),
    ]

    # Mixing them is refused, naming the field, each agency and its dossiers, in both
    # languages; nothing is made.
    mixed = {"dossier_ids": [ward.id, first.id], "provider": "sandbox", "payer": "organisation"}
    for path in ("/api/payments/", "/api/payments/quote"):
        body = mixed if path.endswith("/") else {"dossier_ids": mixed["dossier_ids"]}
        refused = await browser.post(path, json=body)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["error"]["field"] == "dossier_ids"
        assert "cùng một cơ quan" in problem["error"]["message_vi"]
        assert "same agency" in problem["error"]["message_en"]
        reasons = [(p["name"], p["reason_vi"], p["reason_en"]) for p in problem["invalid_params"]]
        assert [name for name, _, _ in reasons] == ["dossier_ids"] * 3
        assert reasons[1][1] == f"Nộp cho Ủy ban nhân dân phường Hạc Thành: hồ sơ {ward.code}."
        assert reasons[1][2].startswith("Paid to ") and ward.code in reasons[1][2]  # type: ignore[operator]
        assert POLICE in reasons[2][1] and first.code in reasons[2][1]  # type: ignore[operator]
    assert await orders_of(me.account_id) == 0
    # The pay step of a mixed choice says why and offers no form.
    page = await browser.get("/thanh-toan/chon", params=[("ho-so", ward.id), ("ho-so", first.id)])
    shown = text_of(page)
    assert "cùng một cơ quan" in shown and '<form method="post"' not in page.text
    assert 'href="/thanh-toan"' in shown

    # One order per agency, each recording the agency it pays.
    police_step = text_of(
        await browser.get("/thanh-toan/chon", params=[("ho-so", first.id), ("ho-so", second.id)])
    )
    assert f"Nộp cho {POLICE}, cơ quan tiếp nhận hồ sơ" in police_step
    made = await browser.post(
        "/api/payments/",
        json={"dossier_ids": [first.id, second.id], "provider": "sandbox", "payer": "organisation"},
    )
    assert made.status_code == 201, made.text
    police = msgspec.convert(made.json(), PaymentRead)
    made = await browser.post(
        "/api/payments/",
        json={"dossier_ids": [ward.id], "provider": "sandbox", "payer": "organisation"},
    )
    wards = msgspec.convert(made.json(), PaymentRead)
    assert (police.agency_code, police.amount) == (LICENCE_AGENCY, 230_000)
    assert (wards.agency_code, wards.amount) == (WARD, 8_000)
    for order in (police, wards):
        assert order.redirect_url
        await sandbox(browser, order.redirect_url, "success")

    # Each receipt is headed by its own agency, and only by it: HTML, PDF, public check.
    for order, agency, other, total, words in (
        (police, POLICE, HAC_THANH, "230.000\u00a0₫", "Hai trăm ba mươi nghìn đồng"),
        (wards, HAC_THANH, "Công an", "8.000\u00a0₫", "Tám nghìn đồng"),
    ):
        status = text_of(await browser.get(f"/thanh-toan/{order.reference}"))
        assert re.search(rf'id="payment-agency">{re.escape(agency)}<', status)
        receipt = await browser.get(f"/thanh-toan/{order.reference}/bien-lai")
        page = text_of(receipt)
        assert agency in issuer(page) and other not in issuer(page)
        assert re.search(rf'id="receipt-total">{total}<', page) and words in page
        pdf = pdf_text((await browser.get(f"/thanh-toan/{order.reference}/bien-lai.pdf")).content)
        assert agency.upper() in pdf
        assert other not in pdf and other.upper() not in pdf
        verify = re.search(
            r'href="(http://localhost:8000/bien-lai/\d+\?k=[^"]+)" id="verify-link"', page
        )
        assert verify
        check = text_of(await local(browser, html.unescape(verify.group(1))))
        assert re.search(rf'id="receipt-agency">{re.escape(agency)}<', check)
    # English readers see the agencies' English names.
    english = await browser.get(
        f"/thanh-toan/{wards.reference}/bien-lai", headers={"accept-language": "en"}
    )
    assert "Hac Thanh Ward People's Committee" in issuer(text_of(english))

    for dossier in (ward, first, second):
        assert (await dossiers.get_dossier(runtime, me, dossier.id)).payment_status == "paid"
    total = await fetch(
        "SELECT SUM(amount) AS total FROM payments_payment WHERE account_id = {}", me.account_id
    )
    assert int(total[0]["total"]) == 238_000 == ward.fee_total + first.fee_total + second.fee_total
    assert 'id="nothing-due"' in (await browser.get("/thanh-toan")).text


async def test_two_wards_are_two_agencies(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    here = await submitted_at_ward(runtime, citizen)
    there = await submitted_at_ward(runtime, citizen, agency=NGA_AN)
    with pytest.raises(InvalidInput) as mixed:
        await service.quote(payments, citizen, [here.id, there.id])
    assert mixed.value.field == "dossier_ids"
    assert "Ủy ban nhân dân xã Nga An" in mixed.value.problems[2].message.render("vi")
    quote = await service.quote(payments, citizen, [there.id])
    assert (quote.agency_code, quote.agency_name_vi) == (NGA_AN, "Ủy ban nhân dân xã Nga An")
    assert quote.total == 8_000


# ------------------------------------------------ someone else's, and bad input


async def test_someone_elses_dossier_in_a_batch_is_refused_and_nothing_is_made(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    buyer = await citizen(payments_app, open_browsers, name="Trần Thị Mua")
    owner = await people()
    company = await organisation_of(payments_app, owner, 340_000_000 + owner.account_id)
    mine = await submitted_with_fees(runtime, buyer.principal)
    theirs = await submitted_with_fees(runtime, owner)
    companys = await submitted_with_fees(runtime, owner, organisation_id=company)
    for other in (theirs, companys):
        with pytest.raises(NotFound):
            await service.start(
                payments, buyer.principal, start([mine.id, other.id]), client_ip="", lang="vi"
            )
        answer = await buyer.browser.post(
            "/api/payments/", json={"dossier_ids": [mine.id, other.id], "provider": "sandbox"}
        )
        # Not found, as a dossier that does not exist: ids reveal nothing.
        assert answer.status_code == 404 and answer.json()["error"]["field"] == "dossier"
    missing = await buyer.browser.post(
        "/api/payments/", json={"dossier_ids": [mine.id, 10**9], "provider": "sandbox"}
    )
    assert missing.status_code == 404
    for wrong in (
        {"dossier_ids": [], "provider": "sandbox"},
        {"dossier_ids": ["một"], "provider": "sandbox"},
        {"dossier_ids": list(range(1, 52)), "provider": "sandbox"},
        {"dossier_ids": mine.id, "provider": "sandbox"},
        {"dossier_ids": [mine.id], "provider": "sandbox", "agency_code": WARD},
        {"dossier_ids": [mine.id], "provider": "sandbox", "amount": 1},
    ):
        refused = await buyer.browser.post("/api/payments/", json=wrong)
        assert refused.status_code == 400, wrong
    assert await orders_of(buyer.principal.account_id) == 0
    assert (
        await PaymentDossier.count().where(
            PaymentDossier.dossier_id.is_in([mine.id, theirs.id, companys.id])
        )
        == 0
    )
    # Officials do not pay online, not even their own agency's dossiers.
    official = await people("staff", "reception", agency=LICENCE_AGENCY)
    with pytest.raises(Forbidden):
        await service.start(payments, official, start([theirs.id]), client_ip="", lang="vi")


# --------------------------------------------------------------------- replays


async def test_a_replayed_batch_request_answers_the_same_order(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    director = await citizen(payments_app, open_browsers, name="Phạm Văn Lặp")
    me = director.principal
    company = await organisation_of(payments_app, me, 350_000_000 + me.account_id)
    first = await submitted_with_fees(runtime, me, organisation_id=company)
    second = await submitted_with_fees(runtime, me, organisation_id=company)
    body = {"dossier_ids": [first.id, second.id], "provider": "sandbox", "payer": "organisation"}

    # Sent several times at once (a double click, a retry): one order.
    data = start([second.id, first.id, second.id], payer="organisation")
    made = await asyncio.gather(
        *(service.start(payments, me, data, client_ip="", lang="vi") for _ in range(5))
    )
    assert len({order.reference for order in made}) == 1
    assert await orders_of(me.account_id) == 1
    # Sent again later, through the API: the same order, the same way to pay it.
    answers = [await director.browser.post("/api/payments/", json=body) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert {a.json()["reference"] for a in answers} == {made[0].reference}
    assert answers[0].json()["redirect_url"] == answers[1].json()["redirect_url"]
    assert await orders_of(me.account_id) == 1
    # Another choice is another order: a bank transfer, or one of the two dossiers.
    transfer = await service.start(
        payments,
        me,
        start([first.id, second.id], provider="vietqr", payer="organisation"),
        client_ip="",
        lang="vi",
    )
    part = await service.start(
        payments, me, start([first.id], payer="organisation"), client_ip="", lang="vi"
    )
    assert len({transfer.reference, part.reference, made[0].reference}) == 3

    # Once it is paid, the same request owes nothing and makes nothing.
    redirect = answers[0].json()["redirect_url"]
    await sandbox(director.browser, redirect, "success")
    again = await director.browser.post("/api/payments/", json=body)
    assert again.status_code == 422 and again.json()["error"]["field"] == "dossier_ids"
    assert await orders_of(me.account_id) == 3

    # An order that has run out is not given again: the same request then makes a new one.
    third = await submitted_with_fees(runtime, me)
    late = await service.start(payments, me, start([third.id]), client_ip="", lang="vi")
    clock.advance(minutes=60)
    fresh = await service.start(payments, me, start([third.id]), client_ip="", lang="vi")
    assert fresh.reference != late.reference and fresh.status == "pending"


# ------------------------------------------------------------ cash, transfers


@pytest.fixture
async def justice_also_issues_records() -> AsyncIterator[None]:
    """Sở Tư pháp carries out the criminal record certificate too, for this test: a
    dossier of it may then be transferred there from the police."""
    procedure = await Procedure.select(Procedure.id).where(Procedure.code == RECORD).first()
    agency = await Agency.select(Agency.id).where(Agency.code == JUSTICE).first()
    assert procedure and agency
    rows = await Provision.insert(
        Provision(procedure=procedure["id"], agency=agency["id"], note_vi="", note_en="")
    ).returning(Provision.id)
    yield
    await Provision.delete().where(Provision.id == rows[0]["id"])


async def act(
    runtime: DossiersRuntime, who: Any, dossier_id: int, action: str, **more: Any
) -> DossierRead:
    current = await dossiers.get_dossier(runtime, who, dossier_id)
    return await dossiers.act(
        runtime,
        who,
        dossier_id,
        ActionIn(action=action, version=current.version, **more),  # type: ignore[arg-type]
    )


async def test_after_a_transfer_cash_is_the_holders_and_online_the_receivers(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
    justice_also_issues_records: None,
) -> None:
    applicant = await people()
    police_reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    police_processing = await people("staff", "processing", agency=LICENCE_AGENCY)
    justice_reception = await people("staff", "reception", agency=JUSTICE, name="Lê Thu Tiền")
    moved = []
    for _ in range(2):
        dossier = await submitted_with_fees(
            runtime, applicant, procedure=RECORD, agency=LICENCE_AGENCY, answers=RECORD_ANSWERS
        )
        await act(runtime, police_reception, dossier.id, "receive")
        await act(
            runtime,
            police_reception,
            dossier.id,
            "assign",
            assignee_id=police_processing.account_id,
        )
        dossier = await act(
            runtime, police_processing, dossier.id, "transfer", target_agency=JUSTICE
        )
        assert (dossier.receiving_agency, dossier.agency_code) == (LICENCE_AGENCY, JUSTICE)
        assert (dossier.payment_status, dossier.fee_total) == ("unpaid", 200_000)
        moved.append(dossier)
    cash, online = moved

    # Only the agency holding the dossier takes its cash, and heads that receipt.
    with pytest.raises(Forbidden):
        await service.record_cash(payments, police_reception, cash.id, "vi")
    state = await service.record_cash(payments, justice_reception, cash.id, "vi")
    [taken] = state.payments
    assert (taken.agency_code, taken.recorded_by_name) == (JUSTICE, "Lê Thu Tiền")
    receipt = await service.receipt_of(payments, justice_reception, taken.reference, "vi")
    assert receipt.agency_name_vi == "Sở Tư pháp tỉnh Thanh Hóa"
    text = pdf_text(await service.render_receipt(payments, receipt))
    assert "SỞ TƯ PHÁP TỈNH THANH HÓA" in text and "CÔNG AN" not in text
    # The applicant sees the same receipt, headed the same way.
    mine = await service.receipt_of(payments, applicant, taken.reference, "en")
    assert mine.agency_name_vi == "Sở Tư pháp tỉnh Thanh Hóa" and mine.number == receipt.number

    # Paid online, the fees go to the agency that received the dossier.
    order = await service.start(payments, applicant, start([online.id]), client_ip="", lang="vi")
    assert order.agency_code == LICENCE_AGENCY and order.amount == 200_000


# ------------------------------------------------------------------ migration


async def test_orders_made_before_keep_the_agency_that_headed_their_receipt(
    payments: PaymentsRuntime, clock: Clock
) -> None:
    migration = importlib.import_module("migrations.payments.payments_2026_12_06t23_33_03_000000")
    old = {
        "dossier_id": 1,
        "code": "000.01.40.H56-261005-0001",
        "procedure_name_vi": "x",
        "procedure_name_en": "x",
        "agency_code": WARD,
        "fee_lines": [],
        "amount": 1,
        "owner_id": None,
        "organisation_id": None,
    }
    made = []
    for lines in ([old, {**old, "agency_code": LICENCE_AGENCY}], []):
        rows = await Payment.insert(
            Payment(
                reference=f"MCOLD{len(made)}{clock().microsecond:06d}"[:16],
                provider="cash",
                status="paid",
                amount=1,
                payer_kind="person",
                account_id=1,
                payer_name="Người nộp",
                lines=lines,
                created_at=clock(),
                created_ms=0,
                expires_ms=0,
                check_ms=0,
            )
        ).returning(Payment.id)
        made.append(rows[0]["id"])
    await fetch(migration.POSTGRES if is_postgres() else migration.SQLITE)
    found = await Payment.select(Payment.id, Payment.agency_code).where(Payment.id.is_in(made))
    assert {row["id"]: row["agency_code"] for row in found} == {made[0]: WARD, made[1]: ""}
    await Payment.delete().where(Payment.id.is_in(made))
