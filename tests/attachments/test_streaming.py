"""Downloads are streamed from the store (issue 20): a scanned PDF of several MB comes
back byte for byte, a chunk at a time, with the same safe headers whether the file is
in the bucket or the folder; a bucket that goes silent half-way through cuts the
download short within the timeout instead of holding it open."""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
from fpdf import FPDF
from litestar import Litestar
from PIL import Image

from backend.app import create_app
from backend.attachments.s3 import S3Storage
from backend.db import Database
from backend.settings import Settings
from backend.settings.storage import StorageSettings, storage_settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, new_browser
from tests.attachments.test_s3_app import citizen_with_draft
from tests.support.asgi import lifespan
from tests.support.seaweed import Seaweed

CHUNK = 64 * 1024


@cache
def scanned_pdf() -> bytes:
    """What a phone's scanner makes of a few pages: big photos in a PDF, several MB."""
    pdf = FPDF(format="A4")
    noise = random.Random(20)
    for _ in range(5):
        photo = io.BytesIO()
        pixels = noise.randbytes(1000 * 800 * 3)
        Image.frombytes("RGB", (1000, 800), pixels).save(photo, "JPEG", quality=95)
        pdf.add_page()
        pdf.image(photo, x=10, y=10, w=190)
    data = bytes(pdf.output())
    assert 3 * 1024 * 1024 < len(data) < 10 * 1024 * 1024
    return data


@dataclass
class Answer:
    start: dict[str, Any] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    finished: bool = False
    error: BaseException | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode().lower(): v.decode() for k, v in self.start.get("headers", [])}

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


async def download(app: Litestar, browser: Browser, url: str, **hooks: Any) -> Answer:
    """A GET sent to the app as a server would, each message it sends kept as it came:
    httpx's in-process transport would join the chunks and hide the streaming."""
    answer = Answer()
    cookies = "; ".join(f"{name}={value}" for name, value in browser.client.cookies.items())
    sent, done = False, asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # As a server does: the client stays until the whole answer is sent.
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert not answer.start, "a second status line"
            answer.start = message
        elif message["type"] == "http.response.body":
            if message.get("body"):
                answer.chunks.append(message["body"])
                if "after_chunk" in hooks:
                    hooks["after_chunk"](len(answer.chunks))
            answer.finished = not message.get("more_body", False)
            if answer.finished:
                done.set()

    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost:8000"), (b"cookie", cookies.encode())],
        "client": (browser.address, 40000),
        "server": ("localhost", 8000),
        "state": {},
    }
    try:
        # A guard against a hang, not a measurement: the store's timeout is 2 s.
        async with asyncio.timeout(60):
            await app(scope, receive, send)  # type: ignore[arg-type]
    except TimeoutError:
        raise
    except Exception as error:  # what a server does then: close the connection
        answer.error = error
    return answer


async def upload_pdf(app: Litestar) -> tuple[Browser, str]:
    browser, dossier_id, component_id = await citizen_with_draft(app)
    sent = await browser.client.post(
        f"/api/dossiers/{dossier_id}/files",
        files={"file": ("hồ sơ quét.pdf", scanned_pdf(), "application/pdf")},
        data={"component_id": str(component_id)},
        headers=await browser.headers(),
    )
    assert sent.status_code == 201, sent.text
    return browser, f"/api/dossiers/{dossier_id}/files/{sent.json()['id']}"


def assert_safe_download(answer: Answer, size: int) -> None:
    assert answer.start["status"] == 200
    headers = answer.headers
    assert headers["content-type"] == "application/pdf"
    assert headers["content-length"] == str(size)
    assert headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''h%E1%BB%93%20s%C6%A1%20qu%C3%A9t.pdf" in headers["content-disposition"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert "no-store" in headers["cache-control"]
    assert headers["cross-origin-resource-policy"] == "same-origin"


def on_bucket(settings: Settings, seaweed: Seaweed, **extra: str) -> Settings:
    env = {
        **seaweed.env(f"stream-{secrets.token_hex(4)}"),
        "MOTCUA_STORAGE_CHUNK_KIB": str(CHUNK // 1024),
        **extra,
    }
    return fast_settings(settings, storage=storage_settings(env, "development"))


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Litestar]:
    app = create_app(settings)
    async with lifespan(app):
        yield app


