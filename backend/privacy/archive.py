"""The archive of a person's data: one zip file built on disk, a file at a time (a
person with many dossiers may have hundreds of MB of scans, none of it held in memory
longer than one file), holding ``data.json``, the files under ``files/`` and
``manifest.sha256`` (``sha256sum -c`` checks it)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from backend.errors import NotFound

ArchiveFile = tuple[str, Callable[[], Awaitable[bytes]]]
DATA = "data.json"
MANIFEST = "manifest.sha256"


def _encode_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return None  # never key material: the reads leave it out, this is a backstop
    # msgspec's enc_hook contract: an unsupported type is told by NotImplementedError.
    raise NotImplementedError(type(value))


def _new_file(scratch: Path) -> Path:
    scratch.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="du-lieu-", suffix=".zip", dir=scratch)
    os.close(handle)
    return Path(name)


async def build(scratch: Path, data: dict[str, Any], files: Sequence[ArchiveFile]) -> Path:
    """The zip's path in ``scratch``; the caller removes it once sent. ``data`` gets
    the list of files (path, size, SHA-256), and those the store no longer has."""
    path = await asyncio.to_thread(_new_file, scratch)
    sums: list[tuple[str, str]] = []
    listed: list[dict[str, Any]] = []
    missing: list[str] = []
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            seen: set[str] = set()
            for archive_path, load in files:
                if archive_path in seen:
                    continue
                seen.add(archive_path)
                try:
                    content = await load()
                except NotFound:
                    missing.append(archive_path)
                    continue
                digest = hashlib.sha256(content).hexdigest()
                # Scans and PDFs are compressed already: stored as they are.
                await asyncio.to_thread(archive.writestr, archive_path, content)
                sums.append((digest, archive_path))
                listed.append({"path": archive_path, "size": len(content), "sha256": digest})
                del content
            text = msgspec.json.format(
                msgspec.json.encode(
                    {**data, "files": listed, "missing_files": missing},
                    enc_hook=_encode_default,
                ),
                indent=2,
            )
            await asyncio.to_thread(
                archive.writestr, DATA, text, compress_type=zipfile.ZIP_DEFLATED
            )
            sums.insert(0, (hashlib.sha256(text).hexdigest(), DATA))
            manifest = "".join(f"{digest}  {name}\n" for digest, name in sums)
            archive.writestr(MANIFEST, manifest, compress_type=zipfile.ZIP_DEFLATED)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return path
