"""A phone's own id: a random value in a cookie we sign (``motcua_device``), for the
limits kept per device (a counter rated once a day, the queue tickets and bookings one
phone holds). It is not a person: anyone can clear it, so it only ever adds to the
limits per account and per address, never replaces them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request, Response

COOKIE = "motcua_device"
# On https: Secure, Path=/, no Domain, so that no sibling subdomain can plant one.
SECURE_COOKIE = "__Host-motcua_device"
MAX_AGE = 365 * 24 * 3600


def _mac(secret_key: str, device: str) -> str:
    digest = hmac.new(secret_key.encode(), f"device:{device}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:12]).decode().rstrip("=")


def new_device(secret_key: str) -> str:
    """A device's cookie value: a random id and our signature of it."""
    device = secrets.token_urlsafe(12)
    return f"{device}.{_mac(secret_key, device)}"


def device_of(secret_key: str, cookie: str | None) -> str | None:
    """The device id of a cookie we signed, or None for anything else."""
    if not cookie or len(cookie) > 64 or "." not in cookie:
        return None
    device, _, mac = cookie.partition(".")
    return device if hmac.compare_digest(mac, _mac(secret_key, device)) else None


def request_device(request: Request[Any, Any, Any], secret_key: str) -> tuple[str, str | None]:
    """The request's device id, or a new one: (device, the cookie value to set, or None
    when the browser already holds a good one)."""
    known = device_of(secret_key, request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE))
    if known is not None:
        return known, None
    cookie = new_device(secret_key)
    device = device_of(secret_key, cookie)
    assert device is not None
    return device, cookie


def keep_device(response: Response[Any], cookie: str, *, secure: bool) -> None:
    response.set_cookie(
        SECURE_COOKIE if secure else COOKIE,
        cookie,
        max_age=MAX_AGE,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
