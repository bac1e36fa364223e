"""The feedback domain's configuration for one app: photo storage, the keys of
tracking links and device cookies, the counter tokens' key version, and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.clock import utc_now
from backend.dossiers.storage import Storage, storage_for
from backend.settings import Settings
from backend.vietnam import VIETNAM


@dataclass(slots=True)
class FeedbackRuntime:
    storage: Storage
    secret_key: str
    public_url: str
    counter_key_version: int
    now: Callable[[], dt.datetime] = field(default=utc_now)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackRuntime:
        return cls(
            storage=storage_for(settings.data_dir),
            secret_key=settings.secret_key,
            public_url=settings.public_url,
            counter_key_version=settings.counter_key_version,
        )

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM).date()


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> FeedbackRuntime:
    runtime: FeedbackRuntime = connection.app.state["feedback"]
    return runtime
