"""A dossier's files: the citizen's documents (in a draft, or those asked for in a
supplement), the evidence of the applicant group a draft declares for a fee
exemption, and the official's result. The content was checked before (by
``backend.attachments``); here, whether it may be added, removed or seen."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.attachments import CheckedFile, Opened
from backend.db import fetch, write_transaction
from backend.db.dialect import Sql, list_param
from backend.dossiers import lifecycle
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import FileRead
from backend.dossiers.service.access import readable
from backend.dossiers.service.reads import RELEASED
from backend.dossiers.service.rows import DossierRow, stale
from backend.dossiers.tables import Dossier, DossierFile
from backend.errors import InvalidInput, NotFound
from backend.i18n import N_, Number
from backend.signing import service as signing

MAX_DOSSIER_BYTES = 50 * 1024 * 1024
MAX_FILES = 60
# Before the decision nothing is a result yet; after it is released nothing changes.
DECIDED = frozenset({"approved", "rejected"})


def round_of(row: DossierRow) -> int:
    """0 for the first submission, the version of the request for a supplement."""
    return row.version if row.status == "supplement_requested" else 0


_HELD = Sql("SELECT storage_key FROM dossiers_file WHERE storage_key IN_TEXTS({})")


async def held_files(keys: Sequence[str]) -> set[str]:
    """Of these storage keys, those a dossier's file holds (the attachments' sweep
    removes the others)."""
    return {row["storage_key"] for row in await fetch(_HELD(), list_param(keys))}


def _no_file() -> NotFound:
    return NotFound(N_("Không tìm thấy tệp này."), field="file")


async def add_file(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    checked: CheckedFile,
    *,
    component_id: int | None,
    evidence: bool = False,
) -> FileRead:
    """Attach a checked file. Citizens add components to a draft, or the requested ones
    while a supplement is awaited, and to a draft that declares an applicant group the
    evidence of it (``evidence``); officials add the result once a decision is made."""
    row, access = await readable(principal, dossier_id)
    if evidence:
        if access.actor != "citizen" or row.status != "draft":
            raise lifecycle.TransitionRefused(
                N_("Giấy tờ chứng minh đối tượng miễn, giảm phí chỉ đính kèm được trước khi nộp.")
            )
        if not row.applicant_group:
            raise InvalidInput(
                N_("Hãy chọn đối tượng được miễn, giảm phí trước khi đính kèm giấy tờ chứng minh."),
                field="applicant_group",
            )
        purpose, component_id = "evidence", None
    elif access.actor == "citizen":
        purpose = "component"
        if row.status == "draft":
            allowed = {c.id for c in row.components if c.uploadable}
        elif row.status == "supplement_requested":
            allowed = {
                item.component_id for item in row.supplement_items if item.component_id is not None
            }
        else:
            raise lifecycle.TransitionRefused(
                N_("Hồ sơ đã nộp: chỉ thêm được giấy tờ khi cơ quan yêu cầu bổ sung.")
            )
        if component_id not in allowed:
            raise InvalidInput(
                N_("Giấy tờ này không thuộc hồ sơ hoặc không được yêu cầu lúc này."),
                field="component_id",
            )
    else:
        if not access.may_act or row.status not in DECIDED:
            raise lifecycle.TransitionRefused(
                N_("Chỉ đính kèm kết quả sau khi lãnh đạo đã quyết định.")
            )
        purpose = "result"
        if component_id is not None and component_id not in {c.id for c in row.components}:
            raise InvalidInput(N_("Giấy tờ không hợp lệ."), field="component_id")
        component_id = None
    sizes = await DossierFile.select(DossierFile.size).where(DossierFile.dossier == dossier_id)
    if len(sizes) >= MAX_FILES:
        raise InvalidInput(
            N_("Một hồ sơ có tối đa %(limit)s tệp.", limit=Number(MAX_FILES)), field="file"
        )
    if sum(r["size"] for r in sizes) + len(checked.data) > MAX_DOSSIER_BYTES:
        raise InvalidInput(
            N_(
                "Hồ sơ đã gần 50 MB, không thêm được tệp này. Hãy chụp ảnh nhỏ hơn hoặc bỏ bớt tệp."
            ),
            field="file",
        )
    key = await runtime.attachments.storage.put(checked.data)
    try:
        async with write_transaction():
            current = await Dossier.select(Dossier.status, Dossier.applicant_group).where(
                Dossier.id == dossier_id
            )
            # Evidence proves the group declared when it was sent, not another one.
            if (
                not current
                or current[0]["status"] != row.status
                or (evidence and current[0]["applicant_group"] != row.applicant_group)
            ):
                raise stale()
            rows = await DossierFile.insert(
                DossierFile(
                    dossier=dossier_id,
                    purpose=purpose,
                    component_id=component_id,
                    round=round_of(row),
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
        await runtime.attachments.storage.delete(key)
        raise
    return file_read(rows[0])


def file_read(row: dict[str, Any]) -> FileRead:
    return msgspec.convert(row, FileRead, strict=False)


async def remove_file(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, file_id: int
) -> None:
    """Only what is still being prepared can be removed: a draft's files, the current
    supplement's, or a result not yet released."""
    row, access = await readable(principal, dossier_id)
    files = await DossierFile.select().where(
        (DossierFile.id == file_id) & (DossierFile.dossier == dossier_id)
    )
    if not files:
        raise _no_file()
    file_row = files[0]
    removable = (
        access.actor == "citizen"
        and (
            (file_row["purpose"] in {"component", "evidence"} and row.status == "draft")
            or (
                file_row["purpose"] == "component"
                and row.status == "supplement_requested"
                and file_row["round"] == round_of(row)
            )
        )
    ) or (
        access.actor != "citizen"
        and access.may_act
        and file_row["purpose"] == "result"
        and row.status in DECIDED
    )
    if not removable:
        raise lifecycle.TransitionRefused(N_("Tệp này đã được nộp nên không xóa được."))
    signed = bool(file_row["signature_code"])
    async with write_transaction():
        await DossierFile.delete().where(DossierFile.id == file_id)
        if signed:
            # Its bytes are the signed document's, whose record now says it was withdrawn.
            await signing.withdraw(runtime.signing, f"result:{file_id}")
            await accounts.record_audit(
                runtime.now(),
                "signed_result_withdrawn",
                actor_id=principal.account_id,
                file_id=file_id,
            )
    if not signed:
        await runtime.attachments.storage.delete(file_row["storage_key"])


async def _readable_file(principal: Principal, dossier_id: int, file_id: int) -> dict[str, Any]:
    row, access = await readable(principal, dossier_id)
    files = await DossierFile.select().where(
        (DossierFile.id == file_id) & (DossierFile.dossier == dossier_id)
    )
    if not files:
        raise _no_file()
    if access.actor == "citizen" and files[0]["purpose"] == "result" and row.status not in RELEASED:
        raise _no_file()
    return files[0]


async def open_file(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, file_id: int
) -> tuple[FileRead, bytes]:
    """A file whole, for what needs all of it at once (a PDF page's preview)."""
    found = await _readable_file(principal, dossier_id, file_id)
    return file_read(found), await runtime.attachments.storage.get(found["storage_key"])


async def stream_file(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, file_id: int
) -> tuple[FileRead, Opened]:
    """A file for download, read from the store as it is sent (never whole)."""
    found = await _readable_file(principal, dossier_id, file_id)
    return file_read(found), await runtime.attachments.storage.open(found["storage_key"])
