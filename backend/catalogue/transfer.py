"""Import and export of the catalogue, as JSON (agencies, procedures, counters) or CSV
(procedures, one a row). An import is checked in full first: any bad row rejects the
whole file, naming each bad row and field, and nothing is written; a good file is
written in one transaction (new codes added, known codes replaced)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from backend.catalogue.schemas import (
    DemoAgency,
    DemoCatalogue,
    DemoComponent,
    DemoCounter,
    DemoFee,
    DemoProcedure,
)
from backend.catalogue.tables import Agency, Counter, Procedure, ProcedureComponent, ProcedureFee
from backend.db import write_transaction
from backend.errors import AppError, NotFound

Format = Literal["json", "csv"]
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
CODE = re.compile(r"^\d{1,2}\.\d{6}$")
AGENCY_CODE = re.compile(r"^[0-9A-Za-z.]{1,32}$")
MAX_DAYS = 365
MAX_TEXT = 2000
# CSV: one procedure a row; list-valued columns hold JSON.
CSV_COLUMNS = [
    "code", "name_vi", "name_en", "field_vi", "field_en", "agency", "level", "online_level",
    "processing_days", "purpose_vi", "purpose_en", "result_vi", "result_en", "source",
    "components", "fees", "steps_vi", "steps_en", "legal_basis", "unconfirmed", "form_fields",
    "payment_stage",
]  # fmt: skip
# Columns added after the first files were written: an empty cell means the default.
_OPTIONAL_COLUMNS = {"payment_stage"}
_JSON_COLUMNS = {
    "components", "fees", "steps_vi", "steps_en", "legal_basis", "unconfirmed", "form_fields"
}  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class RowError(msgspec.Struct, kw_only=True):
    """``row``: 1 for the first procedure (JSON) or the first line after the header (CSV)."""

    row: int
    section: str
    field: str | None
    message_vi: str
    message_en: str


class ImportRejected(AppError):
    status_code = 422
    code = "import_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            f"Tệp có {len(errors)} lỗi; chưa có gì được nhập. "
            "Hãy sửa các dòng được nêu rồi nhập lại.",
            f"The file has {len(errors)} error(s); nothing was imported. "
            "Fix the rows named and import it again.",
        )
        self.errors = errors


@dataclass(slots=True)
class Parsed:
    """The file's rows that decoded, each with its row number for error messages."""

    agencies: list[tuple[int, DemoAgency]]
    procedures: list[tuple[int, DemoProcedure]]
    counters: list[tuple[int, DemoCounter]]


@dataclass(frozen=True, slots=True)
class ImportResult:
    agencies_added: int
    agencies_updated: int
    procedures_added: int
    procedures_updated: int
    counters_added: int
    counters_updated: int


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, row: int, section: str, field: str | None, vi: str, en: str) -> None:
        if len(self.items) < 500:
            self.items.append(
                RowError(row=row, section=section, field=field, message_vi=vi, message_en=en)
            )


def _decode_rows(
    rows: list[Any], kind: type[Any], section: str, errors: _Errors, first: int = 1
) -> list[tuple[int, Any]]:
    good = []
    for index, raw in enumerate(rows, first):
        try:
            good.append((index, msgspec.convert(raw, kind)))
        except msgspec.ValidationError as error:
            field = _field_of(str(error))
            errors.add(
                index, section, field, f"Dữ liệu không hợp lệ: {error}", f"Invalid data: {error}"
            )
    return good


def _field_of(message: str) -> str | None:
    match = re.search(r"at `\$\.([A-Za-z_]+)", message)
    if match:
        return match.group(1)
    match = re.search(r"required field `([A-Za-z_]+)`", message)
    return match.group(1) if match else None


def _check_text(item: Any, names: tuple[str, ...], row: int, section: str, errors: _Errors) -> None:
    for name in names:
        value = getattr(item, name)
        if not value or not value.strip():
            errors.add(
                row,
                section,
                name,
                f"Trường “{name}” không được để trống.",
                f"The field “{name}” must not be empty.",
            )
        elif len(value) > MAX_TEXT:
            errors.add(
                row, section, name, f"Trường “{name}” quá dài.", f"The field “{name}” is too long."
            )


