"""``manifest.json``: what a backup holds, and the SHA-256 of every file in it.

It is written last, so a folder without one is a backup that did not finish."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

from backend.backup.copying import fsync_folder, hash_file

MANIFEST: Final = "manifest.json"
FORMAT: Final = 1


class BackupRefused(Exception):
    """One line for the person running the command; nothing was written (a backup) or
    restored (a restore)."""


class RestoreIncomplete(BackupRefused):
    """The restore wrote the database, and what it finds there is not what the
    manifest promised."""


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # relative to the backup folder, with "/"
    size: int
    sha256: str


@dataclass(slots=True)
class Manifest:
    created_at: str
    database: str  # "sqlite" or "postgresql"
    app_version: str
    # The latest migration applied of each app, and how many were applied in all.
    migrations: dict[str, str]
    migrations_applied: int
    keys: str
    files: list[Entry] = field(default_factory=list)
    # Kept files listed but removed before they could be copied (retention, a sweep).
    files_gone: int = 0
    format: int = FORMAT

    def write(self, folder: Path) -> None:
        body = json.dumps(asdict(self), ensure_ascii=False, indent=2).encode()
        temporary = folder / f".{MANIFEST}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / MANIFEST)
        fsync_folder(folder)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupRefused(
                f"{path} does not exist: not a backup, or one that did not finish"
            ) from None
        except (OSError, ValueError) as error:
            raise BackupRefused(f"{path} cannot be read: {error}") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise BackupRefused(f"{path}: not a backup of format {FORMAT}")
        try:
            files = [Entry(str(e["path"]), int(e["size"]), str(e["sha256"])) for e in raw["files"]]
            for entry in files:
                inside(folder, entry.path)
            return cls(
                created_at=str(raw["created_at"]),
                database=str(raw["database"]),
                app_version=str(raw["app_version"]),
                migrations={str(k): str(v) for k, v in dict(raw["migrations"]).items()},
                migrations_applied=int(raw["migrations_applied"]),
                keys=str(raw["keys"]),
                files=files,
                files_gone=int(raw.get("files_gone", 0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BackupRefused(f"{path} is damaged ({error!r})") from None

    def verify(self, folder: Path) -> None:
        """Every file the manifest names is there with its size and SHA-256; else the
        first that is not, in one line."""
        for entry in self.files:
            path = inside(folder, entry.path)
            try:
                size, digest = hash_file(path)
            except FileNotFoundError:
                raise BackupRefused(f"{entry.path}: missing from the backup") from None
            except OSError as error:
                raise BackupRefused(f"{entry.path}: cannot be read ({error.strerror})") from None
            if size != entry.size or digest != entry.sha256:
                raise BackupRefused(
                    f"{entry.path}: does not match the manifest (SHA-256 {digest}, "
                    f"expected {entry.sha256}): the backup is damaged or was changed"
                )

    def under(self, prefix: str) -> list[Entry]:
        return [e for e in self.files if e.path.startswith(prefix + "/")]


def inside(folder: Path, relative: str) -> Path:
    """``folder/relative``, refusing a path that would lead out of ``folder`` (a manifest
    is read from a backup, which may have been tampered with)."""
    parts = PurePosixPath(relative)
    if parts.is_absolute() or not parts.parts or any(p in {"", ".", ".."} for p in parts.parts):
        raise BackupRefused(f"{relative!r}: not a path inside the backup")
    return folder.joinpath(*parts.parts)
