"""The leaders' figures as JSON (``GET /api/stats``): the same subjects, scope and
periods as the dashboard's page (``service.choose``), its figures with every share
worked out, and its rows by unit and by agency.

Thin: the rules live in ``service``; what the page and this share in ``asking``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from backend.accounts.guards import Principal, require_staff
from backend.stats import asking, service
from backend.stats.schemas import Line, Overview

PRIVATE = "private, no-store"
Code = Annotated[str, QueryParameter(max_length=32)]


class StatsApi(Controller):
    path = "/api/stats"
    tags = ["stats"]
    guards = [require_staff("leader")]

    @get(
        "",
        operation_id="statsOverview",
        summary=(
            "Figures of the province, an administrative unit or an agency over a period,"
            " with their rows by unit and by agency"
        ),
    )
    async def overview(
        self,
        principal: NamedDependency[Principal],
        agency: Code = "",
        unit: Code = "",
        period: Annotated[str, QueryParameter(max_length=8)] = "30d",
        start: Annotated[str, QueryParameter(max_length=10)] = "",
        end: Annotated[str, QueryParameter(max_length=10)] = "",
    ) -> Response[Overview]:
        query = service.PeriodQuery(agency=agency, unit=unit, period=period, start=start, end=end)
        asked = await asking.ask(principal, query)
        if asked.error is not None:
            raise asked.error
        choice = asked.choice
        assert choice is not None
        subject = choice.subject
        figures = await service.figures(subject, choice.start, choice.end, asking.now())
        split = await service.breakdown(
            subject, asked.province, choice.start, choice.end, asking.now()
        )
        overview = Overview(
            subject=subject,
            start=choice.start,
            end=choice.end,
            total=Line.of_figures(figures),
            procedures_online=figures.procedures_online,
            units=split.units,
            agencies=split.agencies,
            refreshed_at=figures.refreshed_at,
        )
        return Response(overview, headers={"Cache-Control": PRIVATE})


STATS_API: list[Any] = [StatsApi]
