"""The audit log is append-only: triggers refuse UPDATE and DELETE on accounts_audit,
on both databases, whatever code (or person with a SQL prompt) tries it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T01:36:44:000000"
VERSION = "1.38.0"
DESCRIPTION = "Append-only audit log (triggers)"

SQLITE = [
    "CREATE TRIGGER accounts_audit_no_update BEFORE UPDATE ON accounts_audit "
    "BEGIN SELECT RAISE(ABORT, 'accounts_audit is append-only'); END",
    "CREATE TRIGGER accounts_audit_no_delete BEFORE DELETE ON accounts_audit "
    "BEGIN SELECT RAISE(ABORT, 'accounts_audit is append-only'); END",
]

POSTGRES = [
    "CREATE FUNCTION accounts_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'accounts_audit is append-only'; END $$",
    "CREATE TRIGGER accounts_audit_no_change BEFORE UPDATE OR DELETE ON accounts_audit "
    "FOR EACH ROW EXECUTE FUNCTION accounts_audit_append_only()",
    "CREATE TRIGGER accounts_audit_no_truncate BEFORE TRUNCATE ON accounts_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION accounts_audit_append_only()",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
