"""Queue tickets (issue 19): the numbering sequences and the tickets (their unique keys
and indexes come in the next migration: raw steps run first)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T23:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Queue tickets and their numbering"

# The table's own ``id`` (a serial primary key) comes with it.
_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
_NOW = {"default": TimestamptzNow(), "null": False}
_WHEN = {"default": None, "null": True}
_MAYBE = {"default": None, "null": True}
TABLES = {
    ("Sequence", "tickets_sequence"): [
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False}),
        ("counter_number", Integer, {"default": 0, "null": False}),
        ("day", Varchar, {"length": 10, "default": "", "null": False}),
        ("last_number", Integer, {"default": 0, "null": False}),
    ],
    ("Ticket", "tickets_ticket"): [
        ("public_id", Varchar, {"length": 32, "default": "", "null": False, "unique": True}),
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False}),
        ("counter_number", Integer, {"default": 0, "null": False}),
        ("issued_counter", Integer, {"default": 0, "null": False}),
        ("day", Varchar, {"length": 10, "default": "", "null": False}),
        ("number", Integer, {"default": 0, "null": False}),
        ("state", Varchar, {"length": 10, "default": "waiting", "null": False}),
        ("booked", Boolean, {"default": False, "null": False}),
        ("account_id", Integer, _MAYBE),
        ("device", Varchar, {"length": 64, "default": "", "null": False}),
        ("procedure_code", Varchar, {"length": 32, **_MAYBE}),
        ("queued_at", Timestamptz, _NOW),
        ("issued_at", Timestamptz, _NOW),
        ("called_at", Timestamptz, _WHEN),
        ("last_called_at", Timestamptz, _WHEN),
        ("finished_at", Timestamptz, _WHEN),
        ("times_called", Integer, {"default": 0, "null": False}),
        ("called_by", Integer, _MAYBE),
        ("finished_by", Integer, _MAYBE),
        ("transferred_from", Integer, _MAYBE),
        ("wait_s", Integer, _MAYBE),
        ("service_s", Integer, _MAYBE),
    ],
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    for class_name, tablename in TABLES:
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
    for (class_name, tablename), columns in TABLES.items():
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params={"unique": False, "index": False, **_COMMON, **params},
                schema=None,
            )
    return manager
