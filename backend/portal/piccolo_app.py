from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.portal.tables import PortalSync

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "portal"),
    table_classes=[PortalSync],
)
