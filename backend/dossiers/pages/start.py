"""Starting a dossier from a procedure's page (the draft the person has there is
given back unless they ask for another), "my dossiers" (drafts and submitted ones),
deleting a draft, and claiming a dossier entered for the person at a counter."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from backend.accounts import service as accounts
from backend.accounts.guards import client_of, require_citizen
from backend.accounts.guards import runtime_of as accounts_runtime_of
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import ProcedureCodeParam
from backend.dossiers import service
from backend.dossiers.lifecycle import TransitionRefused
from backend.dossiers.pages.render import render, step_url
from backend.dossiers.pages.steps import resume_url
from backend.dossiers.schemas import DraftCreate
from backend.errors import AppError, InvalidInput, NotFound, Problems
from backend.i18n import N_
from backend.web.errors import with_retry_after
from backend.web.forms import FormErrors
from backend.web.templates import language


class StartForm(msgspec.Struct, kw_only=True):
    draft_key: str = ""
    organisation_id: str = ""
    agency_code: str = ""
    # "1" from the button "Tạo hồ sơ mới": a further draft beside the one there is.
    another: str = ""


# The procedure page's choice of where to file.
AgencyQuery = Annotated[str, QueryParameter(name="co-quan", max_length=32)]


class ClaimForm(msgspec.Struct, kw_only=True):
    code: str = ""
    phone: str = ""
    # Never shown again after an error: it is the citizen's secret.
    claim_code: str = ""


# The input each of the claim's problems points at.
_CLAIM_INPUTS = {"phone": "claim-phone", "claim_code": "claim-secret"}


def _choose_place(code: str, agency_code: str) -> Redirect:
    """Back to the procedure page's choice of where to file (which names a wrong one)."""
    query = f"?co-quan={quote(agency_code)}" if agency_code else ""
    return Redirect(f"/p/{code}{query}#noi-nop", status_code=303)


async def _start(
    request: Request[Any, Any, Any],
    principal: Principal,
    code: str,
    agency_code: str,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template | Redirect:
    procedure = await catalogue.get_procedure(code)
    try:
        agency = await catalogue.agency_for(procedure, agency_code)
    except InvalidInput:
        agency = None
    # An information-only procedure says so wherever it would be filed.
    if agency is None and procedure.online_level != "info":
        return _choose_place(code, agency_code)
    runtime = service.runtime_of(request)
    drafts = (
        [] if agency is None else await service.drafts_for(runtime, principal, code, agency.code)
    )
    organisations = await accounts.my_organisations(principal)
    return render(
        request,
        "dossiers/start.html",
        status_code,
        procedure=procedure,
        agency=agency,
        # Others carry it out too: the page offers to choose another.
        places=len(procedure.agency_codes),
        organisations=organisations,
        # The drafts there already, each named by whom it is for.
        drafts=drafts,
        payers={o.id: o.name for o in organisations},
        # Made here, before the first try: pressing twice finds the same draft.
        draft_key=secrets.token_urlsafe(18),
        errors=errors or FormErrors(),
    )


async def _mine(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    done: str = "",
    claim: ClaimForm | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    dossiers = await service.my_dossiers(service.runtime_of(request), principal)
    return render(
        request,
        "dossiers/mine.html",
        status_code,
        drafts=[d for d in dossiers if d.status == "draft"],
        dossiers=[d for d in dossiers if d.status != "draft"],
        done=done,
        claim=claim,
        errors=errors or FormErrors(),
    )


class StartPages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    @get("/p/{code:str}/nop", name="dossier-start")
    async def start(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: ProcedureCodeParam,
        agency_code: AgencyQuery = "",
    ) -> Template | Redirect:
        return await _start(request, principal, code, agency_code)

    @post("/p/{code:str}/nop")
    async def create(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: ProcedureCodeParam,
        data: URLEncodedBody[StartForm],
    ) -> Template | Redirect:
        lang = language(request)
        organisation = data.organisation_id.strip()
        try:
            draft = msgspec.convert(
                {
                    "procedure_code": code,
                    "draft_key": data.draft_key,
                    "organisation_id": int(organisation) if organisation.isdigit() else None,
                    "agency_code": data.agency_code.strip() or None,
                    "another": data.another == "1",
                },
                DraftCreate,
            )
        except msgspec.ValidationError:
            # Only a page older than the form it posts (or a forged one) sends this.
            stale = N_("Trang này đã cũ. Hãy bấm “Bắt đầu” một lần nữa.").render(lang)
            return await _start(
                request,
                principal,
                code,
                data.agency_code[:32],
                errors=FormErrors([("start", stale)]),
                status_code=422,
            )
        try:
            dossier, created = await service.create_draft(
                service.runtime_of(request), principal, draft
            )
        except AppError as error:
            if isinstance(error, NotFound) and error.field != "organisation_id":
                raise
            if error.field == "agency_code":
                return _choose_place(code, data.agency_code[:32])
            return await _start(
                request,
                principal,
                code,
                draft.agency_code or "",
                errors=FormErrors.of_error(error, lang, lambda _: "start"),
                status_code=error.status_code,
            )
        # A new draft starts with the applicant; the one there was goes on where it stopped.
        target = step_url(dossier.id, 1) if created else await resume_url(request, dossier)
        return Redirect(target, status_code=303)

    @get("/ho-so", name="my-dossiers")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template:
        return await _mine(request, principal, done=done)

    @get("/ho-so/{dossier_id:int}/xoa", name="dossier-discard")
    async def confirm_discard(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        """Asked first: the answers and files go for good."""
        dossier = await service.get_dossier(service.runtime_of(request), principal, dossier_id)
        if dossier.status != "draft":
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        organisations = await accounts.my_organisations(principal)
        return render(
            request,
            "dossiers/discard.html",
            dossier=dossier,
            payers={o.id: o.name for o in organisations},
        )

    @post("/ho-so/{dossier_id:int}/xoa")
    async def discard(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Redirect:
        runtime = service.runtime_of(request)
        try:
            await service.delete_draft(principal, dossier_id, runtime.attachments.storage)
        except TransitionRefused:
            # Submitted meanwhile (another tab): its page says where it is.
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        except NotFound:
            # Already deleted (a second tap) or never the person's: nothing to say.
            return Redirect("/ho-so", status_code=303)
        return Redirect("/ho-so?xong=xoa", status_code=303)

    @post("/ho-so/nhan")
    async def claim(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[ClaimForm],
    ) -> Template | Redirect:
        lang = language(request)
        limiter = accounts_runtime_of(request).limiter
        try:
            await limiter.check_address("dossier-claim", client_of(request).address)
            await limiter.check_account("dossier-claim", principal.account_id)
            problems = Problems()
            if not data.code.strip():
                problems.add("code", N_("Hãy nhập mã hồ sơ ghi trên giấy biên nhận."))
            if not data.claim_code.strip():
                problems.add(
                    "claim_code", N_("Hãy nhập mã nhận hồ sơ in trên Giấy tiếp nhận (Mẫu 01).")
                )
            problems.raise_any()
            dossier = await service.claim(
                service.runtime_of(request),
                principal,
                data.code[:48],
                data.phone[:24],
                data.claim_code[:32],
                address=client_of(request).address,
            )
        except AppError as error:
            response = await _mine(
                request,
                principal,
                claim=data,
                errors=FormErrors.of_error(
                    error, lang, lambda f: _CLAIM_INPUTS.get(f or "", "claim-code")
                ),
                status_code=error.status_code,
            )
            return with_retry_after(response, error)
        return Redirect(f"/ho-so/{dossier.id}?xong=nhan", status_code=303)
