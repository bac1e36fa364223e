"""Mẫu số 01, the receipt and appointment slip: the documents received (on paper or as
files), the appointment date, and the QR code of the tracking link."""

from __future__ import annotations

from backend.catalogue import service as catalogue
from backend.documents import draw_qr, short_address
from backend.dossiers.forms.sheet import (
    BLANK,
    LEFT,
    LINE,
    SIGNATURES,
    Column,
    FormSheet,
    Signature,
    day,
    moment,
    wrapped_lines,
)
from backend.dossiers.schemas import EventRead

CHANNEL_LABELS: dict[str, str] = {
    "online": "Trực tuyến, qua Cổng dịch vụ công",
    "counter": "Trực tiếp tại Bộ phận Một cửa",
    "post": "Qua dịch vụ bưu chính công ích",
    "assisted": "Cán bộ hỗ trợ nộp hồ sơ thay người dân",
}


class Receipt(FormSheet):
    def draw(self, event: EventRead | None) -> None:
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
                Column("TT", 8, "C"),
                Column("Tên giấy tờ", 70),
                Column("Bản chính", 14, "C"),
                Column("Bản sao", 14, "C"),
                Column("Hình thức nộp", 28, "C"),
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
        if self.context.claim_code:
            # The citizen's secret for taking the dossier into their account: the
            # dossier's code and phone alone are not enough (issue 15).
            self.para(
                f"7. Mã nhận hồ sơ trên ứng dụng Một Cửa: {self.context.claim_code}", style="B"
            )
            self.para(
                "Vào “Hồ sơ của tôi”, mục “Nhận hồ sơ nộp tại quầy”, nhập mã hồ sơ, số điện "
                "thoại đã khai và mã nhận hồ sơ này. Không đưa mã này cho người khác; nhập "
                "sai nhiều lần, hồ sơ bị khóa nhận cho đến khi bộ phận một cửa cấp mã mới.",
                indent=4,
            )

        # The QR code, its address under it, and how to use it, kept together.
        side = 36.0
        url = short_address(self.context.tracking_url)
        self.font("", 8)
        url_lines = wrapped_lines(pdf, self.width, 3.8, url)
        block = side + 1 + 3.8 * len(url_lines) + 2
        pdf.ln(2)
        # With the signatures, so these never stand alone on the last page.
        if pdf.will_page_break(block + SIGNATURES):
            pdf.add_page()
        top = pdf.get_y()
        # The quiet zone hangs into the margin, so the modules line up with the text.
        draw_qr(pdf, self.context.tracking_url, LEFT - 3, top, side)
        pdf.set_xy(LEFT + side + 2, top + 5)
        self.pdf.text_block(
            "Theo dõi tình trạng hồ sơ", width=self.width - side - 2, style="B", size=10.5
        )
        self.pdf.text_block(
            "Quét mã QR bằng camera điện thoại hoặc ứng dụng Zalo, hoặc nhập địa chỉ in "
            "dưới mã, để xem hồ sơ đang ở bước nào và ngày hẹn trả kết quả. "
            f"Khi liên hệ, xin cho biết mã hồ sơ {self.code}.",
            width=self.width - side - 2,
            height=5,
            size=10,
        )
        pdf.set_xy(LEFT, top + side + 1)
        self.pdf.text_block(url, height=3.8, size=8)

        self.signatures(
            [
                Signature("NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", d.applicant_name),
                Signature(
                    "NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", self.receiving_official()
                ),
            ]
        )

    def received_components(self) -> list[list[str]]:
        """One row per component received: on paper (ticked at the counter when the
        dossier was received) or as files uploaded for it; and the evidence of the
        applicant group declared for a fee exemption."""
        d = self.dossier
        on_paper: set[int] = set()
        evidence_on_paper = False
        for e in d.events:
            # A counter entry that owed a fee first records them on its submission.
            if e.action in {"submit", "receive"}:
                for value in e.details.get("components_received") or []:
                    if isinstance(value, int):
                        on_paper.add(value)
                evidence_on_paper |= e.details.get("group_evidence_received") is True
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
        group = catalogue.APPLICANT_GROUPS.get(d.applicant_group)
        evidence = sum(1 for f in d.files if f.purpose == "evidence")
        if group is not None and (evidence_on_paper or evidence):
            forms = ["Bản giấy"] if evidence_on_paper else []
            if evidence:
                forms.append(f"Bản điện tử ({evidence} tệp)")
            rows.append(
                [
                    str(len(rows) + 1),
                    f"Giấy tờ chứng minh thuộc đối tượng miễn, giảm phí, lệ phí "
                    f"({group.name_vi}): {group.evidence_vi}",
                    "—",
                    "—",
                    ", ".join(forms),
                ]
            )
        return rows
