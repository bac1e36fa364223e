"""The public dashboard in a real Chromium: the charts are images named for screen
readers, with their tables, within the CSP, in both languages, and readable on a
320 px wide screen."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer

pytestmark = pytest.mark.browser


async def test_the_public_figures_and_their_charts(
    page: Page, server: MotcuaServer, console_errors: list[str]
) -> None:
    await page.goto("/thong-ke")
    await expect(page.locator("h1")).to_have_text("Thống kê dịch vụ công của tỉnh")
    charts = page.get_by_role("img")
    await expect(charts).to_have_count(2)
    await expect(page.get_by_role("img", name="Hồ sơ tiếp nhận theo kênh")).to_be_visible()
    await expect(page.locator("table.stat-table")).to_have_count(2)
    indicator = "Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính"
    await expect(page.get_by_text(indicator, exact=True)).to_be_visible()
    assert await csp_violations(page) == []
    assert console_errors == [], console_errors

    await page.goto("/ngon-ngu?lang=en&next=/thong-ke")
    await expect(page.locator("h1")).to_have_text("The province's public service in figures")
    await expect(page.get_by_role("img", name="Dossiers received by channel")).to_be_visible()
    await expect(
        page.get_by_text("Satisfaction with receiving and processing dossiers", exact=True)
    ).to_be_visible()


async def test_readable_at_320_px(page: Page, server: MotcuaServer) -> None:
    await page.set_viewport_size({"width": 320, "height": 640})
    await page.goto("/thong-ke")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"/thong-ke scrolls sideways at 320 px ({width} px wide)"
