"""The multi-node set-up as a province runs it, on this machine: nginx in front of two
``motcua serve`` nodes, two ``motcua worker`` processes, one PostgreSQL database, one
Redis and one S3 bucket (SeaweedFS). Each node has its own data dir, as another machine
has its own disk. Through nginx unless a test names a node on purpose:

- a person signs up on node A and carries on on node B (a passkey ceremony's two halves
  may even land on different nodes);
- rate limits count every node's requests together;
- a file uploaded through A downloads through B, byte for byte, and no node keeps it;
- a status change's push and webhook go out once with two workers sending;
- under load, SIGKILL of node A and of a worker loses no acknowledged write, node B goes
  on serving, nginx sends no POST twice, and the surviving worker delivers.

PostgreSQL only (the embedded SQLite default is one process): CI's PostgreSQL suite runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import secrets
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from PIL import Image

from backend.accounts import sessions
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.tables import Account
from backend.catalogue.service import seed_demo
from backend.db import Database, write_transaction
from backend.settings import Settings
from tests.cluster.cluster import Cluster, available, running_cluster
from tests.support.authenticator import SoftAuthenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres
from tests.support.fakepush import FakePushService, Subscription
from tests.support.seaweed import Seaweed
from tests.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        not POSTGRES_URL,
        reason="the cluster runs on PostgreSQL (DATABASE_URL): SQLite is one process",
    ),
]

PROCEDURE = "2.001680"  # legal aid: two required documents, filed at AGENCY
AGENCY = "000.00.12.H56"  # Sở Tư pháp in the demo catalogue
ANSWERS = {
    "case_summary": "Tranh chấp ranh giới đất với hộ liền kề, cần luật sư tư vấn.",
    "beneficiary_group": "ngheo",
}
SESSION = "motcua_session"
CSRF = "csrftoken"
PER_ADDRESS = 6  # the cluster's MOTCUA_AUTH_RATE_PER_ADDRESS
SETTLE_S = 3.0  # after the last expected delivery: long enough for a second worker's copy
LOAD_S = 10.0
KILL_AFTER_S = 3.0
CLIENTS = 4
_phones = itertools.count(1)


def photo(width: int = 640, height: int = 480, shade: int = 200) -> bytes:
    image = Image.new("RGB", (width, height), (shade, shade - 10, shade - 30))
    for row in range(40, height - 40, 30):
        image.paste((40, 40, 40), (60, row, width - 60, row + 8))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class Running:
    cluster: Cluster
    database_url: str
    settings: Settings
    push: FakePushService
    receiver: Receiver
    started_s: float
    people: list[int] = field(default_factory=list)

    @property
    def a(self) -> str:
        return self.cluster.nodes[0].url

    @property
    def b(self) -> str:
        return self.cluster.nodes[1].url

    @property
    def proxy(self) -> str:
        return self.cluster.url

    async def person(self, kind: str = "citizen", role: str | None = None) -> dict[str, str]:
        """A signed-in person's cookies (the session made as sign-in makes it)."""
        runtime = AccountsRuntime.from_settings(self.settings)
        try:
            async with write_transaction():
                rows = await Account.insert(
                    Account(
                        kind=kind,
                        full_name=f"Người Thử Cụm {next(_phones)}",
                        phone=None if role else f"0988{next(_phones):06d}",
                        user_handle=secrets.token_urlsafe(32),
                        role=role,
                        agency_code=AGENCY if role else None,
                        created_at=runtime.clock(),
                    )
                ).returning(Account.id)
            token = await sessions.start(runtime, rows[0]["id"], "Cluster test")
        finally:
            await runtime.limiter.close()
        # The CSRF token is bound to the session: fetched with it.
        async with client(self.proxy, {SESSION: token}) as signed_in:
            csrf = await csrf_of(signed_in)
        return {SESSION: token, CSRF: csrf}

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database_url)
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()


def client(url: str, cookies: dict[str, str] | None = None, **extra: Any) -> httpx.AsyncClient:
    headers = {"x-csrftoken": cookies[CSRF]} if cookies and CSRF in cookies else {}
    return httpx.AsyncClient(
        base_url=url, cookies=cookies, headers=headers, trust_env=False, timeout=30, **extra
    )


