"""What the citizen does once the dossier is submitted: send what the agency asked for
(documents, answers; saved as they go, sent when complete) or withdraw it, after a
confirmation."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from backend.accounts.guards import require_citizen
from backend.accounts.schemas import Principal
from backend.catalogue.schemas import FormField
from backend.dossiers import service
from backend.dossiers.pages.render import anchor, render
from backend.dossiers.pages.uploads import (
    SUPPLEMENT_BODY_LIMIT,
    chosen_files,
    files_of,
    remove_requested,
    store_uploads,
)
from backend.dossiers.schemas import ActionIn, DossierRead, DraftUpdate
from backend.errors import AppError, InvalidInput, NotFound
from backend.web.forms import FormErrors, status_of, text
from backend.web.templates import language


class WithdrawForm(msgspec.Struct, kw_only=True):
    version: str = ""
    note: str = ""


def _requested_components(dossier: DossierRead) -> list[int]:
    return [i.component_id for i in dossier.supplement_items if i.component_id is not None]


def _requested_fields(dossier: DossierRead) -> list[FormField]:
    wanted = {i.field for i in dossier.supplement_items if i.field}
    return [f for f in dossier.form_fields if f.name in wanted]


def _supplement_page(
    request: Request[Any, Any, Any],
    dossier: DossierRead,
    *,
    values: dict[str, str] | None = None,
    note: str = "",
    errors: FormErrors | None = None,
    done: str = "",
) -> Template:
    components = {c.id: c for c in dossier.components}
    errors = errors or FormErrors()
    return render(
        request,
        "dossiers/supplement.html",
        status_of(errors),
        dossier=dossier,
        documents=[
            (
                item,
                components.get(item.component_id),
                files_of(dossier, item.component_id, dossier.version),
            )
            for item in dossier.supplement_items
            if item.component_id is not None
        ],
        fields=_requested_fields(dossier),
        others=[i for i in dossier.supplement_items if i.component_id is None and not i.field],
        values=values if values is not None else dict(dossier.form_data),
        note=note,
        errors=errors,
        done=done,
        used_bytes=sum(f.size for f in dossier.files),
    )


class AfterSubmissionPages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    @get("/ho-so/{dossier_id:int}/rut", name="dossier-withdraw")
    async def withdraw_confirm(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        dossier = await service.get_dossier(service.runtime_of(request), principal, dossier_id)
        if "withdraw" not in dossier.actions:
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        return render(request, "dossiers/withdraw.html", dossier=dossier)

    @post("/ho-so/{dossier_id:int}/rut")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: URLEncodedBody[WithdrawForm],
    ) -> Template | Redirect:
        runtime = service.runtime_of(request)
        try:
            await service.act(
                runtime,
                principal,
                dossier_id,
                ActionIn(
                    action="withdraw",
                    version=int(data.version) if data.version.isdigit() else -1,
                    note=data.note.strip()[:2000],
                ),
            )
        except AppError as error:
            if isinstance(error, NotFound):
                raise
            dossier = await service.get_dossier(runtime, principal, dossier_id)
            return render(
                request,
                "dossiers/withdraw.html",
                error.status_code,
                dossier=dossier,
                note=data.note,
                errors=FormErrors.of_error(error, language(request), lambda _: "note"),
            )
        return Redirect(f"/ho-so/{dossier_id}?xong=rut", status_code=303)

    @get("/ho-so/{dossier_id:int}/bo-sung", name="dossier-supplement")
    async def supplement_page(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template | Redirect:
        dossier = await service.get_dossier(service.runtime_of(request), principal, dossier_id)
        if "supplement" not in dossier.actions:
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        return _supplement_page(request, dossier, done=done)

    @post("/ho-so/{dossier_id:int}/bo-sung", request_max_body_size=SUPPLEMENT_BODY_LIMIT)
    async def supplement(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = service.runtime_of(request)
        lang = language(request)
        form = await request.form()
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if "supplement" not in dossier.actions:
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        errors = FormErrors()
        for component_id in _requested_components(dossier):
            names = (f"photo-{component_id}", f"file-{component_id}")
            errors += await store_uploads(
                request, principal, dossier_id, component_id, chosen_files(form, names), lang
            )
        errors += await remove_requested(request, principal, dossier_id, form, lang)
        fields = _requested_fields(dossier)
        values = {f.name: text(form, f.name, f.max_length + 50) for f in fields}
        sending = text(form, "action", 20) == "send"
        note = text(form, "note", strip=True)
        if fields:
            try:
                await service.update_draft(
                    runtime, principal, dossier_id, DraftUpdate(form_data=values), complete=sending
                )
            except InvalidInput as error:
                errors += FormErrors.of_error(error, lang, anchor)
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if not errors and sending:
            try:
                await service.act(
                    runtime,
                    principal,
                    dossier_id,
                    ActionIn(action="supplement", version=dossier.version, note=note),
                )
            except AppError as error:
                if isinstance(error, NotFound):
                    raise
                errors += FormErrors.of_error(error, lang, anchor)
            else:
                return Redirect(f"/ho-so/{dossier_id}?xong=bo-sung", status_code=303)
        if errors:
            return _supplement_page(request, dossier, values=values, note=note, errors=errors)
        return Redirect(f"/ho-so/{dossier_id}/bo-sung?xong=luu", status_code=303)
