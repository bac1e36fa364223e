"""Offline in a real Chromium: the server is stopped for real, and the service worker
answers from what the person visited before, or with the offline page."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, expect

from tests.e2e.conftest import NewContext
from tests.e2e.helpers import demo_procedures, wait_for_controller, wait_until_cached
from tests.e2e.server import MotcuaServer

pytestmark = pytest.mark.browser

OFFLINE_HEADING = "Bạn đang không có mạng"


async def heading_after_navigation(page: Page, path: str) -> str:
    try:
        response = await page.goto(path)
    except PlaywrightError as error:
        raise AssertionError(
            f"offline navigation to {path} failed: the service worker did not answer ({error})"
        ) from None
    assert response is not None, f"no response for {path} while offline"
    return await page.locator("h1").inner_text()


async def test_visited_pages_open_offline_and_others_show_offline_page(
    own_server: MotcuaServer, new_context: NewContext
) -> None:
    visited, unvisited = demo_procedures()[:2]
    context = await new_context(own_server.url)
    page = await context.new_page()

    # Online: the first load installs the worker; the next navigations go through it.
    await page.goto("/")
    await wait_for_controller(page)
    await page.goto("/")
    await page.goto(f"/p/{visited.code}")
    await expect(page.locator("h1")).to_have_text(visited.name_vi)
    await wait_until_cached(page, [f"{own_server.url}/", f"{own_server.url}/p/{visited.code}"])

    # The network really goes away: nothing listens on the port any more.
    await asyncio.to_thread(own_server.stop)
    assert not own_server.running, "the server is still running"

    heading = await heading_after_navigation(page, f"/p/{visited.code}")
    assert heading == visited.name_vi, f"visited page offline shows {heading!r}"
    heading = await heading_after_navigation(page, "/")
    assert "Bạn cần làm thủ tục gì?" in heading, f"home page offline shows {heading!r}"

    for path in (f"/p/{unvisited.code}", "/thu-tuc?q=xyz"):
        heading = await heading_after_navigation(page, path)
        assert heading == OFFLINE_HEADING, f"unvisited {path} offline shows {heading!r}"
