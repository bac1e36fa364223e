"""Where kept files live (issue 20): the data dir's folder, or an S3-compatible bucket."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from backend.settings.parse import SettingsError, all_or_none, gateway_url, integer

# S3's rules for a bucket's name (lower case, digits, dots and dashes, 3 to 63).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
_REGION = re.compile(r"[a-z0-9-]{1,32}")


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """A bucket, when ``MOTCUA_STORAGE_URL`` names one ("" : the local folder, the
    default); its endpoint ("" : AWS's own for the region), its keys (none: the
    client's usual sources, AWS_* variables or the machine's role) and how long one
    call to it may take before the request answers 503 (and how long a download may
    wait for the store's next chunk before it is cut). ``chunk_bytes``: what a download
    reads from the store or the folder at a time."""

    bucket: str = ""
    prefix: str = ""
    endpoint: str = ""
    region: str = "us-east-1"
    access_key: str = ""
    secret_key: str = ""
    timeout_s: int = 10
    chunk_bytes: int = 256 * 1024

    @property
    def on_s3(self) -> bool:
        return bool(self.bucket)


def storage_settings(env: Mapping[str, str], environment: str) -> StorageSettings:
    timeout_s = integer(env, "MOTCUA_S3_TIMEOUT_S", 10, low=1, high=120)
    chunk_bytes = 1024 * integer(env, "MOTCUA_STORAGE_CHUNK_KIB", 256, low=4, high=16 * 1024)
    raw = env.get("MOTCUA_STORAGE_URL", "").strip()
    if not raw:
        return StorageSettings(timeout_s=timeout_s, chunk_bytes=chunk_bytes)
    parts = urlsplit(raw)
    if parts.scheme != "s3" or not parts.netloc:
        raise SettingsError(
            "MOTCUA_STORAGE_URL", f"must be s3://bucket/prefix, or unset (got {raw!r})"
        )
    if not _BUCKET.fullmatch(parts.netloc):
        raise SettingsError("MOTCUA_STORAGE_URL", f"names no valid bucket (got {parts.netloc!r})")
    prefix = parts.path.strip("/")
    segments = prefix.split("/")
    if (
        parts.query
        or parts.fragment
        or (prefix and not _PREFIX.fullmatch(prefix))
        or any(segment in {".", ".."} for segment in segments)
    ):
        raise SettingsError(
            "MOTCUA_STORAGE_URL",
            "the prefix may hold letters, digits, '.', '_', '-' and '/' only",
        )
    endpoint = ""
    if env.get("MOTCUA_S3_ENDPOINT", "").strip():
        # People's ID cards and dossiers go over it: https only in production.
        endpoint = gateway_url(env, "MOTCUA_S3_ENDPOINT", "", environment).rstrip("/")
        if urlsplit(endpoint).path or urlsplit(endpoint).query:
            raise SettingsError("MOTCUA_S3_ENDPOINT", "must be an origin only, without a path")
    region = env.get("MOTCUA_S3_REGION", "us-east-1").strip() or "us-east-1"
    if not _REGION.fullmatch(region):
        raise SettingsError("MOTCUA_S3_REGION", f"is not a region name (got {region!r})")
    access_key, secret_key = all_or_none(env, ("MOTCUA_S3_ACCESS_KEY", "MOTCUA_S3_SECRET_KEY"))
    return StorageSettings(
        bucket=parts.netloc,
        prefix=prefix,
        endpoint=endpoint,
        region=region,
        access_key=access_key,
        secret_key=secret_key,
        timeout_s=timeout_s,
        chunk_bytes=chunk_bytes,
    )
