"""The citizen's own documents ("Giấy tờ của tôi"): the results released to them and
what they sent with their dossiers, each to download; and, on a draft's document step,
one tap to attach a copy of one instead of photographing it again (a plain form)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.accounts.guards import require_citizen
from backend.accounts.schemas import Principal
from backend.dossiers import service
from backend.dossiers.pages.render import render, step_url, steps_of
from backend.dossiers.pages.steps import offered_to, step_page
from backend.dossiers.pages.uploads import stored_at
from backend.errors import AppError, InvalidInput, NotFound
from backend.i18n import N_
from backend.web.forms import FormErrors, text
from backend.web.templates import language

STORE_PATH = "/giay-to"


class StorePages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    @get(STORE_PATH, name="my-documents")
    async def store(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        documents = await service.my_documents(service.runtime_of(request), principal)
        return render(
            request,
            "dossiers/store.html",
            results=[d for d in documents if d.kind == "result"],
            uploads=[d for d in documents if d.kind == "upload"],
        )

    @post("/ho-so/{dossier_id:int}/buoc/{number:int}/dung-lai")
    async def reuse(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        number: FromPath[int],
    ) -> Template | Redirect:
        """ "Dùng" beside a stored document: a copy of it becomes the step's file."""
        runtime = service.runtime_of(request)
        form = await request.form()
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if dossier.status != "draft":
            # Submitted meanwhile (another tab): its page says where it is.
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        offered = await offered_to(request, dossier)
        steps = steps_of(dossier, groups=bool(offered))
        component = steps[number - 1].component if 1 <= number <= len(steps) else None
        if component is None:
            raise NotFound(N_("Không có bước này."))
        chosen = text(form, "file_id", 12)
        try:
            if not chosen.isdigit():
                raise InvalidInput(N_("Hãy chọn một giấy tờ để dùng."), field="file_id")
            await service.reuse_document(runtime, principal, dossier_id, component.id, int(chosen))
        except AppError as error:
            errors = FormErrors.of_error(
                error, language(request), lambda _: f"reuse-{component.id}"
            )
            dossier = await service.get_dossier(runtime, principal, dossier_id)
            stored = await stored_at(request, principal, dossier, offered, number)
            page = step_page(request, dossier, number, offered, errors=errors, stored=stored)
            page.status_code = error.status_code
            return page
        return Redirect(f"{step_url(dossier_id, number)}?xong=dung-lai", status_code=303)
