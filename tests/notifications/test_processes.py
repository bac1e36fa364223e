"""The worker as it runs for real: in-process beside the app (embedded mode), and as the
`motcua worker` command, both delivering to the fake push service."""

from __future__ import annotations

import asyncio
import dataclasses
import os

from litestar import Litestar

from backend.accounts.tables import Session
from backend.app import create_app
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.dossiers.conftest import PersonFactory, submitted
from tests.e2e.server import motcua_command
from tests.notifications.test_worker import device, signed_in
from tests.support.asgi import lifespan
from tests.support.fakepush import FakePushService


async def receive(runtime: DossiersRuntime, people: PersonFactory, citizen: object) -> int:
    reception = await people("staff", "reception")
    dossier = await submitted(runtime, citizen)  # type: ignore[arg-type]
    await dossiers.act(
        runtime, reception, dossier.id, ActionIn(action="receive", version=dossier.version)
    )
    return dossier.id


async def test_the_in_process_worker_delivers(
    settings: Settings, dossiers_app: Litestar, people: PersonFactory
) -> None:
    app = create_app(dataclasses.replace(fast_settings(settings), worker_in_process=True))
    async with FakePushService() as push, lifespan(app):
        notify = app.state["notifications"]
        citizen = await signed_in(people)
        fake = await device(notify, push, citizen)
        dossier_id = await receive(app.state["dossiers"], people, citizen)
        received = await push.wait_for(1, timeout=10)
    assert received[0].subscription_id == fake.id
    assert received[0].data["url"] == f"/ho-so/{dossier_id}"


async def test_motcua_worker_once_drains_and_exits(
    settings: Settings, runtime: DossiersRuntime, dossiers_app: Litestar, people: PersonFactory
) -> None:
    notify = dossiers_app.state["notifications"]
    async with FakePushService() as push:
        citizen = await signed_in(people)
        fake = await device(notify, push, citizen)
        await receive(runtime, people, citizen)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        env.update(
            MOTCUA_DATA_DIR=str(settings.data_dir),
            MOTCUA_PUBLIC_URL=settings.public_url,
            MOTCUA_LOG_LEVEL="WARNING",
            MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK="true",
        )
        if settings.database_url:
            env["DATABASE_URL"] = settings.database_url
        process = await asyncio.create_subprocess_exec(
            *motcua_command(), "worker", "--once", env=env
        )
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
    assert [r.data["kind"] for r in push.received_for(fake)][-1] == "dossier.received"
    await Session.delete().where(Session.public_id == citizen.session_id)