def _check_procedure(
    item: DemoProcedure, row: int, levels: dict[str, str], errors: _Errors
) -> None:
    section = "procedures"
    if not CODE.match(item.code):
        errors.add(
            row,
            section,
            "code",
            f"Mã thủ tục “{item.code}” không đúng dạng 1.001193.",
            f"The procedure code “{item.code}” is not of the form 1.001193.",
        )
    _check_text(item, ("name_vi", "name_en", "field_vi", "field_en"), row, section, errors)
    if item.agency not in levels:
        errors.add(
            row,
            section,
            "agency",
            f"Không có cơ quan mã {item.agency}.",
            f"No agency has the code {item.agency}.",
        )
    elif levels[item.agency] != item.level:
        errors.add(
            row,
            section,
            "level",
            "Cấp của thủ tục khác cấp của cơ quan giải quyết.",
            "The procedure's level differs from its agency's level.",
        )
    if not 0 <= item.processing_days <= MAX_DAYS:
        errors.add(
            row,
            section,
            "processing_days",
            f"Thời hạn phải từ 0 đến {MAX_DAYS} ngày làm việc.",
            f"The processing time must be 0 to {MAX_DAYS} working days.",
        )
    if not item.components:
        errors.add(
            row,
            section,
            "components",
            "Thủ tục phải có ít nhất một thành phần hồ sơ.",
            "A procedure needs at least one document.",
        )
    for component in item.components:
        if not component.name_vi.strip() or not component.name_en.strip():
            errors.add(
                row,
                section,
                "components",
                "Mỗi thành phần hồ sơ cần tên tiếng Việt và tiếng Anh.",
                "Each document needs a Vietnamese and an English name.",
            )
        if component.originals < 0 or component.copies < 0:
            errors.add(
                row,
                section,
                "components",
                "Số bản chính, bản sao không được âm.",
                "Numbers of originals and copies cannot be negative.",
            )
    for fee in item.fees:
        if fee.amount < 0 or (
            fee.online_amount is not None and not 0 <= fee.online_amount <= fee.amount
        ):
            errors.add(
                row,
                section,
                "fees",
                "Lệ phí không được âm; lệ phí nộp trực tuyến không được cao hơn lệ phí thường.",
                "Fees cannot be negative; the online fee cannot exceed the usual fee.",
            )
    _check_fee_fields(item, row, errors)


def _check_fee_fields(item: DemoProcedure, row: int, errors: _Errors) -> None:
    """A fee's condition and its quantity must name questions of the procedure's own
    form: the condition an existing question (and, for a choice, one of its answers),
    the quantity a question of type number."""
    questions = {field.name: field for field in item.form_fields}
    for number, fee in enumerate(item.fees, 1):
        if fee.when is not None:
            question = questions.get(fee.when.field)
            if question is None:
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    f"Khoản thu {number}: điều kiện nêu câu hỏi “{fee.when.field}”, "
                    "nhưng mẫu trực tuyến của thủ tục không có câu hỏi này.",
                    f"Fee {number}: the condition names the question “{fee.when.field}”, "
                    "which the procedure's online form does not ask.",
                )
            elif question.type == "choice" and fee.when.equals not in {
                option.value for option in question.options
            }:
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    f"Khoản thu {number}: câu hỏi “{question.name}” không có lựa chọn "
                    f"“{fee.when.equals}”.",
                    f"Fee {number}: the question “{question.name}” has no answer "
                    f"“{fee.when.equals}”.",
                )
        if fee.per_field is not None:
            question = questions.get(fee.per_field)
            if question is None:
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    f"Khoản thu {number}: mẫu trực tuyến không có câu hỏi “{fee.per_field}” "
                    "để nhân theo số lượng.",
                    f"Fee {number}: the online form has no question “{fee.per_field}” "
                    "to multiply by.",
                )
            elif question.type != "number":
                errors.add(
                    row,
                    "procedures",
                    "fees",
                    f"Khoản thu {number}: câu hỏi “{question.name}” không phải dạng số "
                    "nên không nhân theo số lượng được.",
                    f"Fee {number}: the question “{question.name}” is not a number, "
                    "so the fee cannot be multiplied by it.",
                )


