"""The officials' console: the agency's queues, one dossier with its files, answers,
history and the steps the official may take now, and counter entry for walk-in citizens.

Reception, processing and leader officials only (administrators have no dossier
access): anyone else gets a 403 page, and nobody signed in goes to the sign-in page.
Plain HTML forms that work without JavaScript (a small script adds the PDF viewer's
page turning without reloading and a confirmation before irreversible steps). Each
step carries the dossier's version, so a step taken on a page someone else has since
changed is refused with the reason. Every rule lives in the service: this module only
turns forms into Structs, and errors into pages that name the input at fault."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts import service as accounts
from backend.accounts.guards import Principal, SignInRequired, current_principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead, ProcedureRead, ProcedureSummary
from backend.dossiers import forms, lifecycle, service
from backend.dossiers.api import UPLOAD_BODY_LIMIT, UploadForm, read_upload
from backend.dossiers.runtime import runtime_of
from backend.dossiers.schemas import (
    ActionIn,
    AssistedCreate,
    DossierRead,
    EventRead,
    FileRead,
    Queue,
)
from backend.errors import AppError, InvalidInput, NotFound
from backend.vietnam import VIETNAM
from backend.web.templates import language, page
from backend.workdays import service as workdays

CONSOLE_HOME = "/can-bo"
PAGE_SIZE = 25
# The queues in the order of the tabs, by the name they have in addresses.
QUEUE_SLUGS: dict[str, Queue] = {
    "moi-nop": "new",
    "cho-bo-sung": "supplement",
    "dang-xu-ly": "processing",
    "sap-den-han": "due_soon",
    "qua-han": "overdue",
    "cho-tra": "ready",
    "da-xong": "done",
}
SLUG_OF: dict[Queue, str] = {queue: slug for slug, queue in QUEUE_SLUGS.items()}
DEFAULT_QUEUE: dict[str, Queue] = {
    "reception": "new",
    "processing": "processing",
    "leader": "processing",
}
# Who may enter a walk-in citizen's dossier (the service's rule, shown as a link).
ENTRY_ROLES = frozenset({"reception", "leader"})
# Steps a page form may ask for (the citizen's own steps are not offered here).
CONSOLE_ACTIONS: frozenset[str] = frozenset(lifecycle.ACTIONS) - {
    "submit",
    "supplement",
    "withdraw",
}
# The legal form each step produces, with the event it documents (Circular 01/2018).
EVENT_FORMS: dict[str, forms.FormKind] = {
    "receive": "01",
    "request_supplement": "02",
    "refuse": "03",
    "apologise": "04",
}
# The inputs of each action's form, by the field name the service gives in its errors.
ACTION_INPUTS: dict[str, frozenset[str]] = {
    "receive": frozenset({"note"}),
    "request_supplement": frozenset({"items", "note"}),
    "refuse": frozenset({"reasons", "note"}),
    "assign": frozenset({"assignee_id", "note"}),
    "transfer": frozenset({"target_agency", "note"}),
    "propose": frozenset({"note"}),
    "send_back": frozenset({"note"}),
    "decide": frozenset({"note"}),
    "attach_result": frozenset({"file", "note"}),
    "return_result": frozenset({"note"}),
    "apologise": frozenset({"new_due_date", "note"}),
}
_T = TypeVar("_T")
MAX_ITEMS = 30
MAX_REASONS = 20

# What each input is called on the page, in both languages: errors made here name it.
LABELS: dict[str, tuple[str, str]] = {
    "action": ("Thao tác", "Action"),
    "version": ("Phiên bản hồ sơ", "Dossier version"),
    "note": ("Ghi chú", "Note"),
    "items": ("Nội dung cần bổ sung", "What is missing"),
    "reasons": ("Lý do từ chối", "Reasons for refusing"),
    "assignee_id": ("Cán bộ xử lý", "Processing official"),
    "target_agency": ("Cơ quan nhận hồ sơ", "Receiving agency"),
    "decision": ("Quyết định", "Decision"),
    "new_due_date": ("Ngày hẹn trả mới", "New return date"),
    "file": ("Tệp văn bản kết quả", "Result document"),
    "procedure_code": ("Thủ tục", "Procedure"),
    "channel": ("Hình thức nộp", "How it was submitted"),
    "applicant_name": ("Họ và tên người nộp", "Applicant's full name"),
    "applicant_phone": ("Số điện thoại", "Phone number"),
    "applicant_id_number": ("Số căn cước công dân", "Citizen ID number"),
    "applicant_address": ("Địa chỉ", "Address"),
    "form_data": ("Thông tin khai", "Form answers"),
    "components_received": ("Giấy tờ đã nhận", "Documents received"),
}


def _label(name: str, lang: str) -> str:
    vi, en = LABELS.get(name, LABELS["form_data"])
    return vi if lang == "vi" else en


# --------------------------------------------------------------------------- guards


async def require_official(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Reception, processing and leader officials of an agency; not administrators."""
    principal = await current_principal(connection)
    if principal is None:
        raise SignInRequired()
    if (
        principal.kind != "staff"
        or principal.role not in service.STAFF_ACTORS
        or not principal.agency_code
    ):
        raise PermissionDeniedException()


