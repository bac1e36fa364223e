"""What every portal adapter is: given a received dossier as it stands now, send it and
say how it went. Three outcomes, which the sync's bookkeeping acts on:
- ``synced``: the portal holds this state;
- ``retry_later``: no answer, or one that says "not now" (a timeout, a refused
  connection, a 5xx, a 429): sent again with backoff;
- ``rejected``: the portal refused this dossier (a 4xx, or its own error code): sending
  the same again would be refused again, so it waits for a newer state or an official.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from backend.dossiers.schemas import SyncRecord
from backend.portal.schemas import Problem
from backend.settings import PortalSettings

OutcomeKind = Literal["synced", "retry_later", "rejected"]


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    problem: Problem = ""
    # The portal's own words when it gave some (never a person's details of ours).
    message: str = ""

    @classmethod
    def synced(cls) -> Outcome:
        return cls("synced")

    @classmethod
    def retry_later(cls, problem: Problem, message: str = "") -> Outcome:
        return cls("retry_later", problem, message[:500])

    @classmethod
    def rejected(cls, message: str, problem: Problem = "rejected") -> Outcome:
        return cls("rejected", problem, message[:500])


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One dossier to send: as it stands now, with what the portal also asks for."""

    record: SyncRecord
    agency_name: str
    # The portal has had this dossier before (an update, not a first sync).
    updating: bool


class Adapter(Protocol):
    """One target. Entered once per worker run (to keep its HTTP client and session)."""

    async def __aenter__(self) -> Adapter: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def send(self, outgoing: Outgoing) -> Outcome: ...


class AdapterFactory(Protocol):
    """How a target's adapter is made from the portal's settings."""

    def __call__(self, settings: PortalSettings) -> Adapter: ...
