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
RECEPTION = "Bộ phận tiếp nhận và trả kết quả"
# Whose step receives the dossier after these: the result's maker, then who returns it.
_NEXT = {"decide": "attach_result", "attach_result": "return_result"}
# Longer notes go under the slip's table, not into its narrow column.
NOTE_IN_TABLE = 160


class ControlSlip(FormSheet):
    def draw(self, event: EventRead | None) -> None:
        """Mẫu số 05: one line per handoff, each judged against the appointment date
        in force when it happened."""
        d = self.dossier
        events = sorted(d.events, key=lambda e: (e.at, e.id))
        names = self.agency_names(events)
        received = self.received_at()
        self.header(events[-1].at if events else received)
        self.title()
        self.field("Kèm theo hồ sơ của", d.applicant_name, bold=True)
        self.field("Thủ tục", f"{d.procedure_name_vi} (mã thủ tục {d.procedure_code})")
        self.field("Cơ quan (bộ phận) giải quyết hồ sơ", self.context.agency_name)
        # The other agencies that held the dossier: the one that received it and
        # passed it on, and any it went through before reaching this one.
        partners: list[str] = []
        for e in events:
            if e.action != "transfer":
                continue
            for code in (e.details.get("from_agency"), e.details.get("to_agency")):
                name = names.get(str(code or ""), str(code or ""))
                if name and code != d.agency_code and name not in partners:
                    partners.append(name)
        self.field("Cơ quan phối hợp giải quyết hồ sơ", ", ".join(partners) or "Không")
        self.field("Thời gian nhận hồ sơ", moment(received) if received else BLANK)
        self.field("Ngày hẹn trả kết quả", day(d.due_date), bold=True)
        self.pdf.ln(1)
        rows, notes = self.handoffs(events, names)
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

    def agency_names(self, events: Sequence[EventRead]) -> dict[str, str]:
        """The agencies' names as the transfers recorded them, and the one issuing the
        slip (the agency handling the dossier now); a code stands for any other."""
        names: dict[str, str] = {}
        for e in events:
            if e.action == "transfer":
                for side in ("from", "to"):
                    code, name = (
                        e.details.get(f"{side}_agency"),
                        e.details.get(f"{side}_agency_name"),
                    )
                    if code and name:
                        names[str(code)] = str(name)
        names[self.dossier.agency_code] = self.context.agency_name
        return names

    def handoffs(
        self, events: Sequence[EventRead], names: dict[str, str]
    ) -> tuple[list[list[str]], list[tuple[int, str]]]:
        """The slip's rows, and the notes too long for its narrow column (printed
        under the table, numbered from their rows). A person of an agency other than
        the one that received the dossier is named with their agency."""
        d = self.dossier

        def at(person: str, agency: str) -> str:
            if not agency or agency == d.receiving_agency:
                return person
            return f"{person}\n({names.get(agency, agency)})"

        apologies = [e for e in events if e.action == "apologise"]
        due = (iso_day(apologies[0].details.get("old_due_date")) if apologies else None) or (
            d.due_date
        )
        applicant = self.person(d.applicant_name, "citizen")
        rows: list[list[str]] = []
        notes: list[tuple[int, str]] = []
        requester = proposer = ""
        for index, e in enumerate(events):
            here = e.agency_code
            actor = self.person(e.actor_name, e.actor_role)
            giver = at(actor, here)
            receiver = at(RECEPTION, here)
            match e.action:
                case "receive":
                    giver, receiver = applicant, giver
                case "request_supplement" | "refuse" | "return_result" | "apologise":
                    receiver = applicant
                case "submit" | "withdraw":
                    giver = applicant
                case "supplement":
                    giver, receiver = applicant, requester or receiver
                case "assign":
                    receiver = at(self.person(self.assignee(e), "processing"), here)
                case "transfer":
                    giver, receiver = self.transfer(events, index, names)
                case "propose":
                    leader = self.next_actor(events, index, {"decide", "send_back"})
                    receiver = at(leader or ROLE_LABELS["leader"], here)
                case "send_back":
                    receiver = proposer or at(ROLE_LABELS["processing"], here)
                case "decide" | "attach_result":
                    then = self.next_actor(events, index, {_NEXT[e.action]})
                    receiver = at(then, here) if then else receiver
            if e.action == "request_supplement":
                requester = giver
            elif e.action == "propose":
                proposer = giver
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

    def transfer(
        self, events: Sequence[EventRead], index: int, names: dict[str, str]
    ) -> tuple[str, str]:
        """Who handed the dossier over, from which agency, and who received it next at
        the other: whoever took the next step there (its reception, or its leader,
        assigning it), or that agency's reception while nobody has."""
        e = events[index]
        source = str(e.details.get("from_agency") or e.agency_code)
        target = str(e.details.get("to_agency") or "")
        giver = f"{self.person(e.actor_name, e.actor_role)}\n({names.get(source, source)})"
        if not target:
            return giver, BLANK
        there = next(
            (
                later
                for later in events[index + 1 :]
                if later.agency_code == target and later.actor_role != "citizen"
            ),
            None,
        )
        person = self.person(there.actor_name, there.actor_role) if there else RECEPTION
        return giver, f"{person}\n({names.get(target, target)})"

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
