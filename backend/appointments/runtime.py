"""The appointments domain's configuration for one app: the keys of device cookies
and of the entrance QR codes, the public address (the bookings' QR codes point at
it), and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.clock import utc_now
from backend.settings import Settings
from backend.vietnam import VIETNAM


@dataclass(slots=True)
class AppointmentsRuntime:
    secret_key: str
    public_url: str
    # The queue's entrance QR codes prove an arrival (``backend.tickets``' key).
    ticket_key_version: int = 1
    now: Callable[[], dt.datetime] = field(default=utc_now)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppointmentsRuntime:
        return cls(
            secret_key=settings.secret_key,
            public_url=settings.public_url,
            ticket_key_version=settings.tickets.key_version,
        )

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM).date()

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AppointmentsRuntime:
    runtime: AppointmentsRuntime = connection.app.state["appointments"]
    return runtime
