""" "Giấy tờ của tôi" in a real Chromium (issue 17): a citizen who sent documents with an
earlier dossier finds them in their store, and in a new draft attaches one to a
document's step in one tap instead of photographing it again."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Page, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import attach_to_every_document, csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

PROCEDURE = "2.001680"  # Thủ tục yêu cầu trợ giúp pháp lý: three documents, one agency
WIDER_THAN_SCREEN = "document.documentElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture
async def store_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_store") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-store")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


def a_photo(path: Path) -> Path:
    image = Image.new("RGB", (800, 600), (236, 232, 220))
    for row in range(60, 560, 40):
        image.paste((40, 40, 40), (80, row, 720, row + 8))
    image.save(path, "JPEG", quality=90)
    return path


async def through_answers(page: Page) -> None:
    """A new draft's applicant (from the account) and its two answers."""
    await page.goto(f"/p/{PROCEDURE}/nop")
    await page.locator("#start-button").click()
    await expect(page.locator("#step-title")).to_have_text("Người nộp hồ sơ")
    await page.get_by_role("button", name="Lưu và tiếp tục").click()
    await expect(page.locator("#step-title")).to_have_text("Thông tin cần khai")
    await page.get_by_label("Tóm tắt vụ việc cần trợ giúp").fill("Tranh chấp ranh giới đất")
    await page.get_by_label("Người thuộc hộ nghèo").check()
    await page.get_by_role("button", name="Lưu và tiếp tục").click()
    await expect(page.locator("#step-title")).not_to_have_text("Thông tin cần khai")


async def test_a_document_sent_before_is_reused_in_one_tap(
    store_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    context = await new_context(store_server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Vũ Thị Giang")
    await page.get_by_label("Số điện thoại di động").fill("0917 246 813")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()

    # Nothing yet: the store says so.
    await page.goto("/ho-so")
    await page.locator("#store-link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Giấy tờ của tôi")
    await expect(page.locator("#store-empty")).to_be_visible()

    # An earlier dossier, its documents photographed and sent.
    await through_answers(page)
    await attach_to_every_document(page, a_photo(tmp_path / "don.jpg"))
    await page.locator("#submit-button").click()
    await expect(page.locator("#dossier-code")).not_to_be_empty()
    await page.goto("/giay-to")
    sent = page.locator("#uploads li")
    await expect(sent).not_to_have_count(0)
    await page.set_viewport_size({"width": 320, "height": 640})
    assert not await page.evaluate(WIDER_THAN_SCREEN)
    await expect(sent.first.get_by_role("link", name="Tải về")).to_have_attribute(
        "href", re.compile(r"^/api/dossiers/\d+/files/\d+$")
    )

    # A new dossier: the first document's step offers what was sent, the same one first.
    await through_answers(page)
    heading = (await page.locator("#step-title").inner_text()).strip()
    upload = page.locator(".upload")
    component = await upload.get_attribute("data-component")
    await expect(page.locator(f"#files-{component} li")).to_have_count(0)
    reuse = page.locator(f"#reuse-{component}")
    await expect(reuse.get_by_role("heading", name="Hoặc dùng giấy tờ đã có")).to_be_visible()
    first = reuse.locator("li").first
    await expect(first.locator(".file-name")).to_have_text(heading)
    # The smallest phones: nothing wider than the screen, the button within reach.
    await page.set_viewport_size({"width": 320, "height": 640})
    assert not await page.evaluate(WIDER_THAN_SCREEN)
    box = await first.get_by_role("button", name="Dùng").bounding_box()
    assert box and box["x"] + box["width"] <= 320 and box["height"] >= 44
    await first.get_by_role("button", name="Dùng").click()

    # One tap: attached, said so, and the step goes on as after an upload.
    await expect(page.locator("#reused")).to_be_visible()
    await expect(page.locator(f"#files-{component} li")).to_have_count(1)
    await expect(page.locator(f"#files-{component} .file-name")).to_have_text("don.jpg")
    await page.locator(".next-button").click()
    await expect(page.locator("#step-title")).not_to_have_text(heading)
    assert await csp_violations(page) == []
    assert errors == []
