"""The background jobs runner: queues every round, chores when due, a failing job
logged without stopping the others, resources opened once for the run."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from backend.jobs import Chore, Runner, in_process


class Queue:
    """A job draining a queue of ``n`` items, two a round, with a resource it opens."""

    name = "test.queue"
    every_s = 0.0

    def __init__(self, n: int) -> None:
        self.left = n
        self.opened = self.closed = 0

    async def __aenter__(self) -> Queue:
        self.opened += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.closed += 1

    async def __call__(self) -> int:
        taken = min(2, self.left)
        self.left -= taken
        return taken


async def test_a_round_drains_queues_and_runs_chores_when_due() -> None:
    queue = Queue(5)
    runs: list[str] = []

    async def chore() -> int:
        runs.append("chore")
        return 1

    async with Runner([queue, Chore("test.chore", chore, every_s=3600)]) as runner:
        assert queue.opened == 1
        assert await runner.run_once() == 3  # two items and the chore, due at start
        assert await runner.run_once() == 2  # the chore is not due again for an hour
        await runner.drain()
        assert queue.left == 0 and runs == ["chore"]
        assert await runner.run_once(every_job=True) == 1  # --once: every chore now
    assert queue.closed == 1


async def test_a_failing_job_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken() -> int:
        raise ConnectionError("gateway down")

    queue = Queue(2)
    runner = Runner([Chore("test.broken", broken), queue])
    with pytest.raises(ConnectionError):
        await runner.run_once(every_job=True)  # the CLI's --once lets the error out
    with caplog.at_level(logging.ERROR, logger="motcua.worker"):
        assert await runner.run_once(every_job=True, isolate=True) == 2
    assert any(r.getMessage() == "job failed" for r in caplog.records)


async def test_in_process_runs_until_the_app_stops() -> None:
    queue = Queue(6)
    lifespan = in_process([queue])
    app: Any = None
    async with lifespan(app):
        for _ in range(100):
            if queue.left == 0:
                break
            await asyncio.sleep(0.01)
    assert queue.left == 0 and queue.opened == queue.closed == 1
