"""The agency's side: the day's bookings per counter (arrivals and no-shows marked
with one button each; an arrival gives the person their queue ticket), one booking's
page (what the booking's QR code opens), and the administrator's opening hours and
closures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal, Role
from backend.appointments import service
from backend.appointments.pages.citizen import DESK_PATH, CodeParam, DayParam, DoneParam, day_of
from backend.appointments.runtime import runtime_of
from backend.appointments.schemas import ClosureIn, OpeningIn
from backend.catalogue import service as catalogue
from backend.errors import AppError, InvalidInput, NotFound
from backend.i18n import N_
from backend.web import console
from backend.web.console import Console, Section
from backend.web.forms import FormErrors, text
from backend.web.templates import language

HOURS_PATH = "/can-bo/gio-tiep-nhan"
SECTION = "appointments"
HOURS_SECTION = "appointments-hours"
DESK_ROLES: tuple[Role, ...] = ("reception", "processing", "leader", "admin")
WEEKDAYS = (
    N_("Thứ Hai"),
    N_("Thứ Ba"),
    N_("Thứ Tư"),
    N_("Thứ Năm"),
    N_("Thứ Sáu"),
    N_("Thứ Bảy"),
    N_("Chủ Nhật"),
)
SESSIONS_A_DAY = 2
DayPath = Annotated[str, PathParameter(max_length=10)]


def register(console: Console) -> None:
    console.add_section(Section(SECTION, N_("Lịch hẹn"), DESK_PATH, frozenset(DESK_ROLES)))
    console.add_section(
        Section(HOURS_SECTION, N_("Giờ tiếp nhận, ngày nghỉ"), HOURS_PATH, frozenset({"admin"}))
    )


def _agency(principal: Principal) -> str:
    if not principal.agency_code:
        raise NotFound(N_("Tài khoản này không thuộc cơ quan nào."))
    return principal.agency_code


async def _day_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    day: dt.date,
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    done: str = "",
) -> Template:
    agency = _agency(principal)
    bookings = await service.day_of(agency, day)
    counters = sorted({item.booking.counter_number for item in bookings})
    procedures = {
        code: await catalogue.get_procedure(code)
        for code in {item.booking.procedure_code for item in bookings}
    }
    return console.render(
        request,
        "appointments/desk.html",
        status,
        principal=principal,
        section=SECTION,
        day=day,
        today=runtime_of(request).today(),
        bookings=bookings,
        counters=counters,
        procedures=procedures,
        errors=errors or FormErrors(),
        done=done,
        step=dt.timedelta(days=1),
    )


class DeskPages(Controller):
    path = DESK_PATH
    include_in_schema = False
    guards = [require_staff(*DESK_ROLES)]

    @get("", name="appointments-desk")
    async def day(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        day: DayParam = "",
        done: DoneParam = "",
    ) -> Template:
        chosen = day_of(day) or runtime_of(request).today()
        return await _day_page(request, principal, chosen, done=done)

    @get("/{code:str}", name="appointments-desk-booking")
    async def booking(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> Redirect:
        """The booking's QR code: its day's list, the booking marked."""
        found = await service.desk_booking(_agency(principal), code)
        return Redirect(
            f"{DESK_PATH}?ngay={found.booking.day.isoformat()}#{found.booking.code}",
            status_code=303,
        )

    @post("/{code:str}/den")
    async def arrived(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> Template | Redirect:
        return await self._mark(request, principal, code, service.mark_arrived, "den")

    @post("/{code:str}/khong-den")
    async def no_show(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> Template | Redirect:
        return await self._mark(request, principal, code, service.mark_no_show, "vang")

    async def _mark(
        self,
        request: Request[Any, Any, Any],
        principal: Principal,
        code: str,
        mark: Any,
        done: str,
    ) -> Template | Redirect:
        agency = _agency(principal)
        found = await service.desk_booking(agency, code)
        try:
            await mark(agency, code, now=runtime_of(request).now())
        except NotFound:
            raise
        except AppError as error:
            errors = FormErrors.of_error(error, language(request), lambda _: found.booking.code)
            return await _day_page(
                request, principal, found.booking.day, status=error.status_code, errors=errors
            )
        day = found.booking.day.isoformat()
        return Redirect(f"{DESK_PATH}?ngay={day}&xong={done}#{code}", status_code=303)


# ---- Opening hours and closures (the agency's administrator) --------------------------


async def _hours_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    done: str = "",
    cancelled: int = 0,
) -> Template:
    agency = _agency(principal)
    week = await service.week_of(agency)
    if values is None:
        values = {}
        for weekday in range(7):
            sessions = [s for s in week if s.weekday == weekday]
            for index, session in enumerate(sessions[:SESSIONS_A_DAY]):
                values[f"d{weekday}s{index}"] = (
                    f"{service.clock(session.opens)}-{service.clock(session.closes)}"
                )
        first = week[0] if week else service.DEFAULT_WEEK[0]
        values["slot_minutes"] = str(first.slot_minutes)
        values["per_counter"] = str(first.per_counter)
    return console.render(
        request,
        "appointments/hours.html",
        status,
        principal=principal,
        section=HOURS_SECTION,
        weekdays=WEEKDAYS,
        sessions_a_day=SESSIONS_A_DAY,
        values=values,
        closures=await service.list_closures(agency, runtime_of(request).today()),
        errors=errors or FormErrors(),
        done=done,
        cancelled=cancelled,
        is_default=week == service.DEFAULT_WEEK,
    )


def _openings(values: dict[str, str]) -> list[OpeningIn]:
    """The week's form as openings: "07:30-11:30" in each box, one slot length and
    one number of places per counter for the agency."""
    openings = []
    for weekday in range(7):
        for index in range(SESSIONS_A_DAY):
            name = f"d{weekday}s{index}"
            value = values.get(name, "").replace(" ", "").replace("–", "-")
            if not value:
                continue
            opens, _, closes = value.partition("-")
            try:
                openings.append(
                    msgspec.convert(
                        {
                            "weekday": weekday,
                            "opens": opens.zfill(5),
                            "closes": closes.zfill(5),
                            "slot_minutes": values.get("slot_minutes", "30"),
                            "per_counter": values.get("per_counter", "2"),
                        },
                        OpeningIn,
                        strict=False,
                    )
                )
            except msgspec.ValidationError:
                raise InvalidInput(
                    N_(
                        "Hãy ghi giờ theo dạng 07:30-11:30; độ dài một lượt từ 10 đến 120 "
                        "phút, mỗi quầy nhận 1 đến 20 người một lượt."
                    ),
                    field=name,
                ) from None
    return openings


class HoursPages(Controller):
    path = HOURS_PATH
    include_in_schema = False
    guards = [require_staff("admin")]

    @get("", name="appointments-hours")
    async def show(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        done: DoneParam = "",
        cancelled: Annotated[int, QueryParameter(name="huy", ge=0, le=100_000)] = 0,
    ) -> Template:
        return await _hours_page(request, principal, done=done, cancelled=cancelled)

    @post("")
    async def save(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        form = await request.form()
        names = [f"d{d}s{i}" for d in range(7) for i in range(SESSIONS_A_DAY)]
        values = {name: text(form, name, 20, strip=True) for name in names}
        values |= {
            name: text(form, name, 4, strip=True) for name in ("slot_minutes", "per_counter")
        }
        try:
            await service.set_week(_agency(principal), _openings(values))
        except AppError as error:
            return await _hours_page(
                request,
                principal,
                status=error.status_code,
                errors=_hours_errors(request, error),
                values=values,
            )
        return Redirect(f"{HOURS_PATH}?xong=gio", status_code=303)

    @post("/ngay-nghi")
    async def close(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        form = await request.form()
        values = {
            "day": text(form, "day", 10, strip=True),
            "reason_vi": text(form, "reason_vi", 200, strip=True),
            "reason_en": text(form, "reason_en", 200, strip=True),
        }
        try:
            data = msgspec.convert(values, ClosureIn, strict=False)
        except msgspec.ValidationError:
            error: AppError = InvalidInput(N_("Hãy chọn ngày nghỉ."), field="day")
        else:
            try:
                _, cancelled = await service.close_day(
                    _agency(principal), data, now=runtime_of(request).now()
                )
            except AppError as refused:
                error = refused
            else:
                return Redirect(f"{HOURS_PATH}?xong=nghi&huy={cancelled}", status_code=303)
        return await _hours_page(
            request, principal, status=error.status_code, errors=_hours_errors(request, error)
        )

    @post("/ngay-nghi/{day:str}/xoa")
    async def reopen(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        day: DayPath,
    ) -> Redirect:
        chosen = day_of(day)
        if chosen is None:
            raise NotFound(N_("Không có ngày nghỉ này."))
        await service.remove_closure(_agency(principal), chosen)
        return Redirect(f"{HOURS_PATH}?xong=mo", status_code=303)


def _hours_errors(request: Request[Any, Any, Any], error: AppError) -> FormErrors:
    return FormErrors.of_error(
        error,
        language(request),
        lambda field: (
            "d0s0" if field and field.startswith("sessions") else field or "error-summary"
        ),
    )
