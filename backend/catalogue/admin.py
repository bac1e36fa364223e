"""The catalogue administrator's API: import, export, editing one procedure, a
procedure's fee rules one at a time, and search's synonyms and abbreviations.

The province's catalogue administrators only (role "catalogue"): an agency's
administrator edits their own agency's data (``agency_api.py``), never a procedure.
The pages of ``admin_pages.py`` do the same through the same service, for a browser."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.accounts.guards import require_staff
from backend.catalogue import service
from backend.catalogue.schemas import (
    DemoFeeRule,
    DemoProcedure,
    DemoSynonym,
    FeeRuleIdParam,
    FeeRuleRead,
    ProcedureCodeParam,
    ProcedureRead,
    SynonymIdParam,
    SynonymRead,
)
from backend.errors import InvalidInput
from backend.i18n import N_
from backend.web.errors import PROBLEM_JSON, problem_body
from backend.web.templates import language

FORMAT = QueryParameter(name="format", description="json or csv")


def _rejected(request: Request[Any, Any, Any], error: service.ImportRejected) -> Response[Any]:
    """A refused file as problem details, with every bad row (``rows``; also in the
    ``error`` member, where clients written before problem details read them)."""
    lang = language(request)
    body = problem_body(error, error.status_code, lang)
    rows = [
        {
            "row": row.row,
            "section": row.section,
            "field": row.field,
            "name": row.name,
            "message": row.message(lang),
            "message_vi": row.message("vi"),
            "message_en": row.message("en"),
        }
        for row in error.errors
    ]
    body["rows"] = rows
    body["error"]["rows"] = rows
    return Response(body, status_code=error.status_code, media_type=PROBLEM_JSON)


class CatalogueAdminApi(Controller):
    path = "/api/admin/catalogue"
    tags = ["catalogue administration"]
    guards = [require_staff("catalogue")]
    exception_handlers = {service.ImportRejected: _rejected}

    @get("/export", operation_id="exportCatalogue", summary="The whole catalogue as a file")
    async def export(
        self, fmt: Annotated[Literal["json", "csv"], FORMAT] = "json"
    ) -> Response[bytes]:
        catalogue = await service.export_catalogue()
        body = service.to_json(catalogue) if fmt == "json" else service.to_csv(catalogue)
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
    ) -> service.ImportResult:
        """The body is the file itself (any content type); at most 1 MiB here, the
        application's request limit (larger catalogues: ``motcua catalogue-import``)."""
        return await service.import_catalogue(await request.body(), fmt)

    @put(
        "/procedures/{code:str}",
        operation_id="saveProcedure",
        summary="Create or replace one procedure, with its documents and fees",
        status_code=HTTP_200_OK,
    )
    async def save_procedure(
        self, code: ProcedureCodeParam, data: JSONBody[DemoProcedure]
    ) -> Response[ProcedureRead]:
        if data.code != code:
            raise InvalidInput(
                N_("Mã thủ tục trong địa chỉ và trong dữ liệu phải trùng nhau."), field="code"
            )
        created = await service.save_procedure(data)
        procedure = await service.get_procedure(code)
        return Response(procedure, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete("/procedures/{code:str}", operation_id="deleteProcedure", summary="Remove one")
    async def delete_procedure(self, code: ProcedureCodeParam) -> None:
        await service.delete_procedure(code)

    @get(
        "/procedures/{code:str}/fee-rules",
        operation_id="listFeeRules",
        summary="The fee rules of one procedure",
    )
    async def fee_rules(self, code: ProcedureCodeParam) -> list[FeeRuleRead]:
        return await service.fee_rules_of(code)

    @post(
        "/procedures/{code:str}/fee-rules",
        operation_id="addFeeRule",
        summary="Add a fee rule: an agency's base fee, or a reduction or exemption",
        status_code=HTTP_201_CREATED,
    )
    async def add_fee_rule(
        self, code: ProcedureCodeParam, data: JSONBody[DemoFeeRule]
    ) -> FeeRuleRead:
        return await service.add_fee_rule(code, data)

    @put(
        "/procedures/{code:str}/fee-rules/{rule_id:int}",
        operation_id="saveFeeRule",
        summary="Replace one fee rule",
    )
    async def save_fee_rule(
        self, code: ProcedureCodeParam, rule_id: FeeRuleIdParam, data: JSONBody[DemoFeeRule]
    ) -> FeeRuleRead:
        return await service.save_fee_rule(code, rule_id, data)

    @delete(
        "/procedures/{code:str}/fee-rules/{rule_id:int}",
        operation_id="deleteFeeRule",
        summary="Remove one fee rule",
    )
    async def delete_fee_rule(self, code: ProcedureCodeParam, rule_id: FeeRuleIdParam) -> None:
        await service.remove_fee_rule(code, rule_id)

    @get("/synonyms", operation_id="listSynonyms", summary="Search's synonyms and abbreviations")
    async def synonyms(self) -> list[SynonymRead]:
        return await service.list_synonyms()

    @post(
        "/synonyms",
        operation_id="addSynonym",
        summary="Add a word or abbreviation people type, and the catalogue's words for it",
        status_code=HTTP_201_CREATED,
    )
    async def add_synonym(self, data: JSONBody[DemoSynonym]) -> SynonymRead:
        return await service.add_synonym(data)

    @put("/synonyms/{synonym_id:int}", operation_id="saveSynonym", summary="Replace one synonym")
    async def save_synonym(
        self, synonym_id: SynonymIdParam, data: JSONBody[DemoSynonym]
    ) -> SynonymRead:
        return await service.save_synonym(synonym_id, data)

    @delete("/synonyms/{synonym_id:int}", operation_id="deleteSynonym", summary="Remove one")
    async def delete_synonym(self, synonym_id: SynonymIdParam) -> None:
        await service.remove_synonym(synonym_id)
