"""The A4 sheet of our documents: Vietnamese text that survives into the PDF, the
footer that names the document on every page, people's text made printable."""

from __future__ import annotations

import datetime as dt

import pypdfium2

from backend.documents import a4_sheet, one_line, printable


def _text_of(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def test_text_and_fields_print_vietnamese_and_each_page_names_the_document() -> None:
    sheet = a4_sheet(
        "Biên nhận hồ sơ 000.00.12.H56-261125-0001",
        title="Giấy tiếp nhận hồ sơ",
        author="Sở Tư pháp",
        created=dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC),
        margins=(25.0, 15.0, 15.0, 18.0),
    )
    sheet.text_block("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", style="B", align="C")
    sheet.field_line("Họ và tên người nộp", "Nguyễn Thị Hằng", bold=True)
    sheet.field_line("Địa chỉ", "", blank="………")
    for _ in range(60):
        sheet.text_block("Đoạn văn dài để sang trang thứ hai.")
    pages = _text_of(bytes(sheet.output()))
    assert len(pages) == 2
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pages[0]
    assert "Họ và tên người nộp: Nguyễn Thị Hằng" in pages[0]
    assert "Địa chỉ: ………" in pages[0]
    assert "Biên nhận hồ sơ 000.00.12.H56-261125-0001 · Trang 2/2" in pages[1]


def test_the_same_document_gives_the_same_bytes() -> None:
    def draw() -> bytes:
        sheet = a4_sheet(
            "x",
            title="t",
            author="a",
            created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            margins=(20.0, 15.0, 15.0, 18.0),
        )
        sheet.text_block("Một Cửa")
        return bytes(sheet.output())

    assert draw() == draw()


def test_peoples_text_is_made_printable() -> None:
    assert one_line("  Nguyễn\tVăn\r\nAn\x07 ") == "Nguyễn Văn An"
    assert printable("Dòng một\r\nDòng hai\tcó tab\x00") == "Dòng một\nDòng hai    có tab"
