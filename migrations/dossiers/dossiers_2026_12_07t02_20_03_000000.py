"""The applicant group a person declared on their dossier to be exempted from (or have
reduced) its fees, with the evidence attached as one of its files ("" for none)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T02:20:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "The applicant group declared for a fee exemption"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="dossiers", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Dossier",
        tablename="dossiers_dossier",
        column_name="applicant_group",
        db_column_name="applicant_group",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": "",
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
