"""Web Push: the VAPID key and contact, and the push services a subscription may name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from backend import vapid
from backend.settings.keys import kept_in_data_dir
from backend.settings.parse import SettingsError, boolean

# The push services of the browsers people use (host names, or suffixes after a dot):
# Chrome and Android, Safari, Firefox, Edge. A subscription elsewhere is refused.
PUSH_HOSTS = (
    "fcm.googleapis.com",
    "web.push.apple.com",
    "push.services.mozilla.com",
    "notify.windows.com",
)
# Only outside production; production requires a real contact.
DEV_VAPID_SUBJECT = "mailto:motcua-dev@example.gov.vn"


def vapid_private_key(env: Mapping[str, str], environment: str, data_dir: Path) -> str:
    raw = env.get("MOTCUA_VAPID_PRIVATE_KEY", "").strip()
    if not raw:
        if environment == "production":
            raise SettingsError(
                "MOTCUA_VAPID_PRIVATE_KEY",
                "is required when MOTCUA_ENV=production (make one with `motcua vapid-keys`)",
            )
        raw = kept_in_data_dir(data_dir, "vapid_private_key", lambda: vapid.new_key_pair()[0])
    if not vapid.valid_private_key(raw):
        raise SettingsError(
            "MOTCUA_VAPID_PRIVATE_KEY",
            "must be a P-256 private key, 32 bytes in base64url (`motcua vapid-keys` prints one)",
        )
    return raw


def vapid_subject(env: Mapping[str, str], environment: str) -> str:
    raw = env.get("MOTCUA_VAPID_SUBJECT", "").strip()
    if not raw:
        if environment == "production":
            raise SettingsError(
                "MOTCUA_VAPID_SUBJECT",
                "is required when MOTCUA_ENV=production (a mailto: or https: contact)",
            )
        return DEV_VAPID_SUBJECT
    parts = urlsplit(raw)
    host = (parts.path.rpartition("@")[2] if parts.scheme == "mailto" else parts.hostname) or ""
    if parts.scheme not in {"mailto", "https"} or not host or host == "localhost":
        raise SettingsError(
            "MOTCUA_VAPID_SUBJECT",
            "must be a real mailto: or https: contact (push services refuse localhost)",
        )
    return raw


def push_hosts(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("MOTCUA_PUSH_HOSTS", "")
    hosts = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    return hosts or PUSH_HOSTS


def push_http_loopback(env: Mapping[str, str], environment: str) -> bool:
    allowed = boolean(env, "MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK", default=False)
    if allowed and environment == "production":
        raise SettingsError(
            "MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK", "is for tests and benchmarks, not production"
        )
    return allowed
