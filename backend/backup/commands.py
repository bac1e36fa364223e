"""``motcua backup`` and ``motcua restore``: their arguments and what they print.

``backend.cli`` registers them and says where the kept files are (the attachments'
folder), which this package, below the domains and beside the attachments, does not
know by itself."""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from backend.backup import (
    BackupRefused,
    Manifest,
    RestoreIncomplete,
    Source,
    make_backup,
    restore_backup,
)
from backend.settings import Settings, SettingsError, data_dir_of

# Errors of a database that is not there to be reached (unlike a refusal: exit 3).
_UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectionError,
    socket.gaierror,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def add_commands(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="write a backup (the database, the kept files, a manifest of SHA-256 sums) "
        "into a new folder, while the app runs",
    )
    backup.add_argument("--out", required=True, help="a new or empty folder to write it into")
    backup.add_argument(
        "--with-keys",
        action="store_true",
        help="also copy the data dir's secret key, VAPID key and test CA: SECRETS (anyone "
        "holding them can forge sessions and links); keep such a backup as safe as the server",
    )
    restore = commands.add_parser(
        "restore",
        help="restore a backup into a data dir (and DATABASE_URL's database) without data",
    )
    restore.add_argument("backup", help="the folder motcua backup wrote")


def _version() -> str:
    try:
        return importlib.metadata.version("motcua")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _object_storage(env: Mapping[str, str]) -> bool:
    return bool(env.get("MOTCUA_STORAGE_URL", "").strip())


def run_backup(settings: Settings, args: argparse.Namespace, files_root: Path) -> int:
    if _object_storage(os.environ):
        print(
            "motcua: the kept files are in object storage (MOTCUA_STORAGE_URL): back up the "
            "bucket with its own tools; motcua backup copies a local files folder",
            file=sys.stderr,
        )
        return 1
    source = Source(settings.data_dir, files_root, settings.database_url)
    try:
        manifest = asyncio.run(
            make_backup(source, Path(args.out), with_keys=args.with_keys, app_version=_version())
        )
    except BackupRefused as refused:
        print(f"motcua: {refused}", file=sys.stderr)
        return 1
    except _UNREACHABLE as error:
        print(f"motcua: cannot reach the database (DATABASE_URL): {error}", file=sys.stderr)
        return 3
    except OSError as error:
        print(f"motcua: cannot write the backup: {error}", file=sys.stderr)
        return 1
    kept = len(manifest.under("files"))
    keys = "with the keys" if args.with_keys else "without the keys (--with-keys adds them)"
    print(
        f"motcua: backup written to {Path(args.out).resolve()}: the {manifest.database} "
        f"database, {kept} kept file(s), {keys}"
    )
    if manifest.files_gone:
        print(f"motcua: {manifest.files_gone} file(s) were removed while being copied")
    return 0


def run_restore(args: argparse.Namespace, env: Mapping[str, str], files_root: Path) -> int:
    """Before ``Settings.from_env``, which would make new keys in the empty data dir
    where the backup's are to go."""
    if _object_storage(env):
        print(
            "motcua: restore copies files into a local folder: unset MOTCUA_STORAGE_URL",
            file=sys.stderr,
        )
        return 1
    database_url = env.get("DATABASE_URL", "").strip() or None
    target = Source(data_dir_of(env), files_root, database_url)
    try:
        manifest = asyncio.run(restore_backup(Path(args.backup), target))
    except RestoreIncomplete as problem:
        print(f"motcua: {problem}", file=sys.stderr)
        return 1
    except BackupRefused as refused:
        print(f"motcua: nothing restored: {refused}", file=sys.stderr)
        return 1
    except _UNREACHABLE as error:
        print(f"motcua: cannot reach the database (DATABASE_URL): {error}", file=sys.stderr)
        return 3
    except OSError as error:
        print(f"motcua: the restore stopped (what it wrote is removed): {error}", file=sys.stderr)
        return 1
    print(
        f"motcua: restored the backup of {manifest.created_at} ({manifest.database}, "
        f"{len(manifest.under('files'))} kept file(s), "
        f"{'with' if manifest.under('keys') else 'without'} keys) into {target.data_dir}"
    )
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        print(f"motcua: the migrations are not checked: configuration error: {error}")
        return 2
    return _check(settings, manifest)


def _check(settings: Settings, manifest: Manifest) -> int:
    """What ``motcua check`` would say of the restored database: the code's migrations
    against those applied."""
    from backend.db import Database

    async def pending() -> int:
        database = Database(settings)
        await database.open()
        try:
            return await database.pending_migrations()
        finally:
            await database.close()

    count = asyncio.run(pending())
    if count:
        print(
            f"motcua: the backup ({manifest.app_version}) lacks {count} migration(s) of this "
            "version: run `motcua migrate`"
        )
    else:
        print("motcua: database up to date (no pending migrations)")
    return 0