async def require_entry(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Officials who may enter a walk-in citizen's dossier."""
    await require_official(connection, _)
    principal = await current_principal(connection)
    if principal is None or principal.role not in ENTRY_ROLES:
        raise PermissionDeniedException()


# -------------------------------------------------------------------------- helpers


def day(value: dt.date | str | None) -> str:
    """A date as people in Vietnam write it: 23/11/2026."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y") if value else ""


def status_text(status: str, lang: str) -> str:
    return lifecycle.status_label(status, lang)


def action_text(action: str, lang: str) -> str:
    return lifecycle.action_label(action, lang)


def form_title(kind: forms.FormKind, lang: str) -> str:
    vi, en = forms.FORM_TITLES[kind]
    return vi if lang == "vi" else en


def render(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """A console page: personal data, never cached (not even by the service worker)."""
    template = page(
        request,
        name,
        status_code,
        day=day,
        status_text=status_text,
        action_text=action_text,
        form_title=form_title,
        console_home=CONSOLE_HOME,
        **context,
    )
    template.headers["Cache-Control"] = "no-store"
    return template


@dataclass(frozen=True, slots=True)
class Problem:
    """An error to show: ``target`` is the id of the input (or section) at fault."""

    error: AppError
    target: str | None
    action: str | None = None

    def message(self, lang: str) -> str:
        return self.error.message(lang)

    def for_input(self, target: str) -> bool:
        return self.target == target


@dataclass(slots=True)
class Posted:
    """What the person sent, to show again in the form it came from after an error."""

    action: str = ""
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def value(self, action: str, name: str, default: str = "") -> str:
        return self.values.get(name, default) if action == self.action else default

    def chosen(self, action: str, name: str, value: object) -> bool:
        return action == self.action and str(value) in self.lists.get(name, [])


def _text(form: Any, name: str, limit: int = 4000) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def _texts(form: Any, name: str) -> list[str]:
    return [value.strip() for value in form.getall(name, []) if isinstance(value, str)][:100]


def _invalid_from(error: msgspec.ValidationError) -> InvalidInput:
    """A Struct's refusal (a length, a type), naming the input as the page calls it."""
    match = re.search(r"\$\.([a-z_]+)", str(error))
    name = match.group(1) if match else None
    vi = f"“{_label(name, 'vi')}” không hợp lệ (quá dài, hoặc sai dạng)." if name else ""
    en = f"“{_label(name, 'en')}” is not valid (too long, or the wrong kind)." if name else ""
    return InvalidInput(vi or "Dữ liệu không hợp lệ.", en or "Invalid data.", field=name)


def _convert(data: dict[str, Any], kind: type[_T]) -> _T:
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as error:
        raise _invalid_from(error) from None


# --------------------------------------------------------------------------- queues


@dataclass(frozen=True, slots=True)
class Tab:
    queue: Queue
    slug: str
    count: int
    current: bool


async def _index(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    slug: str,
    q: str,
    procedure: str,
    page_number: int,
    done: str = "",
    code: str = "",
) -> Template:
    runtime = runtime_of(request)
    role = principal.role or ""
    queue = QUEUE_SLUGS.get(slug) or DEFAULT_QUEUE.get(role, "new")
    results = await service.queue(
        runtime,
        principal,
        queue,
        search=q,
        procedure_code=procedure,
        page=page_number,
        page_size=PAGE_SIZE,
    )
    counts = await service.queue_counts(runtime, principal)
    counts["done"] = (await service.queue(runtime, principal, "done", page_size=1)).total
    tabs = [
        Tab(queue=name, slug=tab_slug, count=counts.get(name, 0), current=name == queue)
        for tab_slug, name in QUEUE_SLUGS.items()
    ]
    procedures = await _agency_procedures(principal)
    try:
        agency: AgencyRead | None = await catalogue.get_agency(principal.agency_code or "")
    except NotFound:
        agency = None  # an agency code the catalogue no longer lists
    return render(
        request,
        "console/index.html",
        principal=principal,
        agency=agency,
        tabs=tabs,
        queue=queue,
        slug=SLUG_OF[queue],
        results=results,
        pages=max(1, (results.total + PAGE_SIZE - 1) // PAGE_SIZE),
        q=q,
        procedure=procedure,
        procedures=procedures,
        can_enter=role in ENTRY_ROLES,
        done=done,
        code=code,
    )


async def _agency_procedures(principal: Principal) -> list[ProcedureSummary]:
    page_of = await catalogue.list_procedures(agency=principal.agency_code, page_size=1000)
    return sorted(page_of.items, key=lambda p: p.code)


# -------------------------------------------------------------------------- dossier


@dataclass(frozen=True, slots=True)
class Timing:
    """Where the dossier stands against its appointment date."""

    kind: Literal[
        "none",
        "provisional",
        "waiting",
        "paused",
        "left",
        "today",
        "late",
        "on_time",
        "finished_late",
    ]
    days: int = 0


def _timing(dossier: DossierRead, calendar: workdays.WorkCalendar, today: dt.date) -> Timing:
    due = dossier.due_date
    if due is None or dossier.status in {"refused", "withdrawn", "draft"}:
        return Timing("none")
    if dossier.status == "submitted":
        return Timing("provisional")
    if dossier.paused_at is not None:
        return Timing("paused")
    if dossier.status == "supplement_requested":
        return Timing("waiting")  # asked before reception: the clock has not started
    if dossier.result_ready_at is not None:
        ready = dossier.result_ready_at.astimezone(VIETNAM).date()
        if ready <= due:
            return Timing("on_time")
        return Timing("finished_late", calendar.working_days_between(due, ready))
    if today > due:
        return Timing("late", max(1, calendar.working_days_between(due, today)))
    if today == due:
        return Timing("today")
    return Timing("left", calendar.working_days_between(today, due))


@dataclass(frozen=True, slots=True)
class Viewer:
    """The attachment shown in the page's viewer: an image, or one page of a PDF."""

    file: FileRead
    page: int

    @property
    def pdf(self) -> bool:
        return self.file.media_type == "application/pdf"


def _viewer(dossier: DossierRead, file_id: int | None, page_number: int) -> Viewer | None:
    chosen = next((f for f in dossier.files if f.id == file_id), None)
    if chosen is None:
        return None
    return Viewer(chosen, min(max(1, page_number), max(1, chosen.pages)))


@dataclass(frozen=True, slots=True)
class Answer:
    label: str
    value: str


def _answers(dossier: DossierRead, lang: str) -> list[Answer]:
    out = []
    for field_def in dossier.form_fields:
        value = dossier.form_data.get(field_def.name)
        if value is None:
            continue
        if field_def.type == "choice":
            option = next((o for o in field_def.options if o.value == value), None)
            if option is not None:
                value = option.label_vi if lang == "vi" else option.label_en
        elif field_def.type == "date":
            value = day(value)
        out.append(Answer(field_def.label_vi if lang == "vi" else field_def.label_en, value))
    return out


def _paper_components(dossier: DossierRead) -> set[int]:
    """The components an official saw on paper at the counter (assisted entry)."""
    for event in dossier.events:
        received = event.details.get("components_received")
        if event.action == "receive" and isinstance(received, list):
            return {int(i) for i in received if isinstance(i, int)}
    return set()


def _form_link(dossier: DossierRead, event: EventRead) -> tuple[forms.FormKind, str] | None:
    kind = EVENT_FORMS.get(event.action)
    if kind is None or dossier.code is None:
        return None
    base = f"/api/dossiers/{dossier.id}/forms/{kind}"
    return kind, base if kind == "01" else f"{base}?event={event.id}"


async def _dossier_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    *,
    done: str = "",
    event_id: int | None = None,
    view: int | None = None,
    view_page: int = 1,
    problem: Problem | None = None,
    posted: Posted | None = None,
    status_code: int = 200,
    payment_problem: Problem | None = None,
    payment_posted: dict[str, str] | None = None,
) -> Template:
    # Here, not at the top: the payments service imports the dossiers service.
    from backend.payments import pages as payment_pages

    runtime = runtime_of(request)
    dossier = await service.get_dossier(runtime, principal, dossier_id)
    calendar = await workdays.load()
    today = runtime.today()
    lang = language(request)
    agencies = {agency.code: agency for agency in await catalogue.list_agencies()}
    names = await accounts.names_of(
        {i for i in (dossier.entered_by, dossier.assignee_id) if i is not None}
    )
    officials = await service.officials(principal) if "assign" in dossier.actions else []
    if problem is not None and problem.action not in dossier.actions:
        # The step is no longer offered (someone else moved the dossier on): no input
        # of its form to point at.
        problem = Problem(problem.error, None, problem.action)
    done_event = next((e for e in dossier.events if e.id == event_id), None)
    proposal = next((e for e in reversed(dossier.events) if e.action == "propose"), None)
    return render(
        request,
        "console/dossier.html",
        status_code,
        principal=principal,
        dossier=dossier,
        timing=_timing(dossier, calendar, today),
        today=today,
        agencies=agencies,
        entered_by=names.get(dossier.entered_by or 0, ""),
        assignee=names.get(dossier.assignee_id or 0, ""),
        officials=officials,
        answers=_answers(dossier, lang),
        paper=_paper_components(dossier),
        component_files={
            c.id: [f for f in dossier.files if f.purpose == "component" and f.component_id == c.id]
            for c in dossier.components
        },
        loose_files=[
            f
            for f in dossier.files
            if f.purpose == "component" and f.component_id not in {c.id for c in dossier.components}
        ],
        result_files=[f for f in dossier.files if f.purpose == "result"],
        viewer=_viewer(dossier, view, view_page),
        form_link=lambda event: _form_link(dossier, event),
        done=done,
        done_event=done_event,
        proposal=proposal,
        problem=problem,
        posted=posted or Posted(),
        queue_slug=_queue_of(dossier),
        payment=await payment_pages.console_block(
            request, principal, dossier, payment_problem, payment_posted
        ),
    )


def _queue_of(dossier: DossierRead) -> str:
    """The tab a dossier is listed under, for the link back."""
    status = dossier.status
    if status == "submitted":
        return "moi-nop"
    if status == "supplement_requested":
        return "cho-bo-sung"
    if status == "result_ready":
        return "cho-tra"
    if status in lifecycle.FINAL:
        return "da-xong"
    return "dang-xu-ly"


def _target(error: AppError, action: str) -> str:
    name = (error.field or "").split("[")[0]
    if name in ACTION_INPUTS.get(action, frozenset()):
        return f"{action}-{name}"
    return f"form-{action}"


def _action_in(form: Any, dossier: DossierRead) -> ActionIn:
    """The step a form asks for. Supplement items are labelled from the dossier (the
    names the citizen saw), so Form 02 lists what is missing in words."""
    action = _text(form, "action", 40)
    if action not in CONSOLE_ACTIONS:
        raise InvalidInput("Thao tác không hợp lệ.", "Unknown action.", field="action")
    version_text = _text(form, "version", 12)
    data: dict[str, Any] = {
        "action": action,
        "version": int(version_text) if version_text.isdigit() else -1,
        "note": _text(form, "note", 2000),
    }
    if action == "request_supplement":
        components = {str(c.id): c for c in dossier.components}
        fields = {f.name: f for f in dossier.form_fields}
        items: list[dict[str, Any]] = []
        for value in _texts(form, "items_component"):
            if value in components:
                items.append({"label": components[value].name_vi, "component_id": int(value)})
        for value in _texts(form, "items_field"):
            if value in fields:
                items.append({"label": fields[value].label_vi, "field": value})
        for line in _text(form, "items_other").splitlines():
            if line.strip():
                items.append({"label": line.strip()[:300]})
        if len(items) > MAX_ITEMS:
            raise InvalidInput(
                f"Một phiếu yêu cầu bổ sung liệt kê tối đa {MAX_ITEMS} nội dung.",
                f"A supplement request lists at most {MAX_ITEMS} items.",
                field="items",
            )
        data["items"] = items
    elif action == "refuse":
        reasons = [line.strip()[:500] for line in _text(form, "reasons").splitlines()]
        reasons = [reason for reason in reasons if reason]
        if len(reasons) > MAX_REASONS:
            raise InvalidInput(
                f"Hãy ghi tối đa {MAX_REASONS} lý do.",
                f"Give at most {MAX_REASONS} reasons.",
                field="reasons",
            )
        data["reasons"] = reasons
    elif action == "assign":
        chosen = _text(form, "assignee_id", 12)
        data["assignee_id"] = int(chosen) if chosen.isdigit() else None
    elif action == "transfer":
        data["target_agency"] = _text(form, "target_agency", 32) or None
    elif action in {"propose", "decide"}:
        decision = _text(form, "decision", 10)
        data["decision"] = decision if decision in {"approve", "reject"} else None
    elif action == "apologise":
        data["new_due_date"] = _date(_text(form, "new_due_date", 20))
    return _convert(data, ActionIn)


def _date(text: str) -> str | None:
    """A date from a date input (2026-12-01) or typed by hand (01/12/2026)."""
    if not text:
        return None
    try:
        if "/" in text:
            day_part, month, year = (int(part) for part in text.split("/"))
            return dt.date(year, month, day_part).isoformat()
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidInput(
            "Ngày hẹn trả mới phải là một ngày, ví dụ 25/12/2026.",
            "The new return date must be a date, for example 25/12/2026.",
            field="new_due_date",
        ) from None


def _posted(form: Any, action: str) -> Posted:
    names = ("note", "reasons", "items_other", "assignee_id", "target_agency", "new_due_date")
    return Posted(
        action=action,
        values={name: _text(form, name) for name in names},
        lists={name: _texts(form, name) for name in ("items_component", "items_field")},
    )


# ---------------------------------------------------------------------------- entry


@dataclass(slots=True)
class EntryForm:
    values: dict[str, str] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)


