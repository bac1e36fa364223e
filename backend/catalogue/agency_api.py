"""The agencies' administrators' API: an agency's details, its counters and which
procedures it carries out (with its own note on each).

An agency's administrator ("admin") reaches their own agency only (another's is a 403
naming ``agency_code``); the province's catalogue administrator ("catalogue") any
agency (an unknown one is a 404). The officials of an agency are managed at
``/api/staff/officials`` (accounts), by its administrator only. The pages of
``agency_pages.py`` do the same through the same service, for a browser."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.catalogue import service
from backend.catalogue.agency_pages import AgencyAdminPages
from backend.catalogue.schemas import AgencyRead, CounterRead, ProcedureCodeParam

# Lenient, like a procedure's code: a code of the wrong form is refused or not found by
# the service, as an unknown one.
AgencyCodeParam = Annotated[str, PathParameter(max_length=32, description="e.g. 000.01.40.H56")]
CounterNumberParam = Annotated[int, PathParameter(ge=0, le=1_000_000)]


class AgencyAdminApi(Controller):
    path = "/api/admin/agencies"
    tags = ["agency administration"]
    guards = [require_staff("admin", "catalogue")]

    @get("", operation_id="listAdministeredAgencies", summary="The agencies I administer")
    async def agencies(self, principal: NamedDependency[Principal]) -> list[AgencyRead]:
        return await service.administered_agencies(principal)

    @get("/{agency_code:str}", operation_id="getAdministeredAgency", summary="One agency")
    async def agency(
        self, principal: NamedDependency[Principal], agency_code: AgencyCodeParam
    ) -> AgencyRead:
        return await service.administered_agency(principal, agency_code)

    @put(
        "/{agency_code:str}",
        operation_id="saveAgencyDetails",
        summary="The agency's address, opening hours and phone",
        status_code=HTTP_200_OK,
    )
    async def save_agency(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        data: JSONBody[service.AgencyDetails],
    ) -> AgencyRead:
        return await service.update_agency(principal, agency_code, data)

    # ---- counters

    @get("/{agency_code:str}/counters", operation_id="listAgencyCounters", summary="Counters")
    async def counters(
        self, principal: NamedDependency[Principal], agency_code: AgencyCodeParam
    ) -> list[CounterRead]:
        return await service.agency_counters(principal, agency_code)

    @post(
        "/{agency_code:str}/counters",
        operation_id="addAgencyCounter",
        summary="A new counter, with the procedures it receives (ones the agency carries out)",
    )
    async def add_counter(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        data: JSONBody[service.CounterCreate],
    ) -> CounterRead:
        return await service.add_counter(principal, agency_code, data)

    @get(
        "/{agency_code:str}/counters/{number:int}",
        operation_id="getAgencyCounter",
        summary="One counter",
    )
    async def counter(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        number: CounterNumberParam,
    ) -> CounterRead:
        return await service.agency_counter(principal, agency_code, number)

    @put(
        "/{agency_code:str}/counters/{number:int}",
        operation_id="saveAgencyCounter",
        summary="A counter's names and the procedures it receives",
        status_code=HTTP_200_OK,
    )
    async def save_counter(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        number: CounterNumberParam,
        data: JSONBody[service.CounterWrite],
    ) -> CounterRead:
        return await service.save_counter(principal, agency_code, number, data)

    @delete(
        "/{agency_code:str}/counters/{number:int}",
        operation_id="removeAgencyCounter",
        summary="Remove a counter (its printed QR posters stop working)",
    )
    async def remove_counter(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        number: CounterNumberParam,
    ) -> None:
        await service.remove_counter(principal, agency_code, number)

    # ---- procedures carried out

    @get(
        "/{agency_code:str}/procedures",
        operation_id="listAgencyProcedures",
        summary="The procedures the agency carries out, with its notes",
    )
    async def procedures(
        self, principal: NamedDependency[Principal], agency_code: AgencyCodeParam
    ) -> list[service.AgencyProcedure]:
        return await service.agency_procedures(principal, agency_code)

    @put(
        "/{agency_code:str}/procedures/{procedure_code:str}",
        operation_id="saveAgencyProcedure",
        summary="The agency carries out this procedure (of its level), with this note",
        status_code=HTTP_200_OK,
    )
    async def save_procedure(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        procedure_code: ProcedureCodeParam,
        data: JSONBody[service.ProvisionWrite],
    ) -> Response[service.AgencyProcedure]:
        added = await service.save_provision(principal, agency_code, procedure_code, data)
        item = await service.agency_procedure(principal, agency_code, procedure_code)
        return Response(item, status_code=HTTP_201_CREATED if added else HTTP_200_OK)

    @delete(
        "/{agency_code:str}/procedures/{procedure_code:str}",
        operation_id="removeAgencyProcedure",
        summary="The agency stops carrying out this procedure; its counters stop receiving it",
    )
    async def remove_procedure(
        self,
        principal: NamedDependency[Principal],
        agency_code: AgencyCodeParam,
        procedure_code: ProcedureCodeParam,
    ) -> None:
        await service.remove_provision(principal, agency_code, procedure_code)


AGENCY_ADMIN_HANDLERS = (AgencyAdminApi, AgencyAdminPages)
