"""Counters, document lists and fee lines raise the catalogue's version number too: the
procedure pages served from memory (issue 21) show a provision's counters and a
procedure's components and fees, and must not outlive an edit of any of them (see
2026-11-22T02:40:00). Components and fees are rewritten with their procedure's row
today; the triggers keep that true of any other path (plain SQL, a future editor)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-08T02:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Counters, components and fees counted in the catalogue's version"

_TABLES = ("counter", "component", "fee")
_BUMP = "UPDATE catalogue_version SET version = version + 1 WHERE id = 1"
SQLITE = [
    f"CREATE TRIGGER catalogue_version_{table}_{event} AFTER {event} ON catalogue_{table}"
    f" BEGIN {_BUMP}; END"
    for table in _TABLES
    for event in ("insert", "update", "delete")
]
POSTGRES = [
    f"CREATE TRIGGER catalogue_version_{table} AFTER INSERT OR UPDATE OR DELETE"
    f" OR TRUNCATE ON catalogue_{table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
    for table in _TABLES
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def versioned() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(versioned)
    return manager
