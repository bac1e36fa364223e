"""The electronic receipt of fees and charges (biên lai điện tử thu phí, lệ phí) of one
payment, as an A4 PDF.

The layout follows the receipts agencies issue, with the content Decree 123/2020
(Article 32) asks of a receipt: the collecting organisation at top left with its tax
code and address, the template symbol, receipt symbol and number at top right, the
title, the date, the payer (a person, or a business with its tax code), the fees and
charges collected with their dossiers (and the rule that changed an amount), the total
in figures and in words, how it was paid and the transaction's reference, the
collecting organisation's signature, and a QR code leading to the page where anyone can
check the receipt. The digital signature is not made yet: its place says so. Everything
is in Vietnamese, in Noto Sans (Vietnamese glyphs), like the dossier forms. Long names
wrap and a long list of items flows onto further pages, its headings repeated.

Rendering is synchronous and CPU-bound: callers run it in a thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fpdf.fonts import FontFace

from backend.documents import FONT, a4_sheet, draw_qr, legal_date, one_line, short_address
from backend.i18n import format_number, format_time, format_vnd
from backend.payments.words import vnd_in_words
from backend.vietnam import in_vietnam

TITLE = "BIÊN LAI THU PHÍ, LỆ PHÍ"
SUBTITLE = "(Biên lai điện tử)"
QR_CAPTION = "Quét mã để kiểm tra biên lai"
# Where the collecting organisation's digital signature goes, until receipts are signed.
UNSIGNED = "Biên lai chưa được ký số."
UNREGISTERED = "chưa đăng ký"

# The top margin holds the agency's signature block (as forms 01-05 do).
LEFT, TOP, RIGHT, BOTTOM = 20.0, 20.0, 15.0, 18.0
QR_SIDE = 32.0


# What a reduction's row says when its line names no rule (a dossier's fees fixed
# before fee rules, whose only reduction was the online rate).
ONLINE_REDUCTION = "Giảm khi nộp trực tuyến"
PAID_BEFORE = "Đã nộp trước đó"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    dossier_code: str
    label: str  # the fee or charge, e.g. "Lệ phí cấp bản sao trích lục hộ tịch"
    amount_vnd: int  # what it costs after any reduction
    # Why the amount is not the base fee (a waiver online, an exemption), if it is not.
    rule: str = ""
    # The base fee, when a reduction lowered it to ``amount_vnd`` (None: not lowered).
    full_vnd: int | None = None

    @property
    def reduction_vnd(self) -> int:
        return max(0, (self.full_vnd or self.amount_vnd) - self.amount_vnd)


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """Everything the receipt says, for the PDF and its XML data alike."""

    template_symbol: str  # "01BLP0-001"; "" when not registered (or before numbering)
    symbol: str  # "MC-26E"; "" when not registered
    number: str  # "0000012"
    issued_at: dt.datetime
    agency_name: str  # the agency collecting the fees
    agency_tax_code: str  # "" until the agency enters it
    agency_address: str
    province_name: str  # e.g. "Tỉnh Thanh Hóa"
    payer_name: str
    payer_tax_code: str | None  # businesses only
    payer_address: str
    items: list[ReceiptLine]
    total_vnd: int
    # What this receipt acknowledges was paid: the total, or less when short-paid.
    collected_vnd: int
    method: str  # e.g. "VNPay", "Chuyển khoản VietQR", "Tiền mặt tại quầy"
    transaction_ref: str
    verify_url: str  # the public page that confirms the receipt, for the QR code
    refunded_vnd: int = 0
    # What earlier payments covered of these items (an order paying the rest of fees
    # short-paid before): the total is the items less this.
    paid_before_vnd: int = 0


def render_receipt(view: ReceiptView) -> bytes:
    """The receipt as a PDF. A receipt contradicting itself is refused (ValueError)."""
    check(view)
    receipt = _Receipt(view)
    receipt.draw()
    return bytes(receipt.pdf.output())


def check(view: ReceiptView) -> None:
    """The total is the sum of the items, what was collected no more than the total,
    and the refund no more than what was collected."""
    if not view.items:
        raise ValueError("a receipt lists at least one item")
    if any(item.full_vnd is not None and item.full_vnd < item.amount_vnd for item in view.items):
        raise ValueError("a reduction cannot raise an item's amount")
    if view.paid_before_vnd < 0:
        raise ValueError("what was paid before cannot be negative")
    if view.total_vnd != sum(item.amount_vnd for item in view.items) - view.paid_before_vnd:
        raise ValueError("the receipt's total is not the sum of its items")
    if not 0 <= view.collected_vnd <= view.total_vnd:
        raise ValueError("what was collected must be between nothing and the total")
    if not 0 <= view.refunded_vnd <= view.collected_vnd:
        raise ValueError("the refund must be between nothing and what was collected")


def minus(amount_vnd: int) -> str:
    """An amount taken off: "-20.000" (Noto Sans as embedded has no U+2212 minus)."""
    return "-" + format_number(amount_vnd, "vi")


def numbered(view: ReceiptView) -> str:
    """The receipt's symbol and number as one name: "MC-26E 0000012"."""
    return f"{view.symbol} {view.number}".strip()


