"""What the channel tests share: a notifications runtime whose channels point at the
local fakes, a dossier moved on by an official, and the worker's rounds."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import httpx
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.jobs import Runner
from backend.notifications.channels.registry import channels_of
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.worker import Notifier
from backend.settings import ChannelSettings, Settings
from tests.conftest import PUBLIC_URL

SENDER = "thongbao@motcua.example.gov.vn"


def with_channels(
    notify: NotificationsRuntime, settings: Settings, **channel_settings: object
) -> NotificationsRuntime:
    channels = dataclasses.replace(ChannelSettings(), **channel_settings)  # type: ignore[arg-type]
    offered = channels_of(dataclasses.replace(settings, channels=channels))
    return dataclasses.replace(
        notify, channels=offered, channel_timeout_s=channels.channel_timeout_s
    )


async def drain(notify: NotificationsRuntime, rounds: int = 5) -> None:
    async with Runner([Notifier(notify)]) as runner:
        for _ in range(rounds):
            if not await runner.run_once():
                return


async def act(
    runtime: DossiersRuntime, who: Principal, dossier_id: int, action: str
) -> DossierRead:
    current = await dossiers.get_dossier(runtime, who, dossier_id)
    return await dossiers.act(
        runtime, who, dossier_id, ActionIn(action=action, version=current.version)
    )


@contextlib.contextmanager
def answering_with(app: Litestar, notify: NotificationsRuntime) -> Iterator[None]:
    """The running test app uses this runtime's channels (its pages and the providers'
    callbacks); its own runtime is put back after."""
    before = app.state["notifications"]
    app.state["notifications"] = notify
    try:
        yield
    finally:
        app.state["notifications"] = before


@contextlib.asynccontextmanager
async def serving(app: Litestar, notify: NotificationsRuntime) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client of the running test app, answering with ``notify``'s channels."""
    with answering_with(app, notify):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            yield client


def local(url: str) -> str:
    """A URL we gave a provider, as a path for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
