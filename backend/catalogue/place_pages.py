"""The procedure page's "where to file" part: the agency chosen (its address, hours,
the counters that receive the procedure, its note), or the choice among the agencies
that carry it out, found by typing a commune's name or suggested from the address the
person gave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from litestar.params import QueryParameter

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.catalogue import service
from backend.catalogue.schemas import Place, ProcedureRead, ProvisionRead
from backend.errors import InvalidInput
from backend.i18n import N_, Translatable

# The agency a page is for (``/p/{code}?co-quan=...``): posters' QR codes name it.
AgencyQuery = Annotated[str, QueryParameter(name="co-quan", max_length=32)]
# Up to this many places are listed before anything is typed; a province has 166.
LISTED_UNTYPED = 24


@dataclass(frozen=True, slots=True)
class WhereToFile:
    chosen: ProvisionRead | None
    # How many agencies carry the procedure out.
    count: int
    typed: str = ""
    places: list[Place] = field(default_factory=list)
    suggested: Place | None = None
    # What is wrong with the choice or the name typed, and which input it names.
    error: Translatable | None = None
    error_field: str = ""


async def where_to_file(
    procedure: ProcedureRead, agency_code: str, typed: str, principal: Principal | None
) -> WhereToFile:
    count = len(procedure.agency_codes)
    error: InvalidInput | None = None
    try:
        agency = await service.agency_for(procedure, agency_code)
    except InvalidInput as refused:
        agency, error = None, refused
    if agency is not None and error is None:
        return WhereToFile(chosen=await service.provision(procedure.code, agency.code), count=count)
    places = await service.places_for(procedure.code)
    typed = typed.strip()
    found = service.matching(places, typed) if typed else places
    if error is not None:
        return WhereToFile(None, count, typed, found, None, error.text, "co-quan")
    if typed and not found:
        return WhereToFile(
            None,
            count,
            typed,
            [],
            None,
            N_(
                "Không tìm thấy xã, phường nào tên “%(name)s” thực hiện thủ tục này. "
                "Hãy gõ lại tên, không cần dấu (ví dụ: nga an).",
                name=typed,
            ),
            "xa",
        )
    address = await accounts.home_address(principal) if principal is not None else ""
    return WhereToFile(
        chosen=None,
        count=count,
        typed=typed,
        places=found if typed or len(found) <= LISTED_UNTYPED else [],
        suggested=service.suggested(places, address) if address else None,
    )
