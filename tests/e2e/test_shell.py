"""The app shell in a real Chromium: the home page, the service worker, the
language switch."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.helpers import csp_violations, demo_procedures, wait_for_controller
from tests.e2e.server import MotcuaServer

pytestmark = pytest.mark.browser


async def test_home_page_in_vietnamese_without_errors(
    page: Page, console_errors: list[str], server: MotcuaServer
) -> None:
    response = await page.goto("/")
    assert response is not None, "no response for /"
    assert response.status == 200, f"/ answered {response.status}"
    await expect(page.locator("html"), "the page is in Vietnamese").to_have_attribute("lang", "vi")
    await expect(page.get_by_role("searchbox"), "the search box is shown").to_be_visible()
    main = page.get_by_role("main")
    for label in ("Quét mã QR", "Tra cứu hồ sơ", "Đăng nhập"):
        await expect(main.get_by_role("link", name=label), f"link {label!r}").to_be_visible()

    # The scripts have run (the worker is registered and active) before errors are counted.
    await wait_for_controller(page)
    await page.wait_for_load_state("networkidle")
    assert await csp_violations(page) == [], "Content-Security-Policy violations"
    assert console_errors == [], "errors in the browser console:\n" + "\n".join(console_errors)


async def test_service_worker_registers_and_controls_the_page(
    page: Page, server: MotcuaServer
) -> None:
    await page.goto("/")
    state = await wait_for_controller(page)
    assert state["controller"], f"no controlling service worker: {state}"
    assert state["controller"].endswith("/sw.js"), f"controller is not /sw.js: {state}"
    assert state["active"] == state["controller"], f"active worker is not the controller: {state}"
    assert state["scope"] == f"{server.url}/", f"worker scope is not the site root: {state}"


async def test_language_switch_is_remembered(
    page: Page, context: BrowserContext, server: MotcuaServer
) -> None:
    procedure = demo_procedures()[0]
    html = page.locator("html")

    await page.goto("/")
    await expect(html).to_have_attribute("lang", "vi")
    await page.get_by_role("link", name="English").click()
    await expect(html, "html lang after choosing English").to_have_attribute("lang", "en")
    await expect(page.get_by_role("link", name="Scan a QR code")).to_be_visible()
    cookies = {cookie["name"]: cookie["value"] for cookie in await context.cookies()}
    assert cookies.get("lang") == "en", f"the choice is not kept in a cookie: {cookies}"

    # A new page load, on another page, keeps English.
    await page.goto(f"/p/{procedure.code}")
    await expect(html, "English is remembered on the next load").to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_have_text(procedure.name_en)

    # Back to Vietnamese, staying on the same page.
    await page.get_by_role("link", name="Tiếng Việt").click()
    await expect(html, "html lang after choosing Tiếng Việt").to_have_attribute("lang", "vi")
    await expect(page).to_have_url(f"{server.url}/p/{procedure.code}")
    await expect(page.locator("h1")).to_have_text(procedure.name_vi)
    await page.goto("/")
    await expect(page.get_by_role("link", name="Quét mã QR")).to_be_visible()
