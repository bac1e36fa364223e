"""The fake push service against a real sender (pywebpush): what it accepts, what it refuses."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from py_vapid import Vapid02  # type: ignore[import-untyped]
from pywebpush import WebPushException, webpush_async  # type: ignore[import-untyped]

from tests.support.fakepush import FakePushService, Subscription, b64url_decode
from tests.support.fakepush import b64url_encode as b64url

CONTACT = "mailto:ops@motcua.example.vn"
PAYLOAD = {"title": "Hồ sơ 42 đã được duyệt", "url": "/ho-so/42"}
ROOT = Path(__file__).resolve().parents[2]


def public_key_of(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def forge_jwt(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey) -> str:
    """An ES256 JWT written by hand, to pair it with a `k` of our choosing."""
    header = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
    body = b64url(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign(f"{header}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{body}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@pytest.fixture
async def push() -> AsyncIterator[FakePushService]:
    async with FakePushService() as service:
        yield service


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="module")
def vapid() -> Vapid02:
    key = Vapid02()
    key.generate_keys()
    return key


async def send(
    http: aiohttp.ClientSession,
    vapid: Vapid02,
    subscription: dict[str, Any],
    *,
    claims: dict[str, Any] | None = None,
    client_timeout: float = 5,
) -> tuple[int, str | None]:
    """Send PAYLOAD as the app would; return the status and Retry-After of the answer."""
    try:
        response = await webpush_async(
            subscription_info=subscription,
            data=json.dumps(PAYLOAD),
            vapid_private_key=vapid,
            vapid_claims={"sub": CONTACT, **(claims or {})},  # pywebpush mutates it: a fresh one
            ttl=3600,
            headers={"Urgency": "high", "Topic": "dossier-42"},
            timeout=client_timeout,
            aiohttp_session=http,
        )
    except WebPushException as error:
        status, retry_after = error.status_code, error.retry_after
    else:
        assert not isinstance(response, str)
        status, retry_after = response.status, response.headers.get("Retry-After")
    assert status is not None
    return status, retry_after


async def test_a_real_sender_is_received_and_decrypted(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    alice = push.new_subscription("alice")
    assert alice.endpoint.startswith(f"http://127.0.0.1:{push.port}/push/")
    assert alice.as_json() == {
        "endpoint": alice.endpoint,
        "keys": {"p256dh": alice.p256dh, "auth": alice.auth},
    }
    assert len(b64url_decode(alice.p256dh)) == 65 and b64url_decode(alice.p256dh)[0] == 4
    assert len(b64url_decode(alice.auth)) == 16

    response = await webpush_async(
        subscription_info=alice.as_json(),
        data=json.dumps(PAYLOAD),
        vapid_private_key=vapid,
        vapid_claims={"sub": CONTACT},
        ttl=3600,
        headers={"Urgency": "high", "Topic": "dossier-42"},
        timeout=5,
        aiohttp_session=http,
    )
    assert not isinstance(response, str)
    assert response.status == 201
    assert response.headers["Location"].startswith(f"{push.origin}/message/")

    [message] = await push.wait_for(1)
    assert message.subscription_id == alice.id and message.subscription_name == "alice"
    assert message.data == PAYLOAD
    assert json.loads(message.payload) == PAYLOAD
    assert (message.ttl, message.urgency, message.topic) == (3600, "high", "dossier-42")
    assert message.claims["sub"] == CONTACT
    assert message.claims["aud"] == push.origin
    assert time.time() < message.claims["exp"] <= time.time() + 24 * 3600
    assert message.vapid_key == public_key_of(vapid.private_key)
    assert push.received_for(alice) == [message] and push.rejected == []


async def test_concurrent_pushes_are_counted_per_subscription(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    subs = [push.new_subscription(f"user{i}") for i in range(4)]
    results = await asyncio.gather(
        *(send(http, vapid, sub.as_json()) for sub in subs for _ in range(3))
    )
    assert {status for status, _ in results} == {201}
    assert len(await push.wait_for(12)) == 12
    assert [len(push.received_for(sub)) for sub in subs] == [3, 3, 3, 3]


async def test_wait_for_says_what_was_rejected(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    sub = push.new_subscription()
    await send(http, vapid, sub.as_json(), claims={"sub": "mailto:x@localhost"})
    with pytest.raises(AssertionError, match=r"for 1 received, got 0 received; rejected: 401 sub"):
        await push.wait_for(1, timeout=0.2)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) + 25 * 3600}, "more than 24 h ahead"),
        ({"aud": "https://fcm.googleapis.com"}, "aud 'https://fcm.googleapis.com' is not"),
        ({"sub": "mailto:x@localhost"}, "sub 'mailto:x@localhost'"),
    ],
)
async def test_bad_vapid_claims_are_refused_with_401(
    push: FakePushService,
    http: aiohttp.ClientSession,
    vapid: Vapid02,
    claims: dict[str, Any],
    reason: str,
) -> None:
    sub = push.new_subscription()
    assert await send(http, vapid, sub.as_json(), claims=claims) == (401, None)
    [rejected] = push.rejected
    assert (rejected.subscription_id, rejected.status) == (sub.id, 401)
    assert reason in rejected.reason
    assert push.received == []


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 60}, "is missing or past"),
        ({"exp": None}, "is missing or past"),
        ({"aud": None}, "aud None is not"),
        ({"sub": "ops@motcua.example.vn"}, "is not a mailto: or https: contact"),
        ({"sub": "https://localhost/contact"}, "is not a mailto: or https: contact"),
        ({"sub": None}, "is not a mailto: or https: contact"),
    ],
)
async def test_forged_claims_pywebpush_would_not_send_are_refused_too(
    push: FakePushService,
    http: aiohttp.ClientSession,
    vapid: Vapid02,
    claims: dict[str, Any],
    reason: str,
) -> None:
    sub = push.new_subscription()
    good = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": CONTACT}
    forged = {name: value for name, value in {**good, **claims}.items() if value is not None}
    token = forge_jwt(forged, vapid.private_key)
    key = public_key_of(vapid.private_key)
    response = await http.post(
        sub.endpoint, headers={"Authorization": f"vapid t={token}, k={key}", "TTL": "0"}
    )
    assert response.status == 401
    assert reason in push.rejected[-1].reason


async def test_a_jwt_signed_by_another_key_than_k_is_refused(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    sub = push.new_subscription()
    claims = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": CONTACT}
    intruder = ec.generate_private_key(ec.SECP256R1())
    token = forge_jwt(claims, intruder)
    response = await http.post(
        sub.endpoint,
        data=b"",
        headers={
            "Authorization": f"vapid t={token}, k={public_key_of(vapid.private_key)}",
            "TTL": "60",
        },
    )
    assert response.status == 401
    assert push.rejected[-1].reason == "JWT signature does not verify with k"

    # The same token with the intruder's own key in k verifies: the check is the signature.
    response = await http.post(
        sub.endpoint,
        data=b"",
        headers={"Authorization": f"vapid t={token}, k={public_key_of(intruder)}", "TTL": "60"},
    )
    assert response.status == 201
    [tickle] = await push.wait_for(1)
    assert tickle.payload == b"" and tickle.data is None


async def test_an_unexpected_application_server_key_is_forbidden(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    sub = push.new_subscription()
    push.expected_public_key = public_key_of(ec.generate_private_key(ec.SECP256R1()))
    assert await send(http, vapid, sub.as_json()) == (403, None)
    push.expected_public_key = public_key_of(vapid.private_key)
    assert await send(http, vapid, sub.as_json()) == (201, None)


async def test_a_body_encrypted_for_another_subscription_is_refused(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    alice, bob = push.new_subscription("alice"), push.new_subscription("bob")
    misdirected = {"endpoint": alice.endpoint, "keys": bob.as_json()["keys"]}
    assert await send(http, vapid, misdirected) == (400, None)
    assert push.rejected[-1].reason.startswith("payload does not decrypt")
    assert push.received == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no Authorization header"),
        ({"TTL": None}, "TTL missing"),
        ({"TTL": "soon"}, "TTL missing or not a non-negative integer: soon"),
        ({"Content-Encoding": "aesgcm"}, "Content-Encoding must be aes128gcm"),
        ({"Urgency": "urgent"}, "bad Urgency"),
        ({"Topic": "dossier 42"}, "bad Topic"),
    ],
)
async def test_malformed_requests_are_refused(
    push: FakePushService,
    http: aiohttp.ClientSession,
    vapid: Vapid02,
    headers: dict[str, str | None],
    reason: str,
) -> None:
    sub = push.new_subscription()
    claims = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": CONTACT}
    sent = {"TTL": "60", "Content-Encoding": "aes128gcm", **vapid.sign(claims), **headers}
    if not headers:
        del sent["Authorization"]
    response = await http.post(
        sub.endpoint,
        data=b"not encrypted",
        headers={name: value for name, value in sent.items() if value is not None},
    )
    status = 401 if not headers else 400
    assert response.status == status
    assert (await response.json())["code"] == status
    assert push.rejected[-1].reason.startswith(reason)


async def test_unknown_and_gone_subscriptions(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    sub = push.new_subscription()
    never = {"endpoint": f"{push.origin}/push/never-existed", "keys": sub.as_json()["keys"]}
    assert await send(http, vapid, never) == (404, None)
    push.mark_gone(sub)
    assert await send(http, vapid, sub.as_json()) == (410, None)
    assert await send(http, vapid, sub.as_json()) == (410, None)
    assert [(r.status, r.scripted) for r in push.rejected] == [
        (404, False),
        (410, False),
        (410, False),
    ]


async def test_scripted_answers(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    sub, other = push.new_subscription(), push.new_subscription()
    push.respond(sub, 429, retry_after=30)
    assert await send(http, vapid, sub.as_json()) == (429, "30")
    assert await send(http, vapid, sub.as_json()) == (201, None)

    push.respond(sub, 410)
    assert await send(http, vapid, sub.as_json()) == (410, None)
    push.respond(sub, 404)
    assert await send(http, vapid, sub.as_json()) == (404, None)

    push.respond(None, 503, times=2)  # every subscription
    assert await send(http, vapid, other.as_json()) == (503, None)
    assert await send(http, vapid, sub.as_json()) == (503, None)
    assert await send(http, vapid, sub.as_json()) == (201, None)

    assert len(push.received) == 2
    assert [(r.status, r.scripted) for r in push.rejected] == [
        (429, True),
        (410, True),
        (404, True),
        (503, True),
        (503, True),
    ]


async def test_a_hung_push_times_the_sender_out(
    push: FakePushService, http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    sub: Subscription = push.new_subscription()
    push.hang(sub, 1.0)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await send(http, vapid, sub.as_json(), client_timeout=0.5)
    assert time.monotonic() - started < 0.9
    # Once the hang is over the service sees that the sender left, and delivers nothing.
    [rejected] = await push.wait_for_rejected(1, timeout=3)
    assert rejected.status == 499 and push.received == []

    push.hang(sub, 0)
    assert await send(http, vapid, sub.as_json(), client_timeout=0.5) == (201, None)


async def test_stopping_does_not_wait_for_hung_requests(
    http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    async with FakePushService() as push:
        sub = push.new_subscription()
        push.hang(None, 60)
        task = asyncio.create_task(send(http, vapid, sub.as_json(), client_timeout=10))
        await asyncio.sleep(0.2)
        started = time.monotonic()
    assert time.monotonic() - started < 2
    assert (await task)[0] == 503


async def test_runs_in_its_own_process_for_benchmarks(
    http: aiohttp.ClientSession, vapid: Vapid02
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.fakepush",
        "--port",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(10):
            origin = (await process.stdout.readline()).decode().strip()
        assert origin.startswith("http://127.0.0.1:")
        async with http.post(f"{origin}/_subscriptions", params={"name": "bench"}) as response:
            subscription = await response.json()
        assert subscription["endpoint"].startswith(f"{origin}/push/")
        assert await send(http, vapid, subscription) == (201, None)
        assert await send(http, vapid, subscription, claims={"aud": "https://x.example"}) == (
            401,
            None,
        )
        async with http.get(f"{origin}/_stats") as response:
            assert await response.json() == {
                "subscriptions": 1,
                "received": 1,
                "rejected": 1,
                "rejected_by_status": {"401": 1},
            }
    finally:
        process.terminate()
        assert await process.wait() == 0
