"""A draft, step by step: the applicant, the procedure's questions, each document, and
the review with submission. Each step is a plain form that saves on the server; the
service checks it and names every field at fault, and the step comes back with what
was typed (``frontend/scripts/dossiers/form.js`` adds autosave and uploads with
progress through the JSON API)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import current_principal, require_citizen
from backend.accounts.schemas import Principal
from backend.catalogue.schemas import ApplicantGroup
from backend.dossiers import service
from backend.dossiers.pages.render import Step, anchor, render, step_url, steps_of
from backend.dossiers.pages.uploads import (
    STEP_BODY_LIMIT,
    chosen_files,
    files_of,
    remove_requested,
    store_uploads,
    stored_at,
)
from backend.dossiers.schemas import DossierRead, DraftUpdate, StoredDocument
from backend.errors import Conflict, InvalidInput, NotFound
from backend.i18n import N_
from backend.web.forms import SUMMARY, FormErrors, status_of, text
from backend.web.templates import language


def _no_step() -> NotFound:
    return NotFound(N_("Không có bước này."))


async def offered_to(request: Request[Any, Any, Any], dossier: DossierRead) -> list[ApplicantGroup]:
    """The applicant groups the draft may declare, where and as it is filed, today."""
    principal = await current_principal(request)
    assert principal is not None  # the pages are for citizens only
    return await service.groups_offered(service.runtime_of(request), principal, dossier.id)


def step_page(
    request: Request[Any, Any, Any],
    dossier: DossierRead,
    number: int,
    offered: Sequence[ApplicantGroup],
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    done: str = "",
    stored: Sequence[StoredDocument] = (),
) -> Template:
    steps = steps_of(dossier, groups=bool(offered))
    if not 1 <= number <= len(steps):
        raise _no_step()
    step = steps[number - 1]
    if values is None:
        if step.kind == "applicant":
            values = {name: getattr(dossier, name) for name in service.APPLICANT_FIELDS}
        elif step.kind == "group":
            values = {service.GROUP_FIELD: dossier.applicant_group}
        else:
            values = dict(dossier.form_data)
    errors = errors or FormErrors()
    missing = FormErrors()
    if step.kind == "review":
        problems = service.submission_problems(dossier, offered)
        if problems:
            missing = FormErrors.of_error(
                InvalidInput(problems=problems), language(request), _review_target(dossier, steps)
            )
    return render(
        request,
        "dossiers/step.html",
        status_of(errors),
        dossier=dossier,
        steps=steps,
        number=number,
        step=step,
        values=values,
        errors=errors,
        done=done,
        files=files_of(dossier, step.component.id) if step.component else [],
        offered=offered,
        declared=service.group_of(dossier.applicant_group),
        evidence=[f for f in dossier.files if f.purpose == "evidence"],
        missing=missing,
        used_bytes=sum(f.size for f in dossier.files),
        stored=stored,
    )


def _step_finder(dossier: DossierRead, steps: list[Step]) -> Callable[[str | None], int | None]:
    """The number of the step that fixes what a problem names: the applicant's, the
    answers', the first document still without a file, or the applicant group's."""
    present = {f.component_id for f in dossier.files if f.purpose == "component"}
    answers = next((n for n, step in enumerate(steps, 1) if step.kind == "answers"), 1)
    group = next((n for n, step in enumerate(steps, 1) if step.kind == "group"), None)
    documents = next(
        (
            n
            for n, step in enumerate(steps, 1)
            if step.component and step.component.required and step.component.id not in present
        ),
        None,
    )

    def find(field: str | None) -> int | None:
        name = field or ""
        # Before the applicant's: the group's field is named "applicant_group".
        if name in {service.GROUP_FIELD, service.EVIDENCE_FIELD}:
            return group
        if name.startswith("applicant"):
            return 1
        if name.startswith("form_data"):
            return answers
        if name == "files":
            return documents
        return None

    return find


def _review_target(dossier: DossierRead, steps: list[Step]) -> Callable[[str | None], str]:
    """What submission refused, pointed at the step that fixes it."""
    find = _step_finder(dossier, steps)

    def target(field: str | None) -> str:
        number = find(field)
        return SUMMARY if number is None else step_url(dossier.id, number)

    return target


def resume_at(dossier: DossierRead, offered: Sequence[ApplicantGroup]) -> int:
    """Where a draft goes on: the first step with a required answer or file missing,
    else the review. One never saved since it was made (a second tap on "Bắt đầu",
    or left at once) is at its first step: the applicant's details, filled in from
    the account, are not confirmed yet."""
    if dossier.updated_at == dossier.created_at:
        return 1
    steps = steps_of(dossier, groups=bool(offered))
    find = _step_finder(dossier, steps)
    numbers = [find(problem.field) for problem in service.submission_problems(dossier, offered)]
    return min((n for n in numbers if n is not None), default=len(steps))


async def resume_url(request: Request[Any, Any, Any], dossier: DossierRead) -> str:
    return step_url(dossier.id, resume_at(dossier, await offered_to(request, dossier)))


class StepPages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    @get("/ho-so/{dossier_id:int}/buoc/{number:int}", name="dossier-step")
    async def step(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        number: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template | Redirect:
        dossier = await service.get_dossier(service.runtime_of(request), principal, dossier_id)
        if dossier.status != "draft":
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        offered = await offered_to(request, dossier)
        stored = await stored_at(request, principal, dossier, offered, number)
        return step_page(request, dossier, number, offered, done=done, stored=stored)

    @get("/ho-so/{dossier_id:int}/tiep-tuc", name="dossier-resume")
    async def resume(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Redirect:
        """A draft's "Tiếp tục": to the first step still to do, not back to step 1."""
        dossier = await service.get_dossier(service.runtime_of(request), principal, dossier_id)
        if dossier.status != "draft":
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        return Redirect(await resume_url(request, dossier), status_code=303)

    @post("/ho-so/{dossier_id:int}/buoc/{number:int}", request_max_body_size=STEP_BODY_LIMIT)
    async def save_step(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        number: FromPath[int],
    ) -> Template | Redirect:
        runtime = service.runtime_of(request)
        lang = language(request)
        form = await request.form()
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if dossier.status != "draft":
            target = f"/ho-so/{dossier_id}/bien-nhan" if dossier.code else f"/ho-so/{dossier_id}"
            return Redirect(target, status_code=303)
        offered = await offered_to(request, dossier)
        steps = steps_of(dossier, groups=bool(offered))
        if not 1 <= number <= len(steps):
            raise _no_step()
        step = steps[number - 1]
        next_url = step_url(dossier_id, number + 1)

        if step.kind in {"applicant", "answers"}:
            if step.kind == "applicant":
                values = {name: text(form, name, 400) for name in service.APPLICANT_FIELDS}
                update = DraftUpdate(
                    applicant_name=values["applicant_name"],
                    applicant_phone=values["applicant_phone"],
                    applicant_id_number=values["applicant_id_number"],
                    applicant_address=values["applicant_address"],
                )
            else:
                values = {
                    f.name: text(form, f.name, f.max_length + 50) for f in dossier.form_fields
                }
                update = DraftUpdate(form_data=values)
            try:
                await service.update_draft(runtime, principal, dossier_id, update, complete=True)
            except InvalidInput as error:
                errors = FormErrors.of_error(error, lang, anchor)
                return step_page(request, dossier, number, offered, values=values, errors=errors)
            return Redirect(next_url, status_code=303)

        if step.kind == "group":
            return await _save_group(request, principal, dossier, number, offered, form)

        if step.kind == "component":
            assert step.component is not None
            component = step.component
            target = f"file-{component.id}"
            uploads = chosen_files(form, ("photo", "file"))
            errors = await store_uploads(
                request, principal, dossier_id, component.id, uploads, lang
            )
            errors += await remove_requested(request, principal, dossier_id, form, lang)
            dossier = await service.get_dossier(runtime, principal, dossier_id)
            going_on = text(form, "action", 20) == "next"
            if going_on and not errors:
                try:
                    service.require_file(dossier, component.id)
                except InvalidInput as error:
                    errors = FormErrors.of_error(error, lang, lambda _: target)
            if errors:
                stored = await stored_at(request, principal, dossier, offered, number)
                return step_page(request, dossier, number, offered, errors=errors, stored=stored)
            if going_on:
                return Redirect(next_url, status_code=303)
            return Redirect(f"{step_url(dossier_id, number)}?xong=tai-len", status_code=303)

        # The review: submit.
        try:
            await service.submit(runtime, principal, dossier_id)
        except Conflict as error:
            if error.field == "dossier":  # already submitted (a second press, a replay)
                return Redirect(f"/ho-so/{dossier_id}/bien-nhan", status_code=303)
            raise
        except InvalidInput as error:
            errors = FormErrors.of_error(error, lang, _review_target(dossier, steps))
            return step_page(request, dossier, number, offered, errors=errors)
        return Redirect(f"/ho-so/{dossier_id}/bien-nhan", status_code=303)


