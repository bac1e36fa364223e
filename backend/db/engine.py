"""Engine set-up, transactions and migrations for both databases."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import aiosqlite
import asyncpg  # type: ignore[import-untyped]
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
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


# What a client is told to wait (Retry-After) while the database is away: a stalled
# connection is given up within seconds, and a network blip, a restart or a backup's
# lock usually passes in a few.
RETRY_AFTER_S = 5


class DatabaseUnavailable(Exception):
    """The database did not answer in time (a partition, a restart, a lock another
    process holds): nothing was written, the request may be tried again. Not an
    ``AppError``: a page that shows a refused form again must not show this as a
    mistake in the form; ``backend.web.errors`` answers 503 with Retry-After."""

    retry_after = RETRY_AFTER_S


def _busy(error: BaseException) -> bool:
    """SQLite's "database is locked": another connection holds the write lock."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    return isinstance(error, sqlite3.OperationalError) and code in {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    }


class _SQLiteTransaction(SQLiteTransaction):
    """A write transaction (IMMEDIATE or EXCLUSIVE) runs on the engine's one writer
    connection, with its write lock held from BEGIN to the end; a DEFERRED one (a
    migration) on a connection of its own, as Piccolo does."""

    engine: EmbeddedSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self._on_writer = self.transaction_type is not TransactionType.deferred
        if self._on_writer:
            self.connection = await self.engine.begin_on_writer(self.transaction_type)
        else:
            self.connection = await self.engine.get_connection()
            try:
                await self.begin()  # type: ignore[no-untyped-call]
            except BaseException as error:
                # Piccolo would leave the connection (and its thread) open.
                await self.connection.close()
                if _busy(error):
                    raise DatabaseUnavailable("the SQLite write lock is held elsewhere") from error
                raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def commit(self) -> None:
        try:
            await super().commit()  # type: ignore[no-untyped-call]
        except sqlite3.OperationalError as error:
            if _busy(error):
                raise DatabaseUnavailable("SQLite did not commit in time") from error
            raise

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is None:
                if not self._committed and not self._rolled_back:
                    await self.commit()
            elif not self._on_writer and not self._rolled_back:
                await self.rollback()  # type: ignore[no-untyped-call]
        finally:
            self.engine.current_transaction.reset(self.context)
            if self._on_writer:
                # Rolls back whatever is left open (a failure, a cancellation).
                await self.engine.release_writer(self.connection, ended=self._committed)
            else:
                await self.connection.close()
        return exception is None


