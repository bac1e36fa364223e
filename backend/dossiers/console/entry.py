"""Counter entry: a reception official (or a leader) enters the dossier of a citizen
who came in person, by post or through a mobile team; it is received at once, and the
page that follows offers the receipt (Form 01) to print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import current_principal, require_official
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import ProcedureRead
from backend.dossiers import service
from backend.dossiers.console.page import LABELS, agency_procedures, render
from backend.dossiers.schemas import AssistedCreate
from backend.errors import AppError, InvalidInput, NotFound
from backend.i18n import N_
from backend.web.console import CONSOLE_HOME
from backend.web.forms import SUMMARY, FormErrors, convert, text, texts
from backend.web.templates import language

# Who may enter a walk-in citizen's dossier (the service's rule, shown as a link).
ENTRY_ROLES = frozenset({"reception", "leader"})
ENTRY_NAMES = (
    "channel",
    "applicant_name",
    "applicant_phone",
    "applicant_id_number",
    "applicant_address",
    "applicant_group",
)


async def require_entry(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Officials who may enter a walk-in citizen's dossier."""
    await require_official(connection, _)
    principal = await current_principal(connection)
    if principal is None or principal.role not in ENTRY_ROLES:
        raise PermissionDeniedException()


@dataclass(slots=True)
class EntryForm:
    """What the official typed, as text, to show again after an error."""

    values: dict[str, str] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)
    # The applicant group's evidence was seen on paper.
    evidence_seen: bool = False


def _target(name: str | None) -> str:
    """The input a problem names (answers are ``f-<name>``)."""
    if name is None:
        return SUMMARY
    if name.startswith("form_data."):
        return "f-" + name.removeprefix("form_data.")
    return name


async def _entry_procedure(principal: Principal, code: str) -> ProcedureRead:
    """A procedure of the official's agency, or an error naming the choice."""
    try:
        procedure = await catalogue.get_procedure(code)
    except NotFound:
        procedure = None
    if procedure is None or (principal.agency_code or "") not in procedure.agency_codes:
        raise InvalidInput(N_("Hãy chọn một thủ tục của cơ quan bạn."), field="procedure_code")
    return procedure


async def _entry_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    procedure: ProcedureRead | None,
    form: EntryForm | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    # Every group a rule exempts here today, whatever the channel: the service refuses
    # one that lowers nothing for the channel and answers given.
    today = service.runtime_of(request).today()
    agency_code = principal.agency_code or ""
    return render(
        request,
        "console/entry.html",
        status_code,
        principal=principal,
        procedures=await agency_procedures(principal),
        procedure=procedure,
        groups=catalogue.groups_for(procedure.fee_rules, agency_code, today) if procedure else [],
        form=form or EntryForm(values={"channel": "counter"}),
        errors=errors or FormErrors(),
    )


def _entry_form(form: Any, procedure: ProcedureRead) -> EntryForm:
    values = {name: text(form, name, 2000, strip=True) for name in ENTRY_NAMES}
    for field_def in procedure.form_fields:
        name = f"f-{field_def.name}"
        values[name] = text(form, name, 2000, strip=True)
    known = {str(c.id) for c in procedure.components}
    received = [value for value in texts(form, "components_received") if value in known]
    seen = text(form, "group_evidence_received", 4) == "1"
    return EntryForm(values=values, received=received, evidence_seen=seen)


def _assisted(entry: EntryForm, procedure: ProcedureRead) -> AssistedCreate:
    answers = {
        f.name: entry.values[f"f-{f.name}"]
        for f in procedure.form_fields
        if entry.values[f"f-{f.name}"]
    }
    data = {
        "procedure_code": procedure.code,
        **{name: entry.values[name] for name in ENTRY_NAMES},
        "form_data": answers,
        "components_received": [int(value) for value in entry.received],
        "group_evidence_received": entry.evidence_seen,
    }
    return convert(data, AssistedCreate, LABELS)


class EntryPages(Controller):
    path = CONSOLE_HOME
    include_in_schema = False
    guards = [require_entry]

    @get("/nhap-ho-so", name="console-entry")
    async def entry(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: Annotated[str, QueryParameter(name="thu-tuc", max_length=32)] = "",
    ) -> Template:
        if not code:
            return await _entry_page(request, principal, procedure=None)
        try:
            procedure = await _entry_procedure(principal, code)
        except AppError as error:
            return await _entry_page(
                request,
                principal,
                procedure=None,
                errors=FormErrors.of_error(error, language(request)),
                status_code=error.status_code,
            )
        return await _entry_page(request, principal, procedure=procedure)

    @post("/nhap-ho-so", name="console-entry-save")
    async def enter(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        lang = language(request)
        form = await request.form()
        try:
            procedure = await _entry_procedure(principal, text(form, "procedure_code", 32))
        except AppError as error:
            return await _entry_page(
                request,
                principal,
                procedure=None,
                errors=FormErrors.of_error(error, lang),
                status_code=error.status_code,
            )
        entry = _entry_form(form, procedure)
        try:
            dossier = await service.create_assisted(
                service.runtime_of(request), principal, _assisted(entry, procedure)
            )
        except AppError as error:
            return await _entry_page(
                request,
                principal,
                procedure=procedure,
                form=entry,
                errors=FormErrors.of_error(error, lang, _target),
                status_code=error.status_code,
            )
        return Redirect(f"{CONSOLE_HOME}/ho-so/{dossier.id}?xong=nhap", status_code=303)
