"""msgspec Structs of the portal domain: where a dossier's sync stands."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

SyncStateName = Literal["requested", "synced", "error"]
Problem = Literal["", "timeout", "unreachable", "server", "auth", "rejected"]


class SyncState(msgspec.Struct, kw_only=True, frozen=True):
    """A dossier's sync with the portal, as officials see it."""

    dossier_id: int
    state: SyncStateName
    problem: Problem
    message: str
    attempts: int
    # Retried automatically at this time (None: not until something asks again).
    next_attempt_at: dt.datetime | None
    updated_at: dt.datetime