class EmbeddedSQLiteEngine(SQLiteEngine):
    """SQLite for the embedded default.

    Piccolo opens a new connection (and thread) for every query and every
    transaction and sets no durability pragmas. Here every connection gets
    ``synchronous=FULL`` (an acknowledged write survives a power cut), a busy
    timeout and foreign keys. Write transactions all run on one connection kept
    open for the engine's life, one after another behind ``write_lock`` (SQLite
    lets one writer in at a time anyway: queueing in the process is fairer and
    cheaper than each writer polling the file lock, and a transaction no longer
    pays a thread, three pragmas and a parse of the schema). Autocommit queries
    (the reads) share a pool of ``pool_size`` connections beside it, which WAL
    lets read while the writer writes. Other processes (a worker, a CLI command, a
    backup) still take the file's lock, and the busy timeout bounds the wait for it.
    """

    def __init__(self, path: str, busy_timeout_ms: int, pool_size: int = 4) -> None:
        super().__init__(path=path, timeout=busy_timeout_ms / 1000)
        self.busy_timeout_ms = busy_timeout_ms
        self.pool_size = pool_size
        self._idle: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(pool_size)
        # Only an open engine keeps connections: a query that comes after close
        # (a late task at shutdown) must not leave a connection thread behind.
        self._pooling = False
        # Writers queue here, in order, instead of spinning on SQLite's busy handler.
        self.write_lock = asyncio.Lock()
        # The connection of every write transaction, opened when first needed
        # (again after it broke), only ever used with ``write_lock`` held.
        self._writer: aiosqlite.Connection | None = None
        # The connection of ``write_unless_busy``: it never waits for the lock.
        self._impatient: aiosqlite.Connection | None = None

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

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        try:
            return await super().run_querystring(querystring, in_pool)
        except sqlite3.OperationalError as error:
            if _busy(error):
                raise DatabaseUnavailable("the SQLite write lock is held elsewhere") from error
            raise

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        try:
            return await super().run_ddl(ddl, in_pool)
        except sqlite3.OperationalError as error:
            if _busy(error):
                raise DatabaseUnavailable("the SQLite write lock is held elsewhere") from error
            raise

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _SQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def _wait_for_write_lock(self) -> None:
        """The in-process write lock, waited for no longer than the busy timeout: behind
        a writer stuck on another process's lock (a backup), the queue answers 503 in
        seconds instead of each writer waiting out the timeout in turn."""
        try:
            async with asyncio.timeout(self.busy_timeout_ms / 1000):
                await self.write_lock.acquire()
        except TimeoutError:
            raise DatabaseUnavailable("the queue of writers did not move") from None

    async def begin_on_writer(self, transaction_type: TransactionType) -> aiosqlite.Connection:
        """The writer connection inside a new transaction, the write lock held until
        ``release_writer``. A connection that broke (closed, an I/O error) is replaced
        once: nothing has been done in the transaction yet."""
        await self._wait_for_write_lock()
        try:
            for attempt in range(2):
                if self._writer is None:
                    self._writer = await self.get_connection()
                try:
                    await self._writer.execute_fetchall(f"BEGIN {transaction_type.value}")
                    return self._writer
                except Exception as error:
                    if _busy(error):
                        raise DatabaseUnavailable(
                            "the SQLite write lock is held elsewhere"
                        ) from error
                    if attempt:
                        raise
                    await self._drop_writer()
            raise AssertionError("unreachable")
        except BaseException:
            # Even a cancelled BEGIN may still run on the connection's thread.
            await self.release_writer(self._writer)
            raise

    async def release_writer(
        self, connection: aiosqlite.Connection | None, *, ended: bool = False
    ) -> None:
        """End whatever transaction is left open on the writer (none if ``ended``: it
        committed) and let the next one in.
        aiosqlite runs a connection's calls in order on its thread, so the rollback
        comes after a statement still running there for a cancelled task, and before
        anything the next writer sends: the lock may be let go at once even if this
        task is cancelled again while it waits."""
        try:
            if connection is not None:
                try:
                    if not ended:
                        # sqlite3's rollback() does nothing outside a transaction.
                        await connection.rollback()
                except Exception:
                    await self._drop_writer()
                if not self._pooling:
                    await self._drop_writer()
        finally:
            self.write_lock.release()

    async def _drop_writer(self) -> None:
        connection, self._writer = self._writer, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict[str, Any]]:
        """A statement inside a transaction, in one hop to the connection's thread.
        Piccolo's sends ``PRAGMA foreign_keys`` first each time (a no-op in a
        transaction; every connection here has it on) and opens, fetches and closes
        a cursor: four hops, with the write lock held."""
        if query_type == "insert" and self.get_version_sync() < 3.35:
            rows = await super()._run_in_existing_connection(
                connection, query, args, query_type, table
            )
            return cast(list[dict[str, Any]], rows)
        return cast(
            list[dict[str, Any]], list(await connection.execute_fetchall(query, args or []))
        )

    async def write_unless_busy(self, querystring: QueryString) -> bool:
        """Run one autocommit write only if the lock is free at once; False if not."""
        if self.write_lock.locked():
            return False
        query, args = querystring.compile_string(engine_type=self.engine_type)
        async with self.write_lock:
            if self._impatient is None:
                connection = await self.get_connection()
                await connection.execute_fetchall("PRAGMA busy_timeout = 0")
                self._impatient = connection
            connection = self._impatient
            try:
                await connection.execute_fetchall(query, args)
            except sqlite3.OperationalError as error:
                if _busy(error):
                    return False
                await self._drop_impatient()
                raise
            except BaseException:
                await self._drop_impatient()
                raise
            if not self._pooling:
                await self._drop_impatient()
        return True

    async def _drop_impatient(self) -> None:
        connection, self._impatient = self._impatient, None
        if connection is not None:
            await connection.close()

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
        # After the transaction under way, if it ends within the busy timeout (the
        # transaction's own release closes the writer then, as the pool is off).
        with contextlib.suppress(DatabaseUnavailable):
            await self._wait_for_write_lock()
            try:
                await self._drop_writer()
                await self._drop_impatient()
            finally:
                self.write_lock.release()


