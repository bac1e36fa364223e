"""The pages of a person's data rights: "Dữ liệu của bạn" (download everything, a
link to deletion) and the deletion of the account. Plain forms with the CSRF token:
both work without JavaScript.

The deletion is confirmed by typing a word rather than by a fresh passkey: a passkey
step needs JavaScript (WebAuthn), which this page must not, and the person is signed
in with a session that already proved a passkey or an identity; the typed word stops
a slip of the finger, the CSRF check a forged request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Stream, Template

from backend.accounts.guards import client_of, require_signed_in, runtime_of
from backend.accounts.schemas import Principal
from backend.errors import AppError
from backend.privacy import service
from backend.privacy.runtime import PrivacyRuntime
from backend.web import forms
from backend.web.forms import FormErrors
from backend.web.templates import language

CHUNK_BYTES = 256 * 1024
DATA_PAGE = "/tai-khoan/du-lieu"
DOWNLOAD_PATH = DATA_PAGE + "/tai-ve"
DELETE_PAGE = "/tai-khoan/xoa"
DELETED_PAGE = "/tai-khoan/da-xoa"


def privacy_of(request: Request[Any, Any, Any]) -> PrivacyRuntime:
    runtime: PrivacyRuntime = request.app.state["privacy"]
    return runtime


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(CHUNK_BYTES):
            yield chunk


def archive_response(path: Path, name: str) -> Stream:
    """The zip, read from disk as it is sent, removed after (sent or not)."""
    return Stream(
        _chunks(path),
        media_type="application/zip",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def _target(field: str | None) -> str:
    return "confirm" if field == "confirm" else forms.SUMMARY


class PrivacyPages(Controller):
    include_in_schema = False

    @get(DATA_PAGE, name="personal-data", guards=[require_signed_in])
    async def data(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return forms.render(request, "privacy/data.html", principal=principal)

    @post(DOWNLOAD_PATH, guards=[require_signed_in], status_code=200)
    async def download(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Stream | Template:
        try:
            path = await service.export(privacy_of(request), principal, client_of(request))
        except AppError as error:
            errors = FormErrors.of_error(error, language(request), lambda _: forms.SUMMARY)
            return forms.render(
                request,
                "privacy/data.html",
                error.status_code,
                errors=errors,
                principal=principal,
            )
        return archive_response(path, service.archive_name(principal))

    @get(DELETE_PAGE, name="delete-account", guards=[require_signed_in])
    async def delete_form(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return forms.render(request, "privacy/delete.html", principal=principal)

    @post(DELETE_PAGE, guards=[require_signed_in], status_code=303)
    async def delete(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        word = forms.text(await request.form(), "confirm", 20)
        try:
            deleted = await service.delete_account(
                privacy_of(request), principal, word, client_of(request)
            )
        except AppError as error:
            return forms.render(
                request,
                "privacy/delete.html",
                error.status_code,
                errors=FormErrors.of_error(error, language(request), _target),
                principal=principal,
            )
        # A page of its own, read without the session: its header shows nobody.
        response = Redirect(f"{DELETED_PAGE}?ban-nhap={deleted.drafts}", status_code=303)
        response.delete_cookie(key=runtime_of(request).cookie_name, path="/")
        return response

    @get(DELETED_PAGE, name="account-deleted")
    async def deleted(
        self,
        request: Request[Any, Any, Any],
        drafts: Annotated[int, QueryParameter(name="ban-nhap", ge=0, le=10_000)] = 0,
    ) -> Template:
        return forms.render(request, "privacy/deleted.html", drafts=drafts)


PRIVACY_PAGES = [PrivacyPages]
