from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import PathParameter, QueryParameter

from backend.catalogue import service
from backend.catalogue.schemas import Level, OnlineLevel, ProcedurePage, ProcedureRead


class ProcedureApi(Controller):
    path = "/api/procedures"
    tags = ["catalogue"]

    @get("/", operation_id="listProcedures", summary="Search the procedure catalogue")
    async def list_procedures(
        self,
        q: Annotated[str, QueryParameter(name="q", max_length=service.MAX_QUERY_LENGTH)] = "",
        level: Annotated[Level | None, QueryParameter(name="level")] = None,
        online: Annotated[OnlineLevel | None, QueryParameter(name="online")] = None,
        page: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> ProcedurePage:
        return await service.list_procedures(q=q, level=level, online_level=online, page=page)

    @get("/{code:str}", operation_id="getProcedure", summary="One procedure, in full")
    async def get_procedure(
        self, code: Annotated[str, PathParameter(max_length=32)]
    ) -> ProcedureRead:
        return await service.get_procedure(code)
