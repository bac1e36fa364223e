"""The citizen's own store of documents ("Giấy tờ của tôi"): the results released to
them and the documents they sent with their submitted dossiers, and the reuse of one
as a file of a later draft, so a document is photographed once.

A document is in someone's store exactly while its dossier is one they may read as a
citizen (``access``): their own, or an organisation's they are a member of now. A
draft's files are still being prepared, and a result is theirs only once released.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.attachments import CheckedFile
from backend.attachments.checks import Extension, MediaType
from backend.dossiers import lifecycle
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ComponentSnapshot, FileRead, StoredDocument
from backend.dossiers.service.access import access_to, readable
from backend.dossiers.service.files import add_file
from backend.dossiers.service.reads import RELEASED
from backend.dossiers.service.rows import DECODERS, load_row
from backend.dossiers.tables import DossierFile
from backend.errors import NotFound
from backend.i18n import N_

RESULT_NAME: Final = N_("Kết quả giải quyết")
EVIDENCE_NAME: Final = N_("Giấy tờ chứng minh đối tượng miễn, giảm phí")
# Enough for years of one person's dossiers; the page stays light on a cheap phone.
MAX_LISTED: Final = 300
_EXTENSIONS: Final[dict[str, Extension]] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/pdf": "pdf",
}
_COLUMNS = (
    DossierFile.id,
    DossierFile.purpose,
    DossierFile.component_id,
    DossierFile.media_type,
    DossierFile.size,
    DossierFile.pages,
    DossierFile.display_name,
    DossierFile.created_at,
    DossierFile.signature_code,
    DossierFile.dossier.id.as_alias("dossier_id"),
    DossierFile.dossier.code.as_alias("dossier_code"),
    DossierFile.dossier.status.as_alias("status"),
    DossierFile.dossier.procedure_code.as_alias("procedure_code"),
    DossierFile.dossier.procedure_name_vi.as_alias("procedure_name_vi"),
    DossierFile.dossier.procedure_name_en.as_alias("procedure_name_en"),
    DossierFile.dossier.components.as_alias("components"),
)

_FILE_READ = tuple(getattr(DossierFile, name) for name in FileRead.__struct_fields__)


def _not_in_store() -> NotFound:
    # The same answer for someone else's file, a draft's and an unreleased result:
    # ids reveal nothing.
    return NotFound(N_("Không tìm thấy giấy tờ này trong “Giấy tờ của tôi”."), field="file_id")


def _citizens_only(principal: Principal) -> None:
    if principal.kind != "citizen":
        raise lifecycle.ActionForbidden(N_("“Giấy tờ của tôi” chỉ dành cho người dân."))


def in_store(purpose: str, status: str) -> bool:
    """Whether a file of a dossier in this state is in its citizen's store."""
    if status == "draft":
        return False
    return purpose in {"component", "evidence"} or (purpose == "result" and status in RELEASED)


def _names(purpose: str, component_id: int | None, components: Any) -> tuple[str, str]:
    if purpose == "result":
        return RESULT_NAME.render("vi"), RESULT_NAME.render("en")
    if purpose == "evidence":
        return EVIDENCE_NAME.render("vi"), EVIDENCE_NAME.render("en")
    snapshot: list[ComponentSnapshot] = (
        DECODERS["components"].decode(components) if isinstance(components, str | bytes) else []
    )
    for component in snapshot:
        if component.id == component_id:
            return component.name_vi, component.name_en
    return "", ""


def _document(row: dict[str, Any]) -> StoredDocument:
    name_vi, name_en = _names(row["purpose"], row["component_id"], row["components"])
    return StoredDocument(
        file_id=row["id"],
        dossier_id=row["dossier_id"],
        dossier_code=row["dossier_code"],
        procedure_code=row["procedure_code"],
        procedure_name_vi=row["procedure_name_vi"],
        procedure_name_en=row["procedure_name_en"],
        kind="result" if row["purpose"] == "result" else "upload",
        purpose=row["purpose"],
        component_id=row["component_id"],
        name_vi=name_vi or row["display_name"],
        name_en=name_en or name_vi or row["display_name"],
        media_type=row["media_type"],
        size=row["size"],
        pages=row["pages"],
        display_name=row["display_name"],
        created_at=row["created_at"],
        download_url=f"/api/dossiers/{row['dossier_id']}/files/{row['id']}",
        signature_code=row["signature_code"],
    )


