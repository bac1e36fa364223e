"""``motcua storage-migrate``: the folder's files copied into the bucket, verified by
SHA-256, resumable (a second run copies nothing)."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest

from backend.attachments import LocalStorage
from backend.attachments.s3 import S3Storage
from backend.cli import main
from backend.settings import SQLITE_FILE
from backend.settings.storage import storage_settings
from tests.support.seaweed import Seaweed


@pytest.fixture
def env(tmp_path: Path, seaweed: Seaweed, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_LOG_LEVEL": "WARNING",
        **seaweed.env(f"migrate-{secrets.token_hex(4)}"),
    }
    # The command reads no database, but a data dir is one with its data.
    (tmp_path / SQLITE_FILE).touch()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


async def local_files(folder: Path, count: int) -> dict[str, bytes]:
    local = LocalStorage(folder)
    files = {}
    for n in range(count):
        data = f"giấy tờ {n} ".encode() * (n + 1)
        files[await local.put(data)] = data
    return files


def test_it_copies_everything_once_and_a_second_run_copies_nothing(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = asyncio.run(local_files(tmp_path / "files", 3))

    assert main(["storage-migrate"]) == 0
    assert "3 copied" in capsys.readouterr().out
    assert main(["storage-migrate"]) == 0
    second = capsys.readouterr().out
    assert "0 copied" in second and "3 already there" in second and "0 mismatched" in second

    bucket = S3Storage(storage_settings(env, "development"))
    for key, data in files.items():
        assert asyncio.run(bucket.get(key)) == data
    # The local files stay, for the operator to remove once the app runs on the bucket.
    assert all((tmp_path / "files" / key[:2] / key).is_file() for key in files)


def test_an_object_that_differs_is_copied_again(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = asyncio.run(local_files(tmp_path / "files", 2))
    bucket = S3Storage(storage_settings(env, "development"))
    key, data = next(iter(files.items()))
    asyncio.run(bucket.put_as(key, b"x" * len(data)))  # same size, other bytes: a torn copy

    assert main(["storage-migrate"]) == 0
    assert "2 copied" in capsys.readouterr().out
    assert asyncio.run(bucket.get(key)) == data


def test_a_copy_that_reads_back_differently_fails(
    env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asyncio.run(local_files(tmp_path / "files", 1))

    async def corrupted(self: S3Storage, key: str) -> bytes:
        return b"bit rot"

    monkeypatch.setattr(S3Storage, "get", corrupted)

    assert main(["storage-migrate"]) == 1
    assert "1 mismatched" in capsys.readouterr().out


def test_a_bucket_that_is_down_fails_in_one_line(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTCUA_S3_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("MOTCUA_S3_TIMEOUT_S", "1")
    (tmp_path / "files" / "ab").mkdir(parents=True)
    (tmp_path / "files" / "ab" / ("ab" + "0" * 30)).write_bytes(b"x")

    assert main(["storage-migrate"]) == 1


def test_it_needs_a_bucket(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MOTCUA_STORAGE_URL")

    assert main(["storage-migrate"]) == 2
    assert "MOTCUA_STORAGE_URL" in capsys.readouterr().err
