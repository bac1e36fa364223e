"""The catalogue administrator's page of search's synonyms and abbreviations: the list,
one form to add a synonym or change one, and a button to remove one (plain forms that
work without JavaScript).

The province's catalogue administrators only (role "catalogue"); the rules are the
service's, as for the API (``admin.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.catalogue import service
from backend.catalogue.schemas import DemoSynonym, SynonymIdParam
from backend.errors import InvalidInput
from backend.web.forms import FormErrors, render, text
from backend.web.templates import language

SYNONYMS_HOME = "/quan-tri/tu-dong-nghia"
LABELS = service.SYNONYM_LABELS


class SynonymAdminPages(Controller):
    path = SYNONYMS_HOME
    include_in_schema = False
    guards = [require_staff("catalogue")]

    @get("", name="catalogue-admin-synonyms")
    async def index(
        self,
        request: Request[Any, Any, Any],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template:
        return await _page(request, {"term": "", "replacement": ""}, done=done)

    @post("")
    async def add(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        return await _save(request, None)

    @get("/{synonym_id:int}", name="catalogue-admin-synonym")
    async def edit(self, request: Request[Any, Any, Any], synonym_id: SynonymIdParam) -> Template:
        entry = await service.synonym(synonym_id)
        values = {"term": entry.term, "replacement": entry.replacement}
        return await _page(request, values, editing=synonym_id)

    @post("/{synonym_id:int}")
    async def save(
        self, request: Request[Any, Any, Any], synonym_id: SynonymIdParam
    ) -> Template | Redirect:
        await service.synonym(synonym_id)  # 404 for an unknown one
        return await _save(request, synonym_id)

    @post("/{synonym_id:int}/xoa")
    async def remove(self, synonym_id: SynonymIdParam) -> Redirect:
        await service.remove_synonym(synonym_id)
        return Redirect(f"{SYNONYMS_HOME}?xong=xoa", status_code=303)


async def _page(
    request: Request[Any, Any, Any],
    values: dict[str, str],
    *,
    editing: int | None = None,
    done: str = "",
    errors: FormErrors | None = None,
) -> Template:
    return render(
        request,
        "catalogue/admin/synonyms.html",
        422 if errors else 200,
        errors=errors or FormErrors(),
        synonyms=await service.list_synonyms(),
        labels=LABELS,
        values=values,
        editing=editing,
        done=done,
    )


async def _save(request: Request[Any, Any, Any], synonym_id: int | None) -> Template | Redirect:
    form = await request.form()
    values = {name: text(form, name, 2000, strip=True) for name in LABELS}
    entry = DemoSynonym(term=values["term"], replacement=values["replacement"])
    try:
        if synonym_id is None:
            await service.add_synonym(entry)
        else:
            await service.save_synonym(synonym_id, entry)
    except InvalidInput as error:
        errors = FormErrors.of_error(error, language(request))
        return await _page(request, values, editing=synonym_id, errors=errors)
    return Redirect(
        f"{SYNONYMS_HOME}?xong={'them' if synonym_id is None else 'luu'}", status_code=303
    )
