"""Fee lines that add up (issue 16). A walk-through saw "Lệ phí 115.000 ₫ / Giảm khi nộp
trực tuyến −20.000 ₫ / Tổng cộng 115.000 ₫": the line showed the amount already lowered,
and its saving beside it as if still to be taken off. Every place that shows fees now
shows each fee at its base, what lowered it as a line of its own, what earlier payments
covered, and the total: the amounts shown add up to the total shown, read here from the
HTML and from the receipt's PDF as a person reads them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import itertools
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pypdf
import pytest
from litestar import Litestar

from backend.catalogue import service as catalogue
from backend.catalogue.schemas import FeeLine
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.tables import Dossier
from backend.payments.receipt_pdf import ReceiptView, render_receipt
from backend.payments.runtime import PaymentsRuntime
from backend.payments.service.receipts import items_of
from tests.accounts.helpers import Browser, Clock
from tests.payments.conftest import submitted_with_fees
from tests.payments.fee_tables import FeeTable, amount_of, fee_tables, total_shown
from tests.payments.test_money import _transfer_in
from tests.payments.test_pages import citizen, local, official, reference_of, sandbox, send
from tests.payments.test_service import pay_order

DEMO = Path(__file__).parents[2] / "backend" / "catalogue" / "demo_catalogue.json"
CHANNELS = ("online", "assisted", "counter", "post")
ON = dt.date(2026, 10, 5)
# The amounts column of the receipt's table starts at 162 mm from the page's left edge.
AMOUNT_COLUMN_PT = 162 / 25.4 * 72


def demo_cases() -> list[tuple[str, str, str, dict[str, str]]]:
    """(procedure, channel, group, answers): every demo procedure that has fees, on every
    channel, with no group and each group its rules name, each condition of its lines
    met in turn and a quantity of 3 for a per-copy line."""
    procedures = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
    cases = []
    for procedure in procedures:
        fees = procedure.get("fees") or []
        if not fees:
            continue
        rules = procedure.get("fee_rules") or []
        groups = ["", *sorted({rule["group"] for rule in rules if "group" in rule})]
        quantity = {f["per_field"]: "3" for f in fees if f.get("per_field")}
        conditions = [{f["when"]["field"]: f["when"]["equals"]} for f in fees if f.get("when")]
        for channel, group, answers in itertools.product(CHANNELS, groups, conditions or [{}]):
            cases.append((procedure["code"], channel, group, {**quantity, **answers}))
    return cases


def demo_lines(code: str, channel: str, group: str, answers: dict[str, str]) -> list[FeeLine]:
    procedure = next(
        p for p in json.loads(DEMO.read_text(encoding="utf-8"))["procedures"] if p["code"] == code
    )
    return catalogue.fee_lines(
        procedure["fees"],
        channel,
        answers,
        rules=procedure.get("fee_rules") or [],
        on=ON,
        agency_code="000.00.16.H56",
        group=group,
    )


def render_lines(app: Litestar, lines: list[FeeLine], lang: str, **options: Any) -> str:
    """The pages' fee-lines macro on its own, as every page draws it."""
    environment = app.template_engine.engine  # type: ignore[union-attr]
    template = environment.from_string(
        '{% from "payments/_macros.html" import fee_lines with context %}'
        "{{ fee_lines(lines, **options) }}"
    )
    drawn: str = template.render(lang=lang, lines=lines, options=options)
    return drawn


