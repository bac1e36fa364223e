"""A ticket's own page (``/so-thu-tu/{public id}``): its number, its counter, the number
served now, how many are ahead and about how long. Without scripts it reloads itself
every 30 s; its script polls the ticket's JSON instead (``api.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import PathParameter
from litestar.response import Template

from backend.catalogue import service as catalogue
from backend.errors import NotFound
from backend.tickets import service
from backend.tickets.pages.common import show
from backend.tickets.runtime import runtime_of

PUBLIC_ID = PathParameter(max_length=32)
REFRESH_S = 30


class TicketPages(Controller):
    include_in_schema = False

    @get("/so-thu-tu/{public_id:str}", name="ticket-page")
    async def ticket(
        self, request: Request[Any, Any, Any], public_id: Annotated[str, PUBLIC_ID]
    ) -> Template:
        status = await service.status(public_id)
        runtime = runtime_of(request)
        counters = {c.number: c for c in await runtime.counters(status.agency_code)}
        counter = counters.get(status.counter_number)
        if counter is None:
            raise NotFound(service.NO_COUNTER, field="ticket")
        agency = await catalogue.get_agency(status.agency_code)
        return show(
            request,
            "tickets/ticket.html",
            status=status,
            counter=counter,
            previous=counters.get(status.transferred_from or 0),
            agency=agency,
            public_id=public_id,
            refresh=REFRESH_S,
            near=service.NEAR,
        )
