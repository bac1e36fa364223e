from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.catalogue.tables import (
    Agency,
    Counter,
    FeeRule,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    Provision,
    Synonym,
    Unit,
)

APP_CONFIG = AppConfig(
    app_name="catalogue",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "catalogue"),
    table_classes=[
        Unit,
        Agency,
        Procedure,
        Provision,
        ProcedureComponent,
        ProcedureFee,
        FeeRule,
        Counter,
        Synonym,
    ],
)
