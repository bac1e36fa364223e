"""The rules of dossiers: drafts, submission, the lifecycle, deadlines, access, tracking.

Access is decided here, on every call, from the dossier's row: a citizen reaches the
dossiers they own and those of their organisations; an official those of their agency
(never drafts); anyone else gets "not found", so ids reveal nothing. Every state change
runs in one write transaction with its history line and its outbox message, and is
applied only if the dossier's version is still the one the person saw.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from piccolo.custom_types import Combinable
from piccolo.querystring import QueryString

from backend.accounts import service as accounts
from backend.accounts import validation
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import FormField
from backend.db import active_engine, fetch, write_transaction
from backend.dossiers import forms, lifecycle
from backend.dossiers.lifecycle import Action, Actor, Status
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import (
    ActionIn,
    AssistedCreate,
    ComponentSnapshot,
    DossierPage,
    DossierRead,
    DossierSummary,
    DraftCreate,
    DraftUpdate,
    FileRead,
    OfficialRead,
    Queue,
    TrackingRead,
    TrackingStep,
)
from backend.dossiers.storage import Storage
from backend.dossiers.tables import Dossier, DossierEvent, DossierFile
from backend.dossiers.uploads import CheckedFile
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.outbox import service as outbox
from backend.vietnam import VIETNAM
from backend.workdays import service as workdays

MAX_DOSSIER_BYTES = 50 * 1024 * 1024
MAX_FILES = 60
STAFF_ACTORS: frozenset[str] = frozenset({"reception", "processing", "leader"})
# Outbox kinds: the events a citizen is told about (the notifications issue sends them).
NOTICES: dict[Action, str] = {
    "receive": "dossier.received",
    "request_supplement": "dossier.supplement_requested",
    "refuse": "dossier.refused",
    "apologise": "dossier.late",
    "attach_result": "dossier.result_ready",
    "return_result": "dossier.returned",
}
_ID_NUMBER = re.compile(r"^\d{12}$")


# ------------------------------------------------------------------------ errors


def _not_found() -> NotFound:
    return NotFound(
        "Không tìm thấy hồ sơ này, hoặc bạn không có quyền xem.",
        "No such dossier, or you may not see it.",
        field="dossier",
    )


def _stale() -> Conflict:
    return Conflict(
        "Hồ sơ vừa được người khác cập nhật. Hãy tải lại trang để xem trạng thái mới.",
        "Someone else has just updated this dossier. Reload the page to see its new state.",
        field="version",
    )


def _invalid(field_name: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(vi, en, field=field_name)


# ------------------------------------------------------------------------ access


@dataclass(frozen=True, slots=True)
class Access:
    actor: Actor
    # Officials act only on dossiers their agency holds now; the receiving agency of a
    # transferred dossier still sees it.
    may_act: bool


# A dossier page reads these on every request: fixed SQL text (see backend.db.fetch).
_DOSSIER = "SELECT * FROM dossiers_dossier WHERE id = {}"
_JSON_COLUMNS = ("components", "form_fields", "form_data", "supplement_items", "fees", "fee_lines")
_FILES = (
    'SELECT id, purpose, component_id, "round", media_type, size, pages, display_name,'
    " created_at FROM dossiers_file WHERE dossier = {} ORDER BY id"
)
_EVENTS = "SELECT * FROM dossiers_event WHERE dossier = {} ORDER BY id"


async def _row(dossier_id: int) -> dict[str, Any]:
    rows = await fetch(_DOSSIER, dossier_id)
    if not rows:
        raise _not_found()
    row = rows[0]
    for column in _JSON_COLUMNS:
        row[column] = json.loads(row[column])
    return row


async def _access(principal: Principal, row: dict[str, Any]) -> Access:
    if principal.kind == "citizen":
        if row["owner_id"] == principal.account_id:
            return Access("citizen", True)
        organisation = row["organisation_id"]
        if organisation is not None and await accounts.membership_role(
            principal.account_id, organisation
        ):
            return Access("citizen", True)
        raise _not_found()
    if principal.role in STAFF_ACTORS and row["status"] != "draft":
        here = principal.agency_code
        if here == row["agency_code"]:
            return Access(cast(Actor, principal.role), True)
        if here == row["receiving_agency"]:
            return Access(cast(Actor, principal.role), False)
    raise _not_found()


async def _readable(principal: Principal, dossier_id: int) -> tuple[dict[str, Any], Access]:
    row = await _row(dossier_id)
    return row, await _access(principal, row)


# ------------------------------------------------------------------ form answers


def active(field_def: FormField, answers: dict[str, str]) -> bool:
    """Whether a question applies, given the answers (its condition)."""
    return field_def.when is None or answers.get(field_def.when.field, "") == field_def.when.equals


def _check_answer(field_def: FormField, value: str) -> str:
    name = f"form_data.{field_def.name}"
    label_vi, label_en = field_def.label_vi, field_def.label_en
    if field_def.type in {"text", "address"}:
        if len(value) > field_def.max_length:
            raise _invalid(
                name,
                f"“{label_vi}” dài quá {field_def.max_length} ký tự.",
                f"“{label_en}” is longer than {field_def.max_length} characters.",
            )
        return value
    if field_def.type == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            raise _invalid(
                name, f"“{label_vi}” phải là một số.", f"“{label_en}” must be a number."
            ) from None
        if (field_def.min is not None and number < field_def.min) or (
            field_def.max is not None and number > field_def.max
        ):
            raise _invalid(
                name,
                f"“{label_vi}” nằm ngoài khoảng cho phép.",
                f"“{label_en}” is out of the allowed range.",
            )
        return value.replace(",", ".")
    if field_def.type == "date":
        try:
            if "/" in value:
                day, month, year = (int(part) for part in value.split("/"))
                parsed = dt.date(year, month, day)
            else:
                parsed = dt.date.fromisoformat(value)
        except ValueError:
            raise _invalid(
                name,
                f"“{label_vi}” phải là một ngày, ví dụ 25/12/2020.",
                f"“{label_en}” must be a date, for example 25/12/2020.",
            ) from None
        return parsed.isoformat()
    if field_def.type == "choice":
        if value not in {option.value for option in field_def.options}:
            raise _invalid(
                name,
                f"Hãy chọn một câu trả lời cho “{label_vi}”.",
                f"Choose one of the answers to “{label_en}”.",
            )
        return value
    digits = re.sub(r"\s", "", value)  # id_number
    if not _ID_NUMBER.fullmatch(digits):
        raise _invalid(
            name,
            f"“{label_vi}” phải gồm đúng 12 chữ số (số căn cước công dân).",
            f"“{label_en}” must be exactly 12 digits (the citizen ID number).",
        )
    return digits


def check_answers(
    fields: list[FormField], answers: dict[str, str], *, complete: bool
) -> dict[str, str]:
    """The answers, normalised; unknown fields and wrong types refused. ``complete``
    also requires every required field that applies (on submission)."""
    by_name = {field_def.name: field_def for field_def in fields}
    for name in answers:
        if name not in by_name:
            raise _invalid(
                f"form_data.{name}",
                "Biểu mẫu có một ô không thuộc thủ tục này.",
                "The form has a field this procedure does not ask for.",
            )
    cleaned: dict[str, str] = {}
    for field_def in fields:
        value = answers.get(field_def.name, "").strip()
        if not active(field_def, {**answers, **cleaned}):
            continue
        if not value:
            if complete and field_def.required:
                raise _invalid(
                    f"form_data.{field_def.name}",
                    f"Hãy điền “{field_def.label_vi}”.",
                    f"Fill in “{field_def.label_en}”.",
                )
            continue
        cleaned[field_def.name] = _check_answer(field_def, value)
    return cleaned


def _applicant(
    name: str, phone: str, id_number: str, address: str, *, complete: bool
) -> dict[str, str]:
    out: dict[str, str] = {"applicant_address": address.strip()[:300]}
    name = name.strip()
    if name or complete:
        out["applicant_name"] = validation.full_name(name, "applicant_name")
    else:
        out["applicant_name"] = ""
    phone = phone.strip()
    out["applicant_phone"] = validation.phone(phone, "applicant_phone") if phone or complete else ""
    id_number = re.sub(r"\s", "", id_number)
    if id_number and not _ID_NUMBER.fullmatch(id_number):
        raise _invalid(
            "applicant_id_number",
            "Số căn cước công dân phải gồm đúng 12 chữ số.",
            "The citizen ID number must be exactly 12 digits.",
        )
    out["applicant_id_number"] = id_number
    return out


# ------------------------------------------------------------------------ drafts


def _components(procedure: Any) -> list[dict[str, Any]]:
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
        raise Forbidden(
            "Cán bộ nhập hồ sơ cho người dân ở mục “Nhập hồ sơ tại quầy”.",
            "Officials enter dossiers for citizens under “Enter a dossier at the counter”.",
        )
    existing = await Dossier.select(Dossier.id, Dossier.owner_id).where(
        Dossier.draft_key == data.draft_key
    )
    if existing:
        if existing[0]["owner_id"] != principal.account_id:
            raise Conflict(
                "Mã nháp này đã được dùng. Hãy tải lại trang.",
                "This draft key is taken. Reload the page.",
                field="draft_key",
            )
        return await get_dossier(runtime, principal, existing[0]["id"]), False
    procedure = await catalogue.get_procedure(data.procedure_code)
    if procedure.online_level == "info":
        raise _invalid(
            "procedure_code",
            "Thủ tục này chưa nộp trực tuyến được; hãy đến bộ phận một cửa.",
            "This procedure cannot be submitted online yet; please visit the one-stop counter.",
        )
    if data.organisation_id is not None and not await accounts.membership_role(
        principal.account_id, data.organisation_id
    ):
        raise NotFound(
            "Không tìm thấy tổ chức này.", "No such organisation.", field="organisation_id"
        )
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
                components=_components(procedure),
                form_fields=msgspec.to_builtins(procedure.form_fields),
                fees=msgspec.to_builtins(procedure.fees),
                payment_stage=procedure.payment_stage,
                receiving_agency=procedure.agency_code,
                agency_code=procedure.agency_code,
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


def _fields_of(row: dict[str, Any]) -> list[FormField]:
    return msgspec.convert(row["form_fields"], list[FormField])


async def update_draft(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, data: DraftUpdate
) -> DossierRead:
    """Save one step. A draft takes any answer of the right type; a dossier waiting
    for a supplement takes only the answers that were asked for."""
    row, access = await _readable(principal, dossier_id)
    if access.actor != "citizen" or row["status"] not in {"draft", "supplement_requested"}:
        raise lifecycle.TransitionRefused(
            "Hồ sơ đã nộp thì không sửa được nữa.",
            "A submitted dossier can no longer be edited.",
        )
    changes: dict[Any, Any] = {}
    if data.form_data is not msgspec.UNSET:
        merged = {**row["form_data"], **data.form_data}
        if row["status"] == "supplement_requested":
            asked = {item["field"] for item in row["supplement_items"] if item.get("field")}
            if set(data.form_data) - asked:
                raise _invalid(
                    "form_data",
                    "Chỉ sửa được những thông tin cơ quan yêu cầu bổ sung.",
                    "Only the answers the agency asked for can be changed.",
                )
        changes[Dossier.form_data] = check_answers(_fields_of(row), merged, complete=False)
    applicant = {
        "applicant_name": data.applicant_name,
        "applicant_phone": data.applicant_phone,
        "applicant_id_number": data.applicant_id_number,
        "applicant_address": data.applicant_address,
    }
    if any(value is not msgspec.UNSET for value in applicant.values()):
        if row["status"] != "draft":
            raise _invalid(
                "applicant_name",
                "Không sửa được thông tin người nộp sau khi đã nộp.",
                "The applicant's details cannot change after submission.",
            )
        current = {key: row[key] for key in applicant}
        given = {k: v for k, v in applicant.items() if v is not msgspec.UNSET}
        merged_applicant = cast(dict[str, str], {**current, **given})
        for key, value in _applicant(
            merged_applicant["applicant_name"],
            merged_applicant["applicant_phone"],
            merged_applicant["applicant_id_number"],
            merged_applicant["applicant_address"],
            complete=False,
        ).items():
            changes[getattr(Dossier, key)] = value
    if changes:
        changes[Dossier.updated_at] = runtime.now()
        async with write_transaction():
            await Dossier.update(changes).where(
                (Dossier.id == dossier_id) & Dossier.status.is_in(["draft", "supplement_requested"])
            )
    return await get_dossier(runtime, principal, dossier_id)


async def delete_draft(principal: Principal, dossier_id: int, storage: Storage) -> None:
    row, access = await _readable(principal, dossier_id)
    if access.actor != "citizen" or row["status"] != "draft":
        raise lifecycle.TransitionRefused("Chỉ xóa được bản nháp.", "Only a draft can be deleted.")
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


# ------------------------------------------------------------------------- files


def _round_of(row: dict[str, Any]) -> int:
    return int(row["version"]) if row["status"] == "supplement_requested" else 0


async def add_file(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    checked: CheckedFile,
    *,
    component_id: int | None,
) -> FileRead:
    """Attach a checked file. Citizens add components to a draft, or the requested ones
    while a supplement is awaited; officials add the result once a decision is made."""
    row, access = await _readable(principal, dossier_id)
    component_ids = {component["id"] for component in row["components"]}
    if access.actor == "citizen":
        purpose = "component"
        if row["status"] == "draft":
            allowed_ids = {c["id"] for c in row["components"] if c.get("uploadable", True)}
        elif row["status"] == "supplement_requested":
            allowed_ids = {
                item["component_id"]
                for item in row["supplement_items"]
                if item.get("component_id") is not None
            }
        else:
            raise lifecycle.TransitionRefused(
                "Hồ sơ đã nộp: chỉ thêm được giấy tờ khi cơ quan yêu cầu bổ sung.",
                "The dossier is submitted: documents can be added only when the agency "
                "asks for a supplement.",
            )
        if component_id not in allowed_ids:
            raise _invalid(
                "component_id",
                "Giấy tờ này không thuộc hồ sơ hoặc không được yêu cầu lúc này.",
                "This document is not part of the dossier or not asked for now.",
            )
    else:
        if not access.may_act or row["status"] not in {"approved", "rejected"}:
            raise lifecycle.TransitionRefused(
                "Chỉ đính kèm kết quả sau khi lãnh đạo đã quyết định.",
                "The result can be attached only after the leader's decision.",
            )
        purpose = "result"
        if component_id is not None and component_id not in component_ids:
            raise _invalid("component_id", "Giấy tờ không hợp lệ.", "Unknown document.")
        component_id = None
    sizes = await DossierFile.select(DossierFile.size).where(DossierFile.dossier == dossier_id)
    if len(sizes) >= MAX_FILES:
        raise _invalid(
            "file",
            f"Một hồ sơ có tối đa {MAX_FILES} tệp.",
            f"A dossier holds at most {MAX_FILES} files.",
        )
    if sum(r["size"] for r in sizes) + len(checked.data) > MAX_DOSSIER_BYTES:
        raise _invalid(
            "file",
            "Hồ sơ đã gần 50 MB, không thêm được tệp này. Hãy chụp ảnh nhỏ hơn hoặc bỏ bớt tệp.",
            "The dossier is close to 50 MB: this file does not fit. Take smaller photos "
            "or remove a file.",
        )
    key = await runtime.storage.put(checked.data)
    try:
        async with write_transaction():
            current = await Dossier.select(Dossier.status, Dossier.version).where(
                Dossier.id == dossier_id
            )
            if not current or current[0]["status"] != row["status"]:
                raise _stale()
            rows = await DossierFile.insert(
                DossierFile(
                    dossier=dossier_id,
                    purpose=purpose,
                    component_id=component_id,
                    round=_round_of(row),
                    storage_key=key,
                    media_type=checked.media_type,
                    size=len(checked.data),
                    pages=checked.pages,
                    display_name=checked.display_name,
                    sha256=hashlib.sha256(checked.data).hexdigest(),
                    uploaded_by=principal.account_id,
                    created_at=runtime.now(),
                )
            ).returning(*DossierFile.all_columns())
            await Dossier.update({Dossier.updated_at: runtime.now()}).where(
                Dossier.id == dossier_id
            )
    except BaseException:
        await runtime.storage.delete(key)
        raise
    return _file_read(rows[0])


def _file_read(row: dict[str, Any]) -> FileRead:
    return msgspec.convert(row, FileRead, strict=False)


async def remove_file(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, file_id: int
) -> None:
    """Only what is still being prepared can be removed: a draft's files, the current
    supplement's, or a result not yet released."""
    row, access = await _readable(principal, dossier_id)
    files = await DossierFile.select().where(
        (DossierFile.id == file_id) & (DossierFile.dossier == dossier_id)
    )
    if not files:
        raise NotFound("Không tìm thấy tệp này.", "No such file.", field="file")
    file_row = files[0]
    removable = (
        access.actor == "citizen"
        and file_row["purpose"] == "component"
        and (
            row["status"] == "draft"
            or (row["status"] == "supplement_requested" and file_row["round"] == _round_of(row))
        )
    ) or (
        access.actor != "citizen"
        and access.may_act
        and file_row["purpose"] == "result"
        and row["status"] in {"approved", "rejected"}
    )
    if not removable:
        raise lifecycle.TransitionRefused(
            "Tệp này đã được nộp nên không xóa được.",
            "This file has been submitted and cannot be removed.",
        )
    async with write_transaction():
        await DossierFile.delete().where(DossierFile.id == file_id)
    await runtime.storage.delete(file_row["storage_key"])


