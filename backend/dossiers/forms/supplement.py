"""Mẫu số 02, the request to supplement or complete a dossier: everything missing,
listed once, in writing."""

from __future__ import annotations

from typing import Any

from backend.dossiers.forms.kinds import latest_event
from backend.dossiers.forms.sheet import (
    BLANK,
    FormSheet,
    Signature,
)
from backend.dossiers.schemas import EventRead


class SupplementRequest(FormSheet):
    def draw(self, event: EventRead | None) -> None:
        """Mẫu số 02: everything missing, listed once, in writing."""
        assert event is not None  # render_form gives the one documented
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
        self.signatures([Signature("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", event.actor_name)])

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
