"""The local file storage: random keys, atomic private files, no path from outside."""

from __future__ import annotations

import asyncio
import re
import stat
from pathlib import Path

import pytest

from backend.attachments import Attachments, LocalStorage
from backend.errors import NotFound


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


async def test_put_get_delete_round_trip(storage: LocalStorage) -> None:
    key = await storage.put(b"%PDF-1.7 to khai")

    assert await storage.get(key) == b"%PDF-1.7 to khai"
    await storage.delete(key)
    with pytest.raises(NotFound):
        await storage.get(key)


async def test_keys_are_32_random_hex_characters(storage: LocalStorage) -> None:
    keys = await asyncio.gather(*(storage.put(b"same bytes") for _ in range(50)))

    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert len(set(keys)) == 50


async def test_files_are_private_and_sharded_by_the_key_prefix(
    storage: LocalStorage, tmp_path: Path
) -> None:
    key = await storage.put(b"\xff\xd8\xff photo")

    path = tmp_path / "files" / key[:2] / key
    assert path.read_bytes() == b"\xff\xd8\xff photo"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    # The write went through a temporary file that the rename consumed.
    assert sorted(p.name for p in path.parent.iterdir()) == [key]


async def test_an_empty_file_round_trips(storage: LocalStorage) -> None:
    assert await storage.get(await storage.put(b"")) == b""


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "../../etc/passwd",
        "/etc/passwd",
        "ab/../../secret_key",
        "0123456789ABCDEF0123456789ABCDEF",  # upper case: never made by put()
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0",
        "0123456789abcdef0123456789abcdef\n",
        "",
    ],
)
async def test_a_key_that_put_could_not_have_made_is_refused(
    storage: LocalStorage, tmp_path: Path, key: str
) -> None:
    (tmp_path / "x").write_bytes(b"outside the store")

    with pytest.raises(NotFound) as caught:
        await storage.get(key)
    assert caught.value.message("vi") and caught.value.message("en")
    with pytest.raises(NotFound):
        await storage.delete(key)
    assert (tmp_path / "x").exists()


async def test_a_missing_key_is_not_found(storage: LocalStorage) -> None:
    with pytest.raises(NotFound) as caught:
        await storage.get("0123456789abcdef0123456789abcdef")

    assert "Không tìm thấy" in caught.value.message("vi")
    assert "not found" in caught.value.message("en")


async def test_deleting_a_missing_key_is_fine(storage: LocalStorage) -> None:
    await storage.delete("0123456789abcdef0123456789abcdef")
    key = await storage.put(b"x")
    await storage.delete(key)
    await storage.delete(key)


async def test_a_link_planted_in_the_store_is_not_followed(
    storage: LocalStorage, tmp_path: Path
) -> None:
    key = "ab" + "0" * 30
    (tmp_path / "secret").write_bytes(b"secret")
    (tmp_path / "files" / "ab").mkdir(parents=True)
    (tmp_path / "files" / "ab" / key).symlink_to(tmp_path / "secret")

    with pytest.raises(OSError, match=r"(?i)symbolic|links"):
        await storage.get(key)


def test_attachments_keep_files_in_the_data_dir_outside_public(tmp_path: Path) -> None:
    storage = Attachments.in_folder(tmp_path).storage

    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "files"