async def open_file(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, file_id: int
) -> tuple[FileRead, bytes]:
    row, access = await _readable(principal, dossier_id)
    files = await DossierFile.select().where(
        (DossierFile.id == file_id) & (DossierFile.dossier == dossier_id)
    )
    if not files:
        raise NotFound("Không tìm thấy tệp này.", "No such file.", field="file")
    # A citizen sees the result only once it is released.
    if (
        access.actor == "citizen"
        and files[0]["purpose"] == "result"
        and row["status"] not in {"result_ready", "returned"}
    ):
        raise NotFound("Không tìm thấy tệp này.", "No such file.", field="file")
    return _file_read(files[0]), await runtime.storage.get(files[0]["storage_key"])


# -------------------------------------------------------------------- submission


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


def _missing_components(row: dict[str, Any], files: list[dict[str, Any]]) -> list[str]:
    present = {f["component_id"] for f in files if f["purpose"] == "component"}
    return [
        c["name_vi"]
        for c in row["components"]
        if c["required"] and c.get("uploadable", True) and c["id"] not in present
    ]


async def submit(runtime: DossiersRuntime, principal: Principal, dossier_id: int) -> DossierRead:
    row, access = await _readable(principal, dossier_id)
    if row["status"] != "draft":
        raise Conflict(
            f"Hồ sơ này đã được nộp (mã {row['code']}). Không cần nộp lại.",
            f"This dossier has already been submitted (code {row['code']}). "
            "There is no need to submit it again.",
            field="dossier",
        )
    lifecycle.transition("draft", "submit", access.actor)
    check_answers(_fields_of(row), row["form_data"], complete=True)
    _applicant(
        row["applicant_name"],
        row["applicant_phone"],
        row["applicant_id_number"],
        row["applicant_address"],
        complete=True,
    )
    files = await DossierFile.select().where(DossierFile.dossier == dossier_id)
    missing = _missing_components(row, files)
    if missing:
        raise _invalid(
            "files",
            "Còn thiếu giấy tờ: " + "; ".join(missing) + ".",
            f"{len(missing)} required document(s) are still missing.",
        )
    now = runtime.now()
    calendar = await workdays.load()
    today = runtime.today()
    async with write_transaction():
        code = await _next_code(row["receiving_agency"], today)
        await _move(
            runtime,
            principal,
            row,
            "submit",
            "submitted",
            {
                Dossier.code: code,
                Dossier.submitted_at: now,
                # Provisional: the appointment is fixed when the dossier is received.
                Dossier.due_date: calendar.add_working_days(today, row["processing_days"]),
                **_fees_due(row["fees"], row["channel"], row["form_data"]),
            },
        )
    return await get_dossier(runtime, principal, dossier_id)


