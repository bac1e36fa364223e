"""The administrators' page of the working-day calendar: a year's days off and make-up
working days, one form to add or change a day, a button to remove one.

The province's catalogue administrators only (role "catalogue"). Plain HTML forms with
the CSRF token that work without JavaScript; "change" is a link that fills the form in.
Saving goes through the same service and rules as the API, which reports every field's
problem at once."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.errors import InvalidInput, NotFound
from backend.i18n import N_
from backend.web import forms
from backend.web.console import Console, Section
from backend.web.forms import FormErrors
from backend.web.templates import language
from backend.workdays import service
from backend.workdays.schemas import WorkdayRead

ADMIN_PAGE = "/quan-tri/ngay-nghi"
FIELDS = ("day", "kind", "name_vi", "name_en")
DAY = PathParameter(max_length=40)


def _page(
    request: Request[Any, Any, Any],
    year: int,
    rows: list[WorkdayRead],
    values: dict[str, str],
    errors: FormErrors | None = None,
    **context: Any,
) -> Template:
    return forms.render(
        request,
        "workdays/admin.html",
        forms.status_of(errors or ()),
        errors=errors or (),
        year=year,
        rows=rows,
        values=values,
        min_year=service.MIN_YEAR,
        max_year=service.MAX_YEAR,
        **context,
    )


def _lenient_day(text: str) -> dt.date | None:
    """A day from the query string or a refused form, or None: one that cannot be read
    there only means there is nothing to show for it."""
    try:
        return service.parse_day(text) if text else None
    except InvalidInput:
        return None


def _shown_year(text: str) -> int:
    """The year the page showed when the form was sent (a hidden field)."""
    if len(text) == 4 and text.isascii() and text.isdigit():
        return min(max(int(text), service.MIN_YEAR), service.MAX_YEAR)
    return service.current_year()


def register(console: Console) -> None:
    """The console's link to the calendar, for the province's catalogue administrators."""
    console.add_section(
        Section("workdays", N_("Lịch ngày nghỉ, ngày làm bù"), ADMIN_PAGE, frozenset({"catalogue"}))
    )


class WorkdayAdminPages(Controller):
    path = ADMIN_PAGE
    include_in_schema = False
    guards = [require_staff("catalogue")]

    @get("", name="workdays-admin")
    async def index(
        self,
        request: Request[Any, Any, Any],
        year: Annotated[
            int | None,
            QueryParameter(name="nam", ge=service.MIN_YEAR, le=service.MAX_YEAR),
        ] = None,
        done: Annotated[str, QueryParameter(name="xong", max_length=10)] = "",
        day_text: Annotated[str, QueryParameter(name="ngay", max_length=40)] = "",
    ) -> Template:
        day = _lenient_day(day_text)
        if year is None:
            year = day.year if day is not None else service.current_year()
        rows = await service.list_year(year)
        values = dict.fromkeys(FIELDS, "")
        if day is not None and not done:
            # "Change" links here: the form starts from what the day has.
            values["day"] = day.isoformat()
            for row in rows:
                if row.day == day:
                    values.update(kind=row.kind, name_vi=row.name_vi, name_en=row.name_en)
        return _page(request, year, rows, values, done=done, done_day=day)

    @post("", name="workdays-admin-save")
    async def save(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        form = await request.form()
        values = {name: forms.text(form, name, 400, strip=True) for name in FIELDS}
        try:
            saved = await service.set_day(
                principal.account_id,
                values["day"],
                values["kind"],
                values["name_vi"],
                values["name_en"],
            )
        except InvalidInput as error:
            # The year of the day typed, or else the year on screen.
            day = _lenient_day(values["day"])
            year = day.year if day is not None else _shown_year(forms.text(form, "nam", 4))
            errors = FormErrors.of_error(error, language(request), _target)
            return _page(request, year, await service.list_year(year), values, errors)
        day_iso = saved.day.isoformat()
        return Redirect(
            f"{ADMIN_PAGE}?nam={saved.day.year}&xong=luu&ngay={day_iso}", status_code=303
        )

    @post("/{day_text:str}/xoa", name="workdays-admin-remove")
    async def remove(
        self, day_text: Annotated[str, DAY], principal: NamedDependency[Principal]
    ) -> Redirect:
        day = service.parse_day(day_text)
        # Pressed twice, or removed meanwhile: the day is off the calendar either way.
        with contextlib.suppress(NotFound):
            await service.remove_day(day, principal_account_id=principal.account_id)
        return Redirect(
            f"{ADMIN_PAGE}?nam={day.year}&xong=xoa&ngay={day.isoformat()}", status_code=303
        )


def _target(field: str | None) -> str:
    """The input a problem is about (the kind's radio buttons are one fieldset)."""
    return field if field in FIELDS else "day"
