"""Taking a ticket: the page a phone opens by scanning the entrance QR (``/lay-so/...``),
and its plain form. No sign-in needed; a signed-in person's ticket is also theirs."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import current_principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import CounterRead
from backend.errors import AppError, NotFound
from backend.tickets import service
from backend.tickets.pages.common import check_address, device_of, keep_device, show
from backend.tickets.runtime import runtime_of
from backend.web.blocks import blocks_of
from backend.web.errors import with_retry_after
from backend.web.forms import SUMMARY, FormErrors, text
from backend.web.templates import language
from backend.workdays import service as workdays

TOKEN = PathParameter(max_length=200)
OTHER = "khac"  # "việc khác": the agency's first counter
CHOICE = {"choice", "counter"}  # the fields whose problems point at the choice


def refused(request: Request[Any, Any, Any], error: AppError) -> Template:
    """An entrance QR that takes no ticket: forged or altered, or another day's."""
    return show(request, "tickets/refused.html", error.status_code, error=error)


async def _page(
    request: Request[Any, Any, Any],
    token: str,
    agency_code: str,
    device: str,
    *,
    chosen: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    today = runtime.today()
    agency = await catalogue.get_agency(agency_code)
    counters = await runtime.counters(agency_code)
    principal = await current_principal(request)
    account = principal.account_id if principal and principal.kind != "staff" else None
    return show(
        request,
        "tickets/entrance.html",
        status_code,
        errors=errors,
        token=token,
        agency=agency,
        counters=counters,
        lines={
            line.counter_number: line for line in await service.lines(agency_code, today, counters)
        },
        mine=await service.held_by(agency_code, today, device, account),
        open_today=await workdays.is_working_day(today),
        chosen=chosen,
        other=OTHER,
        per_day=service.PER_CENTRE_DAY,
        ticket_page=service.TICKET_PAGE,
        blocks=await blocks_of(request).draw("tickets.entrance", request, agency_code),
    )


def _counter_chosen(counters: list[CounterRead], chosen: str) -> tuple[int | None, str | None]:
    """(counter, procedure) of the option picked: "<counter>:<procedure code>", or
    "khac" for the first counter; (None, None) for anything else."""
    if not counters:
        return None, None
    if chosen == OTHER:
        return counters[0].number, None
    number, _, code = chosen.partition(":")
    for counter in counters:
        if str(counter.number) == number and any(p.code == code for p in counter.procedures):
            return counter.number, code
    return None, None


class EntrancePages(Controller):
    include_in_schema = False

    @get("/lay-so/{token:str}", name="ticket-entrance")
    async def entrance(
        self, request: Request[Any, Any, Any], token: Annotated[str, TOKEN]
    ) -> Template:
        runtime = runtime_of(request)
        try:
            agency_code = service.agency_of_entrance(
                runtime.secret_key, runtime.key_version, token, runtime.today()
            )
        except AppError as error:
            return refused(request, error)
        device, cookie = device_of(request)
        response = await _page(request, token, agency_code, device)
        keep_device(response, request, cookie)
        return response

    @post("/lay-so/{token:str}", name="ticket-take")
    async def take(
        self, request: Request[Any, Any, Any], token: Annotated[str, TOKEN]
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        try:
            agency_code = service.agency_of_entrance(
                runtime.secret_key, runtime.key_version, token, runtime.today()
            )
        except AppError as error:
            return refused(request, error)
        form = await request.form()
        chosen = text(form, "choice", 64, strip=True)
        device, cookie = device_of(request)
        principal = await current_principal(request)
        account = principal.account_id if principal and principal.kind != "staff" else None
        try:
            await check_address(request)
            counters = await runtime.counters(agency_code)
            if not counters:
                raise service.NoCounter(service.NO_COUNTER, field="choice")
            number, procedure = _counter_chosen(counters, chosen)
            if number is None:
                raise NotFound(service.CHOOSE, field="choice")
            ticket = await service.issue(
                agency_code=agency_code,
                counter_number=number,
                now=runtime.now(),
                account_id=account,
                device=device,
                procedure_code=procedure,
            )
        except AppError as error:
            errors = FormErrors.of_error(
                error, language(request), lambda field: "choice" if field in CHOICE else SUMMARY
            )
            page = await _page(
                request,
                token,
                agency_code,
                device,
                chosen=chosen,
                errors=errors,
                status_code=422 if isinstance(error, NotFound) else error.status_code,
            )
            response: Template | Redirect = with_retry_after(page, error)
        else:
            response = Redirect(service.ticket_path(ticket), status_code=303)
        keep_device(response, request, cookie)
        return response
