"""A fake Web Push service on 127.0.0.1 that speaks the real protocol.

It checks what a real push service (FCM, Mozilla autopush, Apple) checks, so that a message it
accepts would be accepted in production too:

* RFC 8030 (Web Push): `POST /push/<id>`, a `TTL` header, optional `Urgency` and `Topic`,
  `201 Created` with a `Location`; 404 for an endpoint that never existed, 410 for one that is gone.
* RFC 8292 (VAPID): `Authorization: vapid t=<ES256 JWT>, k=<public key>`; the JWT is signed by
  `k`, `aud` is the endpoint's origin, `exp` is in the future and at most 24 h ahead, `sub` is a
  `mailto:` or `https:` contact.
* RFC 8291 (message encryption): the body is `aes128gcm` and decrypts with the subscription's
  private key and auth secret, like a browser would.

In a test, inside the test's event loop::

    async with FakePushService() as push:
        sub = push.new_subscription("alice")        # sub.as_json() is PushSubscription.toJSON()
        ...                                         # the app sends to sub.endpoint
        [message] = await push.wait_for(1)
        assert message.data == {"title": ...}

For a benchmark, in its own process: `python -m tests.support.fakepush --port 8790` prints its URL
and serves `POST /_subscriptions` (a new subscription as JSON) and `GET /_stats` (counts).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import json
import re
import secrets
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import http_ece  # type: ignore[import-untyped]
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = [
    "FakePushService",
    "Received",
    "Rejected",
    "Subscription",
    "b64url_decode",
    "b64url_encode",
]

#: RFC 8292 §2: "exp" MUST NOT be more than 24 hours from the time of the request.
MAX_JWT_LIFETIME = 24 * 60 * 60
#: RFC 8030 §7.2: a push service must accept 4096 octets of body; bigger is refused with 413.
MAX_BODY = 4096
URGENCIES = frozenset({"very-low", "low", "normal", "high"})  # RFC 8030 §5.3
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")  # RFC 8030 §5.4: at most 32 base64url characters
#: Status recorded when the sender hung up before a hung request was answered (nginx's convention).
CLIENT_GONE = 499


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding (Web Push and JWTs strip it)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Subscription:
    """What a browser's `pushManager.subscribe()` makes, keeping the private half to decrypt."""

    id: str
    name: str | None
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    auth_secret: bytes = field(repr=False)

    @property
    def p256dh(self) -> str:
        """The public key, base64url of the uncompressed point (65 bytes), without padding."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(point)

    @property
    def auth(self) -> str:
        return b64url_encode(self.auth_secret)

    def as_json(self) -> dict[str, Any]:
        """The shape of `PushSubscription.toJSON()` (expirationTime omitted, as Chromium does)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def decrypt(self, body: bytes) -> bytes:
        """Decrypt an aes128gcm push message body as the browser would (RFC 8291)."""
        plaintext: bytes = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return plaintext


@dataclass(frozen=True)
class Received:
    """A push message the service accepted (answered 201)."""

    subscription_id: str
    subscription_name: str | None
    ttl: int
    urgency: str | None
    topic: str | None
    payload: bytes
    #: The payload parsed as JSON, or None if it is not JSON.
    data: Any
    claims: dict[str, Any]
    #: The `k` of the Authorization header: the application server's public key (base64url).
    vapid_key: str
    at: float


@dataclass(frozen=True)
class Rejected:
    """A request the service did not accept: invalid, scripted with `respond()`, or abandoned."""

    subscription_id: str | None
    status: int
    reason: str
    at: float
    #: True when the answer came from `respond()`, not from a failed check.
    scripted: bool = False