def _fees_due(fees: list[dict[str, Any]], channel: str, answers: dict[str, str]) -> dict[Any, Any]:
    """The fee lines a submitted dossier owes, computed here from the catalogue's
    definitions, never taken from a client."""
    lines = catalogue.fee_lines(fees, channel, answers)
    total = catalogue.fees_total(lines)
    return {
        Dossier.fee_lines: msgspec.to_builtins(lines),
        Dossier.fee_total: total,
        Dossier.payment_status: "unpaid" if total > 0 else "none",
    }


async def create_assisted(
    runtime: DossiersRuntime, principal: Principal, data: AssistedCreate
) -> DossierRead:
    """An official enters a walk-in citizen's dossier: it is received at once."""
    if principal.role not in {"reception", "leader"}:
        raise lifecycle.ActionForbidden(
            "Chỉ cán bộ tiếp nhận được nhập hồ sơ tại quầy.",
            "Only reception officials may enter dossiers at the counter.",
        )
    procedure = await catalogue.get_procedure(data.procedure_code)
    if procedure.agency_code != principal.agency_code:
        raise Forbidden(
            "Thủ tục này không thuộc cơ quan của bạn.",
            "This procedure does not belong to your agency.",
            field="procedure_code",
        )
    applicant = _applicant(
        data.applicant_name,
        data.applicant_phone,
        data.applicant_id_number,
        data.applicant_address,
        complete=True,
    )
    answers = check_answers(procedure.form_fields, data.form_data, complete=True)
    components = _components(procedure)
    known = {c["id"] for c in components}
    if set(data.components_received) - known:
        raise _invalid("components_received", "Giấy tờ không thuộc thủ tục.", "Unknown document.")
    now = runtime.now()
    today = runtime.today()
    calendar = await workdays.load()
    fees = msgspec.to_builtins(procedure.fees)
    due = {
        column._meta.name: value for column, value in _fees_due(fees, data.channel, answers).items()
    }
    async with write_transaction():
        code = await _next_code(procedure.agency_code, today)
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
                receiving_agency=procedure.agency_code,
                agency_code=procedure.agency_code,
                status="received",
                channel=data.channel,
                entered_by=principal.account_id,
                form_data=answers,
                created_at=now,
                updated_at=now,
                submitted_at=now,
                received_at=now,
                due_date=calendar.add_working_days(today, procedure.processing_days),
                applicant_name=applicant["applicant_name"],
                applicant_phone=applicant["applicant_phone"],
                applicant_id_number=applicant["applicant_id_number"],
                applicant_address=applicant["applicant_address"],
            )
        ).returning(Dossier.id)
        dossier_id = rows[0]["id"]
        await _append(
            runtime,
            principal,
            dossier_id,
            "receive",
            "draft",
            "received",
            procedure.agency_code,
            note="",
            details={"channel": data.channel, "components_received": data.components_received},
        )
    return await get_dossier(runtime, principal, dossier_id)


