"""``motcua storage-migrate``: the data dir's kept files copied into the bucket.

Resumable: a file the bucket already holds with the same size and SHA-256 is skipped,
so a run stopped half-way is run again and a second run copies nothing. Every copy is
read back and compared by SHA-256 before it counts; the local files are left where
they are (removing them is the operator's step, once the app runs on the bucket).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from backend.attachments.s3 import S3Storage
from backend.attachments.storage import LocalStorage
from backend.errors import NotFound


@dataclass(slots=True)
class Migrated:
    copied: int = 0
    already: int = 0
    mismatched: int = 0
    vanished: int = 0  # removed locally (a sweep, a deletion) while the copy ran
    bytes_copied: int = 0


async def migrate(folder: Path, bucket: S3Storage) -> Migrated:
    local = LocalStorage(folder)
    counts = Migrated()
    async for keys in local.kept(math.inf):
        for key in keys:
            try:
                data = await local.get(key)
            except NotFound:
                counts.vanished += 1
                continue
            digest = hashlib.sha256(data).digest()
            if await bucket.size(key) == len(data) and await _same(bucket, key, digest):
                counts.already += 1
                continue
            await bucket.put_as(key, data)
            if await _same(bucket, key, digest):
                counts.copied += 1
                counts.bytes_copied += len(data)
            else:
                counts.mismatched += 1
    return counts


async def _same(bucket: S3Storage, key: str, digest: bytes) -> bool:
    try:
        return hashlib.sha256(await bucket.get(key)).digest() == digest
    except NotFound:
        return False
