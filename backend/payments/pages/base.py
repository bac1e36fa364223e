"""What the payment pages share: how they render (personal data: never cached; the
names of the ways to pay and of the gateways' refusals at hand) and the address of
the pay step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.response import Template

from backend.payments.labels import failure_text, provider_label
from backend.web import forms


def show(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    errors: Iterable[tuple[str, str]] = (),
    **context: Any,
) -> Template:
    return forms.render(
        request,
        name,
        status_code,
        errors=errors,
        provider_label=provider_label,
        failure_text=failure_text,
        **context,
    )


def pay_url(dossier_ids: list[int]) -> str:
    """The pay step of one dossier, or of several chosen together."""
    if len(dossier_ids) == 1:
        return f"/ho-so/{dossier_ids[0]}/thanh-toan"
    return "/thanh-toan/chon?" + urlencode([("ho-so", i) for i in dossier_ids])
