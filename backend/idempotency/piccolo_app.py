from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.idempotency.tables import IdempotentRequest

APP_CONFIG = AppConfig(
    app_name="idempotency",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "idempotency"),
    table_classes=[IdempotentRequest],
)
