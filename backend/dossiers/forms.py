"""The forms of the one-stop shop (Circular 01/2018/TT-VPCP, forms 01 to 05) for one
dossier, as A4 PDFs.

The layout follows the forms as provinces print them: the agency at top left, the
national motto at top right with the place and date under it, the title, the numbered
content, the signature blocks. Everything is in Vietnamese, as the law writes it, in
Noto Sans (Vietnamese glyphs). Texts written by people (notes, reasons, items) may be
long: paragraphs wrap, lists and tables flow onto further pages, and a table row taller
than a page is split between pages rather than cut.

Rendering is synchronous and CPU-bound: callers run it in a thread.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from backend.catalogue.qr import draw_qr, short_address
from backend.dossiers.lifecycle import ACTION_LABELS, Action
from backend.dossiers.schemas import DossierRead, EventRead
from backend.pdf import FONT, a4_sheet
from backend.vietnam import VIETNAM

FormKind = Literal["01", "02", "03", "04", "05"]

FORM_TITLES: dict[FormKind, tuple[str, str]] = {
    "01": ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Receipt and appointment slip"),
    "02": (
        "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        "Request to supplement or complete the dossier",
    ),
    "03": ("Phiếu từ chối tiếp nhận giải quyết hồ sơ", "Refusal to accept the dossier"),
    "04": (
        "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        "Apology and new date for the result",
    ),
    "05": ("Phiếu kiểm soát quá trình giải quyết hồ sơ", "Process-control slip"),
}

# The action each event-based form documents.
FORM_ACTIONS: dict[FormKind, Action] = {
    "02": "request_supplement",
    "03": "refuse",
    "04": "apologise",
}

CIRCULAR = "Thông tư 01/2018/TT-VPCP"

CHANNEL_LABELS: dict[str, str] = {
    "online": "Trực tuyến, qua Cổng dịch vụ công",
    "counter": "Trực tiếp tại Bộ phận Một cửa",
    "post": "Qua dịch vụ bưu chính công ích",
    "assisted": "Cán bộ hỗ trợ nộp hồ sơ thay người dân",
}
ROLE_LABELS: dict[str, str] = {
    "citizen": "Người nộp hồ sơ",
    "reception": "Cán bộ tiếp nhận",
    "processing": "Cán bộ xử lý",
    "leader": "Lãnh đạo",
}
DECISION_LABELS: dict[str, str] = {"approve": "phê duyệt", "reject": "không phê duyệt"}

# Longer notes go under the process-control slip's table, not into its narrow column.
NOTE_IN_TABLE = 160
# A blank to fill in by hand, where the dossier holds nothing.
BLANK = "…………………………"

BODY = 11.0
LINE = 5.6
LEFT, TOP, RIGHT, BOTTOM = 25.0, 15.0, 15.0, 18.0
SIGNATURES = 44.0  # the height of a row of signature blocks


@dataclass(frozen=True, slots=True)
class FormContext:
    agency_name: str  # Vietnamese name of the agency issuing the form
    agency_address: str
    province_name: str  # e.g. "Tỉnh Thanh Hóa"
    tracking_url: str  # the public tracking link (signed) for the QR code on form 01
    officials: dict[int, str]  # account id -> full name, for the slip and signature lines


def render_form(
    kind: FormKind,
    dossier: DossierRead,
    context: FormContext,
    event: EventRead | None = None,
) -> bytes:
    """One form of ``dossier`` as a PDF. ``event`` is the event that forms 02, 03 and
    04 document (by default the dossier's latest of that action); forms 01 and 05 are
    drawn from the dossier itself."""
    if kind not in FORM_TITLES:
        raise ValueError(f"unknown form {kind!r}")
    if not dossier.code:
        raise ValueError("a draft has no code and no forms")
    action = FORM_ACTIONS.get(kind)
    if action is not None:
        if event is None:
            event = latest_event(dossier, action)
            if event is None:
                raise ValueError(f"form {kind} documents a “{action}” event; the dossier has none")
        elif event.action != action:
            raise ValueError(f"form {kind} documents a “{action}” event, not “{event.action}”")

    form = _Form(kind, dossier, context)
    if kind == "01":
        form.receipt()
    elif kind == "05":
        form.control_slip()
    else:
        assert event is not None
        {"02": form.supplement_request, "03": form.refusal, "04": form.apology}[kind](event)
    return bytes(form.pdf.output())


def latest_event(dossier: DossierRead, action: Action) -> EventRead | None:
    matching = [e for e in dossier.events if e.action == action]
    return max(matching, key=lambda e: (e.at, e.id)) if matching else None


# ---------------------------------------------------------------- dates and texts


def _local(at: dt.datetime) -> dt.datetime:
    # Naive timestamps are UTC, as the database stores them.
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(VIETNAM)


def moment(at: dt.datetime) -> str:
    """“08 giờ 30 phút, ngày 22/11/2026”, in Vietnam time."""
    local = _local(at)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def day(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value is not None else BLANK


def _iso_day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _place(province_name: str) -> str:
    """The place on the date line: “Thanh Hóa” for “Tỉnh Thanh Hóa”."""
    for prefix in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if province_name.lower().startswith(prefix):
            return province_name[len(prefix) :].strip()
    return province_name.strip()


def _lines(pdf: FPDF, width: float, height: float, text: str) -> list[str]:
    """How ``multi_cell`` would wrap ``text`` in the current font, without drawing."""
    lines = pdf.multi_cell(width, height, text, dry_run=True, output=MethodReturnValue.LINES)
    assert isinstance(lines, list)
    return [str(line) for line in lines] or [""]


def _clean(text: str) -> str:
    """People's text as fpdf2 prints it: newlines kept, other control characters
    (which have no glyph) turned into spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(c if c == "\n" or c >= " " else " " for c in text).strip()


# ---------------------------------------------------------------- the page


@dataclass(frozen=True, slots=True)
class _Column:
    title: str
    share: float
    align: str = "L"


@dataclass(frozen=True, slots=True)
class _Signature:
    title: str
    hint: str
    name: str


class _Form:
    def __init__(self, kind: FormKind, dossier: DossierRead, context: FormContext) -> None:
        self.kind = kind
        self.dossier = dossier
        self.context = context
        self.code = dossier.code or ""
        title = FORM_TITLES[kind][0]
        self.pdf = pdf = a4_sheet(
            f"Mẫu số {kind} – {CIRCULAR} · Mã hồ sơ {self.code}",
            title=f"{title} – {self.code}",
            author=context.agency_name,
            subject=dossier.procedure_name_vi,
            created=_local(dossier.updated_at),
            margins=(LEFT, TOP, RIGHT, BOTTOM),
        )
        self.width = pdf.w - LEFT - RIGHT

    # ------------------------------------------------------------ building blocks

    def font(self, style: str = "", size: float = BODY) -> None:
        self.pdf.set_font(FONT, style, size)

    def text(
        self,
        text: str,
        *,
        width: float | None = None,
        height: float = LINE,
        style: str = "",
        size: float = BODY,
        align: str = "L",
    ) -> None:
        """Wrapped text from the current position, then on to the next line at the
        same left edge (so columns stack)."""
        self.font(style, size)
        self.pdf.multi_cell(
            width if width is not None else self.width,
            height,
            text,
            align=align,
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )

    def header(self, dated: dt.datetime | None) -> None:
        """Agency at top left, national motto at top right, then place and date."""
        pdf, context = self.pdf, self.context
        top = pdf.get_y()
        left_width = 72.0
        right_x = LEFT + left_width + 4
        right_width = self.width - left_width - 4

        pdf.set_xy(LEFT, top)
        # The province locates the agency, unless its name already says it.
        place = unicodedata.normalize("NFC", _place(context.province_name)).casefold()
        agency = unicodedata.normalize("NFC", context.agency_name).casefold()
        if place and place not in agency:
            self.text(
                context.province_name.upper(), width=left_width, height=5, size=10.5, align="C"
            )
        self.text(
            context.agency_name.upper(), width=left_width, height=5, style="B", size=10.5, align="C"
        )
        rule, y = 24.0, pdf.get_y() + 0.8
        pdf.line(LEFT + (left_width - rule) / 2, y, LEFT + (left_width + rule) / 2, y)
        left_bottom = pdf.get_y() + 1

        pdf.set_xy(right_x, top)
        self.text(
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            width=right_width,
            height=5,
            style="B",
            size=10.5,
            align="C",
        )
        motto = "Độc lập - Tự do - Hạnh phúc"
        self.text(motto, width=right_width, height=5.5, style="B", size=11, align="C")
        half, middle, y = pdf.get_string_width(motto) / 2, right_x + right_width / 2, pdf.get_y()
        pdf.line(middle - half, y + 0.3, middle + half, y + 0.3)
        right_bottom = pdf.get_y() + 1

        pdf.set_xy(right_x, max(left_bottom, right_bottom) + 2)
        if dated is not None:
            local = _local(dated)
            self.text(
                f"{_place(context.province_name)}, ngày {local:%d} tháng {local:%m} năm {local:%Y}",
                width=right_width,
                height=5,
                style="I",
                size=10.5,
                align="C",
            )
        pdf.set_xy(LEFT, pdf.get_y() + 5)

    def title(self) -> None:
        self.text(FORM_TITLES[self.kind][0].upper(), height=7, style="B", size=13.5, align="C")
        self.text(f"Mã hồ sơ: {self.code}", style="B", align="C")
        self.pdf.ln(4)

    def field(self, label: str, value: str, *, bold: bool = False) -> None:
        """“Label: value”, the value wrapping under the label as on the paper forms."""
        pdf = self.pdf
        pdf.set_x(LEFT)
        self.font()
        pdf.write(LINE, f"{label}: ")
        self.font("B" if bold else "")
        pdf.write(LINE, _clean(value) or BLANK)
        pdf.ln(LINE)
        pdf.ln(0.8)

    def para(self, text: str, *, style: str = "", indent: float = 0) -> None:
        self.pdf.set_x(LEFT + indent)
        self.text(_clean(text), width=self.width - indent, style=style, align="J")
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
            self.text(_clean(item) or BLANK, width=self.width - indent - hang, align="J")
            pdf.set_x(LEFT)
            pdf.ln(0.6)

    def signatures(self, blocks: Sequence[_Signature], *, left_note: Sequence[str] = ()) -> None:
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
            self.text("Nơi nhận:", width=column, height=5, style="BI", size=10)
            for line in left_note:
                self.text(f"- {line}", width=column - 4, height=4.6, size=9.5)
            bottoms.append(pdf.get_y())
        for index, block in enumerate(blocks):
            pdf.set_xy(LEFT + (first + index) * column, top)
            self.text(block.title, width=column, height=5, style="B", size=10.5, align="C")
            self.text(block.hint, width=column, height=4.6, style="I", size=9.5, align="C")
            pdf.set_y(pdf.get_y() + 20)
            pdf.set_x(LEFT + (first + index) * column)
            self.text(block.name, width=column, height=5, style="B", size=10.5, align="C")
            bottoms.append(pdf.get_y())
        pdf.set_xy(LEFT, max(bottoms))

    def table(self, columns: Sequence[_Column], rows: Sequence[Sequence[str]]) -> None:
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
                _lines(pdf, width - 2 * pad, line, _clean(text))
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

    # ------------------------------------------------------------ the five forms

    def receipt(self) -> None:
        """Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
        d, pdf = self.dossier, self.pdf
        received = self.received_at()
        self.header(received)
        self.title()
        self.field("Bộ phận tiếp nhận và trả kết quả", self.context.agency_name)
        self.applicant(with_id=True)

        # The list's heading stays with the table's first rows.
        if pdf.will_page_break(LINE + 25):
            pdf.add_page()
        self.para("1. Thành phần hồ sơ nộp gồm:")
        rows = self.received_components()
        self.table(
            [
                _Column("TT", 8, "C"),
                _Column("Tên giấy tờ", 70),
                _Column("Bản chính", 14, "C"),
                _Column("Bản sao", 14, "C"),
                _Column("Hình thức nộp", 28, "C"),
            ],
            rows or [["", "Chưa có giấy tờ nào được tiếp nhận", "", "", ""]],
        )
        self.para("2. Số lượng hồ sơ: 01 (bộ)")
        self.para(
            f"3. Thời gian giải quyết hồ sơ theo quy định là: {d.processing_days} ngày làm việc"
        )
        self.para(f"4. Thời gian nhận hồ sơ: {moment(received) if received else BLANK}")
        self.para(f"5. Thời gian trả kết quả giải quyết hồ sơ: ngày {day(d.due_date)}", style="B")
        self.para(f"6. Hình thức nộp hồ sơ: {CHANNEL_LABELS.get(d.channel, d.channel)}")

        # The QR code, its address under it, and how to use it, kept together.
        side = 36.0
        url = short_address(self.context.tracking_url)
        self.font("", 8)
        url_lines = _lines(pdf, self.width, 3.8, url)
        block = side + 1 + 3.8 * len(url_lines) + 2
        pdf.ln(2)
        # With the signatures, so these never stand alone on the last page.
        if pdf.will_page_break(block + SIGNATURES):
            pdf.add_page()
        top = pdf.get_y()
        # The quiet zone hangs into the margin, so the modules line up with the text.
        draw_qr(pdf, self.context.tracking_url, LEFT - 3, top, side)
        pdf.set_xy(LEFT + side + 2, top + 5)
        self.text("Theo dõi tình trạng hồ sơ", width=self.width - side - 2, style="B", size=10.5)
        self.text(
            "Quét mã QR bằng camera điện thoại hoặc ứng dụng Zalo, hoặc nhập địa chỉ in "
            "dưới mã, để xem hồ sơ đang ở bước nào và ngày hẹn trả kết quả. "
            f"Khi liên hệ, xin cho biết mã hồ sơ {self.code}.",
            width=self.width - side - 2,
            height=5,
            size=10,
        )
        pdf.set_xy(LEFT, top + side + 1)
        self.text(url, height=3.8, size=8)

        self.signatures(
            [
                _Signature("NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", d.applicant_name),
                _Signature(
                    "NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", self.receiving_official()
                ),
            ]
        )

    def received_components(self) -> list[list[str]]:
        """One row per component received: on paper (ticked at the counter when the
        dossier was received) or as files uploaded for it."""
        d = self.dossier
        on_paper: set[int] = set()
        for e in d.events:
            if e.action == "receive":
                for value in e.details.get("components_received") or []:
                    if isinstance(value, int):
                        on_paper.add(value)
        files: dict[int, int] = {}
        for f in d.files:
            if f.purpose == "component" and f.component_id is not None:
                files[f.component_id] = files.get(f.component_id, 0) + 1
        rows: list[list[str]] = []
        for c in d.components:
            paper, electronic = c.id in on_paper, files.get(c.id, 0)
            if not paper and not electronic:
                continue
            forms = []
            if paper:
                forms.append("Bản giấy")
            if electronic:
                forms.append(f"Bản điện tử ({electronic} tệp)")
            rows.append(
                [
                    str(len(rows) + 1),
                    c.name_vi,
                    str(c.originals) if paper else "—",
                    str(c.copies) if paper else "—",
                    ", ".join(forms),
                ]
            )
        return rows

    def supplement_request(self, event: EventRead) -> None:
        """Mẫu số 02: everything missing, listed once, in writing."""
        self.header(event.at)
        self.title()
        self.para(f"{self.context.agency_name}:")
        self.applicant()
        self.para("Yêu cầu Ông/Bà hoàn thiện hồ sơ gồm những nội dung như sau:")
        self.numbered(self.supplement_items(event))
        self.field("Lý do", event.note)
        contact = event.actor_name or BLANK
        self.para(
            "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ với "
            f"{contact}, {self.context.agency_name} (địa chỉ: "
            f"{self.context.agency_address or BLANK}) để được hướng dẫn./."
        )
        self.signatures([_Signature("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", event.actor_name)])

    def supplement_items(self, event: EventRead) -> list[str]:
        d = self.dossier
        raw = event.details.get("items")
        items: list[dict[str, Any]] = [i for i in raw if isinstance(i, dict)] if raw else []
        latest = latest_event(d, "request_supplement")
        if not items and latest is not None and latest.id == event.id:
            items = [
                {"label": i.label, "component_id": i.component_id, "field": i.field}
                for i in d.supplement_items
            ]
        components = {c.id: c for c in d.components}
        fields = {f.name: f for f in d.form_fields}
        out = []
        for item in items:
            text = str(item.get("label") or "")
            component = components.get(item.get("component_id") or 0)
            field = fields.get(str(item.get("field") or ""))
            if component is not None and component.name_vi.strip() != text.strip():
                text += f" (giấy tờ: {component.name_vi})"
            if field is not None:
                text += f" (mục “{field.label_vi}” của tờ khai)"
            out.append(text)
        return out

    def refusal(self, event: EventRead) -> None:
        """Mẫu số 03: the reasons, numbered."""
        self.header(event.at)
        self.title()
        self.para(f"{self.context.agency_name}:")
        self.applicant()
        reasons = [str(r) for r in event.details.get("reasons") or [] if str(r).strip()]
        note = event.note.strip()
        if not reasons and note:
            reasons, note = [note], ""
        self.para(
            f"Qua xem xét, {self.context.agency_name} thông báo không tiếp nhận, giải quyết "
            "hồ sơ này với lý do cụ thể như sau:"
        )
        self.numbered(reasons or [BLANK])
        if note:
            self.field("Ghi chú", note)
        self.para("Xin thông báo cho Ông/Bà được biết và thực hiện./.")
        self.signatures(
            [
                _Signature("NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", self.dossier.applicant_name),
                _Signature("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", event.actor_name),
            ]
        )

    def apology(self, event: EventRead) -> None:
        """Mẫu số 04: the date missed, the reason, the new date."""
        d = self.dossier
        agency = self.context.agency_name
        old = _iso_day(event.details.get("old_due_date"))
        new = _iso_day(event.details.get("new_due_date"))
        if new is None and latest_event(d, "apologise") == event:
            new = d.due_date
        received = self.received_at()
        self.header(event.at)
        self.title()
        self.text(f"Kính gửi: Ông/Bà {d.applicant_name}", style="B", align="C")
        self.pdf.ln(3)
        self.para(
            f"Ngày {day(_local(received).date() if received else None)}, {agency} tiếp nhận "
            f"giải quyết hồ sơ của Ông/Bà {d.applicant_name} đề nghị giải quyết thủ tục "
            f"hành chính: {d.procedure_name_vi}."
        )
        self.field("Mã hồ sơ", self.code, bold=True)
        self.field("Thời hạn trả kết quả giải quyết hồ sơ", f"ngày {day(old)}")
        self.para(
            f"Tuy nhiên đến nay, {agency} chưa trả kết quả giải quyết hồ sơ của Ông/Bà đúng "
            "thời hạn quy định ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
        )
        self.field("Lý do", event.note)
        self.para(
            f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency} xin lỗi Ông/Bà và sẽ trả "
            f"kết quả giải quyết hồ sơ cho Ông/Bà vào ngày {day(new)}."
        )
        self.para("Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.")
        self.signatures(
            [_Signature("THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên và đóng dấu)", "")],
            left_note=[
                f"Ông/Bà {d.applicant_name};",
                f"Người lập phiếu: {event.actor_name or BLANK};",
                f"Lưu: hồ sơ {self.code}.",
            ],
        )

    def control_slip(self) -> None:
        """Mẫu số 05: one line per handoff, each judged against the appointment date
        in force when it happened."""
        d = self.dossier
        events = sorted(d.events, key=lambda e: (e.at, e.id))
        received = self.received_at()
        self.header(events[-1].at if events else received)
        self.title()
        self.field("Kèm theo hồ sơ của", d.applicant_name, bold=True)
        self.field("Thủ tục", f"{d.procedure_name_vi} (mã thủ tục {d.procedure_code})")
        self.field("Cơ quan (bộ phận) giải quyết hồ sơ", self.context.agency_name)
        partners: list[str] = []
        for e in events:
            target = str(e.details.get("to_agency") or "") if e.action == "transfer" else ""
            if target and target not in partners:
                partners.append(target)
        self.field("Cơ quan phối hợp giải quyết hồ sơ", ", ".join(partners) or "Không")
        self.field("Thời gian nhận hồ sơ", moment(received) if received else BLANK)
        self.field("Ngày hẹn trả kết quả", day(d.due_date), bold=True)
        self.pdf.ln(1)
        rows, notes = self.handoffs(events)
        self.table(
            [
                _Column("TT", 9, "C"),
                _Column("Bên giao", 36),
                _Column("Bên nhận", 36),
                _Column("Thời gian giao, nhận hồ sơ", 30, "C"),
                _Column("Kết quả (trước hạn / đúng hạn / quá hạn)", 25, "C"),
                _Column("Ghi chú", 36),
            ],
            rows or [["", "Chưa có bước giao, nhận nào", "", "", "", ""]],
        )
        if notes:
            self.para("Ghi chú chi tiết:", style="B")
            for number, note in notes:
                self.para(f"({number}) {note}", indent=4)

    def handoffs(
        self, events: Sequence[EventRead]
    ) -> tuple[list[list[str]], list[tuple[int, str]]]:
        """The slip's rows, and the notes too long for its narrow column (printed
        under the table, numbered from their rows)."""
        d = self.dossier
        apologies = [e for e in events if e.action == "apologise"]
        due = (_iso_day(apologies[0].details.get("old_due_date")) if apologies else None) or (
            d.due_date
        )
        reception = "Bộ phận tiếp nhận và trả kết quả"
        applicant = self.person(d.applicant_name, "citizen")
        rows: list[list[str]] = []
        notes: list[tuple[int, str]] = []
        requester = proposer = ""
        for index, e in enumerate(events):
            actor = self.person(e.actor_name, e.actor_role)
            giver = actor if e.agency_code == d.receiving_agency else f"{actor}\n({e.agency_code})"
            receiver = reception
            match e.action:
                case "receive":
                    giver, receiver = applicant, actor
                case "request_supplement" | "refuse" | "return_result" | "apologise":
                    receiver = applicant
                case "submit" | "withdraw":
                    giver = applicant
                case "supplement":
                    giver, receiver = applicant, requester or reception
                case "assign":
                    receiver = self.person(self.assignee(e), "processing")
                case "transfer":
                    source = str(e.details.get("from_agency") or e.agency_code)
                    target = str(e.details.get("to_agency") or "")
                    giver = f"{actor}\n({source})"
                    there = [later for later in events[index + 1 :] if later.agency_code == target]
                    receiver = target or BLANK
                    if there:
                        receiver = (
                            f"{self.person(there[0].actor_name, there[0].actor_role)}\n({target})"
                        )
                case "propose":
                    leader = self.next_actor(events, index, {"decide", "send_back"})
                    receiver = leader or ROLE_LABELS["leader"]
                case "send_back":
                    receiver = proposer or ROLE_LABELS["processing"]
                case "decide":
                    receiver = self.next_actor(events, index, {"attach_result"}) or reception
                case "attach_result":
                    receiver = self.next_actor(events, index, {"return_result"}) or reception
            if e.action == "request_supplement":
                requester = actor
            elif e.action == "propose":
                proposer = actor
            remark = self.remark(e)
            note = _clean(e.note)
            if len(note) > NOTE_IN_TABLE:
                notes.append((index + 1, note))
                remark += f"\nXem ghi chú ({index + 1}) dưới bảng."
            elif note:
                remark += f"\n{note}"
            rows.append(
                [
                    str(index + 1),
                    giver,
                    receiver,
                    moment(e.at).replace(", ngày", ",\nngày"),
                    self.timeliness(e, due),
                    remark,
                ]
            )
            if e.action == "apologise":
                due = _iso_day(e.details.get("new_due_date")) or due
        return rows, notes

    def assignee(self, event: EventRead) -> str:
        name = str(event.details.get("assignee_name") or "")
        account = event.details.get("assignee_id")
        if not name and isinstance(account, int):
            name = self.context.officials.get(account, "")
        return name

    @staticmethod
    def person(name: str, role: str) -> str:
        return "\n".join(part for part in (name.strip(), ROLE_LABELS.get(role, "")) if part)

    def next_actor(self, events: Sequence[EventRead], index: int, actions: set[str]) -> str:
        for later in events[index + 1 :]:
            if later.action in actions:
                return self.person(later.actor_name, later.actor_role)
        return ""

    @staticmethod
    def timeliness(event: EventRead, due: dt.date | None) -> str:
        # The clock starts at reception: steps before it are not judged.
        if due is None or event.from_status in {"draft", "submitted"}:
            return "—"
        on = _local(event.at).date()
        if on < due:
            return "Trước hạn"
        return "Đúng hạn" if on == due else "Quá hạn"

    @staticmethod
    def remark(event: EventRead) -> str:
        label, details = ACTION_LABELS[event.action][0], event.details
        match event.action:
            case "request_supplement":
                return f"{label}: {len(details.get('items') or [])} nội dung."
            case "refuse":
                return f"{label}: {len(details.get('reasons') or [])} lý do."
            case "apologise":
                return f"{label}: {day(_iso_day(details.get('new_due_date')))}."
            case "propose" if details.get("proposal") in DECISION_LABELS:
                return f"{label}: đề xuất {DECISION_LABELS[details['proposal']]}."
            case "decide" if details.get("decision") in DECISION_LABELS:
                return f"{label}: {DECISION_LABELS[details['decision']]}."
        return f"{label}."
