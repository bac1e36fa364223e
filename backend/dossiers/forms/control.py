"""Mẫu số 05, the process-control slip: one line per handoff, each judged against the
appointment date in force when it happened."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from backend.documents import printable
from backend.dossiers.forms.sheet import (
    BLANK,
    Column,
    FormSheet,
    day,
    iso_day,
    moment,
)
from backend.dossiers.lifecycle import ACTION_LABELS
from backend.dossiers.schemas import EventRead
from backend.vietnam import in_vietnam

ROLE_LABELS: dict[str, str] = {
    "citizen": "Người nộp hồ sơ",
    "reception": "Cán bộ tiếp nhận",
    "processing": "Cán bộ xử lý",
    "leader": "Lãnh đạo",
}
DECISION_LABELS: dict[str, str] = {"approve": "phê duyệt", "reject": "không phê duyệt"}
# Longer notes go under the slip's table, not into its narrow column.
NOTE_IN_TABLE = 160


class ControlSlip(FormSheet):
    def draw(self, event: EventRead | None) -> None:
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
                Column("TT", 9, "C"),
                Column("Bên giao", 36),
                Column("Bên nhận", 36),
                Column("Thời gian giao, nhận hồ sơ", 30, "C"),
                Column("Kết quả (trước hạn / đúng hạn / quá hạn)", 25, "C"),
                Column("Ghi chú", 36),
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
        due = (iso_day(apologies[0].details.get("old_due_date")) if apologies else None) or (
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
            note = printable(e.note)
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
                due = iso_day(e.details.get("new_due_date")) or due
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
        on = in_vietnam(event.at).date()
        if on < due:
            return "Trước hạn"
        return "Đúng hạn" if on == due else "Quá hạn"

    @staticmethod
    def remark(event: EventRead) -> str:
        label, details = ACTION_LABELS[event.action].render("vi"), event.details
        match event.action:
            case "request_supplement":
                return f"{label}: {len(details.get('items') or [])} nội dung."
            case "refuse":
                return f"{label}: {len(details.get('reasons') or [])} lý do."
            case "apologise":
                return f"{label}: {day(iso_day(details.get('new_due_date')))}."
            case "propose" if details.get("proposal") in DECISION_LABELS:
                return f"{label}: đề xuất {DECISION_LABELS[details['proposal']]}."
            case "decide" if details.get("decision") in DECISION_LABELS:
                return f"{label}: {DECISION_LABELS[details['decision']]}."
        return f"{label}."
