"""Backups that restore (issue 20): ``motcua backup`` and ``motcua restore``.

A backup is a folder: ``database/`` (a copy of the SQLite file through SQLite's online
backup API, or ``pg_dump --format=custom``), ``files/`` (the kept files, one by one),
``keys/`` (only when asked: they are secrets) and ``manifest.json`` with the SHA-256 of
every file, written last.

The order is what makes it whole. The database is copied first, then the files: the
app keeps a file's bytes before it writes the row that names it, so every row in the
copy names a file that was on disk before the copy began, and is there when the files
are copied after it. Files kept after the copy began come along too, named by no row
of the copy: they are harmless, and the restored app's sweep removes them once they
are older than its grace. Only a file removed between the two (a dossier's retention
ending in those seconds) can be named by the copy and absent; ``files_gone`` counts
those seen vanish.

A restore checks every SHA-256 before it writes anything, then restores the files, the
keys and, last, the database: a data dir is in use once it has a database, so a
restore that fails half-way leaves none and removes what it wrote.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from backend.backup.copying import copy_file, fsync_folder, hash_file, is_empty_folder
from backend.backup.copying import regular_files as _regular_files
from backend.backup.databases import (
    copy_sqlite,
    dump_postgres,
    latest_by_app,
    postgres_migrations,
    postgres_tables,
    remove_quietly,
    restore_postgres,
    sqlite_migrations,
)
from backend.backup.manifest import (
    MANIFEST,
    BackupRefused,
    Entry,
    Manifest,
    RestoreIncomplete,
    inside,
)
from backend.settings import SQLITE_FILE, TEST_CA_FOLDER

__all__ = [
    "MANIFEST",
    "BackupRefused",
    "Manifest",
    "RestoreIncomplete",
    "Source",
    "make_backup",
    "restore_backup",
]

# The data dir's generated secrets: the secret key, the Web Push key, the test CA.
KEY_FILES: Final = ("secret_key", "vapid_private_key")
DUMP: Final = "motcua.dump"
NO_KEYS: Final = (
    "not included (motcua backup --with-keys adds them): without the same secret key "
    "sessions, tracking links and counter QR posters stop working, and without the same "
    "VAPID key every browser's push subscription must be made again"
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where an instance keeps its data: the data dir, the folder of its kept files,
    and PostgreSQL's URL (None: the SQLite file in the data dir)."""

    data_dir: Path
    files_root: Path
    database_url: str | None

    @property
    def kind(self) -> str:
        return "sqlite" if self.database_url is None else "postgresql"


async def make_backup(source: Source, out: Path, *, with_keys: bool, app_version: str) -> Manifest:
    """Write a new backup into ``out`` (missing or empty), the database first."""
    out, created = await asyncio.to_thread(_new_folder, source, out)
    try:
        return await _write(source, out, with_keys=with_keys, app_version=app_version)
    except BaseException:
        await asyncio.to_thread(_empty, out, remove=created)
        raise


def _new_folder(source: Source, out: Path) -> tuple[Path, bool]:
    """``out``, made if need be (and whether it was), or why it cannot be a backup's."""
    out = out.expanduser().resolve()
    if not is_empty_folder(out):
        raise BackupRefused(f"{out} is not an empty folder: choose a new one for the backup")
    if out.is_relative_to(source.files_root.resolve()):
        raise BackupRefused(f"{out} is inside the kept files: choose a folder elsewhere")
    live = source.data_dir / SQLITE_FILE
    if source.database_url is None and not live.is_file():
        raise BackupRefused(f"there is no database to back up ({live} does not exist)")
    created = not out.exists()
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    return out, created


async def _write(source: Source, out: Path, *, with_keys: bool, app_version: str) -> Manifest:
    started = dt.datetime.now(dt.UTC)
    (out / "database").mkdir(mode=0o700)
    if source.database_url is None:
        copy = out / "database" / SQLITE_FILE
        await asyncio.to_thread(copy_sqlite, source.data_dir / SQLITE_FILE, copy)
        applied = await asyncio.to_thread(sqlite_migrations, copy)
    else:
        copy = out / "database" / DUMP
        # Read first, so that a server out of reach is said so (exit 3) before pg_dump
        # tries; migrations are not applied while a backup runs.
        applied = await postgres_migrations(source.database_url)
        await asyncio.to_thread(dump_postgres, source.database_url, copy)
    size, digest = await asyncio.to_thread(hash_file, copy)
    entries = [Entry(copy.relative_to(out).as_posix(), size, digest)]
    # Only now the files: see the module's docstring.
    copied, gone = await asyncio.to_thread(_copy_tree, source.files_root, out / "files")
    entries += [Entry(f"files/{path}", size, digest) for path, size, digest in copied]
    keys = NO_KEYS
    if with_keys:
        held = await asyncio.to_thread(_copy_keys, source.data_dir, out / "keys")
        entries += [Entry(f"keys/{path}", size, digest) for path, size, digest in held]
        keys = "included: keys/ holds secrets; keep this backup as safe as the server"
    latest, count = latest_by_app(applied)
    manifest = Manifest(
        created_at=started.isoformat(timespec="seconds"),
        database=source.kind,
        app_version=app_version,
        migrations=latest,
        migrations_applied=count,
        keys=keys,
        files=entries,
        files_gone=gone,
    )
    await asyncio.to_thread(manifest.write, out)
    return manifest


