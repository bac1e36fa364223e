"""QR codes (segno): on screen as SVG or PNG, on paper as vector squares."""

from __future__ import annotations

import io

import segno
from fpdf import FPDF

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