async def claim(
    runtime: DossiersRuntime, principal: Principal, code: str, phone: str
) -> DossierRead:
    """A citizen takes an assisted dossier into their account: the code and the phone
    number given at the counter must both match, and nobody may have claimed it."""
    if principal.kind != "citizen":
        raise Forbidden("Chỉ người dân nhận hồ sơ.", "Only citizens claim dossiers.")
    normalised = validation.phone(phone, "phone")
    rows = await Dossier.select(Dossier.id, Dossier.owner_id, Dossier.applicant_phone).where(
        Dossier.code == code.strip().upper()
    )
    if (
        not rows
        or rows[0]["owner_id"] is not None
        or not hmac.compare_digest(rows[0]["applicant_phone"], normalised)
    ):
        raise NotFound(
            "Không tìm thấy hồ sơ với mã và số điện thoại này, hoặc hồ sơ đã có người nhận.",
            "No unclaimed dossier has this code and phone number.",
            field="code",
        )
    async with write_transaction():
        updated = (
            await Dossier.update(
                {Dossier.owner_id: principal.account_id, Dossier.updated_at: runtime.now()}
            )
            .where((Dossier.id == rows[0]["id"]) & Dossier.owner_id.is_null())
            .returning(Dossier.id)
        )
    if not updated:
        raise _stale()
    return await get_dossier(runtime, principal, rows[0]["id"])


# ----------------------------------------------------------------- transitions


