"""Drafts: made by a citizen (idempotent by the client's key), saved step by step, and
deleted while nothing is submitted. A draft copies what the procedure asks for (its
name, processing time, components, questions, fees): catalogue edits never rewrite it."""

from __future__ import annotations

from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.attachments import Storage
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import ProcedureRead
from backend.db import write_transaction
from backend.dossiers import lifecycle
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import (
    ComponentSnapshot,
    DossierRead,
    DossierSummary,
    DraftCreate,
    DraftUpdate,
)
from backend.dossiers.service.access import readable
from backend.dossiers.service.answers import APPLICANT_FIELDS, check_applicant, sort_answers
from backend.dossiers.service.groups import GROUP_FIELD, lowering, not_offered, rules_of
from backend.dossiers.service.reads import _SUMMARY, _summaries, get_dossier
from backend.dossiers.service.rows import not_found, stale
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


def _payer(organisation_id: int | None) -> Combinable:
    """Filed for oneself, or for this organisation."""
    if organisation_id is None:
        return Dossier.organisation_id.is_null()
    return Dossier.organisation_id == organisation_id


async def _draft_of(
    owner_id: int, procedure_code: str, agency_code: str, organisation_id: int | None
) -> int | None:
    """The person's draft of this procedure at this agency for this payer, the one
    last worked on when they asked for others."""
    rows = (
        await Dossier.select(Dossier.id)
        .where(
            (Dossier.owner_id == owner_id)
            & (Dossier.procedure_code == procedure_code)
            & (Dossier.receiving_agency == agency_code)
            & (Dossier.status == "draft")
            & _payer(organisation_id)
        )
        .order_by(Dossier.updated_at, Dossier.id, ascending=False)
        .limit(1)
    )
    return int(rows[0]["id"]) if rows else None


async def _by_key(principal: Principal, draft_key: str) -> int | None:
    existing = await Dossier.select(Dossier.id, Dossier.owner_id).where(
        Dossier.draft_key == draft_key
    )
    if not existing:
        return None
    if existing[0]["owner_id"] != principal.account_id:
        raise Conflict(N_("Mã nháp này đã được dùng. Hãy tải lại trang."), field="draft_key")
    return int(existing[0]["id"])


async def create_draft(
    runtime: DossiersRuntime, principal: Principal, data: DraftCreate
) -> tuple[DossierRead, bool]:
    """A new draft, or (dossier, False) the one this key already made (a replay) or,
    unless ``another`` is asked, the one the person has of this procedure at this
    agency for this payer. Two requests at once make one: the unique index of drafts
    (or of keys) lets one insert through, the other finds it."""
    if principal.kind != "citizen":
        raise Forbidden(N_("Cán bộ nhập hồ sơ cho người dân ở mục “Nhập hồ sơ tại quầy”."))
    if (replayed := await _by_key(principal, data.draft_key)) is not None:
        return await get_dossier(runtime, principal, replayed), False
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
    slot = (principal.account_id, procedure.code, agency.code, data.organisation_id)
    if not data.another and (found := await _draft_of(*slot)) is not None:
        return await get_dossier(runtime, principal, found), False
    account = await accounts.get_account(principal.account_id)
    now = runtime.now()
    async with write_transaction():
        rows = (
            await Dossier.insert(
                Dossier(
                    draft_key=data.draft_key,
                    another_draft=data.another,
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
            )
            # Either index may refuse it: this key's draft, or this slot's.
            .on_conflict(action="DO NOTHING")
            .returning(Dossier.id)
        )
    if rows:
        return await get_dossier(runtime, principal, rows[0]["id"]), True
    # The other request of the pair made it: by this key, or the person's draft here.
    found = await _by_key(principal, data.draft_key)
    if found is None:
        found = await _draft_of(*slot)
    if found is None:  # made and deleted between the two statements
        raise stale()
    return await get_dossier(runtime, principal, found), False


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
        if agency is not None and agency.code != row.receiving_agency:
            changes[Dossier.receiving_agency] = changes[Dossier.agency_code] = agency.code
            # The person may have a draft there already: this one joins it as a
            # further draft rather than being refused (or refusing theirs).
            changes[Dossier.another_draft] = True
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


async def drafts_for(
    runtime: DossiersRuntime, principal: Principal, procedure_code: str, agency_code: str
) -> list[DossierSummary]:
    """The drafts the person started of this procedure at this agency, for themselves
    or for an organisation they are a member of now, the one last worked on first."""
    organisations = await accounts.organisation_ids_of(principal.account_id)
    payer: Combinable = Dossier.organisation_id.is_null()
    if organisations:
        payer = payer | Dossier.organisation_id.is_in(organisations)
    rows = (
        await Dossier.select(*_SUMMARY)
        .where(
            (Dossier.owner_id == principal.account_id)
            & (Dossier.procedure_code == procedure_code)
            & (Dossier.receiving_agency == agency_code)
            & (Dossier.status == "draft")
            & payer
        )
        .order_by(Dossier.updated_at, Dossier.id, ascending=False)
        .limit(50)
    )
    return _summaries(rows, runtime.today())


def _not_a_draft() -> lifecycle.TransitionRefused:
    return lifecycle.TransitionRefused(N_("Chỉ xóa được bản nháp."))


async def delete_draft(principal: Principal, dossier_id: int, storage: Storage) -> None:
    """A draft and its files go; anyone else's dossier is "not found", a submitted
    one cannot be (409). The rows go first: a crash before the files are removed
    leaves files no row holds, which the orphan sweep removes (as it does the file of
    an upload that lands on PostgreSQL while the draft is being deleted)."""
    row, access = await readable(principal, dossier_id)
    if access.actor != "citizen" or row.status != "draft":
        raise _not_a_draft()
    async with write_transaction():
        keys = [
            r["storage_key"]
            for r in await DossierFile.select(DossierFile.storage_key).where(
                DossierFile.dossier == dossier_id
            )
        ]
        deleted = (
            await Dossier.delete()
            .where((Dossier.id == dossier_id) & (Dossier.status == "draft"))
            .returning(Dossier.id)
        )
    if not deleted:
        # Submitted, or deleted by another request, since it was read.
        current = await Dossier.select(Dossier.status).where(Dossier.id == dossier_id)
        if not current:
            raise not_found()
        raise _not_a_draft()
    for key in keys:
        await storage.delete(key)
