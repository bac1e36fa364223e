"""Small browser-side helpers shared by the e2e tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, expect

from tests.e2e.server import REPO

PAGES_CACHE = "motcua-pages-v2"  # public/sw.js
CACHE_POLLS = 100  # every 0.1 s: 10 s


async def attach_to_every_document(page: Page, photo: Path) -> None:
    """A photo for each document step, from the current step to the review. Each
    click's navigation is awaited before the next step is looked at: read too early,
    the page between two steps has no upload, and a step (an exemption's evidence)
    would be skipped."""
    while await page.locator(".upload").count():
        component = await page.locator(".upload").first.get_attribute("data-component")
        await page.locator(f"#file-{component}").set_input_files(str(photo))
        await expect(page.locator(f"#files-{component} li")).to_have_count(1, timeout=30_000)
        step = page.url
        await page.locator(".next-button").click()
        await expect(page).not_to_have_url(step)
        await page.wait_for_load_state()


@dataclass(frozen=True)
class Procedure:
    code: str
    name_vi: str
    name_en: str


def demo_procedures() -> list[Procedure]:
    """The demo catalogue the server loads with MOTCUA_DEMO=true."""
    data = json.loads((REPO / "backend/catalogue/demo_catalogue.json").read_text())
    return [Procedure(p["code"], p["name_vi"], p["name_en"]) for p in data["procedures"]]


async def service_worker_state(page: Page) -> dict[str, Any]:
    return await page.evaluate(
        """async () => {
          const registration = await navigator.serviceWorker.ready;
          const controller = navigator.serviceWorker.controller;
          return {
            scope: registration.scope,
            active: registration.active && registration.active.scriptURL,
            controller: controller && controller.scriptURL,
          };
        }"""
    )


async def wait_for_controller(page: Page, attempts: int = 3) -> dict[str, Any]:
    """Wait until a service worker is active and controls the page, reloading if needed
    (clients.claim() normally makes the reload unnecessary)."""
    state: dict[str, Any] = {}
    for _ in range(attempts):
        state = await asyncio.wait_for(service_worker_state(page), timeout=10)
        try:
            await page.wait_for_function(
                "navigator.serviceWorker.controller !== null", timeout=3_000
            )
        except PlaywrightError:
            await page.reload()
            continue
        return await service_worker_state(page)
    raise AssertionError(f"no service worker controls {page.url} after reloads: {state}")


async def cached_pages(page: Page) -> list[str]:
    return await page.evaluate(
        """async (name) => {
          const cache = await caches.open(name);
          return (await cache.keys()).map((request) => request.url);
        }""",
        PAGES_CACHE,
    )


async def wait_until_cached(page: Page, urls: list[str]) -> None:
    """The worker stores pages after answering (event.waitUntil): wait for it."""
    cached: list[str] = []
    for _ in range(CACHE_POLLS):
        cached = await cached_pages(page)
        if all(url in cached for url in urls):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"pages not cached by the service worker: want {urls}, have {cached}")


async def csp_violations(page: Page) -> list[str]:
    return await page.evaluate("window.__cspViolations || []")


async def loaded_width(image: Locator) -> int:
    """The natural width of an <img> once its picture has loaded and decoded: visible
    is not loaded, and a busy machine shows the box before the bytes."""
    width: int = await image.evaluate(
        "async img => { await img.decode(); return img.naturalWidth; }"
    )
    return width
