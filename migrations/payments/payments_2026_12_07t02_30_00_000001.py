"""An Idempotency-Key names one order of one account: a unique index on (account,
key), partial so that the orders made without a key (NULL) are not in it. Both
SQLite (3.8 and later) and PostgreSQL have partial indexes; neither would count
NULLs as equal anyway, the condition only keeps the index small."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T02:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "An idempotency key is unique per account"

KEY = (
    "CREATE UNIQUE INDEX payments_payment_idempotency_key"
    " ON payments_payment (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def unique_key() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(KEY)

    manager.add_raw(unique_key)
    return manager