async def _append(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    action: Action,
    from_status: Status,
    to_status: Status,
    agency_code: str,
    *,
    note: str,
    details: dict[str, Any],
) -> None:
    now = runtime.now()
    rows = await DossierEvent.insert(
        DossierEvent(
            dossier=dossier_id,
            at=now,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=principal.account_id,
            actor_role=principal.role if principal.kind == "staff" else "citizen",
            actor_name=principal.name,
            agency_code=agency_code,
            note=note,
            details=details,
        )
    ).returning(DossierEvent.id)
    kind = NOTICES.get(action)
    if kind is None:
        return
    dossier = await Dossier.select(
        Dossier.code, Dossier.owner_id, Dossier.organisation_id, Dossier.due_date
    ).where(Dossier.id == dossier_id)
    due = dossier[0]["due_date"]
    await outbox.enqueue(
        event_key=f"dossier:{dossier_id}:event:{rows[0]['id']}",
        kind=kind,
        subject=f"dossier:{dossier_id}",
        account_ids=await recipients(dossier[0]),
        payload={
            "dossier_id": dossier_id,
            "code": dossier[0]["code"],
            "status": to_status,
            "due_date": due.isoformat() if due else None,
        },
        now=now,
    )


async def recipients(row: dict[str, Any]) -> list[int]:
    """Who is told about a dossier: its owner and every member of its organisation."""
    people = set()
    if row["owner_id"] is not None:
        people.add(int(row["owner_id"]))
    if row["organisation_id"] is not None:
        people.update(await accounts.member_ids(row["organisation_id"]))
    return sorted(people)


