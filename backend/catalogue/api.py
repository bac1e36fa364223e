"""The catalogue's JSON API: search, one procedure, its QR code and poster."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import QueryParameter

from backend.catalogue import service
from backend.catalogue.schemas import (
    Level,
    OnlineLevel,
    Place,
    ProcedureCodeParam,
    ProcedurePage,
    ProcedureRead,
)
from backend.documents import qr_png, qr_svg
from backend.settings import Settings
from backend.web.public_pages import PUBLIC_PAGE

CACHE_CONTROL = "public, max-age=60"
# The agency a QR code or poster is for (it must carry the procedure out).
AgencyQuery = Annotated[str, QueryParameter(name="agency", max_length=32)]


def etag_for(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def not_modified(request: Request[Any, Any, Any], etag: str) -> bool:
    """True when the client's If-None-Match names this version (weak or strong)."""
    header = request.headers.get("if-none-match", "")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags or "*" in tags


def cached(
    request: Request[Any, Any, Any], body: bytes, media_type: str, **headers: str
) -> Response[bytes]:
    """A response with an ETag and a short public cache; 304 when the client has it."""
    etag = etag_for(body)
    all_headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **headers}
    if not_modified(request, etag):
        return Response(b"", status_code=304, headers=all_headers, media_type=media_type)
    return Response(body, media_type=media_type, headers=all_headers)


class ProcedureApi(Controller):
    path = "/api/procedures"
    tags = ["catalogue"]

    @get(
        "/",
        operation_id="listProcedures",
        summary="Search the procedure catalogue",
        description=(
            "Words are matched with or without diacritics, in any order, as prefixes and "
            "with small typing mistakes; name matches rank first. A text search returns at "
            "most the 200 best matches. Answers carry an ETag (If-None-Match gives 304)."
        ),
        response_description="One page of procedures",
        # The body is encoded once for its ETag: say what it holds.
        responses={200: ResponseSpec(ProcedurePage, description="One page of procedures")},
        opt={PUBLIC_PAGE: ("q", "field", "agency", "level", "online", "page")},
    )
    async def list_procedures(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(name="q", max_length=service.MAX_QUERY_LENGTH)] = "",
        field: Annotated[str | None, QueryParameter(name="field", max_length=200)] = None,
        agency: Annotated[str | None, QueryParameter(name="agency", max_length=32)] = None,
        level: Annotated[Level | None, QueryParameter(name="level")] = None,
        online: Annotated[OnlineLevel | None, QueryParameter(name="online")] = None,
        page: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> Response[bytes]:
        result: ProcedurePage = await service.list_procedures(
            q=q, field=field, agency=agency, level=level, online_level=online, page=page
        )
        return cached(request, msgspec.json.encode(result), "application/json")

    @get(
        "/{code:str}",
        operation_id="getProcedure",
        summary="One procedure, in full",
        response_description="The procedure (with an ETag)",
        responses={200: ResponseSpec(ProcedureRead, description="The procedure (with an ETag)")},
        opt={PUBLIC_PAGE: ()},
    )
    async def get_procedure(
        self, request: Request[Any, Any, Any], code: ProcedureCodeParam
    ) -> Response[bytes]:
        procedure: ProcedureRead = await service.get_procedure(code)
        return cached(request, msgspec.json.encode(procedure), "application/json")

    @get(
        "/{code:str}/agencies",
        operation_id="listProcedureAgencies",
        summary="Where the procedure is carried out",
        description=(
            "The agencies that carry the procedure out, with the commune or ward each serves; "
            "`q` keeps those whose commune or agency name holds every word typed, with or "
            "without diacritics (an empty list when none does)."
        ),
        responses={200: ResponseSpec(list[Place], description="The agencies")},
    )
    async def agencies(
        self,
        request: Request[Any, Any, Any],
        code: ProcedureCodeParam,
        q: Annotated[str, QueryParameter(name="q", max_length=100)] = "",
    ) -> Response[bytes]:
        await service.get_procedure(code)
        places: list[Place] = service.matching(await service.places_for(code), q)
        return cached(request, msgspec.json.encode(places), "application/json")

    @get("/{code:str}/qr.svg", operation_id="getProcedureQrSvg", summary="QR code (SVG)")
    async def qr_svg(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        code: ProcedureCodeParam,
        agency: AgencyQuery = "",
    ) -> Response[bytes]:
        url = await _url(settings, code, agency)
        return cached(request, qr_svg(url, title=url), "image/svg+xml")

    @get("/{code:str}/qr.png", operation_id="getProcedureQrPng", summary="QR code (PNG)")
    async def qr_png(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        code: ProcedureCodeParam,
        agency: AgencyQuery = "",
    ) -> Response[bytes]:
        url = await _url(settings, code, agency)
        return cached(request, qr_png(url), "image/png")

    @get(
        "/{code:str}/poster.pdf",
        operation_id="getProcedurePosterPdf",
        summary="A4 poster with the QR code (PDF)",
    )
    async def poster_pdf(
        self,
        settings: NamedDependency[Settings],
        code: ProcedureCodeParam,
        agency: AgencyQuery = "",
    ) -> Response[bytes]:
        procedure = await service.get_procedure(code)
        chosen = await service.agency_for(procedure, agency or None, field="agency")
        poster = service.procedure_poster(settings.public_url, procedure, chosen)
        return Response(
            await service.render_poster_pdf(poster),
            media_type="application/pdf",
            headers={
                "Cache-Control": CACHE_CONTROL,
                "Content-Disposition": f'inline; filename="poster-{procedure.code}.pdf"',
            },
        )


async def _url(settings: Settings, code: str, agency: str) -> str:
    """The address a procedure's QR code opens: at ``agency`` when one is named."""
    procedure = await service.get_procedure(code)
    chosen = await service.agency_for(procedure, agency or None, field="agency")
    return service.procedure_url(
        settings.public_url, procedure.code, chosen.code if chosen and agency else None
    )
