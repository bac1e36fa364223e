"""The parsers every settings module shares: each names its variable in the error, so
the command line can print one clear line instead of a traceback."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def text(env: Mapping[str, str], name: str, default: str, *, high: int) -> str:
    value = env.get(name, default).strip()
    if not value or len(value) > high:
        raise SettingsError(name, f"must be 1 to {high} characters")
    return value


def choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, default).strip()
    if name == "MOTCUA_LOG_LEVEL":
        value = value.upper()
    if value not in allowed:
        raise SettingsError(name, f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def boolean(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(name, f"must be true or false (got {raw!r})")


def integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number (got {raw!r})") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high} (got {value})")
    return value


def all_or_none(env: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    """A gateway's settings come together: half a configuration is a mistake."""
    values = [env.get(name, "").strip() for name in names]
    if any(values) and not all(values):
        missing = [name for name, value in zip(names, values, strict=True) if not value]
        raise SettingsError(missing[0], f"is required with {', '.join(names)}")
    return values


def gateway_url(env: Mapping[str, str], name: str, default: str, environment: str) -> str:
    raw = env.get(name, default).strip()
    parts = urlsplit(raw)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise SettingsError(name, f"must be an https:// address (got {raw!r})")
    if parts.scheme == "http" and environment == "production":
        raise SettingsError(name, "must use https in production")
    return raw
