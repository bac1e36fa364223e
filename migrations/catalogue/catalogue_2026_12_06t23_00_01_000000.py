"""A procedure is carried out by many agencies: today's one agency per procedure becomes
its first provision, then ``catalogue_procedure.agency`` goes.

SQLite refuses to drop a column that holds a foreign key, so its REFERENCES clause is
removed first by the procedure SQLite documents for dropping a foreign-key constraint
(rewrite the table's definition in sqlite_schema, raise schema_version): the stored rows
do not change, only the constraint does. Then Piccolo drops the column on both databases,
which keeps its migration snapshot true.

Provisions and units raise the catalogue's version number like procedures and agencies
(the search cache's key, see 2026-11-22T02:40:00).
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T23:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Each procedure's agency becomes its first provision; procedure.agency dropped"

_COPY = (
    "INSERT INTO catalogue_provision (procedure, agency, note_vi, note_en)"
    " SELECT id, agency, '', '' FROM catalogue_procedure WHERE agency IS NOT NULL"
)
_UNIQUE = (
    "CREATE UNIQUE INDEX catalogue_provision_procedure_agency"
    " ON catalogue_provision (procedure, agency)"
)
_BUMP = "UPDATE catalogue_version SET version = version + 1 WHERE id = 1"
_TABLES = ("provision", "unit")

SQLITE = [
    _COPY,
    _UNIQUE,
    *(
        f"CREATE TRIGGER catalogue_version_{table}_{event} AFTER {event} ON catalogue_{table}"
        f" BEGIN {_BUMP}; END"
        for table in _TABLES
        for event in ("insert", "update", "delete")
    ),
    "DROP INDEX catalogue_procedure_agency",
]
POSTGRES = [
    _COPY,
    _UNIQUE,
    *(
        f"CREATE TRIGGER catalogue_version_{table} AFTER INSERT OR UPDATE OR DELETE"
        f" OR TRUNCATE ON catalogue_{table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION catalogue_version_bump()"
        for table in _TABLES
    ),
]
_REFERENCE = re.compile(
    r'("agency" INTEGER) REFERENCES "catalogue_agency" \("id"\)[A-Z ]*?(?= DEFAULT)'
)


async def _sqlite_drop_reference() -> None:
    engine = engine_finder()
    assert engine is not None
    rows = await engine.run_ddl(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'catalogue_procedure'"
    )
    table_sql = rows[0]["sql"]
    changed, found = _REFERENCE.subn(r"\1", table_sql)
    if found != 1:
        raise RuntimeError("catalogue_procedure.agency: unexpected definition")
    version = (await engine.run_ddl("PRAGMA schema_version"))[0]["schema_version"]
    await engine.run_ddl("PRAGMA writable_schema = ON")
    await engine.run_ddl(
        "UPDATE sqlite_schema SET sql = '"
        + changed.replace("'", "''")
        + "' WHERE type = 'table' AND name = 'catalogue_procedure'"
    )
    await engine.run_ddl(f"PRAGMA schema_version = {int(version) + 1}")
    await engine.run_ddl("PRAGMA writable_schema = OFF")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="catalogue", description=DESCRIPTION)

    async def carry_over() -> None:
        engine = engine_finder()
        assert engine is not None
        sqlite = engine.engine_type == "sqlite"
        for statement in SQLITE if sqlite else POSTGRES:
            await engine.run_ddl(statement)
        if sqlite:
            await _sqlite_drop_reference()

    manager.add_raw(carry_over)
    manager.drop_column(
        table_class_name="Procedure",
        tablename="catalogue_procedure",
        column_name="agency",
        db_column_name="agency",
        schema=None,
    )
    return manager
