"""Files copied a chunk at a time, hashed on the way, and made durable."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final

CHUNK: Final = 1024 * 1024
# What an interrupted upload leaves behind (backend.attachments.storage): no row can
# name it, so it is not worth keeping.
_HALF_WRITTEN: Final = (".upload-", ".tmp")


def copy_file(source: Path, target: Path) -> tuple[int, str] | None:
    """Copy ``source`` to ``target`` (made with mode 0600); its size and SHA-256, or
    None when ``source`` is gone (removed since it was listed). Links are not followed:
    a link planted among the kept files must not copy something else into a backup."""
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    with os.fdopen(fd, "rb") as reading:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(out, "wb") as writing:
            while chunk := reading.read(CHUNK):
                digest.update(chunk)
                writing.write(chunk)
                size += len(chunk)
            writing.flush()
            os.fsync(writing.fileno())
    return size, digest.hexdigest()


def hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as reading:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def regular_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` (not links, not half-written uploads), sorted,
    as paths relative to ``root``."""
    if not root.is_dir():
        return
    for folder, folders, names in os.walk(root):
        folders.sort()
        for name in sorted(names):
            if name.startswith(_HALF_WRITTEN[0]) and name.endswith(_HALF_WRITTEN[1]):
                continue
            path = Path(folder) / name
            with contextlib.suppress(FileNotFoundError):
                if stat.S_ISREG(path.lstat().st_mode):
                    yield path.relative_to(root)


def fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def is_empty_folder(path: Path) -> bool:
    """True for a folder with nothing in it, or for a path where there is nothing yet."""
    if not path.exists():
        return True
    return path.is_dir() and not any(path.iterdir())
