"""Identities at an identity provider (VNeID) linked to accounts, and how each session
began (issue 18)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Account(Table, tablename="accounts_account", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


ID = "2026-12-07T19:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Identities and the sign-in method of sessions"

# The table's own ``id`` (a serial primary key) comes with it.
_COMMON = {
    "primary_key": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(
        class_name="Identity", tablename="accounts_identity", schema=None, columns=None
    )
    foreign = {
        "references": Account,
        "on_delete": OnDelete.cascade,
        "on_update": OnUpdate.cascade,
        "target_column": None,
        "null": True,
        "index": True,
    }
    columns = [
        (
            "identity_key",
            Varchar,
            {"length": 64, "default": "", "null": False, "unique": True, "index": True},
        ),
        ("account_key", Varchar, {"length": 40, "default": "", "null": False, "unique": True}),
        ("issuer", Text, {"default": "", "null": False}),
        ("subject", Varchar, {"length": 255, "default": "", "null": False}),
        ("account", ForeignKey, foreign),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("last_used_at", Timestamptz, {"default": None, "null": True}),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Identity",
            tablename="accounts_identity",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={"unique": False, "index": False, **_COMMON, **params},
            schema=None,
        )
    manager.add_column(
        table_class_name="Session",
        tablename="accounts_session",
        column_name="method",
        db_column_name="method",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "passkey",
            "null": False,
            "unique": False,
            "index": False,
            **_COMMON,
        },
        schema=None,
    )
    return manager
