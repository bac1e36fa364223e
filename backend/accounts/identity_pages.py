"""Signing in with the identity provider (VNeID): plain forms and redirects, so they
work without JavaScript. A button posts here (the CSRF token as on every form); the
browser goes to the provider with the flow's state also in a short HttpOnly cookie,
and comes back to the callback, which signs the person in and sends them on."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from backend.accounts import service
from backend.accounts.api import set_session_cookie
from backend.accounts.guards import client_of, runtime_of
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import Principal
from backend.accounts.service.identity import IDENTITY_TTL, Intent
from backend.web import forms
from backend.web.paths import local_path
from backend.web.templates import language

IDENTITY_COOKIE = "motcua_identity"
SECURE_IDENTITY_COOKIE = "__Host-motcua_identity"  # https: no Domain, Path=/, Secure
Query = Annotated[str, QueryParameter(max_length=2000)]


def _cookie_name(runtime: AccountsRuntime) -> str:
    return SECURE_IDENTITY_COOKIE if runtime.secure_cookies else IDENTITY_COOKIE


class IdentityPages(Controller):
    include_in_schema = False

    @post("/dang-nhap/dinh-danh")
    async def start(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal | None]
    ) -> Response[Any]:
        """ "Đăng nhập bằng VNeID" (signed out) or "Liên kết VNeID" (signed in)."""
        form = await request.form()
        intent: Intent = "link" if principal is not None else "sign_in"
        return await _start(
            request, intent, next_path=forms.text(form, "next", 2000), principal=principal
        )

    @post("/kich-hoat/{token:str}/dinh-danh")
    async def enrol(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        """An official's enrolment link, completed with the identity provider."""
        return await _start(request, "enrol", next_path="/can-bo", enrolment_token=token)

    @get(service.CALLBACK_PATH)
    async def callback(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        oauth_state: Annotated[str, QueryParameter(name="state", max_length=2000)] = "",
        code: Query = "",
        error: Query = "",
    ) -> Response[Any]:
        runtime = runtime_of(request)
        cookie = _cookie_name(runtime)
        try:
            done = await service.finish_identity(
                runtime,
                client_of(request),
                state=oauth_state,
                cookie_state=request.cookies.get(cookie),
                code=code,
                error=error,
                principal=principal,
                old_session=request.cookies.get(runtime.cookie_name),
            )
        except service.IdentityFailed as failure:
            page: Response[Any] = forms.render(
                request,
                "accounts/identity_failed.html",
                failure.status_code,
                message=failure.message(language(request)),
                provider=service.identity_name(runtime),
                signed_in=principal is not None,
            )
            page.delete_cookie(key=cookie, path="/")
            return page
        target = local_path(done.next)
        if done.outcome == "linked" and principal is not None:
            target = "/tai-khoan/thiet-bi?xong=lien-ket"
        response: Response[Any] = Redirect(target, status_code=303)
        response.delete_cookie(key=cookie, path="/")
        set_session_cookie(runtime, response, done.token, done.account.kind)
        return response


async def _start(
    request: Request[Any, Any, Any],
    intent: Intent,
    *,
    next_path: str,
    principal: Principal | None = None,
    enrolment_token: str | None = None,
) -> Response[Any]:
    runtime = runtime_of(request)
    started = await service.start_identity(
        runtime,
        client_of(request),
        intent=intent,
        next_path=local_path(next_path or "/"),
        locale=language(request),
        principal=principal,
        enrolment_token=enrolment_token,
    )
    response: Response[Any] = Redirect(started.url, status_code=303)
    # SameSite=Lax: the provider's redirect back is a top-level GET, which carries it.
    response.set_cookie(
        key=_cookie_name(runtime),
        value=started.state,
        path="/",
        max_age=int(IDENTITY_TTL.total_seconds()),
        httponly=True,
        secure=runtime.secure_cookies,
        samesite="lax",
    )
    return response


IDENTITY_PAGES = [IdentityPages]
