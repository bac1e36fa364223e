"""The tickets' unique keys (one sequence row per agency, counter and day; one number
per issuing counter and day) and the indexes of a counter's line, of the day's figures
and of the limits per device and account."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T23:05:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "Queue tickets: unique numbering and the lines' indexes"

STATEMENTS = (
    "CREATE UNIQUE INDEX tickets_sequence_key"
    " ON tickets_sequence (agency_code, counter_number, day)",
    "CREATE UNIQUE INDEX tickets_ticket_number"
    " ON tickets_ticket (agency_code, issued_counter, day, number)",
    "CREATE INDEX tickets_ticket_line ON tickets_ticket (agency_code, day, counter_number, state)",
    "CREATE INDEX tickets_ticket_day ON tickets_ticket (day)",
    "CREATE INDEX tickets_ticket_device ON tickets_ticket (device, day)",
    "CREATE INDEX tickets_ticket_account ON tickets_ticket (account_id, day)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

    async def indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(indexes)
    return manager
