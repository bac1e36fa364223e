"""What the tickets' pages share: the device cookie (the limits per phone), the
address's rate limit, and rendering a page or a console page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Template

from backend.accounts.guards import client_of
from backend.accounts.guards import runtime_of as accounts_of
from backend.tickets.runtime import runtime_of
from backend.web import console, forms
from backend.web.device import keep_device as set_device_cookie
from backend.web.device import request_device

# Tickets taken from one client address: a centre's shared Wi-Fi is one address for
# every phone in the hall, so the limit is that of a busy morning, not of one person.
TAKE_FLOW = "ticket-take"
TAKES_PER_ADDRESS = 60
TAKE_WINDOW_S = 600
CONSOLE_PAGE = "/can-bo/hang-cho"


def device_of(request: Request[Any, Any, Any]) -> tuple[str, str | None]:
    """The phone's id from the app's device cookie (``backend.web.device``, the same
    one the counter ratings read), or a new one: (device, cookie value to set or None)."""
    return request_device(request, runtime_of(request).secret_key)


def keep_device(
    response: Response[Any], request: Request[Any, Any, Any], cookie: str | None
) -> None:
    if cookie is not None:
        set_device_cookie(response, cookie, secure=runtime_of(request).secure)


async def check_address(request: Request[Any, Any, Any]) -> None:
    """One take from the client's address (a trusted proxy's X-Forwarded-For only)."""
    await accounts_of(request).limiter.check(
        TAKE_FLOW, f"ip:{client_of(request).address}", TAKES_PER_ADDRESS, TAKE_WINDOW_S
    )


def show(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    errors: forms.FormErrors | None = None,
    **context: Any,
) -> Template:
    """A tickets page: never cached (it changes with the line)."""
    return forms.render(request, name, status_code, errors=errors or (), **context)


def show_console(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    principal: Any,
    errors: forms.FormErrors | None = None,
    **context: Any,
) -> Template:
    return console.render(
        request,
        name,
        status_code,
        principal=principal,
        section="queue",
        errors=errors or (),
        console_page=CONSOLE_PAGE,
        **context,
    )
