"""How a delivery is signed: HMAC-SHA256 with a subscription's secret over
``f"{timestamp}.{body}"`` (the Unix time in seconds, a dot, the body's bytes as sent),
in lowercase hex. ``Webhook-Signature`` lists one ``<key id>=<hex>`` per key that signs
now, the newest first (during a rotation's grace, the old key's signature still comes
beside the new one's, so a receiver that has not changed its secret yet loses nothing);
``Webhook-Key-Id`` names the newest."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Key:
    key_id: str
    secret: str


def new_key() -> Key:
    return Key(key_id=f"whk_{secrets.token_hex(6)}", secret=f"whsec_{secrets.token_urlsafe(32)}")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(event_id: str, timestamp: int, body: bytes, keys: Sequence[Key]) -> dict[str, str]:
    """The headers of one attempt; ``keys`` newest first (at least one)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "MotCua-Webhooks/1",
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Key-Id": keys[0].key_id,
        "Webhook-Signature": ", ".join(
            f"{key.key_id}={signature(key.secret, timestamp, body)}" for key in keys
        ),
    }
