"""The lifecycle's steps after submission. ``lifecycle.transition`` says who may take a
step from which state; each step here adds what a table cannot say (the assignee, the
fees, the dates, what a request must list), reports every problem of the form at once,
and returns what changes on the dossier and what its history line records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead
from backend.db import fetch, write_transaction
from backend.dossiers import lifecycle
from backend.dossiers.lifecycle import Action
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.dossiers.service.access import readable
from backend.dossiers.service.answers import sort_answers
from backend.dossiers.service.files import round_of
from backend.dossiers.service.history import move
from backend.dossiers.service.reads import get_dossier
from backend.dossiers.service.results import unsigned_results
from backend.dossiers.service.rows import DossierRow, stale
from backend.dossiers.service.submission import submit
from backend.dossiers.tables import Dossier, DossierFile
from backend.errors import InvalidInput, NotFound, Problems
from backend.i18n import N_, Localized, Money, Number, Text
from backend.vietnam import VIETNAM
from backend.workdays import service as workdays


@dataclass(frozen=True, slots=True)
class StepContext:
    runtime: DossiersRuntime
    principal: Principal
    row: DossierRow
    data: ActionIn
    calendar: workdays.WorkCalendar


# What a step changes on the dossier, and what its history line records.
StepResult = tuple[dict[Any, Any], dict[str, Any]]


async def act(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, data: ActionIn
) -> DossierRead:
    """Take one step of the lifecycle (everything but drafting and submission)."""
    if data.action == "submit":
        return await submit(runtime, principal, dossier_id)
    row, access = await readable(principal, dossier_id)
    if not access.may_act:
        raise lifecycle.ActionForbidden(N_("Hồ sơ đang do cơ quan khác giải quyết."))
    if data.version != row.version:
        raise stale()
    to_status = lifecycle.transition(
        row.status,
        data.action,
        access.actor,
        resume=row.resume_status,
        decision=data.decision,
        supplemented=data.action == "request_supplement" and await supplemented(row.id),
    )
    calendar = await workdays.load()
    async with write_transaction():
        changes, details = await _STEPS[data.action](
            StepContext(runtime, principal, row, data, calendar)
        )
        await move(
            runtime,
            principal,
            row,
            data.action,
            to_status,
            changes,
            note=data.note,
            details=details,
        )
    return await get_dossier(runtime, principal, dossier_id)


# The history is append-only, so a request once made is there for good: the rule
# holds after the citizen has supplied what was asked, and after a transfer.
_SUPPLEMENTED = (
    "SELECT 1 AS found FROM dossiers_event WHERE dossier = {}"
    " AND action = 'request_supplement' LIMIT 1"
)


async def supplemented(dossier_id: int) -> bool:
    """Whether a supplement was ever requested of this dossier."""
    return bool(await fetch(_SUPPLEMENTED, dossier_id))


def _assignee_only(principal: Principal, row: DossierRow) -> None:
    if principal.role == "processing" and row.assignee_id != principal.account_id:
        raise lifecycle.ActionForbidden(N_("Hồ sơ này được giao cho cán bộ khác."))


def _fees_settled(row: DossierRow, action: Action, before: Text) -> None:
    if lifecycle.waits_for_fees(
        action,
        payment_stage=row.payment_stage,
        fee_total=row.fee_total,
        payment_status=row.payment_status,
    ):
        raise InvalidInput(
            N_(
                "Hồ sơ chưa nộp phí, lệ phí (%(amount)s). Người nộp thanh toán trực tuyến, "
                "hoặc cán bộ ghi nhận tiền mặt thu tại quầy, trước khi %(step)s.",
                amount=Money(row.fee_total),
                step=before,
            ),
            field="payment",
        )


async def _receive(step: StepContext) -> StepResult:
    _fees_settled(step.row, "receive", N_("tiếp nhận"))
    due = step.calendar.add_working_days(step.runtime.today(), step.row.processing_days)
    return {Dossier.received_at: step.runtime.now(), Dossier.due_date: due}, {}


async def _request_supplement(step: StepContext) -> StepResult:
    row, data = step.row, step.data
    _assignee_only(step.principal, row)
    problems = Problems()
    if not data.items:
        problems.add("items", N_("Hãy liệt kê mọi giấy tờ, thông tin còn thiếu (một lần, đầy đủ)."))
    component_ids = {c.id for c in row.components}
    field_names = {f.name for f in row.form_fields}
    for index, item in enumerate(data.items):
        if item.component_id is not None and item.component_id not in component_ids:
            problems.add(f"items[{index}].component_id", N_("Giấy tờ không thuộc hồ sơ."))
        if item.field is not None and item.field not in field_names:
            problems.add(f"items[{index}].field", N_("Thông tin không thuộc biểu mẫu."))
    problems.raise_any()
    items = msgspec.to_builtins(data.items)
    paused = row.status in lifecycle.CLOCK_RUNNING
    return {
        Dossier.supplement_items: items,
        Dossier.resume_status: row.status,
        Dossier.paused_at: step.runtime.now() if paused else None,
    }, {"items": items}


async def _supplement(step: StepContext) -> StepResult:
    row = step.row
    files = await DossierFile.select(DossierFile.component_id).where(
        (DossierFile.dossier == row.id) & (DossierFile.round == round_of(row))
    )
    sent = {f["component_id"] for f in files}
    missing = [
        item.label
        for item in row.supplement_items
        if item.component_id is not None and item.component_id not in sent
    ]
    problems = Problems()
    if missing:
        # The labels are the official's words, as the request listed them.
        problems.add(
            "files", N_("Hãy gửi đủ giấy tờ được yêu cầu: %(names)s.", names="; ".join(missing))
        )
    _, unanswered = sort_answers(
        row.form_fields, row.form_data, required={f.name for f in row.form_fields}
    )
    problems.items.extend(unanswered)
    problems.raise_any()
    changes: dict[Any, Any] = {
        Dossier.supplement_items: [],
        Dossier.resume_status: None,
        Dossier.paused_at: None,
    }
    details: dict[str, Any] = {}
    if row.paused_at is not None and row.due_date is not None:
        # The clock stopped while the dossier waited: the appointment moves by the
        # working days it waited.
        waited = step.calendar.working_days_between(
            row.paused_at.astimezone(VIETNAM).date(), step.runtime.today()
        )
        new_due = row.due_date
        if waited:
            new_due = step.calendar.add_working_days(new_due, waited)
        changes[Dossier.due_date] = new_due
        details = {"waited_days": waited, "new_due_date": new_due.isoformat()}
    return changes, details


async def _refuse(step: StepContext) -> StepResult:
    if not step.data.reasons:
        raise InvalidInput(N_("Hãy ghi rõ lý do từ chối."), field="reasons")
    return {Dossier.finished_at: step.runtime.now()}, {"reasons": list(step.data.reasons)}


async def _assign(step: StepContext) -> StepResult:
    wanted = step.data.assignee_id
    officials = await accounts.officials_of(step.row.agency_code, ("processing", "leader"))
    chosen = [official for official in officials if official.id == wanted]
    if not chosen:
        raise InvalidInput(N_("Hãy chọn một cán bộ xử lý của cơ quan."), field="assignee_id")
    return {Dossier.assignee_id: wanted}, {
        "assignee_id": wanted,
        "assignee_name": chosen[0].full_name,
    }


async def _transfer_target(row: DossierRow, typed: str | None) -> AgencyRead:
    """The agency a dossier may be passed on to: one of the province's catalogue that
    carries out the dossier's procedure, other than the one holding it."""
    code = (typed or "").strip()
    if not code:
        raise InvalidInput(N_("Hãy chọn cơ quan nhận hồ sơ."), field="target_agency")
    if code == row.agency_code:
        raise InvalidInput(
            N_("Hồ sơ đang do chính cơ quan này giải quyết; hãy chọn một cơ quan khác."),
            field="target_agency",
        )
    try:
        agency = await catalogue.get_agency(code)
    except NotFound:
        raise InvalidInput(
            N_(
                "Không có cơ quan nào của tỉnh mang mã %(code)s: chỉ chuyển được hồ sơ đến "
                "cơ quan trong danh mục của tỉnh.",
                code=code,
            ),
            field="target_agency",
        ) from None
    if not await catalogue.carries_out(agency.code, row.procedure_code):
        raise InvalidInput(
            N_(
                "%(agency)s không thực hiện thủ tục %(code)s; hãy chọn một cơ quan thực "
                "hiện thủ tục này.",
                agency=Localized(agency.name_vi, agency.name_en),
                code=row.procedure_code,
            ),
            field="target_agency",
        )
    return agency


