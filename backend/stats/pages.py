"""The dashboard pages: the leaders' (``/lanh-dao/thong-ke``, with its CSV export) and
the public one (``/thong-ke``, the province's figures).

A leader sees their own agency; an administrator chooses an agency or the whole
province. The period and the step come from a plain GET form that works without
JavaScript; ``service.choose`` decides what it asks for, or names every field that is
wrong. Charts are inline SVG drawn by ``charts``, each with a table of the same numbers
beside it; every formula is written on the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import QueryParameter
from litestar.response import Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead
from backend.errors import InvalidInput
from backend.i18n import N_, Localized, Translatable
from backend.stats import service
from backend.stats.formats import Format
from backend.stats.views import export_csv, indicator_value, on_time_chart, received_chart
from backend.web.blocks import Blocks
from backend.web.console import Console, Section
from backend.web.forms import FormErrors, render, status_of
from backend.web.templates import language, page

LEADERS_PATH = "/lanh-dao/thong-ke"
PUBLIC_PATH = "/thong-ke"
PUBLIC_MAX_AGE = 300
PRIVATE = "private, no-store"


def register(blocks: Blocks, console: Console) -> None:
    """The console's link to the dashboard, for leaders."""
    console.add_section(
        Section("stats", N_("Thống kê, chỉ số phục vụ"), LEADERS_PATH, frozenset({"leader"}))
    )


def _agency_name(agencies: list[AgencyRead], code: str | None) -> Translatable:
    if code is None:
        return N_("Toàn tỉnh")
    for agency in agencies:
        if agency.code == code:
            return Localized(agency.name_vi, agency.name_en)
    return Localized(code, code)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _today() -> dt.date:
    return service.vietnam_today(_now())


@dataclass(frozen=True)
class Asked:
    """A leader's request: the agencies to choose from, and what the form chose or
    why it cannot (``choice`` None, ``errors`` given)."""

    agencies: list[AgencyRead]
    choice: service.Choice | None
    errors: FormErrors


async def _asked(
    request: Request[Any, Any, Any], principal: Principal, query: service.PeriodQuery
) -> Asked:
    if principal.role != "admin" and not principal.agency_code:
        raise PermissionDeniedException()  # a leader of no agency sees nothing
    agencies = await catalogue.list_agencies()
    try:
        choice = service.choose(
            query,
            role=principal.role,
            own_agency=principal.agency_code,
            agencies={agency.code for agency in agencies},
            today=_today(),
        )
    except InvalidInput as error:
        return Asked(agencies, None, FormErrors.of_error(error, language(request)))
    return Asked(agencies, choice, FormErrors())


AgencyParam = Annotated[str, QueryParameter(name="co_quan", max_length=32)]
PeriodParam = Annotated[str, QueryParameter(name="ky", max_length=8)]
StartParam = Annotated[str, QueryParameter(name="tu", max_length=10)]
EndParam = Annotated[str, QueryParameter(name="den", max_length=10)]
StepParam = Annotated[str, QueryParameter(name="buoc", max_length=8)]


class LeaderPages(Controller):
    path = LEADERS_PATH
    include_in_schema = False
    guards = [require_staff("leader")]

    @get("", name="stats-leaders")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency: AgencyParam = "",
        period: PeriodParam = "30d",
        start: StartParam = "",
        end: EndParam = "",
        step: StepParam = "",
    ) -> Template:
        query = service.PeriodQuery(agency=agency, period=period, start=start, end=end, step=step)
        asked = await _asked(request, principal, query)
        choice = asked.choice
        admin = principal.role == "admin"
        shown = choice.agency if choice else None if admin else principal.agency_code
        fmt = Format(language(request))
        context: dict[str, Any] = {
            "choice": choice,
            # What was typed stays in the boxes when it was wrong.
            "form": query if choice is None else choice.as_query(),
            "agencies": asked.agencies if admin else [],
            "admin": admin,
            "agency_name": _agency_name(asked.agencies, shown),
            "fmt": fmt,
            "groups": service.GROUPS,
            "periods": service.PERIODS,
            "steps": service.STEPS,
            "csv_query": request.url.query,
            "indicator_value": indicator_value,
        }
        if choice is not None:
            figures = await service.figures(choice.agency, choice.start, choice.end, _now())
            series = await service.series(choice.agency, choice.start, choice.end, choice.step)
            context |= {
                "figures": figures,
                "charts": [received_chart(series, fmt), on_time_chart(series, fmt)],
            }
        template = render(
            request,
            "stats/leaders.html",
            status_of(asked.errors),
            errors=asked.errors,
            **context,
        )
        template.headers["Cache-Control"] = PRIVATE
        return template


class LeaderExport(Controller):
    path = LEADERS_PATH + ".csv"
    include_in_schema = False
    guards = [require_staff("leader")]

    @get("", name="stats-leaders-csv")
    async def export(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency: AgencyParam = "",
        period: PeriodParam = "30d",
        start: StartParam = "",
        end: EndParam = "",
        step: StepParam = "",
    ) -> Response[bytes]:
        query = service.PeriodQuery(agency=agency, period=period, start=start, end=end, step=step)
        asked = await _asked(request, principal, query)
        choice = asked.choice
        if choice is None:
            return Response(
                "\n".join(message for _, message in asked.errors).encode(),
                status_code=422,
                media_type="text/plain; charset=utf-8",
                headers={"Cache-Control": PRIVATE},
            )
        series = await service.series(choice.agency, choice.start, choice.end, choice.step)
        name = f"thong-ke-{choice.agency or 'toan-tinh'}-{choice.start}-{choice.end}.csv"
        return Response(
            export_csv(series, language(request)),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": PRIVATE,
            },
        )


class PublicStats(Controller):
    path = PUBLIC_PATH
    include_in_schema = False

    @get("", name="stats-public")
    async def public(self, request: Request[Any, Any, Any]) -> Template:
        fmt = Format(language(request))
        today = _today()
        month_start, _ = service.period_days("30d", today)
        year_start, _ = service.period_days("year", today)
        recent = await service.figures(None, month_start, today, _now())
        year = await service.figures(None, year_start, today, _now())
        series = await service.series(None, year_start, today, "month")
        template = page(
            request,
            "stats/public.html",
            recent=recent,
            year=year,
            fmt=fmt,
            groups=service.GROUPS,
            indicator_value=indicator_value,
            charts=[received_chart(series, fmt), on_time_chart(series, fmt)],
        )
        template.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        return template


STATS_PAGES: list[Any] = [LeaderPages, LeaderExport, PublicStats]
