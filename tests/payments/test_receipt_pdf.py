"""The electronic receipt as a PDF, read back with pypdf (its text) and pdfium with a
real QR decoder (its code)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import unicodedata
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp

from backend.i18n import format_number
from backend.payments.receipt_pdf import ReceiptLine, ReceiptView, render_receipt

VERIFY = "http://localhost:8000/bien-lai/BL26-000123?s=Zk3p9QwErTy-12345_abcdeFGHIJ"
VIEW = ReceiptView(
    template_symbol="01BLP0-001",
    symbol="TP-26E",
    number="0000123",
    # 01:30 UTC is 08:30 in Vietnam.
    issued_at=dt.datetime(2026, 11, 22, 1, 30, tzinfo=dt.UTC),
    agency_name="Sở Tư pháp tỉnh Thanh Hóa",
    agency_tax_code="2800123452",
    agency_address="Số 22 Hạc Thành, phường Hạc Thành",
    province_name="Tỉnh Thanh Hóa",
    payer_name="Công ty TNHH Thương mại Hồng Phát",
    payer_tax_code="0101234567",
    payer_address="15 Hạc Thành, phường Hạc Thành, tỉnh Thanh Hóa",
    items=[
        ReceiptLine("000.00.12.H56-261122-0001", "Lệ phí cấp bản sao trích lục hộ tịch", 8_000),
        ReceiptLine("000.00.12.H56-261122-0002", "Phí thẩm định hồ sơ cấp giấy phép", 107_000),
    ],
    total_vnd=115_000,
    collected_vnd=115_000,
    method="VNPay",
    transaction_ref="MCABCD234567 / 14226112",
    verify_url=VERIFY,
)


def pages(data: bytes) -> list[str]:
    """Each page's text, NFC, white space collapsed."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [
        " ".join(unicodedata.normalize("NFC", page.extract_text()).split()) for page in reader.pages
    ]


def test_amounts_are_written_the_vietnamese_way_in_either_language() -> None:
    # A receipt is a Vietnamese document: dots between thousands, the đồng sign after.
    view = dataclasses.replace(
        VIEW,
        items=[ReceiptLine("000.00.12.H56-261122-0001", "Lệ phí", 1_234_567_890)],
        total_vnd=1_234_567_890,
        collected_vnd=1_234_567_890,
        refunded_vnd=500,
    )
    [text] = pages(render_receipt(view))
    assert "1.234.567.890" in text and "1,234,567,890" not in text
    assert "Đã hoàn: 500 ₫ (Năm trăm đồng)" in text


def test_the_receipt_says_everything() -> None:
    data = render_receipt(VIEW)
    assert data.startswith(b"%PDF-")
    [text] = pages(data)
    for expected in (
        "TỈNH THANH HÓA",
        "SỞ TƯ PHÁP TỈNH THANH HÓA",
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "(Biên lai điện tử)",
        "Ký hiệu mẫu: 01BLP0-001",
        "Ký hiệu: TP-26E",
        "Số: 0000123",
        "Mã số thuế: 2800123452",
        "Số 22 Hạc Thành",
        "Ngày 22 tháng 11 năm 2026, lúc 08:30",
        "Công ty TNHH Thương mại Hồng Phát",
        "Mã số thuế: 0101234567",
        "15 Hạc Thành, phường Hạc Thành",
        "Lệ phí cấp bản sao trích lục hộ tịch",
        "8.000",
        "107.000",
        "Tổng cộng",
        "115.000",
        "Số tiền bằng chữ: Một trăm mười lăm nghìn đồng",
        "Hình thức thanh toán: VNPay",
        "MCABCD234567 / 14226112",
        "Quét mã để kiểm tra biên lai",
        "Trang 1/1",
    ):
        assert expected in text, expected
    assert "Đã hoàn" not in text


def test_a_person_without_tax_code_nor_address_and_a_refund() -> None:
    view = dataclasses.replace(
        VIEW,
        payer_name="Nguyễn Thị Lan",
        payer_tax_code=None,
        payer_address=" ",
        refunded_vnd=8_000,
    )
    [text] = pages(render_receipt(view))
    assert "Nguyễn Thị Lan" in text
    # Only the collecting agency's.
    assert text.count("Mã số thuế") == 1 and text.count("Địa chỉ") == 1
    assert "Đã hoàn: 8.000 ₫ (Tám nghìn đồng)" in text


