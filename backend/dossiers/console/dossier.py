"""The officials' page of one dossier: its facts against the appointment date, the
applicant and the answers, the applicant group declared for a fee exemption with its
evidence (beside the fees, checked at reception), the components with an inline
viewer (images as stored, PDF pages rendered to PNG), the history with its legal
forms, a form per step the official may take now, and the blocks other domains add
(``"dossier.console"``: the fees, cash at the counter and refunds)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, cast

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from backend.accounts import service as accounts
from backend.accounts.guards import current_principal, require_official
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead
from backend.dossiers import lifecycle, service
from backend.dossiers.console.page import render
from backend.dossiers.forms import FormKind
from backend.dossiers.pages.render import answer_text
from backend.dossiers.schemas import DossierRead, EventRead, FileRead
from backend.errors import AppError
from backend.i18n import Localized
from backend.vietnam import VIETNAM
from backend.web.blocks import BlockState, blocks_of
from backend.web.console import CONSOLE_HOME
from backend.web.forms import SUMMARY, FormErrors
from backend.web.templates import language
from backend.workdays import service as workdays

SLOT = "dossier.console"
# The legal form each step produces, with the event it documents (Circular 01/2018).
EVENT_FORMS: dict[str, FormKind] = {
    "receive": "01",
    "request_supplement": "02",
    "refuse": "03",
    "apologise": "04",
}
# The inputs of each step's form, by the field name the service gives in its problems.
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


@dataclass(slots=True)
class Posted:
    """What the official sent in a step's form, to show again in it after a refusal."""

    action: str = ""
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def value(self, action: str, name: str, default: str = "") -> str:
        return self.values.get(name, default) if action == self.action else default

    def chosen(self, action: str, name: str, value: object) -> bool:
        return action == self.action and str(value) in self.lists.get(name, [])


@dataclass(frozen=True, slots=True)
class Refusal:
    """A step the service refused: why, in which form (the action), what was sent."""

    error: AppError
    action: str
    posted: Posted = field(default_factory=Posted)
    # The input a problem naming no field points at (by default the step's form).
    default_input: str | None = None


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
    return [
        Answer(
            Localized(f.label_vi, f.label_en).render(lang),
            answer_text(f, dossier.form_data[f.name], lang),
        )
        for f in dossier.form_fields
        if f.name in dossier.form_data
    ]


def _paper_components(dossier: DossierRead) -> set[int]:
    """The components an official saw on paper at the counter (assisted entry: its
    first event, a reception, or a submission when a fee was due first)."""
    for event in dossier.events:
        received = event.details.get("components_received")
        if event.action in {"submit", "receive"} and isinstance(received, list):
            return {int(i) for i in received if isinstance(i, int)}
    return set()


def _paper_evidence(dossier: DossierRead) -> bool:
    """Whether the official who entered the dossier saw the group's evidence on paper."""
    return any(
        event.details.get("group_evidence_received") is True
        for event in dossier.events
        if event.action in {"submit", "receive"}
    )


def _form_link(dossier: DossierRead, event: EventRead) -> tuple[FormKind, str] | None:
    kind = EVENT_FORMS.get(event.action)
    if kind is None or dossier.code is None:
        return None
    base = f"/api/dossiers/{dossier.id}/forms/{kind}"
    return kind, base if kind == "01" else f"{base}?event={event.id}"


@dataclass(frozen=True, slots=True)
class Held:
    """The steps this official would take now but for a rule that holds them back,
    said beside the steps offered, so that a missing button is explained."""

    # Waiting for the fees due before them (receive, return_result).
    fees: tuple[lifecycle.Action, ...] = ()
    # A supplement was requested once already (Decree 61/2018: once per dossier).
    supplement: bool = False


def _held(principal: Principal, dossier: DossierRead) -> Held:
    role = principal.role
    if role not in lifecycle.ACTORS or principal.agency_code != dossier.agency_code:
        return Held()
    actor = cast(lifecycle.Actor, role)
    fees = tuple(
        a
        for a in lifecycle.actions_for(dossier.status, actor)
        if lifecycle.waits_for_fees(
            a,
            payment_stage=dossier.payment_stage,
            fee_total=dossier.fee_total,
            payment_status=dossier.payment_status,
        )
    )
    assigned = role != "processing" or dossier.assignee_id == principal.account_id
    supplement = (
        assigned
        and lifecycle.allowed(dossier.status, "request_supplement", actor)
        and "request_supplement" not in dossier.actions
        and any(e.action == "request_supplement" for e in dossier.events)
    )
    return Held(fees, supplement)