# Errors that mean the PostgreSQL server is away or overwhelmed, not that the query
# is wrong: the request answers 503. A statement cancelled at ``statement_timeout``
# (QueryCanceledError) is an OperatorInterventionError, as are a shutdown and a
# server still starting; too many connections is an InsufficientResourcesError.
_AWAY: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


def _cut(error: BaseException) -> bool:
    """Whether a connection that raised this may be stuck mid-way through the protocol
    (a timeout, a cut, a cancellation): it is dropped, neither reused nor rolled back
    (a ROLLBACK sent into a partition would wait out another timeout; the server rolls
    back the transaction of a connection that ends)."""
    if isinstance(error, DatabaseUnavailable) and error.__cause__ is not None:
        error = error.__cause__
    return isinstance(
        error, (OSError, TimeoutError, asyncio.CancelledError, asyncpg.InterfaceError)
    )


class _BoundedTransaction(PostgresTransaction):
    """Piccolo's transaction, with a bounded wait for a connection and a connection
    that failed mid-way dropped: Piccolo never gives the connection back to the pool
    when BEGIN or ROLLBACK fails, so each partition would leak one until none is left."""

    engine: BoundedPostgresEngine

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        try:
            self.connection = await self.engine.acquire()
        except _AWAY as error:
            raise DatabaseUnavailable("no PostgreSQL connection in time") from error
        try:
            self.transaction = self.connection.transaction()
            await self.begin()  # type: ignore[no-untyped-call]
            if self.engine.per_transaction_settings:
                await self.connection.execute(self.engine.per_transaction_settings)
        except BaseException as error:
            await self.engine.release(self.connection, cut=True)
            if isinstance(error, _AWAY):
                raise DatabaseUnavailable("PostgreSQL did not begin a transaction") from error
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        cut = exception is not None and _cut(exception)
        try:
            if exception is None:
                if not self._committed and not self._rolled_back:
                    await self.commit()  # type: ignore[no-untyped-call]
            elif not cut and not self._rolled_back:
                await self.rollback()  # type: ignore[no-untyped-call]
        except BaseException as error:
            cut = cut or _cut(error)
            if isinstance(error, _AWAY):
                raise DatabaseUnavailable("PostgreSQL did not end a transaction") from error
            raise
        finally:
            await self.engine.release(self.connection, cut=cut)
            self.engine.current_transaction.reset(self.context)
        return exception is None


class BoundedPostgresEngine(PostgresEngine):
    """PostgreSQL on which no request waits longer than a few seconds.

    Piccolo's engine waits for ever: for a connection from the pool, to connect, for
    an answer. Here connecting is bounded by ``timeout``; a statement by the server's
    ``statement_timeout`` and, should the server not answer at all (a partition), by
    asyncpg's ``command_timeout`` a second later; the wait for a pooled connection by
    ``acquire_timeout``. A connection that timed out is dropped from the pool (a
    blackholed one would otherwise be handed out again and again), and a failure of
    the connection raises ``DatabaseUnavailable``. A new connection is opened when the
    pool next needs one, so the app recovers by itself once the server is back.
    """

    def __init__(
        self,
        dsn: str,
        *,
        connect_timeout_ms: int,
        acquire_timeout_ms: int,
        statement_timeout_ms: int,
        pgbouncer: bool = False,
    ) -> None:
        timeouts = {
            "statement_timeout": str(statement_timeout_ms),
            # A transaction whose client vanished in a partition would keep its
            # row locks until TCP keepalive notices (two hours by default).
            "idle_in_transaction_session_timeout": str(max(10_000, 2 * statement_timeout_ms)),
        }
        config: dict[str, Any] = {
            "dsn": dsn,
            "timeout": connect_timeout_ms / 1000,
            "command_timeout": statement_timeout_ms / 1000 + 1,
            **pooler_safe(pgbouncer),
        }
        if not pgbouncer:
            config["server_settings"] = timeouts
        super().__init__(config=config)
        # Behind a transaction pooler a session setting would stay on the server
        # connection of whichever client sent it (and PgBouncer refuses them at start-up):
        # each transaction sets its own with SET LOCAL, in one more round trip. A
        # statement outside a transaction has the server's own (set it on the role:
        # infra/RUNBOOK.md) and asyncpg's ``command_timeout``, which cancels it.
        self.per_transaction_settings = (
            "; ".join(f"SET LOCAL {name} = {value}" for name, value in timeouts.items())
            if pgbouncer
            else ""
        )
        self.acquire_timeout = acquire_timeout_ms / 1000

    async def acquire(self) -> Any:
        if self.pool is None:
            return await self.get_new_connection()
        return await self.pool.acquire(timeout=self.acquire_timeout)

    async def release(self, connection: Any, *, cut: bool) -> None:
        if cut:
            connection.terminate()
        if self.pool is not None:
            # Bounded by the acquire timeout, which the pool keeps with the connection.
            await self.pool.release(connection)
        elif not cut:
            await connection.close(timeout=self.acquire_timeout)

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        connection = await self.acquire()
        cut = False
        try:
            return await connection.fetch(query, *(args or []))
        except BaseException as error:
            cut = _cut(error)
            raise
        finally:
            await self.release(connection, cut=cut)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        try:
            return await super().run_querystring(querystring, in_pool)
        except _AWAY as error:
            raise DatabaseUnavailable("PostgreSQL did not answer in time") from error

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        try:
            return await super().run_ddl(ddl, in_pool)
        except _AWAY as error:
            raise DatabaseUnavailable("PostgreSQL did not answer in time") from error

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _BoundedTransaction(engine=self, allow_nested=allow_nested)


