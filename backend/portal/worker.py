"""The portal's background jobs: the sync (intake of the outbox's copies, then the due
dossiers sent through the configured adapter, a few at once, each outcome recorded) and
the nightly resend of what is out of step. ``backend.jobs`` runs them with the other
domains' jobs (``motcua worker``, or in-process when embedded)."""

from __future__ import annotations

import asyncio
import logging

from backend.catalogue import service as catalogue
from backend.dossiers import service as dossiers
from backend.dossiers.schemas import SyncRecord
from backend.jobs import Chore
from backend.portal import adapters, service
from backend.portal.adapters import Adapter, Outcome, Outgoing
from backend.portal.runtime import PortalRuntime

logger = logging.getLogger("motcua.worker")


class PortalSyncJob:
    name = "portal.sync"
    every_s = 0.0

    def __init__(self, runtime: PortalRuntime, batch: int = 50) -> None:
        self.runtime = runtime
        self.batch = batch
        self._adapter: Adapter | None = None

    async def __aenter__(self) -> PortalSyncJob:
        if self.runtime.enabled:
            self._adapter = await adapters.build(self.runtime.settings).__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._adapter is not None:
            await self._adapter.__aexit__(None, None, None)
            self._adapter = None

    async def __call__(self) -> int:
        taken = await service.intake(self.runtime)
        if self._adapter is None:
            return taken
        claims = await service.claim(self.runtime, self.batch)
        if not claims:
            return taken
        # The dossiers as they stand now: what the portal gets is always the latest.
        records = await dossiers.sync_records([c.dossier_id for c in claims])
        names = {a.code: a.name_vi for a in await catalogue.list_agencies()}
        limit = asyncio.Semaphore(self.runtime.concurrency)
        adapter = self._adapter

        async def send(claim: service.Claim) -> Outcome | None:
            record = records.get(claim.dossier_id)
            if record is None:
                return None
            async with limit:
                return await adapter.send(
                    Outgoing(record, names.get(record.agency_code, ""), claim.updating)
                )

        outcomes = await asyncio.gather(*(send(claim) for claim in claims))
        results: list[tuple[service.Claim, int | None, Outcome | None]] = []
        for claim, outcome in zip(claims, outcomes, strict=True):
            record: SyncRecord | None = records.get(claim.dossier_id)
            results.append((claim, record.last_event_id if record else None, outcome))
            if outcome is not None and outcome.kind != "synced":
                # Ids and codes only: never the dossier's contents.
                logger.info(
                    "portal sync not done",
                    extra={
                        "fields": {
                            "dossier": claim.dossier_id,
                            "attempt": claim.attempt,
                            "outcome": outcome.kind,
                            "problem": outcome.problem,
                        }
                    },
                )
        await service.record(self.runtime, results)
        return taken + len(claims)


def nightly_resend(runtime: PortalRuntime) -> Chore:
    """Looked at hourly; acts once a night (``service.nightly_resend``)."""

    async def run() -> int:
        return await service.nightly_resend(runtime)

    return Chore("portal.resend", run, every_s=3600)
