"""QR codes (segno) and A4 posters as PDF (fpdf2).

The PDF is drawn in Python so posters can be made on any server, without a browser:
the QR code as vector squares, the text in Noto Sans (shipped inside the
``pymupdf-fonts`` wheel; it has every Vietnamese glyph, which PDF's standard
fonts do not).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

# fontTools (inside fpdf2) logs every font subsetting step.
logging.getLogger("fontTools").setLevel(logging.ERROR)

# Fixed size of the QR image on screen: scale × (modules + 2 × border).
SVG_SCALE = 8
PNG_SCALE = 10
BORDER = 4


def make_qr(text: str) -> segno.QRCode:
    # make_qr never gives a Micro QR (which phones do not read); level M is raised
    # when the version has room to spare.
    return segno.make_qr(text, error="m")


def qr_svg(text: str, title: str = "") -> bytes:
    out = io.BytesIO()
    make_qr(text).save(
        out, kind="svg", scale=SVG_SCALE, border=BORDER, xmldecl=False, title=title or None
    )
    return out.getvalue()


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    make_qr(text).save(out, kind="png", scale=PNG_SCALE, border=BORDER)
    return out.getvalue()


def short_address(url: str) -> str:
    """What a person types if the code cannot be scanned: the URL without its scheme."""
    return url.split("://", 1)[-1]


@dataclass(frozen=True, slots=True)
class Poster:
    """What one A4 poster shows, in Vietnamese (posters hang in Vietnamese offices)."""

    url: str
    agency: str
    title: str
    code_label: str
    lines_title: str
    lines: Sequence[str]
    footer: str


_NOTO_STYLES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}


@functools.cache
def font_file(style: str = "") -> str:
    """Noto Sans in one fpdf2 style ("", "B", "I", "BI") as a file (fpdf2 reads fonts
    from files), written once per process into the temp folder under a name that
    depends on its content."""
    name = _NOTO_STYLES[style]
    # Each module holds one lzma-packed font as bytes.
    data: bytes = importlib.import_module(f"pymupdf_fonts.NotoSans_{name}").fontbuffer
    digest = hashlib.sha256(data).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"motcua-notosans-{name.lower()}-{digest}.ttf"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return str(path)


def _font_files() -> tuple[str, str]:
    return font_file(""), font_file("B")


def draw_qr(pdf: FPDF, text: str, left: float, top: float, side: float) -> None:
    """The QR code of ``text`` as vector squares, quiet zone included, in a square of
    ``side`` (the page's unit) whose top left corner is at (left, top)."""
    matrix = [list(row) for row in make_qr(text).matrix]
    module = side / (len(matrix) + 2 * BORDER)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run = column
            while run < len(row) and row[run]:
                run += 1
            pdf.rect(
                left + (BORDER + column) * module,
                top + (BORDER + row_index) * module,
                (run - column) * module,
                module,
                style="F",
            )
            column = run


def _text(pdf: FPDF, width: float, height: float, text: str, align: str = "L") -> None:
    """A block of wrapped text, then back to the left margin on the next line."""
    pdf.multi_cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def poster_pdf(poster: Poster) -> bytes:
    regular, bold = _font_files()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(poster.title)
    pdf.set_creator("Một Cửa")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(18, 16, 18)
    pdf.add_font("Noto", "", regular)
    pdf.add_font("Noto", "B", bold)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("Noto", "", 13)
    _text(pdf, width, 6.5, poster.agency, "C")
    pdf.ln(3)
    pdf.set_font("Noto", "B", 21 if len(poster.title) <= 90 else 17)
    _text(pdf, width, 9.5, poster.title, "C")
    pdf.ln(4)

    side = 105.0
    top = pdf.get_y()
    draw_qr(pdf, poster.url, (pdf.w - side) / 2, top, side)
    pdf.set_y(top + side + 1)

    pdf.set_font("Noto", "B", 14)
    _text(pdf, width, 7, short_address(poster.url), "C")
    pdf.set_font("Noto", "", 12)
    _text(pdf, width, 6, poster.code_label, "C")
    pdf.ln(5)
    if poster.lines:
        pdf.set_font("Noto", "B", 14)
        _text(pdf, width, 7, poster.lines_title)
        pdf.set_font("Noto", "", 13)
        for line in poster.lines:
            _text(pdf, width, 6.5, f"•  {line}")
            pdf.ln(1)
    pdf.set_y(pdf.h - 28)
    pdf.set_font("Noto", "", 11)
    _text(pdf, width, 5.5, poster.footer, "C")
    return bytes(pdf.output())
