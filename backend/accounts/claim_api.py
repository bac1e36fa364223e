"""The JSON API of organisation claims: a citizen files one (multipart, with the
business registration certificate) and follows it; a reception official of the
province's service centre lists, reads and decides them, and alone downloads the
certificate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.accounts import service
from backend.accounts.guards import client_of, require_citizen, require_staff, runtime_of
from backend.accounts.schemas import ClaimDecision, ClaimIn, ClaimRead, ClaimReview, Principal
from backend.attachments import MAX_FILE_BYTES, file_response
from backend.i18n import N_, Text
from backend.idempotency import IDEMPOTENT
from backend.web.forms import convert

# The certificate (at most 10 MB), the two text fields and the multipart framing.
CLAIM_BODY_LIMIT = MAX_FILE_BYTES + 64 * 1024
CLAIM_LABELS: dict[str, Text] = {
    "tax_code": N_("Mã số thuế"),
    "reason": N_("Lý do bạn là người đại diện"),
}
_NO_STORE = CacheControlHeader(no_store=True)


@dataclass
class ClaimForm:
    tax_code: str = ""
    reason: str = ""
    file: UploadFile | None = None


async def read_certificate(file: object) -> tuple[bytes, str] | None:
    """The chosen file's bytes (at most the limit and one: the check refuses more) and
    its name, or None when none was chosen."""
    if not isinstance(file, UploadFile) or not (file.filename or "").strip():
        return None
    data = await file.read(MAX_FILE_BYTES + 1)
    await file.close()
    return data, file.filename or ""


class ClaimApi(Controller):
    path = "/api/organisation-claims"
    tags = ["accounts"]
    guards = [require_citizen]
    cache_control = _NO_STORE

    @get("/", operation_id="listMyClaims", summary="My claims to represent an organisation")
    async def mine(self, principal: NamedDependency[Principal]) -> list[ClaimRead]:
        return await service.my_claims(principal)

    @post(
        "/",
        operation_id="fileClaim",
        summary="Claim to represent an organisation registered by someone else: multipart "
        "with `tax_code`, `reason` and the business registration certificate as `file` "
        "(JPEG, PNG, HEIC or PDF, 10 MB)",
        request_max_body_size=CLAIM_BODY_LIMIT,
        opt=IDEMPOTENT,
    )
    async def file(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: Annotated[ClaimForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[ClaimRead]:
        fields = convert({"tax_code": data.tax_code, "reason": data.reason}, ClaimIn, CLAIM_LABELS)
        claim = await service.file_claim(
            runtime_of(request),
            principal,
            fields,
            await read_certificate(data.file),
            client_of(request),
        )
        return Response(claim, status_code=HTTP_201_CREATED)

    @get("/{claim_id:int}", operation_id="getMyClaim", summary="One of my claims")
    async def detail(
        self, principal: NamedDependency[Principal], claim_id: FromPath[int]
    ) -> ClaimRead:
        return await service.my_claim(principal, claim_id)


class ClaimReviewApi(Controller):
    """For the reception officials of the province's service centre (the service
    refuses others of the role)."""

    path = "/api/staff/organisation-claims"
    tags = ["accounts"]
    guards = [require_staff("reception")]
    cache_control = _NO_STORE

    @get("/", operation_id="listPendingClaims", summary="Claims waiting for a decision")
    async def pending(self, principal: NamedDependency[Principal]) -> list[ClaimReview]:
        return await service.pending_claims(principal)

    @get("/{claim_id:int}", operation_id="getClaim", summary="One claim")
    async def detail(
        self, principal: NamedDependency[Principal], claim_id: FromPath[int]
    ) -> ClaimReview:
        return await service.claim_for_review(principal, claim_id)

    @get(
        "/{claim_id:int}/certificate",
        operation_id="getClaimCertificate",
        summary="The claim's business registration certificate, as a download (audited)",
    )
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

    @post(
        "/{claim_id:int}/decision",
        operation_id="decideClaim",
        summary="Confirm (the claimant becomes an owner) or reject, with a reason; once",
        status_code=HTTP_200_OK,
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        claim_id: FromPath[int],
        data: JSONBody[ClaimDecision],
    ) -> ClaimReview:
        return await service.decide_claim(
            runtime_of(request), principal, claim_id, data, client_of(request)
        )


CLAIM_API = [ClaimApi, ClaimReviewApi]
