"""The whole catalogue as a file: JSON (units, agencies, procedures, counters, search's
synonyms) or CSV (procedures, one a row), in the form an import reads back unchanged."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec

from backend.catalogue.schemas import DemoCatalogue
from backend.catalogue.tables import (
    Agency,
    Counter,
    FeeRule,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    Provision,
    Synonym,
    Unit,
)
from backend.catalogue.transfer.columns import CSV_COLUMNS, JSON_COLUMNS, guard


async def export_catalogue() -> DemoCatalogue:
    units = await Unit.select(*Unit.all_columns(exclude=[Unit.id])).order_by(Unit.code)
    agencies = await Agency.select(*Agency.all_columns(exclude=[Agency.id])).order_by(Agency.code)
    procedures = (
        await Procedure.select(
            *Procedure.all_columns(exclude=[Procedure.updated_at]),
        )
        .order_by(Procedure.code)
        .output(load_json=True)
    )
    provided: dict[int, list[str]] = {}
    for row in await Provision.select(
        Provision.procedure, Provision.agency.code.as_alias("code")
    ).order_by(Provision.agency.code):
        provided.setdefault(row["procedure"], []).append(row["code"])
    components: dict[int, list[dict[str, Any]]] = {}
    for row in await ProcedureComponent.select().order_by(ProcedureComponent.position):
        components.setdefault(row["procedure"], []).append(row)
    fees: dict[int, list[dict[str, Any]]] = {}
    for row in await ProcedureFee.select().order_by(ProcedureFee.position).output(load_json=True):
        fees.setdefault(row["procedure"], []).append(row)
    rules: dict[int, list[dict[str, Any]]] = {}
    for row in await FeeRule.select().order_by(FeeRule.id).output(load_json=True):
        rules.setdefault(row["procedure"], []).append(row)
    for procedure in procedures:
        procedure["fee_rules"] = rules.get(procedure["id"], [])
        procedure["components"] = components.get(procedure["id"], [])
        procedure["fees"] = fees.get(procedure["id"], [])
        procedure["agencies"] = provided.get(procedure["id"], [])
    counters = (
        await Counter.select(
            Counter.agency.code.as_alias("agency"),
            Counter.number,
            Counter.name_vi,
            Counter.name_en,
            Counter.procedure_codes.as_alias("procedures"),
        )
        .order_by(Counter.agency.code)
        .order_by(Counter.number)
        .output(load_json=True)
    )
    return msgspec.convert(
        {
            "province": {"name_vi": "", "name_en": "", "code": ""},
            "units": units,
            "agencies": agencies,
            "procedures": procedures,
            "counters": counters,
            "synonyms": await Synonym.select(Synonym.term, Synonym.replacement).order_by(
                Synonym.folded
            ),
        },
        DemoCatalogue,
        strict=False,
    )


def to_json(catalogue: DemoCatalogue) -> bytes:
    return msgspec.json.format(msgspec.json.encode(catalogue), indent=2)


def to_csv(catalogue: DemoCatalogue) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in catalogue.procedures:
        values = msgspec.structs.asdict(item)
        writer.writerow(
            {
                column: msgspec.json.encode(values[column]).decode()
                if column in JSON_COLUMNS
                else guard(str(values[column]))
                for column in CSV_COLUMNS
            }
        )
    # A BOM so that spreadsheet programs read the Vietnamese letters as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()
