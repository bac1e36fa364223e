"""The notifications domain's configuration for one app or worker process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend import vapid
from backend.clock import epoch_ms, utc_now
from backend.notifications.channels.base import Channel
from backend.notifications.channels.registry import channels_of
from backend.settings import Settings


@dataclass(slots=True)
class NotificationsRuntime:
    vapid_private_key: str
    vapid_subject: str
    public_url: str
    push_hosts: tuple[str, ...]
    allow_http_loopback: bool
    timeout_s: float
    # How long a worker holds the push jobs it claimed; it renews the claim while the
    # push services keep it waiting, so only a dead worker's jobs are taken again.
    lease_ms: int = 60_000
    now: Callable[[], dt.datetime] = field(default=utc_now)
    # Issue 16: e-mail, SMS and ZNS, those configured; the secret signs the status
    # callback addresses given to providers that sign nothing themselves.
    channels: dict[str, Channel] = field(default_factory=dict)
    secret_key: str = ""
    channel_timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> NotificationsRuntime:
        return cls(
            vapid_private_key=settings.vapid_private_key,
            vapid_subject=settings.vapid_subject,
            public_url=settings.public_url,
            push_hosts=settings.push_hosts,
            allow_http_loopback=settings.push_allow_http_loopback,
            timeout_s=settings.push_timeout_s,
            channels=channels_of(settings),
            secret_key=settings.secret_key,
            channel_timeout_s=settings.channels.channel_timeout_s,
        )

    @property
    def public_key(self) -> str:
        return vapid.public_key(self.vapid_private_key)

    def now_ms(self) -> int:
        return epoch_ms(self.now)


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> NotificationsRuntime:
    runtime: NotificationsRuntime = connection.app.state["notifications"]
    return runtime
