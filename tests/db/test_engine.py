"""The data layer on the engine of this run (SQLite, or PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import asyncio

import pytest
from piccolo.columns import Integer, Varchar
from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.catalogue.tables import Agency, Procedure
from backend.db import Database, active_engine, write_transaction
from backend.db.engine import EmbeddedSQLiteEngine
from backend.settings import Settings
from tests.conftest import make_settings


class Counter(Table, tablename="test_counter"):
    name = Varchar(length=20, unique=True)
    value = Integer(default=0)


async def test_migrations_run_forwards_on_an_empty_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = await make_settings(tmp_path_factory.mktemp("empty"), "migrate")
    database = Database(settings)
    await database.open()
    try:
        assert await database.pending_migrations() > 0
        applied = await database.migrate()
        assert applied, "the first run applies every migration"
        assert await database.pending_migrations() == 0
        assert await Procedure.table_exists()
        assert await Agency.count() == 0
        assert await database.migrate() == [], "a second run applies nothing"
    finally:
        await database.close()


async def test_sqlite_connections_are_durable_and_patient(
    database: Database, settings: Settings
) -> None:
    engine = active_engine()
    if not isinstance(engine, EmbeddedSQLiteEngine):
        pytest.skip("SQLite only")
    rows = await engine.run_querystring(QueryString("PRAGMA journal_mode"))
    assert rows[0]["journal_mode"] == "wal"
    rows = await engine.run_querystring(QueryString("PRAGMA synchronous"))
    assert rows[0]["synchronous"] == 2  # FULL
    rows = await engine.run_querystring(QueryString("PRAGMA busy_timeout"))
    assert rows[0]["timeout"] == settings.sqlite_busy_timeout_ms
    async with write_transaction():
        rows = await engine.run_querystring(QueryString("PRAGMA synchronous"))
        assert rows[0]["synchronous"] == 2


async def test_concurrent_read_then_write_transactions_all_succeed(database: Database) -> None:
    """Fifty requests each read a counter and write it back: none fails with
    "database is locked" and no increment is lost."""
    await Counter.create_table(if_not_exists=True)
    await Counter.delete(force=True)
    await Counter.insert(Counter(name="visits", value=0))

    # PostgreSQL isolates with row locks rather than one writer at a time.
    lock = " FOR UPDATE" if active_engine().engine_type == "postgres" else ""

    async def increment() -> None:
        async with write_transaction():
            rows = await Counter.raw(f"SELECT value FROM test_counter WHERE name = 'visits'{lock}")
            await Counter.update({Counter.value: rows[0]["value"] + 1}).where(
                Counter.name == "visits"
            )

    try:
        await asyncio.gather(*(increment() for _ in range(50)))
        final = await Counter.select(Counter.value).where(Counter.name == "visits").first()
        assert final == {"value": 50}
    finally:
        await Counter.alter().drop_table(if_exists=True)


async def test_a_failed_transaction_leaves_nothing_behind(database: Database) -> None:
    await Counter.create_table(if_not_exists=True)
    try:

        async def fail_half_way() -> None:
            async with write_transaction():
                await Counter.insert(Counter(name="half", value=1))
                raise RuntimeError("stop half-way")

        with pytest.raises(RuntimeError):
            await fail_half_way()
        assert await Counter.count().where(Counter.name == "half") == 0
    finally:
        await Counter.alter().drop_table(if_exists=True)


async def test_nested_write_transactions_join_the_outer_one(database: Database) -> None:
    await Counter.create_table(if_not_exists=True)
    try:
        async with write_transaction():
            await Counter.insert(Counter(name="outer", value=1))
            async with write_transaction():
                await Counter.insert(Counter(name="inner", value=2))
        assert await Counter.count() == 2
    finally:
        await Counter.alter().drop_table(if_exists=True)


@pytest.mark.filterwarnings("ignore:.*Unable to connect to database")
async def test_ping_reports_an_unreachable_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path_factory.mktemp("unreachable")),
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing_test",
        }
    )
    database = Database(settings)
    with pytest.raises(OSError):
        await database.open()
    await database.close()
