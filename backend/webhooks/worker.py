"""The webhooks' background job: dispatch the outbox's events into deliveries, then
send what is due, concurrently, and record each attempt. ``backend.jobs`` runs it with
the other domains' jobs (``motcua worker``, or in-process when embedded)."""

from __future__ import annotations

import asyncio
import logging

from backend.jobs import SessionJob
from backend.webhooks import service
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.sender import Sender

logger = logging.getLogger("motcua.worker")


class WebhookDeliveries(SessionJob[Sender]):
    name = "webhooks.delivery"

    def __init__(self, runtime: WebhooksRuntime, batch: int = 100) -> None:
        super().__init__(lambda: Sender(runtime))
        self.runtime = runtime
        self.batch = batch

    async def __call__(self) -> int:
        sender = self.session
        dispatched = await service.dispatch(self.runtime)
        claims = await service.claim(self.runtime, self.batch)
        outcomes = await asyncio.gather(*(sender.send(claim) for claim in claims))
        results = await service.record(self.runtime, list(zip(claims, outcomes, strict=True)))
        for claim, outcome, result in zip(claims, outcomes, results, strict=True):
            if result != "delivered":
                # The delivery and the answer; never the body nor the secret.
                logger.info(
                    "webhook not delivered",
                    extra={
                        "fields": {
                            "delivery": claim.id,
                            "attempt": claim.attempt,
                            "outcome": result,
                            "status": outcome.status_code,
                            "error": outcome.error,
                        }
                    },
                )
        return dispatched + len(claims)
