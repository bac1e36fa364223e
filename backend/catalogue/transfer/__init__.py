"""Import and export of the catalogue, as JSON (units, agencies, procedures, counters)
or CSV (procedures, one a row; administrative units alone, one a row). An import is
checked in full first: any bad row rejects the whole file, naming each bad row and
field, and nothing is written; a good file is written in one transaction (new codes
added, known codes replaced).

``reading`` turns a file into rows, ``checks`` holds the rules, ``applying`` writes,
``exporting`` writes the files back out; ``columns`` is the CSV layout both share."""

from backend.catalogue.transfer.applying import (
    ImportResult,
    check_procedure,
    delete_procedure,
    import_catalogue,
    import_units,
    insert_procedure,
    save_procedure,
)
from backend.catalogue.transfer.columns import CSV_COLUMNS, JSON_COLUMNS, UNIT_COLUMNS
from backend.catalogue.transfer.exporting import export_catalogue, to_csv, to_json
from backend.catalogue.transfer.reading import MAX_FILE_BYTES
from backend.catalogue.transfer.rows import FileFormat, ImportRejected, RowError

__all__ = [
    "CSV_COLUMNS",
    "JSON_COLUMNS",
    "MAX_FILE_BYTES",
    "UNIT_COLUMNS",
    "FileFormat",
    "ImportRejected",
    "ImportResult",
    "RowError",
    "check_procedure",
    "delete_procedure",
    "export_catalogue",
    "import_catalogue",
    "import_units",
    "insert_procedure",
    "save_procedure",
    "to_csv",
    "to_json",
]
