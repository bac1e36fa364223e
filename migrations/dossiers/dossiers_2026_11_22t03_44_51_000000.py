"""A dossier's history is append-only (triggers refuse UPDATE and DELETE on
dossiers_event, on both databases); the officials' queues filter by agency and state."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T03:44:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "Append-only dossier history (triggers); queue index"

INDEXES = [
    "CREATE INDEX dossiers_dossier_queue ON dossiers_dossier (agency_code, status, due_date)",
]

SQLITE = [
    "CREATE TRIGGER dossiers_event_no_update BEFORE UPDATE ON dossiers_event "
    "BEGIN SELECT RAISE(ABORT, 'dossiers_event is append-only'); END",
    "CREATE TRIGGER dossiers_event_no_delete BEFORE DELETE ON dossiers_event "
    "BEGIN SELECT RAISE(ABORT, 'dossiers_event is append-only'); END",
]

POSTGRES = [
    "CREATE FUNCTION dossiers_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'dossiers_event is append-only'; END $$",
    "CREATE TRIGGER dossiers_event_no_change BEFORE UPDATE OR DELETE ON dossiers_event "
    "FOR EACH ROW EXECUTE FUNCTION dossiers_event_append_only()",
    "CREATE TRIGGER dossiers_event_no_truncate BEFORE TRUNCATE ON dossiers_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION dossiers_event_append_only()",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="dossiers", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in INDEXES + (SQLITE if engine.engine_type == "sqlite" else POSTGRES):
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
