"""The app's own secret key: from the environment, or outside production made once into
the data dir."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from backend.settings.parse import SettingsError


def secret_key(env: Mapping[str, str], environment: str, data_dir: Path) -> str:
    raw = env.get("MOTCUA_SECRET_KEY", "")
    if raw:
        if len(raw) < 32:
            raise SettingsError("MOTCUA_SECRET_KEY", "must be at least 32 characters long")
        return raw
    if environment == "production":
        raise SettingsError("MOTCUA_SECRET_KEY", "is required when MOTCUA_ENV=production")
    return _embedded_secret(data_dir)


def _embedded_secret(data_dir: Path) -> str:
    key = kept_in_data_dir(data_dir, "secret_key", lambda: secrets.token_urlsafe(48))
    if len(key) < 32:
        raise SettingsError(
            "MOTCUA_SECRET_KEY", f"the key kept in {data_dir / 'secret_key'} is too short"
        )
    return key


def kept_in_data_dir(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """A key generated once into the data dir, readable by the owner only: changing it
    would end every session (the secret key) or orphan every browser's push
    subscription (the VAPID key)."""
    path = data_dir / name
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    except FileExistsError:
        # Made by an earlier start (or a process starting beside this one).
        return path.read_text().strip()
    except OSError as error:
        raise SettingsError("MOTCUA_DATA_DIR", f"cannot be written ({error.strerror})") from None
    return path.read_text().strip()
