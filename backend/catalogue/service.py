"""Rules and queries of the procedure catalogue."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from backend.catalogue.schemas import (
    AgencyRead,
    ComponentRead,
    DemoCatalogue,
    FeeRead,
    ProcedurePage,
    ProcedureRead,
    ProcedureSummary,
)
from backend.catalogue.tables import Agency, Procedure, ProcedureComponent, ProcedureFee
from backend.db import write_transaction
from backend.errors import NotFound

DEMO_CATALOGUE = Path(__file__).with_name("demo_catalogue.json")
MAX_QUERY_LENGTH = 200
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, drop diacritics and fold đ to d: "Giấy phép" and "giay phep" match."""
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", plain).strip()


@dataclass(frozen=True, slots=True)
class SeedResult:
    agencies_added: int
    procedures_added: int


async def seed_demo(path: Path = DEMO_CATALOGUE) -> SeedResult:
    """Load the demo catalogue. Idempotent: rows already present (by code) are left
    as they are, so a second run changes nothing and an administrator's edits stay."""
    catalogue = msgspec.json.decode(await asyncio.to_thread(path.read_bytes), type=DemoCatalogue)
    now = dt.datetime.now(dt.UTC)
    agencies_added = procedures_added = 0
    async with write_transaction():
        known_agencies = {
            row["code"]: row["id"] for row in await Agency.select(Agency.id, Agency.code)
        }
        for agency in catalogue.agencies:
            if agency.code in known_agencies:
                continue
            rows = await Agency.insert(Agency(**msgspec.structs.asdict(agency))).returning(
                Agency.id
            )
            known_agencies[agency.code] = rows[0]["id"]
            agencies_added += 1
        known_procedures = {row["code"] for row in await Procedure.select(Procedure.code)}
        for item in catalogue.procedures:
            if item.code in known_procedures:
                continue
            fields = msgspec.structs.asdict(item)
            components = fields.pop("components")
            fees = fields.pop("fees")
            fields["agency"] = known_agencies[fields["agency"]]
            fields["search_text"] = fold(f"{item.name_vi} {item.field_vi} {item.code}")
            fields["updated_at"] = now
            rows = await Procedure.insert(Procedure(**fields)).returning(Procedure.id)
            procedure_id = rows[0]["id"]
            if components:
                await ProcedureComponent.insert(
                    *(
                        ProcedureComponent(
                            procedure=procedure_id, position=index, **msgspec.structs.asdict(c)
                        )
                        for index, c in enumerate(components)
                    )
                )
            if fees:
                await ProcedureFee.insert(
                    *(
                        ProcedureFee(
                            procedure=procedure_id, position=index, **msgspec.structs.asdict(f)
                        )
                        for index, f in enumerate(fees)
                    )
                )
            known_procedures.add(item.code)
            procedures_added += 1
    return SeedResult(agencies_added=agencies_added, procedures_added=procedures_added)


_SUMMARY_COLUMNS = (
    Procedure.code,
    Procedure.name_vi,
    Procedure.name_en,
    Procedure.field_vi,
    Procedure.field_en,
    Procedure.agency.code.as_alias("agency_code"),
    Procedure.level,
    Procedure.online_level,
    Procedure.processing_days,
)


async def list_procedures(
    *,
    q: str = "",
    level: str | None = None,
    online_level: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> ProcedurePage:
    """Procedures whose folded name or field contains every word typed, by name.

    A plain word filter until full-text search lands (issue 4)."""
    where: list[Any] = [
        Procedure.search_text.like(f"%{word}%") for word in fold(q[:MAX_QUERY_LENGTH]).split()
    ]
    if level:
        where.append(Procedure.level == level)
    if online_level:
        where.append(Procedure.online_level == online_level)
    query = Procedure.select(*_SUMMARY_COLUMNS).order_by(Procedure.name_vi)
    count = Procedure.count()
    for condition in where:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.limit(page_size).offset((page - 1) * page_size)
    return ProcedurePage(
        items=msgspec.convert(rows, list[ProcedureSummary]),
        total=await count,
        page=page,
        page_size=page_size,
    )


async def get_procedure(code: str) -> ProcedureRead:
    rows = (
        await Procedure.select(
            *Procedure.all_columns(exclude=[Procedure.agency]),
            Procedure.agency.code.as_alias("agency_code"),
            *Procedure.agency.all_columns(exclude=[Agency.id]),
        )
        .where(Procedure.code == code)
        .output(load_json=True)
    )
    if not rows:
        raise NotFound(
            f"Không tìm thấy thủ tục có mã {code}.",
            f"No procedure has the code {code}.",
            field="code",
        )
    row = rows[0]
    agency = {
        key.removeprefix("agency."): value
        for key, value in row.items()
        if key.startswith("agency.")
    }
    components = (
        await ProcedureComponent.select()
        .where(ProcedureComponent.procedure == row["id"])
        .order_by(ProcedureComponent.position)
    )
    fees = (
        await ProcedureFee.select()
        .where(ProcedureFee.procedure == row["id"])
        .order_by(ProcedureFee.position)
    )
    return msgspec.convert(
        {
            **row,
            "agency": agency,
            "components": components,
            "fees": fees,
        },
        ProcedureRead,
        strict=False,
    )


async def count_procedures() -> int:
    return int(await Procedure.count())


__all__ = [
    "AgencyRead",
    "ComponentRead",
    "FeeRead",
    "SeedResult",
    "count_procedures",
    "fold",
    "get_procedure",
    "list_procedures",
    "seed_demo",
]
