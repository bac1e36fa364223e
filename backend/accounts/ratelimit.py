"""Rate limits for the sign-in endpoints: fixed windows counted per client address
and per account.

With ``MOTCUA_REDIS_URL`` the counters live in Redis, so every app process counts
the same attempts; without it they live in this process (the embedded default runs
one process). Litestar's own rate-limit middleware is not used: it counts per
process and cannot read a trusted proxy's X-Forwarded-For (see shared/STACK.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from backend.errors import TooManyRequests
from backend.i18n import ngettext

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CounterStore(Protocol):
    async def hit(self, key: str, window_s: int) -> int:
        """Add one to ``key`` (a counter that lives ``window_s`` seconds); the new count."""

    async def close(self) -> None: ...


class MemoryCounters:
    """Per process. Windows are part of the key; old windows are dropped as time passes."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._window: str = ""

    async def hit(self, key: str, window_s: int) -> int:
        window = key.rsplit(":", 1)[-1]
        if window != self._window and len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if k.endswith(":" + window)}
        self._window = window
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        return count

    async def close(self) -> None:
        self._counts.clear()


class RedisCounters:
    """Shared by every process: INCR and a first-time expiry in one MULTI block."""

    def __init__(self, url: str, prefix: str = "motcua:ratelimit:") -> None:
        self.client: Redis = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        self.prefix = prefix

    async def hit(self, key: str, window_s: int) -> int:
        name = self.prefix + key
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window_s + 1, nx=True)
            pipe.incr(name)
            results: list[Any] = await pipe.execute()
        return int(results[1])

    async def close(self) -> None:
        await self.client.aclose()


class RateLimiter:
    def __init__(
        self,
        store: CounterStore,
        now: Callable[[], datetime],
        *,
        per_address: int,
        per_account: int,
        address_window_s: int = 60,
        account_window_s: int = 15 * 60,
    ) -> None:
        self.store = store
        self.now = now
        self.per_address = per_address
        self.per_account = per_account
        self.address_window_s = address_window_s
        self.account_window_s = account_window_s

    async def check_address(self, bucket: str, address: str) -> None:
        await self._check(f"{bucket}:ip:{address}", self.per_address, self.address_window_s)

    async def check_account(self, bucket: str, account_id: int) -> None:
        await self._check(f"{bucket}:acct:{account_id}", self.per_account, self.account_window_s)

    async def _check(self, key: str, limit: int, window_s: int) -> None:
        epoch = int(self.now().timestamp())
        window = epoch // window_s
        count = await self.store.hit(f"{key}:{window}", window_s)
        if count > limit:
            retry_after = max(1, (window + 1) * window_s - epoch)
            minutes = max(1, round(retry_after / 60))
            raise TooManyRequests(
                ngettext(
                    "Có quá nhiều lần thử. Vui lòng đợi khoảng %(num)d phút rồi thử lại.",
                    "Có quá nhiều lần thử. Vui lòng đợi khoảng %(num)d phút rồi thử lại.",
                    minutes,
                ),
                retry_after=retry_after,
            )

    async def close(self) -> None:
        await self.store.close()


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the
    right-most address of X-Forwarded-For that is not itself a trusted proxy."""
    address = peer or "unknown"
    if not trusted or not _is_trusted(address, trusted) or not forwarded_for:
        return address
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed header: fall back to the proxy's address
        if not _is_trusted(hop, trusted):
            return hop
        address = hop
    return address


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
