"""Where to file a procedure: the agencies that carry it out, found by the name of their
commune or ward typed without diacritics ("nga an", "hac thanh"), or suggested from the
address a person gave."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from backend.catalogue.schemas import AgencyRead, Place, UnitRead
from backend.catalogue.search import fold
from backend.catalogue.tables import Provision, Unit

# Words a person may type or leave out before a unit's own name.
_KIND_WORDS = frozenset({"xa", "phuong", "tinh", "thi", "tran", "ubnd", "uy", "ban", "nhan", "dan"})


async def places_for(procedure_code: str) -> list[Place]:
    """Every agency carrying out the procedure, with its unit: the province's
    departments first, then the communes and wards by name."""
    rows = await Provision.select(
        *Provision.agency.all_columns(exclude=[Provision.agency.id])
    ).where(Provision.procedure.code == procedure_code)
    agencies = msgspec.convert(
        [{key.removeprefix("agency."): value for key, value in row.items()} for row in rows],
        list[AgencyRead],
    )
    codes = sorted({agency.unit_code for agency in agencies if agency.unit_code})
    units = (
        {
            unit.code: unit
            for unit in msgspec.convert(
                await Unit.select(*Unit.all_columns(exclude=[Unit.id])).where(
                    Unit.code.is_in(codes)
                ),
                list[UnitRead],
            )
        }
        if codes
        else {}
    )
    found = [Place(agency=agency, unit=units.get(agency.unit_code)) for agency in agencies]
    return sorted(found, key=lambda place: (place.agency.level != "province", _name(place)))


def _name(place: Place) -> str:
    return fold(place.unit.name_vi if place.unit else place.agency.name_vi)


def _own_words(text: str) -> list[str]:
    return [word for word in fold(text).split() if word not in _KIND_WORDS]


def matching(places: Sequence[Place], typed: str) -> list[Place]:
    """The places whose unit or agency name holds every word typed (each word may be
    the start of one: "hac th" finds Hạc Thành)."""
    words = _own_words(typed) or fold(typed).split()
    if not words:
        return list(places)
    found = []
    for place in places:
        names = fold(place.agency.name_vi).split()
        if place.unit:
            names += fold(place.unit.name_vi).split()
        if all(any(name.startswith(word) for name in names) for word in words):
            found.append(place)
    return found


def suggested(places: Sequence[Place], address: str) -> Place | None:
    """The place whose commune or ward is named in the address, the longest name
    winning ("Nam Sầm Sơn" over "Sầm Sơn")."""
    spaced = f" {fold(address)} "
    best: tuple[int, Place] | None = None
    for place in places:
        if place.unit is None or place.unit.kind == "province":
            continue
        own = " ".join(_own_words(place.unit.name_vi))
        if own and f" {own} " in spaced and (best is None or len(own) > best[0]):
            best = (len(own), place)
    return best[1] if best else None
