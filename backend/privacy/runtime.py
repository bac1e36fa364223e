"""What the privacy domain needs of one app: the accounts' runtime (its clock, rate
limiter and audit log), the payments' (to render receipts) and the kept files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backend.accounts.service import AccountsRuntime
from backend.attachments import Storage
from backend.payments.service import PaymentsRuntime


@dataclass
class PrivacyRuntime:
    accounts: AccountsRuntime
    payments: PaymentsRuntime
    storage: Storage
    # Where archives are built before they are sent (removed once sent).
    scratch: Path
