"""The database's part of a backup: SQLite's online backup API, or PostgreSQL's
``pg_dump`` and ``pg_restore``."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from backend.backup.copying import fsync_folder
from backend.backup.manifest import BackupRefused

# Piccolo's table of applied migrations.
MIGRATIONS: Final = "migration"


def copy_sqlite(live: Path, copy: Path) -> None:
    """A consistent copy of a live database, while the app may be writing to it.

    The pages are copied in one step, inside one read transaction: the copy is the
    database as of one commit, and in WAL mode that reader never blocks the app's
    writers (in several steps, each write of another connection would start the copy
    again, for ever on a busy database). The copy is left in rollback-journal mode, one
    self-contained file; the app turns WAL back on when it opens it. ``mode=rw``: a
    missing database is an error, not a new empty one."""
    source = sqlite3.connect(f"file:{live}?mode=rw", uri=True, timeout=30)
    try:
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
            problem = target.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise BackupRefused(f"the copy of the database fails SQLite's check: {problem}")
        finally:
            target.close()
    finally:
        source.close()
    os.chmod(copy, 0o600)
    with copy.open("rb") as handle:
        os.fsync(handle.fileno())
    fsync_folder(copy.parent)


def sqlite_migrations(path: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(f"SELECT app_name, name FROM {MIGRATIONS}").fetchall()  # noqa: S608
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()
    return [(str(app), str(name)) for app, name in rows]


def _split_password(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that gives it to libpq: a
    password on a command line is visible to every user of the machine (``ps``) and
    would be printed with any error that quotes the command."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = parts.password
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    # asyncpg says postgres:// or postgresql://; libpq knows both.
    return urlunsplit(parts._replace(netloc=netloc)), env


def _tool(name: str) -> str:
    """A PostgreSQL client program: on PATH, else the newest of Debian's versions."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if versions:
        return versions[-1]
    raise BackupRefused(
        f"{name} not found: install PostgreSQL's client programs (Debian: apt install "
        f"postgresql-client, of the server's major version or newer) or put {name} on PATH"
    )


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as error:
        raise BackupRefused(f"{what} could not be started: {error.strerror}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit status {done.returncode}"
        raise BackupRefused(f"{what} failed: {reason}")


def dump_postgres(url: str, target: Path) -> None:
    """``pg_dump --format=custom``: one snapshot of the whole database, taken at its
    start, while the app goes on writing."""
    dsn, env = _split_password(url)
    _run(
        [_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}", dsn],
        env,
        "pg_dump",
    )
    os.chmod(target, 0o600)


def restore_postgres(url: str, dump: Path) -> None:
    """All of it or nothing: one transaction, stopped at the first error. Ownership and
    grants are not restored: the database of ``DATABASE_URL`` is the app's, whoever
    owned the one that was dumped."""
    dsn, env = _split_password(url)
    _run(
        [
            _tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            f"--dbname={dsn}",
            str(dump),
        ],
        env,
        "pg_restore",
    )


async def postgres_tables(url: str) -> int:
    """How many tables the database has outside PostgreSQL's own schemas."""
    connection = await asyncpg.connect(url, timeout=10)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_catalog.pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    finally:
        await connection.close()
    return int(count)


async def postgres_migrations(url: str) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        if not await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", MIGRATIONS):
            return []
        rows = await connection.fetch(f"SELECT app_name, name FROM {MIGRATIONS}")  # noqa: S608
    finally:
        await connection.close()
    return [(str(row["app_name"]), str(row["name"])) for row in rows]


def latest_by_app(applied: list[tuple[str, str]]) -> tuple[dict[str, str], int]:
    """The latest migration of each app (Piccolo's ids are timestamps, so they sort),
    and how many there are."""
    latest: dict[str, str] = {}
    for app, name in applied:
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items())), sum(Counter(app for app, _ in applied).values())


def remove_quietly(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
