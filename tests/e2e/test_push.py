"""Notifications in a real Chromium: the receipt's offer, the settings page, and the
service worker's push and notificationclick handlers.

Headless Chromium cannot ``pushManager.subscribe()`` (no push service), so the test
plays the push service: it reads the citizen's real notice from the API and hands the
payload the worker would send to the service worker with CDP
``ServiceWorker.deliverPushMessage``.

There is no CDP command to click a notification. On Linux, Chromium shows web
notifications through the desktop's ``org.freedesktop.Notifications`` D-Bus service
when one is on the session bus, and a click is that service's ``ActionInvoked`` signal.
So the browser runs on a private D-Bus session bus where ``FakeNotificationDaemon``
(below, a small implementation of the D-Bus wire protocol) owns that name: it records
what Chromium shows and clicks like a person would, with no test-only code in the
service worker. Chromium routes a click back only to its regular profile, not to
Playwright's off-the-record contexts, hence ``launch_persistent_context``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, CDPSession, Page, async_playwright, expect

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_FOUND,
    CSP_WATCH,
    MOBILE_USER_AGENT,
    NewContext,
    watch_errors,
)
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import PROCEDURE, enrolled_official, photo_of_a_document, staff_api
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

DBUS_DAEMON = shutil.which("dbus-daemon")
POLLS = 300  # every 0.1 s: 30 s (a loaded CI machine is slow to start a worker)
REDELIVER_AFTER = 50  # polls: 5 s

# ------------------------------------------------------------ a desktop's notifications

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
PATH, INTERFACE, MEMBER, ERROR_NAME, REPLY_SERIAL, DESTINATION, SENDER, SIGNATURE = range(1, 9)
FIELD_TYPES = {
    PATH: "o",
    INTERFACE: "s",
    MEMBER: "s",
    ERROR_NAME: "s",
    REPLY_SERIAL: "u",
    DESTINATION: "s",
    SENDER: "s",
    SIGNATURE: "g",
    9: "u",  # UNIX_FDS
}
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
BUS = ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus")


class _Writer:
    """D-Bus marshalling (little-endian) of the few types this service needs."""

    def __init__(self) -> None:
        self.data = bytearray()

    def align(self, n: int) -> None:
        self.data += b"\0" * (-len(self.data) % n)

    def u32(self, value: int) -> None:
        self.align(4)
        self.data += struct.pack("<I", value)

    def value(self, signature: str, value: Any) -> None:
        if signature in ("s", "o"):
            raw = str(value).encode()
            self.u32(len(raw))
            self.data += raw + b"\0"
        elif signature == "g":
            raw = str(value).encode()
            self.data += bytes([len(raw)]) + raw + b"\0"
        elif signature == "u":
            self.u32(int(value))
        elif signature == "as":
            self.u32(0)
            length_at = len(self.data) - 4
            start = len(self.data)
            for item in value:
                self.value("s", item)
            struct.pack_into("<I", self.data, length_at, len(self.data) - start)
        else:
            raise ValueError(f"cannot marshal {signature}")


class _Reader:
    def __init__(self, data: bytes, position: int = 0) -> None:
        self.data = data
        self.position = position

    def u32(self) -> int:
        self.position += -self.position % 4
        (value,) = struct.unpack_from("<I", self.data, self.position)
        self.position += 4
        return int(value)

    def value(self, signature: str) -> Any:
        if signature in ("s", "o"):
            length = self.u32()
            text = self.data[self.position : self.position + length].decode()
            self.position += length + 1
            return text
        if signature == "g":
            length = self.data[self.position]
            text = self.data[self.position + 1 : self.position + 1 + length].decode()
            self.position += length + 2
            return text
        if signature == "u":
            return self.u32()
        if signature == "as":
            end = self.u32() + self.position
            items = []
            while self.position < end:
                items.append(self.value("s"))
            return items
        raise ValueError(f"cannot read {signature}")


def _types(signature: str) -> list[str]:
    return re.findall(r"a?.", signature)


def _message(
    kind: int, serial: int, fields: dict[int, Any], signature: str = "", body: tuple[Any, ...] = ()
) -> bytes:
    payload = _Writer()
    for one, value in zip(_types(signature), body, strict=True):
        payload.value(one, value)
    if signature:
        fields = {**fields, SIGNATURE: signature}
    header = _Writer()
    header.data += b"l" + bytes([kind, 0, 1]) + struct.pack("<II", len(payload.data), serial)
    header.u32(0)
    start = len(header.data)
    for code, value in fields.items():
        header.align(8)
        header.data.append(code)
        header.value("g", FIELD_TYPES[code])
        header.value(FIELD_TYPES[code], value)
    struct.pack_into("<I", header.data, start - 4, len(header.data) - start)
    header.align(8)
    return bytes(header.data + payload.data)


@dataclass
class Shown:
    """One ``Notify`` call: what Chromium put on the screen."""

    id: int
    replaces_id: int
    summary: str
    body: str
    actions: list[str]


@dataclass
class FakeNotificationDaemon:
    """``org.freedesktop.Notifications`` on a session bus: records what is shown (and
    closed) and clicks a notification with the ``ActionInvoked`` signal."""

    address: str
    shown: list[Shown] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    _serial: int = 0
    _ids: int = 0
    _pending: dict[int, asyncio.Future[bytes]] = field(default_factory=dict)

    async def start(self) -> None:
        socket_path = self.address.removeprefix("unix:path=").split(",", 1)[0]
        self._reader, self._writer = await asyncio.open_unix_connection(socket_path)
        uid = str(os.getuid()).encode().hex().encode()
        self._writer.write(b"\0AUTH EXTERNAL " + uid + b"\r\n")
        answer = await self._reader.readline()
        assert answer.startswith(b"OK "), f"D-Bus refused us: {answer!r}"
        self._writer.write(b"BEGIN\r\n")
        self._task = asyncio.create_task(self._serve())
        await self._call(*BUS, "Hello")
        # Flags 4: DO_NOT_QUEUE; the reply 1 means we are the primary owner.
        reply = await self._call(*BUS, "RequestName", "su", (NOTIFICATIONS, 4))
        assert _Reader(reply).u32() == 1, "another notification service owns the name"

    async def stop(self) -> None:
        self._task.cancel()
        self._writer.close()

    def click(self, shown: Shown) -> None:
        """What a desktop sends when the person taps the notification's body."""
        self._send(
            SIGNAL,
            {PATH: NOTIFICATIONS_PATH, INTERFACE: NOTIFICATIONS, MEMBER: "ActionInvoked"},
            "us",
            (shown.id, "default"),
        )

    def _send(
        self, kind: int, fields: dict[int, Any], signature: str = "", body: tuple[Any, ...] = ()
    ) -> int:
        self._serial += 1
        self._writer.write(_message(kind, self._serial, fields, signature, body))
        return self._serial

    async def _call(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: tuple[Any, ...] = (),
    ) -> bytes:
        fields = {PATH: path, INTERFACE: interface, MEMBER: member, DESTINATION: destination}
        serial = self._send(METHOD_CALL, fields, signature, body)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[serial] = future
        return await asyncio.wait_for(future, 5)

    async def _serve(self) -> None:
        while True:
            fixed = await self._reader.readexactly(16)
            assert fixed[:1] == b"l", "a big-endian peer"
            kind = fixed[1]
            body_length, serial, fields_length = struct.unpack_from("<III", fixed, 4)
            padding = -(16 + fields_length) % 8
            raw = fixed + await self._reader.readexactly(fields_length + padding + body_length)
            reader = _Reader(raw, 16)
            fields: dict[int, Any] = {}
            while reader.position < 16 + fields_length:
                reader.position += -reader.position % 8
                code = raw[reader.position]
                reader.position += 1
                fields[code] = reader.value(reader.value("g"))
            body = raw[len(raw) - body_length :]
            if kind in (METHOD_RETURN, ERROR):
                future = self._pending.pop(fields.get(REPLY_SERIAL, 0), None)
                if future is not None and not future.done():
                    future.set_result(body)
            elif kind == METHOD_CALL:
                self._answer(serial, fields, body)

    def _answer(self, serial: int, fields: dict[int, Any], body: bytes) -> None:
        reply = {REPLY_SERIAL: serial, DESTINATION: fields[SENDER]}
        member = fields.get(MEMBER)
        if member == "GetCapabilities":
            capabilities = ["actions", "body", "body-hyperlinks", "body-markup"]
            self._send(METHOD_RETURN, reply, "as", (capabilities,))
        elif member == "GetServerInformation":
            self._send(METHOD_RETURN, reply, "ssss", ("fake", "motcua tests", "1", "1.2"))
        elif member == "Notify":
            # susssasa{sv}i: app name, replaces id, icon, summary, body, actions, ...
            reader = _Reader(body)
            _app, replaces, _icon = reader.value("s"), reader.value("u"), reader.value("s")
            summary, text, actions = reader.value("s"), reader.value("s"), reader.value("as")
            if not replaces:
                self._ids += 1
            shown = Shown(replaces or self._ids, replaces, summary, text, actions)
            self.shown.append(shown)
            self._send(METHOD_RETURN, reply, "u", (shown.id,))
        elif member == "CloseNotification":
            self.closed.append(_Reader(body).u32())
            self._send(METHOD_RETURN, reply)
        else:
            error = {**reply, ERROR_NAME: "org.freedesktop.DBus.Error.UnknownMethod"}
            self._send(ERROR, error)