def validate(parsed: Parsed, known_levels: dict[str, str], errors: _Errors) -> None:
    levels = dict(known_levels)
    seen_agencies: set[str] = set()
    for row, agency in parsed.agencies:
        if not AGENCY_CODE.match(agency.code):
            errors.add(
                row, "agencies", "code", "Mã cơ quan không hợp lệ.", "The agency code is not valid."
            )
        if agency.code in seen_agencies:
            errors.add(
                row,
                "agencies",
                "code",
                f"Mã cơ quan {agency.code} bị lặp.",
                f"The agency code {agency.code} appears twice.",
            )
        seen_agencies.add(agency.code)
        _check_text(agency, ("name_vi", "name_en"), row, "agencies", errors)
        levels[agency.code] = agency.level
    seen: set[str] = set()
    for row, item in parsed.procedures:
        _check_procedure(item, row, levels, errors)
        if item.code in seen:
            errors.add(
                row,
                "procedures",
                "code",
                f"Mã thủ tục {item.code} bị lặp trong tệp.",
                f"The procedure code {item.code} appears twice in the file.",
            )
        seen.add(item.code)
    seen_counters: set[tuple[str, int]] = set()
    for row, counter in parsed.counters:
        if counter.agency not in levels:
            errors.add(
                row,
                "counters",
                "agency",
                f"Không có cơ quan mã {counter.agency}.",
                f"No agency has the code {counter.agency}.",
            )
        if not 1 <= counter.number <= 9999:
            errors.add(
                row,
                "counters",
                "number",
                "Số quầy phải từ 1 đến 9999.",
                "The counter number must be 1 to 9999.",
            )
        if (counter.agency, counter.number) in seen_counters:
            errors.add(
                row,
                "counters",
                "number",
                "Quầy bị lặp trong tệp.",
                "The counter appears twice in the file.",
            )
        seen_counters.add((counter.agency, counter.number))
        _check_text(counter, ("name_vi", "name_en"), row, "counters", errors)


def _parse_json(data: bytes, errors: _Errors) -> Parsed | None:
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as error:
        errors.add(
            0,
            "file",
            None,
            f"Tệp không phải JSON hợp lệ: {error}",
            f"The file is not valid JSON: {error}",
        )
        return None
    if not isinstance(raw, dict):
        errors.add(
            0, "file", None, "Tệp JSON phải là một đối tượng.", "The JSON file must hold an object."
        )
        return None
    sections = {}
    for section, kind in (
        ("agencies", DemoAgency),
        ("procedures", DemoProcedure),
        ("counters", DemoCounter),
    ):
        rows = raw.get(section, [])
        if not isinstance(rows, list):
            errors.add(
                0,
                section,
                None,
                f"“{section}” phải là một danh sách.",
                f"“{section}” must be a list.",
            )
            return None
        if len(rows) > MAX_ROWS:
            errors.add(0, section, None, f"Quá {MAX_ROWS} dòng.", f"More than {MAX_ROWS} rows.")
            return None
        sections[section] = _decode_rows(rows, kind, section, errors)
    return Parsed(**sections)


def _parse_csv(data: bytes, errors: _Errors) -> Parsed | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.add(0, "file", None, "Tệp CSV phải dùng mã UTF-8.", "The CSV file must be UTF-8.")
        return None
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        column
        for column in ("code", "name_vi", "agency")
        if column not in (reader.fieldnames or [])
    ]
    if missing:
        errors.add(
            0,
            "file",
            missing[0],
            f"Thiếu cột: {', '.join(missing)}.",
            f"Missing columns: {', '.join(missing)}.",
        )
        return None
    rows: list[dict[str, Any]] = []
    try:
        # Rows are numbered as a spreadsheet shows them: the header is row 1.
        for index, line in enumerate(reader, 2):
            if index > MAX_ROWS:
                errors.add(
                    index,
                    "procedures",
                    None,
                    f"Quá {MAX_ROWS} dòng.",
                    f"More than {MAX_ROWS} rows.",
                )
                return None
            row: dict[str, Any] = {}
            for key, value in line.items():
                if key is None or key not in CSV_COLUMNS:
                    continue
                value = value or ""
                if key in _JSON_COLUMNS:
                    try:
                        row[key] = msgspec.json.decode(value) if value.strip() else []
                    except msgspec.DecodeError:
                        errors.add(
                            index,
                            "procedures",
                            key,
                            f"Cột “{key}” phải chứa JSON.",
                            f"The column “{key}” must hold JSON.",
                        )
                        row[key] = []
                elif key == "processing_days":
                    row[key] = int(value) if value.strip().isdigit() else value
                elif key in _OPTIONAL_COLUMNS and not value.strip():
                    continue
                else:
                    row[key] = _unguard(value)
            rows.append(row)
    except csv.Error as error:
        errors.add(
            0,
            "file",
            None,
            f"Tệp CSV không đọc được: {error}",
            f"The CSV file cannot be read: {error}",
        )
        return None
    procedures = _decode_rows(rows, DemoProcedure, "procedures", errors, first=2)
    return Parsed(agencies=[], procedures=procedures, counters=[])


