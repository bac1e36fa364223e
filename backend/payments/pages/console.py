"""Cash taken at the counter and refunds, posted from the console's dossier page.
A refusal shows that page again (the dossiers domain draws it) with this domain's
block holding the errors and what was typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.accounts.guards import require_official
from backend.accounts.schemas import Principal
from backend.errors import AppError, NotFound
from backend.i18n import N_
from backend.payments import service
from backend.payments.pages.blocks import NAME
from backend.payments.runtime import runtime_of
from backend.payments.schemas import RefundIn
from backend.web.blocks import BlockState
from backend.web.console import CONSOLE_HOME, console_of
from backend.web.forms import FormErrors, convert, text
from backend.web.templates import language

REFUND_LABELS = {"amount": N_("Số tiền hoàn (đồng)"), "reason": N_("Lý do hoàn phí")}
_AMOUNT_SEPARATORS = re.compile(r"[\s.,₫]|đồng|đ|vnd", re.IGNORECASE)


def parse_amount(text: str) -> int | None:
    """An amount typed by an official: 115000, 115.000, 115 000 ₫."""
    digits = _AMOUNT_SEPARATORS.sub("", text)
    if not digits.isdigit() or len(digits) > 13:
        return None
    return int(digits)


def _cash_target(field: str | None) -> str:
    return "cash-confirm" if field == "confirm" else "form-cash"


def _refund_target(field: str | None) -> str:
    return f"refund-{field}" if field in {"amount", "reason"} else "form-refund"


async def _again(
    request: Request[Any, Any, Any],
    dossier_id: int,
    errors: FormErrors,
    values: Mapping[str, str],
    status_code: int,
) -> Template:
    state = BlockState(NAME, errors, values)
    return await console_of(request).page_again("dossier", request, dossier_id, state, status_code)


def _done(dossier_id: int, step: str) -> Redirect:
    return Redirect(f"{CONSOLE_HOME}/ho-so/{dossier_id}?xong={step}#thanh-toan", status_code=303)


class ConsolePaymentPages(Controller):
    """Cash at the counter and refunds, from the console's dossier page."""

    path = CONSOLE_HOME
    include_in_schema = False
    guards = [require_official]

    @post("/ho-so/{dossier_id:int}/thu-tien-mat", name="console-cash")
    async def cash(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        lang = language(request)
        if text(form, "confirm", 4) != "1":
            message = N_("Hãy đánh dấu “Tôi đã thu đủ” sau khi nhận đủ tiền.").render(lang)
            errors = FormErrors([("cash-confirm", message)])
            return await _again(request, dossier_id, errors, {}, 422)
        # The amount the official was shown, and took: refused if it changed since.
        expected = parse_amount(text(form, "amount", 20, strip=True))
        try:
            await service.record_cash(runtime_of(request), principal, dossier_id, lang, expected)
        except NotFound:
            raise
        except AppError as error:
            errors = FormErrors.of_error(error, lang, _cash_target)
            return await _again(request, dossier_id, errors, {}, error.status_code)
        return _done(dossier_id, "thu-tien")

    @post("/ho-so/{dossier_id:int}/hoan-phi", name="console-refund")
    async def refund(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        lang = language(request)
        values = {
            "amount": text(form, "amount", 40, strip=True),
            "reason": text(form, "reason", 600, strip=True),
        }
        # Typed as officials write amounts (115.000 ₫); what is not one is refused below.
        amount = parse_amount(values["amount"])
        try:
            data = convert(
                {**values, "amount": values["amount"] if amount is None else amount},
                RefundIn,
                REFUND_LABELS,
            )
            await service.refund(runtime_of(request), principal, dossier_id, data, lang)
        except NotFound:
            raise
        except AppError as error:
            errors = FormErrors.of_error(error, lang, _refund_target)
            return await _again(request, dossier_id, errors, values, error.status_code)
        return _done(dossier_id, "hoan-phi")
