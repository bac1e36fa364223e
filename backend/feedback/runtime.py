"""The feedback domain's configuration for one app: photos (kept by the shared
attachments), the keys of tracking links and device cookies, the counter tokens' key
version, the visit codes and the bursts held for review, and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.attachments import Attachments
from backend.clock import utc_now
from backend.settings import Settings
from backend.vietnam import VIETNAM


@dataclass(slots=True)
class FeedbackRuntime:
    attachments: Attachments
    secret_key: str
    public_url: str
    counter_key_version: int
    visit_code_minutes: int = 15
    counter_rating_burst: int = 5
    counter_rating_burst_minutes: int = 10
    feedback_burst: int = 5
    feedback_burst_minutes: int = 60
    now: Callable[[], dt.datetime] = field(default=utc_now)

    @classmethod
    def from_settings(cls, settings: Settings, attachments: Attachments) -> FeedbackRuntime:
        return cls(
            attachments=attachments,
            secret_key=settings.secret_key,
            public_url=settings.public_url,
            counter_key_version=settings.counter_key_version,
            visit_code_minutes=settings.visit_code_minutes,
            counter_rating_burst=settings.counter_rating_burst,
            counter_rating_burst_minutes=settings.counter_rating_burst_minutes,
            feedback_burst=settings.feedback_burst,
            feedback_burst_minutes=settings.feedback_burst_minutes,
        )

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM).date()


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> FeedbackRuntime:
    runtime: FeedbackRuntime = connection.app.state["feedback"]
    return runtime