async def csrf_of(anonymous: httpx.AsyncClient) -> str:
    # Not the home page: a public page (cached by anyone) sets no token.
    response = await anonymous.get("/dang-nhap", follow_redirects=True)
    assert response.status_code == 200, response.text
    token = anonymous.cookies[CSRF]
    anonymous.headers["x-csrftoken"] = token
    return token


@pytest.fixture(scope="module")
async def running(seaweed: Seaweed) -> AsyncIterator[Running]:
    missing = available()
    if missing:
        pytest.skip(f"the cluster needs {', '.join(missing)}")
    started = time.monotonic()
    database_url = await fresh_postgres("cluster")
    # Migrated once, here, before any node starts (each node then finds nothing to do).
    data = Path(tempfile.mkdtemp(prefix="motcua-cluster-test-"))
    database = Database(
        Settings.from_env({"DATABASE_URL": database_url, "MOTCUA_DATA_DIR": str(data)})
    )
    await database.open()
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(shutil.rmtree, data, True)
        stack.push_async_callback(database.close)
        await database.migrate()
        await seed_demo()
        migrated = time.monotonic() - started
        push = await stack.enter_async_context(FakePushService())
        receiver = await stack.enter_async_context(Receiver())
        # Started and stopped in a thread: this loop serves the push service and the
        # receiver meanwhile.
        cm = running_cluster(
            database_url,
            seaweed.env(f"cluster-{secrets.token_hex(4)}"),
            extra={"MOTCUA_AUTH_RATE_PER_ADDRESS": str(PER_ADDRESS)},
        )
        cluster = await asyncio.to_thread(cm.__enter__)

        async def stop() -> None:
            await asyncio.to_thread(cm.__exit__, None, None, None)

        stack.push_async_callback(stop)
        settings = Settings.from_env({**cluster.shared, "MOTCUA_DATA_DIR": str(data)})
        print(
            f"\ncluster up in {time.monotonic() - started:.1f} s "
            f"(the database made and migrated in {migrated:.1f} s)"
        )
        yield Running(cluster, database_url, settings, push, receiver, started)
        print(f"\ncluster module: {time.monotonic() - started:.1f} s")


# --------------------------------------------------------------------- journeys


