from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from backend.catalogue import service
from backend.web.templates import page


class CataloguePages(Controller):
    include_in_schema = False

    @get("/thu-tuc", name="procedure-search")
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(name="q", max_length=service.MAX_QUERY_LENGTH)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
    ) -> Template:
        results = await service.list_procedures(q=q, page=page_number)
        return page(request, "catalogue/search.html", q=q, results=results)

    @get("/p/{code:str}", name="procedure")
    async def procedure(
        self,
        request: Request[Any, Any, Any],
        code: Annotated[str, PathParameter(max_length=32)],
    ) -> Template:
        return page(
            request, "catalogue/procedure.html", procedure=await service.get_procedure(code)
        )
