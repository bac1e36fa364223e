"""Reading a catalogue file: JSON (units, agencies, procedures, counters) or CSV
(procedures, one a row; or administrative units, one a row) into typed rows, each bad
row noted with its number and field."""

from __future__ import annotations

import csv
import io
import re
from typing import Any, TypeVar

import msgspec

from backend.catalogue.schemas import DemoAgency, DemoCounter, DemoProcedure, DemoSynonym, DemoUnit
from backend.catalogue.transfer.columns import (
    CSV_COLUMNS,
    JSON_COLUMNS,
    OPTIONAL_COLUMNS,
    UNIT_COLUMNS,
    unguard,
)
from backend.catalogue.transfer.rows import FileFormat, Parsed, RowErrors
from backend.i18n import N_, Number

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
T = TypeVar("T")


def parse(data: bytes, fmt: FileFormat, errors: RowErrors) -> Parsed | None:
    """The rows of a file that decode; None when the file as a whole cannot be read
    (what is wrong is in ``errors``)."""
    if len(data) > MAX_FILE_BYTES:
        errors.add(0, "file", None, N_("Tệp quá lớn (tối đa 10 MB)."))
        return None
    return _parse_json(data, errors) if fmt == "json" else _parse_csv(data, errors)


def parse_units(data: bytes, fmt: FileFormat, errors: RowErrors) -> Parsed | None:
    """A file of administrative units: JSON (``{"units": [...]}``, as in a catalogue
    file) or CSV (one unit a row, columns ``UNIT_COLUMNS``)."""
    if len(data) > MAX_FILE_BYTES:
        errors.add(0, "file", None, N_("Tệp quá lớn (tối đa 10 MB)."))
        return None
    if fmt == "json":
        parsed = _parse_json(data, errors)
        return None if parsed is None else Parsed([], [], [], units=parsed.units)
    lines = _csv_lines(data, ("code", "name_vi", "kind"), "units", errors)
    if lines is None:
        return None
    rows = [
        {
            key: _unit_cell(key, unguard(cell or ""))
            for key, cell in line.items()
            if key in UNIT_COLUMNS and (cell or "").strip()
        }
        for line in lines
    ]
    return Parsed([], [], [], units=_decode_rows(rows, DemoUnit, "units", errors, first=2))


def _unit_cell(key: str, value: str) -> Any:
    if key == "unconfirmed":
        return value.strip().lower() in {"1", "true", "x", "có", "yes"}
    return value.strip()


def _decode_rows(
    rows: list[Any], kind: type[T], section: str, errors: RowErrors, first: int = 1
) -> list[tuple[int, T]]:
    good = []
    for index, raw in enumerate(rows, first):
        try:
            good.append((index, msgspec.convert(raw, kind)))
        except msgspec.ValidationError as error:
            # msgspec says precisely what and where (``$.components[0].copies``), in English.
            errors.add(
                index,
                section,
                _field_of(str(error)),
                N_("Dữ liệu không hợp lệ: %(reason)s", reason=str(error)),
            )
    return good


def _field_of(message: str) -> str | None:
    match = re.search(r"at `\$\.([A-Za-z_]+)", message)
    if match:
        return match.group(1)
    match = re.search(r"required field `([A-Za-z_]+)`", message)
    return match.group(1) if match else None


def _parse_json(data: bytes, errors: RowErrors) -> Parsed | None:
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as error:
        errors.add(0, "file", None, N_("Tệp không phải JSON hợp lệ: %(reason)s", reason=str(error)))
        return None
    if not isinstance(raw, dict):
        errors.add(0, "file", None, N_("Tệp JSON phải là một đối tượng."))
        return None
    rows: dict[str, list[Any]] = {}
    for section in ("units", "agencies", "procedures", "counters", "synonyms"):
        found = raw.get(section, [])
        if not isinstance(found, list):
            errors.add(
                0, section, None, N_("“%(section)s” phải là một danh sách.", section=section)
            )
            return None
        if len(found) > MAX_ROWS:
            errors.add(0, section, None, N_("Quá %(limit)s dòng.", limit=Number(MAX_ROWS)))
            return None
        rows[section] = found
    return Parsed(
        agencies=_decode_rows(rows["agencies"], DemoAgency, "agencies", errors),
        procedures=_decode_rows(rows["procedures"], DemoProcedure, "procedures", errors),
        counters=_decode_rows(rows["counters"], DemoCounter, "counters", errors),
        units=_decode_rows(rows["units"], DemoUnit, "units", errors),
        synonyms=_decode_rows(rows["synonyms"], DemoSynonym, "synonyms", errors),
    )


def _csv_lines(
    data: bytes, required: tuple[str, ...], section: str, errors: RowErrors
) -> list[dict[str | Any, Any]] | None:
    """The lines of a CSV file under its header, which must hold ``required``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.add(0, "file", None, N_("Tệp CSV phải dùng mã UTF-8."))
        return None
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in required if column not in (reader.fieldnames or [])]
    if missing:
        errors.add(0, "file", missing[0], N_("Thiếu cột: %(columns)s.", columns=", ".join(missing)))
        return None
    lines: list[dict[str | Any, Any]] = []
    try:
        # Rows are numbered as a spreadsheet shows them: the header is row 1.
        for index, line in enumerate(reader, 2):
            if index > MAX_ROWS:
                errors.add(index, section, None, N_("Quá %(limit)s dòng.", limit=Number(MAX_ROWS)))
                return None
            lines.append(line)
    except csv.Error as error:
        errors.add(0, "file", None, N_("Tệp CSV không đọc được: %(reason)s", reason=str(error)))
        return None
    return lines


def _parse_csv(data: bytes, errors: RowErrors) -> Parsed | None:
    lines = _csv_lines(data, ("code", "name_vi", "agencies"), "procedures", errors)
    if lines is None:
        return None
    rows = [_csv_row(index, line, errors) for index, line in enumerate(lines, 2)]
    procedures = _decode_rows(rows, DemoProcedure, "procedures", errors, first=2)
    return Parsed(agencies=[], procedures=procedures, counters=[])


def _csv_row(index: int, line: dict[str | Any, Any], errors: RowErrors) -> dict[str, Any]:
    """One CSV line as the JSON record of a procedure (cells of list columns decoded)."""
    row: dict[str, Any] = {}
    for key, cell in line.items():
        if key is None or key not in CSV_COLUMNS:
            continue
        value: str = cell or ""
        if key in OPTIONAL_COLUMNS and not value.strip():
            continue
        if key in JSON_COLUMNS:
            try:
                row[key] = msgspec.json.decode(value) if value.strip() else []
            except msgspec.DecodeError:
                errors.add(
                    index, "procedures", key, N_("Cột “%(column)s” phải chứa JSON.", column=key)
                )
                row[key] = []
        elif key == "processing_days":
            row[key] = int(value) if value.strip().isdigit() else value
        else:
            row[key] = unguard(value)
    return row
