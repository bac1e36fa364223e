"""What every response gets, whether a route matched or not: a request id, the
security headers, and one JSON log line.

Litestar runs its middleware only for matched routes, so a 404 or 405 would go
out bare; ``EdgeMiddleware`` wraps the application's whole ASGI handler instead.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.settings import Settings

logger = logging.getLogger("motcua.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def content_security_policy(
    settings: Settings, *, wasm: bool = False, form_to: tuple[str, ...] = ()
) -> str:
    """The site's policy. ``form_to``: other origins a form may lead to (a browser also
    checks the redirect that follows a submission, e.g. to a payment gateway)."""
    directives = [
        "default-src 'self'",
        # 'wasm-unsafe-eval' (WebAssembly compilation, not JavaScript eval) only on the
        # pages that compile our own ZXing wasm: the QR scanner.
        "script-src 'self' 'wasm-unsafe-eval'" if wasm else "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        " ".join(("form-action 'self'", *form_to)),
        "frame-ancestors 'none'",
    ]
    if settings.is_https:
        directives.append("upgrade-insecure-requests")
    return "; ".join(directives)


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        # The QR scanner needs the camera, for this site only; nothing else.
        "Permissions-Policy": (
            "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
        ),
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if settings.is_https:
        # Two years, every subdomain, and eligible for the browsers' preload list, so
        # that not even the first visit goes over plain http (issue 15).
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains; preload"
    return headers


def _sends_cookie(scope: Scope, name: bytes) -> bool:
    return any(
        header == b"cookie" and any(part.strip().startswith(name) for part in value.split(b";"))
        for header, value in scope["headers"]
    )


def cache_rules(headers: MutableScopeHeaders, *, personal: bool) -> None:
    """What may keep a response (issue 15). One that depends on who asks (the API, or
    any request carrying a session cookie) is ``no-store`` unless its handler said
    otherwise: a default here, since a route that forgets would leak. A response
    marked ``public`` never carries a cookie: a shared cache would hand it to all."""
    if personal and "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"
    if "public" in (headers.get("cache-control") or "").lower() and "set-cookie" in headers:
        del headers["set-cookie"]
        logger.warning("set-cookie dropped from a public response")
    # A download is for our own pages: no other site may embed or read it.
    if "content-disposition" in headers and "cross-origin-resource-policy" not in headers:
        headers["Cross-Origin-Resource-Policy"] = "same-origin"


class EdgeMiddleware:
    """A header the handler set itself wins (the QR scanner's page sets its own CSP).
    ``session_cookie``: its presence on a request makes the answer personal."""

    def __init__(self, app: ASGIApp, settings: Settings, *, session_cookie: str = "") -> None:
        self.app = app
        self.headers = [(name.lower(), value) for name, value in security_headers(settings).items()]
        self.session_cookie = f"{session_cookie}=".encode() if session_cookie else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or secrets.token_hex(8)
        scope["state"]["request_id"] = request_id
        status = 500
        personal = scope["path"].startswith("/api/") or (
            bool(self.session_cookie) and _sends_cookie(scope, self.session_cookie)
        )

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers:
                    if name not in headers:
                        headers.add(name, value)
                headers["X-Request-ID"] = request_id
                cache_rules(headers, personal=personal)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            # The query string is left out: it may hold personal data.
            fields = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
            }
            logger.info("request", extra={"fields": fields})


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _REQUEST_ID.match(candidate) else None
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: the message as ``event`` plus the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("motcua")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