async def _move(
    runtime: DossiersRuntime,
    principal: Principal,
    row: dict[str, Any],
    action: Action,
    to_status: Status,
    changes: dict[Any, Any],
    *,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Apply a transition if nobody changed the dossier since ``row`` was read."""
    changes = {
        **changes,
        Dossier.status: to_status,
        Dossier.version: row["version"] + 1,
        Dossier.updated_at: runtime.now(),
    }
    updated = (
        await Dossier.update(changes)
        .where((Dossier.id == row["id"]) & (Dossier.version == row["version"]))
        .returning(Dossier.id)
    )
    if not updated:
        raise _stale()
    await _append(
        runtime,
        principal,
        row["id"],
        action,
        row["status"],
        to_status,
        changes.get(Dossier.agency_code, row["agency_code"]),
        note=note,
        details=details or {},
    )


def _require(condition: bool, field_name: str, vi: str, en: str) -> None:
    if not condition:
        raise _invalid(field_name, vi, en)


async def act(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, data: ActionIn
) -> DossierRead:
    """Take one step of the lifecycle (everything but drafting and submission)."""
    if data.action == "submit":
        return await submit(runtime, principal, dossier_id)
    row, access = await _readable(principal, dossier_id)
    if not access.may_act:
        raise lifecycle.ActionForbidden(
            "Hồ sơ đang do cơ quan khác giải quyết.",
            "Another agency is handling this dossier now.",
        )
    if data.version != row["version"]:
        raise _stale()
    status = cast(Status, row["status"])
    to_status = lifecycle.transition(
        status,
        data.action,
        access.actor,
        resume=cast(Status | None, row["resume_status"]),
        decision=data.decision,
    )
    handler = _STEPS[data.action]
    calendar = await workdays.load()
    async with write_transaction():
        changes, details = await handler(StepContext(runtime, principal, row, data, calendar))
        await _move(
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


@dataclass(frozen=True, slots=True)
class StepContext:
    runtime: DossiersRuntime
    principal: Principal
    row: dict[str, Any]
    data: ActionIn
    calendar: workdays.WorkCalendar


# What a step changes on the dossier, and what its history line records.
StepResult = tuple[dict[Any, Any], dict[str, Any]]


def _assignee_only(principal: Principal, row: dict[str, Any]) -> None:
    if principal.role == "processing" and row["assignee_id"] != principal.account_id:
        raise lifecycle.ActionForbidden(
            "Hồ sơ này được giao cho cán bộ khác.",
            "This dossier is assigned to another official.",
        )


def _fees_settled(row: dict[str, Any], before: tuple[str, str]) -> None:
    if row["payment_status"] == "unpaid":
        amount = f"{row['fee_total']:,}".replace(",", ".")
        raise _invalid(
            "payment",
            f"Hồ sơ chưa nộp phí, lệ phí ({amount} đồng). Người nộp thanh toán trực tuyến, "
            f"hoặc cán bộ ghi nhận tiền mặt thu tại quầy, trước khi {before[0]}.",
            f"The fees ({amount} VND) are unpaid. The applicant pays online, or an official "
            f"records cash taken at the counter, before {before[1]}.",
        )


async def _receive(step: StepContext) -> StepResult:
    if step.row["payment_stage"] == "reception":
        _fees_settled(step.row, ("tiếp nhận", "reception"))
    due = step.calendar.add_working_days(step.runtime.today(), step.row["processing_days"])
    return {Dossier.received_at: step.runtime.now(), Dossier.due_date: due}, {}


async def _request_supplement(step: StepContext) -> StepResult:
    row, data = step.row, step.data
    _assignee_only(step.principal, row)
    _require(
        bool(data.items),
        "items",
        "Hãy liệt kê mọi giấy tờ, thông tin còn thiếu (một lần, đầy đủ).",
        "List everything that is missing (once, completely).",
    )
    component_ids = {c["id"] for c in row["components"]}
    field_names = {f["name"] for f in row["form_fields"]}
    for index, item in enumerate(data.items):
        if item.component_id is not None and item.component_id not in component_ids:
            raise _invalid(
                f"items[{index}].component_id", "Giấy tờ không thuộc hồ sơ.", "Unknown document."
            )
        if item.field is not None and item.field not in field_names:
            raise _invalid(
                f"items[{index}].field", "Thông tin không thuộc biểu mẫu.", "Unknown field."
            )
    items = msgspec.to_builtins(data.items)
    paused = row["status"] in lifecycle.CLOCK_RUNNING
    return {
        Dossier.supplement_items: items,
        Dossier.resume_status: row["status"],
        Dossier.paused_at: step.runtime.now() if paused else None,
    }, {"items": items}


async def _supplement(step: StepContext) -> StepResult:
    row = step.row
    files = await DossierFile.select(DossierFile.component_id).where(
        (DossierFile.dossier == row["id"]) & (DossierFile.round == _round_of(row))
    )
    sent = {f["component_id"] for f in files}
    missing = [
        item["label"]
        for item in row["supplement_items"]
        if item.get("component_id") is not None and item["component_id"] not in sent
    ]
    _require(
        not missing,
        "files",
        "Hãy gửi đủ giấy tờ được yêu cầu: " + "; ".join(missing) + ".",
        f"{len(missing)} requested document(s) are still missing.",
    )
    check_answers(_fields_of(row), row["form_data"], complete=True)
    changes: dict[Any, Any] = {
        Dossier.supplement_items: [],
        Dossier.resume_status: None,
        Dossier.paused_at: None,
    }
    details: dict[str, Any] = {}
    if row["paused_at"] is not None and row["due_date"] is not None:
        # The clock stopped while the dossier waited: the appointment moves by the
        # working days it waited.
        waited = step.calendar.working_days_between(
            row["paused_at"].astimezone(VIETNAM).date(), step.runtime.today()
        )
        new_due = row["due_date"]
        if waited:
            new_due = step.calendar.add_working_days(new_due, waited)
        changes[Dossier.due_date] = new_due
        details = {"waited_days": waited, "new_due_date": new_due.isoformat()}
    return changes, details


async def _refuse(step: StepContext) -> StepResult:
    _require(
        bool(step.data.reasons),
        "reasons",
        "Hãy ghi rõ lý do từ chối.",
        "Give the reasons for refusing.",
    )
    return {Dossier.finished_at: step.runtime.now()}, {"reasons": list(step.data.reasons)}


async def _assign(step: StepContext) -> StepResult:
    wanted = step.data.assignee_id
    officials = await accounts.officials_of(step.row["agency_code"], ("processing", "leader"))
    chosen = [official for official in officials if official.id == wanted]
    _require(
        bool(chosen),
        "assignee_id",
        "Hãy chọn một cán bộ xử lý của cơ quan.",
        "Choose a processing official of the agency.",
    )
    return {Dossier.assignee_id: wanted}, {
        "assignee_id": wanted,
        "assignee_name": chosen[0].full_name,
    }


async def _transfer(step: StepContext) -> StepResult:
    _assignee_only(step.principal, step.row)
    target = (step.data.target_agency or "").strip()
    _require(
        bool(target) and target != step.row["agency_code"],
        "target_agency",
        "Hãy chọn cơ quan nhận hồ sơ.",
        "Choose the agency to pass it to.",
    )
    agency = await catalogue.get_agency(target)
    return {Dossier.agency_code: agency.code, Dossier.assignee_id: None}, {
        "from_agency": step.row["agency_code"],
        "to_agency": agency.code,
    }


async def _propose(step: StepContext) -> StepResult:
    _assignee_only(step.principal, step.row)
    _require(
        step.data.decision is not None,
        "decision",
        "Hãy chọn đề xuất phê duyệt hoặc không phê duyệt.",
        "Choose to propose approval or rejection.",
    )
    return {}, {"proposal": step.data.decision}


async def _send_back(step: StepContext) -> StepResult:
    return {}, {}


async def _decide(step: StepContext) -> StepResult:
    return {Dossier.decision: step.data.decision}, {"decision": step.data.decision}


async def _attach_result(step: StepContext) -> StepResult:
    _assignee_only(step.principal, step.row)
    results = await DossierFile.count().where(
        (DossierFile.dossier == step.row["id"]) & (DossierFile.purpose == "result")
    )
    _require(
        results > 0,
        "file",
        "Hãy tải lên văn bản kết quả trước.",
        "Upload the result document first.",
    )
    return {Dossier.result_ready_at: step.runtime.now()}, {}


async def _finish(step: StepContext) -> StepResult:
    _fees_settled(step.row, ("trả kết quả", "the result is handed over"))
    return {Dossier.finished_at: step.runtime.now(), Dossier.paused_at: None}, {}


async def _apologise(step: StepContext) -> StepResult:
    due: dt.date | None = step.row["due_date"]
    today = step.runtime.today()
    calendar = step.calendar
    # Decree 61/2018 Art. 19: the apology goes out no later than one working day
    # before the appointment, or once it has passed.
    _require(
        due is not None and calendar.working_days_between(today, due) <= 1,
        "new_due_date",
        "Chỉ gửi thư xin lỗi khi hồ sơ sắp đến hoặc đã quá ngày hẹn.",
        "An apology is sent only when the appointment is near or past.",
    )
    new_due = step.data.new_due_date
    _require(
        new_due is not None and due is not None and new_due > max(due, today),
        "new_due_date",
        "Ngày hẹn mới phải sau ngày hẹn cũ và sau hôm nay.",
        "The new date must be after the old one and after today.",
    )
    assert new_due is not None and due is not None
    _require(
        calendar.is_working_day(new_due),
        "new_due_date",
        "Ngày hẹn mới phải là ngày làm việc.",
        "The new date must be a working day.",
    )
    _require(
        bool(step.data.note.strip()),
        "note",
        "Hãy ghi lý do chậm trễ.",
        "Give the reason for the delay.",
    )
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
    "return_result": _finish,
    "withdraw": _finish,
    "apologise": _apologise,
}


# ------------------------------------------------------------------------- reads


def _is_overdue(row: dict[str, Any], today: dt.date) -> bool:
    due = row["due_date"]
    return (
        due is not None
        and row["status"] in lifecycle.CLOCK_RUNNING
        and row["paused_at"] is None
        and today > due
    )


def _summary_fields(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    return {**row, "overdue": _is_overdue(row, today)}


def _visible_actions(
    principal: Principal,
    row: dict[str, Any],
    access: Access,
    calendar: workdays.WorkCalendar,
    today: dt.date,
) -> list[Action]:
    if not access.may_act:
        return []
    actions = lifecycle.actions_for(cast(Status, row["status"]), access.actor)
    if principal.role == "processing" and row["assignee_id"] != principal.account_id:
        actions = [
            a
            for a in actions
            if a not in {"propose", "transfer", "request_supplement", "attach_result"}
        ]
    if "apologise" in actions:
        due = row["due_date"]
        if due is None or calendar.working_days_between(today, due) > 1:
            actions.remove("apologise")
    return actions


async def get_dossier(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int
) -> DossierRead:
    row, access = await _readable(principal, dossier_id)
    return await _read(runtime, principal, row, access)


async def _read(
    runtime: DossiersRuntime, principal: Principal, row: dict[str, Any], access: Access
) -> DossierRead:
    files = await fetch(_FILES, row["id"])
    if access.actor == "citizen" and row["status"] not in {"result_ready", "returned"}:
        files = [f for f in files if f["purpose"] != "result"]
    events = [
        {**event, "details": json.loads(event["details"])}
        for event in await fetch(_EVENTS, row["id"])
    ]
    if access.actor == "citizen":
        # Citizens see what happened and when, not which official did it.
        events = [
            {**e, "actor_name": "" if e["actor_role"] != "citizen" else e["actor_name"]}
            for e in events
        ]
    calendar = await workdays.load()
    today = runtime.today()
    return msgspec.convert(
        {
            **_summary_fields(row, today),
            "files": files,
            "events": events,
            "actions": _visible_actions(principal, row, access, calendar, today),
        },
        DossierRead,
        strict=False,
    )


_SUMMARY = (
    Dossier.id,
    Dossier.code,
    Dossier.procedure_code,
    Dossier.procedure_name_vi,
    Dossier.procedure_name_en,
    Dossier.status,
    Dossier.channel,
    Dossier.applicant_name,
    Dossier.agency_code,
    Dossier.organisation_id,
    Dossier.submitted_at,
    Dossier.due_date,
    Dossier.updated_at,
    Dossier.paused_at,
    Dossier.fee_total,
    Dossier.payment_status,
)


def _summaries(rows: list[dict[str, Any]], today: dt.date) -> list[DossierSummary]:
    return msgspec.convert(
        [_summary_fields(r, today) for r in rows], list[DossierSummary], strict=False
    )


async def my_dossiers(runtime: DossiersRuntime, principal: Principal) -> list[DossierSummary]:
    """The person's own dossiers and their organisations', newest first."""
    organisations = await accounts.organisation_ids_of(principal.account_id)
    condition: Combinable = Dossier.owner_id == principal.account_id
    if organisations:
        condition = condition | Dossier.organisation_id.is_in(organisations)
    rows = (
        await Dossier.select(*_SUMMARY)
        .where(condition)
        .order_by(Dossier.updated_at, ascending=False)
        .limit(200)
    )
    return _summaries(rows, runtime.today())


async def queue(
    runtime: DossiersRuntime,
    principal: Principal,
    name: Queue,
    *,
    search: str = "",
    procedure_code: str = "",
    page: int = 1,
    page_size: int = 25,
) -> DossierPage:
    """One of the agency's queues, oldest first (first come, first served)."""
    if principal.role not in STAFF_ACTORS or not principal.agency_code:
        raise lifecycle.ActionForbidden(
            "Chỉ cán bộ một cửa xem được hàng đợi hồ sơ.",
            "Only one-stop officials see dossier queues.",
        )
    today = runtime.today()
    calendar = await workdays.load()
    running = sorted(lifecycle.CLOCK_RUNNING)
    waiting = (Dossier.status.is_in(running), Dossier.paused_at.is_null())
    by_queue: dict[Queue, tuple[Combinable, ...]] = {
        "new": (Dossier.status == "submitted",),
        "supplement": (Dossier.status == "supplement_requested",),
        "processing": (Dossier.status.is_in(running),),
        "due_soon": (
            *waiting,
            Dossier.due_date >= today,
            Dossier.due_date <= calendar.add_working_days(today, 2),
        ),
        "overdue": (*waiting, Dossier.due_date < today),
        "ready": (Dossier.status == "result_ready",),
        "done": (Dossier.status.is_in(sorted(lifecycle.FINAL)),),
    }
    conditions: list[Combinable] = [
        Dossier.agency_code == principal.agency_code,
        *by_queue[name],
    ]
    if principal.role == "processing" and name in {"processing", "due_soon", "overdue"}:
        conditions.append(Dossier.assignee_id == principal.account_id)
    if procedure_code:
        conditions.append(Dossier.procedure_code == procedure_code)
    text = search.strip()[:100]
    if text:
        # SQLite's LIKE ignores case (for ASCII) and has no ILIKE.
        sqlite = active_engine().engine_type == "sqlite"
        like = f"%{text}%"
        columns = (Dossier.code, Dossier.applicant_name, Dossier.procedure_name_vi)
        matches = [column.like(like) if sqlite else column.ilike(like) for column in columns]
        conditions.append(matches[0] | matches[1] | matches[2])
    total = await Dossier.count().where(*conditions)
    order = Dossier.due_date if name in {"due_soon", "overdue", "processing"} else Dossier.id
    rows = (
        await Dossier.select(*_SUMMARY)
        .where(*conditions)
        .order_by(order, Dossier.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return DossierPage(items=_summaries(rows, today), total=total, page=page, page_size=page_size)


async def queue_counts(runtime: DossiersRuntime, principal: Principal) -> dict[str, int]:
    names: tuple[Queue, ...] = ("new", "supplement", "processing", "due_soon", "overdue", "ready")
    # One after another: Piccolo's SQLite transactions live in context variables and
    # the pool is small; six counts are cheap with the queue index.
    return {n: (await queue(runtime, principal, n, page_size=1)).total for n in names}


async def officials(principal: Principal) -> list[OfficialRead]:
    if principal.role not in STAFF_ACTORS or not principal.agency_code:
        return []
    rows = await accounts.officials_of(principal.agency_code, ("processing", "leader"))
    return [OfficialRead(id=o.id, full_name=o.full_name, role=o.role or "") for o in rows]


# ---------------------------------------------------------------------- tracking


def tracking_token(secret_key: str, code: str) -> str:
    """The tracking QR code's link names the code and a MAC of it: no guessing."""
    mac = hmac.new(secret_key.encode(), f"track:{code}".encode(), hashlib.sha256).hexdigest()
    return f"{code}.{mac[:24]}"


def tracking_url(runtime: DossiersRuntime, code: str) -> str:
    return f"{runtime.public_url}/tra-cuu/{tracking_token(runtime.secret_key, code)}"


def _track_failed() -> NotFound:
    return NotFound(
        "Không tìm thấy hồ sơ với mã và 4 số cuối điện thoại này. "
        "Hãy kiểm tra lại mã trên giấy biên nhận.",
        "No dossier matches this code and these last 4 digits. Check the code on your receipt.",
        field="code",
    )


async def _tracking(code: str) -> tuple[dict[str, Any], TrackingRead]:
    rows = await Dossier.select().where(Dossier.code == code).output(load_json=True)
    if not rows:
        raise _track_failed()
    row = rows[0]
    events = (
        await DossierEvent.select(DossierEvent.at, DossierEvent.action, DossierEvent.to_status)
        .where(DossierEvent.dossier == row["id"])
        .order_by(DossierEvent.id)
    )
    return row, TrackingRead(
        code=row["code"],
        procedure_name_vi=row["procedure_name_vi"],
        procedure_name_en=row["procedure_name_en"],
        agency_code=row["agency_code"],
        status=row["status"],
        submitted_at=row["submitted_at"],
        received_at=row["received_at"],
        due_date=row["due_date"],
        finished_at=row["finished_at"],
        steps=msgspec.convert(events, list[TrackingStep]),
    )


async def track(code: str, phone_last4: str) -> TrackingRead:
    code = code.strip().upper()
    digits = re.sub(r"\D", "", phone_last4)
    if len(digits) != 4:
        raise _invalid(
            "phone_last4",
            "Hãy nhập đúng 4 số cuối của số điện thoại đã đăng ký.",
            "Enter the last 4 digits of the phone number you gave.",
        )
    try:
        row, read = await _tracking(code)
    except NotFound:
        raise _track_failed() from None
    if not row["applicant_phone"] or not hmac.compare_digest(row["applicant_phone"][-4:], digits):
        raise _track_failed()
    return read


async def track_by_token(secret_key: str, token: str) -> TrackingRead:
    code, _, _ = token.rpartition(".")
    if not code or not hmac.compare_digest(tracking_token(secret_key, code), token):
        raise NotFound(
            "Đường dẫn tra cứu không hợp lệ. Hãy quét lại mã QR trên giấy biên nhận.",
            "This tracking link is not valid. Scan the QR code on the receipt again.",
            field="token",
        )
    return (await _tracking(code))[1]


# --------------------------------------------------------------------- documents


async def legal_form(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    kind: forms.FormKind,
    event_id: int | None = None,
) -> tuple[str, bytes]:
    """A legal form of the dossier as PDF: (file name, bytes). The citizen gets the
    forms addressed to them; the process-control slip (05) is for officials."""
    row, access = await _readable(principal, dossier_id)
    dossier = await _read(runtime, principal, row, access)
    if dossier.code is None or (kind == "05" and access.actor == "citizen"):
        raise _not_found()
    event = None
    if event_id is not None:
        event = next((e for e in dossier.events if e.id == event_id), None)
        if event is None or event.action != forms.FORM_ACTIONS.get(kind):
            raise NotFound("Không có văn bản này.", "No such document.", field="event")
    elif kind in forms.FORM_ACTIONS and not any(
        e.action == forms.FORM_ACTIONS[kind] for e in dossier.events
    ):
        raise NotFound("Hồ sơ chưa có văn bản này.", "The dossier has no such document yet.")
    agency = await catalogue.get_agency(
        row["agency_code"] if kind != "01" else row["receiving_agency"]
    )
    ids = {
        e["actor_id"]
        for e in await DossierEvent.select(DossierEvent.actor_id).where(
            DossierEvent.dossier == dossier_id
        )
        if e["actor_id"] is not None
    }
    context = forms.FormContext(
        agency_name=agency.name_vi,
        agency_address=agency.address,
        province_name=runtime.province_name,
        tracking_url=tracking_url(runtime, dossier.code),
        officials=await accounts.names_of(
            ids | {i for i in (row["assignee_id"], row["entered_by"]) if i}
        ),
    )
    pdf = await asyncio.to_thread(forms.render_form, kind, dossier, context, event)
    return f"{dossier.code}-mau-{kind}.pdf", pdf


# ------------------------------------------------ for payments and feedback

_BRIEF = (
    "SELECT id, code, procedure_code, procedure_name_vi, procedure_name_en, agency_code,"
    " receiving_agency, status, owner_id, organisation_id, applicant_name,"
    " applicant_address, fee_lines, fee_total, payment_stage, payment_status"
    " FROM dossiers_dossier WHERE id = {}"
)


async def brief(principal: Principal, dossier_id: int) -> tuple[dict[str, Any], bool]:
    """A dossier's key facts (state, parties, agency, fees), for someone who may see it:
    (row, may_act). Citizens may act on their own and their organisations' dossiers;
    officials on their agency's."""
    rows = await fetch(_BRIEF, dossier_id)
    if not rows:
        raise _not_found()
    row = {**rows[0], "fee_lines": json.loads(rows[0]["fee_lines"])}
    access = await _access(principal, row)
    return row, access.may_act


async def settle_fees(dossier_ids: list[int]) -> list[int]:
    """Mark these dossiers' fees paid, inside the caller's transaction; returns the ones
    that were unpaid (the others were settled by an earlier payment)."""
    if not dossier_ids:
        return []
    rows = (
        await Dossier.update({Dossier.payment_status: "paid"})
        .where(Dossier.id.is_in(dossier_ids) & (Dossier.payment_status == "unpaid"))
        .returning(Dossier.id)
    )
    return sorted(int(row["id"]) for row in rows)


async def mark_refunded(dossier_id: int) -> None:
    await Dossier.update({Dossier.payment_status: "refunded"}).where(
        (Dossier.id == dossier_id) & (Dossier.payment_status == "paid")
    )


async def handlers_of(dossier_id: int) -> list[int]:
    """The officials who took a step of a dossier (whose work its rating judges)."""
    rows = await fetch(
        "SELECT DISTINCT actor_id FROM dossiers_event WHERE dossier = {}"
        " AND actor_role <> 'citizen' AND actor_id IS NOT NULL",
        dossier_id,
    )
    return sorted(int(row["actor_id"]) for row in rows)
