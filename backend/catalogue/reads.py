"""Reading the catalogue: search and filters, one procedure in full, agencies and where
each procedure is carried out, the administrative units, the fields of work, and
counters with the procedures each receives."""

from __future__ import annotations

from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from backend.catalogue import search
from backend.catalogue.schemas import (
    AgencyRead,
    CounterBrief,
    CounterPlace,
    CounterRead,
    FieldOption,
    ProcedurePage,
    ProcedureRead,
    ProcedureSummary,
    ProvisionRead,
    UnitRead,
)
from backend.catalogue.search import MAX_QUERY_LENGTH, Filters
from backend.catalogue.tables import (
    Agency,
    Counter,
    FeeRule,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    Provision,
    Unit,
)
from backend.db.engine import active_engine
from backend.errors import InvalidInput, NotFound
from backend.i18n import N_

PAGE_SIZE = 20

_SUMMARY_COLUMNS = (
    Procedure.code,
    Procedure.name_vi,
    Procedure.name_en,
    Procedure.field_vi,
    Procedure.field_en,
    Procedure.level,
    Procedure.online_level,
    Procedure.processing_days,
    Procedure.anywhere,
)


async def _provided_by(agency_code: str) -> list[int]:
    """The ids of the procedures an agency carries out."""
    rows = await Provision.select(Provision.procedure).where(Provision.agency.code == agency_code)
    return [row["procedure"] for row in rows]


async def _filter_conditions(filters: Filters) -> list[Any]:
    where: list[Any] = []
    if filters.field is not None:
        where.append(Procedure.field_vi == filters.field)
    if filters.agency is not None:
        ids = await _provided_by(filters.agency)
        # Piccolo refuses an empty IN list: no procedure has id 0.
        where.append(Procedure.id.is_in(ids or [0]))
    if filters.level is not None:
        where.append(Procedure.level == filters.level)
    if filters.online_level is not None:
        where.append(Procedure.online_level == filters.online_level)
    return where