def _entry_target(error: AppError) -> str | None:
    name = error.field
    if name is None:
        return None
    if name.startswith("form_data."):
        return "f-" + name.removeprefix("form_data.")
    return name


async def _entry_procedure(principal: Principal, code: str) -> ProcedureRead:
    """A procedure of the official's agency, or an error naming the choice."""
    try:
        procedure = await catalogue.get_procedure(code)
    except NotFound:
        procedure = None
    if procedure is None or procedure.agency_code != principal.agency_code:
        raise InvalidInput(
            "Hãy chọn một thủ tục của cơ quan bạn.",
            "Choose a procedure of your agency.",
            field="procedure_code",
        )
    return procedure


async def _entry_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    procedure: ProcedureRead | None,
    form: EntryForm | None = None,
    problem: Problem | None = None,
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "console/entry.html",
        status_code,
        principal=principal,
        procedures=await _agency_procedures(principal),
        procedure=procedure,
        form=form or EntryForm(values={"channel": "counter"}),
        problem=problem,
    )


ENTRY_NAMES = (
    "channel",
    "applicant_name",
    "applicant_phone",
    "applicant_id_number",
    "applicant_address",
)


def _entry_form(form: Any, procedure: ProcedureRead) -> EntryForm:
    """What the official typed, as text, to show again after an error."""
    values = {name: _text(form, name, 2000) for name in ENTRY_NAMES}
    for field_def in procedure.form_fields:
        values[f"f-{field_def.name}"] = _text(form, f"f-{field_def.name}", 2000)
    known = {str(c.id) for c in procedure.components}
    received = [value for value in _texts(form, "components_received") if value in known]
    return EntryForm(values=values, received=received)


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
    }
    return _convert(data, AssistedCreate)


