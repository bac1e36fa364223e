"""A real ``motcua serve`` killed with SIGKILL while uploads are running, three times:
after each restart, the start sweep leaves no kept file without a row (nor a
half-written temporary file), and every file a row names is still there."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import random
import secrets
import signal
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.accounts.helpers import unique_phone
from tests.dossiers.conftest import PROCEDURE
from tests.e2e.server import MotcuaServer
from tests.support.authenticator import SoftAuthenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

GRACE_S = 2
ROUNDS = 3
IN_FLIGHT = 8
# How long after a restart the start sweep may take to finish on a loaded machine;
# the test waits for it, it does not measure it.
SWEEP_WAIT_S = 60.0


class CrashServer(MotcuaServer):
    name = "motcua serve (crash)"

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env.update(
            MOTCUA_ORPHAN_GRACE_S=str(GRACE_S),
            MOTCUA_ARGON2_MEMORY_KIB="64",
            MOTCUA_ARGON2_TIME_COST="1",
        )
        return env

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()


def photo(number: int) -> bytes:
    """A small photo, a different one each time (its size tells it apart)."""
    buffer = io.BytesIO()
    colour = (number * 37 % 256, number * 91 % 256, 120)
    Image.new("RGB", (120 + number % 50, 90), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def left_mid_upload(data_dir: Path, round_number: int) -> None:
    """What a kill between an upload's bytes and its row leaves, whether or not this
    round's kill happened to land there: a kept file and a half-written one."""
    key = secrets.token_hex(16)
    folder = data_dir / "files" / key[:2]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / key).write_bytes(photo(900_000 + round_number))
    (folder / f".upload-crash{round_number}.tmp").write_bytes(b"\xff\xd8 half")


def kept_files(data_dir: Path) -> tuple[list[int], list[Path]]:
    """The sizes of the kept files, and the temporary files of uploads."""
    sizes, temporary = [], []
    for path in (data_dir / "files").glob("*/*"):
        if path.name.startswith(".upload-"):
            temporary.append(path)
        else:
            sizes.append(path.stat().st_size)
    return sorted(sizes), temporary


async def signed_up(client: httpx.AsyncClient, server: MotcuaServer) -> None:
    await client.get("/dang-nhap")
    options = await client.post(
        "/api/auth/passkeys/register/options",
        json={"phone": unique_phone(), "full_name": "Lê Thị Tải"},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    assert options.status_code == 200, options.text
    credential = SoftAuthenticator("ES256").create(options.json(), server.url)
    done = await client.post(
        "/api/auth/passkeys/register",
        json={"credential": credential},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    assert done.status_code == 201, done.text
    await client.get("/")  # the token as it stands once signed in


async def new_draft(client: httpx.AsyncClient, number: int) -> tuple[int, int]:
    """A draft and the id of a component it takes files for."""
    created = await client.post(
        "/api/dossiers",
        # A further draft each round ("another"): one person, one procedure, one agency.
        json={
            "procedure_code": PROCEDURE,
            "draft_key": f"crash-{number:04d}-{uuid.uuid4().hex}",
            "another": True,
        },
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    assert created.status_code == 201, created.text
    dossier = created.json()
    component = next(c for c in dossier["components"] if c["uploadable"])
    return dossier["id"], component["id"]


async def rows(client: httpx.AsyncClient, dossier_ids: list[int]) -> list[int]:
    """The sizes of the files the dossiers' rows name, each still downloadable."""
    sizes = []
    for dossier_id in dossier_ids:
        dossier = await client.get(f"/api/dossiers/{dossier_id}")
        assert dossier.status_code == 200, dossier.text
        for file in dossier.json()["files"]:
            download = await client.get(f"/api/dossiers/{dossier_id}/files/{file['id']}")
            assert download.status_code == 200, download.text
            assert len(download.content) == file["size"]
            sizes.append(file["size"])
    return sorted(sizes)


async def upload_until_killed(
    client: httpx.AsyncClient, dossier_id: int, component_id: int, start: int
) -> None:
    """Keep ``IN_FLIGHT`` uploads going until the server dies under them."""

    async def one(number: int) -> None:
        while True:
            try:
                await client.post(
                    f"/api/dossiers/{dossier_id}/files",
                    data={"component_id": str(component_id)},
                    files={"file": (f"anh-{number}.jpg", photo(number), "image/jpeg")},
                    headers={"x-csrftoken": client.cookies["csrftoken"]},
                )
            except httpx.TransportError:
                return
            number += IN_FLIGHT

    await asyncio.gather(*(one(start + lane) for lane in range(IN_FLIGHT)))


async def test_no_file_without_a_row_survives_kill_9_and_a_restart(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    database_url = await fresh_postgres("crash") if POSTGRES_URL else None
    data_dir = tmp_path_factory.mktemp("crash")
    server = CrashServer(data_dir, database_url)
    await asyncio.to_thread(server.start)
    rng = random.Random(15)
    left_by_crashes = 0
    cookies = httpx.Cookies()

    def client() -> httpx.AsyncClient:
        # A restarted server listens on another port; the session and token stay.
        return httpx.AsyncClient(base_url=server.url, cookies=cookies, trust_env=False, timeout=30)

    try:
        async with client() as first:
            await signed_up(first, server)
            cookies = first.cookies
        dossiers: list[int] = []
        for round_number in range(ROUNDS):
            async with client() as before:
                dossier_id, component_id = await new_draft(before, round_number)
                dossiers.append(dossier_id)
                uploads = asyncio.create_task(
                    upload_until_killed(before, dossier_id, component_id, round_number * 1000)
                )
                await asyncio.sleep(rng.uniform(0.5, 1.5))
                await asyncio.to_thread(server.kill)
                await uploads
            on_disk, temporary = kept_files(data_dir)
            left_mid_upload(data_dir, round_number)
            # Past the grace period, nothing of the dead process is still running.
            await asyncio.sleep(GRACE_S + 0.5)
            await asyncio.to_thread(server.start)
            async with client() as after:
                named = await rows(after, dossiers)
                left_by_crashes += len(on_disk) - len(named) + len(temporary)
                for _ in range(int(SWEEP_WAIT_S / 0.2)):
                    if kept_files(data_dir) == (named, []):
                        break
                    await asyncio.sleep(0.2)
                assert kept_files(data_dir) == (named, []), f"round {round_number + 1}"
                assert await rows(after, dossiers) == named
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(server.stop)
    # The issue found 74 (SQLite) and 9 (PostgreSQL) in six rounds; the kills alone may
    # leave none, so each round also left one of each kind (left_mid_upload).
    print(f"\n{left_by_crashes} files without a row left by kill -9 rounds, all swept")
