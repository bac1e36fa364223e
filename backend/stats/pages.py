"""The dashboard pages: the leaders' (``/lanh-dao/thong-ke``, with its CSV exports) and
the public one (``/thong-ke``, the province's figures).

A leader sees their own agency; the leaders of the province's service centre see the
province, with a table by commune or ward and one by agency, each row linking to its
own page, and may choose any unit or agency (``service.scope`` tells the rule; what is
outside one's scope is refused, 403). The subject, the period and the step come from
a plain GET form that works without JavaScript; ``service.choose`` decides what it asks
for, or names every field that is wrong. Charts are inline SVG drawn by ``charts``,
each with a table of the same numbers beside it; every formula is written on the page.
The CSV export gives the subject's figures a step at a time, or (``bang``) the rows of
one of its page's tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.errors import NotFound
from backend.i18n import N_
from backend.stats import asking, service
from backend.stats.formats import Format
from backend.stats.schemas import Line, Subject
from backend.stats.views import (
    export_csv,
    export_lines,
    indicator_value,
    on_time_chart,
    received_chart,
    subject_name,
)
from backend.web.blocks import Blocks, blocks_of
from backend.web.console import Console, Section
from backend.web.forms import FormErrors, render, status_of
from backend.web.templates import language, page

LEADERS_PATH = "/lanh-dao/thong-ke"
PUBLIC_PATH = "/thong-ke"
PUBLIC_MAX_AGE = 300
PRIVATE = "private, no-store"


# Where other domains draw their figures on the leaders' dashboard: the block gets (the
# subject, its first day, its last day).
DASHBOARD_SLOT = "stats.leaders"


def register(blocks: Blocks, console: Console) -> None:
    """The console's link to the dashboard, for leaders."""
    console.add_section(
        Section("stats", N_("Thống kê, chỉ số phục vụ"), LEADERS_PATH, frozenset({"leader"}))
    )


AgencyParam = Annotated[str, QueryParameter(name="co_quan", max_length=32)]
UnitParam = Annotated[str, QueryParameter(name="don_vi", max_length=32)]
TableParam = Annotated[str, QueryParameter(name="bang", max_length=8)]
PeriodParam = Annotated[str, QueryParameter(name="ky", max_length=8)]
StartParam = Annotated[str, QueryParameter(name="tu", max_length=10)]
EndParam = Annotated[str, QueryParameter(name="den", max_length=10)]
StepParam = Annotated[str, QueryParameter(name="buoc", max_length=8)]


def _query(choice: service.Choice, subject: Subject, table: str = "") -> str:
    """The query string of a subject's page (or CSV export) for the chosen days."""
    params: dict[str, str] = {}
    if subject.kind == "agency":
        params["co_quan"] = subject.code
    elif subject.kind == "unit":
        params["don_vi"] = subject.code
    params["ky"] = choice.period
    if choice.period == "custom":
        params |= {"tu": choice.start.isoformat(), "den": choice.end.isoformat()}
    params["buoc"] = choice.step
    if table:
        params["bang"] = table
    return urlencode(params)


def _linker(choice: service.Choice, province: service.Province) -> Callable[[Subject], str | None]:
    """A row's link to its own page: none for agencies the catalogue no longer has,
    nor for the row of those of no known unit."""

    def href(subject: Subject) -> str | None:
        known = (
            province.agency(subject.code) is not None
            if subject.kind == "agency"
            else bool(subject.code)
        )
        return f"{LEADERS_PATH}?{_query(choice, subject)}" if known else None

    return href


def _csv_linker(choice: service.Choice, subject: Subject) -> Callable[[str], str]:
    """The CSV export of the page: its steps (``table`` ""), or one of its tables."""

    def href(table: str = "") -> str:
        return f"{LEADERS_PATH}.csv?{_query(choice, subject, table)}"

    return href


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
        unit: UnitParam = "",
        period: PeriodParam = "30d",
        start: StartParam = "",
        end: EndParam = "",
        step: StepParam = "",
    ) -> Template:
        query = service.PeriodQuery(
            agency=agency, unit=unit, period=period, start=start, end=end, step=step
        )
        asked = await asking.ask(principal, query)
        choice = asked.choice
        province = asked.province
        lang = language(request)
        errors = FormErrors.of_error(asked.error, lang) if asked.error else FormErrors()
        fmt = Format(lang)
        context: dict[str, Any] = {
            "choice": choice,
            # What was typed stays in the boxes when it was wrong.
            "form": query if choice is None else choice.as_query(),
            "wide": service.sees_province(principal.agency_code),
            "province": province,
            "subject": choice.subject if choice else asked.own,
            "subject_name": subject_name,
            "fmt": fmt,
            "groups": service.GROUPS,
            "periods": service.PERIODS,
            "steps": service.STEPS,
            "indicator_value": indicator_value,
        }
        if choice is not None:
            subject = choice.subject
            figures = await service.figures(subject, choice.start, choice.end, asking.now())
            series = await service.series(subject, choice.start, choice.end, choice.step)
            split = await service.breakdown(
                subject, province, choice.start, choice.end, asking.now()
            )
            context |= {
                "figures": figures,
                "charts": [received_chart(series, fmt), on_time_chart(series, fmt)],
                "units": split.units,
                "agency_rows": split.agencies,
                "total": Line.of_figures(figures),
                "href": _linker(choice, province),
                "csv_href": _csv_linker(choice, subject),
                # Other domains' figures of the same agencies and days (the counters').
                "blocks": await blocks_of(request).draw(
                    DASHBOARD_SLOT, request, (subject, choice.start, choice.end)
                ),
            }
        template = render(
            request,
            "stats/leaders.html",
            status_of(errors),
            errors=errors,
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
        unit: UnitParam = "",
        period: PeriodParam = "30d",
        start: StartParam = "",
        end: EndParam = "",
        step: StepParam = "",
        table: TableParam = "",
    ) -> Response[bytes]:
        query = service.PeriodQuery(
            agency=agency, unit=unit, period=period, start=start, end=end, step=step
        )
        asked = await asking.ask(principal, query)
        choice = asked.choice
        lang = language(request)
        if choice is None:
            assert asked.error is not None
            errors = FormErrors.of_error(asked.error, lang)
            return Response(
                "\n".join(message for _, message in errors).encode(),
                status_code=422,
                media_type="text/plain; charset=utf-8",
                headers={"Cache-Control": PRIVATE},
            )
        subject = choice.subject
        if table and table not in asking.tables_of(subject):
            raise NotFound(N_("Trang này không có bảng số liệu đó."), field="table")
        if table:
            split = await service.breakdown(
                subject, asked.province, choice.start, choice.end, asking.now()
            )
            lines = split.units if table == asking.UNITS_TABLE else split.agencies
            body = export_lines(lines, choice.start, choice.end, lang)
        else:
            series = await service.series(subject, choice.start, choice.end, choice.step)
            body = export_csv(series, lang)
        named = {"province": "toan-tinh", "unit": f"don-vi-{subject.code}"}
        parts = [named.get(subject.kind, subject.code)]
        if table:
            parts.append("theo-" + table.replace("_", "-"))
        name = f"thong-ke-{'-'.join(parts)}-{choice.start}-{choice.end}.csv"
        return Response(
            body,
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
        today = asking.today()
        month_start, _ = service.period_days("30d", today)
        year_start, _ = service.period_days("year", today)
        recent = await service.figures(None, month_start, today, asking.now())
        year = await service.figures(None, year_start, today, asking.now())
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
