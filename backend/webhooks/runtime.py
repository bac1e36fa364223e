"""The webhooks domain's configuration for one app or worker process: timeouts, the
lease on claimed deliveries, the grace of a rotated key, whether plain-http loopback
targets are allowed (tests only), the clock and the name resolver (tests give their
own, to point a name at an address, and their own CA)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.clock import epoch_ms, utc_now
from backend.settings import Settings

# host, port -> the addresses the name stands for now
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Every delivery is retried for this long after its event, then it is "failed".
RETRY_FOR_MS = 3 * 24 * 3600 * 1000


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(slots=True)
class WebhooksRuntime:
    timeout_s: float = 10.0
    lease_ms: int = 60_000
    key_grace_ms: int = 24 * 3600 * 1000
    allow_http_loopback: bool = False
    # Most bytes of an answer read (the status code is what counts; the rest is cut).
    answer_limit: int = 4096
    retry_for_ms: int = RETRY_FOR_MS
    now: Callable[[], dt.datetime] = field(default=utc_now)
    resolve: Resolver = field(default=system_resolver)
    # The certificates trusted (None: the system's); tests give their own CA's.
    trust: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhooksRuntime:
        config = settings.webhooks
        return cls(
            timeout_s=config.timeout_s,
            lease_ms=config.lease_s * 1000,
            key_grace_ms=config.key_grace_hours * 3600 * 1000,
            allow_http_loopback=config.allow_http_loopback,
        )

    def now_ms(self) -> int:
        return epoch_ms(self.now)


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> WebhooksRuntime:
    runtime: WebhooksRuntime = connection.app.state["webhooks"]
    return runtime
