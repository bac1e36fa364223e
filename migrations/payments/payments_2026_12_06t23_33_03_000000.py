"""The orders made before an order had its own agency keep the agency their receipt was
headed by: the agency of their first dossier when the order was made (kept in its
lines). A receipt already issued is a document: its issuer does not change afterwards,
even for an old order that mixed the dossiers of several agencies."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T23:33:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "Orders already made take the agency that headed their receipt"

_FILL = "UPDATE payments_payment SET agency_code = COALESCE({}, '') WHERE agency_code = ''"
SQLITE = _FILL.format("json_extract(lines, '$[0].agency_code')")
POSTGRES = _FILL.format("lines -> 0 ->> 'agency_code'")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def carry_over() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(SQLITE if engine.engine_type == "sqlite" else POSTGRES)

    manager.add_raw(carry_over)
    return manager
