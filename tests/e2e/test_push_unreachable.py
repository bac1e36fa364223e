"""Turning notifications on where the browser's push service cannot be reached
(issue 16): the page answers within its budget, says what happened and where the
news still is, and lets the person try again.

No fake here: Chromium's regular profile (``launch_persistent_context``) subscribes
through its real push service (Firebase Cloud Messaging), which this closed network
cannot reach, so ``pushManager.subscribe()`` never settles, as on a network that
blocks it. (Playwright's off-the-record contexts refuse at once instead.)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_FOUND, MOBILE_USER_AGENT
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

# The page's own budget is 10 s; this is only how long the test waits for its answer.
ANSWER_WAIT_MS = 15_000
UNREACHABLE = {
    "vi": "Trình duyệt không kết nối được với dịch vụ thông báo của nó",
    "en": "Your browser could not reach its notification service",
}
INBOX = {"vi": "Mọi tin về hồ sơ vẫn có ở mục Thông báo", "en": "still under Notices"}
TURN_ON = {"vi": "Bật thông báo trên thiết bị này", "en": "Turn on notifications on this device"}


@pytest.fixture
async def unreachable_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_push_unreachable") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-push-unreachable")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture
async def phone(unreachable_server: MotcuaServer, tmp_path: Path) -> AsyncIterator[Page]:
    if not CHROMIUM_FOUND:
        pytest.fail(f"no Chromium at {CHROMIUM}: run ./dev test, which installs it")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            env=dict(os.environ),
            base_url=unreachable_server.url,
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            user_agent=MOBILE_USER_AGENT,
            locale="vi-VN",
            service_workers="allow",
        )
        context.set_default_timeout(10_000)
        await context.add_init_script(NO_AUTOFILL)
        await context.grant_permissions(["notifications"], origin=unreachable_server.url)
        page = context.pages[0] if context.pages else await context.new_page()
        await virtual_authenticator(context, page)
        yield page
        await context.close()


async def test_an_unreachable_push_service_is_told_and_can_be_tried_again(phone: Page) -> None:
    page = phone
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Trần Văn Mạng")
    await page.get_by_label("Số điện thoại di động").fill("0914 000 111")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    await page.wait_for_load_state()

    for lang in ("vi", "en"):
        await page.goto(f"/ngon-ngu?lang={lang}&next=/tai-khoan/thong-bao")
        turn_on = page.get_by_role("button", name=TURN_ON[lang], exact=True)
        note = page.locator("#device-note")
        # Each answer waits out the page's budget: a second try in Vietnamese only.
        for attempt in (1, 2) if lang == "vi" else (1,):
            await turn_on.click()
            await expect(note, f"{lang}, attempt {attempt}").to_contain_text(
                UNREACHABLE[lang], timeout=ANSWER_WAIT_MS
            )
            await expect(note).to_contain_text(INBOX[lang])
            # Ready for another try, and still honest about the device's state.
            await expect(turn_on).to_be_enabled()
            await expect(page.locator("#device-state")).to_contain_text(
                "chưa nhận thông báo" if lang == "vi" else "not"
            )
    # The other channel it points to is there.
    await page.get_by_role("link", name="Notices").first.click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
