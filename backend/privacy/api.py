"""The JSON API of a person's data rights, beside the accounts API's ``/api/account``:
the archive (a zip), and the deletion of the account. Both POST: each changes
something (a count against the hourly limit and an audit entry, or the account), so
each needs the CSRF header as every other change does."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Stream

from backend.accounts.guards import client_of, require_signed_in, runtime_of
from backend.accounts.schemas import Principal
from backend.privacy import service
from backend.privacy.pages import archive_response, privacy_of
from backend.privacy.schemas import Deleted, DeletionIn


class PrivacyApi(Controller):
    path = "/api/account"
    tags = ["accounts"]
    cache_control = CacheControlHeader(no_store=True)

    @post(
        "/export",
        operation_id="exportMyData",
        summary="Everything the service holds of the signed-in person, as a zip",
        description=(
            "data.json, the files under files/ and manifest.sha256; at most "
            f"{service.EXPORTS_PER_HOUR} an hour."
        ),
        guards=[require_signed_in],
        media_type="application/zip",
        status_code=200,
    )
    async def export(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Stream:
        path = await service.export(privacy_of(request), principal, client_of(request))
        return archive_response(path, service.archive_name(principal))

    @post(
        "/delete",
        operation_id="deleteMyAccount",
        summary="Delete the signed-in person's account (submitted dossiers stay)",
        guards=[require_signed_in],
        status_code=200,
    )
    async def delete(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[DeletionIn],
    ) -> Response[Deleted]:
        deleted = await service.delete_account(
            privacy_of(request), principal, data.confirm, client_of(request)
        )
        response = Response(deleted)
        response.delete_cookie(key=runtime_of(request).cookie_name, path="/")
        return response


PRIVACY_API = [PrivacyApi]
