"""The upload part of the step and supplement forms without JavaScript: the photos and
files chosen in a multipart form, each checked and kept (or refused, named), and the
"remove" buttons of the files already sent; and the documents of the person's store
("Giấy tờ của tôi") a document's step offers for reuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from litestar import Request
from litestar.datastructures import UploadFile

from backend.accounts.schemas import Principal
from backend.attachments import MAX_FILE_BYTES
from backend.catalogue.schemas import ApplicantGroup
from backend.dossiers import service
from backend.dossiers.pages.render import steps_of
from backend.dossiers.schemas import DossierRead, FileRead, StoredDocument
from backend.errors import AppError
from backend.web.forms import SUMMARY, FormErrors, text

# A step's upload form carries a photo and a chosen file (each at most 10 MB) and
# the multipart framing around them.
STEP_BODY_LIMIT = 2 * MAX_FILE_BYTES + 64 * 1024
# The supplement form may carry a photo and a file for each requested document.
SUPPLEMENT_BODY_LIMIT = service.MAX_DOSSIER_BYTES + 256 * 1024
# The likeliest few: the page stays light, the whole store is one link away.
REUSE_OFFERED: Final = 10


def chosen_files(form: Any, names: tuple[str, ...]) -> list[UploadFile]:
    return [
        value
        for name in names
        for value in form.getall(name, [])
        if isinstance(value, UploadFile) and value.filename
    ]


async def store_uploads(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    component_id: int | None,
    files: list[UploadFile],
    lang: str,
    *,
    evidence: bool = False,
) -> FormErrors:
    """Check and keep each chosen file (a component's, or the evidence of the applicant
    group); the refusals, each naming its file."""
    runtime = service.runtime_of(request)
    target = "file-evidence" if evidence else f"file-{component_id}"
    errors = FormErrors()
    for upload in files:
        data = await upload.read(MAX_FILE_BYTES + 1)
        await upload.close()
        try:
            checked = await runtime.attachments.check(data, upload.filename)
            await service.add_file(
                runtime,
                principal,
                dossier_id,
                checked,
                component_id=component_id,
                evidence=evidence,
            )
        except AppError as error:
            errors.append((target, f"{upload.filename}: {error.message(lang)}"))
    return errors


async def remove_requested(
    request: Request[Any, Any, Any], principal: Principal, dossier_id: int, form: Any, lang: str
) -> FormErrors:
    """The file whose "remove" button was pressed, if any, removed."""
    chosen = text(form, "remove", 12)
    if not chosen.isdigit():
        return FormErrors()
    try:
        await service.remove_file(service.runtime_of(request), principal, dossier_id, int(chosen))
    except AppError as error:
        return FormErrors.of_error(error, lang, lambda _: SUMMARY)
    return FormErrors()


def files_of(dossier: DossierRead, component_id: int, round_: int | None = None) -> list[FileRead]:
    return [
        f
        for f in dossier.files
        if f.purpose == "component"
        and f.component_id == component_id
        and (round_ is None or f.round == round_)
    ]


async def stored_at(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier: DossierRead,
    offered: Sequence[ApplicantGroup],
    number: int,
) -> list[StoredDocument]:
    """The stored documents a document's step offers, the same document first; none on
    the other steps."""
    steps = steps_of(dossier, groups=bool(offered))
    if not 1 <= number <= len(steps) or steps[number - 1].component is None:
        return []
    component = steps[number - 1].component
    assert component is not None
    documents = await service.my_documents(service.runtime_of(request), principal)
    return service.offered_for(documents, dossier.procedure_code, component)[:REUSE_OFFERED]
