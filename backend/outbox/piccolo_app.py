from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.outbox.tables import OutboxMessage

APP_CONFIG = AppConfig(
    app_name="outbox",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "outbox"),
    table_classes=[OutboxMessage],
)
