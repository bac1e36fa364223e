from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.accounts.tables import (
    Account,
    AuditEvent,
    Challenge,
    EnrolmentLink,
    Identity,
    Invitation,
    Membership,
    Organisation,
    OrganisationClaim,
    Passkey,
    RecoveryCode,
    Session,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "accounts"),
    table_classes=[
        Account,
        Passkey,
        Challenge,
        Session,
        Identity,
        RecoveryCode,
        EnrolmentLink,
        Organisation,
        Membership,
        Invitation,
        OrganisationClaim,
        AuditEvent,
    ],
)
