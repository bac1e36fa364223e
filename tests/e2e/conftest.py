"""Fixtures for the browser tests: a real ``motcua serve`` and a headless Chromium."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from tests.e2e.server import MotcuaServer
from tests.support.databases import POSTGRES_URL, fresh_postgres

CHROMIUM = os.environ.get("MOTCUA_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FOUND = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
MOBILE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"
)
# Runs in every page before its own scripts; Chromium also logs CSP violations as
# console errors, this keeps a list the tests can read directly.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

NewContext = Callable[[str], Awaitable[BrowserContext]]


async def start_server(data_dir: Path, suffix: str) -> MotcuaServer:
    database_url = await fresh_postgres(suffix) if POSTGRES_URL else None
    server = MotcuaServer(data_dir, database_url)
    await asyncio.to_thread(server.start)
    return server


@pytest.fixture(scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    """The server most browser tests share, for the whole session."""
    server = await start_server(tmp_path_factory.mktemp("e2e-server"), "e2e")
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture
async def own_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    """A server of the test's own, which the test may stop."""
    server = await start_server(tmp_path_factory.mktemp("e2e-own-server"), "e2e_own")
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_FOUND:
        pytest.fail(f"no Chromium at {CHROMIUM}: run ./dev test, which installs it")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
async def new_context(browser: Browser) -> AsyncIterator[NewContext]:
    """Opens fresh phone-sized Vietnamese contexts (own cookies, caches and service
    workers) on a given origin; all are closed after the test."""
    contexts: list[BrowserContext] = []

    async def make(base_url: str) -> BrowserContext:
        context = await browser.new_context(
            base_url=base_url,
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            user_agent=MOBILE_USER_AGENT,
            locale="vi-VN",
            service_workers="allow",
        )
        context.set_default_timeout(10_000)
        await context.add_init_script(CSP_WATCH)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        await context.close()


@pytest.fixture
async def context(server: MotcuaServer, new_context: NewContext) -> BrowserContext:
    return await new_context(server.url)


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


def watch_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of the page, as they happen."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            errors.append(f"console error: {message.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


@pytest.fixture
async def console_errors(page: Page) -> list[str]:
    # Async on purpose: Playwright's page.on() needs the event loop, which a sync
    # fixture does not see once another test has run asyncio.run().
    return watch_errors(page)
