"""Appointments (issue 19): agencies' opening hours and closures, slots with their
capacity, and bookings (their unique places: the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Appointments: opening hours, closures, slots, bookings"

# Each table's own ``id`` (a serial primary key) comes with it.
_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
_NOW = {"default": TimestamptzNow(), "null": False}
TABLES = {
    ("Opening", "appointments_opening"): [
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False, "index": True}),
        ("weekday", Integer, {"default": 0, "null": False}),
        ("opens", Integer, {"default": 0, "null": False}),
        ("closes", Integer, {"default": 0, "null": False}),
        ("slot_minutes", Integer, {"default": 30, "null": False}),
        ("per_counter", Integer, {"default": 2, "null": False}),
    ],
    ("Closure", "appointments_closure"): [
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False, "index": True}),
        ("day", Date, {"default": DateNow(), "null": False}),
        ("reason_vi", Text, {"default": "", "null": False}),
        ("reason_en", Text, {"default": "", "null": False}),
    ],
    ("Slot", "appointments_slot"): [
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False}),
        ("counter_number", Integer, {"default": 0, "null": False}),
        ("day", Date, {"default": DateNow(), "null": False}),
        ("starts", Integer, {"default": 0, "null": False}),
        ("capacity", Integer, {"default": 0, "null": False}),
        ("taken", Integer, {"default": 0, "null": False}),
    ],
    ("Booking", "appointments_booking"): [
        ("code", Varchar, {"length": 16, "default": "", "null": False, "unique": True}),
        ("account_id", Integer, {"default": 0, "null": False, "index": True}),
        ("device", Varchar, {"length": 32, "default": "", "null": False, "index": True}),
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False, "index": True}),
        ("counter_number", Integer, {"default": 0, "null": False}),
        ("procedure_code", Varchar, {"length": 32, "default": "", "null": False}),
        ("day", Date, {"default": DateNow(), "null": False, "index": True}),
        ("starts", Integer, {"default": 0, "null": False}),
        ("slot_minutes", Integer, {"default": 30, "null": False}),
        ("state", Varchar, {"length": 12, "default": "booked", "null": False}),
        ("created_at", Timestamptz, _NOW),
        ("updated_at", Timestamptz, _NOW),
        ("reminded_at", Timestamptz, {"default": None, "null": True}),
        ("arrived_at", Timestamptz, {"default": None, "null": True}),
        ("ticket_path", Varchar, {"length": 80, "default": "", "null": False}),
    ],
}
async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="appointments", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
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
