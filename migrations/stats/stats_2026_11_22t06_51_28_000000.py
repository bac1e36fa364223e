"""The unique index of the daily aggregates: one number per (agency, day, metric).

Piccolo's composite ``Unique`` emits ALTER TABLE, which SQLite refuses, so it is made
here. Agency first: every dashboard read asks for one agency (or ``*``, the province)
over a range of days, so it scans one stretch of this index. On PostgreSQL the value is
carried in the index too (INCLUDE), so those reads need not visit the table. SQLite has
no INCLUDE; a second index with the value in it read a province's year (10,000 rows)
in 1.8 ms instead of 2.3 (the table's rows lie in day order already): not worth it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T06:51:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique (agency_code, day, metric) index on stats_daily"

SQLITE = [
    "CREATE UNIQUE INDEX stats_daily_agency_day_metric ON stats_daily (agency_code, day, metric)",
]
POSTGRES = [
    "CREATE UNIQUE INDEX stats_daily_agency_day_metric ON stats_daily (agency_code, day, metric)"
    " INCLUDE (value)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="stats", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in SQLITE if engine.engine_type == "sqlite" else POSTGRES:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
