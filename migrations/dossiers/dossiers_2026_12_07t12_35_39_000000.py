"""How many reminders of unpaid fees a dossier waiting for them before reception was
sent (issue 16): the reminder chore takes each with a conditional update."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T12:35:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "Reminders of unpaid fees sent"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="dossiers", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Dossier",
        tablename="dossiers_dossier",
        column_name="fee_reminders",
        db_column_name="fee_reminders",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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
