"""The runner of background jobs. It knows no domain: each job says what one round
of it does and how often it is due; the runner does rounds until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

logger = logging.getLogger("motcua.worker")


@runtime_checkable
class Job(Protocol):
    """One kind of background work. A round returns how many rows it handled (0: none
    was waiting). ``every_s`` 0: every round (a queue to drain); otherwise at most that
    often (a chore). A job that is an async context manager is entered once for the
    whole run (to keep an HTTP session open, say)."""

    @property
    def name(self) -> str: ...

    @property
    def every_s(self) -> float: ...

    async def __call__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Chore:
    """A periodic job made of one function."""

    name: str
    run: Callable[[], Awaitable[int]]
    every_s: float = 30.0

    async def __call__(self) -> int:
        return await self.run()


Session = TypeVar("Session", bound=contextlib.AbstractAsyncContextManager[Any])


class SessionJob(Generic[Session]):
    """A queue job that sends through one session (an HTTP client, a connection pool)
    opened when the runner starts and closed when it stops, not once a round."""

    every_s = 0.0

    def __init__(self, open_session: Callable[[], Session]) -> None:
        self._open = open_session
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        assert self._session is not None, "enter the job first (the runner does)"
        return self._session

    async def __aenter__(self) -> SessionJob[Session]:
        self._session = await self._open().__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.__aexit__(None, None, None)
            self._session = None


class Runner:
    def __init__(self, jobs: Sequence[Job], *, idle_s: float = 0.5) -> None:
        self.jobs = list(jobs)
        self.idle_s = idle_s
        self._next: dict[str, float] = {}
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Runner:
        for job in self.jobs:
            if isinstance(job, contextlib.AbstractAsyncContextManager):
                await self._stack.enter_async_context(job)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def run_once(self, *, every_job: bool = False, isolate: bool = False) -> int:
        """One round: every queue, and the chores that are due (``every_job``: all of
        them). Returns the rows handled. ``isolate``: a job that fails is logged and
        the others still run (a gateway that is down must not hold up the notices)."""
        handled = 0
        now = time.monotonic()
        for job in self.jobs:
            if job.every_s and not every_job and now < self._next.get(job.name, 0.0):
                continue
            if job.every_s:
                self._next[job.name] = now + job.every_s
            try:
                handled += await job()
            except Exception:
                if not isolate:
                    raise
                # A database hiccup must not end the worker; the next round retries.
                logger.exception("job failed", extra={"fields": {"job": job.name}})
        return handled

    async def drain(self) -> None:
        """Rounds until nothing is left to do now (retries due later stay queued)."""
        while await self.run_once():
            continue

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            handled = await self.run_once(isolate=True)
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.idle_s)


def in_process(
    jobs: Sequence[Job],
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan that runs the jobs beside the app (embedded mode)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def work() -> None:
            async with Runner(jobs) as runner:
                await runner.run(stop)

        task = asyncio.create_task(work())
        try:
            yield
        finally:
            stop.set()
            await task

    return lifespan


def at_start(
    jobs: Sequence[Job],
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan that runs each job once, beside the app, as it starts (an app whose
    worker runs elsewhere still cleans up after its own crash); stopped with the app."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        async def work() -> None:
            async with Runner(jobs) as runner:
                await runner.run_once(every_job=True, isolate=True)

        task = asyncio.create_task(work())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