def pooler_safe(pgbouncer: bool) -> dict[str, Any]:
    """asyncpg's connection options behind PgBouncer in transaction mode: no cache of
    named prepared statements. A statement prepared on one server connection is gone
    (or already there) when the next transaction runs on another, failing with
    "prepared statement does not exist"; unnamed ones are parsed and run together.
    Off by default: the cache saves a parse and a plan on every query."""
    return {"statement_cache_size": 0} if pgbouncer else {}


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return EmbeddedSQLiteEngine(
            path=str(settings.sqlite_path), busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
    return BoundedPostgresEngine(
        settings.database_url,
        connect_timeout_ms=settings.db_connect_timeout_ms,
        acquire_timeout_ms=settings.db_acquire_timeout_ms,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        pgbouncer=settings.db_pgbouncer,
    )


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of a fixed SQL text with ``{}`` placeholders, inside the current
    transaction if there is one. For the reads on every request (the session, a
    dossier): Piccolo builds a query's SQL anew each time, which costs 0.2 to 0.5 ms
    of CPU a query, more than the query itself. JSON columns come back as text."""
    rows = await active_engine().run_querystring(QueryString(sql, *args))
    return [dict(row) for row in rows]


async def write_unless_busy(sql: str, *args: Any) -> bool:
    """One small write worth making only if it costs no wait (a session's last-seen
    time), in ``fetch``'s form. On SQLite it is skipped, returning False, while another
    writer holds the lock (a backup, an import, a queue of writers): reading a page
    must not queue behind them. On PostgreSQL, or inside a transaction, it is a plain
    statement."""
    engine = active_engine()
    if isinstance(engine, EmbeddedSQLiteEngine) and engine.current_transaction.get() is None:
        return await engine.write_unless_busy(QueryString(sql, *args))
    await engine.run_querystring(QueryString(sql, *args))
    return True


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes: IMMEDIATE on SQLite, so a read-then-write never
    fails half-way with "database is locked". Nested calls join the outer one."""
    engine = active_engine()
    if engine.current_transaction.get() is not None:
        yield
        return
    if isinstance(engine, EmbeddedSQLiteEngine):
        # On the writer connection, behind the engine's write lock.
        async with engine.transaction(TransactionType.immediate):
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
        async with self._migrating():
            before = set(await self._applied())
            with contextlib.redirect_stdout(io.StringIO()) as output:
                result = await run_forwards(app_name="all")
            if not result.success:
                raise RuntimeError(f"migrations failed: {result.message or output.getvalue()}")
            return sorted(name for _app, name in set(await self._applied()) - before)

    @contextlib.asynccontextmanager
    async def _migrating(self) -> AsyncIterator[None]:
        """On PostgreSQL, migrations run on connections of their own without the
        requests' statement timeout: building an index of a large table takes longer."""
        if not isinstance(self.engine, BoundedPostgresEngine):
            yield
            return
        engine = PostgresEngine(
            config={
                "dsn": self.settings.database_url,
                "timeout": self.engine.config["timeout"],
                **pooler_safe(self.settings.db_pgbouncer),
            }
        )
        _open_engines.append(engine)
        _bind_tables(engine)
        try:
            yield
        finally:
            _open_engines.remove(engine)
            if _open_engines:
                _bind_tables(_open_engines[-1])

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