async def test_a_large_pdf_comes_back_from_the_bucket_identical_in_chunks(
    settings: Settings, database: Database, seaweed: Seaweed
) -> None:
    async with running(on_bucket(settings, seaweed)) as app:
        assert isinstance(app.state["dossiers"].attachments.storage, S3Storage)
        browser, url = await upload_pdf(app)
        try:
            answer = await download(app, browser, url)
        finally:
            await browser.close()
    assert answer.error is None and answer.finished
    assert_safe_download(answer, len(scanned_pdf()))
    assert answer.body == scanned_pdf()
    # Sent as it is read, never whole: in pieces of at least the setting (the client
    # gives what has come, so often more), none near the file's size.
    assert len(answer.chunks) > 4
    assert min(len(chunk) for chunk in answer.chunks[:-1]) >= CHUNK
    assert max(len(chunk) for chunk in answer.chunks) < len(scanned_pdf()) // 4


async def test_a_large_pdf_comes_back_from_the_folder_in_chunks_of_the_setting(
    settings: Settings, database: Database
) -> None:
    folder = fast_settings(settings, storage=StorageSettings(chunk_bytes=CHUNK))
    async with running(folder) as app:
        browser, url = await upload_pdf(app)
        try:
            answer = await download(app, browser, url)
            # Someone else's request for it is refused before any byte is read.
            stranger = await new_browser(app)
            try:
                await stranger.sign_up(full_name="Lê Văn Lạ")
                refused = await download(app, stranger, url)
            finally:
                await stranger.close()
        finally:
            await browser.close()
    size = len(scanned_pdf())
    assert answer.error is None and answer.finished
    assert_safe_download(answer, size)
    assert answer.body == scanned_pdf()
    assert [len(chunk) for chunk in answer.chunks] == [CHUNK] * (size // CHUNK) + [size % CHUNK]
    assert refused.start["status"] == 404
    assert scanned_pdf()[:4096] not in refused.body


class GoesSilent:
    """A TCP relay in front of the store that, once ``silence_after`` is set, passes
    that many more bytes of the store's answers and then nothing, keeping the
    connections open: a store that hangs mid-transfer."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.silence_after: int | None = None
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> GoesSilent:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, answers=False)),
            asyncio.create_task(self._pump(up_reader, writer, answers=True)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            writer.transport.abort()
            up_writer.transport.abort()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, answers: bool
    ) -> None:
        while data := await reader.read(16384):
            if answers and self.silence_after is not None:
                data = data[: self.silence_after]
                self.silence_after -= len(data)
                if not data:
                    await asyncio.Event().wait()
            writer.write(data)
            await writer.drain()


async def test_a_bucket_gone_silent_mid_download_ends_the_response(
    settings: Settings, database: Database, seaweed: Seaweed
) -> None:
    store = urlsplit(seaweed.endpoint)
    assert store.hostname and store.port
    async with GoesSilent((store.hostname, store.port)) as relay:
        through = on_bucket(
            settings,
            seaweed,
            MOTCUA_S3_ENDPOINT=f"http://127.0.0.1:{relay.port}",
            MOTCUA_S3_TIMEOUT_S="2",
        )
        async with running(through) as app:
            browser, url = await upload_pdf(app)
            try:
                # The answer's headers and about three chunks pass, then nothing.
                relay.silence_after = 3 * CHUNK + 2048
                answer = await download(app, browser, url)
                # The store gone quiet holds nothing else up: the next download
                # (another connection) is served whole once it answers again.
                relay.silence_after = None
                again = await download(app, browser, url)
            finally:
                await browser.close()
    assert_safe_download(answer, len(scanned_pdf()))
    # Cut short of its Content-Length (a server closes the connection on the error):
    # the browser reports a failed download, never keeps a truncated PDF as whole.
    assert not answer.finished
    assert answer.error is not None
    assert 0 < len(answer.body) < len(scanned_pdf())
    assert scanned_pdf().startswith(answer.body)
    assert again.error is None and again.body == scanned_pdf()


def test_the_chunk_setting_is_bounded() -> None:
    from backend.settings import SettingsError

    assert storage_settings({}, "development").chunk_bytes == 256 * 1024
    assert storage_settings({"MOTCUA_STORAGE_CHUNK_KIB": "64"}, "production").chunk_bytes == CHUNK
    for wrong in ("0", "3", "999999", "big"):
        with pytest.raises(SettingsError, match="MOTCUA_STORAGE_CHUNK_KIB"):
            storage_settings({"MOTCUA_STORAGE_CHUNK_KIB": wrong}, "development")
