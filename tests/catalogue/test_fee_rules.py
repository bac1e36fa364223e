"""Fee rules as data: an agency's base fee, reductions and waivers by channel and period,
exemptions by applicant group; how they combine (base first, then the single most
favourable reduction); the rules the catalogue refuses; the demo's Thanh Hóa waiver;
and the rules carried through a file export and import."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from backend.catalogue import service, transfer
from backend.catalogue.fees import ONLINE_RATE_VI
from backend.catalogue.schemas import DemoFeeRule, DemoProcedure
from backend.catalogue.service import fee_lines, fees_total, groups_for
from backend.db import Database
from backend.errors import InvalidInput, NotFound

AGENCY, OTHER = "000.01.40.H56", "000.02.40.H56"  # two wards' People's Committees
START, END = dt.date(2025, 6, 24), dt.date(2025, 12, 31)
BEFORE, DURING, AFTER = dt.date(2025, 6, 23), dt.date(2025, 9, 1), dt.date(2026, 1, 1)
CHANNELS = ("online", "counter", "post", "assisted")


def fee(amount: int, online: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "le_phi",
        "label_vi": f"Lệ phí {amount}",
        "label_en": f"Charge {amount}",
        "amount": amount,
        "online_amount": online,
        **extra,
    }


def rule(**fields: Any) -> dict[str, Any]:
    return {"label_vi": "Lý do", "label_en": "Reason", **fields}


WAIVER = rule(
    percent=100,
    channels=["online", "assisted"],
    valid_from=START.isoformat(),
    valid_to=END.isoformat(),
    label_vi="Miễn 100% khi nộp trực tuyến",
    label_en="Waived online",
    basis="Nghị quyết 12/2025/NQ-HĐND",
)
POOR = rule(percent=100, group="ho_ngheo", label_vi="Miễn cho hộ nghèo", label_en="Poor")


def amounts(rules: list[Any], channel: str, on: dt.date, **kw: Any) -> list[int]:
    lines = fee_lines([fee(15_000)], channel, {}, rules=rules, on=on, **kw)
    return [line.amount for line in lines]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("on", "in_period"),
    [(BEFORE, False), (START, True), (DURING, True), (END, True), (AFTER, False)],
)
def test_a_waiver_applies_on_its_channels_within_its_period(
    channel: str, on: dt.date, in_period: bool
) -> None:
    waived = in_period and channel in ("online", "assisted")
    assert amounts([WAIVER], channel, on) == [0 if waived else 15_000]


@pytest.mark.parametrize(
    ("period", "on", "applies"),
    [
        ({"valid_from": START.isoformat()}, BEFORE, False),
        ({"valid_from": START.isoformat()}, dt.date(2099, 1, 1), True),
        ({"valid_to": END.isoformat()}, dt.date(2000, 1, 1), True),
        ({"valid_to": END.isoformat()}, AFTER, False),
        ({}, AFTER, True),
    ],
)
def test_either_end_of_a_period_may_be_open(
    period: dict[str, str], on: dt.date, applies: bool
) -> None:
    half = rule(percent=50, **period)
    assert amounts([half], "counter", on) == [7_500 if applies else 15_000]


@pytest.mark.parametrize(
    ("declared", "paid"),
    [
        ("", 15_000),  # nothing declared: the base
        ("ho_ngheo", 0),  # declared, and this fee exempts the group
        ("khuyet_tat", 15_000),  # declared, but no rule of this fee exempts it
        ("nonsense", 15_000),
    ],
)
@pytest.mark.parametrize("channel", CHANNELS)
def test_an_exemption_needs_its_group_declared(channel: str, declared: str, paid: int) -> None:
    assert amounts([POOR], channel, DURING, group=declared) == [paid]


@pytest.mark.parametrize(
    ("dossier_agency", "paid"), [(AGENCY, 10_000), (OTHER, 15_000), ("", 15_000)]
)
def test_an_agency_rule_applies_only_to_that_agency(dossier_agency: str, paid: int) -> None:
    base = rule(amount=10_000, agency_code=AGENCY)
    [line] = fee_lines([fee(15_000)], "counter", {}, rules=[base], agency_code=dossier_agency)
    # The agency's base is its full amount: no reduction is shown.
    assert (line.amount, line.full_amount, line.rule_vi) == (paid, paid, "")
    cut = rule(percent=50, agency_code=AGENCY)
    assert amounts([cut], "counter", DURING, agency_code=dossier_agency) == [
        7_500 if dossier_agency == AGENCY else 15_000
    ]


def test_the_agencys_own_base_wins_then_the_newest_tariff() -> None:
    rules = [
        rule(amount=12_000),  # every agency, always
        rule(amount=11_000, valid_from="2025-01-01"),  # every agency, newer
        rule(amount=9_000, agency_code=AGENCY, valid_to="2024-12-31"),  # expired
    ]
    assert amounts(rules, "counter", DURING, agency_code=AGENCY) == [11_000]
    rules.append(rule(amount=13_000, agency_code=AGENCY))
    assert amounts(rules, "counter", DURING, agency_code=AGENCY) == [13_000]
    assert amounts(rules, "counter", DURING, agency_code=OTHER) == [11_000]


def test_reductions_do_not_stack_the_most_favourable_wins() -> None:
    half = rule(percent=50, label_vi="Giảm 50%", label_en="Half")
    fees = [fee(20_000, 18_000)]
    [line] = fee_lines(fees, "counter", {}, rules=[half, WAIVER], on=DURING)
    assert (line.amount, line.full_amount, line.rule_vi) == (10_000, 20_000, "Giảm 50%")
    [line] = fee_lines(fees, "online", {}, rules=[half, WAIVER], on=DURING)
    assert (line.amount, line.rule_vi, line.rule_en) == (
        0,
        "Miễn 100% khi nộp trực tuyến – Nghị quyết 12/2025/NQ-HĐND",
        "Waived online – Nghị quyết 12/2025/NQ-HĐND",
    )
    # The line's own online amount counts as a reduction: here it beats 10%.
    tenth = rule(percent=10)
    [line] = fee_lines(fees, "online", {}, rules=[tenth], on=DURING)
    assert (line.amount, line.rule_vi) == (18_000, ONLINE_RATE_VI)
    # Reduced from the agency's base, not the catalogue's amount.
    base = rule(amount=30_000, agency_code=AGENCY)
    [line] = fee_lines(fees, "counter", {}, rules=[base, half], on=DURING, agency_code=AGENCY)
    assert (line.amount, line.full_amount) == (15_000, 30_000)


def test_on_a_tie_the_rule_needing_no_evidence_is_shown() -> None:
    for rules in ([POOR, WAIVER], [WAIVER, POOR]):
        [line] = fee_lines([fee(15_000)], "online", {}, rules=rules, on=DURING, group="ho_ngheo")
        assert line.amount == 0 and line.rule_vi.startswith("Miễn 100% khi nộp trực tuyến")


def test_a_rule_concerns_one_line_or_every_line() -> None:
    fees = [fee(50_000), fee(100_000)]
    second = rule(percent=100, position=1)
    assert [line.amount for line in fee_lines(fees, "counter", {}, rules=[second], on=DURING)] == [
        50_000,
        0,
    ]
    every = rule(percent=50)
    assert [line.amount for line in fee_lines(fees, "counter", {}, rules=[every], on=DURING)] == [
        25_000,
        50_000,
    ]


def test_quantities_and_conditions_still_work_with_rules() -> None:
    fees = [
        fee(8_000, per_field="copies"),
        fee(200_000, when={"field": "reduced", "equals": "khong"}),
        fee(100_000, when={"field": "reduced", "equals": "co"}),
    ]
    half = rule(percent=50, position=0)
    poor = rule(percent=100, position=2, group="ho_ngheo")
    answers = {"copies": "3", "reduced": "co"}
    lines = fee_lines(fees, "counter", answers, rules=[half, poor], on=DURING, group="ho_ngheo")
    assert [(line.unit_amount, line.quantity, line.amount, line.full_amount) for line in lines] == [
        (4_000, 3, 12_000, 24_000),
        (0, 1, 0, 100_000),
    ]
    assert fees_total(lines) == 12_000


def test_rules_as_structs_and_as_a_snapshot_agree() -> None:
    structs = [msgspec.convert(r, DemoFeeRule) for r in (WAIVER, POOR)]
    snapshot = msgspec.to_builtins(structs)
    assert isinstance(snapshot[0]["valid_from"], str)
    for channel in CHANNELS:
        for group in ("", "ho_ngheo"):
            assert fee_lines(
                [fee(15_000)], channel, {}, rules=structs, on=DURING, group=group
            ) == fee_lines([fee(15_000)], channel, {}, rules=snapshot, on=DURING, group=group)


def test_without_rules_nothing_changes() -> None:
    [online, plain] = fee_lines([fee(135_000, 115_000), fee(50_000)], "online", {})
    assert (online.amount, online.full_amount, online.rule_vi) == (115_000, 135_000, ONLINE_RATE_VI)
    assert (plain.amount, plain.rule_vi, plain.rule_en) == (50_000, "", "")
    [counter] = fee_lines([fee(135_000, 115_000)], "counter", {})
    assert (counter.amount, counter.rule_vi) == (135_000, "")


def test_the_groups_an_applicant_may_declare() -> None:
    rules = [
        POOR,
        rule(percent=100, group="khuyet_tat", agency_code=OTHER),
        rule(percent=100, group="tre_em", valid_to="2024-12-31"),
        rule(percent=100, group="nguoi_co_cong", channels=["counter"]),
        rule(percent=0, group="nguoi_cao_tuoi"),  # reduces nothing: nothing to declare
        WAIVER,
    ]
    codes = [g.code for g in groups_for(rules, AGENCY, DURING)]
    assert codes == ["nguoi_co_cong", "ho_ngheo"]
    assert [g.code for g in groups_for(rules, AGENCY, DURING, channel="online")] == ["ho_ngheo"]
    assert [g.code for g in groups_for(rules, OTHER, DURING)] == [
        "nguoi_co_cong",
        "ho_ngheo",
        "khuyet_tat",
    ]
    poor = service.APPLICANT_GROUPS["ho_ngheo"]
    assert poor.evidence_vi and poor.evidence_en and poor.basis


# ---- Rules the catalogue refuses ------------------------------------------------------


def _demo(code: str) -> DemoProcedure:
    raw = msgspec.json.decode(service.DEMO_CATALOGUE.read_bytes())
    return msgspec.convert(next(p for p in raw["procedures"] if p["code"] == code), DemoProcedure)


BAD_RULES = [
    ({"percent": 101}, "percent", "Tỷ lệ giảm phải từ 0 đến 100", "between 0 and 100"),
    ({"percent": -5}, "percent", "Tỷ lệ giảm phải từ 0 đến 100", "between 0 and 100"),
    (
        {"percent": 50, "valid_from": "2025-07-01", "valid_to": "2025-06-30"},
        "valid_to",
        "Ngày hết hiệu lực không được trước ngày bắt đầu",
        "cannot be before",
    ),
    ({"percent": 50, "channels": ["fax"]}, "channels", "Không có kênh nộp “fax”", "“fax”"),
    ({"percent": 50, "group": "sinh_vien"}, "group", "nhóm đối tượng “sinh_vien”", "“sinh_vien”"),
    (
        {"percent": 50, "agency_code": "000.00.16.H56"},
        "agency_code",
        "Cơ quan 000.00.16.H56 không thực hiện thủ tục này",
        "does not carry out",
    ),
    ({"percent": 50, "position": 1}, "position", "không có khoản thu thứ 2", "no fee line 2"),
    ({}, "amount", "hoặc mức thu riêng, hoặc tỷ lệ giảm", "either"),
    ({"percent": 50, "amount": 1_000}, "amount", "hoặc mức thu riêng", "either"),
    ({"amount": -1}, "amount", "Mức thu không được âm", "negative"),
    ({"amount": 5_000, "channels": ["online"]}, "amount", "hãy dùng tỷ lệ giảm", "reduction"),
    ({"percent": 50, "label_en": " "}, "label_en", "tiếng Việt và tiếng Anh", "Vietnamese and"),
]


@pytest.mark.parametrize(("fields", "part", "vi", "en"), BAD_RULES)
async def test_an_import_refuses_a_bad_rule(
    database: Database, fields: dict[str, Any], part: str, vi: str, en: str
) -> None:
    item = _demo("1.004873")
    item.fee_rules = [msgspec.convert(rule(**fields), DemoFeeRule)]
    errors = await transfer.check_procedure(item)
    assert [(e.field, e.entry, e.part) for e in errors] == [("fee_rules", 0, part)]
    assert vi in errors[0].message("vi") and en in errors[0].message("en")
    assert errors[0].name == f"procedures[1].fee_rules[0].{part}"


# ---- The administrators' service, on the database ------------------------------------

CODE = "9.600001"


@pytest.fixture
async def procedure(database: Database) -> Any:
    item = _demo("1.004873")
    item.code, item.fee_rules = CODE, []
    await service.save_procedure(item, new=True)
    yield item
    await service.delete_procedure(CODE)


async def test_an_administrator_adds_changes_and_removes_rules(procedure: DemoProcedure) -> None:
    waiver = msgspec.convert(WAIVER, DemoFeeRule)
    added = await service.add_fee_rule(CODE, waiver)
    assert added.id > 0 and added.valid_from == START and added.channels == ["online", "assisted"]
    base = msgspec.convert(rule(amount=12_000, agency_code=AGENCY), DemoFeeRule)
    second = await service.add_fee_rule(CODE, base)
    stored = await service.get_procedure(CODE)
    assert [r.id for r in stored.fee_rules] == [added.id, second.id]
    snapshot = msgspec.to_builtins(stored.fee_rules)
    fees = msgspec.to_builtins(stored.fees)
    assert (
        fees_total(fee_lines(fees, "counter", {}, rules=snapshot, on=DURING, agency_code=AGENCY))
        == 12_000
    )
    assert fees_total(fee_lines(fees, "online", {}, rules=snapshot, on=DURING)) == 0

    changed = msgspec.convert(rule(percent=50, channels=["online"]), DemoFeeRule)
    saved = await service.save_fee_rule(CODE, added.id, changed)
    assert (saved.id, saved.percent, saved.valid_from) == (added.id, 50, None)
    await service.remove_fee_rule(CODE, second.id)
    assert [r.id for r in await service.fee_rules_of(CODE)] == [added.id]
    with pytest.raises(NotFound):
        await service.remove_fee_rule(CODE, second.id)
    with pytest.raises(NotFound):
        await service.save_fee_rule("2.000635", added.id, changed)  # another procedure's


@pytest.mark.parametrize(("fields", "part", "vi", "en"), BAD_RULES)
async def test_the_service_refuses_a_bad_rule_and_keeps_nothing(
    procedure: DemoProcedure, fields: dict[str, Any], part: str, vi: str, en: str
) -> None:
    bad = msgspec.convert(rule(**fields), DemoFeeRule)
    with pytest.raises(InvalidInput) as refused:
        await service.add_fee_rule(CODE, bad)
    [problem] = refused.value.problems
    assert problem.field == part
    assert vi in problem.message.render("vi") and en in problem.message.render("en")
    assert await service.fee_rules_of(CODE) == []


async def test_a_procedure_saved_again_keeps_the_rules_it_carries(
    procedure: DemoProcedure,
) -> None:
    await service.add_fee_rule(CODE, msgspec.convert(POOR, DemoFeeRule))
    item = procedure
    item.fee_rules = [msgspec.convert(WAIVER, DemoFeeRule)]
    await service.save_procedure(item)
    [kept] = (await service.get_procedure(CODE)).fee_rules
    assert (kept.percent, kept.channels, kept.group) == (100, ["online", "assisted"], "")


# ---- The demo catalogue and files -----------------------------------------------------


async def test_the_demo_waives_the_provinces_fees_online(database: Database) -> None:
    marital = await service.get_procedure("1.004873")
    fees = msgspec.to_builtins(marital.fees)
    rules = msgspec.to_builtins(marital.fee_rules)
    today = dt.date(2026, 12, 7)
    [online] = fee_lines(fees, "online", {}, rules=rules, on=today, agency_code=AGENCY)
    assert (online.amount, online.full_amount) == (0, 15_000)
    assert "Nghị quyết số 12/2025/NQ-HĐND" in online.rule_vi
    [counter] = fee_lines(fees, "counter", {}, rules=rules, on=today, agency_code=AGENCY)
    assert (counter.amount, counter.rule_vi) == (15_000, "")
    [poor] = fee_lines(fees, "counter", {}, rules=rules, on=today, group="ho_ngheo")
    assert poor.amount == 0 and "hộ nghèo" in poor.rule_vi
    # Before the resolution the online dossier paid.
    [old] = fee_lines(fees, "online", {}, rules=rules, on=dt.date(2025, 6, 1))
    assert old.amount == 15_000
    assert [g.code for g in groups_for(marital.fee_rules, AGENCY, today)] == [
        "nguoi_co_cong",
        "ho_ngheo",
        "khuyet_tat",
    ]
    # A fee the resolution does not set (the driving licence's) is charged as before.
    licence = await service.get_procedure("1.002809")
    assert licence.fee_rules == []


async def test_seeding_again_leaves_an_administrators_rules_alone(database: Database) -> None:
    marital = await service.get_procedure("1.004873")
    first = marital.fee_rules[0]
    edited = msgspec.convert({**msgspec.to_builtins(first), "percent": 50}, DemoFeeRule)
    await service.save_fee_rule("1.004873", first.id, edited)
    try:
        result = await service.seed_demo()
        assert result.procedures_added == 0
        again = await service.get_procedure("1.004873")
        assert again.fee_rules[0].percent == 50
        assert len(again.fee_rules) == len(marital.fee_rules)
    finally:
        restored = msgspec.convert(msgspec.to_builtins(first), DemoFeeRule)
        await service.save_fee_rule("1.004873", first.id, restored)


@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_an_export_carries_the_rules_back_unchanged(database: Database, fmt: str) -> None:
    catalogue = await service.export_catalogue()
    marital = next(p for p in catalogue.procedures if p.code == "1.004873")
    assert marital.fee_rules and marital.fee_rules[0].valid_from == dt.date(2025, 6, 24)
    data = service.to_json(catalogue) if fmt == "json" else service.to_csv(catalogue)
    before = (await service.get_procedure("1.004873")).fee_rules
    result = await service.import_catalogue(data, fmt)  # type: ignore[arg-type]
    assert result.procedures_added == 0
    after = (await service.get_procedure("1.004873")).fee_rules
    strip = [{k: v for k, v in msgspec.to_builtins(r).items() if k != "id"} for r in before]
    assert [{k: v for k, v in msgspec.to_builtins(r).items() if k != "id"} for r in after] == strip


async def test_a_file_without_rules_keeps_them_and_an_empty_list_removes_them(
    database: Database,
) -> None:
    """A spreadsheet kept without the rules column (or a JSON file written before rules
    existed) must not wipe the rules an administrator entered; an empty list does."""
    catalogue = await service.export_catalogue()
    marital = next(p for p in catalogue.procedures if p.code == "1.004873")
    before = (await service.get_procedure("1.004873")).fee_rules
    assert before
    data = msgspec.json.decode(service.to_json(catalogue))
    entry = next(p for p in data["procedures"] if p["code"] == "1.004873")
    del entry["fee_rules"]
    await service.import_catalogue(msgspec.json.encode(data), "json")
    assert (await service.get_procedure("1.004873")).fee_rules == before
    entry["fee_rules"] = []
    try:
        await service.import_catalogue(msgspec.json.encode(data), "json")
        assert (await service.get_procedure("1.004873")).fee_rules == []
    finally:
        entry["fee_rules"] = msgspec.to_builtins(marital.fee_rules)
        await service.import_catalogue(msgspec.json.encode(data), "json")
