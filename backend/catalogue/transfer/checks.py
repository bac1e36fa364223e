"""The rules a catalogue's rows must keep, whichever way they come (a file, the
administrators' form, the API): each rule broken is noted, with its row, field and
entry, so that one refusal names everything to fix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from backend.catalogue.groups import APPLICANT_GROUPS
from backend.catalogue.schemas import DemoFeeRule, DemoProcedure
from backend.catalogue.transfer.rows import Parsed, RowErrors
from backend.i18n import N_, Text

CODE = re.compile(r"^\d{1,2}\.\d{6}$")
AGENCY_CODE = re.compile(r"^[0-9A-Za-z.]{1,32}$")
# The national codes of administrative units: 2 digits for a province, 5 for a commune.
UNIT_CODE = re.compile(r"^\d{2}(\d{3})?$")
MAX_DAYS = 365
MAX_TEXT = 2000
MAX_COUNTER = 9999
# The channels a dossier comes by (dossiers.schemas.Channel): a rule names some of them.
FEE_CHANNELS = ("online", "counter", "post", "assisted")
MAX_RULES = 100


def check_rows(
    parsed: Parsed, known_levels: dict[str, str], known_units: dict[str, str], errors: RowErrors
) -> None:
    """Every rule, for every row; ``known_levels``: the level of each agency already in
    the catalogue, ``known_units``: the kind of each unit already in it (those of the
    file are added as they are read)."""
    units = dict(known_units)
    check_units(parsed, units, errors)
    levels = dict(known_levels)
    seen_agencies: set[str] = set()
    for row, agency in parsed.agencies:
        if not AGENCY_CODE.match(agency.code):
            errors.add(row, "agencies", "code", N_("Mã cơ quan không hợp lệ."))
        if agency.code in seen_agencies:
            errors.add(row, "agencies", "code", N_("Mã cơ quan %(code)s bị lặp.", code=agency.code))
        seen_agencies.add(agency.code)
        _check_text(agency, ("name_vi", "name_en"), row, "agencies", errors)
        if agency.unit_code and agency.unit_code not in units:
            errors.add(
                row,
                "agencies",
                "unit_code",
                N_("Không có đơn vị hành chính mã %(code)s.", code=agency.unit_code),
            )
        elif agency.unit_code and (units[agency.unit_code] == "province") != (
            agency.level == "province"
        ):
            errors.add(
                row,
                "agencies",
                "unit_code",
                N_("Cơ quan cấp tỉnh phục vụ tỉnh; cơ quan cấp xã phục vụ một xã, phường."),
            )
        levels[agency.code] = agency.level
    seen: set[str] = set()
    for row, item in parsed.procedures:
        check_procedure(item, row, levels, errors)
        if item.code in seen:
            errors.add(
                row,
                "procedures",
                "code",
                N_("Mã thủ tục %(code)s bị lặp trong tệp.", code=item.code),
            )
        seen.add(item.code)
    seen_counters: set[tuple[str, int]] = set()
    for row, counter in parsed.counters:
        if counter.agency not in levels:
            errors.add(
                row, "counters", "agency", N_("Không có cơ quan mã %(code)s.", code=counter.agency)
            )
        if not 1 <= counter.number <= MAX_COUNTER:
            errors.add(row, "counters", "number", N_("Số quầy phải từ 1 đến 9999."))
        if (counter.agency, counter.number) in seen_counters:
            errors.add(row, "counters", "number", N_("Quầy bị lặp trong tệp."))
        seen_counters.add((counter.agency, counter.number))
        _check_text(counter, ("name_vi", "name_en"), row, "counters", errors)


def check_units(parsed: Parsed, units: dict[str, str], errors: RowErrors) -> None:
    """The units' rules; ``units`` (code: kind) gains the file's units."""
    seen: set[str] = set()
    for row, unit in parsed.units:
        if not UNIT_CODE.match(unit.code):
            errors.add(
                row,
                "units",
                "code",
                N_("Mã đơn vị hành chính “%(code)s” phải có 2 hoặc 5 chữ số.", code=unit.code),
            )
        if unit.code in seen:
            errors.add(row, "units", "code", N_("Mã đơn vị %(code)s bị lặp.", code=unit.code))
        seen.add(unit.code)
        _check_text(unit, ("name_vi", "name_en"), row, "units", errors)
        units[unit.code] = unit.kind
    for row, unit in parsed.units:
        if unit.kind == "province":
            if unit.parent_code:
                errors.add(row, "units", "parent_code", N_("Tỉnh không thuộc đơn vị nào khác."))
        elif units.get(unit.parent_code or "") != "province":
            errors.add(
                row,
                "units",
                "parent_code",
                N_("Xã, phường phải thuộc một tỉnh có trong danh sách."),
            )


def _check_text(
    item: Any, names: tuple[str, ...], row: int, section: str, errors: RowErrors
) -> None:
    for name in names:
        value = getattr(item, name)
        if not value or not value.strip():
            errors.add(
                row, section, name, N_("Trường “%(field)s” không được để trống.", field=name)
            )
        elif len(value) > MAX_TEXT:
            errors.add(row, section, name, N_("Trường “%(field)s” quá dài.", field=name))


def check_procedure(
    item: DemoProcedure, row: int, levels: dict[str, str], errors: RowErrors
) -> None:
    section = "procedures"
    if not CODE.match(item.code):
        errors.add(
            row,
            section,
            "code",
            N_("Mã thủ tục “%(code)s” không đúng dạng 1.001193.", code=item.code),
        )
    _check_text(item, ("name_vi", "name_en", "field_vi", "field_en"), row, section, errors)
    if not item.agencies:
        errors.add(row, section, "agencies", N_("Hãy nêu ít nhất một cơ quan thực hiện."))
    for entry, code in enumerate(item.agencies):
        if code not in levels:
            errors.add(
                row,
                section,
                "agencies",
                N_("Không có cơ quan mã %(code)s.", code=code),
                entry=entry,
            )
        elif levels[code] != item.level:
            errors.add(
                row,
                section,
                "agencies",
                N_("Cơ quan %(code)s không cùng cấp với thủ tục.", code=code),
                entry=entry,
            )
        elif code in item.agencies[:entry]:
            errors.add(
                row,
                section,
                "agencies",
                N_("Cơ quan %(code)s bị lặp.", code=code),
                entry=entry,
            )
    if not 0 <= item.processing_days <= MAX_DAYS:
        errors.add(
            row,
            section,
            "processing_days",
            N_("Thời hạn phải từ 0 đến %(limit)s ngày làm việc.", limit=MAX_DAYS),
        )
    _check_components(item, row, errors)
    _check_fees(item, row, errors)
    _check_fee_questions(item, row, errors)
    rules = item.fee_rules or []
    for entry, rule in enumerate(rules[:MAX_RULES]):
        for part, text in rule_problems(rule, len(item.fees), item.agencies):
            errors.add(row, "procedures", "fee_rules", text, entry=entry, part=part)
    if len(rules) > MAX_RULES:
        errors.add(
            row,
            "procedures",
            "fee_rules",
            N_("Một thủ tục có tối đa %(limit)s quy tắc thu.", limit=MAX_RULES),
        )


def _check_components(item: DemoProcedure, row: int, errors: RowErrors) -> None:
    if not item.components:
        errors.add(
            row,
            "procedures",
            "components",
            N_("Thủ tục phải có ít nhất một thành phần hồ sơ."),
        )
    for entry, component in enumerate(item.components):
        blank = [name for name in ("name_vi", "name_en") if not getattr(component, name).strip()]
        if blank:
            errors.add(
                row,
                "procedures",
                "components",
                N_("Mỗi thành phần hồ sơ cần tên tiếng Việt và tiếng Anh."),
                entry=entry,
                part=blank[0],
            )
        negative = [name for name in ("originals", "copies") if getattr(component, name) < 0]
        if negative:
            errors.add(
                row,
                "procedures",
                "components",
                N_("Số bản chính, bản sao không được âm."),
                entry=entry,
                part=negative[0],
            )


def _check_fees(item: DemoProcedure, row: int, errors: RowErrors) -> None:
    for entry, fee in enumerate(item.fees):
        blank = [name for name in ("label_vi", "label_en") if not getattr(fee, name).strip()]
        if blank:
            errors.add(
                row,
                "procedures",
                "fees",
                N_("Mỗi khoản thu cần nội dung tiếng Việt và tiếng Anh."),
                entry=entry,
                part=blank[0],
            )
        if fee.amount < 0 or (
            fee.online_amount is not None and not 0 <= fee.online_amount <= fee.amount
        ):
            errors.add(
                row,
                "procedures",
                "fees",
                N_("Lệ phí không được âm; lệ phí nộp trực tuyến không được cao hơn lệ phí thường."),
                entry=entry,
                part="amount" if fee.amount < 0 else "online_amount",
            )


def _check_fee_questions(item: DemoProcedure, row: int, errors: RowErrors) -> None:
    """A fee's condition and its quantity must name questions of the procedure's own
    form: the condition an existing question (and, for a choice, one of its answers),
    the quantity a question of type number."""
    questions = {field.name: field for field in item.form_fields}
    for entry, fee in enumerate(item.fees):
        number = entry + 1
        if fee.when is not None:
            question = questions.get(fee.when.field)
            if question is None:
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    N_(
                        "Khoản thu %(number)s: điều kiện nêu câu hỏi “%(question)s”, "
                        "nhưng mẫu trực tuyến của thủ tục không có câu hỏi này.",
                        number=number,
                        question=fee.when.field,
                    ),
                    entry=entry,
                    part="when.field",
                )
            elif question.type == "choice" and fee.when.equals not in {
                option.value for option in question.options
            }:
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    N_(
                        "Khoản thu %(number)s: câu hỏi “%(question)s” không có lựa chọn "
                        "“%(answer)s”.",
                        number=number,
                        question=question.name,
                        answer=fee.when.equals,
                    ),
                    entry=entry,
                    part="when.equals",
                )
        if fee.per_field is not None:
            question = questions.get(fee.per_field)
            if question is None:
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    N_(
                        "Khoản thu %(number)s: mẫu trực tuyến không có câu hỏi “%(question)s” "
                        "để nhân theo số lượng.",
                        number=number,
                        question=fee.per_field,
                    ),
                    entry=entry,
                    part="per_field",
                )
            elif question.type != "number":
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    N_(
                        "Khoản thu %(number)s: câu hỏi “%(question)s” không phải dạng số "
                        "nên không nhân theo số lượng được.",
                        number=number,
                        question=question.name,
                    ),
                    entry=entry,
                    part="per_field",
                )


def rule_problems(
    rule: DemoFeeRule, fee_count: int, agencies: Sequence[str]
) -> list[tuple[str, Text]]:
    """What is wrong with one fee rule of a procedure with ``fee_count`` fee lines,
    carried out by ``agencies``: (the rule's field, why)."""
    found: list[tuple[str, Text]] = []
    if rule.position is not None and not 0 <= rule.position < fee_count:
        found.append(
            (
                "position",
                N_(
                    "Thủ tục không có khoản thu thứ %(number)s.",
                    number=rule.position + 1,
                ),
            )
        )
    if rule.agency_code and rule.agency_code not in agencies:
        found.append(
            (
                "agency_code",
                N_("Cơ quan %(code)s không thực hiện thủ tục này.", code=rule.agency_code),
            )
        )
    if (rule.amount is None) == (rule.percent is None):
        found.append(("amount", N_("Hãy nêu hoặc mức thu riêng, hoặc tỷ lệ giảm (không cả hai).")))
    if rule.amount is not None:
        if rule.amount < 0:
            found.append(("amount", N_("Mức thu không được âm.")))
        if rule.channels or rule.group:
            found.append(
                (
                    "amount",
                    N_(
                        "Mức thu riêng của cơ quan áp dụng cho mọi kênh và mọi người nộp; "
                        "với một kênh hay một nhóm đối tượng, hãy dùng tỷ lệ giảm."
                    ),
                )
            )
    if rule.percent is not None and not 0 <= rule.percent <= 100:
        found.append(("percent", N_("Tỷ lệ giảm phải từ 0 đến 100 (100 là miễn).")))
    unknown = [channel for channel in rule.channels if channel not in FEE_CHANNELS]
    if unknown:
        found.append(("channels", N_("Không có kênh nộp “%(channel)s”.", channel=unknown[0])))
    elif len(set(rule.channels)) != len(rule.channels):
        found.append(("channels", N_("Một kênh nộp bị lặp.")))
    if rule.group and rule.group not in APPLICANT_GROUPS:
        found.append(("group", N_("Không có nhóm đối tượng “%(group)s”.", group=rule.group)))
    if rule.valid_from and rule.valid_to and rule.valid_to < rule.valid_from:
        found.append(("valid_to", N_("Ngày hết hiệu lực không được trước ngày bắt đầu.")))
    for name in ("label_vi", "label_en"):
        value = getattr(rule, name)
        if not value.strip():
            found.append((name, N_("Hãy nêu lý do bằng tiếng Việt và tiếng Anh.")))
        elif len(value) > MAX_TEXT:
            found.append((name, N_("Trường “%(field)s” quá dài.", field=name)))
    if len(rule.basis) > MAX_TEXT:
        found.append(("basis", N_("Trường “%(field)s” quá dài.", field="basis")))
    return found
