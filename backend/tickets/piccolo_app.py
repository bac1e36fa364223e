from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.tickets.tables import Sequence, Ticket

APP_CONFIG = AppConfig(
    app_name="tickets",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "tickets"),
    table_classes=[Sequence, Ticket],
)
