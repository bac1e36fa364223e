"""The officials' queue (``/can-bo/hang-cho``): pick the counter you serve, see its line,
call the next number, recall, served, skipped, send to another counter; the links to
the hall's screen and to today's printable entrance QR. Plain forms (CSRF by the app's
middleware); every rule is the service's."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import Principal, require_staff
from backend.catalogue import service as catalogue
from backend.errors import AppError, NotFound
from backend.tickets import service
from backend.tickets.pages.common import CONSOLE_PAGE, show_console
from backend.tickets.pages.display import entrance_qr, entrance_url
from backend.tickets.runtime import runtime_of
from backend.web.forms import SUMMARY, FormErrors, text
from backend.web.templates import language
from backend.workdays import service as workdays

guard = require_staff("reception", "processing", "leader", "admin")
# The outcome shown after a redirect: its name in the address.
DONE = {"goi", "goi-lai", "xong", "bo-qua", "chuyen", "trong"}
# The waiting line shown in full up to this many (each with its transfer form).
SHOWN = 30


async def _page(
    request: Request[Any, Any, Any],
    principal: Principal,
    counter_number: int | None,
    *,
    done: str = "",
    code: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    agency_code = service.agency_of(principal)
    today = runtime.today()
    counters = await catalogue.counters_of(agency_code)
    counter = None
    called: list[service.TicketRead] = []
    waiting: list[service.TicketRead] = []
    if counter_number is not None:
        counter = next((c for c in counters if c.number == counter_number), None)
        if counter is None:
            raise NotFound(service.NO_COUNTER, field="counter")
        called, waiting = await service.counter_tickets(agency_code, today, counter_number)
    return show_console(
        request,
        "tickets/console.html",
        status_code,
        principal=principal,
        errors=errors,
        agency=await catalogue.get_agency(agency_code),
        counters=counters,
        counter=counter,
        lines={
            line.counter_number: line for line in await service.lines(agency_code, today, counters)
        },
        called=called,
        waiting=waiting,
        shown=SHOWN,
        done=done if done in DONE else "",
        code=code[:12],
        open_today=await workdays.is_working_day(today),
        display_path=f"{service.DISPLAY_PAGE}/"
        + service.display_token(runtime.secret_key, runtime.key_version, agency_code),
    )


def _again(counter: int, done: str, code: str = "") -> Redirect:
    query = f"?quay={counter}&xong={done}" + (f"&so={code}" if code else "")
    return Redirect(f"{CONSOLE_PAGE}{query}#thong-bao", status_code=303)


class QueueConsolePages(Controller):
    path = CONSOLE_PAGE
    include_in_schema = False
    guards = [guard]

    @get("", name="console-queue")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        counter: Annotated[int | None, QueryParameter(name="quay", ge=1, le=9999)] = None,
        done: Annotated[str, QueryParameter(name="xong", max_length=12)] = "",
        code: Annotated[str, QueryParameter(name="so", max_length=12)] = "",
    ) -> Template:
        return await _page(request, principal, counter, done=done, code=code)

    @post("/quay/{number:int}/goi-tiep", name="console-queue-next")
    async def call_next(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        number: FromPath[int],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        try:
            ticket = await service.call_next(principal, number, runtime.now())
        except NotFound:
            raise
        except AppError as error:
            return await self._refused(request, principal, number, error)
        if ticket is None:
            return _again(number, "trong")
        return _again(number, "goi", ticket.code)

    @post("/ve/{ticket_id:int}/goi-lai", name="console-queue-recall")
    async def recall(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ticket_id: FromPath[int],
    ) -> Template | Redirect:
        return await self._act(request, principal, ticket_id, "goi-lai")

    @post("/ve/{ticket_id:int}/xong", name="console-queue-served")
    async def served(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ticket_id: FromPath[int],
    ) -> Template | Redirect:
        return await self._act(request, principal, ticket_id, "xong")

    @post("/ve/{ticket_id:int}/bo-qua", name="console-queue-skip")
    async def skip(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ticket_id: FromPath[int],
    ) -> Template | Redirect:
        return await self._act(request, principal, ticket_id, "bo-qua")

    @post("/ve/{ticket_id:int}/chuyen", name="console-queue-transfer")
    async def transfer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ticket_id: FromPath[int],
    ) -> Template | Redirect:
        return await self._act(request, principal, ticket_id, "chuyen")

    async def _act(
        self, request: Request[Any, Any, Any], principal: Principal, ticket_id: int, action: str
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        now = runtime.now()
        ticket = await service.own_ticket(principal, ticket_id, now)  # another's: 404
        try:
            if action == "goi-lai":
                done = await service.recall(principal, ticket_id, now)
            elif action == "chuyen":
                form = await request.form()
                target = text(form, "counter", 6, strip=True)
                done = await service.transfer(
                    principal, ticket_id, int(target) if target.isdigit() else 0, now
                )
            else:
                state = "served" if action == "xong" else "skipped"
                done = await service.finish(principal, ticket_id, state, now)
        except AppError as error:
            if isinstance(error, NotFound):
                raise
            return await self._refused(request, principal, ticket.counter_number, error)
        return _again(ticket.counter_number, action, done.code)

    async def _refused(
        self, request: Request[Any, Any, Any], principal: Principal, counter: int, error: AppError
    ) -> Template:
        errors = FormErrors.of_error(error, language(request), lambda _: SUMMARY)
        return await _page(
            request, principal, counter, errors=errors, status_code=error.status_code
        )

    @get("/ma-qr", name="console-queue-entrance")
    async def entrance(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        """Today's entrance QR on a printable sheet (it works today only)."""
        runtime = runtime_of(request)
        agency_code = service.agency_of(principal)
        return show_console(
            request,
            "tickets/entrance_print.html",
            principal=principal,
            agency=await catalogue.get_agency(agency_code),
            qr=entrance_qr(runtime, agency_code),
            url=entrance_url(runtime, agency_code),
            today=runtime.today(),
        )