class _Receipt:
    def __init__(self, view: ReceiptView) -> None:
        self.view = view
        self.issued = in_vietnam(view.issued_at)
        self.pdf = a4_sheet(
            f"Biên lai số {numbered(view)}",
            title=f"Biên lai thu phí, lệ phí số {numbered(view)}",
            author=view.agency_name,
            created=self.issued,
            margins=(LEFT, TOP, RIGHT, BOTTOM),
        )
        self.width = self.pdf.epw

    def draw(self) -> None:
        self.header()
        self.payer()
        self.items()
        self.payment()
        self.signature()
        self.check()

    def header(self) -> None:
        """The collecting agency at top left, the symbols and number at top right, then
        the title."""
        pdf, view = self.pdf, self.view
        left_width = 95.0
        right_x = LEFT + left_width + 5
        right_width = self.width - left_width - 5
        pdf.text_block(view.province_name.upper(), width=left_width, height=5, size=10.5, align="C")
        pdf.text_block(
            view.agency_name.upper(), width=left_width, height=5, style="B", size=10.5, align="C"
        )
        rule, y = 24.0, pdf.get_y() + 0.8
        pdf.line(LEFT + (left_width - rule) / 2, y, LEFT + (left_width + rule) / 2, y)
        pdf.set_y(pdf.get_y() + 2)
        pdf.text_block(
            f"Mã số thuế: {view.agency_tax_code or UNREGISTERED}",
            width=left_width,
            height=4.6,
            size=9.5,
            align="C",
        )
        if one_line(view.agency_address):
            pdf.text_block(
                f"Địa chỉ: {one_line(view.agency_address)}",
                width=left_width,
                height=4.6,
                size=9.5,
                align="C",
            )
        left_bottom = pdf.get_y() + 1

        pdf.set_xy(right_x, TOP)
        # A receipt from before legal numbering has a symbol and no template: none shown.
        legacy = view.symbol and not view.template_symbol
        rows = [] if legacy else [("Ký hiệu mẫu", view.template_symbol)]
        for label, value in [*rows, ("Ký hiệu", view.symbol), ("Số", view.number)]:
            pdf.set_x(right_x)
            pdf.set_font(FONT, "", 10.5)
            pdf.write(5, f"{label}: ")
            pdf.set_font(FONT, "B", 10.5)
            beside = right_width - pdf.get_string_width(f"{label}: ")
            pdf.multi_cell(beside, 5, value or UNREGISTERED, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.4)
        pdf.set_xy(LEFT, max(left_bottom, pdf.get_y()) + 6)

        pdf.text_block(TITLE, height=7.5, style="B", size=15, align="C")
        pdf.text_block(SUBTITLE, style="I", align="C")
        pdf.text_block(
            f"Ngày {legal_date(self.issued.date())}, lúc {format_time(self.issued, 'vi')}",
            style="I",
            size=10.5,
            align="C",
        )
        pdf.ln(5)

    def payer(self) -> None:
        pdf, view = self.pdf, self.view
        pdf.field_line("Tên đơn vị hoặc người nộp tiền", view.payer_name, bold=True)
        if view.payer_tax_code:
            pdf.field_line("Mã số thuế", view.payer_tax_code)
        # Online payers may give none: an electronic receipt is not filled in by hand.
        if one_line(view.payer_address):
            pdf.field_line("Địa chỉ", view.payer_address)
        pdf.ln(2)

    def items(self) -> None:
        """The items collected, headings repeated on every page, and the total."""
        pdf = self.pdf
        pdf.set_font(FONT, "", 9.5)
        bold = FontFace(emphasis="BOLD")
        with pdf.table(
            col_widths=(10, 52, 80, 33),
            line_height=4.8,
            padding=1.2,
            text_align=("CENTER", "LEFT", "LEFT", "RIGHT"),
            v_align="TOP",
            repeat_headings=1,
            headings_style=bold,
        ) as table:
            heading = table.row()
            for title in ("STT", "Mã hồ sơ", "Tên loại phí, lệ phí", "Số tiền (đồng)"):
                heading.cell(title, align="C")
            # Each fee at its base, and what lowered it as a row of its own, so that
            # the amounts printed add up to the total (issue 16).
            for number, item in enumerate(self.view.items, start=1):
                row = table.row()
                row.cell(str(number))
                row.cell(one_line(item.dossier_code))
                rule = one_line(item.rule)
                # A rule with no amount taken off here (its base not given) is named
                # under the label, as before.
                named = f"\n({rule})" if rule and not item.reduction_vnd else ""
                row.cell(one_line(item.label) + named)
                row.cell(format_number(item.amount_vnd + item.reduction_vnd, "vi"))
                if item.reduction_vnd:
                    reduction = table.row()
                    reduction.cell("")
                    reduction.cell("")
                    reduction.cell(f"Giảm: {rule or ONLINE_REDUCTION}")
                    reduction.cell(minus(item.reduction_vnd))
            if self.view.paid_before_vnd:
                paid = table.row()
                paid.cell(PAID_BEFORE, colspan=3, align="R")
                paid.cell(minus(self.view.paid_before_vnd))
            total = table.row()
            total.cell("Tổng cộng", colspan=3, align="R", style=bold)
            total.cell(format_number(self.view.total_vnd, "vi"), style=bold)
        pdf.ln(3)

    def payment(self) -> None:
        pdf, view = self.pdf, self.view
        if view.collected_vnd != view.total_vnd:
            pdf.field_line("Số tiền đã nộp", format_vnd(view.collected_vnd, "vi"), bold=True)
        pdf.field_line("Số tiền bằng chữ", vnd_in_words(view.collected_vnd), bold=True)
        pdf.field_line("Hình thức thanh toán", view.method)
        pdf.field_line("Mã giao dịch", view.transaction_ref)
        if view.refunded_vnd:
            pdf.field_line(
                "Đã hoàn",
                f"{format_vnd(view.refunded_vnd, 'vi')} ({vnd_in_words(view.refunded_vnd)})",
                bold=True,
            )

    def signature(self) -> None:
        """The collecting organisation's signature at the right, kept together: a
        digital signature, which receipts do not carry yet."""
        pdf, view = self.pdf, self.view
        pdf.ln(3)
        if pdf.will_page_break(22):
            pdf.add_page()
        width = 85.0
        x = LEFT + self.width - width
        pdf.set_x(x)
        pdf.text_block("ĐƠN VỊ THU PHÍ, LỆ PHÍ", width=width, style="B", size=10.5, align="C")
        pdf.set_x(x)
        pdf.text_block("(Chữ ký số)", width=width, style="I", size=9.5, align="C")
        pdf.set_x(x)
        pdf.text_block(view.agency_name, width=width, size=9.5, align="C")
        pdf.set_x(x)
        pdf.text_block(UNSIGNED, width=width, style="I", size=9.5, align="C")
        pdf.set_x(LEFT)

    def check(self) -> None:
        """The QR code of the checking page with its address, kept together."""
        pdf, url = self.pdf, self.view.verify_url
        pdf.ln(3)
        if pdf.will_page_break(QR_SIDE + 2):
            pdf.add_page()
        top = pdf.get_y()
        # The quiet zone hangs into the margin, so the modules line up with the text.
        draw_qr(pdf, url, LEFT - 3, top, QR_SIDE)
        beside = self.width - QR_SIDE - 2
        pdf.set_xy(LEFT + QR_SIDE + 2, top + 4)
        pdf.text_block(QR_CAPTION, width=beside, style="B", size=10.5)
        pdf.text_block(
            "Quét mã QR bằng camera điện thoại, hoặc nhập địa chỉ dưới đây, để xem biên "
            f"lai số {numbered(self.view)} trên hệ thống của cơ quan thu.",
            width=beside,
            height=5,
            size=10,
        )
        pdf.text_block(short_address(url), width=beside, height=4.2, size=8.5)
        pdf.set_xy(LEFT, max(pdf.get_y(), top + QR_SIDE))
