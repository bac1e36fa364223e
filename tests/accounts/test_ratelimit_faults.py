"""The rate-limit store is optional: with Redis down (a closed port) or silent (a
server that accepts and never answers), sign-in, sign-up, recovery and tracking still
answer, count in this process, say so in /readyz and the log, and go back to Redis
when it answers again: after the retry interval, not on every request."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from redis.asyncio import Redis

from backend.accounts.ratelimit import FallbackCounters
from backend.app import create_app
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, new_browser
from tests.support.asgi import lifespan

REDIS = ("127.0.0.1", 6379)


class FakeRedis:
    """A TCP server on a fixed port: "silent" accepts and never answers; "forward"
    passes the bytes to the real Redis (the protocol is Redis's own). ``connections``
    counts what it accepted."""

    def __init__(self, port: int, mode: str) -> None:
        self.port = port
        self.mode = mode
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        # A client gone or the server stopped ends the connection, nothing more.
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            try:
                if self.mode == "silent":
                    # Reads what it is sent, answers nothing, until the client goes.
                    while await reader.read(4096):
                        continue
                    return
                upstream_reader, upstream_writer = await asyncio.open_connection(*REDIS)
                await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
            finally:
                writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def redis_available() -> bool:
    client = Redis(host=REDIS[0], port=REDIS[1], socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception:
        return False
    finally:
        await client.aclose()
    return True


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def app_on(settings: Settings, database: object) -> AsyncIterator[Any]:
    """An app whose Redis is at a given port, its retry clock under the test's control."""
    opened: list[tuple[Litestar, Any]] = []

    async def make(
        port: int, timeout_ms: int = 200, **changes: Any
    ) -> tuple[Litestar, FakeMonotonic]:
        configured = dataclasses.replace(
            fast_settings(settings, **changes),
            redis_url=f"redis://127.0.0.1:{port}/0",
            redis_timeout_ms=timeout_ms,
            redis_retry_s=30,
            trusted_proxies=("127.0.0.1/32",),
        )
        app = create_app(configured)
        context = lifespan(app)
        await context.__aenter__()
        opened.append((app, context))
        store = app.state["accounts"].limiter.store
        assert isinstance(store, FallbackCounters)
        clock = FakeMonotonic()
        store.monotonic = clock
        return app, clock

    yield make
    for _, context in reversed(opened):
        await context.__aexit__(None, None, None)


async def client_at(app: Litestar, address: str) -> Browser:
    return await new_browser(app, address="127.0.0.1", headers={"x-forwarded-for": address})


def an_address() -> str:
    return f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


async def statuses(browser: Browser, url: str, body: Any, times: int) -> list[int]:
    return [(await browser.post(url, body)).status_code for _ in range(times)]


@pytest.mark.parametrize("fault", ["closed", "silent"])
async def test_an_unreachable_redis_does_not_stop_the_app(
    app_on: Any, fault: str, capfd: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    silent = FakeRedis(port, "silent")
    if fault == "silent":
        await silent.start()
    try:
        app, _ = await app_on(port, auth_rate_per_address=3)
        browser = await client_at(app, an_address())
        # Sign-in, sign-up, recovery and tracking answer (they were 500s) ...
        assert (await browser.post("/api/auth/passkeys/login/options")).status_code == 200
        signup = await browser.post(
            "/api/auth/passkeys/register/options",
            {"full_name": "Lê Văn Bền", "phone": "0912000111"},
        )
        assert signup.status_code == 200
        recovery = await browser.post(
            "/api/auth/recovery", {"phone": "0912000111", "code": "AAAA-AAAA-AAAA"}
        )
        assert recovery.status_code == 401
        track = await browser.post("/api/tracking", {"code": "X-1", "phone_last4": "1234"})
        assert track.status_code == 404
        # ... and the limits still hold, counted in this process.
        assert await statuses(browser, "/api/auth/passkeys/login/options", {}, 3) == [
            200,
            200,
            429,
        ]
        logged = capfd.readouterr().err
        assert logged.count("Redis unreachable") == 1, "logged once an outage, not a request"
        # Only the first request waited on Redis: the rest did not even connect.
        assert silent.connections == (1 if fault == "silent" else 0)
        ready = await browser.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "degraded", "rate_limits": "degraded"}
        assert silent.connections == (1 if fault == "silent" else 0)
        await browser.close()
    finally:
        await silent.stop()


async def test_counting_goes_back_to_redis_after_the_retry_interval(app_on: Any) -> None:
    if not await redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    port = closed_port()
    # A closed port fails at once; the Redis that comes back must answer within the
    # timeout even on a loaded machine (200 ms was missed there, and counted in memory).
    app, clock = await app_on(port, timeout_ms=5000)
    address = an_address()
    browser = await client_at(app, address)
    assert (await browser.post("/api/auth/passkeys/login/options")).status_code == 200
    assert (await browser.get("/readyz")).json()["status"] == "degraded"

    redis = FakeRedis(port, "forward")  # Redis is back on its address
    await redis.start()
    try:
        assert (await browser.post("/api/auth/passkeys/login/options")).status_code == 200
        assert redis.connections == 0, "not tried again before the retry interval"
        clock.now += 31
        assert (await browser.post("/api/auth/passkeys/login/options")).status_code == 200
        assert redis.connections == 1
        counted = Redis(host=REDIS[0], port=REDIS[1])
        keys = await counted.keys(f"motcua:ratelimit:sign_in:ip:{address}:*")
        assert len(keys) == 1 and int(await counted.get(keys[0]) or 0) == 1
        await counted.delete(*keys)
        await counted.aclose()
        ready = await browser.get("/readyz")
        assert ready.json() == {"status": "ok", "rate_limits": "redis"}
    finally:
        await browser.close()
        await redis.stop()
