"""PostgreSQL behind a TCP proxy that blackholes and resets (issue 15): requests answer
503 with Retry-After within the timeouts instead of hanging, and the app recovers by
itself once the network is back."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from backend.app import create_app
from backend.db import Database
from backend.settings import Settings
from tests.support.asgi import client_for
from tests.support.databases import POSTGRES_URL
from tests.support.faultproxy import FaultProxy
from tests.test_cli import cli_env, run

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only")

API = "/api/procedures?q=khai+sinh"
PAGE = "/thu-tuc?q=khai+sinh"


def through(settings: Settings, port: int) -> Settings:
    assert settings.database_url is not None
    parts = urlsplit(settings.database_url)
    return dataclasses.replace(
        settings,
        database_url=urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}")),
        db_connect_timeout_ms=300,
        db_acquire_timeout_ms=300,
        db_statement_timeout_ms=300,
        db_pool_min=1,
        db_pool_max=2,
    )


async def get(client: httpx.AsyncClient, path: str, **kwargs: Any) -> httpx.Response:
    # Not a time limit on the answer: a guard so that a request that hangs (as every
    # one did before the timeouts) fails the test instead of hanging the run.
    return await asyncio.wait_for(client.get(path, **kwargs), 60)


async def assert_away(client: httpx.AsyncClient) -> None:
    """An API request, a page in each language and /readyz: 503, come back later."""
    for _ in range(3):  # a pooled connection, then new ones, more than the pool holds
        response = await get(client, API)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == 503 and body["code"] == "database_unavailable"
        assert body["error"]["message_vi"].startswith("Hệ thống tạm thời không truy cập")
        assert body["error"]["message_en"].startswith("The service cannot reach its data")
    for lang, words in (("vi", "Dữ liệu bạn đã lưu vẫn còn nguyên"), ("en", "is safe")):
        page = await get(client, PAGE, headers={"accept-language": lang})
        assert page.status_code == 503
        assert page.headers["retry-after"] == "5"
        assert page.headers["content-type"].startswith("text/html")
        assert words in page.text
    ready = await get(client, "/readyz")
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert ready.json()["status"] == "database unavailable"


async def assert_back(client: httpx.AsyncClient) -> None:
    response = await get(client, API)
    assert response.status_code == 200, response.text
    assert response.json()["items"], "the search finds the demo procedure again"
    assert (await get(client, PAGE)).status_code == 200
    assert (await get(client, "/readyz")).status_code == 200


async def test_a_partition_and_a_reset_answer_503_and_the_app_recovers(
    settings: Settings, database: Database
) -> None:
    assert settings.database_url is not None
    upstream = urlsplit(settings.database_url)
    with FaultProxy(upstream.hostname or "127.0.0.1", upstream.port or 5432) as proxy:
        app = create_app(through(settings, proxy.port))
        async with client_for(app) as client:
            await assert_back(client)

            proxy.blackhole()
            await assert_away(client)
            proxy.forward()
            await assert_back(client)

            proxy.reset()
            await assert_away(client)
            proxy.forward()
            await assert_back(client)

            # A blackhole again after the recovery: the connections the pool opened
            # anew are given up too, not handed out for ever.
            proxy.blackhole()
            await assert_away(client)
            proxy.forward()
            await assert_back(client)


async def test_motcua_check_names_a_database_that_never_answers(
    settings: Settings, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    upstream = urlsplit(settings.database_url)
    with FaultProxy(upstream.hostname or "127.0.0.1", upstream.port or 5432) as proxy:
        proxy.blackhole()
        env = await cli_env(
            tmp_path,
            "cli_blackhole",
            DATABASE_URL=str(through(settings, proxy.port).database_url),
            MOTCUA_DB_CONNECT_TIMEOUT_MS="300",
        )
        result = await asyncio.to_thread(run, ["check"], env)
    assert result.returncode == 3, result.stderr
    assert "cannot reach the database (DATABASE_URL)" in result.stderr
    assert "Traceback" not in result.stderr
