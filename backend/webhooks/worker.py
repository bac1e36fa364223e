"""The webhooks' background job: dispatch the outbox's events into deliveries, then
send what is due, concurrently, and record each attempt. ``backend.jobs`` runs it with
the other domains' jobs (``motcua worker``, or in-process when embedded)."""

from __future__ import annotations

import asyncio
import logging

from backend.webhooks import service
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.sender import Sender

logger = logging.getLogger("motcua.worker")


class WebhookDeliveries:
    name = "webhooks.delivery"
    every_s = 0.0

    def __init__(self, runtime: WebhooksRuntime, batch: int = 100) -> None:
        self.runtime = runtime
        self.batch = batch
        self._sender: Sender | None = None

    async def __aenter__(self) -> WebhookDeliveries:
        self._sender = await Sender(self.runtime).__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._sender is not None:
            await self._sender.__aexit__(None, None, None)
            self._sender = None

    async def __call__(self) -> int:
        assert self._sender is not None, "enter the job first (the runner does)"
        sender = self._sender
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
