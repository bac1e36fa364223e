"""The fee rules of a procedure as its administrators keep them: list, add, change,
remove, one rule at a time. A rule is checked against the procedure it belongs to (its
fee lines, the agencies carrying it out) by the same rules as an import
(``transfer.checks.rule_problems``), inside the transaction that writes it."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.catalogue.schemas import DemoFeeRule, FeeRuleRead
from backend.catalogue.tables import FeeRule, Procedure, ProcedureFee, Provision
from backend.catalogue.transfer.applying import rule_values
from backend.catalogue.transfer.checks import rule_problems
from backend.db import write_transaction
from backend.errors import FieldProblem, InvalidInput, NotFound
from backend.i18n import N_


async def _procedure_id(code: str) -> int:
    rows = await Procedure.select(Procedure.id).where(Procedure.code == code)
    if not rows:
        raise NotFound(N_("Không tìm thấy thủ tục có mã %(code)s.", code=code), field="code")
    return int(rows[0]["id"])


async def _check(procedure_id: int, rule: DemoFeeRule) -> None:
    """Refuse the rule, naming each field, when it does not fit the procedure."""
    fees = await ProcedureFee.count().where(ProcedureFee.procedure == procedure_id)
    agencies = await Provision.select(Provision.agency.code.as_alias("code")).where(
        Provision.procedure == procedure_id
    )
    problems = [
        FieldProblem(field, text)
        for field, text in rule_problems(rule, fees, [row["code"] for row in agencies])
    ]
    if problems:
        raise InvalidInput(problems=problems)


async def fee_rules_of(code: str) -> list[FeeRuleRead]:
    procedure_id = await _procedure_id(code)
    rows = await (
        FeeRule.select(*FeeRule.all_columns(exclude=[FeeRule.procedure]))
        .where(FeeRule.procedure == procedure_id)
        .order_by(FeeRule.id)
        .output(load_json=True)
    )
    return msgspec.convert(rows, list[FeeRuleRead])


async def fee_rule(code: str, rule_id: int) -> FeeRuleRead:
    for rule in await fee_rules_of(code):
        if rule.id == rule_id:
            return rule
    raise NotFound(N_("Thủ tục này không có quy tắc thu đó."), field="rule")


async def add_fee_rule(code: str, rule: DemoFeeRule) -> FeeRuleRead:
    async with write_transaction():
        procedure_id = await _procedure_id(code)
        await _check(procedure_id, rule)
        rows = await FeeRule.insert(FeeRule(procedure=procedure_id, **rule_values(rule))).returning(
            FeeRule.id
        )
    return await fee_rule(code, int(rows[0]["id"]))


async def save_fee_rule(code: str, rule_id: int, rule: DemoFeeRule) -> FeeRuleRead:
    async with write_transaction():
        procedure_id = await _procedure_id(code)
        await _check(procedure_id, rule)
        values: dict[Any, Any] = rule_values(rule)
        rows = (
            await FeeRule.update(values)
            .where(FeeRule.id == rule_id, FeeRule.procedure == procedure_id)
            .returning(FeeRule.id)
        )
    if not rows:
        raise NotFound(N_("Thủ tục này không có quy tắc thu đó."), field="rule")
    return await fee_rule(code, rule_id)


async def remove_fee_rule(code: str, rule_id: int) -> None:
    async with write_transaction():
        procedure_id = await _procedure_id(code)
        rows = (
            await FeeRule.delete()
            .where(FeeRule.id == rule_id, FeeRule.procedure == procedure_id)
            .returning(FeeRule.id)
        )
    if not rows:
        raise NotFound(N_("Thủ tục này không có quy tắc thu đó."), field="rule")
