"""Older rows under the rules of issue 15: a dossier's rating was proven by its owner's
account; a counter rating made before a visit proof was asked is kept but no longer
counted ("unverified"), and marked changed so that the figures of its day are
recomputed without it; feedback gets the target it was about. Then the indexes the
burst checks read: a counter's ratings, and a target's feedback, by time."""

import datetime as dt

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T08:01:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Older ratings' proofs and statuses, feedback's targets, burst indexes"

STATEMENTS = (
    "UPDATE feedback_rating SET proof = 'account' WHERE source = 'dossier'",
    "UPDATE feedback_rating SET status = 'unverified', updated_at = {now}"
    " WHERE source = 'counter' AND proof = ''",
    "UPDATE feedback_item SET target_key = CASE"
    " WHEN dossier_id IS NOT NULL THEN 'dossier:' || CAST(dossier_id AS TEXT)"
    " WHEN counter_number IS NOT NULL"
    " THEN 'counter:' || first_agency || ':' || CAST(counter_number AS TEXT)"
    " WHEN procedure_code IS NOT NULL THEN 'procedure:' || first_agency || ':' || procedure_code"
    " ELSE 'agency:' || first_agency END",
    "CREATE INDEX feedback_rating_counter_recent"
    " ON feedback_rating (agency_code, counter_number, created_at)",
    "CREATE INDEX feedback_item_target_recent ON feedback_item (target_key, created_at)",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)

    async def backfill_and_index() -> None:
        engine = engine_finder()
        assert engine is not None
        # As Piccolo writes a UTC time on SQLite (``str()``), which PostgreSQL reads too.
        now = f"'{dt.datetime.now(dt.UTC)}'"
        for statement in STATEMENTS:
            await engine.run_ddl(statement.format(now=now))

    manager.add_raw(backfill_and_index)
    return manager
