"""The catalogue administrator's pages: list and search procedures, one form to create
or edit a procedure with its documents and fees (``admin_form``), the procedure's fee
rules (``fee_rule_form``), delete with a confirmation step, import a file and export
the catalogue.

The province's catalogue administrators only (role "catalogue"). Saving goes through
the same service and rules as an import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.catalogue import fee_rule_form, service
from backend.catalogue.admin_form import (
    LABELS,
    ProcedureForm,
    add_refusal,
    blank_component,
    blank_fee,
    form_of,
    in_page_order,
    new_form,
    padded,
    read_form,
    to_procedure,
)
from backend.catalogue.schemas import DemoFeeRule, FeeRuleIdParam, FormField, ProcedureCodeParam
from backend.errors import InvalidInput, Problems
from backend.i18n import N_, Translatable
from backend.web.forms import SUMMARY, FormErrors, render, text
from backend.web.templates import language

ADMIN_HOME = "/quan-tri/thu-tuc"
MAX_UPLOAD_BYTES = 1024 * 1024  # the application's request_max_body_size
ADD_COMPONENT = "add-component"
ADD_FEE = "add-fee"
# The editor's shortcuts: tick, or untick, every commune-level agency at once (then the
# person unticks the few that do not carry it out: a commune's police, for a civil
# status procedure) without a script.
ALL_COMMUNES = "all-communes"
NO_COMMUNES = "no-communes"


class CatalogueAdminPages(Controller):
    path = ADMIN_HOME
    include_in_schema = False
    guards = [require_staff("catalogue")]

    @get("", name="catalogue-admin")
    async def index(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(name="q", max_length=service.MAX_QUERY_LENGTH)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
        code: Annotated[str, QueryParameter(name="ma", max_length=32)] = "",
    ) -> Template:
        return await _index(request, q=q, page_number=page_number, done=done, code=code)

    @post("/nhap", name="catalogue-admin-import")
    async def import_file(self, request: Request[Any, Any, Any]) -> Template:
        upload = (await request.form()).get("file")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        if not data.strip():
            return await _index(
                request, errors=[("file", N_("Hãy chọn một tệp JSON hoặc CSV để nhập."))]
            )
        # The content decides the format, never the file's name.
        fmt: service.FileFormat = (
            "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"
        )
        try:
            result = await service.import_catalogue(data, fmt)
        except service.ImportRejected as error:
            return await _index(request, errors=[(SUMMARY, error.text)], rejected=error)
        return await _index(request, imported=result)

    @get("/moi", name="catalogue-admin-new")
    async def new(self, request: Request[Any, Any, Any]) -> Template:
        return await _edit(request, new_form(), code=None)

    @post("/moi")
    async def create(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        return await _save(request, code=None)

    @get("/{code:str}", name="catalogue-admin-edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        code: ProcedureCodeParam,
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template:
        form = form_of(await service.get_procedure(code))
        return await _edit(request, form, code=code, done=done)

    @post("/{code:str}")
    async def save(
        self, request: Request[Any, Any, Any], code: ProcedureCodeParam
    ) -> Template | Redirect:
        stored = await service.get_procedure(code)  # 404 for an unknown code
        return await _save(
            request,
            code=code,
            form_fields=stored.form_fields,
            fee_rules=form_of(stored).fee_rules,
        )

    @get("/{code:str}/phi", name="catalogue-admin-fee-rules")
    async def fee_rules(
        self,
        request: Request[Any, Any, Any],
        code: ProcedureCodeParam,
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template:
        return await _rules_page(request, code, fee_rule_form.blank(), done=done)

    @post("/{code:str}/phi")
    async def add_fee_rule(
        self, request: Request[Any, Any, Any], code: ProcedureCodeParam
    ) -> Template | Redirect:
        return await _save_rule(request, code, None)

    @get("/{code:str}/phi/{rule_id:int}", name="catalogue-admin-fee-rule")
    async def fee_rule(
        self, request: Request[Any, Any, Any], code: ProcedureCodeParam, rule_id: FeeRuleIdParam
    ) -> Template:
        rule = await service.fee_rule(code, rule_id)
        return await _rules_page(request, code, fee_rule_form.values_of(rule), editing=rule_id)

    @post("/{code:str}/phi/{rule_id:int}")
    async def save_fee_rule(
        self, request: Request[Any, Any, Any], code: ProcedureCodeParam, rule_id: FeeRuleIdParam
    ) -> Template | Redirect:
        await service.fee_rule(code, rule_id)  # 404 for another procedure's rule
        return await _save_rule(request, code, rule_id)

    @post("/{code:str}/phi/{rule_id:int}/xoa")
    async def remove_fee_rule(self, code: ProcedureCodeParam, rule_id: FeeRuleIdParam) -> Redirect:
        await service.remove_fee_rule(code, rule_id)
        return Redirect(f"{ADMIN_HOME}/{code}/phi?xong=xoa", status_code=303)

    @get("/{code:str}/xoa", name="catalogue-admin-delete")
    async def confirm_delete(
        self, request: Request[Any, Any, Any], code: ProcedureCodeParam
    ) -> Template:
        procedure = await service.get_procedure(code)
        return render(request, "catalogue/admin/delete.html", procedure=procedure)

    @post("/{code:str}/xoa")
    async def delete(self, code: ProcedureCodeParam) -> Redirect:
        await service.delete_procedure(code)
        return Redirect(f"{ADMIN_HOME}?xong=xoa&ma={code}", status_code=303)


async def _index(
    request: Request[Any, Any, Any],
    *,
    q: str = "",
    page_number: int = 1,
    done: str = "",
    code: str = "",
    imported: service.ImportResult | None = None,
    rejected: service.ImportRejected | None = None,
    errors: Sequence[tuple[str, Translatable]] = (),
) -> Template:
    lang = language(request)
    shown = FormErrors((target, message.render(lang)) for target, message in errors)
    return render(
        request,
        "catalogue/admin/index.html",
        422 if shown else 200,
        errors=shown,
        q=q,
        results=await service.list_procedures(q=q, page=page_number),
        done=done,
        code=code,
        imported=imported,
        rejected=rejected,
        max_upload_kib=MAX_UPLOAD_BYTES // 1024,
    )


async def _edit(
    request: Request[Any, Any, Any],
    form: ProcedureForm,
    *,
    code: str | None,
    done: str = "",
    problems: Problems | None = None,
) -> Template:
    errors = (
        FormErrors.of_error(InvalidInput(problems=in_page_order(problems)), language(request))
        if problems
        else FormErrors()
    )
    return render(
        request,
        "catalogue/admin/edit.html",
        422 if errors else 200,
        errors=errors,
        labels=LABELS,
        form=form,
        code=code,
        done=done,
        agency_groups=await _agency_groups(),
    )


async def _agency_groups() -> list[tuple[str, list[service.AgencyRead]]]:
    """The agencies to tick, by level: the province's departments, then the agencies of
    the communes and wards, those of one commune together (by the unit they serve)."""
    units = {unit.code: service.fold(unit.name_vi) for unit in await service.list_units()}
    groups: dict[str, list[service.AgencyRead]] = {"province": [], "commune": []}
    for agency in await service.list_agencies():
        groups[agency.level].append(agency)
    groups["commune"].sort(key=lambda a: (units.get(a.unit_code, ""), service.fold(a.name_vi)))
    return list(groups.items())


async def _save(
    request: Request[Any, Any, Any],
    *,
    code: str | None,
    form_fields: list[FormField] | None = None,
    fee_rules: list[DemoFeeRule] | None = None,
) -> Template | Redirect:
    submitted = await request.form()
    action = text(submitted, "action", 20) or "save"
    form = read_form(
        submitted, keep_empty=action in (ADD_COMPONENT, ADD_FEE, ALL_COMMUNES, NO_COMMUNES)
    )
    form.form_fields = list(form_fields or [])
    form.fee_rules = list(fee_rules or [])
    if code is not None:
        form.values["code"] = code  # the code of a procedure is its address: not edited here
    if action == ADD_COMPONENT:
        form.components.append(blank_component())
        return await _edit(request, form, code=code)
    if action == ADD_FEE:
        form.fees.append(blank_fee())
        return await _edit(request, form, code=code)
    if action in (ALL_COMMUNES, NO_COMMUNES):
        communes = [a.code for a in await service.list_agencies() if a.level == "commune"]
        kept = [c for c in form.agencies if c not in communes]
        form.agencies = kept + communes if action == ALL_COMMUNES else kept
        return await _edit(request, form, code=code)
    problems = Problems()
    procedure = to_procedure(form, problems)
    if procedure is not None:
        new = code is None
        try:
            if not problems:
                await service.save_procedure(procedure, new=new)
                return Redirect(f"{ADMIN_HOME}/{procedure.code}?xong=luu", status_code=303)
            # The form did not convert in full: the service's rules still say the rest.
            add_refusal(problems, await service.check_procedure(procedure, new=new))
        except service.ImportRejected as error:
            add_refusal(problems, error.errors)
    return await _edit(request, padded(form, 1), code=code, problems=problems)


# ---- Fee rules ---------------------------------------------------------------------


async def _rules_page(
    request: Request[Any, Any, Any],
    code: str,
    values: dict[str, Any],
    *,
    editing: int | None = None,
    done: str = "",
    problems: Problems | None = None,
) -> Template:
    procedure = await service.get_procedure(code)
    lang = language(request)
    errors = (
        FormErrors.of_error(InvalidInput(problems=problems.items), lang)
        if problems
        else FormErrors()
    )
    agencies = {agency.code: agency for agency in await service.agencies_of(code)}
    return render(
        request,
        "catalogue/admin/fee_rules.html",
        422 if errors else 200,
        errors=errors,
        procedure=procedure,
        agencies=agencies,
        groups=service.APPLICANT_GROUPS,
        channels=fee_rule_form.CHANNEL_LABELS,
        labels=fee_rule_form.LABELS,
        values=values,
        editing=editing,
        done=done,
    )


async def _save_rule(
    request: Request[Any, Any, Any], code: str, rule_id: int | None
) -> Template | Redirect:
    values = fee_rule_form.read(await request.form())
    problems = Problems()
    rule = fee_rule_form.rule_of(values, problems)
    if not problems:
        try:
            if rule_id is None:
                await service.add_fee_rule(code, rule)
            else:
                await service.save_fee_rule(code, rule_id, rule)
            return Redirect(
                f"{ADMIN_HOME}/{code}/phi?xong={'them' if rule_id is None else 'luu'}",
                status_code=303,
            )
        except InvalidInput as error:
            problems.extend(error)
    return await _rules_page(request, code, values, editing=rule_id, problems=problems)
