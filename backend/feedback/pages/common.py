"""What every feedback page shares: the domain's words in the templates' context (the
scale, the criteria, the kinds and states of feedback), rendering a page or a console
page with them, and where a refusal's problems point on a form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead, CounterRead
from backend.errors import AppError
from backend.feedback.runtime import runtime_of
from backend.feedback.service import MAX_PHOTOS
from backend.feedback.service.labels import CATEGORIES, CRITERIA, SCALE, STATUSES
from backend.web import console, forms

FEEDBACK_CONSOLE = "/can-bo/phan-anh"
RATINGS_CONSOLE = "/can-bo/danh-gia"
# What every feedback template reads: the domain's words, and the console queue's address.
_CONTEXT: dict[str, Any] = {
    "scale": SCALE,
    "criteria": CRITERIA,
    "categories": CATEGORIES,
    "statuses": STATUSES,
    "max_photos": MAX_PHOTOS,
    "queue_url": FEEDBACK_CONSOLE,
}


def show(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    public: bool = False,
    errors: forms.FormErrors | None = None,
    **context: Any,
) -> Template:
    """A feedback page (never cached unless ``public``)."""
    return forms.render(
        request, name, status_code, public=public, errors=errors or (), **_CONTEXT, **context
    )


def show_console(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    principal: Any,
    section: str,
    errors: forms.FormErrors | None = None,
    **context: Any,
) -> Template:
    """A page of the officials' console, in the shell's navigation."""
    return console.render(
        request,
        name,
        status_code,
        principal=principal,
        section=section,
        errors=errors or (),
        **_CONTEXT,
        **context,
    )


def errors_of(error: AppError, lang: str, targets: Mapping[str, str]) -> forms.FormErrors:
    """A refusal's problems, each at its input (``targets``: field -> input id), the
    rest in the summary."""
    return forms.FormErrors.of_error(
        error, lang, lambda field: targets.get(field or "", forms.SUMMARY)
    )


async def counter_of(request: Request[Any, Any, Any], token: str) -> CounterRead:
    """The counter a QR token names; raises for a forged, altered or replaced one."""
    runtime = runtime_of(request)
    return await catalogue.counter_for_token(runtime.secret_key, runtime.counter_key_version, token)


async def agencies() -> dict[str, AgencyRead]:
    return {agency.code: agency for agency in await catalogue.list_agencies()}
