"""The dossiers domain's configuration for one app: the attachments (shared with the
other domains that take files), the signing keys, the key of tracking links, the public
address, and the clock (replaceable in tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.attachments import Attachments
from backend.clock import utc_now
from backend.settings import Settings
from backend.signing.service import SigningRuntime
from backend.vietnam import VIETNAM


@dataclass(slots=True)
class DossiersRuntime:
    attachments: Attachments
    secret_key: str
    public_url: str
    # The agencies' signing keys: results, and form 01, are signed with them (issue 17).
    signing: SigningRuntime
    province_name: str = "Tỉnh Thanh Hóa"
    # Working days after submission at which unpaid fees due before reception are
    # reminded (``service.reminders``).
    fee_reminder_days: tuple[int, ...] = (1, 5)
    now: Callable[[], dt.datetime] = field(default=utc_now)

    @classmethod
    def from_settings(
        cls, settings: Settings, attachments: Attachments, signing: SigningRuntime
    ) -> DossiersRuntime:
        return cls(
            attachments=attachments,
            signing=signing,
            secret_key=settings.secret_key,
            public_url=settings.public_url,
            province_name=settings.province_name,
            fee_reminder_days=settings.fee_reminder_days,
        )

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM).date()


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> DossiersRuntime:
    runtime: DossiersRuntime = connection.app.state["dossiers"]
    return runtime