@dataclass(frozen=True, slots=True)
class Targets:
    """The agencies a dossier may be transferred to: those of the province's catalogue
    that carry out its procedure, but the one holding it; the communes' and wards'
    agencies by the name of their unit, then the province's departments."""

    communes: tuple[AgencyRead, ...] = ()
    departments: tuple[AgencyRead, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.communes or self.departments)


async def _targets(dossier: DossierRead) -> Targets:
    places = [
        place
        for place in await catalogue.places_for(dossier.procedure_code)
        if place.agency.code != dossier.agency_code
    ]
    # ``places_for`` sorts the departments first, and the rest by their unit's name.
    return Targets(
        communes=tuple(p.agency for p in places if p.agency.level != "province"),
        departments=tuple(p.agency for p in places if p.agency.level == "province"),
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


def _errors_of(refusal: Refusal, dossier: DossierRead, targets: Targets, lang: str) -> FormErrors:
    """The refusal's problems, each at the input of the step's form that it names (at
    the form when no input does; in the summary when the step is no longer offered:
    someone else moved the dossier on)."""
    # A transfer with nowhere to go has no form: the page says why instead.
    offered = refusal.action in dossier.actions and (refusal.action != "transfer" or bool(targets))
    inputs = ACTION_INPUTS.get(refusal.action, frozenset())

    def target(name: str | None) -> str:
        if not offered:
            return SUMMARY
        if name is None and refusal.default_input:
            return f"{refusal.action}-{refusal.default_input}"
        name = (name or "").split("[")[0]
        if name in inputs:
            return f"{refusal.action}-{name}"
        return f"form-{refusal.action}"

    return FormErrors.of_error(refusal.error, lang, target)


async def dossier_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    *,
    done: str = "",
    event_id: int | None = None,
    view: int | None = None,
    view_page: int = 1,
    refusal: Refusal | None = None,
    state: BlockState | None = None,
    status_code: int = 200,
) -> Template:
    runtime = service.runtime_of(request)
    dossier = await service.get_dossier(runtime, principal, dossier_id)
    calendar = await workdays.load()
    today = runtime.today()
    lang = language(request)
    agencies = {agency.code: agency for agency in await catalogue.list_agencies()}
    names = await accounts.names_of(
        {i for i in (dossier.entered_by, dossier.assignee_id) if i is not None}
    )
    officials = await service.officials(principal) if "assign" in dossier.actions else []
    targets = await _targets(dossier) if "transfer" in dossier.actions else Targets()
    errors = _errors_of(refusal, dossier, targets, lang) if refusal else FormErrors()
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
        targets=targets,
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
        signs_results=service.signs_results(runtime, dossier.agency_code),
        declared=service.group_of(dossier.applicant_group),
        evidence_files=[f for f in dossier.files if f.purpose == "evidence"],
        paper_evidence=_paper_evidence(dossier),
        viewer=_viewer(dossier, view, view_page),
        form_link=lambda event: _form_link(dossier, event),
        claim=await service.claim_state(principal, dossier),
        may_enter=principal.role in service.CLAIM_ROLES,
        done=done,
        done_event=next((e for e in dossier.events if e.id == event_id), None),
        proposal=next((e for e in reversed(dossier.events) if e.action == "propose"), None),
        held=_held(principal, dossier),
        supplement_once=lifecycle.SUPPLEMENT_ONCE,
        errors=errors,
        summary=errors or (state.errors if state else FormErrors()),
        posted=refusal.posted if refusal else Posted(),
        queue_slug=_queue_of(dossier),
        blocks=await blocks_of(request).draw(SLOT, request, dossier, state),
    )


async def again(
    request: Request[Any, Any, Any], dossier_id: int, state: BlockState, status_code: int
) -> Template:
    """The page once more, with a block's refused form (``Console.page_again``)."""
    principal = await current_principal(request)
    assert principal is not None  # the block's handler is guarded like this page
    return await dossier_page(request, principal, dossier_id, state=state, status_code=status_code)


class DossierConsolePages(Controller):
    path = CONSOLE_HOME
    include_in_schema = False
    guards = [require_official]

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
        return await dossier_page(
            request,
            principal,
            dossier_id,
            done=done,
            event_id=event_id,
            view=view,
            view_page=view_page,
        )
