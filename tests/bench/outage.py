"""How long a request waits when a dependency is away (issue 15): PostgreSQL behind a
proxy that blackholes or resets it, with the production timeouts, and a Redis that
accepts connections and never answers. Before the timeouts, every request waited the
whole partition (20 s) and a silent Redis cost each request 5 s.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/motcua_bench_test \\
        .venv/bin/python tests/bench/outage.py [--requests 5]

Without DATABASE_URL only the Redis part runs (on SQLite). Runs the app in this
process (ASGI, no server). Prints the time to each answer in ms; asserts nothing on
time.
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
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.catalogue.service import seed_demo  # noqa: E402
from backend.db import Database  # noqa: E402
from backend.settings import Settings  # noqa: E402
from tests.accounts.test_ratelimit_faults import FakeRedis, closed_port  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.asgi import client_for  # noqa: E402
from tests.support.faultproxy import FaultProxy  # noqa: E402

SEARCH = "/api/procedures?q=khai+sinh"


async def answers(client: httpx.AsyncClient, method: str, path: str, n: int) -> str:
    """``n`` requests one after the other: their statuses and median and worst times."""
    times, statuses = [], set()
    for _ in range(n):
        start = time.perf_counter()
        response = await client.request(method, path)
        times.append((time.perf_counter() - start) * 1000)
        statuses.add(response.status_code)
    codes = "/".join(str(code) for code in sorted(statuses))
    return f"{codes} median {statistics.median(times):7.0f} ms, worst {max(times):7.0f} ms"


async def partition(settings: Settings, n: int) -> None:
    assert settings.database_url is not None
    upstream = urlsplit(settings.database_url)
    with FaultProxy(upstream.hostname or "127.0.0.1", upstream.port or 5432) as proxy:
        netloc = f"{upstream.username}@127.0.0.1:{proxy.port}"
        through = dataclasses.replace(
            settings, database_url=urlunsplit(upstream._replace(netloc=netloc))
        )
        print(
            "PostgreSQL timeouts (ms): connect",
            through.db_connect_timeout_ms,
            "acquire",
            through.db_acquire_timeout_ms,
            "statement",
            through.db_statement_timeout_ms,
        )
        async with client_for(create_app(through)) as client:
            for state, action in (
                ("forwarded", proxy.forward),
                ("blackholed", proxy.blackhole),
                ("forwarded again", proxy.forward),
                ("reset", proxy.reset),
                ("forwarded again", proxy.forward),
            ):
                action()
                for path in (SEARCH, "/readyz"):
                    print(f"  {state:16} {path:28} {await answers(client, 'GET', path, n)}")


async def silent_redis(settings: Settings, n: int) -> None:
    for mode in ("silent", "closed"):
        port = closed_port()
        fake = FakeRedis(port, mode)
        if mode == "silent":
            await fake.start()
        configured = dataclasses.replace(settings, redis_url=f"redis://127.0.0.1:{port}/0")
        async with client_for(create_app(configured)) as client:
            # Sign-in options: a rate-limited flow that needs no account.
            await client.get("/dang-nhap")  # the CSRF cookie
            token = client.cookies.get("csrftoken", "")
            times = []
            for _ in range(n):
                start = time.perf_counter()
                response = await client.post(
                    "/api/auth/passkeys/login/options", headers={"x-csrftoken": token}
                )
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text
            ready = (await client.get("/readyz")).json()
            print(
                f"  Redis {mode:6}: sign-in options first {times[0]:5.0f} ms,"
                f" then median {statistics.median(times[1:]):4.0f} ms; /readyz {ready}"
            )
        await fake.stop()


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = await make_settings(Path(folder), "bench_outage", MOTCUA_LOG_LEVEL="ERROR")
        database = Database(settings)
        await database.open()
        await database.migrate()
        await seed_demo()
        await database.close()
        print(f"Redis timeout {settings.redis_timeout_ms} ms, retry {settings.redis_retry_s} s")
        await silent_redis(settings, n)
        if settings.database_url:
            await partition(settings, n)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5)
    asyncio.run(main(parser.parse_args().requests))
