"""Rate limits: sliding windows counted per client address, per account, or per any
key a domain names (a dossier, a counter, a phone number).

Each window is a sliding-window counter of two buckets: the previous bucket's count,
weighted by how much of it still lies within the window, plus the current one's. So a
burst at a window's edge is not counted twice over (a fixed window let 10 + 10 through
in a few seconds), at the memory cost of two integers a key.

With ``MOTCUA_REDIS_URL`` the counters live in Redis, so every app process counts the
same attempts; without it they live in this process (the embedded default runs one
process). Redis is optional even when configured: while it cannot be reached (refused,
or silent past ``MOTCUA_REDIS_TIMEOUT_MS``) this process counts on its own, logs it,
``/readyz`` says "degraded", and Redis is tried again every ``MOTCUA_REDIS_RETRY_S``,
not on every request. Litestar's own rate-limit middleware is not used: it counts per
process and cannot read a trusted proxy's X-Forwarded-For (see shared/STACK.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from backend.errors import TooManyRequests
from backend.i18n import ngettext

logger = logging.getLogger("motcua.ratelimit")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# What the store does with one request: count it only if the limit allows ("admit"),
# count it whatever the count ("add", a failure already made), or only look ("peek").
Mode = Literal["admit", "add", "peek"]
# Where the counters are: shared in Redis, this process's only, or this process's
# because the configured Redis cannot be reached.
StoreState = Literal["redis", "memory", "degraded"]
# Everything a Redis that is down, refusing, or silent raises through redis-py.
_REDIS_FAILURES = (RedisError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Tally:
    """A key's two buckets after the request (``added``: whether it was counted)."""

    previous: int
    current: int
    added: bool


def estimate(tally: Tally, fraction: float) -> float:
    """The sliding window's count: ``fraction`` of the current bucket has passed, so
    that much of the previous bucket has slid out of the window."""
    return tally.previous * (1 - fraction) + tally.current


def seconds_until_free(tally: Tally, elapsed: float, window_s: int, limit: int) -> int:
    """How long until one more request fits under ``limit``, if none comes meanwhile."""
    room = limit - 1 - tally.current
    if room >= 0 and tally.previous > 0:
        # Later in this bucket, once enough of the previous one has slid out.
        wait = (1 - room / tally.previous) * window_s - elapsed
    elif room >= 0:
        wait = 0.0
    else:
        # In the next bucket, this one weighing as the previous: once it has slid enough.
        slid = 1 - (limit - 1) / tally.current if tally.current else 0.0
        wait = (window_s - elapsed) + max(0.0, slid) * window_s
    return max(1, math.ceil(wait))


class CounterStore(Protocol):
    async def count(self, key: str, window_s: int, now: float, mode: Mode, limit: int) -> Tally:
        """The key's buckets at ``now`` (seconds), counting this request as ``mode`` says
        ("admit": only if the sliding count stays within ``limit``)."""

    async def state(self) -> StoreState: ...

    async def close(self) -> None: ...


def _admits(previous: int, current: int, fraction: float, mode: Mode, limit: int) -> bool:
    if mode == "peek":
        return False
    return mode == "add" or previous * (1 - fraction) + current + 1 <= limit


class MemoryCounters:
    """Per process: each key's bucket number and two counts. Keys whose buckets have
    both slid out are dropped when there are many (rotating addresses make many)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        # key -> (window_s, bucket number, previous bucket's count, current bucket's count)
        self._keys: dict[str, tuple[int, int, int, int]] = {}
        self.max_keys = max_keys

    async def count(self, key: str, window_s: int, now: float, mode: Mode, limit: int) -> Tally:
        bucket, into = divmod(now, window_s)
        stored = self._keys.get(key)
        previous = current = 0
        if stored is not None and stored[1] == bucket:
            previous, current = stored[2], stored[3]
        elif stored is not None and stored[1] == bucket - 1:
            previous = stored[3]
        added = _admits(previous, current, into / window_s, mode, limit)
        if added:
            current += 1
        if added or stored is not None:
            self._keys[key] = (window_s, int(bucket), previous, current)
        if len(self._keys) > self.max_keys:
            self._sweep(now)
        return Tally(previous, current, added)

    def _sweep(self, now: float) -> None:
        self._keys = {
            key: value for key, value in self._keys.items() if value[1] >= now // value[0] - 1
        }

    async def state(self) -> StoreState:
        return "memory"

    async def close(self) -> None:
        self._keys.clear()


# Both buckets read and the current one counted in one step, so that concurrent requests
# from every process see each other (a read, then a write, would let a burst through).
_COUNT_SCRIPT = """
local previous = tonumber(redis.call('GET', KEYS[1]) or '0')
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local mode = ARGV[1]
local added = 0
if mode == 'add' or (mode == 'admit' and
    previous * (1 - tonumber(ARGV[2])) + current + 1 <= tonumber(ARGV[3])) then
  current = redis.call('INCR', KEYS[2])
  if current == 1 then redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4])) end
  added = 1
