"""SQLite locked by another process (a backup or an import holding a write transaction,
issue 15): reads go on, last-seen writes are put off, a write answers 503 with
Retry-After, and nothing saved is lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from litestar import Litestar

from backend.accounts.runtime import AccountsRuntime, utc_now
from backend.accounts.sessions import token_digest
from backend.accounts.tables import Passkey, Session
from backend.app import create_app
from backend.db import Database, active_engine
from backend.db.engine import EmbeddedSQLiteEngine
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, Clock, new_browser
from tests.support.asgi import lifespan
from tests.support.databases import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite only")

# Another process that takes SQLite's write lock and keeps it until its stdin closes.
_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""


@asynccontextmanager
async def locked_by_another_process(settings: Settings) -> AsyncIterator[None]:
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLDER,
        str(settings.sqlite_path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert await holder.stdout.readline() == b"locked\n"
        yield
    finally:
        holder.stdin.close()
        assert await holder.wait() == 0


@pytest.fixture
async def patient_app(settings: Settings, database: Database) -> AsyncIterator[Litestar]:
    """An app on the session's database whose writers wait 200 ms for the lock."""
    app = create_app(fast_settings(settings, sqlite_busy_timeout_ms=200))
    async with lifespan(app):
        yield app


async def signed_up(app: Litestar) -> Browser:
    browser = await new_browser(app)
    response = await browser.sign_up()
    assert response["account"]["id"]
    return browser


async def last_seen(browser: Browser) -> dt.datetime:
    assert browser.session is not None
    row = await Session.select(Session.last_seen_at).where(
        Session.token_hash == token_digest(browser.session)
    )
    value: dt.datetime = row[0]["last_seen_at"]
    return value


async def test_reads_go_on_while_another_process_holds_the_write_lock(
    patient_app: Litestar, settings: Settings
) -> None:
    runtime: AccountsRuntime = patient_app.state["accounts"]
    person = await signed_up(patient_app)
    clock = Clock(utc_now())
    runtime.now = clock
    try:
        before = await last_seen(person)
        clock.advance(minutes=5)  # the last-seen time is due to be written
        async with locked_by_another_process(settings):
            response = await person.get("/api/account/")
            assert response.status_code == 200, response.text
            assert (await person.get("/tai-khoan/thiet-bi")).status_code == 200
            assert await last_seen(person) == before, "put off, not waited for"
        assert (await person.get("/api/account/")).status_code == 200
        assert await last_seen(person) == clock.now, "written once the lock is free"
    finally:
        runtime.now = utc_now
        await person.close()


async def test_a_write_that_cannot_get_the_lock_answers_503_and_loses_nothing(
    patient_app: Litestar, settings: Settings
) -> None:
    person = await signed_up(patient_app)
    passkey = (await person.get("/api/account/passkeys")).json()[0]
    name_before = passkey["name"]
    token = {"_csrf_token": person.client.cookies["csrftoken"]}
    try:
        async with locked_by_another_process(settings):
            response = await person.patch(
                f"/api/account/passkeys/{passkey['id']}", {"name": "Điện thoại mới"}
            )
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "5"
            body = response.json()
            assert body["code"] == "database_unavailable"
            assert body["error"]["message_vi"] and body["error"]["message_en"]
            # A page's form: the error page, not the form shown again as if it were wrong.
            for lang, words in (("vi", "thử lại sau vài giây"), ("en", "in a few seconds")):
                page = await person.client.post(
                    f"/tai-khoan/thiet-bi/khoa/{passkey['id']}/doi-ten",
                    data={**token, "name": "Điện thoại mới"},
                    headers={"accept-language": lang},
                )
                assert page.status_code == 503
                assert page.headers["retry-after"] == "5"
                assert words in page.text
        stored = await Passkey.select(Passkey.name).where(Passkey.id == passkey["id"])
        assert stored[0]["name"] == name_before
        again = await person.patch(
            f"/api/account/passkeys/{passkey['id']}", {"name": "Điện thoại mới"}
        )
        assert again.status_code == 200, again.text
        assert again.json()["name"] == "Điện thoại mới"
    finally:
        await person.close()


async def test_writers_queued_in_the_process_give_up_after_the_busy_timeout(
    patient_app: Litestar,
) -> None:
    """Behind a writer that holds the in-process lock, the next one answers 503 once
    the busy timeout has passed rather than waiting for as long as the first takes."""
    person = await signed_up(patient_app)
    passkey = (await person.get("/api/account/passkeys")).json()[0]
    engine = active_engine()
    assert isinstance(engine, EmbeddedSQLiteEngine)
    try:
        async with engine.write_lock:
            # Not a time limit on the answer: a guard so that a queue that never gives
            # up fails the test instead of hanging the run.
            response = await asyncio.wait_for(
                person.patch(f"/api/account/passkeys/{passkey['id']}", {"name": "Máy B"}), 60
            )
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
    finally:
        await person.close()
