from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.appointments.tables import Booking, Closure, Opening, Slot

APP_CONFIG = AppConfig(
    app_name="appointments",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "appointments"),
    table_classes=[Opening, Closure, Slot, Booking],
)
