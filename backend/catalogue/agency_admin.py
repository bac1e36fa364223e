"""An agency's own data, as its administrator keeps it: the agency's details (address,
opening hours, phone), its counters (their names and the procedures each receives),
and which procedures it carries out with what it adds about each (its provisions).

Who may: the agency's administrator ("admin") their own agency only, anyone else's is
refused (403, naming ``agency_code``); the province's catalogue administrator
("catalogue") any agency, since the catalogue of agencies is the province's. Nobody
else. The procedures themselves (names, steps, documents, fees) are the catalogue
administrator's alone (``transfer``): an agency's administrator never changes them.

Every change of an agency's data runs in one write transaction that first locks the
agency's row on PostgreSQL, and the procedure's for a provision (SQLite writes are
serialised anyway): two administrators of one agency never both take counter 3, and
two agencies never both give up the last two provisions of a procedure."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from backend.accounts.schemas import Principal
from backend.catalogue.reads import counters_of, get_agency, get_counter, list_agencies
from backend.catalogue.schemas import (
    RECEIPT_SYMBOL,
    RECEIPT_TEMPLATE,
    AgencyRead,
    CounterRead,
    Level,
    ProcedureSummary,
)
from backend.catalogue.tables import Agency, Counter, Procedure, Provision
from backend.db import write_transaction
from backend.db.dialect import is_postgres
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, Problems
from backend.i18n import N_, Text

# The roles that administer agencies' data (see the module's note).
AGENCY_ADMIN = "admin"
PROVINCE_ADMIN = "catalogue"
MAX_ADDRESS = 300
MAX_HOURS = 200
MAX_NAME = 200
MAX_NOTE = 2000
MAX_COUNTER = 9999
MAX_COUNTER_PROCEDURES = 300
# A landline or mobile number as people write it: "0237 3852 345", "+84 237 3852345".
PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{2,30}$")
# The weights of a tax code's check digit (the tenth), on its first nine digits.
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

Lenient = Annotated[str, msgspec.Meta(max_length=20_000)]


class AgencyDetails(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What an agency's administrator changes about it (its name, code, level and
    administrative unit are the province's)."""

    address: Lenient = ""
    hours_vi: Lenient = ""
    hours_en: Lenient = ""
    phone: Lenient | None = None
    # As the collecting organisation on its receipts: see ``receipt_details``.
    tax_code: Lenient = ""
    receipt_template: Lenient = ""
    receipt_symbol: Lenient = ""


class CounterWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name_vi: Lenient
    name_en: Lenient
    # The national codes of the procedures received there, in the order shown.
    procedures: list[Lenient] = msgspec.field(default_factory=list)


class CounterCreate(CounterWrite, kw_only=True, forbid_unknown_fields=True):
    # The number is the counter's address (its QR poster names it): set once.
    number: int


class ProvisionWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note_vi: Lenient = ""
    note_en: Lenient = ""


class AgencyProcedure(msgspec.Struct, kw_only=True):
    """A procedure an agency carries out, with its note and the counters receiving it."""

    code: str
    name_vi: str
    name_en: str
    level: Level
    anywhere: bool
    note_vi: str
    note_en: str
    counters: list[int]


# ---- Who may -------------------------------------------------------------------------


def _may_administer(principal: Principal, agency_code: str) -> bool:
    if principal.kind != "staff":
        return False
    if principal.role == PROVINCE_ADMIN:
        return True
    return principal.role == AGENCY_ADMIN and principal.agency_code == agency_code


def _check_scope(principal: Principal, agency_code: str) -> None:
    if not _may_administer(principal, agency_code):
        raise Forbidden(N_("Bạn chỉ quản trị được dữ liệu của cơ quan mình."), field="agency_code")


async def administered_agency(principal: Principal, agency_code: str) -> AgencyRead:
    """The agency, when this person administers it: else refused (403) or, for the
    province's administrator, not found (404)."""
    _check_scope(principal, agency_code)
    return await get_agency(agency_code)


