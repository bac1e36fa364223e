"""The drawing every legal form shares: an A4 sheet (``backend.documents``) with the
agency at top left, the national motto at top right with the place and date under it,
the title, numbered content, ruled tables, and the signature blocks. Everything is in
Vietnamese, as the law writes it. Texts written by people (notes, reasons, items) may
be long: paragraphs wrap, lists and tables flow onto further pages, and a table row
taller than a page is split between pages rather than cut.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from backend.documents import FONT, a4_sheet, legal_date, printable
from backend.dossiers.forms.kinds import FORM_TITLES, FormContext, FormKind, latest_event
from backend.dossiers.schemas import DossierRead, EventRead
from backend.i18n import format_date
from backend.vietnam import in_vietnam

CIRCULAR = "Thông tư 01/2018/TT-VPCP"
# A blank to fill in by hand, where the dossier holds nothing.
BLANK = "…………………………"

BODY = 11.0
LINE = 5.6
# Decree 30/2020's top margin (20-25 mm): it holds the agency's signature block.
LEFT, TOP, RIGHT, BOTTOM = 25.0, 20.0, 15.0, 18.0
SIGNATURES = 44.0  # the height of a row of signature blocks


# ---------------------------------------------------------------- dates and texts


def moment(at: dt.datetime) -> str:
    """“08 giờ 30 phút, ngày 22/11/2026”, in Vietnam time."""
    local = in_vietnam(at)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, ngày {format_date(local.date(), 'vi')}"


def day(value: dt.date | None) -> str:
    return format_date(value, "vi") if value is not None else BLANK


def iso_day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def place_of(province_name: str) -> str:
    """The place on the date line: “Thanh Hóa” for “Tỉnh Thanh Hóa”."""
    for prefix in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if province_name.lower().startswith(prefix):
            return province_name[len(prefix) :].strip()
    return province_name.strip()


def wrapped_lines(pdf: FPDF, width: float, height: float, text: str) -> list[str]:
    """How ``multi_cell`` would wrap ``text`` in the current font, without drawing."""
    lines = pdf.multi_cell(width, height, text, dry_run=True, output=MethodReturnValue.LINES)
    assert isinstance(lines, list)
    return [str(line) for line in lines] or [""]


# ---------------------------------------------------------------- the page


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    share: float
    align: str = "L"


@dataclass(frozen=True, slots=True)
class Signature:
    title: str
    hint: str
    name: str


class FormSheet(ABC):
    """One form being drawn: the parts every form has, on an A4 sheet."""

    def __init__(self, kind: FormKind, dossier: DossierRead, context: FormContext) -> None:
        self.kind = kind
        self.dossier = dossier
        self.context = context
        self.code = dossier.code or ""
        title = FORM_TITLES[kind].render("vi")
        self.pdf = pdf = a4_sheet(
            f"Mẫu số {kind} – {CIRCULAR} · Mã hồ sơ {self.code}",
            title=f"{title} – {self.code}",
            author=context.agency_name,
            subject=dossier.procedure_name_vi,
            created=in_vietnam(dossier.updated_at),
            margins=(LEFT, TOP, RIGHT, BOTTOM),
        )
        self.width = pdf.w - LEFT - RIGHT

    # ------------------------------------------------------------ building blocks

    def font(self, style: str = "", size: float = BODY) -> None:
        self.pdf.set_font(FONT, style, size)

    def header(self, dated: dt.datetime | None) -> None:
        """Agency at top left, national motto at top right, then place and date."""
        pdf, context = self.pdf, self.context
        top = pdf.get_y()
        left_width = 72.0
        right_x = LEFT + left_width + 4
        right_width = self.width - left_width - 4

        pdf.set_xy(LEFT, top)
        # The province locates the agency, unless its name already says it.
        place = unicodedata.normalize("NFC", place_of(context.province_name)).casefold()
        agency = unicodedata.normalize("NFC", context.agency_name).casefold()
        if place and place not in agency:
            self.pdf.text_block(
                context.province_name.upper(), width=left_width, height=5, size=10.5, align="C"
            )
        self.pdf.text_block(
            context.agency_name.upper(), width=left_width, height=5, style="B", size=10.5, align="C"
        )
        rule, y = 24.0, pdf.get_y() + 0.8
        pdf.line(LEFT + (left_width - rule) / 2, y, LEFT + (left_width + rule) / 2, y)
        left_bottom = pdf.get_y() + 1

        pdf.set_xy(right_x, top)
        self.pdf.text_block(
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            width=right_width,
            height=5,
            style="B",
            size=10.5,
            align="C",
        )
        motto = "Độc lập - Tự do - Hạnh phúc"
        self.pdf.text_block(motto, width=right_width, height=5.5, style="B", size=11, align="C")
        half, middle, y = pdf.get_string_width(motto) / 2, right_x + right_width / 2, pdf.get_y()
        pdf.line(middle - half, y + 0.3, middle + half, y + 0.3)
        right_bottom = pdf.get_y() + 1

        pdf.set_xy(right_x, max(left_bottom, right_bottom) + 2)
        if dated is not None:
            local = in_vietnam(dated)
            self.pdf.text_block(
                f"{place_of(context.province_name)}, ngày {legal_date(local.date())}",
                width=right_width,
                height=5,
                style="I",
                size=10.5,
                align="C",
            )
        pdf.set_xy(LEFT, pdf.get_y() + 5)

    def title(self) -> None:
        self.pdf.text_block(
            FORM_TITLES[self.kind].render("vi").upper(), height=7, style="B", size=13.5, align="C"
        )
        self.pdf.text_block(f"Mã hồ sơ: {self.code}", style="B", align="C")
        self.pdf.ln(4)

    def field(self, label: str, value: str, *, bold: bool = False) -> None:
        """“Label: value”, with a blank to fill in by hand where the dossier has none."""
        self.pdf.field_line(label, value, bold=bold, blank=BLANK)

    def para(self, text: str, *, style: str = "", indent: float = 0) -> None:
        self.pdf.set_x(LEFT + indent)
        self.pdf.text_block(printable(text), width=self.width - indent, style=style, align="J")
        self.pdf.set_x(LEFT)
        self.pdf.ln(0.8)

    def numbered(self, items: Sequence[str], *, indent: float = 4) -> None:
        """1., 2., … with a hanging indent; a long list flows onto further pages."""
        pdf = self.pdf
        hang = 4.5 + 2.2 * len(str(len(items)))
        for number, item in enumerate(items, start=1):
            self.font()
            # Never leave a number alone at the foot of a page.
            if pdf.will_page_break(LINE):
                pdf.add_page()
            top = pdf.get_y()
            pdf.set_xy(LEFT + indent, top)
            pdf.cell(hang, LINE, f"{number}.")
            pdf.set_xy(LEFT + indent + hang, top)
            self.pdf.text_block(
                printable(item) or BLANK, width=self.width - indent - hang, align="J"
            )
            pdf.set_x(LEFT)
            pdf.ln(0.6)

    def signatures(self, blocks: Sequence[Signature], *, left_note: Sequence[str] = ()) -> None:
        """Signature blocks side by side (a single one on the right half, with
        ``left_note`` — the recipients — on the left), kept on one page."""
        pdf = self.pdf
        pdf.ln(4)
        if pdf.will_page_break(SIGNATURES):
            pdf.add_page()
        top = pdf.get_y()
        columns = len(blocks) if len(blocks) > 1 else 2
        column = self.width / columns
        first = 0 if len(blocks) > 1 else 1
        bottoms = [top]
        if left_note:
            pdf.set_xy(LEFT, top)
            self.pdf.text_block("Nơi nhận:", width=column, height=5, style="BI", size=10)
            for line in left_note:
                self.pdf.text_block(f"- {line}", width=column - 4, height=4.6, size=9.5)
            bottoms.append(pdf.get_y())
        for index, block in enumerate(blocks):
            pdf.set_xy(LEFT + (first + index) * column, top)
            self.pdf.text_block(
                block.title, width=column, height=5, style="B", size=10.5, align="C"
            )
            self.pdf.text_block(
                block.hint, width=column, height=4.6, style="I", size=9.5, align="C"
            )
            pdf.set_y(pdf.get_y() + 20)
            pdf.set_x(LEFT + (first + index) * column)
            self.pdf.text_block(block.name, width=column, height=5, style="B", size=10.5, align="C")
            bottoms.append(pdf.get_y())
        pdf.set_xy(LEFT, max(bottoms))

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
        """A ruled table whose headings repeat on every page. A row that does not fit
        moves to the next page; one taller than a page is split across pages."""
        pdf = self.pdf
        size, line, pad = 9.0, 4.3, 1.2
        total = sum(c.share for c in columns)
        widths = [self.width * c.share / total for c in columns]
        bottom = pdf.h - BOTTOM

        def wrap(texts: Sequence[str], style: str) -> list[list[str]]:
            self.font(style, size)
            return [
                wrapped_lines(pdf, width - 2 * pad, line, printable(text))
                for text, width in zip(texts, widths, strict=True)
            ]

        def draw(cells: list[list[str]], count: int, style: str) -> None:
            self.font(style, size)
            top = pdf.get_y()
            height = count * line + 2 * pad
            x = LEFT
            for lines, width, spec in zip(cells, widths, columns, strict=True):
                align = "C" if style == "B" else spec.align
                for index, text in enumerate(lines[:count]):
                    pdf.set_xy(x + pad, top + pad + index * line)
                    pdf.cell(width - 2 * pad, line, text, align=align)
                pdf.rect(x, top, width, height)
                x += width
            pdf.set_xy(LEFT, top + height)

        heading = wrap([c.title for c in columns], "B")
        heading_lines = max(len(c) for c in heading)
        heading_height = heading_lines * line + 2 * pad
        fresh_room = int((bottom - TOP - heading_height - 2 * pad) // line)

        auto = pdf.auto_page_break
        pdf.set_auto_page_break(False, margin=BOTTOM)
        if pdf.get_y() + heading_height + line + 2 * pad > bottom:
            pdf.add_page()
        draw(heading, heading_lines, "B")
        for row in rows:
            cells = wrap(row, "")
            while True:
                needed = max(len(c) for c in cells)
                room = int((bottom - pdf.get_y() - 2 * pad) // line)
                if needed <= room:
                    draw(cells, needed, "")
                    break
                if needed <= fresh_room or room < 2:
                    # The whole row fits on a fresh page (or nothing useful fits here).
                    pdf.add_page()
                    draw(heading, heading_lines, "B")
                    continue
                draw(cells, room, "")
                cells = [c[room:] for c in cells]
                pdf.add_page()
                draw(heading, heading_lines, "B")
        pdf.set_auto_page_break(auto, margin=BOTTOM)
        pdf.ln(2)

    # ------------------------------------------------------------ shared parts

    def applicant(self, *, with_id: bool = False) -> None:
        d = self.dossier
        self.field("Tiếp nhận hồ sơ của Ông/Bà", d.applicant_name, bold=True)
        if with_id:
            self.field("Số định danh cá nhân (CCCD)", d.applicant_id_number)
        self.field("Địa chỉ", d.applicant_address)
        self.field("Số điện thoại", d.applicant_phone)
        self.field(
            "Nội dung yêu cầu giải quyết",
            f"{d.procedure_name_vi} (mã thủ tục {d.procedure_code})",
        )

    def received_at(self) -> dt.datetime | None:
        d = self.dossier
        return d.received_at or d.submitted_at

    def receiving_official(self) -> str:
        receipt = latest_event(self.dossier, "receive")
        if receipt is not None and receipt.actor_name:
            return receipt.actor_name
        if self.dossier.entered_by is not None:
            return self.context.officials.get(self.dossier.entered_by, "")
        return ""

    @abstractmethod
    def draw(self, event: EventRead | None) -> None:
        """Draw the form; ``event`` is the one forms 02 to 04 document."""
