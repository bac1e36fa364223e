"""Values we sign so that nobody can make them up: a phone's device cookie (one counter
rating a device a day) and the key of a feedback's tracking link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def _mac(secret_key: str, purpose: str, value: str, size: int = 12) -> str:
    digest = hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:size]).decode().rstrip("=")


def new_device(secret_key: str) -> str:
    """A device's cookie value: a random id and our signature of it."""
    device = secrets.token_urlsafe(12)
    return f"{device}.{_mac(secret_key, 'device', device)}"


def device_of(secret_key: str, cookie: str | None) -> str | None:
    """The device id of a cookie we signed, or None for anything else."""
    if not cookie or len(cookie) > 64 or "." not in cookie:
        return None
    device, _, mac = cookie.partition(".")
    return device if hmac.compare_digest(mac, _mac(secret_key, "device", device)) else None


def tracking_token(secret_key: str, code: str) -> str:
    return _mac(secret_key, "feedback", code)


def tracking_url(public_url: str, secret_key: str, code: str) -> str:
    return f"{public_url}/phan-anh/{code}?k={tracking_token(secret_key, code)}"


def tracking_key_matches(secret_key: str, code: str, token: str) -> bool:
    return hmac.compare_digest(token.encode(), tracking_token(secret_key, code).encode())
