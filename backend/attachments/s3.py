"""Kept files in an S3-compatible bucket (issue 20), through obstore.

The same ``Storage`` as the local folder: random keys, at ``<prefix>/<key[:2]>/<key>``
of the bucket, so that the two lay files out alike and ``storage-migrate`` is a plain
copy. A bucket that does not answer must not hold a request (or the worker's sweep)
for ever: every call is bounded by the client's timeout and, whatever the client
does with its retries, by ``timeout_s`` in all; past it the request answers 503.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable
from typing import Final, TypeVar

import obstore
import obstore.exceptions
from obstore.store import S3Store

from backend.attachments.storage import Storage, missing
from backend.errors import NotFound, Unavailable
from backend.i18n import N_
from backend.settings.storage import StorageSettings

_KEY: Final = re.compile(r"[0-9a-f]{32}")
_PATH: Final = re.compile(r"([0-9a-f]{2})/([0-9a-f]{32})")
# Objects asked of the bucket per page of a listing (S3's own maximum).
_PAGE: Final = 1000

T = TypeVar("T")

logger = logging.getLogger("motcua.attachments")


def _unavailable() -> Unavailable:
    return Unavailable(N_("Kho lưu tệp đang không trả lời. Vui lòng thử lại sau ít phút."))


class S3Storage(Storage):
    def __init__(self, settings: StorageSettings) -> None:
        if not settings.on_s3:
            raise ValueError("S3Storage needs a bucket")
        self.settings = settings
        self.timeout_s = settings.timeout_s
        config: dict[str, str] = {"region": settings.region}
        if settings.endpoint:
            config["endpoint"] = settings.endpoint
        if settings.access_key:
            config["access_key_id"] = settings.access_key
            config["secret_access_key"] = settings.secret_key
        timeout = dt.timedelta(seconds=settings.timeout_s)
        self.store = S3Store(
            settings.bucket,
            prefix=settings.prefix or None,
            config=config,  # type: ignore[arg-type]
            client_options={
                "allow_http": settings.endpoint.startswith("http://"),
                "timeout": timeout,
                "connect_timeout": dt.timedelta(seconds=min(settings.timeout_s, 3)),
            },
            retry_config={"max_retries": 2, "retry_timeout": timeout},
        )

    async def put(self, data: bytes) -> str:
        key = secrets.token_hex(16)
        await self.put_as(key, data)
        return key

    async def put_as(self, key: str, data: bytes) -> None:
        """Keep ``data`` under a key of ours (``storage-migrate``'s copies)."""
        await self._call(obstore.put_async(self.store, self._path(key), data))

    async def get(self, key: str) -> bytes:
        path = self._path(key)

        async def read() -> bytes:
            result = await obstore.get_async(self.store, path)
            return bytes(await result.bytes_async())

        return await self._call(read())

    async def size(self, key: str) -> int | None:
        """The size of what ``key`` holds, or None if nothing."""
        try:
            meta = await self._call(obstore.head_async(self.store, self._path(key)))
        except NotFound:
            return None
        return int(meta["size"])

    async def delete(self, key: str) -> None:
        try:
            await self._call(obstore.delete_async(self.store, self._path(key)))
        except NotFound:
            return

    async def kept(self, before: float) -> AsyncIterator[list[str]]:
        stream = obstore.list(self.store, chunk_size=_PAGE)
        while True:
            try:
                page = await self._call(anext(stream))
            except StopAsyncIteration:
                return
            keys = []
            for meta in page:
                # Anything else in the bucket (another app's, a person's) is not ours.
                found = _PATH.fullmatch(str(meta["path"]))
                if found is None or found[2][:2] != found[1]:
                    continue
                if meta["last_modified"].timestamp() < before:
                    keys.append(found[2])
            if keys:
                yield keys

    async def drop_temporary(self, before: float) -> int:
        # An object is written whole or not at all: an interrupted upload leaves none.
        return 0

    @staticmethod
    def _path(key: str) -> str:
        if not isinstance(key, str) or _KEY.fullmatch(key) is None:
            raise missing()
        return f"{key[:2]}/{key}"

    async def _call(self, work: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.timeout_s + 1):
                return await work
        except FileNotFoundError:
            raise missing() from None
        except (TimeoutError, OSError, obstore.exceptions.BaseError) as error:
            # The person sees 503; the operator needs the reason (down, slow, or keys
            # refused, which also answers 503 and is only told apart here).
            logger.warning(
                "object store unavailable",
                extra={"fields": {"bucket": self.settings.bucket, "error": repr(error)[:500]}},
            )
            raise _unavailable() from error
