"""Over 500 events delivered by a real ``motcua worker`` to a receiver on 127.0.0.1 that
checks every signature, with the worker killed (SIGKILL) twice mid-run and restarted:
after dedupe by ``Webhook-Id`` the receiver has every event once (none lost, none it did
not expect), each dossier's events first seen in order (the subscription asked for
order), and the raw re-deliveries the kills caused are counted (at least once is the
promise; the number is printed)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable

import pytest

from backend.accounts.schemas import Principal
from backend.db import Database
from backend.settings import Settings
from backend.webhooks import service
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.schemas import SubscriptionCreate
from backend.webhooks.tables import Delivery
from tests.conftest import make_settings
from tests.e2e.server import motcua_command
from tests.webhooks.conftest import dossier_event, payment_event
from tests.webhooks.receiver import Receiver

DOSSIERS = 50
EVENTS_EACH = 10
PAYMENTS = 25
TOTAL = DOSSIERS * EVENTS_EACH + PAYMENTS
KILL_AT = (150, 350)  # unique events seen when the worker is killed
WAIT_S = 180.0  # on a loaded machine; the test waits, it does not measure
PROVINCE = Principal(
    account_id=1, kind="staff", name="Thử", role="catalogue", agency_code=None, session_id="x"
)


@pytest.fixture
async def own(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    """A database of this test's own: the worker process drains all of its outbox."""
    settings = await make_settings(tmp_path_factory.mktemp("webhook_crash"), "webhook_crash")
    database = Database(settings)
    await database.open()
    await database.migrate()
    yield settings
    await database.close()


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.pop("DATABASE_URL", None)
    env.update(
        MOTCUA_DATA_DIR=str(settings.data_dir),
        MOTCUA_PUBLIC_URL=settings.public_url,
        MOTCUA_LOG_LEVEL="ERROR",
        MOTCUA_DEMO="false",
        MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK="true",
        MOTCUA_WEBHOOK_TIMEOUT_S="1",
        MOTCUA_WEBHOOK_LEASE_S="5",
    )
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


async def until(condition: Callable[[], bool], within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def test_every_event_once_after_the_worker_is_killed_twice(own: Settings) -> None:
    hooks = WebhooksRuntime(allow_http_loopback=True)
    async with Receiver(delay_s=0.01) as receiver:
        created = await service.create_subscription(
            hooks,
            PROVINCE,
            SubscriptionCreate(
                url=receiver.url(),
                events=["dossier.status_changed", "payment.settled"],
                ordered=True,
            ),
        )
        receiver.secrets[created.key.key_id] = created.key.secret
        expected: set[str] = set()
        for number in range(1, EVENTS_EACH + 1):
            for dossier in range(1, DOSSIERS + 1):
                await dossier_event(dossier, number)
                expected.add(f"dossier:{dossier}:changed:{number}/dossier.status_changed")
        for payment in range(1, PAYMENTS + 1):
            await payment_event(payment)
            expected.add(f"payment:{payment}:settled:{payment}/payment.settled")
        assert len(expected) == TOTAL

        def unique() -> int:
            return len({r.event_id for r in receiver.received})

        kills = 0
        process: asyncio.subprocess.Process | None = None
        try:
            for stop_at in (*KILL_AT, None):
                process = await asyncio.create_subprocess_exec(
                    *motcua_command(),
                    "worker",
                    env=worker_env(own),
                    stdout=asyncio.subprocess.DEVNULL,
                )
                if stop_at is None:
                    await until(lambda: unique() >= TOTAL, WAIT_S)
                    break
                await until(lambda: unique() >= stop_at, WAIT_S)  # noqa: B023
                os.kill(process.pid, signal.SIGKILL)
                await process.wait()
                kills += 1
            # Every delivery recorded as delivered (the last sends are recorded too).
            for _ in range(int(WAIT_S / 0.2)):
                pending = await Delivery.count().where(Delivery.status != "delivered")
                if pending == 0:
                    break
                await asyncio.sleep(0.2)
            assert pending == 0
        finally:
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 30)
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    assert kills == len(KILL_AT)
    assert all(r.verified == [created.key.key_id] for r in receiver.received), "bad signature"
    seen = [r.event_id for r in receiver.received]
    assert set(seen) == expected  # none lost, none made up
    first_seen: dict[int, list[int]] = {}
    for received in receiver.received:
        data = received.event["data"]
        if "dossier_id" in data and data["event_id"] not in first_seen.get(data["dossier_id"], []):
            first_seen.setdefault(data["dossier_id"], []).append(data["event_id"])
    assert all(numbers == sorted(numbers) for numbers in first_seen.values())
    assert len(first_seen) == DOSSIERS
    duplicates = len(seen) - len(set(seen))
    print(
        f"\n{TOTAL} events, {len(seen)} requests received, {duplicates} raw re-deliveries"
        f" after {kills} kills; 0 lost, 0 duplicated after dedupe by Webhook-Id"
    )
