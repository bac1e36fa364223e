"""The legal forms of a dossier (Circular 01/2018, forms 01 to 05) as PDF, for those who
may see it: the citizen gets the forms addressed to them; the process-control slip
(05) is for officials."""

from __future__ import annotations

import asyncio

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.dossiers import forms
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.service.access import readable
from backend.dossiers.service.reads import read_of
from backend.dossiers.service.rows import not_found
from backend.dossiers.service.tracking import tracking_url
from backend.dossiers.tables import DossierEvent
from backend.errors import NotFound
from backend.i18n import N_
from backend.signing import service as signing

FORM01_REASON = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"


async def legal_form(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    kind: forms.FormKind,
    event_id: int | None = None,
    *,
    claim_code: str = "",
) -> tuple[str, bytes]:
    """A legal form of the dossier as PDF: (file name, bytes). ``claim_code``: form 01
    printed with the claim code just issued (``claims.issue_claim_code``)."""
    row, access = await readable(principal, dossier_id)
    dossier = await read_of(runtime, principal, row, access)
    if dossier.code is None or (kind == "05" and access.actor == "citizen"):
        raise not_found()
    documented = forms.FORM_ACTIONS.get(kind)
    event = None
    if event_id is not None:
        event = next((e for e in dossier.events if e.id == event_id), None)
        if event is None or event.action != documented:
            raise NotFound(N_("Không có văn bản này."), field="event")
    elif documented is not None and not any(e.action == documented for e in dossier.events):
        raise NotFound(N_("Hồ sơ chưa có văn bản này."))
    agency = await catalogue.get_agency(row.agency_code if kind != "01" else row.receiving_agency)
    ids = {
        e["actor_id"]
        for e in await DossierEvent.select(DossierEvent.actor_id).where(
            DossierEvent.dossier == dossier_id
        )
        if e["actor_id"] is not None
    }
    context = forms.FormContext(
        agency_name=agency.name_vi,
        agency_address=agency.address,
        province_name=runtime.province_name,
        tracking_url=tracking_url(runtime, dossier.code),
        officials=await accounts.names_of(
            ids | {i for i in (row.assignee_id, row.entered_by) if i}
        ),
        claim_code=claim_code if kind == "01" else "",
    )
    name = f"{dossier.code}-mau-{kind}.pdf"

    async def render() -> bytes:
        return await asyncio.to_thread(forms.render_form, kind, dossier, context, event)

    # Form 01 as the agency issued it at reception, sealed with its key, the same copy
    # each time; one printed with a claim code is for paper only (the code is a secret).
    if kind == "01" and not claim_code and dossier.received_at is not None:
        sealed = await signing.signed_copy(
            runtime.signing,
            kind="form01",
            subject=f"form01:{dossier.code}",
            reference=dossier.code,
            agency_code=row.receiving_agency,
            render=render,
            reason=FORM01_REASON,
        )
        if sealed is not None:
            return name, sealed
    return name, await render()
