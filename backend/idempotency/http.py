"""Idempotency-Key for the endpoints that create something, in two halves.

A route opts in with ``opt=IDEMPOTENT``. A request to it that carries the header is
looked up in ``before_request``, which Litestar calls after the CSRF check and the
route's guards (a replay is refused to whoever may not make the request) and before
the handler: a replay answers the first answer (with ``Idempotent-Replayed: true``),
a request still in flight 409, another request under the key 422, a new one reserves
the key. ``middleware`` (outside the handler) holds the reserved request's answer
until it is recorded, so once a client has an answer every retry gets it too; only
successes are recorded, any other answer frees the key for a retry.

Not for answers that carry a secret shown once (a claim code, an enrolment link):
they would be kept in this table for a day.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.clock import epoch_ms, utc_now
from backend.idempotency import service
from backend.idempotency.service import Answer, Reservation

# The route option that turns it on.
IDEMPOTENT: Final[dict[str, Any]] = {"idempotent": True}
_STATE = "motcua_idempotency"
# What of the first answer is given again: never its cookies.
_KEPT_HEADERS = ("location", "cache-control", "content-language")

Identify = Callable[[ASGIConnection[Any, Any, Any, Any]], Awaitable[str]]


async def fingerprint(request: Request[Any, Any, Any]) -> str:
    """What the request asks, the same however the client framed it again: a retried
    multipart upload has a new boundary, a JSON body may come with its keys reordered."""
    body = await request.body()
    media, options = request.content_type
    if media == "multipart/form-data" and options.get("boundary"):
        body = body.replace(options["boundary"].encode(), b"")
    elif media == "application/json" or media.endswith("+json"):
        # Not JSON after all: the handler refuses it, and the bytes identify it.
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query or "", media):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


class Idempotency:
    """One per app; ``identify`` names who asks (an account, or "anonymous")."""

    def __init__(self, identify: Identify) -> None:
        self.identify = identify

    async def before_request(self, request: Request[Any, Any, Any]) -> Response[bytes] | None:
        raw = request.headers.get(service.HEADER)
        if raw is None or not request.route_handler.opt.get("idempotent"):
            return None
        key = service.request_key(
            await self.identify(request),
            request.method,
            request.url.path,
            service.checked_key(raw),
        )
        found = await service.reserve(key, await fingerprint(request), epoch_ms(utc_now))
        if isinstance(found, Reservation):
            request.scope.setdefault("state", {})[_STATE] = found
            return None
        headers = {k: v for k, v in found.headers.items() if k != "content-type"}
        return Response(
            found.body,
            status_code=found.status_code,
            media_type=found.headers.get("content-type", "application/json"),
            headers={**headers, service.REPLAYED_HEADER: "true"},
        )

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def recording(scope: Scope, receive: Receive, send: Send) -> None:
            handler = scope.get("route_handler")
            if (
                scope["type"] != ScopeType.HTTP
                or handler is None
                or not handler.opt.get("idempotent")
            ):
                await app(scope, receive, send)
                return
            held: list[Message] = []

            def reservation() -> Reservation | None:
                found = scope.get("state", {}).get(_STATE)
                return found if isinstance(found, Reservation) else None

            async def hold(message: Message) -> None:
                if reservation() is None:
                    await send(message)
                else:
                    held.append(message)

            try:
                await app(scope, receive, hold)
            except BaseException:
                if (taken := reservation()) is not None:
                    await service.release(taken)
                raise
            if (taken := reservation()) is not None:
                answer = _answer(held)
                if 200 <= answer.status_code < 300:
                    await service.complete(taken, answer)
                else:
                    await service.release(taken)
            for message in held:
                await send(message)

        return recording


def _answer(messages: list[Message]) -> Answer:
    start = next(m for m in messages if m["type"] == "http.response.start")
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    if headers.get("content-encoding") == "gzip":
        # Kept plain: a replay may go to a client that does not take gzip.
        body = gzip.decompress(body)
    kept = {name: headers[name] for name in ("content-type", *_KEPT_HEADERS) if name in headers}
    return Answer(start["status"], kept, body)