class PushRefused(Exception):
    """A check failed: answer `status` and record the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class _Script:
    status: int
    remaining: int | None  # None: until changed
    retry_after: int | str | None = None
    hang: float = 0.0


class FakePushService:
    """The push service. Start it with `async with`; it serves until the block ends."""

    def __init__(
        self, *, port: int = 0, expected_public_key: str | None = None, shutdown_timeout: float = 1
    ) -> None:
        self.port = port
        #: RFC 8292 §4.2: when set, `k` must be this key (base64url point), else 403.
        self.expected_public_key = expected_public_key
        self.received: list[Received] = []
        self.rejected: list[Rejected] = []
        self._subscriptions: dict[str, Subscription] = {}
        self._gone: set[str] = set()
        # Keyed by subscription id, None for every subscription; a subscription's own wins.
        self._answers: dict[str | None, _Script] = {}
        self._hangs: dict[str | None, _Script] = {}
        self._changed = asyncio.Event()  # set (and replaced) whenever a request is recorded
        self._closing = asyncio.Event()
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        if self._runner is None:
            raise RuntimeError("the push service is not started: use `async with`")
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/push/{id}", self._push)
        app.router.add_post("/_subscriptions", self._create_subscription)
        app.router.add_get("/_stats", self._stats)
        # Our own socket: the OS picks the port and we know it before the first request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        self._closing.set()  # wakes hung requests, so that shutdown does not wait for them
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- subscriptions --------------------------------------------------------------------------

    def new_subscription(self, name: str | None = None) -> Subscription:
        """A fresh subscription: P-256 key pair, 16-byte auth secret, endpoint on this service."""
        sub_id = secrets.token_urlsafe(16)
        sub = Subscription(
            id=sub_id,
            name=name,
            endpoint=f"{self.origin}/push/{sub_id}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
        )
        self._subscriptions[sub_id] = sub
        return sub

    def mark_gone(self, sub: Subscription) -> None:
        """The user unsubscribed or the browser dropped it: every later push answers 410."""
        self._gone.add(sub.id)

    # -- knobs ----------------------------------------------------------------------------------

    def respond(
        self,
        sub: Subscription | None,
        status: int,
        times: int | None = 1,
        retry_after: int | str | None = None,
    ) -> None:
        """Answer the next `times` valid pushes (to `sub`, or to any if None) with `status`,
        e.g. 429 with `Retry-After`, 503, 404 or 410; `times=None` until changed again.
        Checks still run first: an invalid request is refused as usual and uses up nothing."""
        self._answers[_key(sub)] = _Script(status, times, retry_after)

    def hang(self, sub: Subscription | None, seconds: float, times: int | None = None) -> None:
        """Sleep `seconds` before handling the next `times` pushes (all if None), so that a
        sender's timeout fires. If the sender hung up meanwhile, the push is recorded as rejected
        (status 499) rather than delivered. `seconds=0` stops hanging."""
        if seconds <= 0:
            self._hangs.pop(_key(sub), None)
        else:
            self._hangs[_key(sub)] = _Script(0, times, hang=seconds)

    def reset(self) -> None:
        """Forget knobs and records (subscriptions stay)."""
        self._answers.clear()
        self._hangs.clear()
        self.received.clear()
        self.rejected.clear()

    # -- inspection -----------------------------------------------------------------------------

    def received_for(self, sub: Subscription | str) -> list[Received]:
        sub_id = sub if isinstance(sub, str) else sub.id
        return [message for message in self.received if message.subscription_id == sub_id]

    async def wait_for(self, count: int, timeout: float = 5) -> list[Received]:  # noqa: ASYNC109
        """Wait until `count` messages were received in total; return them all."""
        await self._wait(lambda: len(self.received) >= count, timeout, f"{count} received")
        return list(self.received)

    async def wait_for_rejected(
        self,
        count: int,
        timeout: float = 5,  # noqa: ASYNC109
    ) -> list[Rejected]:
        """Wait until `count` requests were rejected in total; return them all."""
        await self._wait(lambda: len(self.rejected) >= count, timeout, f"{count} rejected")
        return list(self.rejected)

    async def _wait(self, done: Callable[[], bool], seconds: float, what: str) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not done():
                    await self._changed.wait()
        except TimeoutError:
            # Say what did arrive: a test that times out usually sent something refused.
            rejected = "; ".join(f"{r.status} {r.reason}" for r in self.rejected) or "none"
            raise AssertionError(
                f"waited {seconds}s for {what}, got {len(self.received)} received; "
                f"rejected: {rejected}"
            ) from None

    def stats(self) -> dict[str, Any]:
        statuses = Counter(str(r.status) for r in self.rejected)
        return {
            "subscriptions": len(self._subscriptions),
            "received": len(self.received),
            "rejected": len(self.rejected),
            "rejected_by_status": dict(statuses),
        }

    # -- HTTP -----------------------------------------------------------------------------------

    async def _push(self, request: web.Request) -> web.StreamResponse:
        sub_id = request.match_info["id"]
        body = await request.read()
        hang = _take(self._hangs, sub_id)
        if hang is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), hang.hang)
            if self._closing.is_set():
                return web.Response(status=503)
            if request.transport is None or request.transport.is_closing():
                self._reject(sub_id, CLIENT_GONE, "the sender hung up before the answer")
                return web.Response(status=CLIENT_GONE)
        try:
            sub = self._subscription(sub_id)
            message = self._check(request, sub, body)
        except PushRefused as refused:
            self._reject(sub_id, refused.status, refused.reason)
            return web.json_response(
                {"code": refused.status, "error": refused.reason}, status=refused.status
            )
        script = _take(self._answers, sub_id)
        if script is not None:
            self._reject(sub_id, script.status, f"scripted {script.status}", scripted=True)
            headers = {} if script.retry_after is None else {"Retry-After": str(script.retry_after)}
            return web.Response(status=script.status, headers=headers)
        self.received.append(message)
        self._notify()
        # RFC 8030 §5: the Location of the push message resource; §5.2: the TTL we will keep.
        location = f"{self.origin}/message/{secrets.token_urlsafe(12)}"
        return web.Response(status=201, headers={"Location": location, "TTL": str(message.ttl)})

    def _subscription(self, sub_id: str) -> Subscription:
        if sub_id in self._gone:
            raise PushRefused(410, "subscription gone")
        sub = self._subscriptions.get(sub_id)
        if sub is None:
            raise PushRefused(404, "no such subscription")
        return sub

    def _check(self, request: web.Request, sub: Subscription, body: bytes) -> Received:
        claims, key = self._check_vapid(request.headers.get("Authorization"))
        ttl_header = request.headers.get("TTL")
        if ttl_header is None or not ttl_header.isdigit():
            raise PushRefused(400, f"TTL missing or not a non-negative integer: {ttl_header}")
        urgency = request.headers.get("Urgency")
        if urgency is not None and urgency not in URGENCIES:
            raise PushRefused(400, f"bad Urgency: {urgency}")
        topic = request.headers.get("Topic")
        if topic is not None and not TOPIC.fullmatch(topic):
            raise PushRefused(400, f"bad Topic (at most 32 base64url characters): {topic}")
        if len(body) > MAX_BODY:
            raise PushRefused(413, f"payload of {len(body)} bytes, over {MAX_BODY}")
        payload = b""
        if body:  # RFC 8030 allows a push without payload; one with a payload must be encrypted
            encoding = request.headers.get("Content-Encoding")
            if encoding != "aes128gcm":
                raise PushRefused(400, f"Content-Encoding must be aes128gcm, not {encoding}")
            try:
                payload = sub.decrypt(body)
            except Exception as error:  # http_ece and cryptography raise several kinds
                raise PushRefused(400, f"payload does not decrypt: {error!r}") from None
        try:
            data = json.loads(payload) if payload else None
        except ValueError:
            data = None
        return Received(
            subscription_id=sub.id,
            subscription_name=sub.name,
            ttl=int(ttl_header),
            urgency=urgency,
            topic=topic,
            payload=payload,
            data=data,
            claims=claims,
            vapid_key=key,
            at=time.time(),
        )

    def _check_vapid(self, authorization: str | None) -> tuple[dict[str, Any], str]:
        """RFC 8292: verify the JWT against `k` and the claims; 401 if not, 403 if wrong key."""
        if not authorization:
            raise PushRefused(401, "no Authorization header")
        scheme, _, params_text = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise PushRefused(401, f"Authorization scheme must be vapid, not {scheme}")
        params = dict(p.strip().partition("=")[::2] for p in params_text.split(","))
        token, key = params.get("t", ""), params.get("k", "")
        try:
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b64url_decode(key)
            )
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(claims_b64))
            signature = b64url_decode(signature_b64)
        except (ValueError, binascii.Error) as error:
            raise PushRefused(401, f"malformed VAPID t= or k=: {error!r}") from None
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise PushRefused(401, f"JWT alg must be ES256: {header}")
        if not isinstance(claims, dict):
            raise PushRefused(401, "JWT claims are not an object")
        if len(signature) != 64:  # JWS ES256 is r || s, 32 bytes each, not DER
            raise PushRefused(401, "JWT signature is not 64 bytes (r || s)")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public_key.verify(
                der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256())
            )
        except InvalidSignature:
            raise PushRefused(401, "JWT signature does not verify with k") from None
        if self.expected_public_key is not None and key != self.expected_public_key:
            raise PushRefused(403, "k is not the applicationServerKey of the subscription")
        if claims.get("aud") != self.origin:
            raise PushRefused(401, f"aud {claims.get('aud')!r} is not {self.origin}")
        exp, now = claims.get("exp"), time.time()
        if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
            raise PushRefused(401, f"exp {exp!r} is missing or past")
        if exp > now + MAX_JWT_LIFETIME:
            raise PushRefused(401, f"exp {exp} is more than 24 h ahead")
        if not _valid_contact(claims.get("sub")):
            raise PushRefused(401, f"sub {claims.get('sub')!r} is not a mailto: or https: contact")
        return claims, key

    def _reject(
        self, sub_id: str | None, status: int, reason: str, *, scripted: bool = False
    ) -> None:
        self.rejected.append(Rejected(sub_id, status, reason, time.time(), scripted))
        self._notify()

    def _notify(self) -> None:
        # A fresh event per change: a waiter that checked its condition and then waits on the
        # current event cannot miss the next change (no await between the check and the wait).
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _create_subscription(self, request: web.Request) -> web.Response:
        sub = self.new_subscription(request.query.get("name"))
        return web.json_response(sub.as_json())

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())


def _key(sub: Subscription | None) -> str | None:
    return None if sub is None else sub.id


def _take(scripts: dict[str | None, _Script], sub_id: str) -> _Script | None:
    """The script that applies to `sub_id` (its own, else the global one), used up once."""
    key: str | None = sub_id if sub_id in scripts else None
    script = scripts.get(key)
    if script is None:
        return None
    if script.remaining is not None:
        script.remaining -= 1
        if script.remaining <= 0:
            del scripts[key]
    return script


def _valid_contact(sub: object) -> bool:
    """A `mailto:` address or an `https:` URL a human reads; Apple refuses `@localhost`."""
    if not isinstance(sub, str):
        return False
    if sub.startswith("mailto:"):
        local, at, domain = sub.removeprefix("mailto:").rpartition("@")
        domain = domain.lower()
        return bool(local and at and "." in domain and not domain.endswith("localhost"))
    if sub.startswith("https:"):
        host = urlsplit(sub).hostname or ""
        return bool(host) and host != "localhost" and not host.endswith(".localhost")
    return False


async def _serve(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with FakePushService(port=port) as push:
        print(push.origin, flush=True)  # the parent reads this line to learn the port
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Web Push service on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 (default): the OS picks one")
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
