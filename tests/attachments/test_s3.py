"""Kept files in a real S3-compatible bucket (SeaweedFS, started by the tests)."""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import time

import pytest

from backend.attachments import Attachments, sweep
from backend.attachments.s3 import S3Storage
from backend.errors import NotFound, Unavailable
from backend.settings import Settings
from backend.settings.storage import storage_settings
from tests.support.seaweed import Seaweed


def bucket(seaweed: Seaweed, **extra: str) -> S3Storage:
    """A store under a prefix of its own, so that tests do not see each other's files."""
    env = {**seaweed.env(f"t-{secrets.token_hex(4)}"), **extra}
    return S3Storage(storage_settings(env, "development"))


async def test_put_get_delete_round_trip(seaweed: Seaweed) -> None:
    storage = bucket(seaweed)
    key = await storage.put(b"%PDF-1.7 to khai")

    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert await storage.get(key) == b"%PDF-1.7 to khai"
    await storage.delete(key)
    with pytest.raises(NotFound):
        await storage.get(key)


async def test_a_missing_or_malformed_key_is_not_found(seaweed: Seaweed) -> None:
    storage = bucket(seaweed)

    with pytest.raises(NotFound):
        await storage.get("0" * 32)
    for bad in ("../../etc/passwd", "ab/cd", "A" * 32, ""):
        with pytest.raises(NotFound):
            await storage.get(bad)
    await storage.delete("0" * 32)  # already gone: not an error


async def test_objects_are_sharded_under_the_prefix(seaweed: Seaweed) -> None:
    import obstore

    storage = bucket(seaweed)
    key = await storage.put(b"\xff\xd8\xff photo")

    paths = [meta["path"] async for page in obstore.list(storage.store) for meta in page]
    assert paths == [f"{key[:2]}/{key}"]
    assert storage.settings.prefix.startswith("t-")


async def test_kept_lists_what_was_written_before_a_time(seaweed: Seaweed) -> None:
    storage = bucket(seaweed)
    keys = {await storage.put(f"file {n}".encode()) for n in range(5)}
    # Not ours: another program's object in the same prefix is never listed.
    import obstore

    await obstore.put_async(storage.store, "notes/readme.txt", b"hello")

    later = [key async for page in storage.kept(time.time() + 60) for key in page]
    earlier = [key async for page in storage.kept(time.time() - 3600) for key in page]

    assert sorted(later) == sorted(keys)
    assert earlier == []
    assert await storage.drop_temporary(time.time() + 60) == 0


async def test_the_sweep_removes_the_files_no_row_holds(seaweed: Seaweed) -> None:
    storage = bucket(seaweed)
    held, orphan = await storage.put(b"held"), await storage.put(b"orphan")

    async def holder(keys: object) -> set[str]:
        return {held}

    swept = await sweep(storage, [holder], grace_s=0, now=time.time() + 60)

    assert swept.orphans == 1
    assert await storage.get(held) == b"held"
    with pytest.raises(NotFound):
        await storage.get(orphan)


def stopped_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


async def test_a_store_that_is_down_answers_unavailable(seaweed: Seaweed) -> None:
    storage = bucket(seaweed, MOTCUA_S3_ENDPOINT=stopped_endpoint(), MOTCUA_S3_TIMEOUT_S="2")

    for call in (storage.put(b"x"), storage.get("0" * 32), storage.delete("0" * 32)):
        with pytest.raises(Unavailable) as raised:
            await asyncio.wait_for(call, timeout=10)
        assert raised.value.status_code == 503
    with pytest.raises(Unavailable):
        await asyncio.wait_for(anext(aiter(storage.kept(time.time()))), timeout=10)


async def test_a_store_that_never_answers_gives_up_within_the_timeout() -> None:
    # Accepts connections and then says nothing: the worst kind of outage.
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    env = {
        "MOTCUA_STORAGE_URL": "s3://motcua/silent",
        "MOTCUA_S3_ENDPOINT": f"http://127.0.0.1:{port}",
        "MOTCUA_S3_ACCESS_KEY": "k",
        "MOTCUA_S3_SECRET_KEY": "s",
        "MOTCUA_S3_TIMEOUT_S": "1",
    }
    storage = S3Storage(storage_settings(env, "development"))
    async with silent:
        with pytest.raises(Unavailable):
            await asyncio.wait_for(storage.get("0" * 32), timeout=10)


def test_the_settings_pick_the_bucket_or_the_folder(seaweed: Seaweed, tmp_path: object) -> None:
    on_s3 = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), **seaweed.env("x")})
    local = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})

    assert isinstance(Attachments.from_settings(on_s3).storage, S3Storage)
    assert type(Attachments.from_settings(local).storage).__name__ == "LocalStorage"