end
return {previous, current, added}
"""


class RedisCounters:
    """Shared by every process. Each call is bounded by ``timeout_s`` and never
    retried: a Redis that is slow or away must not hold a request up."""

    def __init__(
        self, url: str, prefix: str = "motcua:ratelimit:", *, timeout_s: float = 0.25
    ) -> None:
        self.client: Redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        self.prefix = prefix
        self.timeout_s = timeout_s
        self._script = self.client.register_script(_COUNT_SCRIPT)

    async def count(self, key: str, window_s: int, now: float, mode: Mode, limit: int) -> Tally:
        bucket, into = divmod(now, window_s)
        names = [f"{self.prefix}{key}:{int(bucket) - 1}", f"{self.prefix}{key}:{int(bucket)}"]
        # The socket timeouts bound each read; this bounds the whole call (connecting,
        # the handshake and the script together).
        async with asyncio.timeout(self.timeout_s):
            result: list[Any] = await self._script(
                keys=names, args=[mode, repr(into / window_s), limit, 2 * window_s + 1]
            )
        return Tally(int(result[0]), int(result[1]), bool(result[2]))

    async def ping(self) -> None:
        async with asyncio.timeout(self.timeout_s):
            await self.client.ping()

    async def state(self) -> StoreState:
        return "redis"

    async def close(self) -> None:
        await self.client.aclose()


class FallbackCounters:
    """Redis while it answers; this process's counters while it does not. A failure
    marks Redis down for ``retry_s`` seconds, during which no request waits on it; then
    one request tries it again (the others keep counting in memory meanwhile)."""

    def __init__(
        self,
        redis: RedisCounters,
        *,
        retry_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.memory = MemoryCounters()
        self.retry_s = retry_s
        self.monotonic = monotonic
        self._retry_at: float | None = None  # None: Redis is believed up

    async def count(self, key: str, window_s: int, now: float, mode: Mode, limit: int) -> Tally:
        if not self._due():
            return await self.memory.count(key, window_s, now, mode, limit)
        try:
            tally = await self.redis.count(key, window_s, now, mode, limit)
        except _REDIS_FAILURES as error:
            self._down(error)
            return await self.memory.count(key, window_s, now, mode, limit)
        self._up()
        return tally

    def _due(self) -> bool:
        """Whether to ask Redis now: always while it is up; once per retry interval
        while it is down (this caller is the one that tries)."""
        if self._retry_at is None:
            return True
        if self.monotonic() < self._retry_at:
            return False
        self._retry_at = self.monotonic() + self.retry_s
        return True

    def _down(self, error: BaseException) -> None:
        if self._retry_at is None:  # once an outage: retries that fail stay quiet
            logger.warning(
                "rate limits: Redis unreachable (%s: %s); counting in this process, "
                "retrying in %.0f s",
                type(error).__name__,
                error,
                self.retry_s,
            )
        self._retry_at = self.monotonic() + self.retry_s

    def _up(self) -> None:
        if self._retry_at is not None:
            logger.warning("rate limits: Redis reachable again; counting there")
            self._retry_at = None

    async def state(self) -> StoreState:
        """As /readyz reports it: asks Redis (bounded) when it is up or a retry is due."""
        if self._due():
            try:
                await self.redis.ping()
            except _REDIS_FAILURES as error:
                self._down(error)
            else:
                self._up()
        return "degraded" if self._retry_at is not None else "redis"

    async def close(self) -> None:
        await self.redis.close()
        await self.memory.close()


def _too_many(retry_after: int) -> TooManyRequests:
    minutes = max(1, round(retry_after / 60))
    return TooManyRequests(
        ngettext(
            "Có quá nhiều lần thử. Vui lòng đợi khoảng %(num)d phút rồi thử lại.",
            "Có quá nhiều lần thử. Vui lòng đợi khoảng %(num)d phút rồi thử lại.",
            minutes,
        ),
        retry_after=retry_after,
    )


class RateLimiter:
    """The one limiter of an app. ``check*`` count a request and refuse it (uncounted)
    past the limit; ``check_failures``/``record_failure`` let a flow count only what
    failed for real (a proven signature refused, a wrong code), so nobody can lock
    someone else out with requests that prove nothing."""

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

    async def check_address(self, flow: str, address: str) -> None:
        """One request of ``flow`` from this client address (per_address a minute)."""
        await self.check(flow, f"ip:{address}", self.per_address, self.address_window_s)

    async def check_account(self, flow: str, account_id: int) -> None:
        """One attempt of ``flow`` on this account (per_account in 15 minutes)."""
        await self.check(flow, f"acct:{account_id}", self.per_account, self.account_window_s)

    async def check(
        self, flow: str, key: str, limit: int | None = None, window_s: int | None = None
    ) -> None:
        """One request of ``flow`` on any ``key`` (a dossier's code, a counter): at most
        ``limit`` (default per_account) in ``window_s`` (default 15 minutes)."""
        await self._count(flow, key, "admit", limit, window_s)

    async def check_failures(
        self, flow: str, key: str, limit: int | None = None, window_s: int | None = None
    ) -> None:
        """Refuse when ``key`` has had ``limit`` failures within the window; counts nothing."""
        await self._count(flow, key, "peek", limit, window_s)

    async def record_failure(self, flow: str, key: str, window_s: int | None = None) -> None:
        """One failure of ``flow`` on ``key``, which ``check_failures`` will weigh."""
        await self._count(flow, key, "add", None, window_s)

    async def _count(
        self, flow: str, key: str, mode: Mode, limit: int | None, window_s: int | None
    ) -> None:
        limit = self.per_account if limit is None else limit
        window_s = window_s or self.account_window_s
        now = self.now().timestamp()
        tally = await self.store.count(f"{flow}:{key}:{window_s}", window_s, now, mode, limit)
        elapsed = now % window_s
        refused = (
            not tally.added
            if mode == "admit"
            else mode == "peek" and estimate(tally, elapsed / window_s) >= limit
        )
        if refused:
            raise _too_many(seconds_until_free(tally, elapsed, window_s, limit))

    async def state(self) -> StoreState:
        return await self.store.state()

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
