"""The catalogue administrator's API: import, export, and editing one procedure.

Administrators only (``require_staff()`` lets no role but "admin" through). The
pages of ``admin_pages.py`` do the same through the same service, for a browser."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_422_UNPROCESSABLE_ENTITY

from backend.accounts.guards import require_staff
from backend.catalogue import service, transfer
from backend.catalogue.api import CODE
from backend.catalogue.schemas import DemoProcedure
from backend.errors import InvalidInput

FORMAT = QueryParameter(name="format", description="json or csv")


class ImportSummary(msgspec.Struct, kw_only=True):
    agencies_added: int
    agencies_updated: int
    procedures_added: int
    procedures_updated: int
    counters_added: int
    counters_updated: int


def _rejected(error: transfer.ImportRejected) -> Response[Any]:
    body = {
        "error": {
            "code": error.code,
            "message_vi": error.message_vi,
            "message_en": error.message_en,
            "field": None,
            "rows": msgspec.to_builtins(error.errors),
        }
    }
    return Response(body, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


class CatalogueAdminApi(Controller):
    path = "/api/admin/catalogue"
    tags = ["catalogue administration"]
    guards = [require_staff()]

    @get("/export", operation_id="exportCatalogue", summary="The whole catalogue as a file")
    async def export(
        self, fmt: Annotated[Literal["json", "csv"], FORMAT] = "json"
    ) -> Response[bytes]:
        catalogue = await transfer.export_catalogue()
        body = transfer.to_json(catalogue) if fmt == "json" else transfer.to_csv(catalogue)
        media_type = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
        return Response(
            body,
            media_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="catalogue.{fmt}"',
                "Cache-Control": "no-store",
            },
        )

    @post(
        "/import",
        operation_id="importCatalogue",
        summary="Import a catalogue file: all of it, or nothing with each bad row named",
        status_code=HTTP_200_OK,
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        fmt: Annotated[Literal["json", "csv"], FORMAT] = "json",
    ) -> Response[Any]:
        """The body is the file itself (any content type); at most 1 MiB here, the
        application's request limit (larger catalogues: ``motcua catalogue-import``)."""
        try:
            result = await transfer.import_catalogue(await request.body(), fmt)
        except transfer.ImportRejected as error:
            return _rejected(error)
        return Response(msgspec.convert(result, ImportSummary, from_attributes=True))

    @put(
        "/procedures/{code:str}",
        operation_id="saveProcedure",
        summary="Create or replace one procedure, with its documents and fees",
        status_code=HTTP_200_OK,
    )
    async def save_procedure(
        self, code: Annotated[str, CODE], data: JSONBody[DemoProcedure]
    ) -> Response[Any]:
        if data.code != code:
            raise InvalidInput(
                "Mã thủ tục trong địa chỉ và trong dữ liệu phải trùng nhau.",
                "The procedure code in the address and in the data must be the same.",
                field="code",
            )
        try:
            created = await transfer.save_procedure(data)
        except transfer.ImportRejected as error:
            return _rejected(error)
        procedure = await service.get_procedure(code)
        return Response(procedure, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete("/procedures/{code:str}", operation_id="deleteProcedure", summary="Remove one")
    async def delete_procedure(self, code: Annotated[str, CODE]) -> None:
        await transfer.delete_procedure(code)
