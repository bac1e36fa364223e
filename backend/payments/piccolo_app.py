from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.payments.tables import (
    Capture,
    GatewayNotice,
    Payment,
    PaymentDossier,
    Receipt,
    ReceiptSeries,
    Refund,
    SandboxTransaction,
)

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "payments"),
    table_classes=[
        Payment,
        PaymentDossier,
        Capture,
        GatewayNotice,
        Receipt,
        ReceiptSeries,
        Refund,
        SandboxTransaction,
    ],
)
