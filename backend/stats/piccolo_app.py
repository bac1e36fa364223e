from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.stats.tables import StatsDaily, StatsState

APP_CONFIG = AppConfig(
    app_name="stats",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "stats"),
    table_classes=[StatsDaily, StatsState],
)
