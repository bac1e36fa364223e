"""A draft outside the one-draft rule (issue 16): a further one the person asked for,
one moved from another agency, or an older duplicate kept (see 12:34:30:000001)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T12:34:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Drafts outside the one-draft rule"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="dossiers", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Dossier",
        tablename="dossiers_dossier",
        column_name="another_draft",
        db_column_name="another_draft",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
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