@pytest.fixture
async def notification_daemon(tmp_path: Path) -> AsyncIterator[FakeNotificationDaemon]:
    """A private D-Bus session bus with the fake notification service on it."""
    if DBUS_DAEMON is None:
        pytest.fail("the push test needs dbus-daemon: apt-get install dbus-daemon")
    socket_path = tmp_path / "bus"
    address = f"unix:path={socket_path}"
    process = await asyncio.create_subprocess_exec(
        DBUS_DAEMON,
        "--session",
        "--nofork",
        "--nopidfile",
        f"--address={address}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(POLLS):
            if socket_path.exists():
                break
            await asyncio.sleep(0.1)
        daemon = FakeNotificationDaemon(address)
        await daemon.start()
        yield daemon
        await daemon.stop()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


# -------------------------------------------------------------------- the browser


class PushServer(LocalhostServer):
    """Passkeys need localhost; the worker runs in the app even on PostgreSQL, so that
    status changes become notices without a separate ``motcua worker``."""

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "MOTCUA_WORKER_IN_PROCESS": "true"}


@pytest.fixture
async def push_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_push") if POSTGRES_URL else None
    server = PushServer(Path(tmp_path_factory.mktemp("e2e-push")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    cdp: CDPSession  # with the ServiceWorker domain enabled
    registrations: dict[str, str]  # scope URL -> service worker registration id


@pytest.fixture
async def phone(
    push_server: MotcuaServer,
    notification_daemon: FakeNotificationDaemon,
    tmp_path: Path,
) -> AsyncIterator[Phone]:
    """The citizen's phone: Chromium on the fake desktop's bus, its regular profile."""
    if not CHROMIUM_FOUND:
        pytest.fail(f"no Chromium at {CHROMIUM}: run ./dev test, which installs it")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": notification_daemon.address},
            base_url=push_server.url,
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            user_agent=MOBILE_USER_AGENT,
            locale="vi-VN",
            service_workers="allow",
        )
        context.set_default_timeout(10_000)
        await context.add_init_script(CSP_WATCH)
        await context.add_init_script(NO_AUTOFILL)
        await context.grant_permissions(["notifications"], origin=push_server.url)
        page = context.pages[0] if context.pages else await context.new_page()
        await virtual_authenticator(context, page)
        cdp = await context.new_cdp_session(page)
        registrations: dict[str, str] = {}

        def updated(event: dict[str, Any]) -> None:
            for registration in event["registrations"]:
                if not registration.get("isDeleted"):
                    registrations[registration["scopeURL"]] = registration["registrationId"]

        cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
        await cdp.send("ServiceWorker.enable")
        yield Phone(context, page, cdp, registrations)
        await context.close()


async def deliver(
    phone: Phone, server: MotcuaServer, payload: dict[str, Any], shown: Any, what: str
) -> Any:
    """Hand the service worker a push message (the worker's payload) until it shows.

    Chromium now and then drops a CDP-delivered message when the service worker is
    starting or stopping; a push service would redeliver, so the test does too.
    """
    registration_id = phone.registrations.get(f"{server.url}/")
    assert registration_id is not None, f"no service worker registration: {phone.registrations}"
    for _ in range(POLLS // REDELIVER_AFTER):
        await phone.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": server.url, "registrationId": registration_id, "data": json.dumps(payload)},
        )
        for _ in range(REDELIVER_AFTER):
            value = await shown()
            if value:
                return value
            await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def payload_of(notice: dict[str, Any], unread: int) -> dict[str, Any]:
    """The push message the worker makes of a notice (service.claim_jobs)."""
    return {
        "notice_id": notice["id"],
        "kind": notice["kind"],
        "title": notice["title"],
        "body": notice["body"],
        "url": notice["url"],
        "tag": f"dossier-{notice['dossier_id']}",
        "unread": unread,
    }


async def shown_notifications(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const registration = await navigator.serviceWorker.ready;
          return (await registration.getNotifications()).map(
            (n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
        }"""
    )
    return result


async def wait_until(check: Any, what: str) -> Any:
    for _ in range(POLLS):
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def wait_for_worker(page: Page) -> None:
    await wait_until(
        lambda: page.evaluate("navigator.serviceWorker.controller !== null"),
        "the service worker to control the page",
    )


async def notices(page: Page) -> dict[str, Any]:
    response = await page.request.get("/api/notices?page=1")
    assert response.ok, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def csrf(page: Page) -> dict[str, str]:
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    return {"x-csrftoken": cookies["csrftoken"]}


async def submit_a_dossier(page: Page, photo: Path) -> dict[str, Any]:
    """A legal-aid dossier through the JSON API (the pages are driven in test_dossiers)."""
    image = await asyncio.to_thread(photo.read_bytes)
    headers = await csrf(page)
    draft = await page.request.post(
        "/api/dossiers",
        data={"procedure_code": PROCEDURE, "draft_key": "push-test-draft-0001"},
        headers=headers,
    )
    assert draft.ok, await draft.text()
    dossier = await draft.json()
    saved = await page.request.patch(
        f"/api/dossiers/{dossier['id']}",
        data={
            "applicant_name": "Đỗ Thị Thông",
            "applicant_phone": "0912 345 678",
            "form_data": {"case_summary": "Tranh chấp lối đi chung", "beneficiary_group": "ngheo"},
        },
        headers=headers,
    )
    assert saved.ok, await saved.text()
    for component in dossier["components"]:
        if component["required"] and component["uploadable"]:
            uploaded = await page.request.post(
                f"/api/dossiers/{dossier['id']}/files",
                multipart={
                    "file": {
                        "name": "giay-to.jpg",
                        "mimeType": "image/jpeg",
                        "buffer": image,
                    },
                    "component_id": str(component["id"]),
                },
                headers=headers,
            )
            assert uploaded.ok, await uploaded.text()
    submitted = await page.request.post(f"/api/dossiers/{dossier['id']}/submit", headers=headers)
    assert submitted.ok, await submitted.text()
    result: dict[str, Any] = await submitted.json()
    return result


async def test_notifications_from_the_offer_to_the_tapped_notice(
    push_server: MotcuaServer,
    phone: Phone,
    notification_daemon: FakeNotificationDaemon,
    new_context: NewContext,
    tmp_path: Path,
) -> None:
    server, page, daemon = push_server, phone.page, notification_daemon
    errors = watch_errors(page)

    # Sign up (the virtual authenticator answers), then submit a dossier.
    await page.goto("/dang-ky")
    await wait_for_worker(page)
    await page.get_by_label("Họ và tên").fill("Đỗ Thị Thông")
    await page.get_by_label("Số điện thoại di động").fill("0912 345 678")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    dossier = await submit_a_dossier(page, photo_of_a_document(tmp_path / "giay-to.jpg"))
    dossier_url = f"{server.url}/ho-so/{dossier['id']}"

    # The receipt offers notifications; declining hides the offer for good.
    await page.goto(f"/ho-so/{dossier['id']}/bien-nhan")
    offer = page.locator("#push-offer")
    await expect(offer).to_be_visible()
    await expect(offer).to_contain_text("Bật thông báo để điện thoại báo ngay")
    await page.get_by_role("button", name="Không, cảm ơn").click()
    await expect(offer).to_be_hidden()
    await page.reload()
    await expect(page.locator("#dossier-code")).to_be_visible()
    await expect(offer).to_be_hidden()

    # The settings page tells the device's state and offers to turn it on.
    await page.goto("/tai-khoan/thong-bao")
    await expect(page.locator("#device-state")).to_have_text("Thiết bị này chưa nhận thông báo.")
    await expect(page.locator("#device-no-script")).to_be_hidden()
    await expect(page.get_by_role("button", name="Bật thông báo trên thiết bị này")).to_be_visible()

    # The agency receives the dossier: the worker makes a notice of it.
    reception_context, reception = await enrolled_official(
        new_context, server, "reception", "Lê Văn Tiếp"
    )
    # (Subscribing needs a push service, which headless Chromium lacks: in a Playwright
    # context it fails at once, and the page says so instead of failing silently.)
    await reception_context.grant_permissions(["notifications"], origin=server.url)
    await reception.goto("/tai-khoan/thong-bao")
    await reception.get_by_role("button", name="Bật thông báo trên thiết bị này").click()
    await expect(reception.locator("#device-note")).to_have_text(
        "Trình duyệt này không nhận được thông báo. "
        "Bạn vẫn xem được tình trạng hồ sơ trong mục Thông báo."
    )
    await expect(reception.locator("#device-state")).to_have_text(
        "Thiết bị này chưa nhận thông báo."
    )
    version = dossier["version"]
    step = await staff_api(
        reception,
        f"/api/dossiers/{dossier['id']}/actions",
        {"action": "receive", "version": version},
    )
    inbox = await wait_until(lambda: _notices_counted(page, 1), "the notice of the reception")
    [received] = inbox["items"]
    assert received["kind"] == "dossier.received" and received["read_at"] is None
    # The header's count, fetched by the page's script.
    await page.goto("/ho-so")
    await expect(page.locator("#unread-count")).to_be_visible()
    await expect(page.locator("#unread-number")).to_have_text("1")
    assert inbox["unread"] == 1

    # The push arrives: the phone shows it.
    shown = await deliver(
        phone,
        server,
        payload_of(received, 1),
        lambda: shown_notifications(page),
        "the first notification",
    )
    assert shown == [
        {
            "title": "Hồ sơ đã được tiếp nhận",
            "body": received["body"],
            "tag": f"dossier-{dossier['id']}",
            "data": {"url": f"/ho-so/{dossier['id']}", "notice_id": received["id"]},
        }
    ]
    assert dossier["code"] in received["body"]
    first = await wait_until(lambda: _shown_by(daemon, 1), "Chromium's Notify call")
    assert first[0].summary == "Hồ sơ đã được tiếp nhận" and received["body"] in first[0].body
    assert "default" in first[0].actions, "tapping the notification's body is its action"

    # A newer notice about the same dossier replaces it (same tag); the count updates live.
    await staff_api(
        reception,
        f"/api/dossiers/{dossier['id']}/actions",
        {
            "action": "request_supplement",
            "version": step["version"],
            "items": [
                {"label": "Ảnh căn cước rõ hơn", "component_id": dossier["components"][0]["id"]}
            ],
        },
    )
    later = await wait_until(lambda: _notices_counted(page, 2), "the supplement notice")
    supplement = later["items"][0]
    assert supplement["kind"] == "dossier.supplement_requested"
    await deliver(
        phone,
        server,
        payload_of(supplement, 2),
        lambda: _titles_are(page, ["Hồ sơ cần bổ sung"]),
        "the replacing notification",
    )
    assert len(await shown_notifications(page)) == 1, "one notification per dossier"
    await wait_until(lambda: _shown_by(daemon, 2), "the second Notify call")
    assert daemon.shown[-1].replaces_id == daemon.shown[-2].id, "Chromium replaced it in place"
    await expect(page.locator("#unread-number")).to_have_text("2")

    # Tapped with no window on the dossier: a new one opens there, through the
    # notice's address, which marks it read.
    await page.goto("/tra-cuu")
    async with phone.context.expect_page() as opened:
        daemon.click(daemon.shown[-1])
    tapped = await opened.value
    await expect(tapped).to_have_url(dossier_url)
    await expect(tapped.locator("#status-now")).to_contain_text("bổ sung")
    assert await shown_notifications(page) == [], "the tapped notification is gone"
    after = await notices(page)
    assert after["unread"] == 1
    assert [n["read_at"] is not None for n in after["items"]] == [True, False]

    # Tapped while the dossier is open: that window is used (no new one), and the
    # older notice is read too.
    await tapped.close()
    await page.goto(f"/ho-so/{dossier['id']}")
    await deliver(
        phone,
        server,
        payload_of(received, 1),
        lambda: shown_notifications(page),
        "the notification again",
    )
    # Click the notification just shown, not the one the daemon had before it.
    await wait_until(lambda: _shown_by(daemon, 3), "the third Notify call")
    pages_before = len(phone.context.pages)
    daemon.click(daemon.shown[-1])
    await wait_until(lambda: _all_read(page), "the older notice to be read")
    await expect(page).to_have_url(dossier_url)
    assert len(phone.context.pages) == pages_before, "no second window"
    await expect(page.locator("#unread-count")).to_be_hidden()

    # The inbox lists both, read, newest first.
    await page.goto("/thong-bao")
    titles = page.locator("#notices .item-title")
    await expect(titles).to_have_count(2)
    await expect(titles.first).to_have_text("Hồ sơ cần bổ sung")
    await expect(page.locator(".notice-line.unread")).to_have_count(0)

    assert await csp_violations(page) == [], "Content-Security-Policy violations"
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)


async def _notices_counted(page: Page, count: int) -> dict[str, Any] | None:
    found = await notices(page)
    return found if len(found["items"]) == count else None


async def _shown_by(daemon: FakeNotificationDaemon, count: int) -> list[Shown] | None:
    return daemon.shown if len(daemon.shown) >= count else None


async def _titles_are(page: Page, titles: list[str]) -> bool:
    return [n["title"] for n in await shown_notifications(page)] == titles


async def _all_read(page: Page) -> bool:
    return (await notices(page))["unread"] == 0
