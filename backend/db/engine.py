"""Engine set-up, transactions and migrations for both databases."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from typing import Any, cast

import aiosqlite
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.querystring import QueryString

from backend.settings import Settings

# Engines opened in this process, innermost last (tests open a second app beside the first).
_open_engines: list[Engine[Any]] = []


def active_engine() -> Engine[Any]:
    if not _open_engines:
        raise RuntimeError("the database is not open: call Database.open() first")
    return _open_engines[-1]


def _bind_tables(engine: Engine[Any]) -> None:
    for table in _all_tables():
        table._meta.db = engine


class EmbeddedSQLiteEngine(SQLiteEngine):
    """SQLite for the embedded default.

    Piccolo opens a new connection (and thread) for every query outside a
    transaction and sets no durability pragmas. Here every connection gets
    ``synchronous=FULL`` (an acknowledged write survives a power cut), a busy
    timeout and foreign keys, and autocommit queries share a pool of
    ``pool_size`` connections: under a burst they wait a fraction of a
    millisecond for one rather than each open a connection (a thread, a file,
    three pragmas) and close it again.
    """

    def __init__(self, path: str, busy_timeout_ms: int, pool_size: int = 4) -> None:
        super().__init__(path=path, timeout=busy_timeout_ms / 1000)
        self.busy_timeout_ms = busy_timeout_ms
        self.pool_size = pool_size
        self._idle: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(pool_size)
        # Only an open engine keeps idle connections: a query that comes after
        # close (a late task at shutdown) must not leave a connection thread behind.
        self._pooling = False
        # Writers queue here instead of spinning on SQLite's busy handler.
        self.write_lock = asyncio.Lock()

    async def get_connection(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        await connection.execute("PRAGMA synchronous = FULL")
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict[str, Any]]:
        async with self._slots:
            connection = self._idle.pop() if self._idle else await self.get_connection()
            try:
                # One hop to the connection's thread (execute, fetch and close a
                # cursor would be three); dict_factory makes every row a dict.
                rows = cast(
                    list[dict[str, Any]], list(await connection.execute_fetchall(query, args or []))
                )
            except BaseException:
                # A cancelled or failed statement may leave the connection mid-way.
                await connection.close()
                raise
            if self._pooling:
                self._idle.append(connection)
            else:
                await connection.close()
        return rows

    async def start_connection_pool(self, **_: Any) -> None:
        connection = await self.get_connection()
        try:
            await connection.execute("PRAGMA journal_mode = WAL")
        finally:
            await connection.close()
        self._pooling = True

    async def close_connection_pool(self) -> None:
        self._pooling = False
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return EmbeddedSQLiteEngine(
            path=str(settings.sqlite_path), busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
    return PostgresEngine(config={"dsn": settings.database_url})


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of a fixed SQL text with ``{}`` placeholders, inside the current
    transaction if there is one. For the reads on every request (the session, a
    dossier): Piccolo builds a query's SQL anew each time, which costs 0.2 to 0.5 ms
    of CPU a query, more than the query itself. JSON columns come back as text."""
    rows = await active_engine().run_querystring(QueryString(sql, *args))
    return [dict(row) for row in rows]


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes: IMMEDIATE on SQLite, so a read-then-write never
    fails half-way with "database is locked". Nested calls join the outer one."""
    engine = active_engine()
    if engine.current_transaction.get() is not None:
        yield
        return
    if isinstance(engine, EmbeddedSQLiteEngine):
        async with engine.write_lock, engine.transaction(TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


async def _release_without_reset_query(connection: Any) -> None:
    """asyncpg's pool, on every release, first rolls back a transaction left open and
    drops listeners (always, before this), then by default sends ``SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``: a second round trip
    for every pooled query, a tenth of a search's CPU. This app keeps no session state
    on a connection (no session SET, advisory lock, LISTEN or WITH HOLD cursor; Piccolo
    neither), so that query is skipped. Code that adds session state must undo it."""


class Database:
    """Owns the process's engine: open and close it in the app's lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = build_engine(settings)

    async def open(self) -> None:
        _open_engines.append(self.engine)
        _bind_tables(self.engine)
        if isinstance(self.engine, PostgresEngine):
            await self.engine.start_connection_pool(
                min_size=self.settings.db_pool_min,
                max_size=self.settings.db_pool_max,
                reset=_release_without_reset_query,
            )
        else:
            await self.engine.start_connection_pool()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if not isinstance(self.engine, PostgresEngine) or self.engine.pool is not None:
            await self.engine.close_connection_pool()  # type: ignore[no-untyped-call]
        if self.engine in _open_engines:
            _open_engines.remove(self.engine)
        if _open_engines:
            _bind_tables(_open_engines[-1])

    async def ping(self) -> None:
        await self.engine.run_querystring(QueryString("SELECT 1"))

    async def migrate(self) -> list[str]:
        """Apply pending migrations of every domain; return the ids applied."""
        before = set(await self._applied())
        with contextlib.redirect_stdout(io.StringIO()) as output:
            result = await run_forwards(app_name="all")
        if not result.success:
            raise RuntimeError(f"migrations failed: {result.message or output.getvalue()}")
        return sorted(name for _app, name in set(await self._applied()) - before)

    async def pending_migrations(self) -> int:
        from piccolo.apps.migrations.commands.base import BaseMigrationManager

        manager = BaseMigrationManager()
        applied = set(await self._applied())
        # By app and ID: two apps' migrations may share an ID.
        known = {
            (app, migration.ID)
            for app in manager.get_sorted_app_names()
            for migration in manager.get_migration_modules(
                manager.get_app_config(app).resolved_migrations_folder_path
            ).values()
        }
        return len(known - applied)

    async def _applied(self) -> list[tuple[str, str]]:
        if not await Migration.table_exists():
            return []
        rows = await Migration.select(Migration.app_name, Migration.name)
        return [(row["app_name"], row["name"]) for row in rows]


def _all_tables() -> list[Any]:
    from piccolo.conf.apps import Finder

    tables: list[Any] = [Migration]
    for config in Finder().get_app_registry().app_configs.values():
        tables.extend(config.table_classes)
    return tables
