"""An index on catalogue_procedure.updated_at.

Search results are cached while the catalogue's signature (count, max id, last edit)
is unchanged; with this index that check reads one index entry instead of the table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index the last edit of procedures (the search cache's signature)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX catalogue_procedure_updated_at ON catalogue_procedure (updated_at)"
        )

    manager.add_raw(create)
    return manager
