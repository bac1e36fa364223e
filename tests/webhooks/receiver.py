"""A webhook receiver on 127.0.0.1 for the tests: a real HTTP server that checks every
delivery's signature as a subscriber would (the README's recipe), records each request
and answers what the test says (200 by default)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

TOLERANCE_S = 300


def verified_keys(headers: Any, body: bytes, secrets: dict[str, str]) -> list[str]:
    """The key ids whose signature of this delivery is right (the README's recipe)."""
    timestamp = headers.get("Webhook-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_S:
        return []
    good = []
    for pair in headers.get("Webhook-Signature", "").split(","):
        key_id, _, signature = pair.strip().partition("=")
        secret = secrets.get(key_id)
        if secret is None:
            continue
        expected = hmac.new(
            secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if hmac.compare_digest(expected, signature):
            good.append(key_id)
    return good


@dataclass
class Received:
    path: str
    host: str
    event_id: str
    key_id: str
    timestamp: str
    signature: str
    body: bytes
    verified: list[str]
    status: int

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    # key id -> secret: what the subscriber was given (tests add keys as they get them).
    secrets: dict[str, str] = field(default_factory=dict)
    # (path, event id, how many times this event came before) -> status to answer
    answer: Callable[[str, str, int], int] = lambda path, event_id, seen: 200
    received: list[Received] = field(default_factory=list)
    # How long each answer takes (a receiver doing some work).
    delay_s: float = 0.0
    # Serve https with this (tests of the pinned TLS connection).
    tls: ssl.SSLContext | None = None
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        event_id = request.headers.get("Webhook-Id", "")
        seen = sum(1 for r in self.received if r.event_id == event_id and r.path == request.path)
        status = self.answer(request.path, event_id, seen)
        self.received.append(
            Received(
                path=request.path,
                host=request.headers.get("Host", ""),
                event_id=event_id,
                key_id=request.headers.get("Webhook-Key-Id", ""),
                timestamp=request.headers.get("Webhook-Timestamp", ""),
                signature=request.headers.get("Webhook-Signature", ""),
                body=body,
                verified=verified_keys(request.headers, body, self.secrets),
                status=status,
            )
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if request.path == "/slow":
            await asyncio.sleep(3)  # past the tests' 2 s timeout
        if request.path == "/endless":
            # An answer that never ends: only a sender that stops reading gets past it.
            response = web.StreamResponse(status=status)
            await response.prepare(request)
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while True:
                    await response.write(b"x" * 1024)
                    await asyncio.sleep(0.001)
            return response
        if 300 <= status < 400:
            return web.Response(status=status, headers={"Location": "/elsewhere"})
        return web.Response(status=status, text="ok")

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def check(self, received: Received, secrets: dict[str, str]) -> list[str]:
        """The key ids among ``secrets`` that verify a delivery received."""
        headers = {
            "Webhook-Timestamp": received.timestamp,
            "Webhook-Signature": received.signature,
        }
        return verified_keys(headers, received.body, secrets)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]
