"""The receipt of a dossier whose fee is due before reception, on a 360×740 phone in a
real Chromium (issue 16): the heading that paying is next and its button are in the
first screen, before the confirmation, and the button leads to the pay step. Before,
the page opened with "Đã nộp hồ sơ" and the pay button sat 2.4 screens lower."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Locator, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import photo_of_a_document
from tests.e2e.test_payments import submit_a_licence_dossier
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

VIEWPORT_HEIGHT = 740


@pytest.fixture
async def receipt_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_receipt_first") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-receipt-first")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def in_first_screen(element: Locator) -> None:
    """Visible without scrolling: the whole element between the top and the fold."""
    await expect(element).to_be_visible()
    box = await element.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT_HEIGHT, box


async def test_the_pay_button_is_in_the_first_screen_of_the_receipt(
    receipt_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    context = await new_context(receipt_server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Đỗ Thị Thông")
    await page.get_by_label("Số điện thoại di động").fill("0912 345 678")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    dossier = await submit_a_licence_dossier(page, photo_of_a_document(tmp_path / "giay-to.jpg"))

    await page.goto(f"/ho-so/{dossier['id']}/bien-nhan")
    assert await page.evaluate("window.innerHeight") == VIEWPORT_HEIGHT
    assert await page.evaluate("window.scrollY") == 0
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_have_text("Còn một bước: nộp phí, lệ phí")
    await in_first_screen(heading)
    button = page.get_by_role("link", name="Thanh toán ngay")
    await in_first_screen(button)
    # The confirmation comes after it.
    first, then = await button.bounding_box(), await page.locator("#receipt").bounding_box()
    assert first and then and first["y"] < then["y"]
    print(f"receipt at 360x740: pay button's bottom at {first['y'] + first['height']:.0f} px")
    await expect(page.get_by_text("Cơ quan đã nhận được hồ sơ của bạn qua mạng.")).to_have_count(0)

    await button.click()
    await expect(page.get_by_role("heading", name="Thanh toán phí, lệ phí")).to_be_visible()
    await expect(page.locator("#total")).to_have_text("115.000 ₫")
    assert await csp_violations(page) == []
    assert errors == []
