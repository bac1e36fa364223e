"""Fee rules raise the catalogue's version number like procedures and provisions (the
search cache's key, see 2026-11-22T02:40:00)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T02:20:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "Fee rules count in the catalogue's version"

_BUMP = "UPDATE catalogue_version SET version = version + 1 WHERE id = 1"
SQLITE = [
    f"CREATE TRIGGER catalogue_version_fee_rule_{event} AFTER {event} ON catalogue_fee_rule"
    f" BEGIN {_BUMP}; END"
    for event in ("insert", "update", "delete")
]
POSTGRES = [
    "CREATE TRIGGER catalogue_version_fee_rule AFTER INSERT OR UPDATE OR DELETE"
    " OR TRUNCATE ON catalogue_fee_rule"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def count_in_version() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(count_in_version)
    return manager
