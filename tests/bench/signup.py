"""Passkey sign-up: its time in the app and the longest stall of the event loop meanwhile
(issue 21: 10 argon2id recovery codes made it 1.3-1.9 s; goal ≤ 200 ms, no stall > 20 ms).

    .venv/bin/python tests/bench/signup.py [--signups 30]

Runs the app in this process (ASGI, no server) on a fresh SQLite database, or on
PostgreSQL when DATABASE_URL is set (``<database>_bench_signup``). Each sign-up is its
two requests (options, then the attestation with the recovery codes made), one after
the other, with the test authenticator's signature in between (well under 1 ms). A
ticker beside them wakes every 5 ms and keeps how late it woke: the event loop's
longest stall. Prints median, p90 and max in ms; asserts nothing on time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from backend.app import create_app  # noqa: E402
from backend.catalogue.service import seed_demo  # noqa: E402
from backend.db import Database  # noqa: E402
from tests.accounts.helpers import new_browser  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.asgi import lifespan  # noqa: E402

TICK_S = 0.005


async def ticker(stalls: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(TICK_S)
        stalls.append((time.perf_counter() - start - TICK_S) * 1000)


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):7.1f}   p90 {p90:7.1f}   max {ordered[-1]:7.1f}"


async def main(signups: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = await make_settings(Path(folder), "bench_signup")
        settings = dataclasses.replace(
            base, auth_rate_per_address=100_000, auth_rate_per_account=100_000
        )
        database = Database(settings)
        await database.open()
        await database.migrate()
        await seed_demo()
        app = create_app(settings)
        async with lifespan(app):
            await (await new_browser(app)).sign_up()  # warm: first queries, templates
            times: list[float] = []
            stalls: list[float] = []
            stop = asyncio.Event()
            ticking = asyncio.create_task(ticker(stalls, stop))
            for _ in range(signups):
                browser = await new_browser(app)
                start = time.perf_counter()
                await browser.sign_up()
                times.append((time.perf_counter() - start) * 1000)
            stop.set()
            await ticking
        await database.close()
    print(f"passkey sign-up on {settings.database_kind}, {signups} one after the other (ms)")
    print(f"  sign-up (both requests)   {summary(times)}")
    print(f"  event-loop stall          {summary(stalls)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=30)
    asyncio.run(main(parser.parse_args().signups))