def _group_target(field: str | None) -> str:
    """The group step's input a problem names: the choice, or the evidence's files."""
    return "file-evidence" if field == service.EVIDENCE_FIELD else anchor(field)


async def _save_group(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier: DossierRead,
    number: int,
    offered: Sequence[ApplicantGroup],
    form: Any,
) -> Template | Redirect:
    """The applicant group step: the group chosen (or none), then its evidence's files
    (after the choice: a new choice drops the evidence of the old one) and removals;
    going on needs the evidence of a group declared."""
    runtime = service.runtime_of(request)
    lang = language(request)
    chosen = text(form, service.GROUP_FIELD, 40)
    try:
        await service.update_draft(
            runtime, principal, dossier.id, DraftUpdate(applicant_group=chosen)
        )
    except InvalidInput as error:
        errors = FormErrors.of_error(error, lang, anchor)
        values = {service.GROUP_FIELD: chosen}
        return step_page(request, dossier, number, offered, values=values, errors=errors)
    uploads = chosen_files(form, ("photo", "file"))
    errors = await store_uploads(request, principal, dossier.id, None, uploads, lang, evidence=True)
    errors += await remove_requested(request, principal, dossier.id, form, lang)
    dossier = await service.get_dossier(runtime, principal, dossier.id)
    going_on = text(form, "action", 20) == "next"
    if going_on and not errors:
        problems = service.group_problems(dossier, offered)
        if problems:
            errors = FormErrors.of_error(InvalidInput(problems=problems), lang, _group_target)
    if errors:
        return step_page(request, dossier, number, offered, errors=errors)
    if going_on:
        return Redirect(step_url(dossier.id, number + 1), status_code=303)
    return Redirect(f"{step_url(dossier.id, number)}?xong=tai-len", status_code=303)
