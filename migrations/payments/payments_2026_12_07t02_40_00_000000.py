"""A receipt's legal numbering: the agency, template and receipt symbols, year and
number it was issued under, and each agency's series per symbol and year (the unique
keys and the older receipts' numbers come in the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Receipts numbered per agency, symbol and year"

RECEIPT = (
    ("agency_code", Varchar, {"length": 32, "default": ""}),
    ("template_symbol", Varchar, {"length": 16, "default": ""}),
    ("symbol", Varchar, {"length": 16, "default": ""}),
    ("year", Integer, {"default": 0}),
    ("number", Integer, {"default": 0}),
)
SERIES = (
    ("agency_code", Varchar, {"length": 32, "default": ""}),
    ("symbol", Varchar, {"length": 16, "default": ""}),
    ("year", Integer, {"default": 0}),
    ("last_number", Integer, {"default": 0}),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)
    manager.add_table(
        class_name="ReceiptSeries",
        tablename="payments_receipt_series",
        schema=None,
        columns=None,
    )
    for class_name, tablename, columns in (
        ("Receipt", "payments_receipt", RECEIPT),
        ("ReceiptSeries", "payments_receipt_series", SERIES),
    ):
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params={
                    **params,
                    "null": False,
                    "primary_key": False,
                    "unique": False,
                    "index": False,
                    "index_method": IndexMethod.btree,
                    "choices": None,
                    "db_column_name": None,
                    "secret": False,
                },
                schema=None,
            )
    return manager
