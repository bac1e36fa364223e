"""Applying an import: every row checked first, then all of it written in one
transaction (new codes added, known codes replaced), or nothing at all. One procedure
saved by the administrators goes the same way, as a file of one row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from backend.catalogue import synonyms
from backend.catalogue.schemas import DemoComponent, DemoFee, DemoFeeRule, DemoProcedure
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
from backend.catalogue.transfer.checks import check_rows
from backend.catalogue.transfer.reading import parse, parse_units
from backend.catalogue.transfer.rows import FileFormat, ImportRejected, Parsed, RowError, RowErrors
from backend.db import write_transaction
from backend.errors import NotFound
from backend.i18n import N_


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    units_added: int = 0
    units_updated: int = 0
    agencies_added: int
    agencies_updated: int
    procedures_added: int
    procedures_updated: int
    counters_added: int
    counters_updated: int
    synonyms_added: int = 0
    synonyms_updated: int = 0


async def import_catalogue(data: bytes, fmt: FileFormat) -> ImportResult:
    """Import a file: all of it, or ``ImportRejected`` naming each bad row."""
    errors = RowErrors()
    return await _apply(parse(data, fmt, errors), errors)


async def import_units(data: bytes, fmt: FileFormat) -> ImportResult:
    """Import a file of administrative units (new codes added, known codes replaced):
    all of it, or ``ImportRejected`` naming each bad row."""
    errors = RowErrors()
    return await _apply(parse_units(data, fmt, errors), errors)


async def save_procedure(item: DemoProcedure, *, new: bool = False) -> bool:
    """Create or replace one procedure, by the rules of an import; ``new``: a code
    already in use is refused rather than replaced (a form that adds a procedure must
    not overwrite another). True when it was created."""
    one = Parsed(agencies=[], procedures=[(1, item)], counters=[])
    result = await _apply(one, RowErrors(), new=new)
    return result.procedures_added == 1


async def check_procedure(item: DemoProcedure, *, new: bool = False) -> list[RowError]:
    """What the rules of an import find wrong with one procedure; nothing is written."""
    errors = RowErrors()
    one = Parsed(agencies=[], procedures=[(1, item)], counters=[])
    check_rows(one, await _levels(), {}, errors)
    if new:
        await _check_new_codes(one, errors)
    return errors.items


async def delete_procedure(code: str) -> None:
    """Remove a procedure with its documents and fees (counters keep no dangling link:
    they list codes, and a code no longer known is simply not shown)."""
    async with write_transaction():
        rows = await Procedure.delete().where(Procedure.code == code).returning(Procedure.id)
    if not rows:
        raise NotFound(N_("Không tìm thấy thủ tục có mã %(code)s.", code=code), field="code")


async def _levels() -> dict[str, str]:
    return {row["code"]: row["level"] for row in await Agency.select(Agency.code, Agency.level)}


async def _check_new_codes(parsed: Parsed, errors: RowErrors) -> None:
    codes = [item.code for _, item in parsed.procedures]
    if not codes:
        return
    taken = {
        row["code"]
        for row in await Procedure.select(Procedure.code).where(Procedure.code.is_in(codes))
    }
    for row, item in parsed.procedures:
        if item.code in taken:
            errors.add(
                row,
                "procedures",
                "code",
                N_("Đã có thủ tục mang mã %(code)s; hãy sửa thủ tục đó.", code=item.code),
            )


async def _apply(parsed: Parsed | None, errors: RowErrors, *, new: bool = False) -> ImportResult:
    if parsed is None:
        raise ImportRejected(errors.items)
    async with write_transaction():
        # Read inside the transaction: the rows are checked against what they will join.
        agencies = {
            row["code"]: (row["id"], row["level"])
            for row in await Agency.select(Agency.id, Agency.code, Agency.level)
        }
        units = {row["code"]: row["kind"] for row in await Unit.select(Unit.code, Unit.kind)}
        check_rows(parsed, {code: level for code, (_, level) in agencies.items()}, units, errors)
        for row, field, text in synonyms.file_problems([entry for _, entry in parsed.synonyms]):
            errors.add(parsed.synonyms[row][0], "synonyms", field, text)
        if new:
            await _check_new_codes(parsed, errors)
        if errors:
            raise ImportRejected(errors.items)
        return await _write(parsed, {code: ids for code, (ids, _) in agencies.items()})


async def _write(parsed: Parsed, agency_ids: dict[str, int]) -> ImportResult:
    now = dt.datetime.now(dt.UTC)
    known_units = {row["code"] for row in await Unit.select(Unit.code)}
    units_added = units_updated = 0
    for _, unit in parsed.units:
        values: dict[Any, Any] = msgspec.structs.asdict(unit)
        if unit.code in known_units:
            await Unit.update(values).where(Unit.code == unit.code)
            units_updated += 1
        else:
            await Unit.insert(Unit(**values))
            units_added += 1
    agencies_added = agencies_updated = 0
    for _, agency in parsed.agencies:
        values = dict(msgspec.structs.asdict(agency))
        if agency.code in agency_ids:
            await Agency.update(values).where(Agency.code == agency.code)
            agencies_updated += 1
        else:
            rows = await Agency.insert(Agency(**values)).returning(Agency.id)
            agency_ids[agency.code] = rows[0]["id"]
            agencies_added += 1
    existing = {
        row["code"]: row["id"] for row in await Procedure.select(Procedure.id, Procedure.code)
    }
    procedures_added = procedures_updated = 0
    for _, item in parsed.procedures:
        if item.code in existing:
            await _replace_procedure(existing[item.code], item, agency_ids, now)
            procedures_updated += 1
        else:
            await insert_procedure(item, agency_ids, now)
            procedures_added += 1
    counters = {
        (row["agency"], row["number"]): row["id"]
        for row in await Counter.select(Counter.id, Counter.agency, Counter.number)
    }
    counters_added = counters_updated = 0
    for _, counter in parsed.counters:
        agency_id = agency_ids[counter.agency]
        values = {
            "name_vi": counter.name_vi,
            "name_en": counter.name_en,
            "procedure_codes": counter.procedures,
        }
        if (agency_id, counter.number) in counters:
            await Counter.update(values).where(Counter.id == counters[(agency_id, counter.number)])
            counters_updated += 1
        else:
            await Counter.insert(Counter(agency=agency_id, number=counter.number, **values))
            counters_added += 1
    synonyms_added, synonyms_updated = await synonyms.put_all(
        [entry for _, entry in parsed.synonyms]
    )
    return ImportResult(
        units_added=units_added,
        units_updated=units_updated,
        agencies_added=agencies_added,
        agencies_updated=agencies_updated,
        procedures_added=procedures_added,
        procedures_updated=procedures_updated,
        counters_added=counters_added,
        counters_updated=counters_updated,
        synonyms_added=synonyms_added,
        synonyms_updated=synonyms_updated,
    )


async def insert_procedure(
    item: DemoProcedure, agency_ids: Mapping[str, int], now: dt.datetime
) -> int:
    """Insert one procedure with its documents, fees and the agencies carrying it out
    (``agency_ids``: the id of each agency code), inside the caller's write transaction
    (the demo data and the benchmarks load procedures this way too)."""
    fields = msgspec.structs.asdict(item)
    components: list[DemoComponent] = fields.pop("components")
    fees: list[DemoFee] = fields.pop("fees")
    rules: list[DemoFeeRule] = fields.pop("fee_rules") or []
    del fields["agencies"]
    fields.update(updated_at=now, form_fields=msgspec.to_builtins(item.form_fields))
    rows = await Procedure.insert(Procedure(**fields)).returning(Procedure.id)
    procedure_id: int = rows[0]["id"]
    await _insert_parts(procedure_id, components, fees, rules)
    await Provision.insert(
        *(Provision(procedure=procedure_id, agency=agency_ids[code]) for code in item.agencies)
    )
    return procedure_id


async def _replace_procedure(
    procedure_id: int, item: DemoProcedure, agency_ids: Mapping[str, int], now: dt.datetime
) -> None:
    values: dict[Any, Any] = msgspec.structs.asdict(item)
    components: list[DemoComponent] = values.pop("components")
    fees: list[DemoFee] = values.pop("fees")
    rules: list[DemoFeeRule] | None = values.pop("fee_rules")
    del values["agencies"]
    values.update(updated_at=now, form_fields=msgspec.to_builtins(item.form_fields))
    await Procedure.update(values).where(Procedure.id == procedure_id)
    await ProcedureComponent.delete().where(ProcedureComponent.procedure == procedure_id)
    await ProcedureFee.delete().where(ProcedureFee.procedure == procedure_id)
    await _insert_parts(procedure_id, components, fees, ())
    # Rules saved unchanged keep their rows (and ids: an open edit page of one still
    # works after the procedure's own form is saved); a file without rules keeps them.
    stored = (
        await FeeRule.select(*FeeRule.all_columns(exclude=[FeeRule.id, FeeRule.procedure]))
        .where(FeeRule.procedure == procedure_id)
        .order_by(FeeRule.id)
        .output(load_json=True)
    )
    if rules is not None and msgspec.convert(stored, list[DemoFeeRule]) != rules:
        await FeeRule.delete().where(FeeRule.procedure == procedure_id)
        await _insert_parts(procedure_id, (), (), rules)
    # The agencies still listed keep their provision (and the note their administrator
    # wrote); the others stop carrying it out.
    wanted = {agency_ids[code] for code in item.agencies}
    kept = {
        row["agency"]
        for row in await Provision.select(Provision.agency).where(
            Provision.procedure == procedure_id
        )
    }
    if kept - wanted:
        await Provision.delete().where(
            Provision.procedure == procedure_id, Provision.agency.is_in(list(kept - wanted))
        )
    if wanted - kept:
        await Provision.insert(
            *(Provision(procedure=procedure_id, agency=agency) for agency in sorted(wanted - kept))
        )


async def _insert_parts(
    procedure_id: int,
    components: Sequence[DemoComponent],
    fees: Sequence[DemoFee],
    rules: Sequence[DemoFeeRule],
) -> None:
    if components:
        await ProcedureComponent.insert(
            *(
                ProcedureComponent(
                    procedure=procedure_id, position=index, **msgspec.structs.asdict(component)
                )
                for index, component in enumerate(components)
            )
        )
    if fees:
        await ProcedureFee.insert(
            *(
                ProcedureFee(procedure=procedure_id, position=index, **_fee_values(fee))
                for index, fee in enumerate(fees)
            )
        )
    if rules:
        await FeeRule.insert(
            *(FeeRule(procedure=procedure_id, **rule_values(rule)) for rule in rules)
        )


def rule_values(rule: DemoFeeRule) -> dict[str, Any]:
    """A rule's columns (its channels as a JSON list)."""
    values = msgspec.structs.asdict(rule)
    values["channels"] = list(rule.channels)
    values.pop("id", None)  # a FeeRuleRead's
    return values


def _fee_values(fee: DemoFee) -> dict[str, Any]:
    values = msgspec.structs.asdict(fee)
    values["when"] = None if fee.when is None else msgspec.to_builtins(fee.when)
    return values
