"""Mẫu số 04, the apology and new date: the date missed, the reason, the new date."""

from __future__ import annotations

from backend.dossiers.forms.kinds import latest_event
from backend.dossiers.forms.sheet import (
    BLANK,
    FormSheet,
    Signature,
    day,
    iso_day,
)
from backend.dossiers.schemas import EventRead
from backend.vietnam import in_vietnam


class Apology(FormSheet):
    def draw(self, event: EventRead | None) -> None:
        """Mẫu số 04: the date missed, the reason, the new date."""
        assert event is not None  # render_form gives the one documented
        d = self.dossier
        agency = self.context.agency_name
        old = iso_day(event.details.get("old_due_date"))
        new = iso_day(event.details.get("new_due_date"))
        if new is None and latest_event(d, "apologise") == event:
            new = d.due_date
        received = self.received_at()
        self.header(event.at)
        self.title()
        self.pdf.text_block(f"Kính gửi: Ông/Bà {d.applicant_name}", style="B", align="C")
        self.pdf.ln(3)
        self.para(
            f"Ngày {day(in_vietnam(received).date() if received else None)}, {agency} tiếp nhận "
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
            [Signature("THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên và đóng dấu)", "")],
            left_note=[
                f"Ông/Bà {d.applicant_name};",
                f"Người lập phiếu: {event.actor_name or BLANK};",
                f"Lưu: hồ sơ {self.code}.",
            ],
        )
