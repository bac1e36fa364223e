"""The console's refund queue (``/can-bo/hoan-tien``): money paid in excess that the
official's agency is to give back, each line with its form to refund it through the
gateway that took it or to record it given back by hand. A refusal shows the queue
again with that line's errors and what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.errors import AppError, NotFound
from backend.i18n import N_
from backend.payments import service
from backend.payments.labels import provider_label
from backend.payments.pages.blocks import REFUNDS_PAGE
from backend.payments.pages.console import parse_amount
from backend.payments.runtime import runtime_of
from backend.payments.schemas import ExcessRefundIn
from backend.web import console
from backend.web.console import Console, Section
from backend.web.forms import FormErrors, convert, text
from backend.web.templates import language

SECTION = "refunds"
LABELS = {"amount": N_("Số tiền hoàn (đồng)"), "reason": N_("Lý do hoàn tiền")}


async def _queue(
    request: Request[Any, Any, Any],
    principal: Principal,
    status_code: int = 200,
    *,
    line: int | None = None,
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
    done: bool = False,
) -> Template:
    queue = await service.refund_queue(runtime_of(request), principal)
    return console.render(
        request,
        "payments/refunds.html",
        status_code,
        principal=principal,
        section=SECTION,
        queue=queue,
        provider_label=provider_label,
        errors=errors or FormErrors(),
        line=line,
        values=values or {},
        done=done,
    )


def register(console: Console) -> None:
    """The console's link to the refund queue, for those who take and give back money."""
    console.add_section(Section(SECTION, N_("Hoàn tiền nộp thừa"), REFUNDS_PAGE, service.CASHIERS))


class RefundQueuePages(Controller):
    """The refund queue, for the cashiers (reception officials and leaders)."""

    path = REFUNDS_PAGE
    include_in_schema = False
    guards = [require_staff("reception", "leader")]

    @get("", name="console-refunds")
    async def index(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _queue(request, principal, done=request.query_params.get("xong") == "1")

    @post("/{capture_id:int}", name="console-refund-excess")
    async def refund(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        capture_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        lang = language(request)
        values = {
            "amount": text(form, "amount", 40, strip=True),
            "reason": text(form, "reason", 600, strip=True),
            "by_hand": "1" if text(form, "by_hand", 4) == "1" else "",
        }
        amount = parse_amount(values["amount"])
        try:
            data = convert(
                {
                    "amount": values["amount"] if amount is None else amount,
                    "reason": values["reason"],
                    "by_hand": bool(values["by_hand"]),
                },
                ExcessRefundIn,
                LABELS,
            )
            await service.refund_excess(runtime_of(request), principal, capture_id, data)
        except NotFound:
            raise
        except AppError as error:
            errors = FormErrors.of_error(
                error,
                lang,
                lambda field: (
                    f"{field}-{capture_id}"
                    if field in {"amount", "reason"}
                    else f"line-{capture_id}"
                ),
            )
            return await _queue(
                request,
                principal,
                error.status_code,
                line=capture_id,
                errors=errors,
                values=values,
            )
        return Redirect(f"{REFUNDS_PAGE}?xong=1", status_code=303)