def pdf_amounts(data: bytes) -> tuple[list[int], int]:
    """The receipt's items column, as printed: the amounts of its rows, and its total."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    cells: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            cells.append((x, y, unicodedata.normalize("NFC", text).strip()))

    amounts: list[int] = []
    total: int | None = None
    for page in reader.pages:
        cells.clear()
        page.extract_text(visitor_text=visit)
        heading = [y for _, y, text in cells if text == "Số tiền (đồng)"]
        sums = [y for _, y, text in cells if text == "Tổng cộng"]
        for x, y, text in cells:
            if x < AMOUNT_COLUMN_PT or (heading and y >= heading[0]):
                continue
            if sums and y == sums[0]:
                total = amount_of(text)
            elif not sums or y > sums[0]:
                amounts.append(amount_of(text))
    assert total is not None, "no total on the receipt"
    return amounts, total


def receipt_of(lines: list[FeeLine], paid_before: int = 0) -> ReceiptView:
    total = sum(line.amount for line in lines) - paid_before
    return ReceiptView(
        template_symbol="01BLP0-001",
        symbol="CA-26E",
        number="0000001",
        issued_at=dt.datetime(2026, 10, 5, 2, 0, tzinfo=dt.UTC),
        agency_name="Công an tỉnh Thanh Hóa",
        agency_tax_code="2800123452",
        agency_address="",
        province_name="Tỉnh Thanh Hóa",
        payer_name="Đỗ Thị Thông",
        payer_tax_code=None,
        payer_address="",
        items=items_of("000.00.16.H56-261005-0001", lines),
        total_vnd=total,
        collected_vnd=total,
        method="VNPay",
        transaction_ref="MCABCD234567",
        verify_url="http://localhost:8000/bien-lai/1?k=abc",
        paid_before_vnd=paid_before,
    )


def only_table(page: str) -> FeeTable:
    [table] = fee_tables(page)
    return table


def assert_licence_online(
    table: FeeTable, reason: str = "Mức thu khi nộp hồ sơ trực tuyến"
) -> None:
    """The driving licence exchange filed online: 135.000 at the counter, 115.000 online."""
    assert [(row.kind, row.amount) for row in table.rows] == [
        ("fee-base", 135_000),
        ("fee-reduction", -20_000),
        ("fee-sum", 115_000),
    ]
    assert table.rows[1].label == reason and table.adds_up()


# ---------------------------------------------------------------- every demo case


def test_every_demo_procedure_and_channel_adds_up_on_the_page_and_the_receipt(
    payments_app: Litestar,
) -> None:
    cases = demo_cases()
    assert len(cases) > 100
    printed: set[tuple[tuple[int, int, str], ...]] = set()
    for code, channel, group, answers in cases:
        lines = demo_lines(code, channel, group, answers)
        assert lines, (code, channel, group, answers)
        owed = catalogue.fees_total(lines)
        for lang in ("vi", "en"):
            table = only_table(render_lines(payments_app, lines, lang, total=owed))
            case = (code, channel, group, answers, lang)
            assert table.adds_up(), case
            assert table.total == owed, case
            # Each fee at its base; a reduction only where one applied, never above it.
            assert [row.amount for row in table.rows if row.kind == "fee-base"] == [
                line.full_amount for line in lines
            ], case
            reductions = [row.amount for row in table.rows if row.kind == "fee-reduction"]
            assert all(amount < 0 for amount in reductions), case
            assert len(reductions) == sum(line.full_amount > line.amount for line in lines), case
        # The PDF of each distinct set of lines (receipts exist only for money paid).
        key = tuple((line.full_amount, line.amount, line.rule_vi) for line in lines)
        if owed and key not in printed:
            printed.add(key)
            amounts, total = pdf_amounts(render_receipt(receipt_of(lines)))
            assert sum(amounts) == total == owed, (code, channel, group, answers, amounts)
    assert len(printed) >= 5


def test_the_total_and_its_parts_when_part_was_paid_before(payments_app: Litestar) -> None:
    lines = demo_lines("1.002809", "online", "", {})
    table = only_table(render_lines(payments_app, lines, "vi", total=15_000, paid=100_000))
    assert [(row.kind, row.amount) for row in table.rows] == [
        ("fee-base", 135_000),
        ("fee-reduction", -20_000),
        ("fee-paid", -100_000),
        ("fee-sum", 15_000),
    ]
    assert table.rows[2].label == "Đã nộp trước đó" and table.adds_up()
    amounts, total = pdf_amounts(render_receipt(receipt_of(lines, paid_before=100_000)))
    assert amounts == [135_000, -20_000, -100_000] and total == 15_000


def test_a_receipt_whose_parts_do_not_add_up_is_refused() -> None:
    lines = demo_lines("1.002809", "online", "", {})
    view = receipt_of(lines)
    for bad in (
        {"total_vnd": 135_000, "collected_vnd": 135_000},  # the base taken for the total
        {"paid_before_vnd": -1},
        {"paid_before_vnd": 20_000},  # the total not lowered by it
    ):
        with pytest.raises(ValueError):
            render_receipt(dataclasses.replace(view, **bad))
    # A "reduction" upwards.
    raised = dataclasses.replace(view, items=[dataclasses.replace(view.items[0], full_vnd=100_000)])
    with pytest.raises(ValueError):
        render_receipt(raised)


def test_amounts_are_read_as_shown() -> None:
    assert amount_of("135.000\u00a0₫") == 135_000
    assert amount_of("−20.000 ₫") == -20_000
    assert amount_of("₫135,000") == 135_000 and amount_of("−₫20,000") == -20_000
    assert amount_of("Miễn phí") == 0
    for bad in ("", "một trăm", "1.2.3", "20.000 đồng/trang"):
        with pytest.raises(AssertionError):
            amount_of(bad)


# ---------------------------------------------------------------- the real pages


async def test_every_page_that_shows_the_fees_adds_them_up(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)

    for path in (f"/ho-so/{dossier.id}", f"/ho-so/{dossier.id}/bien-nhan"):
        assert_licence_online(only_table((await thong.browser.get(path)).text))
    pay = (await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan")).text
    assert_licence_online(only_table(pay))
    assert total_shown(pay, "total") == 115_000
    thong.browser.client.cookies.set("lang", "en")
    english = only_table((await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan")).text)
    assert english.adds_up() and english.rows[1].label == "Rate for online filing"
    thong.browser.client.cookies.set("lang", "vi")

    reception = await official(payments_app, open_browsers, "reception")
    assert_licence_online(only_table((await reception.get(f"/can-bo/ho-so/{dossier.id}")).text))

    started = await send(
        thong.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person", "provider": "sandbox"}
    )
    reference = reference_of(started.headers["location"])
    await local(
        thong.browser,
        (await sandbox(thong.browser, started.headers["location"], "success")).headers["location"],
    )
    receipt = (await thong.browser.get(f"/thanh-toan/{reference}/bien-lai")).text
    assert_licence_online(only_table(receipt))
    assert total_shown(receipt, "receipt-total") == 115_000
    pdf = await thong.browser.get(f"/thanh-toan/{reference}/bien-lai.pdf")
    assert pdf.status_code == 200
    assert pdf_amounts(pdf.content) == ([135_000, -20_000], 115_000)


async def test_a_dossier_fixed_before_fee_rules_adds_up_too(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    """The case the walk-through saw: lines kept without the rule that lowered them."""
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    legacy = [
        {**line, "rule_vi": "", "rule_en": ""} for line in msgspec.to_builtins(dossier.fee_lines)
    ]
    await Dossier.update({Dossier.fee_lines: legacy}).where(Dossier.id == dossier.id)
    for path in (f"/ho-so/{dossier.id}", f"/ho-so/{dossier.id}/thanh-toan"):
        page = (await thong.browser.get(path)).text
        assert_licence_online(only_table(page), reason="Giảm khi nộp trực tuyến")
        assert "115.000\u00a0₫</td>" not in page  # never the lowered amount as the fee


async def test_the_rest_of_a_short_payment_adds_up_and_its_receipt_prints(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    open_browsers: list[Browser],
    http: httpx.AsyncClient,
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    order = await pay_order(payments, thong.principal, [dossier.id], provider="vietqr")
    await _transfer_in(http, [], order.reference, 100_000)

    pay = (await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan")).text
    table = only_table(pay)
    assert [(row.kind, row.amount) for row in table.rows] == [
        ("fee-base", 135_000),
        ("fee-reduction", -20_000),
        ("fee-paid", -100_000),
        ("fee-sum", 15_000),
    ]
    assert total_shown(pay, "total") == 15_000

    rest = await _transfer_in(http, [], order.reference, 15_000)
    assert rest["status"] == "paid"
    page = (await thong.browser.get(f"/thanh-toan/{rest['payment']}/bien-lai")).text
    assert only_table(page).adds_up() and total_shown(page, "receipt-total") == 15_000
    # Before issue 16 this receipt could not be printed (its items came to 115.000).
    pdf = await thong.browser.get(f"/thanh-toan/{rest['payment']}/bien-lai.pdf")
    assert pdf.status_code == 200
    assert pdf_amounts(pdf.content) == ([135_000, -20_000, -100_000], 15_000)


async def test_the_procedure_pages_online_amounts_add_up(client: httpx.AsyncClient) -> None:
    """Each demo procedure's page: a line's online amount is its fee less the discount."""
    shown = 0
    for procedure in json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]:
        page = html.unescape((await client.get(f"/p/{procedure['code']}")).text)
        found = re.findall(r"nộp trực tuyến: ([^−<]+) − ([^=<]+) = ([^<]+)</strong>", page)
        lowered = [
            fee
            for fee in procedure.get("fees") or []
            if fee.get("online_amount") is not None and fee["online_amount"] < fee["amount"]
        ]
        assert len(found) == len(lowered), procedure["code"]
        for (full, discount, amount), fee in zip(found, lowered, strict=True):
            assert amount_of(full) == fee["amount"] and amount_of(amount) == fee["online_amount"]
            assert amount_of(full) - amount_of(discount) == amount_of(amount), procedure["code"]
        shown += len(found)
    assert shown >= 5
