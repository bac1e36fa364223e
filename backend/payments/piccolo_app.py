from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.payments.tables import (
    GatewayNotice,
    Payment,
    PaymentDossier,
    Receipt,
    Refund,
    SandboxTransaction,
)

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "payments"),
    table_classes=[Payment, PaymentDossier, GatewayNotice, Receipt, Refund, SandboxTransaction],
)
