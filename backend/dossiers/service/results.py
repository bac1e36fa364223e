"""A dossier's result signed with its agency's key (issue 17). A leader of the agency
handling the dossier signs each PDF result once the decision is made; the signed file
replaces the unsigned one, kept once under the signed document's record. Where the
agency has a key, a result goes out only signed."""

from __future__ import annotations

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import write_transaction
from backend.dossiers import lifecycle
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import FileRead
from backend.dossiers.service.access import readable
from backend.dossiers.service.files import DECIDED, file_read
from backend.dossiers.service.rows import stale
from backend.dossiers.tables import DossierFile
from backend.errors import InvalidInput, NotFound
from backend.i18n import N_
from backend.signing import service as signing

RESULT_REASON = "Kết quả giải quyết thủ tục hành chính"


def _no_file() -> NotFound:
    return NotFound(N_("Không tìm thấy tệp này."), field="file")


async def sign_result(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, file_id: int
) -> FileRead:
    """Sign one PDF result with the key of the agency handling the dossier."""
    row, access = await readable(principal, dossier_id)
    if not access.may_act or principal.role != "leader":
        raise lifecycle.ActionForbidden(
            N_("Chỉ lãnh đạo cơ quan đang giải quyết hồ sơ ký số kết quả.")
        )
    if row.status not in DECIDED:
        raise lifecycle.TransitionRefused(N_("Chỉ ký số kết quả sau khi đã quyết định."))
    files = await DossierFile.select().where(
        (DossierFile.id == file_id)
        & (DossierFile.dossier == dossier_id)
        & (DossierFile.purpose == "result")
    )
    if not files:
        raise _no_file()
    file_row = files[0]
    if file_row["signature_code"]:
        return file_read(file_row)
    if file_row["media_type"] != "application/pdf":
        raise InvalidInput(
            N_("Chỉ ký số được văn bản PDF. Hãy tải lên bản PDF của kết quả rồi ký."),
            field="file",
        )
    unsigned_key = file_row["storage_key"]
    signed = await signing.sign(
        runtime.signing,
        kind="result",
        subject=f"result:{file_id}",
        reference=row.code or "",
        agency_code=row.agency_code,
        document=await runtime.attachments.storage.get(unsigned_key),
        reason=RESULT_REASON,
    )
    key = await signing.storage_key_of(signed.code)
    async with write_transaction():
        current = await DossierFile.select(DossierFile.storage_key).where(DossierFile.id == file_id)
        if not current or current[0]["storage_key"] != unsigned_key:
            raise stale()
        rows = (
            await DossierFile.update(
                {
                    DossierFile.storage_key: key,
                    DossierFile.sha256: signed.sha256,
                    DossierFile.size: signed.size,
                    DossierFile.signature_code: signed.code,
                }
            )
            .where(DossierFile.id == file_id)
            .returning(*DossierFile.all_columns())
        )
        await accounts.record_audit(
            runtime.now(),
            "result_signed",
            actor_id=principal.account_id,
            dossier_id=dossier_id,
            code=signed.code,
        )
    await runtime.attachments.storage.delete(unsigned_key)
    return file_read(rows[0])


def signs_results(runtime: DossiersRuntime, agency_code: str) -> bool:
    """Whether this agency has a signing key here (then its results go out signed)."""
    return signing.can_sign(runtime.signing, agency_code)


async def unsigned_results(runtime: DossiersRuntime, dossier_id: int, agency_code: str) -> int:
    """How many results still wait for the agency's signature (0 where it signs none)."""
    if not signs_results(runtime, agency_code):
        return 0
    unsigned: int = await DossierFile.count().where(
        (DossierFile.dossier == dossier_id)
        & (DossierFile.purpose == "result")
        & DossierFile.signature_code.is_null()
    )
    return unsigned
