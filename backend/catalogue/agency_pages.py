"""The agencies' administrators' pages (``/quan-tri/co-quan``): an agency's details, its
counters, the procedures it carries out with its notes, and (its own administrator
only) its officials.

An agency's administrator reaches their own agency (``/quan-tri/co-quan`` takes them
there; another agency is refused); the province's catalogue administrator chooses any
agency from a list, but does not manage agencies' officials (that is each agency's own
administrator's, or ``motcua create-staff``). Plain HTML forms with the CSRF token that
work without JavaScript; each change goes through the same service as the API and, when
refused, the form comes back with every problem next to its input."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts import service as accounts
from backend.accounts.guards import client_of, require_staff, runtime_of
from backend.accounts.schemas import Principal, StaffCreate, StaffRead, StaffUpdate
from backend.catalogue import service
from backend.catalogue.agency_admin import LABELS, MAX_COUNTER_PROCEDURES
from backend.catalogue.schemas import ProcedureCodeParam
from backend.errors import AppError, Forbidden, InvalidInput
from backend.i18n import N_, Text
from backend.web import console
from backend.web.console import Console, Section
from backend.web.forms import FormErrors, text, texts
from backend.web.templates import language

AGENCY_ADMIN = "/quan-tri/co-quan"
SECTION = "agency"
AgencyCodeParam = Annotated[str, PathParameter(max_length=32)]
CounterNumberParam = Annotated[int, PathParameter(ge=0, le=1_000_000)]
Done = Annotated[str, QueryParameter(name="xong", max_length=20)]
Subject = Annotated[str, QueryParameter(name="ma", max_length=32)]
DETAILS = (
    "address",
    "hours_vi",
    "hours_en",
    "phone",
    "tax_code",
    "receipt_template",
    "receipt_symbol",
)
NOTES = ("note_vi", "note_en")
# The roles an agency's administrator gives (the province's catalogue administration is
# given from the command line only).
AGENCY_ROLES = ("reception", "processing", "leader", "admin")
ROLE_LABELS: dict[str, Text] = {
    "reception": N_("Cán bộ tiếp nhận"),
    "processing": N_("Cán bộ xử lý"),
    "leader": N_("Lãnh đạo"),
    "admin": N_("Quản trị cơ quan"),
}


def register(console: Console) -> None:
    """The console's links to the administration pages of the catalogue."""
    console.add_section(
        Section(SECTION, N_("Quản trị cơ quan"), AGENCY_ADMIN, frozenset({"admin", "catalogue"}))
    )
    console.add_section(
        Section("catalogue", N_("Danh mục thủ tục"), "/quan-tri/thu-tuc", frozenset({"catalogue"}))
    )


def _render(
    request: Request[Any, Any, Any],
    principal: Principal,
    name: str,
    status: int = 200,
    **context: Any,
) -> Template:
    return console.render(
        request,
        f"catalogue/agency/{name}",
        status,
        principal=principal,
        section=SECTION,
        labels=LABELS,
        **context,
    )


def _errors(request: Request[Any, Any, Any], error: AppError) -> FormErrors:
    return FormErrors.of_error(error, language(request))


def _home(agency_code: str, done: str = "", subject: str | int = "") -> Redirect:
    query = f"?xong={done}" + (f"&ma={subject}" if subject != "" else "") if done else ""
    return Redirect(f"{AGENCY_ADMIN}/{agency_code}{query}", status_code=303)


