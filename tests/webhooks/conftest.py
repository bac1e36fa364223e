"""Fixtures of the webhooks tests: an app whose webhooks may go to plain-http loopback
addresses with short timeouts, a controllable clock, staff signed in through real
sessions, and a clean slate of subscriptions (the outbox's earlier copies dispatched
to nobody) before each test."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.tables import Account
from backend.app import create_app
from backend.clock import utc_now
from backend.db import Database, write_transaction
from backend.outbox import service as outbox
from backend.settings import Settings, WebhookSettings
from backend.webhooks import service
from backend.webhooks.runtime import WebhooksRuntime, system_resolver
from backend.webhooks.tables import Delivery, SigningKey, Subscription
from backend.webhooks.worker import WebhookDeliveries
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Clock
from tests.conftest import PUBLIC_URL
from tests.support.asgi import lifespan

A = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành
B = "000.04.40.H56"  # Công an phường Hạc Thành
CENTRE = "000.00.01.H56"
_numbers = itertools.count(1)
# Dossier ids of made-up events: far from the ids real dossiers of other tests get.
_dossiers = itertools.count(9_000_000)


def test_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        fast_settings(settings),
        webhooks=WebhookSettings(timeout_s=2, lease_s=6, allow_http_loopback=True),
    )


@pytest.fixture(scope="session")
async def webhooks_app(settings: Settings, database: Database) -> AsyncIterator[Litestar]:
    app = create_app(test_settings(settings))
    async with lifespan(app):
        yield app


@pytest.fixture
async def hooks(webhooks_app: Litestar) -> AsyncIterator[WebhooksRuntime]:
    runtime: WebhooksRuntime = webhooks_app.state["webhooks"]
    await _clean(runtime)
    yield runtime
    runtime.now = utc_now
    runtime.resolve = system_resolver
    runtime.allow_http_loopback = True
    await _clean(runtime)


async def _clean(runtime: WebhooksRuntime) -> None:
    async with write_transaction():
        await Delivery.delete(force=True)
        await SigningKey.delete(force=True)
        await Subscription.delete(force=True)
    while await service.dispatch(runtime):
        continue


@pytest.fixture
def clock(hooks: WebhooksRuntime) -> Iterator[Clock]:
    clock = Clock(utc_now())
    hooks.now = clock
    yield clock
    hooks.now = utc_now


Staff = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def staff(webhooks_app: Litestar) -> AsyncIterator[Staff]:
    """A client signed in as someone: ("catalogue", CENTRE), ("admin", A), ("citizen",),
    or ("anonymous",)."""
    opened: list[httpx.AsyncClient] = []

    async def make(role: str, agency: str | None = None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=webhooks_app), base_url=PUBLIC_URL
        )
        opened.append(client)
        if role != "anonymous":
            citizen = role == "citizen"
            rows = await Account.insert(
                Account(
                    kind="citizen" if citizen else "staff",
                    full_name=f"Thử {role} {next(_numbers)}",
                    user_handle=f"webhooks-{role}-{next(_numbers)}-{dt.datetime.now().timestamp()}",
                    role=None if citizen else role,
                    agency_code=None if citizen else agency,
                    created_at=utc_now(),
                )
            ).returning(Account.id)
            token = await sessions.start(webhooks_app.state["accounts"], rows[0]["id"], "test")
            client.cookies.set(webhooks_app.state["accounts"].cookie_name, token)
        await client.get("/dang-nhap")  # a form's page: it gives the CSRF cookie
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        return client

    yield make
    for client in opened:
        await client.aclose()


async def subscribe(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/webhooks/subscriptions", json=fields)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def new_dossier() -> int:
    return next(_dossiers)


async def dossier_event(
    dossier_id: int,
    number: int,
    *,
    action: str = "submit",
    from_status: str = "submitted",
    to_status: str = "processing",
    agency: str = A,
    now: dt.datetime | None = None,
) -> None:
    """A dossier's history line as ``dossiers`` writes it to the outbox."""
    at = now or utc_now()
    async with write_transaction():
        await outbox.enqueue(
            event_key=f"dossier:{dossier_id}:changed:{number}",
            kind="dossier.changed",
            subject=f"dossier:{dossier_id}",
            account_ids=[],
            payload={
                "event_id": number,
                "dossier_id": dossier_id,
                "code": f"H56.99-{dossier_id}",
                "action": action,
                "from_status": from_status,
                "to_status": to_status,
                "at": at.isoformat(),
                "agency_code": agency,
                "procedure_code": "2.001680",
                "receiving_agency": agency,
            },
            now=at,
        )


async def payment_event(payment_id: int, agency: str = A) -> None:
    now = utc_now()
    async with write_transaction():
        await outbox.enqueue(
            event_key=f"payment:{payment_id}:settled:{payment_id}",
            kind="payment.settled",
            subject=f"payment:{payment_id}",
            account_ids=[],
            payload={
                "payment_id": payment_id,
                "reference": f"MC{payment_id}",
                "amount": 50_000,
                "dossier_codes": [f"H56.99-{payment_id}"],
                "agency_code": agency,
                "settled_at": now.isoformat(),
            },
            now=now,
        )


async def run_round(runtime: WebhooksRuntime) -> int:
    """One round of the worker's webhooks job, as ``motcua worker`` runs it."""
    async with WebhookDeliveries(runtime) as job:
        return await job()


async def drain(runtime: WebhooksRuntime) -> None:
    async with WebhookDeliveries(runtime) as job:
        while await job():
            continue