async def administered_agencies(principal: Principal) -> list[AgencyRead]:
    """The agencies this person administers: every one for the province's catalogue
    administrator, their own for an agency's, none for anyone else."""
    if principal.kind == "staff" and principal.role == PROVINCE_ADMIN:
        return await list_agencies()
    if principal.kind == "staff" and principal.role == AGENCY_ADMIN and principal.agency_code:
        return [await get_agency(principal.agency_code)]
    return []


async def _locked_agency(agency_code: str) -> tuple[int, str]:
    """Inside a write transaction: the agency's id and level, its row locked."""
    query = Agency.select(Agency.id, Agency.level).where(Agency.code == agency_code)
    if is_postgres():
        query = query.lock_rows("UPDATE")
    rows = await query
    if not rows:
        raise NotFound(
            N_("Không có cơ quan nào có mã %(code)s.", code=agency_code), field="agency_code"
        )
    return int(rows[0]["id"]), str(rows[0]["level"])


def _text(problems: Problems, field: str, value: str, limit: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        problems.add(field, N_("Hãy điền “%(label)s”.", label=LABELS[field]))
    elif len(value) > limit:
        problems.add(
            field,
            N_(
                "“%(label)s” dài quá %(limit)s ký tự. Hãy viết ngắn hơn.",
                label=LABELS[field],
                limit=limit,
            ),
        )
    return value


# What each field is called (the messages name it; the pages label their inputs so).
LABELS: dict[str, Text] = {
    "agency_code": N_("Cơ quan"),
    "address": N_("Địa chỉ"),
    "hours_vi": N_("Giờ làm việc (tiếng Việt)"),
    "hours_en": N_("Giờ làm việc (tiếng Anh)"),
    "phone": N_("Số điện thoại"),
    "tax_code": N_("Mã số thuế của cơ quan"),
    "receipt_template": N_("Ký hiệu mẫu biên lai"),
    "receipt_symbol": N_("Ký hiệu biên lai"),
    "number": N_("Số quầy"),
    "name_vi": N_("Tên quầy (tiếng Việt)"),
    "name_en": N_("Tên quầy (tiếng Anh)"),
    "procedures": N_("Thủ tục tiếp nhận tại quầy"),
    "procedure_code": N_("Thủ tục"),
    "note_vi": N_("Ghi chú của cơ quan (tiếng Việt)"),
    "note_en": N_("Ghi chú của cơ quan (tiếng Anh)"),
}


LEVELS: dict[str, Text] = {"province": N_("tỉnh"), "commune": N_("xã")}


# ---- The agency's details ------------------------------------------------------------


async def update_agency(principal: Principal, agency_code: str, data: AgencyDetails) -> AgencyRead:
    _check_scope(principal, agency_code)
    problems = Problems()
    values: dict[Any, Any] = {
        Agency.address: _text(problems, "address", data.address, MAX_ADDRESS, required=False),
        Agency.hours_vi: _text(problems, "hours_vi", data.hours_vi, MAX_HOURS, required=False),
        Agency.hours_en: _text(problems, "hours_en", data.hours_en, MAX_HOURS, required=False),
    }
    phone = (data.phone or "").strip()
    if phone and not PHONE.match(phone):
        problems.add(
            "phone",
            N_("Số điện thoại chỉ gồm chữ số, dấu cách, dấu chấm, gạch ngang, ngoặc và dấu +."),
        )
    values[Agency.phone] = phone or None
    values.update(receipt_details(problems, data))
    problems.raise_any()
    async with write_transaction():
        await _locked_agency(agency_code)
        await Agency.update(values).where(Agency.code == agency_code)
    return await get_agency(agency_code)


def agency_tax_code(value: str) -> str | None:
    """A collecting organisation's tax code without its dash: 10 digits whose last is
    the check digit, or those and a 3-digit dependent unit (001-999); None otherwise. A
    person's 12-digit identity number, a household business's tax code since 2025, is
    not one: an agency is an organisation."""
    match = re.fullmatch(r"(\d{10})(?:-?(\d{3}))?", re.sub(r"[\s.]", "", value))
    if match is None or match.group(2) == "000" or match.group(1)[2:9] == "0000000":
        return None
    head = match.group(1)
    check = 10 - sum(w * int(d) for w, d in zip(TAX_WEIGHTS, head[:9], strict=True)) % 11
    return head + (match.group(2) or "") if check == int(head[9]) else None


def receipt_details(problems: Problems, data: AgencyDetails) -> dict[Any, str]:
    """The agency as the collecting organisation on its receipts, each checked: all
    three may stay empty until the agency has registered with the tax authority."""
    tax_code = data.tax_code.strip()
    checked = agency_tax_code(tax_code) if tax_code else ""
    if checked is None:
        problems.add(
            "tax_code",
            N_(
                "Mã số thuế của cơ quan có 10 chữ số (chữ số cuối là chữ số kiểm tra), hoặc"
                " 13 chữ số cho đơn vị phụ thuộc, ví dụ 2800123452 hoặc 2800123452-001."
            ),
        )
    template = data.receipt_template.strip().upper()
    template_ok = re.fullmatch(RECEIPT_TEMPLATE, template) is not None
    if not template_ok:
        problems.add(
            "receipt_template",
            N_("Ký hiệu mẫu biên lai như cơ quan đã đăng ký với cơ quan thuế, ví dụ 01BLP0-001."),
        )
    symbol = data.receipt_symbol.strip().upper()
    symbol_ok = re.fullmatch(RECEIPT_SYMBOL, symbol) is not None
    if not symbol_ok:
        problems.add(
            "receipt_symbol",
            N_(
                "Ký hiệu biên lai là hai chữ cái in hoa đã đăng ký, ví dụ AA: biên lai năm"
                " 2026 mang ký hiệu AA-26E."
            ),
        )
    if template_ok and symbol_ok and bool(template) != bool(symbol):
        problems.add(
            "receipt_symbol" if template else "receipt_template",
            N_("Ký hiệu mẫu biên lai và ký hiệu biên lai được đăng ký cùng nhau: hãy điền cả hai."),
        )
    return {
        Agency.tax_code: checked or "",
        Agency.receipt_template: template,
        Agency.receipt_symbol: symbol,
    }


# ---- Which procedures it carries out -------------------------------------------------


async def agency_procedures(principal: Principal, agency_code: str) -> list[AgencyProcedure]:
    """The procedures the agency carries out, by code."""
    await administered_agency(principal, agency_code)
    rows = (
        await Provision.select(
            Provision.procedure.code.as_alias("code"),
            Provision.procedure.name_vi.as_alias("name_vi"),
            Provision.procedure.name_en.as_alias("name_en"),
            Provision.procedure.level.as_alias("level"),
            Provision.procedure.anywhere.as_alias("anywhere"),
            Provision.note_vi,
            Provision.note_en,
        )
        .where(Provision.agency.code == agency_code)
        .order_by(Provision.procedure.code)
    )
    counters = (
        await Counter.select(Counter.number, Counter.procedure_codes)
        .where(Counter.agency.code == agency_code)
        .order_by(Counter.number)
        .output(load_json=True)
    )
    return [
        AgencyProcedure(
            **row,
            counters=[c["number"] for c in counters if row["code"] in c["procedure_codes"]],
        )
        for row in rows
    ]


async def agency_procedure(
    principal: Principal, agency_code: str, procedure_code: str
) -> AgencyProcedure:
    for item in await agency_procedures(principal, agency_code):
        if item.code == procedure_code:
            return item
    raise not_carried_out(procedure_code)


def not_carried_out(procedure_code: str) -> NotFound:
    return NotFound(
        N_("Cơ quan này không thực hiện thủ tục %(code)s.", code=procedure_code),
        field="procedure_code",
    )


async def procedures_to_add(principal: Principal, agency_code: str) -> list[ProcedureSummary]:
    """The procedures of the agency's level it does not carry out yet, by name."""
    agency = await administered_agency(principal, agency_code)
    carried = [
        row["procedure"]
        for row in await Provision.select(Provision.procedure).where(
            Provision.agency.code == agency_code
        )
    ]
    query = (
        Procedure.select(
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
        .where(Procedure.level == agency.level)
        .order_by(Procedure.name_vi)
    )
    if carried:
        query = query.where(Procedure.id.not_in(carried))
    return msgspec.convert(await query, list[ProcedureSummary])


def _notes(data: ProvisionWrite) -> dict[Any, Any]:
    problems = Problems()
    notes = {
        "note_vi": _text(problems, "note_vi", data.note_vi, MAX_NOTE, required=False),
        "note_en": _text(problems, "note_en", data.note_en, MAX_NOTE, required=False),
    }
    problems.raise_any()
    return notes


async def _locked_procedure(procedure_code: str) -> tuple[int, str]:
    query = Procedure.select(Procedure.id, Procedure.level).where(Procedure.code == procedure_code)
    if is_postgres():
        query = query.lock_rows("UPDATE")
    rows = await query
    if not rows:
        raise NotFound(
            N_("Không tìm thấy thủ tục có mã %(code)s.", code=procedure_code),
            field="procedure_code",
        )
    return int(rows[0]["id"]), str(rows[0]["level"])


async def save_provision(
    principal: Principal, agency_code: str, procedure_code: str, data: ProvisionWrite
) -> bool:
    """The agency carries out the procedure, with this note (added, or its note
    changed); True when it was added. Only a procedure of the agency's own level."""
    _check_scope(principal, agency_code)
    notes = _notes(data)
    async with write_transaction():
        agency_id, level = await _locked_agency(agency_code)
        procedure_id, procedure_level = await _locked_procedure(procedure_code)
        if procedure_level != level:
            raise InvalidInput(
                N_(
                    "Thủ tục %(code)s là thủ tục cấp %(level)s: cơ quan này không thực hiện được.",
                    code=procedure_code,
                    level=LEVELS[procedure_level],
                ),
                field="procedure_code",
            )
        updated = (
            await Provision.update(notes)
            .where(Provision.agency == agency_id, Provision.procedure == procedure_id)
            .returning(Provision.id)
        )
        if updated:
            return False
        await Provision.insert(Provision(procedure=procedure_id, agency=agency_id, **notes))
    return True


async def remove_provision(principal: Principal, agency_code: str, procedure_code: str) -> None:
    """The agency stops carrying out the procedure; its counters stop receiving it.
    The last agency of a procedure cannot: a procedure nobody carries out could not be
    filed anywhere (the province's catalogue administrator removes the procedure)."""
    _check_scope(principal, agency_code)
    async with write_transaction():
        agency_id, _ = await _locked_agency(agency_code)
        procedure_id, _ = await _locked_procedure(procedure_code)
        agencies = {
            row["agency"]
            for row in await Provision.select(Provision.agency).where(
                Provision.procedure == procedure_id
            )
        }
        if agency_id not in agencies:
            raise not_carried_out(procedure_code)
        if agencies == {agency_id}:
            raise Conflict(
                N_(
                    "Cơ quan là nơi duy nhất thực hiện thủ tục %(code)s nên không bỏ được; "
                    "hãy liên hệ quản trị danh mục của tỉnh.",
                    code=procedure_code,
                ),
                field="procedure_code",
            )
        await Provision.delete().where(
            Provision.agency == agency_id, Provision.procedure == procedure_id
        )
        counters = (
            await Counter.select(Counter.id, Counter.procedure_codes)
            .where(Counter.agency == agency_id)
            .output(load_json=True)
        )
        for counter in counters:
            codes = counter["procedure_codes"]
            if procedure_code in codes:
                await Counter.update(
                    {Counter.procedure_codes: [code for code in codes if code != procedure_code]}
                ).where(Counter.id == counter["id"])


# ---- Counters ------------------------------------------------------------------------


async def agency_counters(principal: Principal, agency_code: str) -> list[CounterRead]:
    _check_scope(principal, agency_code)
    return await counters_of(agency_code)


async def agency_counter(principal: Principal, agency_code: str, number: int) -> CounterRead:
    await administered_agency(principal, agency_code)
    return await _counter(agency_code, number)


async def _counter(agency_code: str, number: int) -> CounterRead:
    try:
        return await get_counter(agency_code, number)
    except NotFound:
        raise _no_counter(number) from None


def _no_counter(number: int) -> NotFound:
    return NotFound(N_("Cơ quan không có quầy số %(number)s.", number=number), field="number")


async def _receivable(agency_id: int, level: str) -> list[dict[str, Any]]:
    """The procedures (code and names) an agency's counters may receive: those it carries
    out and, at a province-level agency, every province-level procedure, since the
    provincial public administration service centre receives them for the departments."""
    own = Procedure.id.is_in(
        Provision.select(Provision.procedure).where(Provision.agency == agency_id)
    )
    query = Procedure.select(Procedure.code, Procedure.name_vi, Procedure.name_en)
    condition = (own | (Procedure.level == "province")) if level == "province" else own
    return list(await query.where(condition).order_by(Procedure.code))


async def receivable_procedures(principal: Principal, agency_code: str) -> list[dict[str, Any]]:
    """What the agency's counters may receive, by code (for the counter form)."""
    await administered_agency(principal, agency_code)
    rows = await Agency.select(Agency.id, Agency.level).where(Agency.code == agency_code)
    return await _receivable(rows[0]["id"], rows[0]["level"])


async def _checked_counter(
    agency_id: int, level: str, data: CounterWrite, problems: Problems
) -> dict[Any, Any]:
    """The counter's values, each problem noted: names given, each procedure one the
    agency's counters may receive (``_receivable``), none twice (in the order of the
    page's inputs)."""
    names = {
        "name_vi": _text(problems, "name_vi", data.name_vi, MAX_NAME, required=True),
        "name_en": _text(problems, "name_en", data.name_en, MAX_NAME, required=True),
    }
    carried = {row["code"] for row in await _receivable(agency_id, level)}
    codes: list[str] = []
    for code in (code.strip() for code in data.procedures):
        if code in codes:
            problems.add("procedures", N_("Thủ tục %(code)s được chọn hai lần.", code=code))
        elif code not in carried:
            problems.add(
                "procedures",
                N_("Cơ quan không thực hiện thủ tục %(code)s nên quầy không nhận được.", code=code),
            )
        else:
            codes.append(code)
    if len(codes) > MAX_COUNTER_PROCEDURES:
        problems.add("procedures", N_("Một quầy nhận nhiều nhất 300 thủ tục."))
    return {**names, "procedure_codes": codes}


async def add_counter(principal: Principal, agency_code: str, data: CounterCreate) -> CounterRead:
    _check_scope(principal, agency_code)
    problems = Problems()
    if not 1 <= data.number <= MAX_COUNTER:
        problems.add("number", N_("Số quầy phải từ 1 đến 9999."))
    async with write_transaction():
        agency_id, level = await _locked_agency(agency_code)
        values = await _checked_counter(agency_id, level, data, problems)
        problems.raise_any()
        if await Counter.exists().where(Counter.agency == agency_id, Counter.number == data.number):
            raise Conflict(
                N_("Cơ quan đã có quầy số %(number)s.", number=data.number), field="number"
            )
        await Counter.insert(Counter(agency=agency_id, number=data.number, **values))
    return await _counter(agency_code, data.number)


async def save_counter(
    principal: Principal, agency_code: str, number: int, data: CounterWrite
) -> CounterRead:
    _check_scope(principal, agency_code)
    problems = Problems()
    async with write_transaction():
        agency_id, level = await _locked_agency(agency_code)
        if not await Counter.exists().where(Counter.agency == agency_id, Counter.number == number):
            raise _no_counter(number)
        values = await _checked_counter(agency_id, level, data, problems)
        problems.raise_any()
        await Counter.update(values).where(Counter.agency == agency_id, Counter.number == number)
    return await _counter(agency_code, number)


async def remove_counter(principal: Principal, agency_code: str, number: int) -> None:
    """The counter is gone; its printed QR posters stop working (its ratings stay)."""
    _check_scope(principal, agency_code)
    async with write_transaction():
        agency_id, _ = await _locked_agency(agency_code)
        rows = (
            await Counter.delete()
            .where(Counter.agency == agency_id, Counter.number == number)
            .returning(Counter.id)
        )
    if not rows:
        raise _no_counter(number)
