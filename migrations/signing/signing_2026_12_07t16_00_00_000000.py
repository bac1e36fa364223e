"""The documents the agencies signed (issue 17)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Signed documents"

# The table's own ``id`` (a serial primary key) comes with it.
_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
_TABLE = {"table_class_name": "SignedDocument", "tablename": "signing_document"}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="signing", description=DESCRIPTION)
    manager.add_table(
        class_name="SignedDocument", tablename="signing_document", schema=None, columns=None
    )
    columns = [
        ("code", Varchar, {"length": 16, "default": "", "null": False, "unique": True}),
        ("kind", Varchar, {"length": 16, "default": "", "null": False}),
        ("subject", Varchar, {"length": 80, "default": "", "null": False, "unique": True}),
        ("reference", Varchar, {"length": 48, "default": "", "null": False}),
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False, "index": True}),
        ("storage_key", Varchar, {"length": 64, "default": "", "null": False, "unique": True}),
        ("sha256", Varchar, {"length": 64, "default": "", "null": False, "index": True}),
        ("size", Integer, {"default": 0, "null": False}),
        ("signer", Text, {"default": "", "null": False}),
        ("signer_serial", Varchar, {"length": 64, "default": "", "null": False}),
        ("signed_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("withdrawn_at", Timestamptz, {"default": None, "null": True}),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            **_TABLE,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={"unique": False, "index": False, **_COMMON, **params},
            schema=None,
        )
    return manager
