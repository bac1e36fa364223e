"""The sender asks, for an ordered delivery, whether an earlier one of its dossier and
subscription is still pending: that question has its own index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T17:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "Webhook deliveries: the order per dossier's index"

ORDER_INDEX = (
    "CREATE INDEX webhooks_delivery_order"
    " ON webhooks_delivery (subscription_id, order_key, status, seq)"
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="webhooks", description=DESCRIPTION)

    async def order_index() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(ORDER_INDEX)

    manager.add_raw(order_index)
    return manager
