"""Integrators' webhooks (issue 18)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.settings.parse import SettingsError, boolean, integer


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Integrators' webhooks (issue 18): how long one delivery may take, how long a
    worker holds the deliveries it claimed, how long a rotated key still signs, and
    plain-http loopback targets for tests only."""

    timeout_s: float = 10.0
    lease_s: int = 60
    key_grace_hours: int = 24
    allow_http_loopback: bool = False


def webhook_settings(env: Mapping[str, str], environment: str) -> WebhookSettings:
    loopback = boolean(env, "MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK", default=False)
    if loopback and environment == "production":
        raise SettingsError("MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK", "is for tests, not production")
    timeout_s = integer(env, "MOTCUA_WEBHOOK_TIMEOUT_S", 10, low=1, high=30)
    lease_s = integer(env, "MOTCUA_WEBHOOK_LEASE_S", 60, low=5, high=3600)
    # A lease shorter than a send would let a second worker send the same delivery
    # while the first still waits for its answer.
    if lease_s < 2 * timeout_s + 2:
        raise SettingsError(
            "MOTCUA_WEBHOOK_LEASE_S", "must be at least twice MOTCUA_WEBHOOK_TIMEOUT_S plus 2"
        )
    return WebhookSettings(
        timeout_s=timeout_s,
        lease_s=lease_s,
        key_grace_hours=integer(env, "MOTCUA_WEBHOOK_KEY_GRACE_HOURS", 24, low=1, high=720),
        allow_http_loopback=loopback,
    )
