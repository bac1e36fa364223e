"""Mẫu số 03, the refusal to accept a dossier: the reasons, numbered."""

from __future__ import annotations

from backend.dossiers.forms.sheet import (
    BLANK,
    FormSheet,
    Signature,
)
from backend.dossiers.schemas import EventRead


class Refusal(FormSheet):
    def draw(self, event: EventRead | None) -> None:
        """Mẫu số 03: the reasons, numbered."""
        assert event is not None  # render_form gives the one documented
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
                Signature("NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", self.dossier.applicant_name),
                Signature("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", event.actor_name),
            ]
        )
