"""The agency's queues: a tab per queue with its count, search by code, name or
procedure, a page of 25 dossiers, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from backend.accounts.guards import require_official
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead
from backend.dossiers import service
from backend.dossiers.console.entry import ENTRY_ROLES
from backend.dossiers.console.page import agency_procedures, render
from backend.dossiers.schemas import Queue
from backend.errors import NotFound
from backend.web.console import CONSOLE_HOME

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


@dataclass(frozen=True, slots=True)
class Tab:
    queue: Queue
    slug: str
    count: int
    current: bool


class QueuePages(Controller):
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
        runtime = service.runtime_of(request)
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
            procedures=await agency_procedures(principal),
            can_enter=role in ENTRY_ROLES,
            done=done,
            code=code,
        )
