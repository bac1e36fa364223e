"""SQLite's one writer connection (issue 21): every write transaction of a process runs
on one long-lived connection, one after another in the order they asked; a failure, a
cancellation or a broken connection leaves it ready for the next, and readers beside it
see what was committed while a write is under way."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from backend.db import Database, DatabaseUnavailable, active_engine, fetch, write_transaction
from backend.db.engine import EmbeddedSQLiteEngine
from tests.conftest import make_settings
from tests.db.test_sqlite_lock import locked_by_another_process
from tests.support.databases import POSTGRES_URL

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_URL), reason="SQLite only: PostgreSQL has a pool of writers and row locks"
)


class Opened:
    """The connections an engine opened, in order: all, and those for writing (opened
    with the write lock held; the readers' are opened without it)."""

    def __init__(self, engine: EmbeddedSQLiteEngine) -> None:
        self.connections: list[aiosqlite.Connection] = []
        self.writers: list[aiosqlite.Connection] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        opener = engine.get_connection

        async def counted() -> aiosqlite.Connection:
            connection = await opener()
            # A statement that waits on the connection's own thread until the test
            # opens the gate: "SELECT pause()" is a statement still running there.
            await connection.create_function("pause", 0, self._pause)
            self.connections.append(connection)
            if engine.write_lock.locked():
                self.writers.append(connection)
            return connection

        engine.get_connection = counted  # type: ignore[method-assign]

    def _pause(self) -> int:
        self.started.set()
        self.gate.wait(60)
        return 1


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[EmbeddedSQLiteEngine]:
    """A database of its own, with two tables, its engine the active one."""
    database = Database(
        await make_settings(tmp_path, "writer", MOTCUA_SQLITE_BUSY_TIMEOUT_MS="300")
    )
    await database.open()
    engine = active_engine()
    assert isinstance(engine, EmbeddedSQLiteEngine)
    await engine.run_ddl("CREATE TABLE visit (id INTEGER PRIMARY KEY, n INTEGER UNIQUE)")
    await engine.run_ddl(
        "CREATE TABLE note (id INTEGER PRIMARY KEY, visit INTEGER NOT NULL REFERENCES visit(id))"
    )
    try:
        yield engine
    finally:
        await database.close()


async def numbers() -> list[int]:
    return [row["n"] for row in await fetch("SELECT n FROM visit ORDER BY id")]


async def add(n: int) -> None:
    await fetch("INSERT INTO visit (n) VALUES ({})", n)


def file_write_lock_is_free(engine: EmbeddedSQLiteEngine) -> bool:
    """Whether another process could take the write lock at once: no connection of
    this one has a write transaction open."""
    other = sqlite3.connect(engine.path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def writer_of_current_transaction(engine: EmbeddedSQLiteEngine) -> aiosqlite.Connection:
    transaction = engine.current_transaction.get()
    assert transaction is not None
    connection: aiosqlite.Connection = transaction.connection
    return connection


async def test_concurrent_write_transactions_all_commit_in_order_on_one_connection(
    engine: EmbeddedSQLiteEngine,
) -> None:
    opened = Opened(engine)
    used: list[aiosqlite.Connection] = []

    async def next_visit(turn: int) -> None:
        async with write_transaction():
            used.append(writer_of_current_transaction(engine))
            # Read, then write what was read: no "database is locked" half-way.
            rows = await fetch("SELECT count(*) AS c FROM visit")
            assert rows[0]["c"] == turn, "the transactions run one after another, in order"
            await add(turn)

    await asyncio.gather(*(next_visit(turn) for turn in range(60)))

    assert len(opened.connections) == 1, "one connection for sixty write transactions"
    assert opened.writers == opened.connections
    assert all(connection is opened.writers[0] for connection in used)
    assert await numbers() == list(range(60))
    assert file_write_lock_is_free(engine)


async def test_a_failed_transaction_rolls_back_and_the_next_one_commits(
    engine: EmbeddedSQLiteEngine,
) -> None:
    opened = Opened(engine)
    async with write_transaction():
        await add(1)

    async def fail_half_way() -> None:
        async with write_transaction():
            await add(2)
            raise RuntimeError("stop half-way")

    async def add_again() -> None:
        async with write_transaction():
            await add(3)
            await add(1)

    async def note_of_no_visit() -> None:
        async with write_transaction():
            await add(4)
            await fetch("INSERT INTO note (visit) VALUES ({})", 999)

    with pytest.raises(RuntimeError, match="half-way"):
        await fail_half_way()
    # The database refuses a statement: a duplicate, then a note of no visit.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await add_again()
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await note_of_no_visit()
    assert file_write_lock_is_free(engine)

    async with write_transaction():
        await add(5)
    assert await numbers() == [1, 5]
    assert len(opened.writers) == 1, "the same connection after three failures"


async def test_a_savepoint_rolls_back_part_of_a_transaction_and_nested_ones_join(
    engine: EmbeddedSQLiteEngine,
) -> None:
    async with write_transaction():
        await add(1)
        transaction = engine.current_transaction.get()
        assert transaction is not None
        savepoint = await transaction.savepoint()
        await add(2)
        await savepoint.rollback_to()
        async with write_transaction():  # joins the outer one
            await add(3)
            async with engine.transaction():
                await add(4)
    assert await numbers() == [1, 3, 4]


async def test_a_transaction_cancelled_while_waiting_leaves_no_transaction_open(
    engine: EmbeddedSQLiteEngine,
) -> None:
    opened = Opened(engine)
    inside = asyncio.Event()

    async def request() -> None:
        async with write_transaction():
            await add(1)
            inside.set()
            await asyncio.Event().wait()  # a client that went away, a timeout

    task = asyncio.create_task(request())
    await inside.wait()
    assert not file_write_lock_is_free(engine), "the transaction holds the file's lock"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert file_write_lock_is_free(engine)
    assert await numbers() == []
    async with write_transaction():
        await add(2)
    assert await numbers() == [2]
    assert len(opened.writers) == 1


async def test_a_transaction_cancelled_mid_statement_is_rolled_back_before_the_next(
    engine: EmbeddedSQLiteEngine,
) -> None:
    """Cancelled (twice) while its statement still runs on the connection's thread:
    the next writer, already queued, finds no transaction of the cancelled one."""
    opened = Opened(engine)
    async with write_transaction():
        await add(0)  # the connection exists, with its pause()
    opened.gate.clear()

    async def request() -> None:
        async with write_transaction():
            await add(1)
            await fetch("SELECT pause()")

    task = asyncio.create_task(request())
    await asyncio.to_thread(opened.started.wait, 60)
    task.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    task.cancel()  # again, while its rollback waits for the statement
    following = asyncio.create_task(asyncio.wait_for(add_in_transaction(2), 60))
    for _ in range(5):
        await asyncio.sleep(0)
    opened.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    await following

    assert await numbers() == [0, 2]
    assert file_write_lock_is_free(engine)
    assert len(opened.writers) == 1


async def add_in_transaction(n: int) -> None:
    async with write_transaction():
        await add(n)


async def test_a_broken_writer_connection_is_replaced(engine: EmbeddedSQLiteEngine) -> None:
    opened = Opened(engine)
    async with write_transaction():
        await add(1)
        writer = writer_of_current_transaction(engine)
    await writer.close()  # the connection went away between two transactions

    async with write_transaction():
        await add(2)
        assert writer_of_current_transaction(engine) is not writer
    assert await numbers() == [1, 2]
    assert len(opened.writers) == 2


async def test_another_processs_write_lock_gives_database_unavailable_then_writes_go_on(
    engine: EmbeddedSQLiteEngine, tmp_path: Path
) -> None:
    settings = await make_settings(tmp_path, "writer")
    async with locked_by_another_process(settings):
        with pytest.raises(DatabaseUnavailable):
            await add_in_transaction(1)
        # The writers queued behind it give up too, rather than each wait in turn.
        results = await asyncio.gather(
            *(add_in_transaction(n) for n in range(2, 5)), return_exceptions=True
        )
        assert all(isinstance(result, DatabaseUnavailable) for result in results), results
    await add_in_transaction(5)
    assert await numbers() == [5]


async def test_readers_see_what_is_committed_while_a_write_is_under_way(
    engine: EmbeddedSQLiteEngine,
) -> None:
    await add_in_transaction(1)
    written = asyncio.Event()
    finish = asyncio.Event()

    async def slow_write() -> None:
        async with write_transaction():
            await add(2)
            written.set()
            await finish.wait()

    task = asyncio.create_task(slow_write())
    await written.wait()
    try:
        # Several at once, on the readers' connections beside the writer's.
        reads: list[Any] = await asyncio.gather(*(numbers() for _ in range(8)))
        assert reads == [[1]] * 8
    finally:
        finish.set()
        await task
    assert await numbers() == [1, 2]


async def test_after_close_no_connection_is_left_open(tmp_path: Path) -> None:
    database = Database(await make_settings(tmp_path, "writer"))
    await database.open()
    engine = active_engine()
    assert isinstance(engine, EmbeddedSQLiteEngine)
    opened = Opened(engine)
    await engine.run_ddl("CREATE TABLE visit (id INTEGER PRIMARY KEY, n INTEGER UNIQUE)")
    await add_in_transaction(1)
    await numbers()
    await database.close()
    assert len(opened.writers) == 1 and len(opened.connections) == 2
    for connection in opened.connections:
        with pytest.raises(ValueError, match="no active connection"):
            await connection.execute("SELECT 1")
