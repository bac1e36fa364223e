"""The daily reconciliation on the officials' console (``/can-bo/doi-soat``): a plain
GET form for the day (or days), the totals per merchant account, and per agency and
account with their lines; and its CSV (``/can-bo/doi-soat.csv``), the same lines and
totals. Who sees which agency's money is the service's rule."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.errors import InvalidInput
from backend.i18n import N_
from backend.payments import service
from backend.payments.labels import provider_label
from backend.payments.runtime import runtime_of
from backend.web.console import CONSOLE_HOME, Console, Section
from backend.web.console import render as console_page
from backend.web.forms import FormErrors
from backend.web.templates import language

RECONCILIATION_PATH = f"{CONSOLE_HOME}/doi-soat"
SECTION = "reconciliation"
PRIVATE = "private, no-store"

DayParam = Annotated[str, QueryParameter(name="ngay", max_length=40)]
ToParam = Annotated[str, QueryParameter(name="den", max_length=40)]


def register(console: Console) -> None:
    """The console's link to the reconciliation, for those who take and refund fees."""
    console.add_section(
        Section(SECTION, N_("Đối soát thu phí"), RECONCILIATION_PATH, service.CASHIERS)
    )


def _query(report: service.Reconciliation) -> str:
    if report.start == report.end:
        return f"ngay={report.start.isoformat()}"
    return f"ngay={report.start.isoformat()}&den={report.end.isoformat()}"


class ReconciliationPages(Controller):
    path = RECONCILIATION_PATH
    include_in_schema = False
    guards = [require_staff("reception", "leader")]

    @get("", name="payments-reconciliation")
    async def page(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        day: DayParam = "",
        to: ToParam = "",
    ) -> Template:
        lang = language(request)
        report: service.Reconciliation | None = None
        errors = FormErrors()
        try:
            report = await service.reconciliation(runtime_of(request), principal, day, to)
        except InvalidInput as error:
            errors = FormErrors.of_error(error, lang)
        template = console_page(
            request,
            "payments/reconciliation.html",
            422 if errors else 200,
            principal=principal,
            section=SECTION,
            errors=errors,
            report=report,
            # What was typed stays in the boxes when it was wrong.
            form={"day": report.start.isoformat() if report else day, "to": to},
            csv_href=f"{RECONCILIATION_PATH}.csv?{_query(report)}" if report else "",
            agency_name=await service.agency_named(principal.agency_code or ""),
            provider_label=provider_label,
            reason_text=service.reason_text,
        )
        template.headers["Cache-Control"] = PRIVATE
        return template


class ReconciliationExport(Controller):
    path = RECONCILIATION_PATH + ".csv"
    include_in_schema = False
    guards = [require_staff("reception", "leader")]

    @get("", name="payments-reconciliation-csv")
    async def export(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        day: DayParam = "",
        to: ToParam = "",
    ) -> Response[bytes]:
        lang = language(request)
        try:
            report = await service.reconciliation(runtime_of(request), principal, day, to)
        except InvalidInput as error:
            return Response(
                "\n".join(message for _, message in FormErrors.of_error(error, lang)).encode(),
                status_code=422,
                media_type="text/plain; charset=utf-8",
                headers={"Cache-Control": PRIVATE},
            )
        scope = report.agency_code or "toan-tinh"
        days = report.start.isoformat()
        if report.end != report.start:
            days += f"-{report.end.isoformat()}"
        return Response(
            service.report_csv(report, lang),
            # Litestar adds the charset of a text type (UTF-8).
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="doi-soat-{scope}-{days}.csv"',
                "Cache-Control": PRIVATE,
            },
        )
