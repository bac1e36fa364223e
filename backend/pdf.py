"""The A4 sheet our documents are printed on (the legal forms, the receipts): Noto
Sans in its four styles (Vietnamese glyphs), the margins, and on every page a footer
that names the document, so a loose page finds its way back."""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

from backend.catalogue.qr import font_file

FONT = "Noto"


class A4Sheet(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, f"{self.footer_text} · Trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def a4_sheet(
    footer_text: str,
    *,
    title: str,
    author: str,
    created: dt.datetime,
    margins: tuple[float, float, float, float],
    subject: str = "",
) -> A4Sheet:
    """A sheet with its first page added. ``created`` comes from the document's data,
    so the same document always gives the same bytes. Margins: left, top, right, bottom."""
    left, top, right, bottom = margins
    pdf = A4Sheet(footer_text)
    pdf.set_title(title)
    pdf.set_author(author)
    if subject:
        pdf.set_subject(subject)
    pdf.set_creator("Một Cửa")
    pdf.set_lang("vi-VN")
    pdf.set_creation_date(created)
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(auto=True, margin=bottom)
    for style in ("", "B", "I", "BI"):
        pdf.add_font(FONT, style, font_file(style))
    pdf.set_line_width(0.2)
    pdf.add_page()
    return pdf
