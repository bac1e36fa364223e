"""The app behind PgBouncer in transaction mode (issue 20): each transaction may run on
another server connection, so nothing may rest on the session (a prepared statement, a
SET, a session lock). With ``MOTCUA_DB_PGBOUNCER=true`` the migrations, many people
signing up, drafting and paying at once, and workers claiming the outbox with
``FOR UPDATE SKIP LOCKED`` all work, and the timeouts still hold in every transaction."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.catalogue.service import seed_demo
from backend.db import Database, fetch, write_transaction
from backend.db.engine import BoundedPostgresEngine
from backend.outbox import service as outbox
from backend.payments import service as payments
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser
from tests.conftest import PUBLIC_URL
from tests.payments.conftest import submitted_with_fees
from tests.payments.test_pages import Person, citizen
from tests.payments.test_service import IPN, notification
from tests.support import pgbouncer as bouncer
from tests.support.asgi import lifespan
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only"),
    pytest.mark.skipif(
        not bouncer.available(), reason="needs pgbouncer (apt-get install pgbouncer)"
    ),
]

PEOPLE = 12
STATEMENT_TIMEOUT_MS = 4000
_payments = itertools.count(1)


@pytest.fixture(scope="module")
async def pooled_url() -> AsyncIterator[str]:
    """A database of its own, reached only through PgBouncer (4 server connections)."""
    database_url = await fresh_postgres("pgbouncer")
    with bouncer.pgbouncer(database_url, pool_size=4) as url:
        yield url


@pytest.fixture(scope="module")
def pooled_settings(settings: Settings, pooled_url: str) -> Settings:
    return fast_settings(
        dataclasses.replace(
            settings,
            database_url=pooled_url,
            db_pgbouncer=True,
            db_pool_min=2,
            db_pool_max=10,
            db_statement_timeout_ms=STATEMENT_TIMEOUT_MS,
        )
    )


@pytest.fixture(scope="module")
async def pooled_app(pooled_settings: Settings) -> AsyncIterator[Litestar]:
    # Migrated and seeded through PgBouncer too.
    database = Database(pooled_settings)
    await database.open()
    try:
        assert await database.migrate()
        await seed_demo()
    finally:
        await database.close()
    app = create_app(pooled_settings)
    async with lifespan(app):
        yield app


async def test_without_the_setting_pgbouncer_refuses_the_session_settings(pooled_url: str) -> None:
    """What the setting is for: asyncpg's default start-up (the timeouts as session
    settings) is refused by PgBouncer before any query runs."""
    engine = BoundedPostgresEngine(
        pooled_url, connect_timeout_ms=3000, acquire_timeout_ms=3000, statement_timeout_ms=5000
    )
    with pytest.raises(asyncpg.ProtocolViolationError, match="unsupported startup parameter"):
        await engine.start_connection_pool(min_size=1, max_size=1)


async def test_the_timeouts_hold_in_every_transaction_and_stay_there(pooled_app: Litestar) -> None:
    async def inside() -> list[str]:
        async with write_transaction():
            rows = await fetch("SHOW statement_timeout")
            idle = await fetch("SHOW idle_in_transaction_session_timeout")
        return [rows[0]["statement_timeout"], idle[0]["idle_in_transaction_session_timeout"]]

    answers = await asyncio.gather(*(inside() for _ in range(20)))
    assert answers == [["4s", "10s"]] * 20
    # SET LOCAL ends with its transaction: the server connections, which other clients
    # of the pooler share, keep the server's own settings.
    outside = await asyncio.gather(*(fetch("SHOW statement_timeout") for _ in range(10)))
    assert {rows[0]["statement_timeout"] for rows in outside} == {"0"}


async def test_many_people_sign_up_draft_and_pay_at_once(
    pooled_app: Litestar, tmp_path: Path
) -> None:
    browsers: list[Browser] = []
    dossiers_runtime = pooled_app.state["dossiers"]
    payments_runtime = pooled_app.state["payments"]
    transport = httpx.ASGITransport(app=pooled_app, client=("203.0.113.50", 40000))
    gateway = httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL)

    async def one(n: int) -> tuple[Person, str]:
        person = await citizen(pooled_app, browsers, name=f"Trần Văn {n}")
        draft = await person.browser.post(
            "/api/dossiers", {"procedure_code": "2.001680", "draft_key": f"pgbouncer-draft-{n:06d}"}
        )
        assert draft.status_code == 201, draft.text
        dossier = await submitted_with_fees(dossiers_runtime, person.principal)
        ordered = await person.browser.post(
            "/api/payments/", {"dossier_ids": [dossier.id], "provider": "sandbox"}
        )
        assert ordered.status_code == 201, ordered.text
        reference = ordered.json()["reference"]
        made = await payments.get_payment(payments_runtime, person.principal, reference, "vi")
        paid = await gateway.get(
            IPN,
            params=notification(payments_runtime, made, transaction_no=f"{next(_payments):08d}"),
        )
        assert paid.json()["RspCode"] == "00", paid.text
        return person, reference

    try:
        done = await asyncio.gather(*(one(n) for n in range(PEOPLE)))
        for person, reference in done:
            shown = await payments.get_payment(payments_runtime, person.principal, reference, "vi")
            assert shown.status == "paid"
            mine = await person.browser.get("/api/dossiers")
            assert mine.status_code == 200, mine.text
        people = await fetch("SELECT count(*) AS n FROM accounts_account WHERE kind = 'citizen'")
        assert people[0]["n"] == PEOPLE
        settled = await fetch("SELECT count(*) AS n FROM payments_payment WHERE status = 'paid'")
        assert settled[0]["n"] == PEOPLE
    finally:
        await gateway.aclose()
        for browser in browsers:
            await browser.close()


async def test_workers_claim_each_outbox_message_once(pooled_app: Litestar) -> None:
    kind = outbox.consumer_kind("webhooks", "payment.settled")
    pending = await fetch("SELECT id FROM outbox_message WHERE kind = {} AND done_at IS NULL", kind)
    assert len(pending) >= PEOPLE, "every payment settled above left a message"
    claimed: list[int] = []

    async def worker() -> None:
        while True:
            async with write_transaction():
                batch = await outbox.claim([kind], limit=2)
                if not batch:
                    return
                # Held a moment, as a real consumer does while it sends: the others
                # skip these rows and take the next ones meanwhile.
                await asyncio.sleep(0.02)
                ids = [message["id"] for message in batch]
                await outbox.mark_done(ids, dt.datetime.now(dt.UTC))
            claimed.extend(ids)

    await asyncio.gather(*(worker() for _ in range(3)))
    assert sorted(claimed) == sorted(row["id"] for row in pending)
    left = await fetch(
        "SELECT count(*) AS n FROM outbox_message WHERE kind = {} AND done_at IS NULL", kind
    )
    assert left[0]["n"] == 0
