"""The tickets domain's configuration for one app: the keys of its tokens, the public
address (the entrance QR's text), the clock, and a short-lived copy of each agency's
counters (the hall's screen and the entrance page read them every few seconds)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.catalogue import service as catalogue
from backend.catalogue.schemas import CounterRead
from backend.clock import utc_now
from backend.settings import Settings
from backend.vietnam import VIETNAM

COUNTERS_KEPT_S = 60.0


@dataclass(slots=True)
class TicketsRuntime:
    secret_key: str
    key_version: int
    public_url: str
    now: Callable[[], dt.datetime] = field(default=utc_now)
    _counters: dict[str, tuple[float, list[CounterRead]]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> TicketsRuntime:
        return cls(
            secret_key=settings.secret_key,
            key_version=settings.tickets.key_version,
            public_url=settings.public_url,
        )

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM).date()

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")

    async def counters(self, agency_code: str) -> list[CounterRead]:
        """The agency's counters, read again after a minute (NotFound: no agency)."""
        kept = self._counters.get(agency_code)
        if kept is not None and time.monotonic() - kept[0] < COUNTERS_KEPT_S:
            return kept[1]
        counters = await catalogue.counters_of(agency_code)
        self._counters[agency_code] = (time.monotonic(), counters)
        return counters


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> TicketsRuntime:
    runtime: TicketsRuntime = connection.app.state["tickets"]
    return runtime
