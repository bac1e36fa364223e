"""Drafts: made by a citizen (idempotent by the client's key), saved step by step, and
deleted while nothing is submitted. A draft copies what the procedure asks for (its
name, processing time, components, questions, fees): catalogue edits never rewrite it."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.attachments import Storage
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import ProcedureRead
from backend.db import write_transaction
from backend.dossiers import lifecycle
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ComponentSnapshot, DossierRead, DraftCreate, DraftUpdate
from backend.dossiers.service.access import readable
from backend.dossiers.service.answers import APPLICANT_FIELDS, check_applicant, sort_answers
from backend.dossiers.service.groups import GROUP_FIELD, lowering, not_offered, rules_of
from backend.dossiers.service.reads import get_dossier
from backend.dossiers.tables import Dossier, DossierFile
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, Problems
from backend.i18n import N_

EDITABLE = ("draft", "supplement_requested")


def components_of(procedure: ProcedureRead) -> list[dict[str, Any]]:
    """The procedure's components as a dossier keeps them."""
    return [
        msgspec.to_builtins(
            ComponentSnapshot(
                id=component.id,
                name_vi=component.name_vi,
                name_en=component.name_en,
                originals=component.originals,
                copies=component.copies,
                required=component.required,
                uploadable=component.uploadable,
            )
        )
        for component in procedure.components
    ]


async def create_draft(
    runtime: DossiersRuntime, principal: Principal, data: DraftCreate
) -> tuple[DossierRead, bool]:
    """A new draft, or the one this key already made (a replay): (dossier, created)."""
    if principal.kind != "citizen":
        raise Forbidden(N_("Cán bộ nhập hồ sơ cho người dân ở mục “Nhập hồ sơ tại quầy”."))
    existing = await Dossier.select(Dossier.id, Dossier.owner_id).where(
        Dossier.draft_key == data.draft_key
    )
    if existing:
        if existing[0]["owner_id"] != principal.account_id:
            raise Conflict(N_("Mã nháp này đã được dùng. Hãy tải lại trang."), field="draft_key")
        return await get_dossier(runtime, principal, existing[0]["id"]), False
    procedure = await catalogue.get_procedure(data.procedure_code)
    agency = await catalogue.agency_for(procedure, data.agency_code)
    if agency is None:
        raise InvalidInput(
            N_("Hãy chọn nơi nộp hồ sơ: xã, phường hoặc cơ quan thực hiện thủ tục."),
            field="agency_code",
        )
    if procedure.online_level == "info":
        raise InvalidInput(
            N_("Thủ tục này chưa nộp trực tuyến được; hãy đến bộ phận một cửa."),
            field="procedure_code",
        )
    if data.organisation_id is not None and not await accounts.membership_role(
        principal.account_id, data.organisation_id
    ):
        raise NotFound(N_("Không tìm thấy tổ chức này."), field="organisation_id")
    account = await accounts.get_account(principal.account_id)
    now = runtime.now()
    async with write_transaction():
        rows = await Dossier.insert(
            Dossier(
                draft_key=data.draft_key,
                procedure_code=procedure.code,
                procedure_name_vi=procedure.name_vi,
                procedure_name_en=procedure.name_en,
                processing_days=procedure.processing_days,
                components=components_of(procedure),
                form_fields=msgspec.to_builtins(procedure.form_fields),
                fees=msgspec.to_builtins(procedure.fees),
                payment_stage=procedure.payment_stage,
                receiving_agency=agency.code,
                agency_code=agency.code,
                status="draft",
                channel="online",
                owner_id=principal.account_id,
                organisation_id=data.organisation_id,
                applicant_name=account.full_name,
                applicant_phone=account.phone or "",
                applicant_id_number=account.citizen_id or "",
                created_at=now,
                updated_at=now,
            )
        ).returning(Dossier.id)
    return await get_dossier(runtime, principal, rows[0]["id"]), True


