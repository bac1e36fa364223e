"""The appointments API (``/api/appointments``): the places and slots open for a
procedure (anyone), and a person's bookings: book, list, change, cancel. The pages do
the same through the same service, for a browser."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from backend.accounts.guards import Principal, require_citizen
from backend.appointments import service
from backend.appointments.pages.citizen import limit_address
from backend.appointments.runtime import runtime_of
from backend.appointments.schemas import AvailabilityRead, BookingIn, BookingRead, ChangeIn
from backend.errors import InvalidInput, NotFound
from backend.web.device import keep_device, request_device

CodeParam = Annotated[str, PathParameter(max_length=32)]


class AvailabilityApi(Controller):
    path = "/api/appointments/availability"
    tags = ["appointments"]

    @get(
        "",
        operation_id="getAppointmentAvailability",
        summary="Where a procedure takes bookings, the open days of a place, the slots of a day",
    )
    async def availability(
        self,
        request: Request[Any, Any, Any],
        procedure: Annotated[str, QueryParameter(max_length=32)],
        agency: Annotated[str, QueryParameter(max_length=32)] = "",
        day: Annotated[dt.date | None, QueryParameter()] = None,
    ) -> AvailabilityRead:
        try:
            return await service.availability(procedure, agency, day, now=runtime_of(request).now())
        except NotFound as unknown:
            # A query names it: an unknown procedure is a bad question, not a missing page.
            raise InvalidInput(unknown.text, field="procedure") from None


class AppointmentApi(Controller):
    path = "/api/appointments"
    tags = ["appointments"]
    guards = [require_citizen]

    @get("", operation_id="listAppointments", summary="My bookings, the latest first")
    async def mine(self, principal: NamedDependency[Principal]) -> list[BookingRead]:
        return await service.bookings_of(principal.account_id)

    @post(
        "",
        operation_id="bookAppointment",
        summary="Book a slot (one place of it, or 409 when it is full)",
        status_code=HTTP_201_CREATED,
    )
    async def book(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[BookingIn],
    ) -> Response[BookingRead]:
        runtime = runtime_of(request)
        await limit_address(request)
        device, cookie = request_device(request, runtime.secret_key)
        booking = await service.book(principal.account_id, device, data, now=runtime.now())
        response = Response(booking, status_code=HTTP_201_CREATED)
        if cookie:
            keep_device(response, cookie, secure=runtime.secure)
        return response

    @get("/{code:str}", operation_id="getAppointment", summary="One of my bookings")
    async def one(self, principal: NamedDependency[Principal], code: CodeParam) -> BookingRead:
        return await service.booking_of(principal.account_id, code)

    @post("/{code:str}/change", operation_id="changeAppointment", summary="Move to another slot")
    async def change(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
        data: JSONBody[ChangeIn],
    ) -> BookingRead:
        await limit_address(request)
        return await service.change(principal.account_id, code, data, now=runtime_of(request).now())

    @post("/{code:str}/cancel", operation_id="cancelAppointment", summary="Cancel; frees the place")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> BookingRead:
        await limit_address(request)
        return await service.cancel(principal.account_id, code, now=runtime_of(request).now())


APPOINTMENT_API = [AvailabilityApi, AppointmentApi]
