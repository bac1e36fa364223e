"""Fixtures of the portal tests: the local fake of the national portal, an app whose
portal sync points at it with a short timeout, the dossiers runtime of that app,
people made in the database, officials signed in through real sessions, and a clean
slate of sync rows (the outbox's earlier copies taken in) before each test."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.schemas import Principal
from backend.accounts.tables import Account
from backend.app import create_app
from backend.clock import utc_now
from backend.db import Database, write_transaction
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.portal import service
from backend.portal.runtime import PortalRuntime
from backend.portal.tables import PortalSync
from backend.portal.worker import PortalSyncJob
from backend.settings import PortalSettings, Settings
from tests.accounts.conftest import fast_settings
from tests.conftest import PUBLIC_URL
from tests.dossiers.conftest import AGENCY, PersonFactory, people, submitted
from tests.support import portal_fake
from tests.support.asgi import lifespan
from tests.support.portal_fake import PortalFake

# Long enough that a loaded machine (CI beside other work) does not time the fake out.
TIMEOUT_S = 1.0
__all__ = ["people"]  # the dossiers tests' fixture, used here too
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def fake() -> Iterator[PortalFake]:
    with portal_fake.running() as fake:
        yield fake


def portal_settings(fake: PortalFake) -> PortalSettings:
    return PortalSettings(
        adapter="dvcqg",
        base_url=fake.url,
        username=portal_fake.USERNAME,
        password=portal_fake.PASSWORD,
        unit_code=portal_fake.UNIT,
        timeout_s=TIMEOUT_S,
        lease_s=5,
    )


@pytest.fixture(scope="session")
async def portal_app(
    settings: Settings, database: Database, fake: PortalFake
) -> AsyncIterator[Litestar]:
    app = create_app(dataclasses.replace(fast_settings(settings), portal=portal_settings(fake)))
    async with lifespan(app):
        yield app


@pytest.fixture
async def portal(portal_app: Litestar, fake: PortalFake) -> AsyncIterator[PortalRuntime]:
    runtime: PortalRuntime = portal_app.state["portal"]
    retry_for_ms = runtime.retry_for_ms
    await _clean(runtime)
    fake.reset()
    yield runtime
    runtime.now = utc_now
    runtime.retry_for_ms = retry_for_ms
    runtime.last_resend = None
    fake.reset()


async def _clean(runtime: PortalRuntime) -> None:
    while await service.intake(runtime):
        continue
    async with write_transaction():
        await PortalSync.delete(force=True)


@pytest.fixture
def runtime(portal_app: Litestar) -> DossiersRuntime:
    runtime: DossiersRuntime = portal_app.state["dossiers"]
    return runtime


async def drain(runtime: PortalRuntime) -> int:
    """Worker rounds until nothing is due now (retries due later stay)."""
    rounds = 0
    async with PortalSyncJob(runtime) as job:
        while await job():
            rounds += 1
    return rounds


async def run_round(runtime: PortalRuntime) -> int:
    async with PortalSyncJob(runtime) as job:
        return await job()


@dataclasses.dataclass
class Office:
    """An agency's officials, one per role, as principals."""

    reception: Principal
    processing: Principal
    leader: Principal


async def office(people: PersonFactory, agency: str = AGENCY) -> Office:
    return Office(
        reception=await people("staff", "reception", agency),
        processing=await people("staff", "processing", agency),
        leader=await people("staff", "leader", agency),
    )


async def received(runtime: DossiersRuntime, people: PersonFactory, staff: Office) -> DossierRead:
    """A citizen's dossier, submitted and received at the counter."""
    dossier = await submitted(runtime, await people("citizen"))
    return await step(runtime, staff.reception, dossier, "receive")


async def step(
    runtime: DossiersRuntime,
    who: Principal,
    dossier: DossierRead,
    action: str,
    **fields: object,
) -> DossierRead:
    data = ActionIn(action=action, version=dossier.version, **fields)  # type: ignore[arg-type]
    await dossiers.act(runtime, who, dossier.id, data)
    return await dossiers.get_dossier(runtime, who, dossier.id)


Signed = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def signed_in(portal_app: Litestar) -> AsyncIterator[Signed]:
    """A browser signed in as an official of ``agency`` with ``role``."""
    opened: list[httpx.AsyncClient] = []

    async def make(role: str, agency: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=portal_app), base_url=PUBLIC_URL
        )
        opened.append(client)
        rows = await Account.insert(
            Account(
                kind="staff",
                full_name=f"Cán bộ cổng {next(_numbers)}",
                user_handle=f"portal-{role}-{next(_numbers)}-{dt.datetime.now().timestamp()}",
                role=role,
                agency_code=agency,
                created_at=utc_now(),
            )
        ).returning(Account.id)
        token = await sessions.start(portal_app.state["accounts"], rows[0]["id"], "test")
        client.cookies.set(portal_app.state["accounts"].cookie_name, token)
        await client.get("/")
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        return client

    yield make
    for client in opened:
        await client.aclose()


async def sync_row(dossier_id: int) -> dict[str, object] | None:
    rows = await PortalSync.select().where(PortalSync.dossier_id == dossier_id)
    return rows[0] if rows else None
