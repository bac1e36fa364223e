"""Uploads checked in worker processes (issue 21): the same refusals in the sender's
language, the same clean output, and a worker that dies or hangs costing one upload a
"send it again" and nothing more."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from backend.attachments import Attachments, LocalStorage
from backend.attachments.workers import CheckWorkers
from backend.errors import InvalidInput, Unavailable
from backend.settings import Settings
from backend.settings.parse import SettingsError
from tests.attachments.test_checks import (
    jpeg,
    jpeg_with_metadata,
    png_header_only,
    png_with_text,
)


def busy_worker(marker: str, seconds: float) -> int:
    """Runs in a worker: says it has started (its pid in ``marker``), then works on."""
    Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid()


def pid_of_worker(marker: Path) -> int:
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.02)
    return int(marker.read_text())


@pytest.fixture(scope="module")
async def workers() -> AsyncIterator[CheckWorkers]:
    pool = CheckWorkers(2)
    yield pool
    await pool.close()


def decodes(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def test_a_phone_photo_loses_its_gps_in_a_worker_and_comes_back_upright(
    workers: CheckWorkers,
) -> None:
    checked = await workers.inspect(jpeg_with_metadata(), "ảnh.jpg")

    after = decodes(checked.data)
    assert after.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert len(after.getexif()) == 0
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(after.info)
    for secret in (b"secret", b"SecretPhone", b"GPS"):
        assert secret not in checked.data
    # Held sideways (orientation 6): 80×40 becomes 40×80.
    assert (checked.width, checked.height) == after.size == (40, 80)
    assert checked.display_name == "ảnh.jpg"


async def test_a_png_loses_its_text_in_a_worker(workers: CheckWorkers) -> None:
    checked = await workers.inspect(png_with_text(), "scan.png")

    assert checked.media_type == "image/png"
    assert b"secret" not in checked.data
    assert decodes(checked.data).size == (80, 40)


@pytest.mark.parametrize(
    ("data", "name", "vi", "en"),
    [
        (png_header_only(50_000, 50_000), "bomb.png", "quá lớn", "too large"),
        (b"MZ\x90\x00" + b"\x00" * 200, "virus.jpg", "không phải ảnh", "not a JPEG"),
        (b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "big.jpg", "lớn hơn 10 MB", "10 MB"),
    ],
    ids=["decompression bomb", "wrong type", "oversized"],
)
async def test_refusals_from_a_worker_name_the_file_in_both_languages(
    workers: CheckWorkers, data: bytes, name: str, vi: str, en: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await workers.inspect(data, name)

    assert refused.value.field == "file"
    assert vi in refused.value.message("vi")
    assert en in refused.value.message("en")


async def test_several_uploads_at_once_all_come_back_clean() -> None:
    attachments = Attachments(LocalStorage(Path("/nonexistent")), image_workers=2)
    async with attachments.lifespan():
        photos = [jpeg_with_metadata(), jpeg((640, 480)), png_with_text()] * 3
        checked = await asyncio.gather(
            *(
                attachments.check(photo, f"{i}.jpg" if i % 3 < 2 else f"{i}.png")
                for i, photo in enumerate(photos)
            )
        )

    assert len(checked) == 9
    for result in checked:
        assert b"secret" not in result.data
        assert decodes(result.data).size == (result.width, result.height)
    assert {result.width for result in checked} == {40, 640, 80}


async def test_a_worker_killed_mid_check_costs_that_upload_only(tmp_path: Path) -> None:
    pool = CheckWorkers(1)
    try:
        marker = tmp_path / "started"
        running = asyncio.create_task(pool.run(busy_worker, str(marker), 60))
        pid = await asyncio.to_thread(pid_of_worker, marker)
        os.kill(pid, signal.SIGKILL)

        with pytest.raises(Unavailable) as failed:
            await running
        assert failed.value.status_code == 503
        assert failed.value.field == "file"
        assert "gửi lại" in failed.value.message("vi")
        assert "again" in failed.value.message("en")

        # The next upload gets a new worker and is checked as ever.
        checked = await pool.inspect(jpeg_with_metadata(), "ảnh.jpg")
        assert decodes(checked.data).size == (40, 80)
        assert b"SecretPhone" not in checked.data
    finally:
        await pool.close()


async def test_a_worker_killed_between_uploads_is_not_noticed(tmp_path: Path) -> None:
    pool = CheckWorkers(1)
    try:
        first = await pool.run(busy_worker, str(tmp_path / "first"), 0)
        os.kill(first, signal.SIGKILL)
        await asyncio.sleep(0.5)  # the executor notices the death and marks itself broken

        checked = await pool.inspect(jpeg(), "ảnh.jpg")

        assert decodes(checked.data).size == (80, 40)
    finally:
        await pool.close()


async def test_a_check_that_hangs_is_stopped_and_answered_503(tmp_path: Path) -> None:
    pool = CheckWorkers(1)
    try:
        await pool.inspect(jpeg(), "ảnh.jpg")  # started: the timeout is the check's alone
        pool.timeout_s = 2
        marker = tmp_path / "started"
        with pytest.raises(Unavailable) as failed:
            await pool.run(busy_worker, str(marker), 600)
        assert "quá lâu" in failed.value.message("vi")
        assert "too long" in failed.value.message("en")

        # Its worker was killed, not left working for ten minutes.
        hung = int(marker.read_text())
        deadline = time.monotonic() + 10
        while _state(hung) != "gone":
            assert time.monotonic() < deadline, "the hung worker still runs"
            await asyncio.sleep(0.05)

        pool.timeout_s = 60
        checked = await pool.inspect(jpeg(), "ảnh.jpg")
        assert decodes(checked.data).size == (80, 40)
    finally:
        await pool.close()


def _state(pid: int) -> str:
    """ "gone" once the process has ended (a zombie waiting for its parent has, too)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    return "gone" if "\nState:\tZ" in status else "running"


