"""The hall's screen (``/man-hinh/{display token}``): the numbers being called, large,
the latest one highlighted, each counter's number and line, and today's entrance QR.
For a cheap TV browser: no script needed (it reloads itself every 5 s), no web font;
a small script, where modules run, updates it in place instead."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import PathParameter
from litestar.response import Template

from backend.catalogue import service as catalogue
from backend.documents import qr_svg
from backend.errors import NotFound
from backend.i18n import N_
from backend.tickets import service
from backend.tickets.pages.common import show
from backend.tickets.runtime import TicketsRuntime, runtime_of

TOKEN = PathParameter(max_length=200)
REFRESH_S = 5


@functools.lru_cache(maxsize=64)
def _qr(url: str) -> str:
    # One entrance QR a day and agency, drawn for every screen reload: kept once drawn.
    return qr_svg(url).decode()


def entrance_url(runtime: TicketsRuntime, agency_code: str) -> str:
    path = service.entrance_path(
        runtime.secret_key, runtime.key_version, agency_code, runtime.today()
    )
    return f"{runtime.public_url}{path}"


def entrance_qr(runtime: TicketsRuntime, agency_code: str) -> str:
    return _qr(entrance_url(runtime, agency_code))


class DisplayPages(Controller):
    include_in_schema = False

    @get("/man-hinh/{token:str}", name="ticket-display")
    async def display(
        self, request: Request[Any, Any, Any], token: Annotated[str, TOKEN]
    ) -> Template:
        runtime = runtime_of(request)
        agency_code = service.agency_of_display(runtime.secret_key, runtime.key_version, token)
        if agency_code is None:
            raise NotFound(N_("Không có màn hình nào có địa chỉ này."), field="token")
        counters = await runtime.counters(agency_code)
        return show(
            request,
            "tickets/display.html",
            agency=await catalogue.get_agency(agency_code),
            screen=await service.display(agency_code, runtime.today(), counters),
            qr=entrance_qr(runtime, agency_code),
            token=token,
            refresh=REFRESH_S,
        )
