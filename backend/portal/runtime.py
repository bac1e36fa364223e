"""The portal domain's configuration for one app or worker process: the settings (which
adapter, where, the account), the lease on claimed dossiers, how long a failing send is
retried, when a "requested" sync counts as stuck, and the clock (tests give their own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.clock import epoch_ms, utc_now
from backend.settings import PortalSettings, Settings


@dataclass(slots=True)
class PortalRuntime:
    settings: PortalSettings = field(default_factory=PortalSettings)
    lease_ms: int = 60_000
    retry_for_ms: int = 24 * 3600 * 1000
    # A sync "requested" this long ago and still not sent is resent by the nightly job.
    stale_ms: int = 3600 * 1000
    # At most this many sends at once (the portal's adapter service is shared).
    concurrency: int = 8
    now: Callable[[], dt.datetime] = field(default=utc_now)
    # The Vietnamese day the nightly resend last ran in this process.
    last_resend: dt.date | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PortalRuntime:
        config = settings.portal
        return cls(
            settings=config,
            lease_ms=config.lease_s * 1000,
            retry_for_ms=config.retry_hours * 3600 * 1000,
        )

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def now_ms(self) -> int:
        return epoch_ms(self.now)


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> PortalRuntime:
    runtime: PortalRuntime = connection.app.state["portal"]
    return runtime
