"""Drafts in a real Chromium with the page scripts (issue 16): "Bắt đầu" pressed again
opens the draft there is where it stopped, "Tạo hồ sơ mới" makes a second one, and a
draft is deleted from "Hồ sơ của tôi" after the page asks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

PROCEDURE = "2.001680"  # Thủ tục yêu cầu trợ giúp pháp lý: one agency
STEP = re.compile(r"/ho-so/(\d+)/buoc/(\d+)$")


@pytest.fixture
async def drafts_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_drafts") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-drafts")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def at_step(page: Page) -> tuple[int, int]:
    await expect(page).to_have_url(STEP)
    found = STEP.search(page.url)
    assert found
    return int(found.group(1)), int(found.group(2))


async def test_start_again_another_and_delete(
    drafts_server: MotcuaServer, new_context: NewContext
) -> None:
    context = await new_context(drafts_server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Đinh Thị Thu")
    await page.get_by_label("Số điện thoại di động").fill("0916 135 792")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()

    # The first "Bắt đầu" makes the draft; the applicant's step saved, on to the answers.
    await page.goto(f"/p/{PROCEDURE}/nop")
    await expect(page.locator("#drafts-here")).to_have_count(0)
    await page.locator("#start-button").click()
    first, number = await at_step(page)
    assert number == 1
    await page.get_by_role("button", name="Lưu và tiếp tục").click()
    await expect(page.locator("#step-title")).to_have_text("Thông tin cần khai")

    # Later, from the procedure again: the draft is offered, and "Bắt đầu" goes on
    # where it stopped instead of making another.
    await page.goto(f"/p/{PROCEDURE}/nop")
    await expect(page.locator("#drafts-here")).to_be_visible()
    await page.locator("#start-button").click()
    assert await at_step(page) == (first, 2)
    # Asked for: a second draft, from its first step.
    await page.goto(f"/p/{PROCEDURE}/nop")
    await page.get_by_role("button", name="Tạo hồ sơ mới").click()
    second, number = await at_step(page)
    assert second != first and number == 1

    # Deleting the second from "Hồ sơ của tôi": asked first, then gone.
    await page.goto("/ho-so")
    drafts = page.locator("#drafts li")
    await expect(drafts).to_have_count(2)
    await page.locator(f'a[href="/ho-so/{second}/xoa"]').click()
    await expect(page.get_by_role("heading", name="Xóa bản nháp này?")).to_be_visible()
    await page.get_by_role("button", name="Có, xóa bản nháp").click()
    await expect(page.locator("#discarded")).to_be_visible()
    await expect(drafts).to_have_count(1)
    await expect(page.locator(f'a[href="/ho-so/{first}/tiep-tuc"]')).to_be_visible()
    # "Tiếp tục" takes the first draft up at its answers.
    await page.locator(f'a[href="/ho-so/{first}/tiep-tuc"]').click()
    assert await at_step(page) == (first, 2)
    assert await csp_violations(page) == []
    assert errors == []
