from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.workdays.tables import WorkdayException

APP_CONFIG = AppConfig(
    app_name="workdays",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "workdays"),
    table_classes=[WorkdayException],
)
