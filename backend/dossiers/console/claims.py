"""A counter dossier's claim into the citizen's account (issue 15), from its page:
form 01 printed with a new claim code (the code exists only on that paper), and the
claim revoked when the wrong account took it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.accounts.guards import client_of
from backend.accounts.schemas import Principal
from backend.dossiers import service
from backend.dossiers.api import pdf_response
from backend.dossiers.console.dossier import Refusal, dossier_page
from backend.dossiers.console.entry import require_entry
from backend.errors import AppError, NotFound
from backend.web.console import CONSOLE_HOME


class ClaimPages(Controller):
    path = CONSOLE_HOME
    include_in_schema = False
    guards = [require_entry]

    @post("/ho-so/{dossier_id:int}/ma-nhan", name="console-claim-code", status_code=200)
    async def print_with_code(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Response[bytes] | Template:
        runtime = service.runtime_of(request)
        try:
            _, claim_code = await service.issue_claim_code(
                runtime, principal, dossier_id, address=client_of(request).address
            )
        except NotFound:
            raise
        except AppError as error:
            return await dossier_page(
                request,
                principal,
                dossier_id,
                refusal=Refusal(error, "claim"),
                status_code=error.status_code,
            )
        name, pdf = await service.legal_form(
            runtime, principal, dossier_id, "01", claim_code=claim_code
        )
        return pdf_response(name, pdf)

    @post("/ho-so/{dossier_id:int}/thu-hoi-nhan", name="console-claim-revoke")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Redirect | Template:
        try:
            await service.revoke_claim(
                service.runtime_of(request),
                principal,
                dossier_id,
                address=client_of(request).address,
            )
        except NotFound:
            raise
        except AppError as error:
            return await dossier_page(
                request,
                principal,
                dossier_id,
                refusal=Refusal(error, "claim"),
                status_code=error.status_code,
            )
        return Redirect(
            f"{CONSOLE_HOME}/ho-so/{dossier_id}?xong=thu-hoi#nhan-ho-so", status_code=303
        )