def _guard(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: prefix them."""
    return f"'{value}" if value.startswith(_FORMULA) else value


def _unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA) else value


async def import_catalogue(data: bytes, fmt: Format) -> ImportResult:
    errors = _Errors()
    if len(data) > MAX_FILE_BYTES:
        errors.add(
            0, "file", None, "Tệp quá lớn (tối đa 10 MB).", "The file is too large (10 MB at most)."
        )
        raise ImportRejected(errors.items)
    parsed = _parse_json(data, errors) if fmt == "json" else _parse_csv(data, errors)
    async with write_transaction():
        known = {
            row["code"]: row for row in await Agency.select(Agency.id, Agency.code, Agency.level)
        }
        if parsed is not None:
            validate(parsed, {code: row["level"] for code, row in known.items()}, errors)
        if errors.items or parsed is None:
            raise ImportRejected(errors.items)
        return await _write(parsed, known)


async def _write(parsed: Parsed, known: dict[str, dict[str, Any]]) -> ImportResult:
    now = dt.datetime.now(dt.UTC)
    counts = dict.fromkeys(("aa", "au", "pa", "pu", "ca", "cu"), 0)
    agency_ids = {code: row["id"] for code, row in known.items()}
    for _, agency in parsed.agencies:
        values: dict[Any, Any] = msgspec.structs.asdict(agency)
        if agency.code in agency_ids:
            await Agency.update(values).where(Agency.code == agency.code)
            counts["au"] += 1
        else:
            rows = await Agency.insert(Agency(**values)).returning(Agency.id)
            agency_ids[agency.code] = rows[0]["id"]
            counts["aa"] += 1
    existing = {
        row["code"]: row["id"] for row in await Procedure.select(Procedure.id, Procedure.code)
    }
    for _, item in parsed.procedures:
        if item.code in existing:
            await _replace_procedure(existing[item.code], item, agency_ids[item.agency], now)
            counts["pu"] += 1
        else:
            await insert_procedure(item, agency_ids[item.agency], now)
            counts["pa"] += 1
    counters = {
        (row["agency"], row["number"]): row["id"]
        for row in await Counter.select(Counter.id, Counter.agency, Counter.number)
    }
    for _, counter in parsed.counters:
        agency_id = agency_ids[counter.agency]
        values = {
            "name_vi": counter.name_vi,
            "name_en": counter.name_en,
            "procedure_codes": counter.procedures,
        }
        if (agency_id, counter.number) in counters:
            await Counter.update(values).where(Counter.id == counters[(agency_id, counter.number)])
            counts["cu"] += 1
        else:
            await Counter.insert(Counter(agency=agency_id, number=counter.number, **values))
            counts["ca"] += 1
    return ImportResult(
        counts["aa"], counts["au"], counts["pa"], counts["pu"], counts["ca"], counts["cu"]
    )


async def insert_procedure(item: Any, agency_id: int, now: dt.datetime) -> int:
    """Insert one procedure with its components and fees (inside the caller's
    write transaction); ``item`` is a DemoProcedure."""
    fields = msgspec.structs.asdict(item)
    components = fields.pop("components")
    fees = fields.pop("fees")
    fields["agency"] = agency_id
    fields["updated_at"] = now
    fields["form_fields"] = msgspec.to_builtins(item.form_fields)
    rows = await Procedure.insert(Procedure(**fields)).returning(Procedure.id)
    procedure_id: int = rows[0]["id"]
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
                ProcedureFee(procedure=procedure_id, position=index, **_fee_values(f))
                for index, f in enumerate(fees)
            )
        )
    return procedure_id


def _fee_values(fee: DemoFee) -> dict[str, Any]:
    values = msgspec.structs.asdict(fee)
    values["when"] = None if fee.when is None else msgspec.to_builtins(fee.when)
    return values


async def _replace_procedure(
    procedure_id: int, item: DemoProcedure, agency_id: int, now: dt.datetime
) -> None:
    values: dict[Any, Any] = msgspec.structs.asdict(item)
    components: list[DemoComponent] = values.pop("components")
    fees: list[DemoFee] = values.pop("fees")
    values.update(
        agency=agency_id, updated_at=now, form_fields=msgspec.to_builtins(item.form_fields)
    )
    await Procedure.update(values).where(Procedure.id == procedure_id)
    await ProcedureComponent.delete().where(ProcedureComponent.procedure == procedure_id)
    await ProcedureFee.delete().where(ProcedureFee.procedure == procedure_id)
    if components:
        await ProcedureComponent.insert(
            *(
                ProcedureComponent(procedure=procedure_id, position=i, **msgspec.structs.asdict(c))
                for i, c in enumerate(components)
            )
        )
    if fees:
        await ProcedureFee.insert(
            *(
                ProcedureFee(procedure=procedure_id, position=i, **_fee_values(f))
                for i, f in enumerate(fees)
            )
        )


async def save_procedure(item: DemoProcedure) -> bool:
    """Create or replace one procedure (the admin's edit path), checked by the same
    rules as an import. True when it was created."""
    result = await import_catalogue(msgspec.json.encode({"procedures": [item]}), "json")
    return result.procedures_added == 1


async def check_procedure(item: DemoProcedure) -> list[RowError]:
    """What the rules of an import find wrong with one procedure; nothing is written."""
    errors = _Errors()
    levels = {row["code"]: row["level"] for row in await Agency.select(Agency.code, Agency.level)}
    validate(Parsed(agencies=[], procedures=[(1, item)], counters=[]), levels, errors)
    return errors.items


async def delete_procedure(code: str) -> None:
    """Remove a procedure with its documents and fees (counters keep no dangling link:
    they list codes, and a code no longer known is simply not shown)."""
    async with write_transaction():
        rows = await Procedure.delete().where(Procedure.code == code).returning(Procedure.id)
    if not rows:
        raise NotFound(
            f"Không tìm thấy thủ tục có mã {code}.",
            f"No procedure has the code {code}.",
            field="code",
        )


async def export_catalogue() -> DemoCatalogue:
    agencies = await Agency.select(*Agency.all_columns(exclude=[Agency.id])).order_by(Agency.code)
    procedures = (
        await Procedure.select(
            *Procedure.all_columns(exclude=[Procedure.id, Procedure.agency, Procedure.updated_at]),
            Procedure.id,
            Procedure.agency.code.as_alias("agency"),
        )
        .order_by(Procedure.code)
        .output(load_json=True)
    )
    components: dict[int, list[dict[str, Any]]] = {}
    for row in await ProcedureComponent.select().order_by(ProcedureComponent.position):
        components.setdefault(row["procedure"], []).append(row)
    fees: dict[int, list[dict[str, Any]]] = {}
    for row in await ProcedureFee.select().order_by(ProcedureFee.position).output(load_json=True):
        fees.setdefault(row["procedure"], []).append(row)
    for procedure in procedures:
        procedure["components"] = components.get(procedure["id"], [])
        procedure["fees"] = fees.get(procedure["id"], [])
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
            "agencies": agencies,
            "procedures": procedures,
            "counters": counters,
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
                if column in _JSON_COLUMNS
                else _guard(str(values[column]))
                for column in CSV_COLUMNS
            }
        )
    # A BOM so that spreadsheet programs read the Vietnamese letters as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()