async def _transfer(step: StepContext) -> StepResult:
    _assignee_only(step.principal, step.row)
    source = step.row.agency_code
    agency = await _transfer_target(step.row, step.data.target_agency)
    try:
        source_name = (await catalogue.get_agency(source)).name_vi
    except NotFound:
        source_name = ""  # since removed from the catalogue: the code stands for it
    # The appointment stays the one given at reception, and the clock keeps running:
    # the citizen is not made to wait longer because the dossier changed hands.
    # The names as they were then: the process-control slip (Form 05) prints them.
    return {Dossier.agency_code: agency.code, Dossier.assignee_id: None}, {
        "from_agency": source,
        "to_agency": agency.code,
        "from_agency_name": source_name,
        "to_agency_name": agency.name_vi,
    }


async def _propose(step: StepContext) -> StepResult:
    _assignee_only(step.principal, step.row)
    if step.data.decision is None:
        raise InvalidInput(N_("Hãy chọn đề xuất phê duyệt hoặc không phê duyệt."), field="decision")
    return {}, {"proposal": step.data.decision}


async def _send_back(step: StepContext) -> StepResult:
    return {}, {}


async def _decide(step: StepContext) -> StepResult:
    return {Dossier.decision: step.data.decision}, {"decision": step.data.decision}