class AgencyAdminPages(Controller):
    path = AGENCY_ADMIN
    include_in_schema = False
    guards = [require_staff("admin", "catalogue")]

    @get("", name="agency-admin")
    async def index(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        agencies = await service.administered_agencies(principal)
        if principal.role != "catalogue" and len(agencies) == 1:
            return _home(agencies[0].code)
        return _render(request, principal, "index.html", agencies=agencies)

    # ---- the agency: details and procedures

    @get("/{agency_code:str}", name="agency-admin-agency")
    async def agency(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        done: Done = "",
        subject: Subject = "",
    ) -> Template:
        return await _agency_page(request, principal, agency_code, done=done, subject=subject)

    @post("/{agency_code:str}", name="agency-admin-save")
    async def save(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
    ) -> Template | Redirect:
        form = await request.form()
        values = {name: text(form, name, 2000, strip=True) for name in DETAILS}
        details = service.AgencyDetails(
            address=values["address"],
            hours_vi=values["hours_vi"],
            hours_en=values["hours_en"],
            phone=values["phone"] or None,
            tax_code=values["tax_code"],
            receipt_template=values["receipt_template"],
            receipt_symbol=values["receipt_symbol"],
        )
        try:
            await service.update_agency(principal, agency_code, details)
        except InvalidInput as error:
            return await _agency_page(
                request, principal, agency_code, errors=_errors(request, error), details=values
            )
        return _home(agency_code, "luu")

    @post("/{agency_code:str}/thu-tuc", name="agency-admin-add-procedure")
    async def add_procedure(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
    ) -> Template | Redirect:
        form = await request.form()
        code = text(form, "procedure_code", 32, strip=True)
        notes = {name: text(form, name, 4000, strip=True) for name in NOTES}
        try:
            if not code:
                raise InvalidInput(N_("Hãy chọn một thủ tục."), field="procedure_code")
            await service.save_provision(
                principal, agency_code, code, service.ProvisionWrite(**notes)
            )
        except AppError as error:
            if isinstance(error, Forbidden):
                raise
            return await _agency_page(
                request,
                principal,
                agency_code,
                status=error.status_code,
                errors=_errors(request, error),
                adding={"procedure_code": code, **notes},
            )
        return _home(agency_code, "them", code)

    @get("/{agency_code:str}/thu-tuc/{procedure_code:str}", name="agency-admin-procedure")
    async def procedure(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        procedure_code: ProcedureCodeParam,
    ) -> Template:
        item = await service.agency_procedure(principal, agency_code, procedure_code)
        values = {"note_vi": item.note_vi, "note_en": item.note_en}
        return await _procedure_page(request, principal, agency_code, item, values)

    @post("/{agency_code:str}/thu-tuc/{procedure_code:str}")
    async def save_procedure(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        procedure_code: ProcedureCodeParam,
    ) -> Template | Redirect:
        item = await service.agency_procedure(principal, agency_code, procedure_code)
        form = await request.form()
        values = {name: text(form, name, 4000, strip=True) for name in NOTES}
        try:
            await service.save_provision(
                principal, agency_code, procedure_code, service.ProvisionWrite(**values)
            )
        except InvalidInput as error:
            return await _procedure_page(
                request, principal, agency_code, item, values, _errors(request, error)
            )
        return _home(agency_code, "ghi-chu", procedure_code)

    @post("/{agency_code:str}/thu-tuc/{procedure_code:str}/xoa")
    async def remove_procedure(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        procedure_code: ProcedureCodeParam,
    ) -> Template | Redirect:
        try:
            await service.remove_provision(principal, agency_code, procedure_code)
        except AppError as error:
            if isinstance(error, Forbidden):
                raise
            return await _agency_page(
                request,
                principal,
                agency_code,
                status=error.status_code,
                errors=FormErrors([("error-summary", error.message(language(request)))]),
            )
        return _home(agency_code, "bo", procedure_code)

    # ---- counters

    @get("/{agency_code:str}/quay/moi", name="agency-admin-new-counter")
    async def new_counter(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
    ) -> Template:
        counters = await service.agency_counters(principal, agency_code)
        number = max((c.number for c in counters), default=0) + 1
        values = {"number": str(number), "name_vi": "", "name_en": ""}
        return await _counter_page(request, principal, agency_code, None, values, [])

    @post("/{agency_code:str}/quay/moi")
    async def add_counter(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
    ) -> Template | Redirect:
        values, chosen = await _counter_form(request)
        typed = values["number"]
        number = int(typed) if typed.isascii() and typed.isdigit() and len(typed) <= 6 else 0
        data = service.CounterCreate(
            number=number, name_vi=values["name_vi"], name_en=values["name_en"], procedures=chosen
        )
        try:
            await service.add_counter(principal, agency_code, data)
        except AppError as error:
            if isinstance(error, Forbidden):
                raise
            return await _counter_page(request, principal, agency_code, None, values, chosen, error)
        return _home(agency_code, "them-quay", number)

    @get("/{agency_code:str}/quay/{number:int}", name="agency-admin-counter")
    async def counter(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        number: CounterNumberParam,
    ) -> Template:
        counter = await service.agency_counter(principal, agency_code, number)
        values = {"number": str(number), "name_vi": counter.name_vi, "name_en": counter.name_en}
        chosen = [p.code for p in counter.procedures]
        return await _counter_page(request, principal, agency_code, number, values, chosen)

    @post("/{agency_code:str}/quay/{number:int}")
    async def save_counter(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        number: CounterNumberParam,
    ) -> Template | Redirect:
        await service.agency_counter(principal, agency_code, number)  # 403 / 404 first
        values, chosen = await _counter_form(request)
        values["number"] = str(number)
        data = service.CounterWrite(
            name_vi=values["name_vi"], name_en=values["name_en"], procedures=chosen
        )
        try:
            await service.save_counter(principal, agency_code, number, data)
        except InvalidInput as error:
            return await _counter_page(
                request, principal, agency_code, number, values, chosen, error
            )
        return _home(agency_code, "luu-quay", number)

    @post("/{agency_code:str}/quay/{number:int}/xoa")
    async def remove_counter(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        number: CounterNumberParam,
    ) -> Redirect:
        await service.remove_counter(principal, agency_code, number)
        return _home(agency_code, "xoa-quay", number)

    # ---- officials (the agency's own administrator only)

    @get("/{agency_code:str}/can-bo", name="agency-admin-officials")
    async def officials(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
    ) -> Template:
        return await _officials_page(request, principal, agency_code)

    @post("/{agency_code:str}/can-bo")
    async def create_official(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
    ) -> Template:
        await _own_officials(principal, agency_code)
        form = await request.form()
        values = {
            "full_name": text(form, "full_name", 200, strip=True),
            "role": text(form, "role", 20),
        }
        if values["role"] not in AGENCY_ROLES:
            error = InvalidInput(N_("Hãy chọn vai trò."), field="role")
            return await _officials_page(request, principal, agency_code, values, error=error)
        try:
            created = await accounts.create_staff(
                runtime_of(request),
                StaffCreate(full_name=values["full_name"], role=values["role"]),  # type: ignore[arg-type]
                actor=principal,
                address=client_of(request).address,
            )
        except InvalidInput as error:
            return await _officials_page(request, principal, agency_code, values, error=error)
        return await _officials_page(
            request, principal, agency_code, created=created.official, link=created.enrolment
        )

    @post("/{agency_code:str}/can-bo/{staff_id:int}")
    async def change_official(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        staff_id: Annotated[int, PathParameter(ge=1)],
    ) -> Template:
        await _own_officials(principal, agency_code)
        form = await request.form()
        action = text(form, "action", 20)
        runtime, client = runtime_of(request), client_of(request)
        try:
            if action == "link":
                link = await accounts.issue_staff_enrolment(runtime, principal, staff_id, client)
                official = next(o for o in await accounts.list_staff(principal) if o.id == staff_id)
                return await _officials_page(
                    request, principal, agency_code, created=official, link=link
                )
            if action == "role" and text(form, "role", 20) in AGENCY_ROLES:
                change = StaffUpdate(role=text(form, "role", 20))  # type: ignore[arg-type]
            elif action in ("disable", "enable"):
                change = StaffUpdate(disabled=action == "disable")
            else:
                raise InvalidInput(N_("Trang này đã cũ. Hãy tải lại trang rồi thử lại."))
            await accounts.update_staff(runtime, principal, staff_id, change, client)
        except AppError as error:
            if isinstance(error, Forbidden):
                raise
            return await _officials_page(request, principal, agency_code, error=error)
        return await _officials_page(request, principal, agency_code, changed=staff_id)


# ---- the pages, shown again with what was typed and what was wrong --------------------


async def _agency_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    agency_code: str,
    *,
    status: int | None = None,
    errors: FormErrors | None = None,
    details: dict[str, str] | None = None,
    adding: dict[str, str] | None = None,
    done: str = "",
    subject: str = "",
) -> Template:
    agency = await service.administered_agency(principal, agency_code)
    shown = errors or FormErrors()
    return _render(
        request,
        principal,
        "agency.html",
        status or (422 if shown else 200),
        errors=shown,
        agency=agency,
        unit=await service.find_unit(agency.unit_code),
        details=details
        or {
            "address": agency.address,
            "hours_vi": agency.hours_vi,
            "hours_en": agency.hours_en,
            "phone": agency.phone or "",
            "tax_code": agency.tax_code,
            "receipt_template": agency.receipt_template,
            "receipt_symbol": agency.receipt_symbol,
        },
        adding=adding or {"procedure_code": "", "note_vi": "", "note_en": ""},
        procedures=await service.agency_procedures(principal, agency_code),
        candidates=await service.procedures_to_add(principal, agency_code),
        counters=await service.agency_counters(principal, agency_code),
        officials_link=principal.role == "admin",
        done=done,
        subject=subject,
    )