async def list_procedures(
    *,
    q: str = "",
    field: str | None = None,
    agency: str | None = None,
    level: str | None = None,
    online_level: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ProcedurePage:
    """Procedures matching the words typed (best first) and the filters; without
    words, every procedure matching the filters, by name.

    The items of a search may be shared with other callers: read them, never change them."""
    filters = Filters(field=field, agency=agency, level=level, online_level=online_level)
    if search.query_words(q):
        ranked = await search.search(active_engine(), q[:MAX_QUERY_LENGTH], filters)
        return ProcedurePage(
            items=ranked[(page - 1) * page_size : page * page_size],
            total=len(ranked),
            page=page,
            page_size=page_size,
        )
    query = Procedure.select(*_SUMMARY_COLUMNS).order_by(Procedure.name_vi)
    count = Procedure.count()
    for condition in await _filter_conditions(filters):
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.limit(page_size).offset((page - 1) * page_size)
    total = await count
    return ProcedurePage(
        items=msgspec.convert(rows, list[ProcedureSummary]),
        total=total,
        page=page,
        page_size=page_size,
    )


async def list_fields() -> list[FieldOption]:
    rows = (
        await Procedure.select(Procedure.field_vi, Procedure.field_en)
        .distinct()
        .order_by(Procedure.field_vi)
    )
    return msgspec.convert(rows, list[FieldOption])


async def list_agencies() -> list[AgencyRead]:
    rows = await Agency.select(*Agency.all_columns(exclude=[Agency.id])).order_by(Agency.code)
    return msgspec.convert(rows, list[AgencyRead])


async def get_agency(code: str) -> AgencyRead:
    rows = await Agency.select(*Agency.all_columns(exclude=[Agency.id])).where(Agency.code == code)
    if not rows:
        raise NotFound(N_("Không có cơ quan nào có mã %(code)s.", code=code), field="agency")
    return msgspec.convert(rows[0], AgencyRead)


async def get_procedure(code: str) -> ProcedureRead:
    rows = (
        await Procedure.select(*Procedure.all_columns())
        .where(Procedure.code == code)
        .output(load_json=True)
    )
    if not rows:
        raise NotFound(N_("Không tìm thấy thủ tục có mã %(code)s.", code=code), field="code")
    row = rows[0]
    components = (
        await ProcedureComponent.select()
        .where(ProcedureComponent.procedure == row["id"])
        .order_by(ProcedureComponent.position)
    )
    fees = (
        await ProcedureFee.select()
        .where(ProcedureFee.procedure == row["id"])
        .order_by(ProcedureFee.position)
        .output(load_json=True)
    )
    agencies = (
        await Provision.select(Provision.agency.code.as_alias("code"))
        .where(Provision.procedure == row["id"])
        .order_by(Provision.agency.code)
    )
    rules = (
        await FeeRule.select(*FeeRule.all_columns(exclude=[FeeRule.procedure]))
        .where(FeeRule.procedure == row["id"])
        .order_by(FeeRule.id)
        .output(load_json=True)
    )
    return msgspec.convert(
        {
            **row,
            "agency_codes": [agency["code"] for agency in agencies],
            "components": components,
            "fees": fees,
            "fee_rules": rules,
        },
        ProcedureRead,
        strict=False,
    )


async def agencies_of(code: str) -> list[AgencyRead]:
    """The agencies that carry out a procedure, by code."""
    rows = (
        await Provision.select(*Provision.agency.all_columns(exclude=[Agency.id]))
        .where(Provision.procedure.code == code)
        .order_by(Provision.agency.code)
    )
    return msgspec.convert(
        [{key.removeprefix("agency."): value for key, value in row.items()} for row in rows],
        list[AgencyRead],
    )


async def carries_out(agency_code: str, procedure_code: str) -> bool:
    return bool(
        await Provision.exists().where(
            Provision.agency.code == agency_code, Provision.procedure.code == procedure_code
        )
    )


def _not_carried_out(procedure_code: str, field: str) -> InvalidInput:
    return InvalidInput(
        N_("Cơ quan này không thực hiện thủ tục %(code)s.", code=procedure_code), field=field
    )


async def agency_for(
    procedure: ProcedureRead, agency_code: str | None, *, field: str = "agency_code"
) -> AgencyRead | None:
    """The agency a page or poster of the procedure is for: the one asked for (which
    must carry it out: else an error naming ``field``), or the only one there is; None
    when several carry it out and none was asked for."""
    if agency_code:
        if agency_code not in procedure.agency_codes:
            raise _not_carried_out(procedure.code, field)
        return await get_agency(agency_code)
    if len(procedure.agency_codes) == 1:
        return await get_agency(procedure.agency_codes[0])
    return None


async def provision(procedure_code: str, agency_code: str) -> ProvisionRead:
    """Where one agency carries out a procedure: the agency, its unit, its note and the
    counters that receive it. Raises, naming ``agency_code``, when it does not."""
    rows = await Provision.select(Provision.note_vi, Provision.note_en).where(
        Provision.agency.code == agency_code, Provision.procedure.code == procedure_code
    )
    if not rows:
        raise _not_carried_out(procedure_code, "agency_code")
    agency = await get_agency(agency_code)
    # Its own counters; for a province-level procedure also those of the other
    # province-level agencies that receive it for the agency.
    where = (
        Counter.agency.level == "province"
        if agency.level == "province"
        else Counter.agency.code == agency_code
    )
    rows_of_counters = (
        await Counter.select(
            Counter.number,
            Counter.name_vi,
            Counter.name_en,
            Counter.procedure_codes,
            Counter.agency.code.as_alias("agency_code"),
        )
        .where(where)
        .order_by(Counter.agency.code)
        .order_by(Counter.number)
        .output(load_json=True)
    )
    counters = [row for row in rows_of_counters if procedure_code in row["procedure_codes"]]
    others = {
        code: await get_agency(code)
        for code in {row["agency_code"] for row in counters} - {agency_code}
    }
    return ProvisionRead(
        agency=agency,
        unit=await find_unit(agency.unit_code),
        note_vi=rows[0]["note_vi"],
        note_en=rows[0]["note_en"],
        counters=[
            CounterBrief(
                number=row["number"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                at=others.get(row["agency_code"]),
            )
            for row in counters
        ],
    )


async def list_units() -> list[UnitRead]:
    """The province first, then its communes and wards by name."""
    rows = await Unit.select(*Unit.all_columns(exclude=[Unit.id])).order_by(Unit.name_vi)
    units = msgspec.convert(rows, list[UnitRead])
    return sorted(units, key=lambda unit: unit.kind != "province")


async def find_unit(code: str) -> UnitRead | None:
    if not code:
        return None
    rows = await Unit.select(*Unit.all_columns(exclude=[Unit.id])).where(Unit.code == code)
    return msgspec.convert(rows[0], UnitRead) if rows else None


async def procedure_exists(code: str) -> bool:
    return bool(await Procedure.exists().where(Procedure.code == code))


async def count_procedures() -> int:
    return int(await Procedure.count())


async def procedures_of_agency(agency_code: str) -> list[ProcedureRead]:
    """Every procedure an agency handles, in full, by code (for its posters)."""
    await get_agency(agency_code)
    rows = (
        await Provision.select(Provision.procedure.code.as_alias("code"))
        .where(Provision.agency.code == agency_code)
        .order_by(Provision.procedure.code)
    )
    return [await get_procedure(row["code"]) for row in rows]


async def get_counter(agency_code: str, number: int) -> CounterRead:
    rows = (
        await Counter.select(
            Counter.number, Counter.name_vi, Counter.name_en, Counter.procedure_codes
        )
        .where(Counter.agency.code == agency_code, Counter.number == number)
        .output(load_json=True)
    )
    if not rows:
        raise NotFound(N_("Quầy này không còn trong danh sách của cơ quan."), field="token")
    row = rows[0]
    codes: list[str] = row.pop("procedure_codes")
    procedures = (
        await Procedure.select(Procedure.id, *_SUMMARY_COLUMNS).where(Procedure.code.is_in(codes))
        if codes
        else []
    )
    procedures.sort(key=lambda item: codes.index(item["code"]))
    own = set(await _provided_by(agency_code))
    return msgspec.convert(
        {
            **row,
            "agency": await get_agency(agency_code),
            "procedures": procedures,
            "own_codes": [item["code"] for item in procedures if item["id"] in own],
        },
        CounterRead,
    )


async def counters_of(agency_code: str) -> list[CounterRead]:
    await get_agency(agency_code)
    rows = (
        await Counter.select(Counter.number)
        .where(Counter.agency.code == agency_code)
        .order_by(Counter.number)
    )
    return [await get_counter(agency_code, row["number"]) for row in rows]


async def counter_places() -> list[CounterPlace]:
    """Every counter of the province with what it receives, in one read."""
    rows = (
        await Counter.select(
            Counter.agency.code.as_alias("agency_code"),
            Counter.number,
            Counter.name_vi,
            Counter.name_en,
            Counter.procedure_codes,
        )
        .order_by(Counter.agency.code)
        .order_by(Counter.number)
        .output(load_json=True)
    )
    return msgspec.convert(rows, list[CounterPlace])


# ---- Figures for the leaders' dashboard ---------------------------------------------


async def agency_codes() -> list[str]:
    """The code of every agency of the catalogue (the province, for the figures)."""
    return [row["code"] for row in await Agency.select(Agency.code).order_by(Agency.code)]


async def procedures_by_level(agency_code: str | None = None) -> dict[str, int]:
    """How many procedures there are at each online level, at an agency (None: all)."""
    query = Procedure.select(Procedure.online_level, Count(Procedure.id, alias="n")).group_by(
        Procedure.online_level
    )
    if agency_code is not None:
        query = query.where(Procedure.id.is_in(await _provided_by(agency_code) or [0]))
    return {row["online_level"]: int(row["n"]) for row in await query}


async def procedure_codes_by_level() -> dict[str, list[str]]:
    """The codes of the procedures at each online level ("full", "partial", "info")."""
    rows = await Procedure.select(Procedure.code, Procedure.online_level).order_by(Procedure.code)
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["online_level"], []).append(row["code"])
    return found