async def _attach_result(step: StepContext) -> StepResult:
    _assignee_only(step.principal, step.row)
    results = await DossierFile.count().where(
        (DossierFile.dossier == step.row.id) & (DossierFile.purpose == "result")
    )
    if not results:
        raise InvalidInput(N_("Hãy tải lên văn bản kết quả trước."), field="file")
    unsigned = await unsigned_results(step.runtime, step.row.id, step.row.agency_code)
    if unsigned:
        raise InvalidInput(
            N_(
                "Cơ quan ký số kết quả: còn %(count)s văn bản chưa được lãnh đạo ký số.",
                count=Number(unsigned),
            ),
            field="file",
        )
    return {Dossier.result_ready_at: step.runtime.now()}, {}


def _closed(step: StepContext) -> StepResult:
    return {Dossier.finished_at: step.runtime.now(), Dossier.paused_at: None}, {}


async def _return_result(step: StepContext) -> StepResult:
    _fees_settled(step.row, "return_result", N_("trả kết quả"))
    return _closed(step)


async def _withdraw(step: StepContext) -> StepResult:
    # A citizen may take back a dossier they have not paid for: nothing is owed for a
    # dossier that will not be handled (what was paid is refunded by the payments domain).
    return _closed(step)


async def _apologise(step: StepContext) -> StepResult:
    due: dt.date | None = step.row.due_date
    today = step.runtime.today()
    calendar = step.calendar
    new_due = step.data.new_due_date
    problems = Problems()
    # Decree 61/2018 Art. 19: the apology goes out no later than one working day
    # before the appointment, or once it has passed.
    if due is None or calendar.working_days_between(today, due) > 1:
        problems.add(
            "new_due_date", N_("Chỉ gửi thư xin lỗi khi hồ sơ sắp đến hoặc đã quá ngày hẹn.")
        )
    elif new_due is None or new_due <= max(due, today):
        problems.add("new_due_date", N_("Ngày hẹn mới phải sau ngày hẹn cũ và sau hôm nay."))
    elif not calendar.is_working_day(new_due):
        problems.add("new_due_date", N_("Ngày hẹn mới phải là ngày làm việc."))
    if not step.data.note.strip():
        problems.add("note", N_("Hãy ghi lý do chậm trễ."))
    problems.raise_any()
    assert due is not None and new_due is not None
    return {Dossier.due_date: new_due}, {
        "old_due_date": due.isoformat(),
        "new_due_date": new_due.isoformat(),
    }


_STEPS: dict[Action, Callable[[StepContext], Awaitable[StepResult]]] = {
    "receive": _receive,
    "request_supplement": _request_supplement,
    "supplement": _supplement,
    "refuse": _refuse,
    "assign": _assign,
    "transfer": _transfer,
    "propose": _propose,
    "send_back": _send_back,
    "decide": _decide,
    "attach_result": _attach_result,
    "return_result": _return_result,
    "withdraw": _withdraw,
    "apologise": _apologise,
}
