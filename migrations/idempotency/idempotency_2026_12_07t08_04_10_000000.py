"""Requests made under an Idempotency-Key and their first answers (issue 15)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Bytea, Integer, Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T08:04:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "Idempotent requests and their first answers"

# The table's own ``id`` (a serial primary key) comes with it.
_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
_TABLE = {"table_class_name": "IdempotentRequest", "tablename": "idempotency_request"}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="idempotency", description=DESCRIPTION)
    manager.add_table(
        class_name="IdempotentRequest", tablename="idempotency_request", schema=None, columns=None
    )
    columns = [
        ("request_key", Varchar, {"length": 64, "default": "", "null": False, "unique": True}),
        ("fingerprint", Varchar, {"length": 64, "default": "", "null": False}),
        ("status_code", Integer, {"default": None, "null": True}),
        ("headers", Text, {"default": "{}", "null": False}),
        ("body", Bytea, {"default": None, "null": True}),
        ("created_ms", BigInt, {"default": 0, "null": False, "index": True}),
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
