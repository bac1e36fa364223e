from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.signing.tables import SignedDocument

APP_CONFIG = AppConfig(
    app_name="signing",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "signing"),
    table_classes=[SignedDocument],
)