async def new_draft(on: httpx.AsyncClient, key: str | None = None) -> dict[str, Any]:
    key = key or secrets.token_hex(16)
    response = await on.post(
        "/api/dossiers",
        json={"procedure_code": PROCEDURE, "draft_key": key, "another": True},
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def submitted(on: httpx.AsyncClient) -> dict[str, Any]:
    draft = await new_draft(on)
    saved = await on.patch(f"/api/dossiers/{draft['id']}", json={"form_data": ANSWERS})
    assert saved.status_code == 200, saved.text
    for component in draft["components"]:
        if component["required"] and component["uploadable"]:
            uploaded = await on.post(
                f"/api/dossiers/{draft['id']}/files",
                files={"file": ("giay-to.jpg", photo(), "image/jpeg")},
                data={"component_id": str(component["id"])},
            )
            assert uploaded.status_code == 201, uploaded.text
    done = await on.post(f"/api/dossiers/{draft['id']}/submit")
    assert done.status_code == 200, done.text
    result: dict[str, Any] = done.json()
    return result


async def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        await asyncio.sleep(0.1)


# ------------------------------------------------------------------------ tests


async def test_a_person_signs_up_on_one_node_and_carries_on_on_the_other(
    running: Running,
) -> None:
    authenticator = SoftAuthenticator("ES256")
    name = "Trần Thị Cụm Máy"
    async with client(running.a) as on_a:
        await csrf_of(on_a)
        options = await on_a.post(
            "/api/auth/passkeys/register/options",
            json={"full_name": name, "phone": f"0977{next(_phones):06d}"},
        )
        assert options.status_code == 200, options.text
        credential = authenticator.create(options.json(), running.cluster.public_url)
        registered = await on_a.post("/api/auth/passkeys/register", json={"credential": credential})
        assert registered.status_code == 201, registered.text
        cookies = {SESSION: on_a.cookies[SESSION], CSRF: on_a.cookies[CSRF]}

    async with client(running.b, cookies) as on_b:
        page = await on_b.get("/tai-khoan", follow_redirects=True)
        assert page.status_code == 200
        assert name in page.text

    # Signing in again: the challenge from node A, the answer to node B.
    async with client(running.a) as on_a, client(running.b) as on_b:
        await csrf_of(on_a)
        challenge = await on_a.post("/api/auth/passkeys/login/options", json={})
        assert challenge.status_code == 200, challenge.text
        on_b.cookies.update(on_a.cookies)
        on_b.headers["x-csrftoken"] = on_a.cookies[CSRF]
        answer = authenticator.get(challenge.json(), running.cluster.public_url)
        signed_in = await on_b.post("/api/auth/passkeys/login", json={"credential": answer})
        assert signed_in.status_code == 200, signed_in.text
        session = on_b.cookies[SESSION]
    assert session != cookies[SESSION]
    async with client(running.proxy, {SESSION: session, CSRF: cookies[CSRF]}) as through:
        page = await through.get("/tai-khoan", follow_redirects=True)
        assert name in page.text


async def test_rate_limits_count_every_node_s_requests_together(running: Running) -> None:
    cookies = await running.person()
    address = f"198.51.100.{secrets.randbelow(250) + 1}"
    statuses = []
    async with client(running.a, cookies) as on_a, client(running.b, cookies) as on_b:
        for attempt in range(PER_ADDRESS + 2):
            node = on_a if attempt % 2 == 0 else on_b
            answer = await node.post(
                "/api/tracking",
                # A code of its own each time: only the address's limit can refuse.
                json={"code": f"H56.{attempt:02d}-260101-{attempt:04d}", "phone_last4": "1234"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(answer.status_code)
        # Another address is not held back by this one's count.
        other = await on_b.post(
            "/api/tracking",
            json={"code": "H56.99-260101-0001", "phone_last4": "1234"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    assert 429 not in statuses[:PER_ADDRESS], statuses
    # Each node saw only half the attempts: one node's own count would still let them in.
    assert statuses[PER_ADDRESS:] == [429, 429], statuses
    assert other.status_code != 429


async def test_a_file_uploaded_through_one_node_downloads_through_the_other(
    running: Running,
) -> None:
    cookies = await running.person()
    async with client(running.a, cookies) as on_a, client(running.b, cookies) as on_b:
        draft = await new_draft(on_a)
        component = next(c for c in draft["components"] if c["uploadable"])
        uploaded = await on_a.post(
            f"/api/dossiers/{draft['id']}/files",
            files={"file": ("anh-chup.jpg", photo(1200, 900, 210), "image/jpeg")},
            data={"component_id": str(component["id"])},
        )
        assert uploaded.status_code == 201, uploaded.text
        file_id = uploaded.json()["id"]
        path = f"/api/dossiers/{draft['id']}/files/{file_id}"
        from_a = await on_a.get(path, follow_redirects=True)
        from_b = await on_b.get(path, follow_redirects=True)
    assert from_a.status_code == 200
    assert from_b.status_code == 200
    assert from_b.content == from_a.content
    assert from_b.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(from_b.content)).size[0] > 0
    # In the bucket, not on the disk of the node that took it.
    for node in running.cluster.nodes:
        kept = [p for p in (node.data_dir / "files").rglob("*") if p.is_file()]
        assert kept == [], kept


async def _subscribed(running: Running, cookies: dict[str, str]) -> Subscription:
    subscription = running.push.new_subscription("citizen")
    async with client(running.proxy, cookies) as through:
        answer = await through.post("/api/push/subscriptions", json=subscription.as_json())
    assert answer.status_code == 201, answer.text
    return subscription


async def _receive(running: Running, staff: dict[str, str], dossier: dict[str, Any]) -> None:
    async with client(running.proxy, staff) as through:
        current = (await through.get(f"/api/dossiers/{dossier['id']}")).json()
        acted = await through.post(
            f"/api/dossiers/{dossier['id']}/actions",
            json={"action": "receive", "version": current["version"]},
        )
    assert acted.status_code == 200, acted.text


def _webhooks_for(running: Running, dossier_id: int) -> list[str]:
    return [
        r.event_id
        for r in running.receiver.at("/cluster")
        if r.event["data"].get("dossier_id") == dossier_id
    ]


def _receipt_pushes(running: Running, subscription: Subscription) -> list[Any]:
    return [
        r.data
        for r in running.push.received_for(subscription)
        if "tiếp nhận" in str(r.data).lower()
    ]


@pytest.fixture(scope="module")
async def hooked(running: Running) -> dict[str, str]:
    """The agency's administrator subscribed /cluster to its received dossiers; the
    reception officer's cookies."""
    admin = await running.person("staff", "admin")
    async with client(running.proxy, admin) as through:
        created = await through.post(
            "/api/webhooks/subscriptions",
            json={"url": running.receiver.url("/cluster"), "events": ["dossier.received"]},
        )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    running.receiver.secrets[key["key_id"]] = key["secret"]
    return await running.person("staff", "reception")


async def test_a_status_change_s_push_and_webhook_go_out_once(
    running: Running, hooked: dict[str, str]
) -> None:
    citizen = await running.person()
    subscription = await _subscribed(running, citizen)
    async with client(running.proxy, citizen) as through:
        dossier = await submitted(through)
    await _receive(running, hooked, dossier)

    await until(lambda: _webhooks_for(running, dossier["id"]) != [], 20, "the webhook")
    await until(lambda: _receipt_pushes(running, subscription) != [], 20, "the push")
    await asyncio.sleep(SETTLE_S)  # a second worker's copy would come meanwhile
    assert len(_webhooks_for(running, dossier["id"])) == 1
    assert all(r.verified for r in running.receiver.at("/cluster"))
    assert len(_receipt_pushes(running, subscription)) == 1
    # No push of any kind twice.
    payloads = Counter(r.payload for r in running.push.received_for(subscription))
    assert max(payloads.values()) == 1


async def _silent(
    send: Callable[[], Awaitable[httpx.Response]], answered: list[int]
) -> asyncio.Task[httpx.Response]:
    """A request that nginx gave to the stopped node: one that gets no answer (node B
    answers the others at once; the files they make are kept in ``answered``)."""
    for _ in range(20):
        task: asyncio.Task[httpx.Response] = asyncio.ensure_future(send())
        done, _ = await asyncio.wait({task}, timeout=0.5)
        if not done:
            return task
        answer = task.result()
        assert answer.is_success, answer.text
        if answer.request.method == "POST":
            answered.append(answer.json()["id"])
    raise AssertionError("no request reached the stopped node")


@dataclass
class Load:
    acknowledged: dict[str, int] = field(default_factory=dict)  # draft key -> dossier id
    uploads: dict[int, int] = field(default_factory=dict)  # file id -> dossier id
    attempts: Counter[str] = field(default_factory=Counter)
    # (sent at, answered at, what, why)
    failed: list[tuple[float, float, str, str]] = field(default_factory=list)
    served_after_kill: int = 0


async def test_killing_a_node_and_a_worker_under_load_loses_no_acknowledged_write(
    running: Running, hooked: dict[str, str]
) -> None:
    cluster = running.cluster
    citizen = await running.person()
    subscription = await _subscribed(running, citizen)
    async with client(running.proxy, citizen) as through:
        waiting = await submitted(through)  # received after the kill
    writers = [await running.person() for _ in range(CLIENTS)]
    load = Load()
    image = photo(320, 240)
    started = time.monotonic()
    killed_at: float | None = None

    async def step(what: str, request: Awaitable[httpx.Response], ok: int) -> httpx.Response | None:
        load.attempts[what] += 1
        at = time.monotonic()
        try:
            answer = await request
        except httpx.HTTPError as error:
            load.failed.append((at, time.monotonic(), what, type(error).__name__))
            return None
        if answer.status_code != ok:
            why = f"{answer.status_code} {answer.text[:60]}"
            load.failed.append((at, time.monotonic(), what, why))
            return None
        if killed_at is not None and at > killed_at:
            load.served_after_kill += 1
        return answer

    async def writer(cookies: dict[str, str]) -> None:
        async with client(running.proxy, cookies) as through:
            while time.monotonic() - started < LOAD_S:
                key = secrets.token_hex(16)
                body = {"procedure_code": PROCEDURE, "draft_key": key, "another": True}
                made = await step(
                    "create",
                    through.post("/api/dossiers", json=body, headers={"Idempotency-Key": key}),
                    201,
                )
                if made is None:
                    continue
                draft = made.json()
                load.acknowledged[key] = draft["id"]
                await step("read", through.get(f"/api/dossiers/{draft['id']}"), 200)
                component = next(c for c in draft["components"] if c["uploadable"])
                # One try, no Idempotency-Key: a POST nginx sent twice would leave two files.
                sent = await step(
                    "upload",
                    through.post(
                        f"/api/dossiers/{draft['id']}/files",
                        files={"file": ("giay-to.jpg", image, "image/jpeg")},
                        data={"component_id": str(component["id"])},
                    ),
                    201,
                )
                if sent is not None:
                    load.uploads[sent.json()["id"]] = draft["id"]
                await step("home", through.get("/"), 200)

    probe = await running.person()
    async with client(running.proxy, probe) as through:
        target = await new_draft(through)
    target_component = next(c for c in target["components"] if c["uploadable"])
    stopped_at = 0.0
    hung: dict[str, asyncio.Task[httpx.Response]] = {}
    answered_uploads: list[int] = []

    async def killer() -> None:
        nonlocal killed_at, stopped_at
        await asyncio.sleep(KILL_AFTER_S)
        node, worker = cluster.nodes[0], cluster.workers[0]
        assert node.process is not None
        # Stopped first, so that requests are known to be on node A when it dies: one
        # POST and one GET that nginx has handed to it, found by their silence.
        node.process.send_signal(signal.SIGSTOP)
        worker.kill()
        stopped_at = time.monotonic()
        async with client(running.proxy, probe) as through:
            path = f"/api/dossiers/{target['id']}"

            def upload() -> Awaitable[httpx.Response]:
                return through.post(
                    f"{path}/files",
                    files={"file": ("giay-to.jpg", image, "image/jpeg")},
                    data={"component_id": str(target_component["id"])},
                )

            hung["post"] = await _silent(upload, answered_uploads)
            hung["get"] = await _silent(lambda: through.get(path), [])
            node.process.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            await asyncio.to_thread(node.process.wait)
            await asyncio.wait(list(hung.values()), timeout=20)

    await asyncio.gather(killer(), *(writer(cookies) for cookies in writers))
    assert killed_at is not None
    # The POST node A had taken is not sent again (it may have been written there);
    # the GET is, and node B answers it.
    assert hung["post"].result().status_code == 502
    assert hung["get"].result().status_code == 200
    target_files = await running.sql(
        "SELECT id FROM dossiers_file WHERE dossier = $1", target["id"]
    )
    assert sorted(row["id"] for row in target_files) == sorted(answered_uploads)
    assert not cluster.nodes[0].running
    assert not cluster.workers[0].running
    assert cluster.nodes[1].running, cluster.logs()

    # Every acknowledged draft and file is there.
    rows = await running.sql(
        "SELECT id, draft_key FROM dossiers_dossier WHERE draft_key = ANY($1::text[])",
        list(load.acknowledged),
    )
    assert {row["draft_key"]: row["id"] for row in rows} == load.acknowledged
    files = await running.sql(
        "SELECT id, dossier FROM dossiers_file WHERE dossier = ANY($1::int[])",
        list(load.acknowledged.values()),
    )
    stored = {row["id"]: row["dossier"] for row in files}
    assert load.uploads.items() <= stored.items()
    # One upload request a draft: two files on one draft would be a POST sent twice.
    per_draft = Counter(stored.values())
    assert max(per_draft.values(), default=0) <= 1, per_draft.most_common(3)
    # Only requests under way when node A died may fail; after it, node B answers all.
    late = [f for f in load.failed if f[0] > killed_at + 0.5]
    assert late == [], late
    assert load.served_after_kill > 0
    early = [f for f in load.failed if f[1] < stopped_at]
    assert early == [], early
    print(
        f"\nload: {dict(load.attempts)} requests, {len(load.acknowledged)} drafts acknowledged, "
        f"{len(load.failed)} failed at the kill ({[f[2:] for f in load.failed]}), "
        f"{load.served_after_kill} answered after it"
    )

    # The surviving worker delivers what happens after the kill, once.
    await _receive(running, hooked, waiting)
    await until(lambda: _webhooks_for(running, waiting["id"]) != [], 20, "the webhook")
    await until(lambda: _receipt_pushes(running, subscription) != [], 20, "the push")
    await asyncio.sleep(SETTLE_S)
    assert len(_webhooks_for(running, waiting["id"])) == 1
    assert len(_receipt_pushes(running, subscription)) == 1
    # Through nginx, the page still answers.
    async with client(running.proxy) as through:
        assert (await through.get("/")).status_code == 200
