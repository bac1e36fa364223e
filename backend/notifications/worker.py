"""The notifications' background job: drains the outbox into notices, then delivers
push jobs and channel jobs (e-mail, SMS, ZNS). ``backend.jobs`` runs it with the other
domains' jobs (``motcua worker``, or in-process when embedded)."""

from __future__ import annotations

import asyncio
import logging

from backend.jobs import SessionJob
from backend.notifications import service
from backend.notifications.push import PushSender
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.service import channel_jobs

logger = logging.getLogger("motcua.worker")


class Notifier(SessionJob[PushSender]):
    """One round: fan out, then send what is due. Entered once per run: it keeps one
    HTTP session to the push services open."""

    name = "notifications.delivery"

    def __init__(self, runtime: NotificationsRuntime, batch: int = 200) -> None:
        super().__init__(lambda: PushSender(runtime))
        self.runtime = runtime
        self.batch = batch

    async def __call__(self) -> int:
        sender = self.session
        fanned = await service.fan_out(self.runtime, self.batch)
        jobs = await service.claim_jobs(self.runtime, self.batch)
        async with service.leases_kept(self.runtime, jobs):
            outcomes = await asyncio.gather(*(sender.send(job) for job in jobs))
        results = await service.record(self.runtime, list(zip(jobs, outcomes, strict=True)))
        for job, outcome, result in zip(jobs, outcomes, results, strict=True):
            if result != "sent":
                logger.info(
                    "push not delivered",
                    extra={
                        "fields": {
                            "job": job.id,
                            "attempt": job.attempt,
                            "outcome": result,
                            "status": outcome.status_code,
                        }
                    },
                )
        return fanned + len(jobs) + await self._channels()

    async def _channels(self) -> int:
        """Due e-mails, SMS and ZNS messages, sent concurrently, each bounded (a little
        past the channels' own timeout, well inside the lease)."""
        claims = await channel_jobs.claim(self.runtime, self.batch)
        bound = min(self.runtime.lease_ms / 2000, self.runtime.channel_timeout_s + 5)
        sent = await asyncio.gather(
            *(
                channel_jobs.send(self.runtime.channels[claim.channel], claim, bound)
                for claim in claims
            )
        )
        await channel_jobs.record(self.runtime, list(zip(claims, sent, strict=True)))
        for claim, outcome in zip(claims, sent, strict=True):
            if outcome.result != "sent":
                # The job and the provider's answer; never the address.
                logger.info(
                    "channel message not sent",
                    extra={
                        "fields": {
                            "job": claim.id,
                            "channel": claim.channel,
                            "attempt": claim.attempt,
                            "outcome": outcome.result,
                            "detail": outcome.detail,
                        }
                    },
                )
        return len(claims)
