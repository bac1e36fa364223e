"""The national portal's sync (issue 18): one row per received dossier, where its sync
stands."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The national portal's sync state per dossier"

# The table's own ``id`` (a serial primary key) comes with it.
_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
COLUMNS = [
    ("dossier_id", Integer, {"default": 0, "null": False, "unique": True}),
    ("wanted_version", BigInt, {"default": 0, "null": False}),
    ("sent_version", BigInt, {"default": None, "null": True}),
    ("state", Varchar, {"length": 10, "default": "requested", "null": False}),
    ("problem", Varchar, {"length": 16, "default": "", "null": False}),
    ("message", Text, {"default": "", "null": False}),
    ("attempts", Integer, {"default": 0, "null": False}),
    ("next_ms", BigInt, {"default": None, "null": True, "index": True}),
    ("claimed_until_ms", BigInt, {"default": None, "null": True}),
    ("requested_ms", BigInt, {"default": 0, "null": False}),
    ("failing_since_ms", BigInt, {"default": None, "null": True}),
    ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    manager.add_table(class_name="PortalSync", tablename="portal_sync", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="PortalSync",
            tablename="portal_sync",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={"unique": False, "index": False, **_COMMON, **params},
            schema=None,
        )
    return manager
