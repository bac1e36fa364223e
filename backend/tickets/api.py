"""The queue's JSON for the pages' scripts: a ticket's status and the hall's screen.

Both are polled (a phone every 5-15 s, the screen every 5 s), so each answer carries
an ETag of its body and a repeat asks with If-None-Match: an unchanged line costs a
304 with no body, a few hundred bytes on a slow network. Polling rather than
server-sent events: a request is over in milliseconds and holds no connection or
worker per waiting phone, it passes any proxy and captive portal unchanged, it needs
no shared channel between app processes, and a phone that sleeps or loses signal just
asks again when it wakes."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.params import PathParameter

from backend.errors import NotFound
from backend.i18n import N_
from backend.tickets import service
from backend.tickets.runtime import runtime_of
from backend.tickets.schemas import DisplayRead, TicketStatus

PublicId = Annotated[str, PathParameter(max_length=32)]
DisplayToken = Annotated[str, PathParameter(max_length=200)]
# Revalidated every time (no-cache), never kept by a shared cache (private).
CACHE_CONTROL = "private, no-cache"


def etagged(request: Request[Any, Any, Any], body: bytes) -> Response[bytes]:
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    asked = {
        tag.strip().removeprefix("W/")
        for tag in request.headers.get("if-none-match", "").split(",")
    }
    if etag in asked:
        return Response(b"", status_code=304, headers=headers, media_type="application/json")
    return Response(body, media_type="application/json", headers=headers)


class TicketApi(Controller):
    path = "/api/tickets"
    tags = ["tickets"]

    @get(
        "/{public_id:str}",
        operation_id="getTicketStatus",
        summary="A queue ticket's state, the number served at its counter, people ahead",
        description="Carries an ETag: If-None-Match gives 304 while nothing changed.",
        responses={200: ResponseSpec(TicketStatus, description="The ticket's status")},
    )
    async def ticket(self, request: Request[Any, Any, Any], public_id: PublicId) -> Response[bytes]:
        return etagged(request, msgspec.json.encode(await service.status(public_id)))

    @get(
        "/man-hinh/{token:str}",
        operation_id="getHallDisplay",
        summary="The hall's screen: the numbers being called and every counter's line",
        description="Carries an ETag: If-None-Match gives 304 while nothing changed.",
        responses={200: ResponseSpec(DisplayRead, description="The screen's content")},
    )
    async def display(
        self, request: Request[Any, Any, Any], token: DisplayToken
    ) -> Response[bytes]:
        runtime = runtime_of(request)
        agency = service.agency_of_display(runtime.secret_key, runtime.key_version, token)
        if agency is None:
            raise NotFound(N_("Không có màn hình nào có địa chỉ này."), field="token")
        counters = await runtime.counters(agency)
        screen = await service.display(agency, runtime.today(), counters)
        return etagged(request, msgspec.json.encode(screen))


TICKET_API: list[Any] = [TicketApi]
