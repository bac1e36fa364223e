"""Where attachment bytes are kept: a small interface, the local file system by default.

Keys are random and ours alone; no part of a citizen's file name ever reaches a path.
Files live under the data directory, outside ``public/``, and are only ever served
through an API that checks who is asking.

The bytes are kept before the row that names them is written (a file must exist
before anyone can be told of it), so a crash in between leaves a file nobody holds;
``kept`` and ``drop_temporary`` let ``sweep`` find and remove such files.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import stat
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Protocol

from backend.errors import NotFound
from backend.i18n import N_

_KEY: Final = re.compile(r"[0-9a-f]{32}")
_TEMPORARY: Final = re.compile(r"\.upload-.+\.tmp")
# What a download reads at a time: a file is served chunk by chunk, never whole.
CHUNK_BYTES: Final = 256 * 1024


@dataclass(frozen=True, slots=True)
class Opened:
    """A kept file opened for reading: its size (for Content-Length) and its bytes, a
    chunk at a time. Iterate ``chunks`` once, to the end or not."""

    size: int
    chunks: AsyncIterator[bytes]


class Storage(Protocol):
    async def put(self, data: bytes) -> str:
        """Keep ``data`` under a new random key (32 hexadecimal characters) and return it."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes kept under ``key``; ``NotFound`` if there are none."""
        ...

    async def open(self, key: str) -> Opened:
        """The bytes kept under ``key`` as a stream (a download); ``NotFound`` if none."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key``; a key already gone is not an error."""
        ...

    def kept(self, before: float) -> AsyncIterator[list[str]]:
        """The keys of every file written before ``before`` (a POSIX time), a batch at
        a time (a folder of the local store)."""
        ...

    async def drop_temporary(self, before: float) -> int:
        """Remove what uploads interrupted before ``before`` left half-written; returns
        how many."""
        ...


def missing() -> NotFound:
    return NotFound(N_("Không tìm thấy tệp này. Có thể tệp đã bị xóa."), field="file")


class LocalStorage(Storage):
    """Files at ``root/<key[:2]>/<key>``, readable by the service's user only."""

    def __init__(self, root: Path, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.root = root
        self.chunk_bytes = chunk_bytes

    async def put(self, data: bytes) -> str:
        return await asyncio.to_thread(self._put, data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, self._path(key))

    async def open(self, key: str) -> Opened:
        handle = await asyncio.to_thread(self._open, self._path(key))
        size = os.fstat(handle.fileno()).st_size
        return Opened(size, self._chunks(handle))

    async def _chunks(self, handle: BinaryIO) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(handle.read, self.chunk_bytes):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, self._path(key))

    async def kept(self, before: float) -> AsyncIterator[list[str]]:
        for folder in await asyncio.to_thread(self._folders):
            keys = await asyncio.to_thread(self._older, folder, _KEY, before)
            if keys:
                yield [path.name for path in keys]

    async def drop_temporary(self, before: float) -> int:
        dropped = 0
        for folder in await asyncio.to_thread(self._folders):
            for path in await asyncio.to_thread(self._older, folder, _TEMPORARY, before):
                await asyncio.to_thread(self._delete, path)
                dropped += 1
        return dropped

    def _folders(self) -> list[Path]:
        try:
            return sorted(
                entry
                for entry in self.root.iterdir()
                if re.fullmatch(r"[0-9a-f]{2}", entry.name) and entry.is_dir()
            )
        except FileNotFoundError:
            return []

    @staticmethod
    def _older(folder: Path, name: re.Pattern[str], before: float) -> list[Path]:
        """Regular files (not links) of ``folder`` named like ``name``, last written
        before ``before``; anything else found there is left alone."""
        found = []
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return []
        for entry in entries:
            if not name.fullmatch(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed meanwhile
                continue
            if stat.S_ISREG(info.st_mode) and info.st_mtime < before:
                found.append(Path(entry.path))
        return found

    def _path(self, key: str) -> Path:
        # A key that could not have come from put() names nothing we keep: refuse it
        # rather than let it become a path.
        if not isinstance(key, str) or _KEY.fullmatch(key) is None:
            raise missing()
        return self.root / key[:2] / key

    def _put(self, data: bytes) -> str:
        while True:
            key = secrets.token_hex(16)
            path = self._path(key)
            if not path.exists():
                break
        folder = path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file with mode 0600 and O_EXCL; the rename is atomic, so a
        # reader sees either no file or the whole file, never a half-written one.
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_folder(folder)
        return key

    @classmethod
    def _get(cls, path: Path) -> bytes:
        with cls._open(path) as handle:
            return handle.read()

    @staticmethod
    def _open(path: Path) -> BinaryIO:
        try:
            # O_NOFOLLOW: a link planted in the store must not lead elsewhere.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise missing() from None
        return os.fdopen(fd, "rb")

    @staticmethod
    def _delete(path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename or removal durable; not every platform can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
