"""Kept files in an S3-compatible bucket (issue 20), through obstore.

The same ``Storage`` as the local folder: random keys, at ``<prefix>/<key[:2]>/<key>``
of the bucket, so that the two lay files out alike and ``storage-migrate`` is a plain
copy. A bucket that does not answer must not hold a request (or the worker's sweep)
for ever: every call is bounded by the client's timeout and, whatever the client
does with its retries, by ``timeout_s`` in all; past it the request answers 503.

Downloads are streamed: a file goes to the person a chunk at a time, and a phone on a
slow network may take minutes over it while the store waits. Those go through a second
client whose limit is on silence (``timeout_s`` between two chunks of the store's
answer), not on the whole transfer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable
from typing import Final, TypeVar

import obstore
import obstore.exceptions
from obstore.store import S3Store

from backend.attachments.storage import Opened, Storage, missing
from backend.errors import NotFound, Unavailable
from backend.i18n import N_
from backend.settings.storage import StorageSettings

_KEY: Final = re.compile(r"[0-9a-f]{32}")
_PATH: Final = re.compile(r"([0-9a-f]{2})/([0-9a-f]{32})")
# Objects asked of the bucket per page of a listing (S3's own maximum).
_PAGE: Final = 1000
# A download's whole transfer, however slow the phone: beyond this it is cut.
_DOWNLOAD_S: Final = 3600
# Named objects of ours beside the files (the audit log's anchors): a folder and a
# file name of letters, digits, '.', '_' and '-'.
_NAME: Final = re.compile(r"[a-z][a-z0-9-]*/[A-Za-z0-9._-]{1,200}")

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
        self.chunk_bytes = settings.chunk_bytes
        timeout = dt.timedelta(seconds=settings.timeout_s)
        connect = dt.timedelta(seconds=min(settings.timeout_s, 3))
        allow_http = settings.endpoint.startswith("http://")
        self.store = S3Store(
            settings.bucket,
            prefix=settings.prefix or None,
            config=config,  # type: ignore[arg-type]
            client_options={
                "allow_http": allow_http,
                "timeout": timeout,
                "connect_timeout": connect,
            },
            retry_config={"max_retries": 2, "retry_timeout": timeout},
        )
        self.reading = S3Store(
            settings.bucket,
            prefix=settings.prefix or None,
            config=config,  # type: ignore[arg-type]
            client_options={
                "allow_http": allow_http,
                "timeout": dt.timedelta(seconds=_DOWNLOAD_S),
                "read_timeout": timeout,
                "connect_timeout": connect,
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

    async def open(self, key: str) -> Opened:
        # Only the answer's start is awaited here (a missing key is a 404 before any
        # byte is sent); the body follows as the person reads it.
        result = await self._call(obstore.get_async(self.reading, self._path(key)))
        return Opened(int(result.meta["size"]), self._chunks(result.stream(self.chunk_bytes)))

    async def _chunks(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        while True:
            try:
                # Per chunk, whatever the client does: a store gone silent mid-way
                # ends the download instead of holding it open.
                async with asyncio.timeout(self.timeout_s):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                return
            except (TimeoutError, OSError, obstore.exceptions.BaseError) as error:
                # The status line is sent: all that is left is to cut the response,
                # short of its Content-Length.
                self._warn("object store failed mid-download", error)
                raise _unavailable() from error
            yield chunk

    async def put_named(self, name: str, data: bytes) -> None:
        """Keep ``data`` as ``name`` (``folder/file``), refusing to replace one there."""
        await self._call(obstore.put_async(self.store, self._named(name), data, mode="create"))

    async def get_named(self, name: str) -> bytes:
        path = self._named(name)

        async def read() -> bytes:
            result = await obstore.get_async(self.store, path)
            return bytes(await result.bytes_async())

        return await self._call(read())

    async def names(self, folder: str) -> list[str]:
        """The names kept in ``folder``, sorted."""
        found: list[str] = []
        stream = obstore.list(self.store, prefix=folder.strip("/") + "/", chunk_size=_PAGE)
        while True:
            try:
                page = await self._call(anext(stream))
            except StopAsyncIteration:
                return sorted(found)
            found.extend(str(meta["path"]) for meta in page)

    async def probe(self) -> None:
        """Write, read back and remove a small object, bounded by the timeout, as
        ``motcua check`` does; raises ``ProbeFailed`` with one line saying why."""
        name = f"motcua-check/{secrets.token_hex(8)}"
        data = secrets.token_bytes(32)
        try:
            async with asyncio.timeout(self.timeout_s + 1):
                # A listing first: some stores (SeaweedFS) make a missing bucket on the
                # first write, which would hide a misspelt name.
                listing = obstore.list(self.store, prefix="motcua-check/", chunk_size=1)
                with contextlib.suppress(StopAsyncIteration):  # none there: fine
                    await anext(listing)
                await obstore.put_async(self.store, name, data)
                back = await obstore.get_async(self.store, name)
                same = bytes(await back.bytes_async()) == data
                await obstore.delete_async(self.store, name)
        except (TimeoutError, OSError, obstore.exceptions.BaseError) as error:
            raise ProbeFailed(_why(error, self.timeout_s)) from error
        if not same:
            raise ProbeFailed("an object written read back different")

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

    @staticmethod
    def _named(name: str) -> str:
        if _NAME.fullmatch(name) is None:
            raise ValueError(f"not a name of ours: {name!r}")
        return name

    def _warn(self, message: str, error: BaseException) -> None:
        logger.warning(
            message,
            extra={"fields": {"bucket": self.settings.bucket, "error": repr(error)[:500]}},
        )

    async def _call(self, work: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.timeout_s + 1):
                return await work
        except FileNotFoundError:
            raise missing() from None
        except (TimeoutError, OSError, obstore.exceptions.BaseError) as error:
            # The person sees 503; the operator needs the reason (down, slow, or keys
            # refused, which also answers 503 and is only told apart here).
            self._warn("object store unavailable", error)
            raise _unavailable() from error


class ProbeFailed(Exception):
    """The bucket cannot be used; the message says why, in one line for an operator."""


def _why(error: BaseException, timeout_s: int) -> str:
    """What an operator is told: the likely cause first, the client's words after."""
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout_s + 1} s (unreachable or too slow)"
    text = str(error)
    # The store's own word for it (S3's error code) if it said one, else the client's.
    code = re.search(r"<Code>([A-Za-z]+)</Code>", text)
    http = re.search(r"HTTP error: ([^\n]+)", text)
    said = code[1] if code else http[1].strip() if http else " ".join(text.split())[:200]
    causes = (
        (("NoSuchBucket", "bucket does not exist"), "the bucket does not exist"),
        (
            ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden", "403"),
            "the keys are refused (MOTCUA_S3_ACCESS_KEY / MOTCUA_S3_SECRET_KEY)",
        ),
        (
            ("Connection refused", "connect", "dns error", "error sending request"),
            "the endpoint is unreachable (MOTCUA_S3_ENDPOINT)",
        ),
    )
    for markers, cause in causes:
        if any(marker.lower() in text.lower() for marker in markers):
            return f"{cause}: {said}"
    return said