REPO = str(Path(__file__).resolve().parents[2])
APP_KILLED = """
import asyncio, os, sys
sys.path.insert(0, sys.argv[1])
from backend.attachments.workers import CheckWorkers, _ready

async def main():
    workers = CheckWorkers(2)
    await workers.run(_ready)
    with open(sys.argv[2] + ".tmp", "w") as out:
        out.write(" ".join(str(pid) for pid in workers._pool._processes))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    await asyncio.sleep(3600)

if __name__ == "__main__":
    asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_workers_end_with_an_app_killed_by_sigkill(tmp_path: Path) -> None:
    """A SIGKILL runs no clean-up: the workers must not live on as orphans."""
    script, found = tmp_path / "app.py", tmp_path / "pids"
    script.write_text(APP_KILLED, encoding="utf-8")
    # No pipe to the app: orphans holding one would keep the test waiting, not failing.
    app = await asyncio.create_subprocess_exec(
        sys.executable, str(script), REPO, str(found), stdout=asyncio.subprocess.DEVNULL
    )
    for _ in range(600):
        if found.exists():
            break
        await asyncio.sleep(0.1)
    pids = [int(pid) for pid in found.read_text().split()]
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    app.kill()
    await app.wait()
    for _ in range(100):
        if not any(_alive(pid) for pid in pids):
            break
        await asyncio.sleep(0.05)
    assert [pid for pid in pids if _alive(pid)] == []


async def test_without_workers_the_check_runs_here(workers: CheckWorkers) -> None:
    in_process = CheckWorkers(0)

    ours = await in_process.inspect(jpeg_with_metadata(), "ảnh.jpg")
    theirs = await workers.inspect(jpeg_with_metadata(), "ảnh.jpg")

    assert ours == theirs


def test_image_workers_default_to_the_cores_and_0_means_none(tmp_path: Path) -> None:
    base = {"MOTCUA_DATA_DIR": str(tmp_path)}

    assert Settings.from_env(base).image_workers == (os.cpu_count() or 1)
    assert Settings.from_env({**base, "MOTCUA_IMAGE_WORKERS": "0"}).image_workers == 0
    assert Settings.from_env({**base, "MOTCUA_IMAGE_WORKERS": "3"}).image_workers == 3
    for wrong in ("-1", "many", "1000"):
        with pytest.raises(SettingsError, match="MOTCUA_IMAGE_WORKERS"):
            Settings.from_env({**base, "MOTCUA_IMAGE_WORKERS": wrong})
