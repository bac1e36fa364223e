from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.webhooks.tables import Delivery, SigningKey, Subscription

APP_CONFIG = AppConfig(
    app_name="webhooks",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "webhooks"),
    table_classes=[Subscription, SigningKey, Delivery],
)
