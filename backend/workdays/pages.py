"""The administrators' page of the working-day calendar: a year's days off and make-up
working days, one form to add or change a day, a button to remove one.

Administrators only (``require_staff()`` lets no role but "admin" through). Plain HTML
forms with the CSRF token that work without JavaScript; "change" is a link that fills
the form in. Saving goes through the same service and rules as the API."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.errors import InvalidInput, NotFound
from backend.web.templates import page
from backend.workdays import service

ADMIN_PAGE = "/quan-tri/ngay-nghi"
FIELDS = ("day", "kind", "name_vi", "name_en")
DAY = PathParameter(max_length=40)


@dataclass(slots=True)
class DayForm:
    """What the person typed, as text, to show again after an error."""

    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))
    error: InvalidInput | None = None

    def failed(self, name: str) -> bool:
        return self.error is not None and (self.error.field or "day") == name


def _page(
    request: Request[Any, Any, Any], year: int, rows: list[Any], form: DayForm, **context: Any
) -> Template:
    template = page(
        request,
        "workdays/admin.html",
        422 if form.error else 200,
        year=year,
        rows=rows,
        form=form,
        min_year=service.MIN_YEAR,
        max_year=service.MAX_YEAR,
        **context,
    )
    template.headers["Cache-Control"] = "no-store"
    return template


def _lenient_day(text: str) -> dt.date | None:
    """A day from the query string, or None: a bad one there only means nothing to show."""
    try:
        return service.parse_day(text) if text else None
    except InvalidInput:
        return None


class WorkdayAdminPages(Controller):
    path = ADMIN_PAGE
    include_in_schema = False
    guards = [require_staff()]

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
        form = DayForm()
        if day is not None and not done:
            # "Change" links here: the form starts from what the day has.
            form.values["day"] = day.isoformat()
            for row in rows:
                if row.day == day:
                    form.values.update(kind=row.kind, name_vi=row.name_vi, name_en=row.name_en)
        return _page(request, year, rows, form, done=done, done_day=day)

    @post("", name="workdays-admin-save")
    async def save(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        submitted = await request.form()
        form = DayForm()
        for name in FIELDS:
            value = submitted.get(name, "")
            form.values[name] = value.strip()[:400] if isinstance(value, str) else ""
        # The year on screen, shown again if the day itself cannot be read.
        shown = submitted.get("nam", "")
        year = service.current_year()
        if isinstance(shown, str) and len(shown) == 4 and shown.isascii() and shown.isdigit():
            year = min(max(int(shown), service.MIN_YEAR), service.MAX_YEAR)
        try:
            day = service.parse_day(form.values["day"])
            year = day.year
            await service.set_day(
                principal.account_id,
                day,
                form.values["kind"],
                form.values["name_vi"],
                form.values["name_en"],
            )
        except InvalidInput as error:
            form.error = error
            return _page(request, year, await service.list_year(year), form)
        return Redirect(f"{ADMIN_PAGE}?nam={year}&xong=luu&ngay={day.isoformat()}", status_code=303)

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
