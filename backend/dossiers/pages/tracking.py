"""Public tracking: anyone with the code and the phone's last four digits, or the
receipt's QR link, sees where a dossier is: steps and dates only, never names or
answers. Rate-limited per address."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Template

from backend.accounts.guards import client_of
from backend.accounts.guards import runtime_of as accounts_runtime_of
from backend.catalogue import service as catalogue
from backend.dossiers import service
from backend.dossiers.api import TOKEN
from backend.dossiers.pages.render import render
from backend.dossiers.schemas import TrackingRead
from backend.errors import AppError, InvalidInput, NotFound, TooManyRequests
from backend.i18n import N_, ngettext
from backend.web.errors import with_retry_after
from backend.web.forms import SUMMARY
from backend.web.templates import language


class TrackForm(msgspec.Struct, kw_only=True):
    code: str = ""
    phone_last4: str = ""


class TrackingPages(Controller):
    include_in_schema = False

    @get("/tra-cuu", name="tracking")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "dossiers/track.html", form=None, result=None, public=True)

    @post("/tra-cuu")
    async def track(
        self, request: Request[Any, Any, Any], data: URLEncodedBody[TrackForm]
    ) -> Template:
        limiter = accounts_runtime_of(request).limiter
        try:
            await limiter.check_address("track", client_of(request).address)
            if not data.code.strip():
                raise InvalidInput(N_("Hãy nhập mã hồ sơ ghi trên giấy biên nhận."), field="code")
            result = await service.track(limiter, data.code[:48], data.phone_last4[:8])
        except AppError as error:
            return _tracking_error(request, error, data)
        return await _tracking_page(request, result, data)

    @get("/tra-cuu/{token:str}", name="tracking-link")
    async def by_link(
        self, request: Request[Any, Any, Any], token: Annotated[str, TOKEN]
    ) -> Template:
        try:
            await accounts_runtime_of(request).limiter.check_address(
                "track", client_of(request).address
            )
            result = await service.track_by_token(service.runtime_of(request).secret_key, token)
        except AppError as error:
            return _tracking_error(request, error, None)
        return await _tracking_page(request, result, None)


def _tracking_error(
    request: Request[Any, Any, Any], error: AppError, form: TrackForm | None
) -> Template:
    lang = language(request)
    message = error.message(lang)
    if isinstance(error, TooManyRequests):
        minutes = max(1, round(error.retry_after / 60))
        message = ngettext(
            "Bạn đã tra cứu nhiều lần liên tiếp. Để bảo vệ hồ sơ của mọi người, "
            "vui lòng đợi khoảng %(num)d phút rồi thử lại.",
            "Bạn đã tra cứu nhiều lần liên tiếp. Để bảo vệ hồ sơ của mọi người, "
            "vui lòng đợi khoảng %(num)d phút rồi thử lại.",
            minutes,
        ).render(lang)
    field = "phone_last4" if error.field == "phone_last4" else "code"
    response = render(
        request,
        "dossiers/track.html",
        error.status_code,
        form=form,
        result=None,
        errors=[(field if form else SUMMARY, message)],
    )
    return with_retry_after(response, error)


async def _tracking_page(
    request: Request[Any, Any, Any], result: TrackingRead, form: TrackForm | None
) -> Template:
    try:
        agency = await catalogue.get_agency(result.agency_code)
    except NotFound:
        agency = None
    return render(request, "dossiers/track.html", form=form, result=result, agency=agency)
