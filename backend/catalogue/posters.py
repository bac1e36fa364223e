"""A4 posters for the counters' walls: what a procedure's or a counter's poster says,
and the poster as PDF (fpdf2).

The PDF is drawn in Python so posters can be made on any server, without a browser:
the QR code as vector squares, the text in Noto Sans (``backend.documents``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from backend.catalogue.schemas import AgencyRead, CounterRead, ProcedureRead
from backend.documents import Sheet, draw_qr, short_address
from backend.i18n import N_, Text

# Posters hang in Vietnamese offices: their text is Vietnamese whatever the reader's
# language (the HTML poster too).
POSTER_LANGUAGE = "vi"
POSTER_LINES = 3
POSTER_LINE_LENGTH = 110


@dataclass(frozen=True, slots=True)
class Poster:
    """What one A4 poster shows, as printed."""

    url: str
    agency: str
    title: str
    code_label: str
    lines_title: str
    lines: Sequence[str]
    footer: str


def procedure_url(public_url: str, code: str, agency_code: str | None = None) -> str:
    """The procedure's page; with an agency, the page for filing at that agency."""
    url = f"{public_url}/p/{code}"
    return f"{url}?co-quan={agency_code}" if agency_code else url


def counter_url(public_url: str, token: str) -> str:
    return f"{public_url}/c/{token}"


def _printed(text: Text) -> str:
    return text.render(POSTER_LANGUAGE)


def _shorten(text: str) -> str:
    if len(text) <= POSTER_LINE_LENGTH:
        return text
    return text[: POSTER_LINE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def what_to_bring(procedure: ProcedureRead) -> list[str]:
    """The first documents to bring, required ones first: three lines for a poster."""
    ordered = sorted(procedure.components, key=lambda c: not c.required)
    return [_shorten(c.name_vi) for c in ordered[:POSTER_LINES]]


def procedure_poster(
    public_url: str, procedure: ProcedureRead, agency: AgencyRead | None
) -> Poster:
    """The poster hung at ``agency`` (its QR opens the procedure there); without one,
    a poster for every agency carrying it out, naming the level."""
    if agency is not None:
        heading = agency.name_vi
    elif procedure.level == "commune":
        heading = _printed(N_("Thủ tục cấp xã: nộp tại Ủy ban nhân dân xã, phường"))
    else:
        heading = _printed(N_("Thủ tục cấp tỉnh"))
    return Poster(
        url=procedure_url(public_url, procedure.code, agency.code if agency else None),
        agency=heading,
        title=procedure.name_vi,
        code_label=_printed(N_("Mã thủ tục: %(code)s", code=procedure.code)),
        lines_title=_printed(N_("Cần mang theo:")),
        lines=what_to_bring(procedure),
        footer=_printed(
            N_(
                "Quét mã bằng camera điện thoại, Zalo hoặc ứng dụng Một Cửa để xem đủ "
                "giấy tờ, lệ phí và thời hạn giải quyết."
            )
        ),
    )


def counter_poster(public_url: str, token: str, counter: CounterRead) -> Poster:
    return Poster(
        url=counter_url(public_url, token),
        agency=counter.agency.name_vi,
        title=counter.name_vi,
        code_label=_printed(
            N_("%(agency)s · Quầy %(number)s", agency=counter.agency.code, number=counter.number)
        ),
        lines_title=_printed(N_("Thủ tục nhận tại quầy:")),
        lines=[_shorten(p.name_vi) for p in counter.procedures[:POSTER_LINES]],
        footer=_printed(N_("Quét mã để xem các thủ tục nhận tại quầy này.")),
    )


async def render_poster_pdf(poster: Poster) -> bytes:
    """The poster as PDF, drawn in a thread (a few tens of milliseconds of CPU)."""
    return await asyncio.to_thread(poster_pdf, poster)


def poster_pdf(poster: Poster) -> bytes:
    pdf = Sheet()
    pdf.set_title(poster.title)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()

    pdf.text_block(poster.agency, height=6.5, size=13, align="C")
    pdf.ln(3)
    title_size = 21 if len(poster.title) <= 90 else 17
    pdf.text_block(poster.title, height=9.5, style="B", size=title_size, align="C")
    pdf.ln(4)

    side = 105.0
    top = pdf.get_y()
    draw_qr(pdf, poster.url, (pdf.w - side) / 2, top, side)
    pdf.set_y(top + side + 1)

    pdf.text_block(short_address(poster.url), height=7, style="B", size=14, align="C")
    pdf.text_block(poster.code_label, height=6, size=12, align="C")
    pdf.ln(5)
    if poster.lines:
        pdf.text_block(poster.lines_title, height=7, style="B", size=14)
        for line in poster.lines:
            pdf.text_block(f"•  {line}", height=6.5, size=13)
            pdf.ln(1)
    pdf.set_y(pdf.h - 28)
    pdf.text_block(poster.footer, height=5.5, size=11, align="C")
    return bytes(pdf.output())
