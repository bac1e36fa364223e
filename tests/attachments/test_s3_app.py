"""A dossier's file through the app with its files in the bucket: uploaded, served with
the same safe headers as from the folder, and a bucket that is down answers 503."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.attachments.s3 import S3Storage
from backend.db import Database
from backend.settings import Settings
from backend.settings.storage import storage_settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, new_browser
from tests.dossiers.conftest import PROCEDURE, jpeg
from tests.support.asgi import lifespan
from tests.support.seaweed import Seaweed


def on_bucket(settings: Settings, seaweed: Seaweed, **extra: str) -> Settings:
    env = {**seaweed.env(f"app-{secrets.token_hex(4)}"), **extra}
    return fast_settings(settings, storage=storage_settings(env, "development"))


@pytest.fixture
async def s3_app(
    settings: Settings, database: Database, seaweed: Seaweed
) -> AsyncIterator[Litestar]:
    app = create_app(on_bucket(settings, seaweed))
    async with lifespan(app):
        yield app


async def citizen_with_draft(app: Litestar) -> tuple[Browser, int, int]:
    browser = await new_browser(app)
    await browser.sign_up(full_name="Trần Thị Hoa")
    key = f"s3-{secrets.token_hex(8)}"
    response = await browser.post("/api/dossiers", {"procedure_code": PROCEDURE, "draft_key": key})
    assert response.status_code in {200, 201}, response.text
    created = response.json()
    component = next(c for c in created["components"] if c["uploadable"])
    return browser, created["id"], component["id"]


async def send(browser: Browser, dossier_id: int, component_id: int, data: bytes) -> httpx.Response:
    return await browser.client.post(
        f"/api/dossiers/{dossier_id}/files",
        files={"file": ("căn cước.jpg", data, "image/jpeg")},
        data={"component_id": str(component_id)},
        headers=await browser.headers(),
    )


async def test_a_file_goes_to_the_bucket_and_comes_back_through_the_app(
    s3_app: Litestar,
) -> None:
    storage = s3_app.state["dossiers"].attachments.storage
    assert isinstance(storage, S3Storage)
    browser, dossier_id, component_id = await citizen_with_draft(s3_app)
    try:
        sent = await send(browser, dossier_id, component_id, jpeg())
        assert sent.status_code == 201, sent.text
        file_id = sent.json()["id"]

        stored = await browser.get(f"/api/dossiers/{dossier_id}/files/{file_id}")
        assert stored.status_code == 200
        assert stored.content.startswith(b"\xff\xd8\xff")
        assert stored.headers["content-type"] == "image/jpeg"
        assert stored.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''c%C4%83n" in stored.headers["content-disposition"]
        assert stored.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in stored.headers["content-security-policy"]
        assert "no-store" in stored.headers["cache-control"]
        assert stored.headers["cross-origin-resource-policy"] == "same-origin"
        listed = [key async for page in storage.kept(float("inf")) for key in page]
        assert len(listed) == 1
        assert await storage.get(listed[0]) == stored.content

        # Someone else asking for it gets nothing, as from the folder.
        stranger = await new_browser(s3_app)
        try:
            await stranger.sign_up(full_name="Lê Văn Lạ")
            other = await stranger.get(f"/api/dossiers/{dossier_id}/files/{file_id}")
            assert other.status_code == 404
        finally:
            await stranger.close()
    finally:
        await browser.close()


async def test_a_bucket_that_is_down_answers_503_and_saves_nothing(
    settings: Settings, database: Database, seaweed: Seaweed
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        stopped = f"http://127.0.0.1:{probe.getsockname()[1]}"
    down = on_bucket(settings, seaweed, MOTCUA_S3_ENDPOINT=stopped, MOTCUA_S3_TIMEOUT_S="2")
    app = create_app(down)
    async with lifespan(app):
        browser, dossier_id, component_id = await citizen_with_draft(app)
        try:
            sent = await send(browser, dossier_id, component_id, jpeg())
            assert sent.status_code == 503
            assert sent.json()["error"]["code"] == "unavailable"
            assert "Kho lưu tệp" in sent.json()["error"]["message_vi"]
            again = await browser.get(f"/api/dossiers/{dossier_id}")
            assert again.status_code == 200
            assert again.json()["files"] == []
        finally:
            await browser.close()