async def _procedure_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    agency_code: str,
    item: service.AgencyProcedure,
    values: dict[str, str],
    errors: FormErrors | None = None,
) -> Template:
    shown = errors or FormErrors()
    return _render(
        request,
        principal,
        "provision.html",
        422 if shown else 200,
        errors=shown,
        agency=await service.administered_agency(principal, agency_code),
        item=item,
        values=values,
    )


async def _counter_form(request: Request[Any, Any, Any]) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    values = {name: text(form, name, 400, strip=True) for name in ("number", "name_vi", "name_en")}
    return values, texts(form, "procedures", limit=MAX_COUNTER_PROCEDURES + 1)


async def _counter_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    agency_code: str,
    number: int | None,
    values: dict[str, str],
    chosen: list[str],
    error: AppError | None = None,
) -> Template:
    carried = await service.receivable_procedures(principal, agency_code)
    known = {item["code"] for item in carried}
    return _render(
        request,
        principal,
        "counter.html",
        error.status_code if error else 200,
        errors=_errors(request, error) if error else FormErrors(),
        agency=await service.administered_agency(principal, agency_code),
        number=number,
        values=values,
        chosen=chosen,
        carried=carried,
        # Codes a counter lists that the agency no longer carries out (an older import):
        # shown so that the person can take them off.
        strays=[code for code in chosen if code not in known],
    )


async def _own_officials(principal: Principal, agency_code: str) -> None:
    """Officials are managed by their agency's own administrator only."""
    if principal.role != "admin" or principal.agency_code != agency_code:
        raise Forbidden(
            N_("Chỉ quản trị của cơ quan quản lý được cán bộ của cơ quan."), field="agency_code"
        )


async def _officials_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    agency_code: str,
    values: dict[str, str] | None = None,
    *,
    error: AppError | None = None,
    created: StaffRead | None = None,
    link: Any = None,
    changed: int | None = None,
) -> Template:
    await _own_officials(principal, agency_code)
    return _render(
        request,
        principal,
        "officials.html",
        error.status_code if error else 200,
        errors=_errors(request, error) if error else FormErrors(),
        agency=await service.administered_agency(principal, agency_code),
        officials=await accounts.list_staff(principal),
        values=values or {"full_name": "", "role": "reception"},
        roles=AGENCY_ROLES,
        role_labels=ROLE_LABELS,
        created=created,
        link=link,
        changed=changed,
    )
