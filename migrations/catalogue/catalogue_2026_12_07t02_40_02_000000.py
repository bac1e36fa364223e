"""An agency as the collecting organisation on its receipts: its tax code and the
receipt template and symbol it registered with the tax authority (empty until entered)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T02:40:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "An agency's tax code and receipt symbols"

COLUMNS = (("tax_code", 13), ("receipt_template", 16), ("receipt_symbol", 2))


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)
    for name, length in COLUMNS:
        manager.add_column(
            table_class_name="Agency",
            tablename="catalogue_agency",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                "length": length,
                "default": "",
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