def test_the_qr_code_leads_to_the_checking_page() -> None:
    page = pypdfium2.PdfDocument(render_receipt(VIEW))[0]
    image = page.render(scale=4).to_pil()
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert decoded == [VERIFY]


def test_the_same_receipt_gives_the_same_bytes() -> None:
    assert render_receipt(VIEW) == render_receipt(VIEW)


def test_long_names_and_many_items_flow_onto_further_pages() -> None:
    items = [
        ReceiptLine(
            f"000.00.12.H56-261122-{number:04d}",
            "Lệ phí đăng ký kinh doanh và phí cung cấp thông tin doanh nghiệp " * (number % 3 + 1),
            10_000 + number * 500,
        )
        for number in range(1, 31)
    ]
    view = dataclasses.replace(
        VIEW,
        payer_name="Công ty Cổ phần Đầu tư Xây dựng và Phát triển Hạ tầng Kỹ thuật " * 6,
        payer_address="Thôn Đông, xã Quảng Phú, tỉnh Thanh Hóa " * 4,
        items=items,
        total_vnd=sum(item.amount_vnd for item in items),
        collected_vnd=sum(item.amount_vnd for item in items),
    )
    texts = pages(render_receipt(view))
    assert len(texts) >= 2
    whole = " ".join(texts)
    # The headings repeat on every page the table reaches.
    assert all("Tên loại phí, lệ phí" in text for text in texts[:2])
    for item in items:
        assert item.dossier_code in whole
    assert f"Tổng cộng {format_number(view.total_vnd, 'vi')}" in whole
    assert re.search(r"Trang 2/\d", whole)
    assert "Quét mã để kiểm tra biên lai" in texts[-1]


@pytest.mark.parametrize(
    "change",
    [
        {"total_vnd": 115_001},
        {"items": []},
        {"refunded_vnd": 115_001},
        {"refunded_vnd": -1},
        {"collected_vnd": 115_001},
        {"collected_vnd": -1},
        {"collected_vnd": 100_000, "refunded_vnd": 100_001},
    ],
)
def test_a_contradictory_receipt_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        render_receipt(dataclasses.replace(VIEW, **change))


def test_a_receipt_of_an_agency_without_registration_and_a_short_payment() -> None:
    view = dataclasses.replace(
        VIEW, template_symbol="", symbol="", agency_tax_code="", collected_vnd=100_000
    )
    [text] = pages(render_receipt(view))
    assert "Ký hiệu mẫu: chưa đăng ký" in text and "Ký hiệu: chưa đăng ký" in text
    assert "Mã số thuế: chưa đăng ký" in text
    assert "Số tiền đã nộp: 100.000 ₫" in text
    assert "Số tiền bằng chữ: Một trăm nghìn đồng" in text


def test_a_legacy_receipt_keeps_the_number_it_was_shown_with() -> None:
    view = dataclasses.replace(VIEW, template_symbol="", symbol="MC26E", number="0000012")
    [text] = pages(render_receipt(view))
    assert "Ký hiệu: MC26E" in text and "Số: 0000012" in text
    assert "Ký hiệu mẫu" not in text


def test_the_rule_that_changed_an_amount_and_the_unsigned_signature() -> None:
    items = [
        ReceiptLine(
            "000.00.12.H56-261122-0001",
            "Lệ phí đăng ký khai sinh",
            0,
            rule="Miễn lệ phí khi nộp trực tuyến (Nghị quyết 12/2025/NQ-HĐND)",
        )
    ]
    view = dataclasses.replace(VIEW, items=items, total_vnd=0, collected_vnd=0)
    [text] = pages(render_receipt(view))
    assert "(Miễn lệ phí khi nộp trực tuyến (Nghị quyết 12/2025/NQ-HĐND))" in text
    assert "ĐƠN VỊ THU PHÍ, LỆ PHÍ (Chữ ký số)" in text
    assert "Biên lai chưa được ký số." in text
