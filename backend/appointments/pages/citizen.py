"""A person's bookings: book a visit for a procedure (the place, the day, the time:
each choice a plain GET form, so it works without JavaScript), their bookings, one
booking's page with its QR code for the counter, changing and cancelling it, and
arriving at the entrance. Post, Redirect, Get; a refusal comes back on the same page
with what was chosen kept."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import Principal, client_of, require_citizen
from backend.accounts.guards import runtime_of as accounts_of
from backend.appointments import service
from backend.appointments.runtime import runtime_of
from backend.appointments.schemas import BookingIn, BookingRead, ChangeIn
from backend.catalogue import service as catalogue
from backend.documents import qr_svg
from backend.errors import AppError, InvalidInput
from backend.i18n import N_
from backend.tickets import service as tickets
from backend.web.device import keep_device, request_device
from backend.web.errors import with_retry_after
from backend.web.forms import FormErrors, render, text
from backend.web.templates import language

BOOK_PATH = "/dat-lich"
MINE_PATH = "/lich-hen"
DESK_PATH = "/can-bo/lich-hen"
# The rate-limit bucket of booking, changing and cancelling (per client address).
BUCKET = "appointments"
CodeParam = Annotated[str, PathParameter(max_length=32)]
AgencyParam = Annotated[str, QueryParameter(name="co_quan", max_length=32)]
DayParam = Annotated[str, QueryParameter(name="ngay", max_length=10)]
DoneParam = Annotated[str, QueryParameter(name="xong", max_length=8)]
LABELS = {
    "agency_code": N_("Nơi đến"),
    "day": N_("Ngày"),
    "time": N_("Giờ"),
    "entrance": N_("Mã QR ở cửa vào"),
}


async def limit_address(request: Request[Any, Any, Any]) -> None:
    """One booking, change or cancellation from the client's address (the accounts'
    per-address limit, shared by every app process through Redis when there is one)."""
    await accounts_of(request).limiter.check_address(BUCKET, client_of(request).address)


def day_of(value: str) -> dt.date | None:
    """A chosen day from the address (a bad one is no choice)."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _form(form: Any, *names: str) -> dict[str, str]:
    return {name: text(form, name, 40, strip=True) for name in names}


def _struct(values: dict[str, str], kind: type[Any]) -> Any:
    try:
        return msgspec.convert(values, kind, strict=False)
    except msgspec.ValidationError:
        field = next((name for name, value in values.items() if not value), "time")
        raise InvalidInput(
            N_("Hãy chọn “%(label)s”.", label=LABELS.get(field, N_("Giờ"))), field=field
        ) from None


def _errors(request: Request[Any, Any, Any], error: AppError) -> FormErrors:
    return FormErrors.of_error(error, language(request), lambda field: field or "error-summary")


async def _booking_page(
    request: Request[Any, Any, Any],
    procedure_code: str,
    agency: str,
    day: dt.date | None,
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    chosen: str = "",
) -> Template:
    procedure = await catalogue.get_procedure(procedure_code)
    available = await service.availability(
        procedure_code, agency, day, now=runtime_of(request).now()
    )
    return render(
        request,
        "appointments/book.html",
        status,
        procedure=procedure,
        available=available,
        errors=errors or FormErrors(),
        chosen=chosen,
    )


async def _mine_page(
    request: Request[Any, Any, Any],
    booking: BookingRead,
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    done: str = "",
    change_day: dt.date | None = None,
) -> Template:
    runtime = runtime_of(request)
    procedure = await catalogue.get_procedure(booking.procedure_code)
    agency = await catalogue.get_agency(booking.agency_code)
    changing = (
        await service.availability(
            booking.procedure_code, booking.agency_code, change_day, now=runtime.now()
        )
        if change_day is not None or (errors and booking.state == "booked")
        else None
    )
    qr = qr_svg(f"{runtime.public_url}{DESK_PATH}/{booking.code}", booking.code).decode()
    return render(
        request,
        "appointments/booking.html",
        status,
        booking=booking,
        procedure=procedure,
        agency=agency,
        qr=qr,
        done=done,
        errors=errors or FormErrors(),
        changing=changing,
        upcoming=booking.state == "booked",
    )


