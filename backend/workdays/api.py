"""The administrators' API of the working-day calendar: list a year, mark a day, remove
a mark.

The province's catalogue administrators only (role "catalogue": the calendar is the
province's, not an agency's). The page of ``pages.py`` does the same through the same
service, for a browser. A day in the path is text, read by the service, so a date that
does not exist is a 422 in the reader's language like any other wrong value, not a bare
routing error; every field's problem comes at once."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.workdays import service
from backend.workdays.pages import WorkdayAdminPages
from backend.workdays.schemas import WorkdayRead, WorkdayWrite

DAY = PathParameter(max_length=40, description="The day, as 2026-04-27")
YEAR = QueryParameter(
    name="year",
    ge=service.MIN_YEAR,
    le=service.MAX_YEAR,
    description="The year; this year in Vietnam when left out",
)


class WorkdayAdminApi(Controller):
    path = "/api/admin/workdays"
    tags = ["working-day calendar"]
    guards = [require_staff("catalogue")]

    @get(
        "",
        operation_id="listWorkdays",
        summary="The days off and make-up working days of a year",
    )
    async def list_year(self, year: Annotated[int | None, YEAR] = None) -> list[WorkdayRead]:
        return await service.list_year(service.current_year() if year is None else year)

    @put(
        "/{day:str}",
        operation_id="saveWorkday",
        summary="Mark a day as a weekday off (holiday) or a weekend day worked (working)",
        status_code=HTTP_200_OK,
    )
    async def save(
        self,
        day: Annotated[str, DAY],
        data: JSONBody[WorkdayWrite],
        principal: NamedDependency[Principal],
    ) -> WorkdayRead:
        return await service.set_day(
            principal.account_id, day, data.kind, data.name_vi, data.name_en
        )

    @delete(
        "/{day:str}",
        operation_id="deleteWorkday",
        summary="Remove a day's mark: it follows the Monday-to-Friday rule again",
    )
    async def remove(self, day: Annotated[str, DAY], principal: NamedDependency[Principal]) -> None:
        await service.remove_day(service.parse_day(day), principal_account_id=principal.account_id)


WORKDAY_HANDLERS = (WorkdayAdminApi, WorkdayAdminPages)
