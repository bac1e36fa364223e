"""The layout of a catalogue CSV file, shared by the reader and the writer: one
procedure a row, list-valued columns holding JSON, and cells that a spreadsheet would
run as formulas guarded by a leading apostrophe."""

from __future__ import annotations

CSV_COLUMNS = [
    "code", "name_vi", "name_en", "field_vi", "field_en", "agencies", "level", "online_level",
    "processing_days", "purpose_vi", "purpose_en", "result_vi", "result_en", "source",
    "components", "fees", "steps_vi", "steps_en", "legal_basis", "unconfirmed", "form_fields",
    "payment_stage", "anywhere", "fee_rules",
]  # fmt: skip
# Columns added after the first files were written: an empty cell means the default.
OPTIONAL_COLUMNS = {"payment_stage", "anywhere", "fee_rules"}
JSON_COLUMNS = {
    "agencies", "components", "fees", "steps_vi", "steps_en", "legal_basis", "unconfirmed",
    "form_fields", "anywhere", "fee_rules",
}  # fmt: skip
# A file of administrative units: one unit a row.
UNIT_COLUMNS = ["code", "name_vi", "name_en", "kind", "parent_code", "unconfirmed"]
# What a spreadsheet takes for the start of a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def guard(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: prefix them."""
    return f"'{value}" if value.startswith(_FORMULA) else value


def unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA) else value