async def my_documents(runtime: DossiersRuntime, principal: Principal) -> list[StoredDocument]:
    """The person's store, results first, each part newest first."""
    _citizens_only(principal)
    organisations = await accounts.organisation_ids_of(principal.account_id)
    # The dossiers the citizen's list shows (``reads.my_dossiers``), as ``access`` decides.
    whose: Combinable = (DossierFile.dossier.owner_id == principal.account_id) & (
        DossierFile.dossier.organisation_id.is_null()
    )
    if organisations:
        whose = whose | DossierFile.dossier.organisation_id.is_in(organisations)
    released = (DossierFile.purpose == "result") & DossierFile.dossier.status.is_in(
        sorted(RELEASED)
    )
    sent = DossierFile.purpose.is_in(["component", "evidence"]) & (
        DossierFile.dossier.status != "draft"
    )
    rows = (
        await DossierFile.select(*_COLUMNS)
        .where(whose, released | sent)
        .order_by(DossierFile.created_at, DossierFile.id, ascending=False)
        .limit(MAX_LISTED)
    )
    documents = [_document(r) for r in rows if in_store(r["purpose"], r["status"])]
    documents.sort(key=lambda d: d.kind != "result")  # stable: newest first within each
    return documents


def offered_for(
    documents: list[StoredDocument], procedure_code: str, component: ComponentSnapshot
) -> list[StoredDocument]:
    """The store as a draft's document step offers it: the same document of the same
    procedure first, then the same document of any procedure, then the rest."""

    def rank(document: StoredDocument) -> int:
        same_name = document.name_vi.casefold() == component.name_vi.casefold()
        if same_name and document.procedure_code == procedure_code:
            return 0
        return 1 if same_name else 2

    return sorted(documents, key=rank)


async def _source(principal: Principal, file_id: int) -> dict[str, Any]:
    """A file of the person's store, checked again now (not as the page showed it)."""
    files = await DossierFile.select().where(DossierFile.id == file_id)
    if not files:
        raise _not_in_store()
    found = files[0]
    try:
        row = await load_row(found["dossier"])
        access = await access_to(principal, row)
    except NotFound:
        raise _not_in_store() from None
    if access.actor != "citizen" or not in_store(found["purpose"], row.status):
        raise _not_in_store()
    return found


async def reuse_document(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    component_id: int,
    file_id: int,
) -> FileRead:
    """Attach a copy of a stored document to a draft as a component's file. The copy
    gets a storage key of its own: removing it from the draft leaves the original. The
    same document attached to the same component already is given back as it is.
    ``add_file`` applies the rules and limits of an upload and leaves nothing behind
    when it refuses."""
    _citizens_only(principal)
    target, _ = await readable(principal, dossier_id)
    if target.status != "draft":
        raise lifecycle.TransitionRefused(
            N_("Hồ sơ đã nộp: chỉ dùng lại giấy tờ đã có khi hồ sơ còn là bản nháp.")
        )
    source = await _source(principal, file_id)
    # A second tap (a slow network, a reload) attaches nothing more.
    held = await DossierFile.select(*_FILE_READ).where(
        (DossierFile.dossier == dossier_id)
        & (DossierFile.component_id == component_id)
        & (DossierFile.sha256 == source["sha256"])
    )
    if held:
        return msgspec.convert(held[0], FileRead, strict=False)
    media_type: MediaType = source["media_type"]
    data = await runtime.attachments.storage.get(source["storage_key"])
    checked = CheckedFile(
        media_type=media_type,
        extension=_EXTENSIONS.get(media_type, "pdf"),
        data=data,
        display_name=source["display_name"],
        pages=source["pages"],
        width=None,
        height=None,
    )
    return await add_file(runtime, principal, dossier_id, checked, component_id=component_id)