def _copy_tree(root: Path, target: Path) -> tuple[list[tuple[str, int, str]], int]:
    """Copy every regular file under ``root``; what was copied, and how many of the
    files listed were gone by the time they were to be copied."""
    copied: list[tuple[str, int, str]] = []
    gone = 0
    target.mkdir(mode=0o700, exist_ok=True)
    for relative in _regular_files(root):
        result = copy_file(root / relative, target / relative)
        if result is None:
            gone += 1
            continue
        copied.append((relative.as_posix(), *result))
    for folder in {target / Path(path).parent for path, _, _ in copied} | {target}:
        fsync_folder(folder)
    return copied, gone


def _copy_keys(data_dir: Path, target: Path) -> list[tuple[str, int, str]]:
    target.mkdir(mode=0o700)
    held: list[tuple[str, int, str]] = []
    for name in KEY_FILES:
        result = copy_file(data_dir / name, target / name)
        if result is not None:
            held.append((name, *result))
    for relative in _regular_files(data_dir / TEST_CA_FOLDER):
        path = Path(TEST_CA_FOLDER) / relative
        result = copy_file(data_dir / path, target / path)
        if result is not None:
            held.append((path.as_posix(), *result))
    return held


def _empty(folder: Path, *, remove: bool) -> None:
    if remove:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            remove_quietly(child)


async def restore_backup(backup: Path, target: Source) -> Manifest:
    """Restore ``backup`` into an instance that has no data yet: every SHA-256 checked
    first, then the files, the keys and, last, the database."""
    backup, manifest = await asyncio.to_thread(_checked_manifest, backup)
    if manifest.database != target.kind:
        raise BackupRefused(
            f"this is a backup of a {manifest.database} database; restore it "
            + ("without DATABASE_URL" if manifest.database == "sqlite" else "with DATABASE_URL")
        )
    databases = [e for e in manifest.files if e.path.startswith("database/")]
    if len(databases) != 1:
        raise BackupRefused("the manifest does not name one database file")
    [database] = databases
    await _refuse_used(target)
    written: list[Path] = []
    try:
        await asyncio.to_thread(_restore_files, backup, manifest, target, written)
        if target.database_url is None:
            await asyncio.to_thread(
                _restore_sqlite, inside(backup, database.path), database, target
            )
        else:
            await asyncio.to_thread(
                restore_postgres, target.database_url, inside(backup, database.path)
            )
    except BaseException:
        remove_quietly(*written)
        raise
    applied = (
        await asyncio.to_thread(sqlite_migrations, target.data_dir / SQLITE_FILE)
        if target.database_url is None
        else await postgres_migrations(target.database_url)
    )
    if latest_by_app(applied) != (manifest.migrations, manifest.migrations_applied):
        raise RestoreIncomplete(
            "restored, but the database does not hold the migrations the manifest lists: "
            "do not use it; restore again into a new data dir and database"
        )
    return manifest


def _checked_manifest(backup: Path) -> tuple[Path, Manifest]:
    backup = backup.expanduser().resolve()
    manifest = Manifest.read(backup)
    manifest.verify(backup)
    return backup, manifest


async def _refuse_used(target: Source) -> None:
    if target.database_url is not None and (tables := await postgres_tables(target.database_url)):
        raise BackupRefused(
            f"the database of DATABASE_URL already has {tables} table(s): restore only into "
            "an empty database (createdb a new one)"
        )
    await asyncio.to_thread(_refuse_used_folder, target)


def _refuse_used_folder(target: Source) -> None:
    database = target.data_dir / SQLITE_FILE
    if target.database_url is None and (
        database.exists() or database.with_name(SQLITE_FILE + "-wal").exists()
    ):
        raise BackupRefused(
            f"{database} already exists: restore only into a data dir without a database"
        )
    if next(_regular_files(target.files_root), None) is not None:
        raise BackupRefused(
            f"{target.files_root} already holds files: restore only into a data dir "
            "without kept files"
        )


def _restore_files(backup: Path, manifest: Manifest, target: Source, written: list[Path]) -> None:
    places = [(entry, target.files_root, "files/") for entry in manifest.under("files")]
    places += [(entry, target.data_dir, "keys/") for entry in manifest.under("keys")]
    for entry, root, prefix in places:
        destination = inside(root, entry.path.removeprefix(prefix))
        if prefix == "keys/" and destination.exists():
            if hash_file(destination) == (entry.size, entry.sha256):
                continue
            raise BackupRefused(
                f"{destination} already exists and differs from the backup's: move it away"
            )
        _checked_copy(inside(backup, entry.path), destination, entry, written)
    target.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for folder in {path.parent for path in written}:
        fsync_folder(folder)


def _restore_sqlite(copy: Path, entry: Entry, target: Source) -> None:
    database = target.data_dir / SQLITE_FILE
    temporary = database.with_name(f".{SQLITE_FILE}.restoring")
    remove_quietly(temporary)
    _checked_copy(copy, temporary, entry, [])
    # Atomic: the data dir has the whole database or none.
    os.replace(temporary, database)
    fsync_folder(database.parent)


def _checked_copy(source: Path, destination: Path, entry: Entry, written: list[Path]) -> None:
    """Copy, and check that what was written is what the manifest names (the backup
    could change between the check and the copy)."""
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    result = copy_file(source, destination)
    if result is None:
        raise BackupRefused(f"{entry.path}: missing from the backup")
    written.append(destination)
    if result != (entry.size, entry.sha256):
        raise BackupRefused(f"{entry.path}: changed while it was being restored")