async def update_draft(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    data: DraftUpdate,
    *,
    complete: bool = False,
) -> DossierRead:
    """Save one step: every valid value given is kept, then ``InvalidInput`` names each
    one at fault (what was saved before stays for those). ``complete``: the step must be
    finished, so the required questions and details among those given must be answered.
    A draft takes any answer of the right type; a dossier waiting for a supplement takes
    only the answers that were asked for."""
    row, access = await readable(principal, dossier_id)
    if access.actor != "citizen" or row.status not in EDITABLE:
        raise lifecycle.TransitionRefused(N_("Hồ sơ đã nộp thì không sửa được nữa."))
    problems = Problems()
    changes: dict[Any, Any] = {}
    # What the dossier will hold once saved (the groups offered depend on them).
    answers, agency_code = row.form_data, row.receiving_agency
    if data.form_data is not msgspec.UNSET:
        given = data.form_data
        if row.status == "supplement_requested":
            asked = {item.field for item in row.supplement_items if item.field}
            if set(given) - asked:
                raise InvalidInput(
                    N_("Chỉ sửa được những thông tin cơ quan yêu cầu bổ sung."), field="form_data"
                )
        cleaned, found = sort_answers(
            row.form_fields, {**row.form_data, **given}, required=given if complete else ()
        )
        # An answer refused keeps the one saved before; one emptied is emptied.
        refused = {problem.field.removeprefix("form_data.") for problem in found if problem.field}
        kept = {
            name: row.form_data[name]
            for name in refused
            if name in row.form_data and given.get(name, "").strip()
        }
        changes[Dossier.form_data] = answers = {**cleaned, **kept}
        problems.items.extend(found)
    applicant = {
        name: value
        for name in APPLICANT_FIELDS
        if (value := getattr(data, name)) is not msgspec.UNSET
    }
    if applicant:
        if row.status != "draft":
            raise InvalidInput(
                N_("Không sửa được thông tin người nộp sau khi đã nộp."), field="applicant_name"
            )
        cleaned, found = check_applicant(applicant, required=complete)
        for name, value in cleaned.items():
            changes[getattr(Dossier, name)] = value
        problems.items.extend(found)
    if data.agency_code is not msgspec.UNSET:
        if row.status != "draft":
            raise InvalidInput(N_("Hồ sơ đã nộp thì không đổi được nơi nộp."), field="agency_code")
        procedure = await catalogue.get_procedure(row.procedure_code)
        agency = await catalogue.agency_for(procedure, data.agency_code)
        if agency is not None:
            changes[Dossier.receiving_agency] = changes[Dossier.agency_code] = agency.code
            agency_code = agency.code
    # Evidence proves one group: a new choice drops what was attached for the old one.
    dropped: list[str] = []
    if data.applicant_group is not msgspec.UNSET:
        if row.status != "draft":
            raise InvalidInput(
                N_("Hồ sơ đã nộp thì không đổi được đối tượng miễn, giảm phí."), field=GROUP_FIELD
            )
        group = data.applicant_group.strip()
        offered = lowering(
            row.fees,
            row.channel,
            answers,
            rules=await rules_of(row.procedure_code),
            on=runtime.today(),
            agency_code=agency_code,
        )
        if group and group not in {g.code for g in offered}:
            problems.items.append(not_offered(group))
        elif group != row.applicant_group:
            changes[Dossier.applicant_group] = group
            dropped = [
                r["storage_key"]
                for r in await DossierFile.select(DossierFile.storage_key).where(
                    (DossierFile.dossier == dossier_id) & (DossierFile.purpose == "evidence")
                )
            ]
    if changes:
        changes[Dossier.updated_at] = runtime.now()
        async with write_transaction():
            updated = (
                await Dossier.update(changes)
                .where((Dossier.id == dossier_id) & Dossier.status.is_in(list(EDITABLE)))
                .returning(Dossier.id)
            )
            if updated and dropped:
                await DossierFile.delete().where(
                    (DossierFile.dossier == dossier_id) & DossierFile.storage_key.is_in(dropped)
                )
        if updated:
            for key in dropped:
                await runtime.attachments.storage.delete(key)
    problems.raise_any()
    return await get_dossier(runtime, principal, dossier_id)


async def delete_draft(principal: Principal, dossier_id: int, storage: Storage) -> None:
    row, access = await readable(principal, dossier_id)
    if access.actor != "citizen" or row.status != "draft":
        raise lifecycle.TransitionRefused(N_("Chỉ xóa được bản nháp."))
    keys = [
        r["storage_key"]
        for r in await DossierFile.select(DossierFile.storage_key).where(
            DossierFile.dossier == dossier_id
        )
    ]
    async with write_transaction():
        await Dossier.delete().where((Dossier.id == dossier_id) & (Dossier.status == "draft"))
    for key in keys:
        await storage.delete(key)
