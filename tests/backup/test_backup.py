"""``motcua backup`` of a live instance while it writes dossiers, files, payments and
receipts, then ``motcua restore`` into a fresh one: everything the backup's database
names is there, with the same bytes; and the refusals (a damaged backup, a target in
use, a folder that is not empty)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from backend.backup import BackupRefused, Manifest, Source, make_backup, restore_backup
from backend.dossiers.runtime import DossiersRuntime
from backend.payments import service as payments_service
from backend.payments.runtime import PaymentsRuntime
from backend.settings import SQLITE_FILE, Settings
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import PersonFactory
from tests.payments.conftest import LICENCE_AGENCY, submitted_with_fees
from tests.support.databases import POSTGRES_URL, fresh_postgres

MOTCUA = str(Path(sys.executable).with_name("motcua"))
# What a restore must bring back whole: the tables of dossiers, their files, payments
# and receipts.
TABLES = ("dossiers_dossier", "dossiers_file", "payments_payment", "payments_receipt")


def env_for(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOTCUA_") and key != "DATABASE_URL"
    }
    env.update({"MOTCUA_DATA_DIR": str(data_dir), "MOTCUA_LOG_LEVEL": "WARNING"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


async def motcua(*args: str, env: dict[str, str], cwd: Path | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        MOTCUA, *args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def rows(source: Source, table: str) -> dict[int, dict[str, Any]]:
    """Every row of ``table`` by id, read straight from the database (not the app's)."""
    query = f"SELECT * FROM {table}"
    if source.database_url is None:
        connection = sqlite3.connect(source.data_dir / SQLITE_FILE)
        connection.row_factory = sqlite3.Row
        try:
            found = [dict(row) for row in connection.execute(query)]
        finally:
            connection.close()
    else:
        server = await asyncpg.connect(source.database_url)
        try:
            found = [dict(row) for row in await server.fetch(query)]
        finally:
            await server.close()
    return {row["id"]: row for row in found}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def live_source(settings: Settings) -> Source:
    return Source(settings.data_dir, settings.data_dir / "files", settings.database_url)


async def fresh_target(tmp_path: Path, name: str) -> Source:
    url = await fresh_postgres(f"backup_{name}") if POSTGRES_URL else None
    return Source(tmp_path / name, tmp_path / name / "files", url)


Writer = Callable[[], Awaitable[int]]


@pytest.fixture
def write_one(
    runtime: DossiersRuntime, payments: PaymentsRuntime, clock: Clock, people: PersonFactory
) -> Writer:
    """One citizen's dossier (its file kept, then its row), paid in cash at the counter:
    a payment and a receipt."""

    async def write() -> int:
        citizen = await people()
        reception = await people("staff", "reception", agency=LICENCE_AGENCY)
        dossier = await submitted_with_fees(runtime, citizen)
        await payments_service.record_cash(payments, reception, dossier.id, "vi")
        return dossier.id

    return write


async def test_a_live_instance_backed_up_under_writes_restores_whole(
    settings: Settings, write_one: Writer, tmp_path: Path
) -> None:
    live = live_source(settings)
    written = {await write_one()}
    before = len(await rows(live, "dossiers_dossier"))
    backing_up = asyncio.Event()
    after_backup = 0

    async def keep_writing() -> None:
        nonlocal after_backup
        # Until the backup has run and two more dossiers were written after it.
        while backing_up.is_set() is False or after_backup < 2:
            written.add(await write_one())
            if backing_up.is_set() and backup.done():
                after_backup += 1

    async def run_backup() -> tuple[int, str, str]:
        backing_up.set()
        return await motcua(
            "backup",
            "--out",
            str(tmp_path / "backup"),
            env=env_for(live.data_dir, live.database_url),
        )

    backup = asyncio.ensure_future(run_backup())
    await asyncio.gather(keep_writing(), backup)
    code, out, err = backup.result()
    assert code == 0, err
    assert "backup written to" in out and "without the keys" in out

    manifest = Manifest.read(tmp_path / "backup")
    assert manifest.database == live.kind
    assert manifest.migrations["dossiers"] and manifest.migrations_applied > 10
    assert "not included" in manifest.keys
    assert not (tmp_path / "backup" / "keys").exists()

    target = await fresh_target(tmp_path, "restored")
    code, out, err = await motcua(
        "restore", str(tmp_path / "backup"), env=env_for(target.data_dir, target.database_url)
    )
    assert code == 0, err
    assert "no pending migrations" in out

    restored = {table: await rows(target, table) for table in TABLES}
    now_live = {table: await rows(live, table) for table in TABLES}
    assert before <= len(restored["dossiers_dossier"]) < len(now_live["dossiers_dossier"])
    assert restored["payments_receipt"], "the receipts of the dossiers paid are restored"
    for table in TABLES:
        assert set(restored[table]) <= set(now_live[table]), table
    # Files and receipts do not change once written: the same rows as the live ones.
    for table in ("dossiers_file", "payments_receipt"):
        for key, row in restored[table].items():
            assert row == now_live[table][key], f"{table} {key}"
    # Every file a restored row of this test's dossiers names is there, with the live
    # file's bytes (other tests of the session keep theirs elsewhere: another data dir,
    # a bucket).
    ours = [row for row in restored["dossiers_file"].values() if row["dossier"] in written]
    assert ours, "the backup holds files of the dossiers written while it ran"
    for row in ours:
        name = row["storage_key"]
        kept = target.files_root / name[:2] / name
        assert kept.is_file(), f"file of dossiers_file {row['id']} missing"
        assert sha256(kept) == sha256(live.files_root / name[:2] / name)
    for entry in manifest.under("files"):
        assert sha256(target.files_root / entry.path.removeprefix("files/")) == entry.sha256


async def test_restore_refuses_a_damaged_backup_and_a_target_in_use(
    settings: Settings, write_one: Writer, tmp_path: Path
) -> None:
    await write_one()
    live = live_source(settings)
    backup = tmp_path / "backup"
    manifest = await make_backup(live, backup, with_keys=True, app_version="test")
    [first, *_] = manifest.under("files")

    # A byte flipped in one kept file: one line naming it, nothing restored.
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    path = damaged / first.path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    target = await fresh_target(tmp_path, "target")
    code, _, err = await motcua(
        "restore", str(damaged), env=env_for(target.data_dir, target.database_url)
    )
    assert code == 1
    [line] = err.splitlines()
    assert first.path in line and "does not match the manifest" in line
    assert not (target.data_dir / SQLITE_FILE).exists()
    assert not target.files_root.exists() or not any(target.files_root.rglob("*"))
    if target.database_url:
        assert not await rows_exist(target.database_url)

    # A file missing from the backup.
    (damaged / first.path).unlink()
    with pytest.raises(BackupRefused, match="missing from the backup"):
        await restore_backup(damaged, target)
    # A manifest that points outside the backup.
    raw = json.loads((damaged / "manifest.json").read_text())
    raw["files"][-1]["path"] = "../../etc/passwd"
    (damaged / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(BackupRefused, match="not a path inside the backup"):
        await restore_backup(damaged, target)

    # The backup itself restores, keys and all; a second time the target is in use.
    await restore_backup(backup, target)
    for name in ("secret_key", "vapid_private_key"):
        assert (target.data_dir / name).read_bytes() == (live.data_dir / name).read_bytes()
    again = await fresh_target(tmp_path, "again") if target.database_url else target
    in_use = Source(target.data_dir, target.files_root, again.database_url)
    if target.database_url:
        # A fresh database beside a data dir that already holds the kept files.
        with pytest.raises(BackupRefused, match="already holds files"):
            await restore_backup(backup, in_use)
        with pytest.raises(BackupRefused, match=r"already has \d+ table"):
            await restore_backup(
                backup, Source(tmp_path / "x", tmp_path / "x" / "f", target.database_url)
            )
    else:
        with pytest.raises(BackupRefused, match="already exists: restore only into a data dir"):
            await restore_backup(backup, in_use)


async def rows_exist(url: str) -> int:
    server = await asyncpg.connect(url)
    try:
        return int(
            await server.fetchval(
                "SELECT count(*) FROM pg_tables"
                " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        )
    finally:
        await server.close()


async def test_backup_refuses_a_folder_that_is_not_empty(
    settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "used"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    live = live_source(settings)
    code, _, err = await motcua(
        "backup", "--out", str(out), env=env_for(live.data_dir, live.database_url)
    )
    assert code == 1 and "is not an empty folder" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


async def test_backup_says_when_there_is_no_database(tmp_path: Path) -> None:
    code, _, err = await motcua(
        "backup", "--out", str(tmp_path / "b"), env=env_for(tmp_path / "nothing", None)
    )
    assert code == 2 and "there is no database here" in err
    assert not (tmp_path / "b").exists()


async def test_restore_needs_a_data_dir_named(tmp_path: Path) -> None:
    """Without MOTCUA_DATA_DIR and without ./var, a restore begins nothing here."""
    env = env_for(tmp_path, None)
    del env["MOTCUA_DATA_DIR"]
    (tmp_path / "work").mkdir()
    code, _, err = await motcua("restore", "backup", env=env, cwd=tmp_path / "work")
    assert code == 2 and "MOTCUA_DATA_DIR: not set" in err
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only")
async def test_a_database_out_of_reach_is_said_so_without_its_password(
    settings: Settings, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    url = settings.database_url.replace("@", ":s3cret-pw@", 1).rsplit("/", 1)[0]
    env = env_for(settings.data_dir, f"{url}/no_such_backup_test")
    code, out, err = await motcua("backup", "--out", str(tmp_path / "b"), env=env)
    assert code == 3 and "cannot reach the database (DATABASE_URL)" in err
    assert "s3cret-pw" not in out + err
    assert not (tmp_path / "b").exists()
