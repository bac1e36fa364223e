"""Submission: a citizen's draft becomes a dossier with its code and fees, and an
official enters a walk-in citizen's dossier (received at once; the citizen claims it
with the code on form 01: ``claims``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
from piccolo.querystring import QueryString

from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import ApplicantGroup
from backend.db import active_engine, write_transaction
from backend.dossiers import lifecycle
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import AssistedCreate, DossierRead
from backend.dossiers.service.access import readable
from backend.dossiers.service.answers import APPLICANT_FIELDS, check_applicant, sort_answers
from backend.dossiers.service.drafts import components_of
from backend.dossiers.service.fees import fees_due
from backend.dossiers.service.groups import (
    group_named,
    group_problems,
    lowering,
    not_offered,
    rules_of,
)
from backend.dossiers.service.history import append_event, move
from backend.dossiers.service.reads import get_dossier, read_of
from backend.dossiers.service.reminders import tell_fee_due
from backend.dossiers.tables import Dossier
from backend.errors import Conflict, FieldProblem, Forbidden, InvalidInput, Problems
from backend.i18n import N_, Localized
from backend.workdays import service as workdays

RECEPTION_ROLES = frozenset({"reception", "leader"})


async def _next_code(agency_code: str, day: dt.date) -> str:
    """The next code of the agency's day. One atomic upsert: concurrent submissions
    (SQLite's write lock, PostgreSQL's row lock) each get their own number."""
    day_key = f"{agency_code}-{day:%y%m%d}"
    rows = await active_engine().run_querystring(
        QueryString(
            "INSERT INTO dossiers_sequence (day_key, last_number) VALUES ({}, 1) "
            "ON CONFLICT (day_key) DO UPDATE SET "
            "last_number = dossiers_sequence.last_number + 1 RETURNING last_number",
            day_key,
        )
    )
    return f"{day_key}-{int(rows[0]['last_number']):04d}"


def submission_problems(
    dossier: DossierRead, offered: Sequence[ApplicantGroup]
) -> list[FieldProblem]:
    """Everything submission would refuse now: the applicant's details, the answers, the
    required documents without a file, and an applicant group declared that is not
    among those ``offered`` (the fee rules' groups for it now) or has no evidence."""
    _, problems = check_applicant(
        {name: getattr(dossier, name) for name in APPLICANT_FIELDS}, required=True
    )
    _, unanswered = sort_answers(
        dossier.form_fields, dossier.form_data, required={f.name for f in dossier.form_fields}
    )
    problems += unanswered
    present = {f.component_id for f in dossier.files if f.purpose == "component"}
    missing = [c for c in dossier.components if c.required and c.uploadable and c.id not in present]
    if missing:
        names = Localized(
            "; ".join(c.name_vi for c in missing), "; ".join(c.name_en for c in missing)
        )
        problems.append(FieldProblem("files", N_("Còn thiếu giấy tờ: %(names)s.", names=names)))
    return problems + group_problems(dossier, offered)


async def submit(runtime: DossiersRuntime, principal: Principal, dossier_id: int) -> DossierRead:
    row, access = await readable(principal, dossier_id)
    if row.status != "draft":
        raise Conflict(
            N_(
                "Hồ sơ này đã được nộp (mã %(code)s). Không cần nộp lại.",
                code=row.code or "",
            ),
            field="dossier",
        )
    lifecycle.transition("draft", "submit", access.actor)
    now = runtime.now()
    today = runtime.today()
    rules = await rules_of(row.procedure_code)
    offered = lowering(
        row.fees,
        row.channel,
        row.form_data,
        rules=rules,
        on=today,
        agency_code=row.receiving_agency,
    )
    problems = submission_problems(await read_of(runtime, principal, row, access), offered)
    if problems:
        raise InvalidInput(problems=problems)
    calendar = await workdays.load()
    async with write_transaction():
        code = await _next_code(row.receiving_agency, today)
        await move(
            runtime,
            principal,
            row,
            "submit",
            "submitted",
            {
                Dossier.code: code,
                Dossier.submitted_at: now,
                # Provisional: the appointment is fixed when the dossier is received.
                Dossier.due_date: calendar.add_working_days(today, row.processing_days),
                **fees_due(
                    row.fees,
                    row.channel,
                    row.form_data,
                    rules=rules,
                    on=today,
                    agency_code=row.receiving_agency,
                    group=row.applicant_group,
                ),
            },
        )
        # Fees due before reception: the receipt is not the end, paying is next.
        await tell_fee_due(runtime, dossier_id)
    return await get_dossier(runtime, principal, dossier_id)


async def create_assisted(
    runtime: DossiersRuntime, principal: Principal, data: AssistedCreate
) -> DossierRead:
    """An official enters a walk-in citizen's dossier: it is received at once, unless
    a fee due at reception is still to be paid."""
    if principal.role not in RECEPTION_ROLES:
        raise lifecycle.ActionForbidden(N_("Chỉ cán bộ tiếp nhận được nhập hồ sơ tại quầy."))
    procedure = await catalogue.get_procedure(data.procedure_code)
    agency_code = principal.agency_code or ""
    if agency_code not in procedure.agency_codes:
        raise Forbidden(N_("Thủ tục này không thuộc cơ quan của bạn."), field="procedure_code")
    problems = Problems()
    applicant, found = check_applicant(
        {name: getattr(data, name) for name in APPLICANT_FIELDS}, required=True
    )
    problems.items.extend(found)
    answers, found = sort_answers(
        procedure.form_fields, data.form_data, required={f.name for f in procedure.form_fields}
    )
    problems.items.extend(found)
    components = components_of(procedure)
    if set(data.components_received) - {c["id"] for c in components}:
        problems.add("components_received", N_("Giấy tờ không thuộc thủ tục."))
    now = runtime.now()
    today = runtime.today()
    fees = msgspec.to_builtins(procedure.fees)
    group = data.applicant_group
    if group:
        offered = lowering(
            fees,
            data.channel,
            answers,
            rules=procedure.fee_rules,
            on=today,
            agency_code=agency_code,
        )
        if group not in {g.code for g in offered}:
            problems.items.append(not_offered(group))
        elif not data.group_evidence_received:
            # At the counter the evidence is shown on paper, like the components.
            problems.add(
                "group_evidence_received",
                N_(
                    "Người nộp khai thuộc đối tượng “%(group)s”: hãy kiểm tra giấy tờ chứng "
                    "minh và đánh dấu đã nhận, hoặc bỏ chọn đối tượng.",
                    group=group_named(group),
                ),
            )
    problems.raise_any()
    calendar = await workdays.load()
    due = {
        column._meta.name: value
        for column, value in fees_due(
            fees,
            data.channel,
            answers,
            rules=procedure.fee_rules,
            on=today,
            agency_code=agency_code,
            group=group,
        ).items()
    }
    # A fee due at reception is paid before the dossier is received, at the counter and
    # for a mobile team too: such an entry gets its code and waits, submitted, while the
    # official takes the cash (the console's payment block) or the citizen pays online,
    # and is then received as any other. Nothing to pay, or fees due with the result:
    # received at once.
    received = not lifecycle.waits_for_fees(
        "receive",
        payment_stage=procedure.payment_stage,
        fee_total=due["fee_total"],
        payment_status=due["payment_status"],
    )
    entered: lifecycle.Status = "received" if received else "submitted"
    async with write_transaction():
        code = await _next_code(agency_code, today)
        rows = await Dossier.insert(
            Dossier(
                **due,
                code=code,
                draft_key=f"staff-{code}",
                procedure_code=procedure.code,
                procedure_name_vi=procedure.name_vi,
                procedure_name_en=procedure.name_en,
                processing_days=procedure.processing_days,
                components=components,
                form_fields=msgspec.to_builtins(procedure.form_fields),
                fees=fees,
                payment_stage=procedure.payment_stage,
                receiving_agency=agency_code,
                agency_code=agency_code,
                status=entered,
                channel=data.channel,
                entered_by=principal.account_id,
                form_data=answers,
                created_at=now,
                updated_at=now,
                submitted_at=now,
                received_at=now if received else None,
                due_date=calendar.add_working_days(today, procedure.processing_days),
                applicant_name=applicant["applicant_name"],
                applicant_phone=applicant["applicant_phone"],
                applicant_id_number=applicant["applicant_id_number"],
                applicant_address=applicant["applicant_address"],
                applicant_group=group,
            )
        ).returning(Dossier.id)
        dossier_id = rows[0]["id"]
        await append_event(
            runtime,
            principal,
            dossier_id,
            "receive" if received else "submit",
            "draft",
            entered,
            agency_code,
            note="",
            details={
                "channel": data.channel,
                "components_received": data.components_received,
                **({"group_evidence_received": True} if group else {}),
            },
        )
    return await get_dossier(runtime, principal, dossier_id)


def require_file(dossier: DossierRead, component_id: int) -> None:
    """A required document of a draft has a photo or a file before the next step."""
    component = next((c for c in dossier.components if c.id == component_id), None)
    if component is None or not component.required:
        return
    if any(f.purpose == "component" and f.component_id == component_id for f in dossier.files):
        return
    raise InvalidInput(
        N_(
            "Hãy chụp ảnh hoặc chọn tệp “%(name)s” trước khi tiếp tục.",
            name=Localized(component.name_vi, component.name_en),
        ),
        field="file",
    )
