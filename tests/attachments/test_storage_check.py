"""``motcua check`` tries the bucket (issue 20): a probe object put, read back and
deleted within the timeout, or one line saying what is wrong and a non-zero exit."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from backend.attachments.s3 import S3Storage
from backend.settings.storage import storage_settings
from tests.support.faultproxy import FaultProxy
from tests.support.seaweed import Seaweed
from tests.test_cli import cli_env, run


@pytest.fixture
async def migrated(tmp_path: Path) -> dict[str, str]:
    env = await cli_env(tmp_path, "storage_check", MOTCUA_DEMO="false")
    assert run(["migrate"], env).returncode == 0
    return env


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_check_reports_a_bucket_that_works(
    migrated: dict[str, str], seaweed: Seaweed
) -> None:
    bucket = seaweed.env("check-ok")
    # The bucket exists (some data is in it): SeaweedFS makes one on a first write.
    await S3Storage(storage_settings(bucket, "development")).put_named("seed/x", b"x")
    result = run(["check"], {**migrated, **bucket})
    assert result.returncode == 0, result.stderr
    assert "storage: s3://motcua/check-ok writable" in result.stdout
    # The probe leaves nothing behind.
    names = await S3Storage(storage_settings(bucket, "development")).names("motcua-check")
    assert names == []


def test_check_names_the_local_folder(migrated: dict[str, str]) -> None:
    result = run(["check"], migrated)
    assert result.returncode == 0, result.stderr
    assert "storage: local folder" in result.stdout


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"MOTCUA_S3_SECRET_KEY": "not-the-secret"}, "the keys are refused"),
        ({"MOTCUA_S3_ACCESS_KEY": "nobody"}, "the keys are refused"),
        ({"MOTCUA_STORAGE_URL": "s3://no-such-bucket-here/x"}, "the bucket does not exist"),
        ({"MOTCUA_S3_ENDPOINT": "stopped"}, "the endpoint is unreachable"),
    ],
)
def test_check_says_what_is_wrong_with_the_bucket(
    migrated: dict[str, str], seaweed: Seaweed, change: dict[str, str], said: str
) -> None:
    if change.get("MOTCUA_S3_ENDPOINT") == "stopped":
        change = {"MOTCUA_S3_ENDPOINT": f"http://127.0.0.1:{closed_port()}"}
    result = run(["check"], {**migrated, **seaweed.env("check-bad"), **change})
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("motcua: MOTCUA_STORAGE_URL s3://")
    assert said in lines[0]
    assert "writable" not in result.stdout


def test_check_gives_up_on_a_store_that_never_answers(
    migrated: dict[str, str], seaweed: Seaweed
) -> None:
    store = urlsplit(seaweed.endpoint)
    assert store.hostname and store.port
    with FaultProxy(store.hostname, store.port) as proxy:
        proxy.blackhole()
        env = {
            **migrated,
            **seaweed.env("check-silent"),
            "MOTCUA_S3_ENDPOINT": f"http://127.0.0.1:{proxy.port}",
            "MOTCUA_S3_TIMEOUT_S": "1",
        }
        result = run(["check"], env)  # run's own limit (120 s) would fail a hang
    assert result.returncode == 3
    assert "no answer within 2 s" in result.stderr or "unreachable" in result.stderr
