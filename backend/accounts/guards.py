"""Who is signed in, and what they may reach.

``current_principal`` reads the session cookie once a request (the answer is kept on
the connection's state); ``require_signed_in`` and ``require_staff`` are Litestar
guards; the ``principal`` dependency (registered in app.py) hands handlers the same
Principal or None.

A guard that finds nobody signed in raises ``SignInRequired``: a 401 under /api/, a
redirect to the sign-in page (with ``?next=``) for pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from backend.accounts import sessions
from backend.accounts.ratelimit import client_address
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import OFFICIAL_ROLES, Principal, Role
from backend.accounts.service import Client
from backend.web.errors import EXCEPTION_HANDLERS

__all__ = [
    "Principal",
    "SignInRequired",
    "client_of",
    "current_principal",
    "provide_principal",
    "require_citizen",
    "require_official",
    "require_signed_in",
    "require_staff",
    "runtime_of",
    "sign_in_redirect",
]

_STATE_KEY = "motcua_principal"
_MISSING = object()
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


class SignInRequired(NotAuthorizedException):
    """Nobody is signed in: pages send the person to the sign-in page."""


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AccountsRuntime:
    runtime: AccountsRuntime = connection.app.state["accounts"]
    return runtime


def client_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Client:
    runtime = runtime_of(connection)
    peer = connection.scope.get("client")
    return Client(
        address=client_address(
            peer[0] if peer else None,
            connection.headers.get("x-forwarded-for"),
            runtime.trusted_proxies,
        ),
        device=sessions.device_label(connection.headers.get("user-agent")),
    )


def session_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    token = connection.cookies.get(runtime_of(connection).cookie_name)
    return token if token and len(token) <= 100 else None


async def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The signed-in person, or None (no cookie, an unknown, expired or ended session,
    or a disabled account)."""
    state = connection.scope.setdefault("state", {})
    cached = state.get(_STATE_KEY, _MISSING)
    if cached is not _MISSING:
        return cached  # type: ignore[no-any-return]
    token = session_token(connection)
    principal = await sessions.resolve(runtime_of(connection), token) if token else None
    state[_STATE_KEY] = principal
    return principal


async def provide_principal(request: Request[Any, Any, Any]) -> Principal | None:
    return await current_principal(request)


async def _signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = await current_principal(connection)
    if principal is None:
        raise SignInRequired()
    return principal


async def require_signed_in(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    await _signed_in(connection)


async def require_citizen(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Residents and businesses (organisation members): not officials."""
    if (await _signed_in(connection)).kind != "citizen":
        raise PermissionDeniedException()


def require_staff(*roles: Role) -> Guard:
    """Officials with one of these roles, and no other: each endpoint names every role
    it admits (an agency's administrator is not the province's catalogue administrator,
    and neither does the counter's work)."""
    if not roles:
        raise ValueError("require_staff needs at least one role")
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await _signed_in(connection)
        if principal.kind != "staff" or principal.role not in allowed:
            raise PermissionDeniedException()

    return guard


async def require_official(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Reception, processing and leader officials of an agency (the console's work);
    not administrators."""
    principal = await _signed_in(connection)
    if (
        principal.kind != "staff"
        or principal.role not in OFFICIAL_ROLES
        or not principal.agency_code
    ):
        raise PermissionDeniedException()


def sign_in_redirect(request: Request[Any, Any, Any], error: SignInRequired) -> Response[Any]:
    """Exception handler: 401 JSON for the API, the sign-in page for everything else."""
    if request.url.path.startswith("/api/"):
        return EXCEPTION_HANDLERS[HTTPException](request, error)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/dang-nhap?next={quote(target, safe='/')}", status_code=303)
