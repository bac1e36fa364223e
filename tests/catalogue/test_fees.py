"""Fees computed on the server from the catalogue: which lines apply to a dossier's
answers, the online amount, copies; and the rules that keep a fee's condition and
quantity pointing at real questions of the procedure's form."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from backend.catalogue import service, transfer
from backend.catalogue.fees import MAX_QUANTITY, quantity_of
from backend.catalogue.schemas import DemoProcedure
from backend.catalogue.service import FeeLine, fee_lines, fees_total
from backend.db import Database


def fee(amount: int, online: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "le_phi",
        "label_vi": f"Lệ phí {amount}",
        "label_en": f"Charge {amount}",
        "amount": amount,
        "online_amount": online,
        **extra,
    }


def test_the_online_amount_applies_only_online() -> None:
    fees = [fee(135_000, 115_000), fee(50_000)]
    online = fee_lines(fees, "online", {})
    assert [(line.unit_amount, line.amount, line.full_amount) for line in online] == [
        (115_000, 115_000, 135_000),
        (50_000, 50_000, 50_000),
    ]
    assert fees_total(online) == 165_000
    counter = fee_lines(fees, "counter", {})
    assert [line.amount for line in counter] == [135_000, 50_000]
    assert fees_total(counter) == 185_000
    assert counter[0] == FeeLine(
        kind="le_phi",
        label_vi="Lệ phí 135000",
        label_en="Charge 135000",
        unit_amount=135_000,
        quantity=1,
        amount=135_000,
        full_amount=135_000,
    )


def test_an_online_amount_of_zero_exempts_online_submissions() -> None:
    fees = [fee(50_000, 0), fee(100_000, 100_000)]
    online = fee_lines(fees, "online", {})
    assert [(line.amount, line.full_amount) for line in online] == [(0, 50_000), (100_000, 100_000)]
    assert fees_total(online) == 100_000
    assert fees_total(fee_lines(fees, "counter", {})) == 150_000


def test_a_conditional_line_applies_only_when_its_answer_matches() -> None:
    fees = [
        fee(200_000, when={"field": "reduced", "equals": "khong"}),
        fee(100_000, when={"field": "reduced", "equals": "co"}),
    ]
    assert [line.amount for line in fee_lines(fees, "online", {"reduced": "khong"})] == [200_000]
    assert [line.amount for line in fee_lines(fees, "online", {"reduced": "co"})] == [100_000]
    assert fee_lines(fees, "online", {}) == []  # not answered: neither applies
    assert fee_lines(fees, "online", {"reduced": "maybe"}) == []
    # A FeeRead (as the catalogue returns it) works the same once turned into data.
    assert fee_lines(
        [msgspec.to_builtins(f) for f in [msgspec.convert(fees[1], service.FeeRead)]],
        "counter",
        {"reduced": "co"},
    ) == fee_lines([fees[1]], "counter", {"reduced": "co"})


def test_a_line_per_copy_multiplies_by_the_answer() -> None:
    fees = [fee(8_000, per_field="copies"), fee(5_000, 3_000, per_field="copies")]
    lines = fee_lines(fees, "online", {"copies": "3"})
    assert [(line.unit_amount, line.quantity, line.amount, line.full_amount) for line in lines] == [
        (8_000, 3, 24_000, 24_000),
        (3_000, 3, 9_000, 15_000),
    ]
    assert fees_total(lines) == 33_000
    assert [line.quantity for line in fee_lines(fees, "counter", {"copies": "2.0"})] == [2, 2]


@pytest.mark.parametrize(
    ("answer", "quantity"),
    [
        (None, 1),
        ("", 1),
        ("   ", 1),
        ("ba", 1),
        ("0", 1),
        ("-4", 1),
        ("2.5", 1),
        ("nan", 1),
        ("inf", 1),
        (" 4 ", 4),
        ("4,0", 4),
        ("1e9", MAX_QUANTITY),
    ],
)
def test_a_bad_quantity_counts_as_one(answer: str | None, quantity: int) -> None:
    answers = {} if answer is None else {"copies": answer}
    assert quantity_of("copies", answers) == quantity
    [line] = fee_lines([fee(8_000, per_field="copies")], "counter", answers)
    assert (line.quantity, line.amount) == (quantity, 8_000 * quantity)


def test_old_snapshots_without_the_new_keys_still_compute() -> None:
    old = [{"kind": "phi", "label_vi": "Phí", "label_en": "Fee", "amount": 10_000}]
    [line] = fee_lines(old, "online", {})
    assert (line.amount, line.quantity) == (10_000, 1)


async def test_the_demo_catalogue_prices_its_conditions_and_copies(database: Database) -> None:
    record = await service.get_procedure("2.000488")
    assert record.payment_stage == "result"
    fees = msgspec.to_builtins(record.fees)
    assert fees_total(fee_lines(fees, "online", {"reduced": "khong", "copies": "1"})) == 200_000
    assert fees_total(fee_lines(fees, "online", {"reduced": "co"})) == 100_000
    copies = msgspec.to_builtins((await service.get_procedure("2.000635")).fees)
    assert fees_total(fee_lines(copies, "counter", {"copies": "3"})) == 24_000
    licence = await service.get_procedure("1.002809")
    assert licence.payment_stage == "reception"
    assert fees_total(fee_lines(msgspec.to_builtins(licence.fees), "online", {})) == 115_000


def _with(**changes: Any) -> DemoProcedure:
    raw = msgspec.json.decode(service.DEMO_CATALOGUE.read_bytes())
    base = next(p for p in raw["procedures"] if p["code"] == "2.000488")
    return msgspec.convert({**base, **changes}, DemoProcedure)


def _reduced_fee(**extra: Any) -> dict[str, Any]:
    return fee(100_000, **extra)


@pytest.mark.parametrize(
    ("fee_changes", "vi", "en"),
    [
        (
            {"when": {"field": "student", "equals": "co"}},
            "Khoản thu 1: điều kiện nêu câu hỏi “student”",
            "Fee 1: the condition names the question “student”",
        ),
        (
            {"when": {"field": "reduced", "equals": "yes"}},
            "Khoản thu 1: câu hỏi “reduced” không có lựa chọn “yes”",
            "Fee 1: the question “reduced” has no answer “yes”",
        ),
        (
            {"per_field": "pages"},
            "Khoản thu 1: mẫu trực tuyến không có câu hỏi “pages”",
            "Fee 1: the online form has no question “pages”",
        ),
        (
            {"per_field": "purpose"},
            "Khoản thu 1: câu hỏi “purpose” không phải dạng số",
            "Fee 1: the question “purpose” is not a number",
        ),
    ],
)
async def test_a_fee_must_name_questions_of_the_form(
    database: Database, fee_changes: dict[str, Any], vi: str, en: str
) -> None:
    item = _with(fees=[_reduced_fee(**fee_changes)])
    errors = await transfer.check_procedure(item)
    assert [(e.section, e.field) for e in errors] == [("procedures", "fees")]
    assert errors[0].message("vi").startswith(vi) and errors[0].message("en").startswith(en)


async def test_good_conditions_and_quantities_pass(database: Database) -> None:
    item = _with(
        fees=[
            _reduced_fee(when={"field": "reduced", "equals": "co"}, per_field="copies"),
            # Any answer of a question that is not a choice is a valid condition.
            _reduced_fee(when={"field": "residence", "equals": "Hà Nội"}),
        ]
    )
    assert await transfer.check_procedure(item) == []


def test_a_payment_stage_is_reception_or_result() -> None:
    assert _with().payment_stage == "result"
    raw = msgspec.to_builtins(_with())
    del raw["payment_stage"]
    assert msgspec.convert(raw, DemoProcedure).payment_stage == "reception"
    with pytest.raises(msgspec.ValidationError, match="payment_stage"):
        msgspec.convert({**raw, "payment_stage": "later"}, DemoProcedure)
