"""Rate limits on the sign-in endpoints: sliding windows per address, per account and
per any key, in memory (one process) or in Redis (shared by every process);
X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

import pytest
from redis.asyncio import Redis

from backend.accounts.ratelimit import (
    CounterStore,
    MemoryCounters,
    RateLimiter,
    RedisCounters,
    client_address,
    parse_networks,
)
from backend.app import create_app
from backend.errors import TooManyRequests
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import new_browser
from tests.support.asgi import lifespan

REDIS_URL = "redis://127.0.0.1:6379/0"


async def redis_available() -> bool:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception:
        return False
    finally:
        await client.aclose()
    return True


def test_forwarded_addresses_only_from_trusted_proxies() -> None:
    proxies = parse_networks(["10.0.0.0/8", "::1"])
    assert client_address("203.0.113.9", "1.2.3.4", proxies) == "203.0.113.9"
    assert client_address("10.0.0.5", "198.51.100.7", proxies) == "198.51.100.7"
    # The right-most untrusted hop: what the client wrote itself on the left is ignored.
    assert client_address("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", proxies) == "198.51.100.7"
    assert client_address("10.0.0.5", "not-an-ip", proxies) == "10.0.0.5"
    assert client_address("10.0.0.5", None, proxies) == "10.0.0.5"
    assert client_address("10.0.0.5", "198.51.100.7", ()) == "10.0.0.5"


def stores() -> list[str]:
    return ["memory", "redis"]


async def store_of(kind: str) -> CounterStore:
    if kind == "memory":
        return MemoryCounters()
    if not await redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    return RedisCounters(REDIS_URL, f"motcua:test:{secrets.token_hex(4)}:")


@pytest.mark.parametrize("kind", stores())
async def test_a_burst_across_a_window_edge_is_not_counted_twice(kind: str) -> None:
    """Ten requests in the last second of a minute and ten in the first of the next
    passed with fixed windows (13 wrong recovery codes were processed in one): a
    sliding window lets no more than the limit through in any 60 seconds."""
    now = dt.datetime(2026, 1, 1, 0, 0, 59, tzinfo=dt.UTC)
    limiter = RateLimiter(await store_of(kind), lambda: now, per_address=10, per_account=1)
    try:
        for _ in range(10):
            await limiter.check_address("recovery", "1.2.3.4")
        now += dt.timedelta(seconds=2)  # the next fixed window
        with pytest.raises(TooManyRequests) as raised:
            await limiter.check_address("recovery", "1.2.3.4")
        await limiter.check_address("recovery", "5.6.7.8")  # another address is not affected
        # Refused requests are not counted: waiting what Retry-After says is enough.
        wait = raised.value.retry_after
        assert 0 < wait <= 60
        now += dt.timedelta(seconds=wait - 1)
        with pytest.raises(TooManyRequests):
            await limiter.check_address("recovery", "1.2.3.4")
        now += dt.timedelta(seconds=1)
        await limiter.check_address("recovery", "1.2.3.4")
        # Per account, and per any key a domain names, the same way.
        await limiter.check_account("recovery", 7)
        with pytest.raises(TooManyRequests):
            await limiter.check_account("recovery", 7)
        await limiter.check("rating", "counter:A:1", limit=2, window_s=600)
        await limiter.check("rating", "counter:A:1", limit=2, window_s=600)
        with pytest.raises(TooManyRequests):
            await limiter.check("rating", "counter:A:1", limit=2, window_s=600)
    finally:
        await limiter.close()


@pytest.mark.parametrize("kind", stores())
async def test_only_recorded_failures_close_a_key(kind: str) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    limiter = RateLimiter(await store_of(kind), lambda: now, per_address=10, per_account=2)
    try:
        for _ in range(5):  # looking counts nothing
            await limiter.check_failures("sign_in", "acct:9")
        await limiter.record_failure("sign_in", "acct:9")
        await limiter.check_failures("sign_in", "acct:9")
        await limiter.record_failure("sign_in", "acct:9")
        with pytest.raises(TooManyRequests) as raised:
            await limiter.check_failures("sign_in", "acct:9")
        now += dt.timedelta(seconds=raised.value.retry_after)
        await limiter.check_failures("sign_in", "acct:9")
    finally:
        await limiter.close()


async def test_memory_counters_forget_old_keys() -> None:
    """Rotating addresses make keys without end: those whose windows have passed go."""
    store = MemoryCounters(max_keys=100)
    for n in range(100):
        await store.count(f"k{n}", 60, 0.0, "admit", 5)
    await store.count("late", 60, 300.0, "admit", 5)
    assert (await store.count("k1", 60, 300.0, "peek", 5)).current == 0
    assert len(store._keys) == 1


async def test_redis_counters_are_shared_between_processes() -> None:
    if not await redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    now = dt.datetime.now(dt.UTC)
    prefix = f"motcua:test:{secrets.token_hex(4)}:"
    one = RateLimiter(RedisCounters(REDIS_URL, prefix), lambda: now, per_address=3, per_account=3)
    two = RateLimiter(RedisCounters(REDIS_URL, prefix), lambda: now, per_address=3, per_account=3)
    try:
        await one.check_address("sign_in", "1.2.3.4")
        await two.check_address("sign_in", "1.2.3.4")
        await one.check_address("sign_in", "1.2.3.4")
        with pytest.raises(TooManyRequests):
            await two.check_address("sign_in", "1.2.3.4")
        ttl = await one.store.client.ttl(  # type: ignore[attr-defined]
            f"{prefix}sign_in:ip:1.2.3.4:60:{int(now.timestamp()) // 60}"
        )
        assert 0 < ttl <= 121, "counters expire on their own (after two windows)"
    finally:
        await one.close()
        await two.close()


@pytest.mark.parametrize("redis", [False, True])
async def test_every_auth_endpoint_is_limited_per_address(
    settings: Settings, database: object, redis: bool
) -> None:
    if redis and not await redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    changes: dict[str, object] = {
        "auth_rate_per_address": 2,
        "trusted_proxies": ("127.0.0.1/32",),
    }
    if redis:
        changes["redis_url"] = REDIS_URL
    limited = dataclasses.replace(fast_settings(settings), **changes)  # type: ignore[arg-type]
    # Two apps on the same settings: two processes behind one proxy.
    first, second = create_app(limited), create_app(limited)
    async with lifespan(first), lifespan(second):
        endpoints = [
            ("/api/auth/passkeys/login/options", {}),
            ("/api/auth/passkeys/login", {"credential": {}}),
            ("/api/auth/passkeys/register/options", {"full_name": "A B", "phone": "0912345678"}),
            ("/api/auth/passkeys/register", {"credential": {}}),
            ("/api/auth/recovery", {"phone": "0912345678", "code": "AAAA-AAAA-AAAA"}),
            ("/api/auth/enrolment/options", {"token": "A" * 43}),
        ]
        for url, body in endpoints:
            address = f"198.51.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
            via_proxy = {"x-forwarded-for": address}
            browsers = [
                await new_browser(app, address="127.0.0.1", headers=via_proxy)
                for app in (first, second)
            ]
            statuses = [(await b.post(url, body)).status_code for b in [*browsers, browsers[0]]]
            if redis:
                assert statuses[2] == 429, (url, statuses)
            else:
                # Without Redis each process counts on its own: 2 + 1 requests pass.
                assert 429 not in statuses, (url, statuses)
            response = await browsers[0].post(url, body)
            assert response.status_code == 429
            assert response.json()["error"]["code"] == "too_many_requests"
            assert "phút" in response.json()["error"]["message_vi"]
            for browser in browsers:
                await browser.close()
        # Another client behind the same proxy is not affected.
        other = await new_browser(
            first, address="127.0.0.1", headers={"x-forwarded-for": "192.0.2.1"}
        )
        assert (await other.post("/api/auth/passkeys/login/options")).status_code == 200
        await other.close()
