"""Integrators' webhooks (issue 18): subscriptions, their signing keys, deliveries (the
index of the order per dossier comes in the next migration: raw steps run first)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import (
    JSON,
    BigInt,
    Boolean,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Webhook subscriptions, keys and deliveries"

# The table's own ``id`` (a serial primary key) comes with it.
_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}
_NOW = {"default": TimestamptzNow(), "null": False}
TABLES = {
    ("Subscription", "webhooks_subscription"): [
        ("url", Varchar, {"length": 500, "default": "", "null": False}),
        ("events", JSON, {"default": "[]", "null": False}),
        ("agency_code", Varchar, {"length": 32, "default": "", "null": False, "index": True}),
        ("ordered", Boolean, {"default": False, "null": False}),
        ("description", Varchar, {"length": 200, "default": "", "null": False}),
        ("created_by", Integer, {"default": 0, "null": False}),
        ("created_at", Timestamptz, _NOW),
    ],
    ("SigningKey", "webhooks_key"): [
        ("subscription_id", Integer, {"default": 0, "null": False, "index": True}),
        ("key_id", Varchar, {"length": 32, "default": "", "null": False, "unique": True}),
        ("secret", Varchar, {"length": 100, "default": "", "null": False}),
        ("created_at", Timestamptz, _NOW),
        ("expires_ms", BigInt, {"default": None, "null": True}),
    ],
    ("Delivery", "webhooks_delivery"): [
        ("delivery_key", Varchar, {"length": 220, "default": "", "null": False, "unique": True}),
        ("subscription_id", Integer, {"default": 0, "null": False, "index": True}),
        ("event_id", Varchar, {"length": 200, "default": "", "null": False, "index": True}),
        ("event_type", Varchar, {"length": 40, "default": "", "null": False}),
        ("order_key", Varchar, {"length": 60, "default": "", "null": False}),
        ("seq", BigInt, {"default": 0, "null": False}),
        ("ordered", Boolean, {"default": False, "null": False}),
        ("body", Text, {"default": "", "null": False}),
        ("status", Varchar, {"length": 10, "default": "pending", "null": False}),
        ("attempts", Integer, {"default": 0, "null": False}),
        ("available_ms", BigInt, {"default": 0, "null": False, "index": True}),
        ("claimed_until_ms", BigInt, {"default": None, "null": True}),
        ("deadline_ms", BigInt, {"default": 0, "null": False}),
        ("last_status_code", Integer, {"default": None, "null": True}),
        ("last_error", Text, {"default": "", "null": False}),
        ("created_at", Timestamptz, _NOW),
        ("last_attempt_at", Timestamptz, {"default": None, "null": True}),
        ("delivered_at", Timestamptz, {"default": None, "null": True}),
    ],
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="webhooks", description=DESCRIPTION)
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
