"""The dossiers JSON API: citizens' drafts, files and steps; officials' queues and
counter entry; public tracking. Thin: every rule lives in the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.accounts.guards import (
    Principal,
    client_of,
    require_signed_in,
)
from backend.accounts.guards import (
    runtime_of as accounts_of,
)
from backend.attachments import MAX_FILE_BYTES, CheckedFile, file_stream
from backend.attachments import file_response as stored_file
from backend.dossiers import service
from backend.dossiers.forms import FormKind
from backend.dossiers.schemas import (
    ActionIn,
    AssistedCreate,
    ClaimCodeRead,
    ClaimIn,
    DossierPage,
    DossierRead,
    DossierSummary,
    DraftCreate,
    DraftUpdate,
    FileRead,
    OfficialRead,
    OfflineDossiers,
    Queue,
    ReuseIn,
    StoredDocument,
    TrackIn,
    TrackingRead,
)
from backend.dossiers.service import runtime_of
from backend.errors import InvalidInput
from backend.i18n import N_
from backend.idempotency import IDEMPOTENT
from backend.web.templates import language

# An upload's body: the file (at most 10 MB) and the multipart framing around it.
UPLOAD_BODY_LIMIT = MAX_FILE_BYTES + 64 * 1024
TOKEN = PathParameter(max_length=120, pattern=r"^[0-9A-Za-z.\-]+$")


@dataclass
class UploadForm:
    file: UploadFile
    component_id: int | None = None
    # The evidence of the applicant group the draft declares (no component).
    evidence: bool = False


def _principal(principal: NamedDependency[Principal]) -> Principal:
    assert principal is not None  # require_signed_in ran first
    return principal


async def read_upload(request: Request[Any, Any, Any], form: UploadForm) -> CheckedFile:
    """Read at most the limit (the body limit already holds), then check the content."""
    data = await form.file.read(MAX_FILE_BYTES + 1)
    await form.file.close()
    return await runtime_of(request).attachments.check(data, form.file.filename or "")


def pdf_response(name: str, pdf: bytes) -> Response[bytes]:
    return stored_file(pdf, "application/pdf", name)


class DossierApi(Controller):
    path = "/api/dossiers"
    tags = ["dossiers"]
    guards = [require_signed_in]

    @post(
        "/",
        operation_id="createDraft",
        summary="Start a draft, or get back (200) the one there is (idempotent by draft_key)",
        opt=IDEMPOTENT,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[DraftCreate],
    ) -> Response[DossierRead]:
        dossier, created = await service.create_draft(runtime_of(request), principal, data)
        return Response(dossier, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/", operation_id="myDossiers", summary="My dossiers and my organisations'")
    async def mine(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> list[DossierSummary]:
        return await service.my_dossiers(runtime_of(request), principal)

    @get(
        "/offline",
        operation_id="myDossiersOffline",
        summary="My dossiers' codes and statuses, for the phone to show without a network",
    )
    async def offline(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Response[OfflineDossiers]:
        # The service worker keeps it on the phone until sign-out; no shared cache may.
        copy = await service.offline_copy(runtime_of(request), principal, language(request))
        return Response(copy, headers={"Cache-Control": "no-store"})

    @get(
        "/documents",
        operation_id="myDocuments",
        summary="My documents: results released to me, then what I sent (newest first)",
    )
    async def documents(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Response[list[StoredDocument]]:
        documents = await service.my_documents(runtime_of(request), principal)
        return Response(documents, headers={"Cache-Control": "no-store"})

    @post("/claim", operation_id="claimDossier", summary="Take a dossier entered at a counter")
    async def claim(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[ClaimIn],
    ) -> DossierRead:
        who = principal
        limiter = accounts_of(request).limiter
        await limiter.check_address("dossier-claim", client_of(request).address)
        await limiter.check_account("dossier-claim", who.account_id)
        return await service.claim(
            runtime_of(request),
            who,
            data.code,
            data.phone,
            data.claim_code,
            address=client_of(request).address,
        )

    @get("/{dossier_id:int}", operation_id="getDossier", summary="One dossier")
    async def read(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> DossierRead:
        return await service.get_dossier(runtime_of(request), principal, dossier_id)

    @patch("/{dossier_id:int}", operation_id="saveDraftStep", summary="Save a step of a draft")
    async def save(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: JSONBody[DraftUpdate],
    ) -> DossierRead:
        return await service.update_draft(runtime_of(request), principal, dossier_id, data)

    @delete(
        "/{dossier_id:int}",
        operation_id="deleteDraft",
        summary="Delete a draft",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def discard(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> None:
        await service.delete_draft(principal, dossier_id, runtime_of(request).attachments.storage)

    @post(
        "/{dossier_id:int}/files",
        operation_id="uploadFile",
        summary="Attach a photo or PDF (JPEG, PNG, HEIC or PDF; 10 MB a file, 50 MB a dossier)",
        request_max_body_size=UPLOAD_BODY_LIMIT,
        opt=IDEMPOTENT,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[FileRead]:
        checked = await read_upload(request, data)
        file = await service.add_file(
            runtime_of(request),
            principal,
            dossier_id,
            checked,
            component_id=data.component_id,
            evidence=data.evidence,
        )
        return Response(file, status_code=HTTP_201_CREATED)

    @post(
        "/{dossier_id:int}/files/reuse",
        operation_id="reuseDocument",
        summary="Attach a copy of one of my documents to a draft as a component's file",
        opt=IDEMPOTENT,
    )
    async def reuse(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: JSONBody[ReuseIn],
    ) -> Response[FileRead]:
        file = await service.reuse_document(
            runtime_of(request), principal, dossier_id, data.component_id, data.file_id
        )
        return Response(file, status_code=HTTP_201_CREATED)

    @get(
        "/{dossier_id:int}/files/{file_id:int}",
        operation_id="downloadFile",
        summary="Download a file",
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        file_id: FromPath[int],
    ) -> Stream:
        file, opened = await service.stream_file(
            runtime_of(request), principal, dossier_id, file_id
        )
        return file_stream(opened, file.media_type, file.display_name)

    @get(
        "/{dossier_id:int}/files/{file_id:int}/pages/{page:int}",
        operation_id="previewPdfPage",
        summary="One page of a PDF attachment as PNG (the inline viewer)",
    )
    async def preview(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        file_id: FromPath[int],
        page: FromPath[int],
    ) -> Response[bytes]:
        file, data = await service.open_file(runtime_of(request), principal, dossier_id, file_id)
        if file.media_type != "application/pdf":
            raise InvalidInput(N_("Tệp này không phải PDF."), field="file")
        png = await runtime_of(request).attachments.preview(data, page)
        return stored_file(png, "image/png", None)

    @delete(
        "/{dossier_id:int}/files/{file_id:int}",
        operation_id="removeFile",
        summary="Remove a file not yet submitted",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        file_id: FromPath[int],
    ) -> None:
        await service.remove_file(runtime_of(request), principal, dossier_id, file_id)

    @post(
        "/{dossier_id:int}/submit",
        operation_id="submitDossier",
        summary="Submit a draft",
        status_code=HTTP_200_OK,
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> DossierRead:
        return await service.submit(runtime_of(request), principal, dossier_id)

    @post(
        "/{dossier_id:int}/actions",
        operation_id="dossierAction",
        summary="Take a step of the lifecycle",
        status_code=HTTP_200_OK,
    )
    async def act(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: JSONBody[ActionIn],
    ) -> DossierRead:
        return await service.act(runtime_of(request), principal, dossier_id, data)

    @get(
        "/{dossier_id:int}/forms/{kind:str}",
        operation_id="legalForm",
        summary="A legal form of Circular 01/2018 as PDF (01 receipt … 05 process-control slip)",
    )
    async def form(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        kind: Annotated[Literal["01", "02", "03", "04", "05"], PathParameter()],
        event: Annotated[int | None, QueryParameter()] = None,
    ) -> Response[bytes]:
        form_kind: FormKind = kind
        name, pdf = await service.legal_form(
            runtime_of(request), principal, dossier_id, form_kind, event
        )
        return pdf_response(name, pdf)


class StaffDossierApi(Controller):
    path = "/api/staff/dossiers"
    tags = ["dossiers: officials"]
    guards = [require_signed_in]

    @get("/", operation_id="dossierQueue", summary="One of the agency's queues")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        name: Annotated[Queue, QueryParameter(name="queue")] = "new",
        q: Annotated[str, QueryParameter(max_length=100)] = "",
        procedure: Annotated[str, QueryParameter(max_length=32)] = "",
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> DossierPage:
        return await service.queue(
            runtime_of(request), principal, name, search=q, procedure_code=procedure, page=page
        )

    @get("/counts", operation_id="dossierQueueCounts", summary="How many dossiers each queue holds")
    async def counts(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> dict[str, int]:
        return await service.queue_counts(runtime_of(request), principal)

    @get(
        "/officials",
        operation_id="agencyOfficials",
        summary="Officials a dossier can be assigned to",
    )
    async def officials(self, principal: NamedDependency[Principal]) -> list[OfficialRead]:
        return await service.officials(principal)

    @post(
        "/",
        operation_id="enterDossier",
        summary="Enter a walk-in citizen's dossier (received at once)",
        opt=IDEMPOTENT,
    )
    async def enter(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[AssistedCreate],
    ) -> Response[DossierRead]:
        dossier = await service.create_assisted(runtime_of(request), principal, data)
        return Response(dossier, status_code=HTTP_201_CREATED)

    @post(
        "/{dossier_id:int}/claim-code",
        operation_id="issueClaimCode",
        summary="A new claim code for a counter dossier (shown once; replaces the earlier)",
        status_code=HTTP_201_CREATED,
    )
    async def claim_code(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Response[ClaimCodeRead]:
        dossier, claim_code = await service.issue_claim_code(
            runtime_of(request), principal, dossier_id, address=client_of(request).address
        )
        read = ClaimCodeRead(dossier_id=dossier.id, code=dossier.code or "", claim_code=claim_code)
        return Response(read, status_code=HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @delete(
        "/{dossier_id:int}/claim",
        operation_id="revokeClaim",
        summary="Take a counter dossier back from the account that claimed it",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def revoke_claim(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> None:
        await service.revoke_claim(
            runtime_of(request), principal, dossier_id, address=client_of(request).address
        )


class TrackingApi(Controller):
    path = "/api/tracking"
    tags = ["dossiers: public tracking"]

    @post(
        "/",
        operation_id="trackDossier",
        summary="A dossier's progress by code and phone digits",
        status_code=HTTP_200_OK,
    )
    async def track(self, request: Request[Any, Any, Any], data: JSONBody[TrackIn]) -> TrackingRead:
        limiter = accounts_of(request).limiter
        await limiter.check_address("track", client_of(request).address)
        return await service.track(limiter, data.code, data.phone_last4)

    @get(
        "/{token:str}",
        operation_id="trackByLink",
        summary="A dossier's progress by the receipt's QR link",
    )
    async def by_token(
        self, request: Request[Any, Any, Any], token: Annotated[str, TOKEN]
    ) -> TrackingRead:
        await accounts_of(request).limiter.check_address("track", client_of(request).address)
        return await service.track_by_token(runtime_of(request).secret_key, token)


DOSSIER_API = (DossierApi, StaffDossierApi, TrackingApi)
