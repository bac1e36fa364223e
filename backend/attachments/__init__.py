"""Files people send (dossier documents, feedback photos): checked by content, kept
under random keys, and served back only as downloads.

One ``Attachments`` per app, shared by every domain that takes files: checking an
image takes up to 200 MB for a moment, so at most one check a worker process (two when
checks run in threads) runs at once in all.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from backend.attachments.checks import MAX_FILE_BYTES, CheckedFile, inspect_upload, pdf_page_png
from backend.attachments.serving import FILE_HEADERS, attachment, file_response, file_stream
from backend.attachments.storage import LocalStorage, Opened, Storage
from backend.attachments.sweep import Holder, Swept, sweep
from backend.attachments.workers import CheckWorkers
from backend.settings import Settings

__all__ = [
    "FILE_HEADERS",
    "MAX_FILE_BYTES",
    "Attachments",
    "CheckedFile",
    "Holder",
    "LocalStorage",
    "Opened",
    "Storage",
    "Swept",
    "attachment",
    "file_response",
    "file_stream",
    "inspect_upload",
    "pdf_page_png",
    "sweep",
]


class Attachments:
    def __init__(self, storage: Storage, image_workers: int = 0) -> None:
        """``image_workers``: processes that check uploads (0: threads of this one)."""
        self.storage = storage
        self.workers = CheckWorkers(image_workers)
        # Beyond one check a worker, an upload's bytes would only wait in the pool's
        # queue, its timeout running; here they wait for a free worker instead.
        self._checks = asyncio.Semaphore(image_workers or 2)

    @classmethod
    def in_folder(cls, data_dir: Path, image_workers: int = 0) -> Attachments:
        return cls(LocalStorage(data_dir / "files"), image_workers)

    @classmethod
    def from_settings(cls, settings: Settings) -> Attachments:
        """The bucket ``MOTCUA_STORAGE_URL`` names, else the data dir's folder."""
        if settings.storage.on_s3:
            from backend.attachments.s3 import S3Storage

            return cls(S3Storage(settings.storage), settings.image_workers)
        folder = LocalStorage(settings.data_dir / "files", settings.storage.chunk_bytes)
        return cls(folder, settings.image_workers)

    async def check(self, data: bytes, filename: str) -> CheckedFile:
        """The safe form of an upload (in a worker process), or ``InvalidInput`` (field
        "file"), or ``Unavailable`` (the worker died or took too long: nothing kept)."""
        async with self._checks:
            return await self.workers.inspect(data, filename)

    def lifespan(self, app: object = None) -> AbstractAsyncContextManager[None]:
        """The app's: the worker processes stop with it."""
        return self.workers.lifespan(app)

    async def preview(self, data: bytes, page: int, width: int = 1200) -> bytes:
        """One page of a kept PDF as PNG, for the officials' viewer."""
        async with self._checks:
            return await asyncio.to_thread(pdf_page_png, data, page, width)