async def _refused(
    request: Request[Any, Any, Any],
    principal: Principal,
    code: str,
    error: AppError,
    change_day: dt.date | None = None,
) -> Template:
    """The booking's page again with what was refused (someone else's booking: 404)."""
    booking = await service.booking_of(principal.account_id, code)
    page = await _mine_page(
        request,
        booking,
        status=error.status_code,
        errors=_errors(request, error),
        change_day=change_day,
    )
    return with_retry_after(page, error)


class BookingPages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    @get(BOOK_PATH + "/{procedure_code:str}", name="appointment-book")
    async def choose(
        self,
        request: Request[Any, Any, Any],
        procedure_code: CodeParam,
        agency: AgencyParam = "",
        day: DayParam = "",
    ) -> Template:
        return await _booking_page(request, procedure_code, agency, day_of(day))

    @post(BOOK_PATH + "/{procedure_code:str}")
    async def book(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        procedure_code: CodeParam,
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        values = _form(await request.form(), "agency_code", "day", "time")
        device, cookie = request_device(request, runtime.secret_key)
        try:
            await limit_address(request)
            data = _struct({**values, "procedure_code": procedure_code}, BookingIn)
            booking = await service.book(principal.account_id, device, data, now=runtime.now())
        except AppError as error:
            page = await _booking_page(
                request,
                procedure_code,
                values["agency_code"],
                day_of(values["day"]),
                status=error.status_code,
                errors=_errors(request, error),
                chosen=values["time"],
            )
            response: Template | Redirect = with_retry_after(page, error)
        else:
            response = Redirect(f"{MINE_PATH}/{booking.code}?xong=1", status_code=303)
        if cookie:
            keep_device(response, cookie, secure=runtime.secure)
        return response

    @get(MINE_PATH, name="appointments-mine")
    async def mine(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        bookings = await service.bookings_of(principal.account_id)
        names = {
            code: await catalogue.get_procedure(code)
            for code in {booking.procedure_code for booking in bookings}
        }
        agencies = {
            code: await catalogue.get_agency(code)
            for code in {booking.agency_code for booking in bookings}
        }
        today = runtime_of(request).today()
        return render(
            request,
            "appointments/mine.html",
            bookings=bookings,
            procedures=names,
            agencies=agencies,
            today=today,
        )

    @get(MINE_PATH + "/{code:str}", name="appointment")
    async def one(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
        done: DoneParam = "",
        day: DayParam = "",
    ) -> Template:
        booking = await service.booking_of(principal.account_id, code)
        return await _mine_page(request, booking, done=done, change_day=day_of(day))

    @post(MINE_PATH + "/{code:str}/huy")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        try:
            await limit_address(request)
            await service.cancel(principal.account_id, code, now=runtime.now())
        except AppError as error:
            return await _refused(request, principal, code, error)
        return Redirect(f"{MINE_PATH}/{code}?xong=huy", status_code=303)

    @post(MINE_PATH + "/{code:str}/doi")
    async def change(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        values = _form(await request.form(), "day", "time")
        try:
            await limit_address(request)
            data = _struct(values, ChangeIn)
            await service.change(principal.account_id, code, data, now=runtime.now())
        except AppError as error:
            return await _refused(request, principal, code, error, day_of(values["day"]))
        return Redirect(f"{MINE_PATH}/{code}?xong=doi", status_code=303)

    @post(MINE_PATH + "/{code:str}/den-noi")
    async def arrive(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> Template | Redirect:
        """Arrived: the entrance's QR code of today names the centre."""
        runtime = runtime_of(request)
        entrance = text(await request.form(), "entrance", 200, strip=True)
        try:
            agency = tickets.agency_of_entrance(
                runtime.secret_key, runtime.ticket_key_version, entrance, runtime.today()
            )
            booking = await service.check_in(principal.account_id, code, agency, now=runtime.now())
        except AppError as error:
            return await _refused(request, principal, code, error)
        return Redirect(booking.ticket_path, status_code=303)
