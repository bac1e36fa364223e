"""Catalogue pages in a real Chromium: the QR SVG as a browser draws it, the
remembered checklist, "recently viewed", and a 320 px wide screen."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Page, expect

from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("code", ["1.001193", "2.000815"])
async def test_the_qr_svg_decodes_as_the_browser_draws_it(
    page: Page, server: MotcuaServer, code: str, tmp_path: object
) -> None:
    await page.set_viewport_size({"width": 600, "height": 600})
    response = await page.goto(f"/api/procedures/{code}/qr.svg")
    assert response is not None and response.status == 200
    shot = tmp_path / "qr.png"  # type: ignore[operator]
    await page.screenshot(path=str(shot))
    decoded = [result.text for result in zxingcpp.read_barcodes(Image.open(shot))]
    assert decoded == [f"{server.url}/p/{code}"]


async def test_the_checklist_is_remembered_and_the_page_listed_as_recent(
    page: Page, server: MotcuaServer, console_errors: list[str]
) -> None:
    await page.goto("/p/1.002809")
    second = page.locator("#doc-2")
    await second.check()
    await page.reload()
    await expect(page.locator("#doc-2")).to_be_checked()
    await expect(page.locator("#doc-1")).not_to_be_checked()
    await page.locator("#doc-2").uncheck()
    await page.reload()
    await expect(page.locator("#doc-2")).not_to_be_checked()

    await page.goto("/p/1.001193")
    await page.goto("/thu-tuc")
    recent = page.locator("#recent-list a")
    await expect(recent).to_have_count(2)
    await expect(recent.first).to_have_text("Thủ tục đăng ký khai sinh")
    await expect(recent.first).to_have_attribute("href", "/p/1.001193")
    assert await csp_violations(page) == []
    assert console_errors == [], console_errors


@pytest.mark.parametrize(
    "path", ["/p/2.000815", "/thu-tuc?q=dang+ky", "/quet-ma", "/p/1.002809/poster"]
)
async def test_readable_at_320_px(page: Page, server: MotcuaServer, path: str) -> None:
    await page.set_viewport_size({"width": 320, "height": 640})
    await page.goto(path)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
