"""The ``motcua`` command, run as a person runs it: a real process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.databases import POSTGRES_URL, fresh_postgres

MOTCUA = str(Path(sys.executable).with_name("motcua"))


async def cli_env(tmp_path: Path, suffix: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOTCUA_") and key != "DATABASE_URL"
    }
    env.update({"MOTCUA_DATA_DIR": str(tmp_path / "data"), "MOTCUA_LOG_LEVEL": "WARNING"})
    if POSTGRES_URL:
        env["DATABASE_URL"] = await fresh_postgres(suffix)
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MOTCUA, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_starts_on_an_empty_data_dir(tmp_path: Path) -> None:
    env = await cli_env(tmp_path, "cli_serve")
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        MOTCUA,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            while True:
                try:
                    ready = await client.get("/readyz")
                    break
                except httpx.TransportError:
                    assert process.returncode is None, "the server stopped"
                    assert time.monotonic() < deadline, "the server did not start in 60 s"
                    await asyncio.sleep(0.2)
            assert ready.status_code == 200
            assert ready.json() == {"status": "ok", "rate_limits": "memory"}
            home = await client.get("/")
            assert home.status_code == 200
            assert "/p/" in home.text, "the demo catalogue is loaded"
    finally:
        process.terminate()
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    stdout, stderr = out.decode(), err.decode()
    assert f"http://localhost:{port}/" in stdout, "serve prints the address to open"
    assert f"public URL http://localhost:{port})" in stdout, "links follow the port served"
    assert "Traceback" not in stderr
    if not POSTGRES_URL:
        assert (tmp_path / "data" / "motcua.sqlite3").exists()
        assert (tmp_path / "data" / "secret_key").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/motcua"),
        ("MOTCUA_PUBLIC_URL", "not a url"),
        ("MOTCUA_SECRET_KEY", "short"),
        ("MOTCUA_DEMO", "perhaps"),
        ("MOTCUA_REDIS_URL", "localhost:6379"),
    ],
)
async def test_a_bad_setting_stops_serve_with_one_clear_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = await cli_env(tmp_path, "cli_bad", **{variable: value})
    result = run(["serve", "--port", str(free_port())], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"motcua: configuration error: {variable}: ")


async def test_more_workers_need_postgresql(tmp_path: Path) -> None:
    env = await cli_env(tmp_path, "cli_workers")
    env.pop("DATABASE_URL", None)
    result = run(["serve", "--workers", "2", "--port", str(free_port())], env)
    assert result.returncode == 2
    assert "--workers" in result.stderr and "DATABASE_URL" in result.stderr


async def test_migrate_seed_and_check(tmp_path: Path) -> None:
    env = await cli_env(tmp_path, "cli_tools", MOTCUA_DEMO="false")
    if not POSTGRES_URL:
        # An old database after an update: there, but without the new migrations.
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "motcua.sqlite3").touch()
    before = run(["check"], env)
    assert before.returncode == 1, "pending migrations make check fail"
    folder = Path(__file__).parents[1] / "migrations"
    known = [m for m in folder.glob("*/*.py") if not m.name.startswith("__")]
    assert f"pending migrations: {len(known)}" in before.stdout
    migrated = run(["migrate"], env)
    assert migrated.returncode == 0
    assert "applied" in migrated.stdout
    assert run(["migrate"], env).stdout.strip() == "motcua: up to date"
    first = run(["seed-demo"], env)
    assert first.returncode == 0
    assert "and 0 procedures" not in first.stdout
    second = run(["seed-demo"], env)
    assert "0 agencies and 0 procedures added" in second.stdout
    check = run(["check"], env)
    assert check.returncode == 0, check.stderr
    assert "pending migrations: 0" in check.stdout
    if not POSTGRES_URL:
        assert "sqlite journal mode: wal" in check.stdout


async def test_an_unreachable_database_is_named(tmp_path: Path) -> None:
    env = await cli_env(
        tmp_path, "cli_unreachable", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none_test"
    )
    result = run(["check"], env)
    assert result.returncode == 3
    assert "cannot reach the database (DATABASE_URL)" in result.stderr
    assert "Traceback" not in result.stderr


async def test_an_unreachable_redis_is_named(tmp_path: Path) -> None:
    env = await cli_env(tmp_path, "cli_redis", MOTCUA_REDIS_URL="redis://127.0.0.1:1/0")
    run(["migrate"], env)
    result = run(["check"], env)
    assert result.returncode == 3
    assert "MOTCUA_REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_vapid_keys_prints_a_usable_pair_without_any_settings() -> None:
    from backend import vapid

    result = run(["vapid-keys"], {"PATH": "/usr/bin:/bin", "MOTCUA_ENV": "production"})
    assert result.returncode == 0, result.stderr
    private = result.stdout.splitlines()[0].removeprefix("MOTCUA_VAPID_PRIVATE_KEY=")
    assert vapid.public_key(private) in result.stdout


async def test_serving_beyond_this_machine_without_motcua_env_says_so_loudly(
    tmp_path: Path,
) -> None:
    """Issue 15: unset, MOTCUA_ENV means development with demo data and the demo
    gateway; anyone who can reach the address would be able to use them."""
    env = await cli_env(tmp_path, "cli_loud")
    process = await asyncio.create_subprocess_exec(
        MOTCUA,
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        str(free_port()),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any("MOTCUA_ENV=production" in line for line in seen):
                line = (await process.stderr.readline()).decode()
                assert line, f"serve ended without the warning: {seen}"
                seen.append(line)
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), timeout=30)
    text = "".join(seen)
    assert "WARNING: serving on 0.0.0.0" in text and "without MOTCUA_ENV" in text
    assert "demo data" in text and "demo payment gateway" in text


def test_the_warning_is_only_for_an_unsaid_environment_beyond_loopback(tmp_path: Path) -> None:
    from backend.cli import unsafe_defaults
    from backend.settings import Settings

    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path / "data")})
    assert unsafe_defaults(settings, "127.0.0.1", {}) == []
    assert unsafe_defaults(settings, "::1", {}) == []
    assert unsafe_defaults(settings, "localhost", {}) == []
    assert unsafe_defaults(settings, "0.0.0.0", {"MOTCUA_ENV": "development"}) == []
    assert any("WARNING" in line for line in unsafe_defaults(settings, "10.0.0.5", {}))
    with_gateway = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path / "data"),
            "MOTCUA_VNPAY_TMN_CODE": "MOTCUA99",
            "MOTCUA_VNPAY_HASH_SECRET": "S" * 32,
        }
    )
    lines = unsafe_defaults(with_gateway, "127.0.0.1", {})
    assert lines == [
        "motcua: the demo payment gateway is off: a real gateway (VNPay or VietQR) is configured."
    ]


def bare_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any Một Cửa setting: a shell in some folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MOTCUA_") and key != "DATABASE_URL"
    }
    return env | extra


ELSEWHERE = [
    ["check"],
    ["serve", "--port", "1"],
    ["migrate"],
    ["qr-posters", "--agency", "000.00.01.H56", "--out", "posters"],
    ["catalogue-export"],
    ["create-staff", "--name", "Lê Thị Hoa", "--agency", "000.00.12.H56", "--role", "reception"],
    ["worker", "--once"],
]


@pytest.mark.parametrize("args", ELSEWHERE, ids=lambda args: args[0])
def test_a_folder_without_data_is_named_and_left_alone(tmp_path: Path, args: list[str]) -> None:
    """Issue 16: ``cd /tmp && motcua check`` made an empty ./var and ended in a
    traceback (qr-posters, catalogue-export) or a page of pending migrations."""
    result = subprocess.run(
        [MOTCUA, *args],
        cwd=tmp_path,
        env=bare_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("motcua: configuration error: MOTCUA_DATA_DIR: not set")
    assert f"{tmp_path / 'var'} does not exist" in lines[0]
    assert "./dev motcua" in lines[0]
    assert list(tmp_path.iterdir()) == [], "nothing is written here"


READERS = [
    ["check"],
    ["qr-posters", "--agency", "000.00.01.H56", "--out", "posters"],
    ["catalogue-export"],
    ["create-staff", "--name", "Lê Thị Hoa", "--agency", "000.00.12.H56", "--role", "reception"],
    ["worker", "--once"],
]


@pytest.mark.parametrize("args", READERS, ids=lambda args: args[0])
def test_a_named_data_dir_without_a_database_is_said(tmp_path: Path, args: list[str]) -> None:
    """A mistyped MOTCUA_DATA_DIR: a command that needs data says there is none there
    and begins nothing (only serve, migrate, seed-demo and the imports begin one)."""
    data = tmp_path / "typo"
    result = subprocess.run(
        [MOTCUA, *args],
        cwd=tmp_path,
        env=bare_env(MOTCUA_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"there is no database here ({data / 'motcua.sqlite3'} does not exist)" in result.stderr
    assert "motcua migrate" in result.stderr
    assert not data.exists()


def test_the_data_of_this_folder_is_used_without_naming_it(tmp_path: Path) -> None:
    """A checkout where ./dev run made ./var: motcua there needs no MOTCUA_DATA_DIR."""
    (tmp_path / "var").mkdir()

    def motcua(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MOTCUA, *args],
            cwd=tmp_path,
            env=bare_env(MOTCUA_DEMO="false"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert motcua("migrate").returncode == 0
    assert (tmp_path / "var" / "motcua.sqlite3").is_file()
    check = motcua("check")
    assert check.returncode == 0, check.stderr
    assert "pending migrations: 0" in check.stdout
    # An empty database (no catalogue yet): the posters' agency is simply not found.
    posters = motcua("qr-posters", "--agency", "000.00.01.H56", "--out", "posters")
    assert posters.returncode == 1 and "Traceback" not in posters.stderr


def test_commands_that_read_refuse_a_database_without_its_migrations(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "motcua.sqlite3").touch()
    env = bare_env(MOTCUA_DATA_DIR=str(tmp_path / "data"))
    for args in (["qr-posters", "--agency", "000.00.01.H56", "--out", "p"], ["catalogue-export"]):
        result = run(args, env)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip() == (
            "motcua: the database has pending migrations: run `motcua migrate`"
        )