# ------------------------------------------------------------------------ controller


class ConsolePages(Controller):
    path = CONSOLE_HOME
    include_in_schema = False
    guards = [require_official]

    @get("", name="console")
    async def index(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        slug: Annotated[str, QueryParameter(name="hang", max_length=20)] = "",
        q: Annotated[str, QueryParameter(name="q", max_length=100)] = "",
        procedure: Annotated[str, QueryParameter(name="thu-tuc", max_length=32)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
        code: Annotated[str, QueryParameter(name="ma", max_length=48)] = "",
    ) -> Template:
        return await _index(
            request,
            principal,
            slug=slug,
            q=q,
            procedure=procedure,
            page_number=page_number,
            done=done,
            code=code,
        )

    @get("/ho-so/{dossier_id:int}", name="console-dossier")
    async def dossier(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=24)] = "",
        event_id: Annotated[int | None, QueryParameter(name="su-kien", ge=1)] = None,
        view: Annotated[int | None, QueryParameter(name="xem", ge=1)] = None,
        view_page: Annotated[int, QueryParameter(name="trang", ge=1, le=1000)] = 1,
    ) -> Template:
        return await _dossier_page(
            request,
            principal,
            dossier_id,
            done=done,
            event_id=event_id,
            view=view,
            view_page=view_page,
        )

    @post("/ho-so/{dossier_id:int}/thao-tac", name="console-action")
    async def act(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        form = await request.form()
        action = _text(form, "action", 40)
        try:
            dossier = await service.get_dossier(runtime, principal, dossier_id)
            data = _action_in(form, dossier)
            result = await service.act(runtime, principal, dossier_id, data)
        except NotFound:
            raise
        except AppError as error:
            return await _dossier_page(
                request,
                principal,
                dossier_id,
                problem=Problem(error, _target(error, action), action),
                posted=_posted(form, action),
                status_code=error.status_code,
            )
        event = result.events[-1]
        if action == "transfer":
            # The dossier now belongs to another agency: back to the queues.
            return Redirect(f"{CONSOLE_HOME}?xong=chuyen&ma={result.code or ''}", status_code=303)
        return Redirect(
            f"{CONSOLE_HOME}/ho-so/{dossier_id}?xong={action}&su-kien={event.id}#thong-bao",
            status_code=303,
        )

    @post(
        "/ho-so/{dossier_id:int}/ket-qua",
        name="console-result-upload",
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload_result(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        form = await request.form()
        upload = form.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInput(
                    "Hãy chọn tệp văn bản kết quả (PDF hoặc ảnh chụp).",
                    "Choose the result document (a PDF or a photo).",
                    field="file",
                )
            checked = await read_upload(request, UploadForm(file=upload))
            await service.add_file(runtime, principal, dossier_id, checked, component_id=None)
        except NotFound:
            raise
        except AppError as error:
            return await _result_problem(request, principal, dossier_id, error)
        return Redirect(
            f"{CONSOLE_HOME}/ho-so/{dossier_id}?xong=tai-len#form-attach_result",
            status_code=303,
        )

    @post("/ho-so/{dossier_id:int}/ket-qua/{file_id:int}/xoa", name="console-result-remove")
    async def remove_result(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        file_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            await service.remove_file(runtime_of(request), principal, dossier_id, file_id)
        except NotFound:
            raise
        except AppError as error:
            return await _result_problem(request, principal, dossier_id, error)
        return Redirect(
            f"{CONSOLE_HOME}/ho-so/{dossier_id}?xong=xoa-tep#form-attach_result",
            status_code=303,
        )

    @get("/nhap-ho-so", name="console-entry", guards=[require_entry])
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
                problem=Problem(error, "procedure_code"),
                status_code=error.status_code,
            )
        return await _entry_page(request, principal, procedure=procedure)

    @post("/nhap-ho-so", name="console-entry-save", guards=[require_entry])
    async def enter(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        form = await request.form()
        try:
            procedure = await _entry_procedure(principal, _text(form, "procedure_code", 32))
        except AppError as error:
            return await _entry_page(
                request,
                principal,
                procedure=None,
                problem=Problem(error, "procedure_code"),
                status_code=error.status_code,
            )
        entry = _entry_form(form, procedure)
        try:
            dossier = await service.create_assisted(
                runtime_of(request), principal, _assisted(entry, procedure)
            )
        except AppError as error:
            return await _entry_page(
                request,
                principal,
                procedure=procedure,
                form=entry,
                problem=Problem(error, _entry_target(error)),
                status_code=error.status_code,
            )
        return Redirect(f"{CONSOLE_HOME}/ho-so/{dossier.id}?xong=nhap", status_code=303)


async def _result_problem(
    request: Request[Any, Any, Any], principal: Principal, dossier_id: int, error: AppError
) -> Template:
    target = "attach_result-file" if error.field in {"file", None} else "form-attach_result"
    return await _dossier_page(
        request,
        principal,
        dossier_id,
        problem=Problem(error, target, "attach_result"),
        status_code=error.status_code,
    )


CONSOLE_PAGES = [ConsolePages]
