"""The receipt as the law has it: numbered without gaps per agency, symbol and year,
even under concurrent settlements and rollbacks; its legal fields read back from the
PDF with pypdf; its XML data well-formed, equal to the PDF and only for whom may see
it; the collecting agency's tax code and symbols checked where the agency is edited."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import itertools
import unicodedata
import xml.etree.ElementTree as ET

import httpx
import pypdf
import pytest
from litestar import Litestar

from backend.catalogue import service as catalogue
from backend.db import Database, write_transaction
from backend.dossiers.runtime import DossiersRuntime
from backend.errors import InvalidInput
from backend.payments import service
from backend.payments.runtime import PaymentsRuntime
from backend.payments.service.receipts import issue
from backend.payments.tables import Payment, Receipt, ReceiptSeries
from tests.accounts.helpers import Browser
from tests.catalogue.test_agency_admin import PROVINCE, messages
from tests.payments.conftest import LICENCE_AGENCY, submitted_with_fees
from tests.payments.test_pages import citizen
from tests.payments.test_service import IPN, notification, pay_order

# Ủy ban nhân dân xã Thọ Xuân: no other test pays there.
AGENCY = "000.13.40.H56"
_references = itertools.count(1)


async def _order(agency: str, amount: int = 50_000) -> int:
    """A paid order of the agency, made straight in the database; its id."""
    now = dt.datetime.now(dt.UTC)
    rows = await Payment.insert(
        Payment(
            reference=f"LG{next(_references):010d}",
            provider="cash",
            status="paid",
            amount=amount,
            received_amount=amount,
            payer_kind="person",
            agency_code=agency,
            account_id=1,
            payer_name="Lê Văn Nam",
            created_at=now,
            created_ms=0,
            expires_ms=0,
            check_ms=0,
            paid_at=now,
        )
    ).returning(Payment.id)
    return int(rows[0]["id"])


async def _last(agency: str, symbol: str, year: int) -> int:
    rows = await ReceiptSeries.select(ReceiptSeries.last_number).where(
        (ReceiptSeries.agency_code == agency)
        & (ReceiptSeries.symbol == symbol)
        & (ReceiptSeries.year == year)
    )
    return int(rows[0]["last_number"]) if rows else 0


async def _issued(payment_id: int, at: dt.datetime) -> int:
    async with write_transaction():
        return await issue(payment_id, AGENCY, 50_000, at)


async def _numbering(receipt_ids: list[int]) -> list[tuple[str, str, int, int]]:
    rows = await Receipt.select(
        Receipt.template_symbol, Receipt.symbol, Receipt.year, Receipt.number
    ).where(Receipt.id.is_in(receipt_ids))
    return sorted((r["template_symbol"], r["symbol"], r["year"], r["number"]) for r in rows)


# ---------------------------------------------------------------- numbering


async def test_thirty_receipts_at_once_are_numbered_without_gaps(database: Database) -> None:
    at = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    orders = [await _order(AGENCY) for _ in range(30)]
    before = await _last(AGENCY, "MC-26E", 2026)
    # Each in its own transaction (its own connection on PostgreSQL), all at once.
    ids = await asyncio.gather(*(_issued(order, at) for order in orders))
    assert len(set(ids)) == 30
    numbering = await _numbering(ids)
    assert numbering == [("01BLP0-001", "MC-26E", 2026, before + n) for n in range(1, 31)]
    assert await _last(AGENCY, "MC-26E", 2026) == before + 30


async def test_a_rolled_back_issue_leaves_no_gap_and_a_replay_takes_no_number(
    database: Database,
) -> None:
    at = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    before = await _last(AGENCY, "MC-26E", 2026)
    lost = await _order(AGENCY)

    async def failed_settlement() -> None:
        async with write_transaction():
            await issue(lost, AGENCY, 50_000, at)
            raise RuntimeError("the settlement failed after its receipt")

    with pytest.raises(RuntimeError):
        await failed_settlement()
    assert await Receipt.count().where(Receipt.payment == lost) == 0
    kept = await _order(AGENCY)
    first = await _issued(kept, at)
    assert await _numbering([first]) == [("01BLP0-001", "MC-26E", 2026, before + 1)]
    # The same settlement again finds its receipt and takes no number.
    assert await _issued(kept, at) == first
    assert await _last(AGENCY, "MC-26E", 2026) == before + 1


async def test_each_year_starts_again_at_one_by_the_vietnamese_calendar(
    database: Database,
) -> None:
    # 16:30 UTC on 31 December is 23:30 in Vietnam; 17:30 is already 1 January.
    late = await _issued(await _order(AGENCY), dt.datetime(2030, 12, 31, 16, 30, tzinfo=dt.UTC))
    early = await _issued(await _order(AGENCY), dt.datetime(2030, 12, 31, 17, 30, tzinfo=dt.UTC))
    again = await _issued(await _order(AGENCY), dt.datetime(2031, 1, 2, 2, 0, tzinfo=dt.UTC))
    assert await _numbering([late, early, again]) == [
        ("01BLP0-001", "MC-30E", 2030, 1),
        ("01BLP0-001", "MC-31E", 2031, 1),
        ("01BLP0-001", "MC-31E", 2031, 2),
    ]


async def test_an_agency_without_registered_symbols_numbers_its_own_series(
    database: Database,
) -> None:
    at = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    unknown = "999.99.99.H56"
    ids = []
    for _ in range(2):
        async with write_transaction():
            ids.append(await issue(await _order(unknown), unknown, 10_000, at))
    assert await _numbering(ids) == [("", "", 2026, 1), ("", "", 2026, 2)]


# ---------------------------------------------------------------- the documents


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


async def test_the_legal_fields_read_back_from_the_pdf_and_the_xml(
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    payments_app: Litestar,
    http: httpx.AsyncClient,
    open_browsers: list[Browser],
) -> None:
    person = await citizen(payments_app, open_browsers, "Trịnh Văn Hùng")
    dossier = await submitted_with_fees(runtime, person.principal)
    payment = await pay_order(payments, person.principal, [dossier.id])
    await http.get(IPN, params=notification(payments, payment))
    receipt = await service.receipt_of(payments, person.principal, payment.reference, "vi")
    police = await catalogue.get_agency(LICENCE_AGENCY)
    assert (receipt.template_symbol, receipt.symbol) == ("01BLP0-001", "MC-26E")
    assert receipt.number.isdigit() and len(receipt.number) == 7
    assert receipt.agency_tax_code == police.tax_code != ""

    text = _pdf_text(await service.render_receipt(payments, receipt))
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Ký hiệu mẫu: 01BLP0-001",
        "Ký hiệu: MC-26E",
        f"Số: {receipt.number}",
        police.name_vi.upper(),
        f"Mã số thuế: {police.tax_code}",
        "Trịnh Văn Hùng",
        "Số tiền bằng chữ: Một trăm mười lăm nghìn đồng",
        "115.000",
        "ĐƠN VỊ THU PHÍ, LỆ PHÍ (Chữ ký số)",
        "Biên lai chưa được ký số.",
    ):
        assert expected in text, expected

    own = await person.browser.get(f"/thanh-toan/{payment.reference}/bien-lai.xml")
    assert own.status_code == 200
    assert own.headers["content-type"].startswith("application/xml")
    name = f"bien-lai-MC-26E-{receipt.number}.xml"
    assert own.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert own.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(own.content)
    common = root.find("DLBLai/TTChung")
    assert common is not None
    assert common.findtext("KHMSCTu") == "01BLP0-001"
    assert common.findtext("KHCTu") == "MC-26E"
    assert common.findtext("SCTu") == receipt.number
    assert (
        common.findtext("NLap")
        == receipt.issued_at.astimezone(dt.timezone(dt.timedelta(hours=7))).date().isoformat()
    )
    assert root.findtext("DLBLai/NDBLai/TCThu/Ten") == police.name_vi
    assert root.findtext("DLBLai/NDBLai/TCThu/MST") == police.tax_code
    assert root.findtext("DLBLai/NDBLai/NNTien/Ten") == "Trịnh Văn Hùng"
    assert root.findtext("DLBLai/NDBLai/TToan/TgTTTBSo") == "115000"
    words = root.findtext("DLBLai/NDBLai/TToan/TgTTTBChu")
    assert words == "Một trăm mười lăm nghìn đồng" and words in text
    fees = root.findall("DLBLai/NDBLai/DSKThu/KThu")
    assert sum(int(f.findtext("STien") or "") for f in fees) == 115_000
    assert all((f.findtext("TKThu") or "") in text for f in fees)
    assert "Chưa xác minh" in own.text  # the unconfirmed names are said

    # Someone else's receipt is not found; the public check gives it with its key only.
    other = await citizen(payments_app, open_browsers, "Người Khác")
    assert (
        await other.browser.get(f"/thanh-toan/{payment.reference}/bien-lai.xml")
    ).status_code == 404
    key = httpx.URL(receipt.verify_url).params["k"]
    public = await http.get(f"/bien-lai/{receipt.id}/du-lieu.xml", params={"k": key})
    assert public.status_code == 200 and public.content == own.content
    assert public.headers["x-robots-tag"] == "noindex"
    forged = await http.get(f"/bien-lai/{receipt.id}/du-lieu.xml", params={"k": "A" * 16})
    assert forged.status_code == 404
    page = await other.browser.get(httpx.URL(receipt.verify_url).raw_path.decode())
    assert f"/bien-lai/{receipt.id}/du-lieu.xml?k={key}" in page.text


# ---------------------------------------------------------------- the collecting agency


@pytest.mark.parametrize(
    ("tax_code", "template", "symbol", "fields"),
    [
        # A person's 12-digit number is a household business's tax code, not an agency's.
        ("001099012345", "01BLP0-001", "MC", ["tax_code"]),
        ("2800123453", "01BLP0-001", "MC", ["tax_code"]),  # wrong check digit
        ("2800123452-000", "01BLP0-001", "MC", ["tax_code"]),
        ("2800123452", "01BLP-001", "mc1", ["receipt_template", "receipt_symbol"]),
        ("2800123452", "01BLP0-001", "", ["receipt_symbol"]),
    ],
)
async def test_an_agency_s_tax_code_and_symbols_are_checked(
    database: Database, tax_code: str, template: str, symbol: str, fields: list[str]
) -> None:
    before = await catalogue.get_agency(AGENCY)
    details = catalogue.AgencyDetails(
        address=before.address,
        tax_code=tax_code,
        receipt_template=template,
        receipt_symbol=symbol,
    )
    with pytest.raises(InvalidInput) as refused:
        await catalogue.update_agency(PROVINCE, AGENCY, details)
    found = messages(refused.value)
    assert list(found) == fields
    assert all(vi and en and vi != en for vi, en in found.values())
    assert await catalogue.get_agency(AGENCY) == before


async def test_an_agency_s_tax_code_is_kept_without_its_dash(database: Database) -> None:
    before = await catalogue.get_agency(AGENCY)
    saved = await catalogue.update_agency(
        PROVINCE,
        AGENCY,
        catalogue.AgencyDetails(
            address=before.address,
            hours_vi=before.hours_vi,
            hours_en=before.hours_en,
            phone=before.phone,
            tax_code=" 2800123452-001 ",
            receipt_template="01blp0-001",
            receipt_symbol="tx",
        ),
    )
    assert (saved.tax_code, saved.receipt_template, saved.receipt_symbol) == (
        "2800123452001",
        "01BLP0-001",
        "TX",
    )
    await catalogue.update_agency(
        PROVINCE,
        AGENCY,
        catalogue.AgencyDetails(
            address=before.address,
            hours_vi=before.hours_vi,
            hours_en=before.hours_en,
            phone=before.phone,
            tax_code=before.tax_code,
            receipt_template=before.receipt_template,
            receipt_symbol=before.receipt_symbol,
        ),
    )
