"""Values we sign so that nobody can make them up: the key of a feedback's tracking
link (a phone's device cookie is ``backend.web.device``'s)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def _mac(secret_key: str, purpose: str, value: str, size: int = 12) -> str:
    digest = hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:size]).decode().rstrip("=")


def tracking_token(secret_key: str, code: str) -> str:
    return _mac(secret_key, "feedback", code)


def tracking_url(public_url: str, secret_key: str, code: str) -> str:
    return f"{public_url}/phan-anh/{code}?k={tracking_token(secret_key, code)}"


def tracking_key_matches(secret_key: str, code: str, token: str) -> bool:
    return hmac.compare_digest(token.encode(), tracking_token(secret_key, code).encode())
