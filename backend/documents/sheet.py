"""The A4 sheet our documents are printed on: Noto Sans in its four styles and the
writer's two moves, wrapped text and a "label: value" line (``Sheet``, a poster's);
for the legal forms and the receipts, margins, metadata and on every page a footer
that names the document, so a loose page finds its way back (``a4_sheet``)."""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from backend.documents.fonts import FONT, font_file

BODY = 11.0
LINE = 5.6


class Sheet(FPDF):
    """A4, portrait, in millimetres, with Noto Sans (every Vietnamese glyph)."""

    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_creator("Một Cửa")
        for style in ("", "B", "I", "BI"):
            self.add_font(FONT, style, font_file(style))

    def text_block(
        self,
        text: str,
        *,
        width: float | None = None,
        height: float = LINE,
        style: str = "",
        size: float = BODY,
        align: str = "L",
    ) -> None:
        """Wrapped text from the current position, then on to the next line at the same
        left edge (so columns stack). ``width`` defaults to the space between margins."""
        self.set_font(FONT, style, size)
        self.multi_cell(
            width if width is not None else self.epw,
            height,
            text,
            align=align,
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )

    def field_line(
        self, label: str, value: str, *, bold: bool = False, blank: str = "…", size: float = BODY
    ) -> None:
        """“Label: value” from the left margin, the value wrapping under the label as on
        the paper forms (``blank`` where there is no value)."""
        self.set_x(self.l_margin)
        self.set_font(FONT, "", size)
        self.write(LINE, f"{label}: ")
        self.set_font(FONT, "B" if bold else "", size)
        self.write(LINE, one_line(value) or blank)
        self.ln(LINE + 0.8)


class A4Sheet(Sheet):
    """A document's sheet: on every page, a footer that names the document."""

    def __init__(self, footer_text: str) -> None:
        super().__init__()
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
    pdf.set_lang("vi-VN")
    pdf.set_creation_date(created)
    pdf.set_margins(left, top, right)
    pdf.set_auto_page_break(auto=True, margin=bottom)
    pdf.set_line_width(0.2)
    pdf.add_page()
    return pdf


def legal_date(day: dt.date) -> str:
    """A date as Vietnamese documents write it after "ngày": 05 tháng 11 năm 2026."""
    return f"{day.day:02d} tháng {day.month:02d} năm {day.year}"


def one_line(text: str) -> str:
    """People's text on one line: control characters (which have no glyph) and runs of
    white space become single spaces."""
    return " ".join("".join(c if c >= " " else " " for c in text).split())


def printable(text: str) -> str:
    """People's text as fpdf2 prints it: newlines kept, other control characters
    (which have no glyph) turned into spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(c if c == "\n" or c >= " " else " " for c in text).strip()
