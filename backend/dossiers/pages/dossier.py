"""The citizen's dossier page and the receipt: where the dossier is, its appointment,
what it asks of the person, the documents sent to them, and the blocks other domains
add (``"dossier.citizen"``: the fees and their payment, the rating and the feedback
link; ``"dossier.receipt"``: the fees)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_citizen
from backend.accounts.schemas import Principal
from backend.documents import qr_svg
from backend.dossiers import service
from backend.dossiers.pages.render import render, step_url
from backend.i18n import N_
from backend.web.blocks import blocks_of
from backend.web.templates import language

SLOT = "dossier.citizen"
RECEIPT_SLOT = "dossier.receipt"


class DossierPages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    @get("/ho-so/{dossier_id:int}", name="dossier")
    async def dossier(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template | Redirect:
        dossier = await service.get_dossier(service.runtime_of(request), principal, dossier_id)
        if dossier.status == "draft":
            return Redirect(step_url(dossier_id, 1), status_code=303)
        return render(
            request,
            "dossiers/dossier.html",
            dossier=dossier,
            done=done,
            blocks=await blocks_of(request).draw(SLOT, request, dossier),
        )

    @get("/ho-so/{dossier_id:int}/bien-nhan", name="dossier-receipt")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = service.runtime_of(request)
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if dossier.code is None:
            return Redirect(step_url(dossier_id, 1), status_code=303)
        url = service.tracking_url(runtime, dossier.code)
        title = N_("Mã QR tra cứu hồ sơ").render(language(request))
        return render(
            request,
            "dossiers/receipt.html",
            dossier=dossier,
            tracking_url=url,
            qr=qr_svg(url, title).decode(),
            blocks=await blocks_of(request).draw(RECEIPT_SLOT, request, dossier),
        )
