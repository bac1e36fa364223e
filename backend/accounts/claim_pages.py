"""The pages of organisation claims: the citizen's form and the claim's state under
``/to-chuc/yeu-cau``, and the officials' list, claim and decision under
``/can-bo/yeu-cau-to-chuc`` (reception officials of the province's service centre;
the service refuses any other)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from backend.accounts import service
from backend.accounts.claim_api import CLAIM_BODY_LIMIT, CLAIM_LABELS, read_certificate
from backend.accounts.guards import client_of, require_citizen, require_staff, runtime_of
from backend.accounts.schemas import ClaimDecision, ClaimIn, Principal
from backend.accounts.validation import shown_tax_code
from backend.attachments import file_response
from backend.errors import AppError, InvalidInput
from backend.i18n import N_
from backend.web import console, forms
from backend.web.forms import FormErrors
from backend.web.templates import language

CLAIMS_PAGE = "/to-chuc/yeu-cau"
REVIEW_PAGE = "/can-bo/yeu-cau-to-chuc"
_FIELDS = ("tax_code", "reason")
# The decision form's two buttons.
_DECISIONS = {"xac-nhan": True, "tu-choi": False}


class ClaimPages(Controller):
    include_in_schema = False

    @get(CLAIMS_PAGE, name="organisation-claims", guards=[require_citizen])
    async def claims(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        tax_code: Annotated[str, QueryParameter(name="mst", max_length=20)] = "",
    ) -> Template:
        return await _claims(request, principal, {"tax_code": tax_code, "reason": ""})

    @post(CLAIMS_PAGE, guards=[require_citizen], request_max_body_size=CLAIM_BODY_LIMIT)
    async def file(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        form = await request.form()
        values = {name: forms.text(form, name, 1200) for name in _FIELDS}
        try:
            claim = await service.file_claim(
                runtime_of(request),
                principal,
                forms.convert(values, ClaimIn, CLAIM_LABELS),
                await read_certificate(form.get("file")),
                client_of(request),
            )
        except AppError as error:
            return await _claims(
                request,
                principal,
                values,
                errors=FormErrors.of_error(error, language(request)),
                status_code=error.status_code,
            )
        return Redirect(f"{CLAIMS_PAGE}/{claim.id}?xong=gui", status_code=303)

    @get(CLAIMS_PAGE + "/{claim_id:int}", name="organisation-claim", guards=[require_citizen])
    async def claim(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        claim_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=10)] = "",
    ) -> Template:
        return forms.render(
            request,
            "accounts/claim.html",
            claim=await service.my_claim(principal, claim_id),
            done=done,
            tax_code=shown_tax_code,
        )


async def _claims(
    request: Request[Any, Any, Any],
    principal: Principal,
    values: dict[str, str],
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    return forms.render(
        request,
        "accounts/claims.html",
        status_code,
        errors=errors or (),
        claims=await service.my_claims(principal),
        values=values,
        tax_code=shown_tax_code,
    )


class ClaimReviewPages(Controller):
    include_in_schema = False
    guards = [require_staff("reception")]

    @get(REVIEW_PAGE, name="claims-review")
    async def pending(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        done: Annotated[str, QueryParameter(name="xong", max_length=10)] = "",
    ) -> Template:
        return console.render(
            request,
            "accounts/claims_review.html",
            principal=principal,
            section="",
            claims=await service.pending_claims(principal),
            done=done,
            tax_code=shown_tax_code,
        )

    @get(REVIEW_PAGE + "/{claim_id:int}", name="claim-review")
    async def claim(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        claim_id: FromPath[int],
    ) -> Template:
        return await _review(request, principal, claim_id)

    @get(REVIEW_PAGE + "/{claim_id:int}/giay-chung-nhan")
    async def certificate(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        claim_id: FromPath[int],
    ) -> Response[bytes]:
        data, media_type, name = await service.claim_certificate(
            runtime_of(request), principal, claim_id, client_of(request)
        )
        return file_response(data, media_type, name)

    @post(REVIEW_PAGE + "/{claim_id:int}")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        claim_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        reason = forms.text(form, "reason", 1200)
        decision = forms.text(form, "decision", 20)
        try:
            if decision not in _DECISIONS:
                raise InvalidInput(N_("Hãy chọn xác nhận hoặc từ chối yêu cầu."), field="decision")
            await service.decide_claim(
                runtime_of(request),
                principal,
                claim_id,
                ClaimDecision(confirm=_DECISIONS[decision], reason=reason),
                client_of(request),
            )
        except AppError as error:
            if error.status_code in {403, 404}:
                raise
            return await _review(
                request,
                principal,
                claim_id,
                reason=reason,
                errors=FormErrors.of_error(error, language(request)),
                status_code=error.status_code,
            )
        return Redirect(f"{REVIEW_PAGE}?xong={decision}", status_code=303)


async def _review(
    request: Request[Any, Any, Any],
    principal: Principal,
    claim_id: int,
    *,
    reason: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    return console.render(
        request,
        "accounts/claim_review.html",
        status_code,
        principal=principal,
        section="",
        errors=errors or (),
        claim=await service.claim_for_review(principal, claim_id),
        reason=reason,
        tax_code=shown_tax_code,
    )


CLAIM_PAGES = [ClaimPages, ClaimReviewPages]
