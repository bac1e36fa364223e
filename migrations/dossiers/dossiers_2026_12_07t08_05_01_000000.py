"""The claim code of a dossier entered at a counter (issue 15): printed once on form 01
for the citizen, kept only as its HMAC, with the wrong attempts made against it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T08:05:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "The claim code of a counter dossier and its wrong attempts"

_COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="dossiers", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Dossier",
        tablename="dossiers_dossier",
        column_name="claim_code_hash",
        db_column_name="claim_code_hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 64, "default": None, "null": True, **_COMMON},
        schema=None,
    )
    manager.add_column(
        table_class_name="Dossier",
        tablename="dossiers_dossier",
        column_name="claim_failures",
        db_column_name="claim_failures",
        column_class_name="Integer",
        column_class=Integer,
        params={"default": 0, "null": False, **_COMMON},
        schema=None,
    )

    return manager
