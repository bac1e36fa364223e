"""The worker: drains the outbox into notices, then delivers push jobs.

``motcua worker`` runs it as its own process (several at once on PostgreSQL); in
embedded mode the app runs one in-process (``MOTCUA_WORKER_IN_PROCESS``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from litestar import Litestar

from backend.notifications import service
from backend.notifications.push import PushSender
from backend.notifications.runtime import NotificationsRuntime

logger = logging.getLogger("motcua.worker")


# Periodic work of other domains done by the same worker (payment reconciliation):
# each returns how many rows it looked at.
Chore = Callable[[], Awaitable[int]]


@dataclass(slots=True)
class Worker:
    runtime: NotificationsRuntime
    batch: int = 200
    idle_s: float = 0.5
    chores: Sequence[Chore] = ()
    chore_every_s: float = 30.0

    async def run_once(self, sender: PushSender) -> int:
        """One round: fan out, then send what is due. Returns the rows handled."""
        fanned = await service.fan_out(self.runtime, self.batch)
        jobs = await service.claim_jobs(self.runtime, self.batch)
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
        return fanned + len(jobs)

    async def drain(self, sender: PushSender) -> None:
        """Rounds until nothing is left to do now (retries due later stay queued)."""
        while await self.run_once(sender):
            continue

    async def do_chores(self) -> int:
        done = 0
        for chore in self.chores:
            done += await chore()
        return done

    async def run(self, stop: asyncio.Event) -> None:
        next_chores = 0.0
        async with PushSender(self.runtime) as sender:
            while not stop.is_set():
                try:
                    handled = await self.run_once(sender)
                    if time.monotonic() >= next_chores:
                        next_chores = time.monotonic() + self.chore_every_s
                        handled += await self.do_chores()
                except Exception:
                    # A database hiccup must not end the worker; the next round retries.
                    logger.exception("worker round failed")
                    handled = 0
                if not handled:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.idle_s)


def in_process(
    runtime: NotificationsRuntime, chores: Sequence[Chore] = ()
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan that runs one worker beside the app (embedded mode)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(Worker(runtime, chores=chores).run(stop))
        try:
            yield
        finally:
            stop.set()
            await task

    return lifespan
