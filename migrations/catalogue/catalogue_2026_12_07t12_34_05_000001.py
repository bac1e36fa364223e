"""One synonym per folded term ("bang lai" and "bằng lái" are the same to search), and
synonyms raise the catalogue's version number like procedures do: a cached search must
not outlive an edited synonym (see 2026-11-22T02:40:00)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T12:34:05:000001"
VERSION = "1.38.0"
DESCRIPTION = "Synonyms: unique folded terms, counted in the catalogue's version"

_UNIQUE = "CREATE UNIQUE INDEX catalogue_synonym_folded ON catalogue_synonym (folded)"
_BUMP = "UPDATE catalogue_version SET version = version + 1 WHERE id = 1"
SQLITE = [_UNIQUE] + [
    f"CREATE TRIGGER catalogue_version_synonym_{event} AFTER {event} ON catalogue_synonym"
    f" BEGIN {_BUMP}; END"
    for event in ("insert", "update", "delete")
]
POSTGRES = [
    _UNIQUE,
    "CREATE TRIGGER catalogue_version_synonym AFTER INSERT OR UPDATE OR DELETE"
    " OR TRUNCATE ON catalogue_synonym"
    " FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def unique_and_versioned() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(unique_and_versioned)
    return manager
