"""Files people send (dossier documents, feedback photos): checked by content, kept
under random keys, and served back only as downloads.

One ``Attachments`` per app, shared by every domain that takes files: checking an
image takes up to 200 MB for a moment, so at most two checks run at once in all.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from backend.attachments.checks import MAX_FILE_BYTES, CheckedFile, inspect_upload, pdf_page_png
from backend.attachments.serving import FILE_HEADERS, attachment, file_response
from backend.attachments.storage import LocalStorage, Storage
from backend.attachments.sweep import Holder, Swept, sweep
from backend.settings import Settings

__all__ = [
    "FILE_HEADERS",
    "MAX_FILE_BYTES",
    "Attachments",
    "CheckedFile",
    "Holder",
    "LocalStorage",
    "Storage",
    "Swept",
    "attachment",
    "file_response",
    "inspect_upload",
    "pdf_page_png",
    "sweep",
]


class Attachments:
    def __init__(self, storage: Storage, parallel_checks: int = 2) -> None:
        self.storage = storage
        self._checks = asyncio.Semaphore(parallel_checks)

    @classmethod
    def in_folder(cls, data_dir: Path) -> Attachments:
        return cls(LocalStorage(data_dir / "files"))

    @classmethod
    def from_settings(cls, settings: Settings) -> Attachments:
        """The bucket ``MOTCUA_STORAGE_URL`` names, else the data dir's folder."""
        if settings.storage.on_s3:
            from backend.attachments.s3 import S3Storage

            return cls(S3Storage(settings.storage))
        return cls.in_folder(settings.data_dir)

    async def check(self, data: bytes, filename: str) -> CheckedFile:
        """The safe form of an upload (in a thread), or ``InvalidInput`` (field "file")."""
        async with self._checks:
            return await asyncio.to_thread(inspect_upload, data, filename)

    async def preview(self, data: bytes, page: int, width: int = 1200) -> bytes:
        """One page of a kept PDF as PNG, for the officials' viewer."""
        async with self._checks:
            return await asyncio.to_thread(pdf_page_png, data, page, width)
