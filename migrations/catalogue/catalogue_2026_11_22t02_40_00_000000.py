"""A version number of the catalogue, raised by triggers on every change.

Search results are cached in each process while this number is unchanged. Reading
one row costs nothing, where counting procedures costs a table scan on PostgreSQL;
triggers see every change, whoever makes it (the API, an import, plain SQL).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Catalogue version number, raised by triggers (the search cache's key)"

_TABLE = [
    "CREATE TABLE catalogue_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version BIGINT NOT NULL)",
    "INSERT INTO catalogue_version (id, version) VALUES (1, 0)",
]
_BUMP = "UPDATE catalogue_version SET version = version + 1 WHERE id = 1"
# SQLite triggers run for each row; a catalogue edit touches few rows.
SQLITE = _TABLE + [
    f"CREATE TRIGGER catalogue_version_{table}_{event} AFTER {event} ON catalogue_{table}"
    f" BEGIN {_BUMP}; END"
    for table in ("procedure", "agency")
    for event in ("insert", "update", "delete")
]
POSTGRES = _TABLE + [
    "CREATE FUNCTION catalogue_version_bump() RETURNS trigger LANGUAGE plpgsql AS"
    f" $$ BEGIN {_BUMP}; RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER catalogue_version_{table} AFTER INSERT OR UPDATE OR DELETE"
        f" OR TRUNCATE ON catalogue_{table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
        for table in ("procedure", "agency")
    ),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
