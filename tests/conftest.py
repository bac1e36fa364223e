from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.catalogue.service import seed_demo
from backend.db import Database
from backend.settings import Settings
from tests.support.asgi import client_for
from tests.support.databases import POSTGRES_URL, fresh_postgres

PUBLIC_URL = "http://localhost:8000"


def pytest_report_header() -> str:
    return f"database: {'postgresql' if POSTGRES_URL else 'sqlite'}"


async def make_settings(data_dir: Path, suffix: str, **extra: str) -> Settings:
    env = {
        "MOTCUA_DATA_DIR": str(data_dir),
        "MOTCUA_PUBLIC_URL": PUBLIC_URL,
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_DEMO": "true",
        # Tests run the notifications worker themselves, against a fake push service.
        "MOTCUA_WORKER_IN_PROCESS": "false",
        "MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK": "true",
        # Uploads are checked in threads of the test's own process: a pool of spawned
        # workers per app would cost every test a second of imports. The pool itself is
        # tested in tests/attachments/test_workers.py, and every `motcua serve` of the
        # browser and cluster tests runs one.
        "MOTCUA_IMAGE_WORKERS": "0",
        **extra,
    }
    if POSTGRES_URL:
        env["DATABASE_URL"] = await fresh_postgres(suffix)
    return Settings.from_env(env)


@pytest.fixture(scope="session")
async def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await make_settings(tmp_path_factory.mktemp("data"), "main")


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The session's database, migrated and loaded with the demo catalogue."""
    database = Database(settings)
    await database.open()
    await database.migrate()
    await seed_demo()
    yield database
    await database.close()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, PUBLIC_URL) as client:
        yield client
