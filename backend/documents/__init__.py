"""The documents we print (legal forms, receipts, posters): the A4 sheet and its
writer, Noto Sans (every Vietnamese glyph), and QR codes as SVG, PNG or vector
squares on a page."""

from backend.documents.fonts import FONT, font_file
from backend.documents.qr import draw_qr, make_qr, qr_png, qr_svg, short_address
from backend.documents.sheet import A4Sheet, Sheet, a4_sheet, legal_date, one_line, printable

__all__ = [
    "FONT",
    "A4Sheet",
    "Sheet",
    "a4_sheet",
    "draw_qr",
    "font_file",
    "legal_date",
    "make_qr",
    "one_line",
    "printable",
    "qr_png",
    "qr_svg",
    "short_address",
]
