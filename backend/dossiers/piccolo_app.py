from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.dossiers.tables import Dossier, DossierEvent, DossierFile, DossierSequence

APP_CONFIG = AppConfig(
    app_name="dossiers",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "dossiers"),
    table_classes=[Dossier, DossierEvent, DossierFile, DossierSequence],
)
