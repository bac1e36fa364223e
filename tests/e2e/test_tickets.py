"""Queue tickets in a real Chromium against a real ``motcua serve``: a phone opens the
entrance QR's page, takes a ticket with the plain form, and its page follows the line
by itself (the status API answered here by the test, as the officials' calls would
change it): "near", then "called" with the announcement and a vibration. The hall's
screen updates in place. No page breaks the strict CSP or logs an error."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from backend.settings import Settings
from backend.tickets import service
from backend.vietnam import VIETNAM
from tests.e2e.conftest import watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer

pytestmark = pytest.mark.browser

WARD = "000.01.40.H56"  # two counters in the demo catalogue
VIBRATE_SPY = (
    "window.__vibrations = [];"
    " navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };"
)


def keys(server: MotcuaServer) -> tuple[str, int, str]:
    settings = Settings.from_env(server.environment())
    return settings.secret_key, settings.tickets.key_version, settings.public_url


def status(code: str, state: str, ahead: int) -> dict[str, object]:
    return {
        "code": code,
        "state": state,
        "agency_code": WARD,
        "counter_number": 1,
        "transferred_from": None,
        "serving": "1001",
        "ahead": ahead,
        "wait_minutes": ahead * 5,
        "times_called": 1 if state == "called" else 0,
    }


async def test_a_phone_takes_a_ticket_and_its_page_follows_the_line(
    server: MotcuaServer, context: BrowserContext, page: Page
) -> None:
    errors = watch_errors(page)
    secret, version, _ = keys(server)
    today = dt.datetime.now(VIETNAM).date()
    token = service.entrance_token(secret, version, WARD, today)
    await context.add_init_script(VIBRATE_SPY)
    await page.goto(f"/lay-so/{token}")
    if "không phải ngày làm việc" in (await page.content()):
        pytest.skip("today is a day off: the centre gives no numbers")
    await expect(page.locator("h1")).to_contain_text("Lấy số thứ tự")
    await page.locator("#choice").select_option("khac")
    await page.get_by_role("button", name="Lấy số").click()
    if await page.locator("#error-summary").count():
        text = await page.locator("#error-summary").inner_text()
        if "ngày làm việc" in text:
            pytest.skip("today is a day off: the centre gives no numbers")
    await expect(page).to_have_url(re.compile(r"/so-thu-tu/[\w-]+$"))
    code = (await page.locator("#ticket-code").inner_text()).strip()
    assert re.fullmatch(r"1\d{3}", code)

    answers = [status(code, "waiting", 2), status(code, "called", 0)]

    async def answer(route: Route) -> None:
        body = answers[0] if len(answers) > 1 else answers[-1]
        if len(answers) > 1:
            answers.pop(0)
        await route.fulfill(
            status=200,
            content_type="application/json",
            headers={"ETag": f'"{body["state"]}"'},
            body=json.dumps(body),
        )

    await page.route("**/api/tickets/*", answer)
    state = page.locator("#ticket-state")
    await expect(state).to_have_attribute("aria-live", "assertive")
    await expect(state).to_contain_text("Đến lượt bạn", timeout=20_000)
    await expect(page.locator("#ticket")).to_have_class(re.compile("ticket-called"))
    assert await page.evaluate("window.__vibrations.length") >= 1
    assert await csp_violations(page) == []
    assert errors == []


async def test_the_hall_screen_updates_in_place(server: MotcuaServer, page: Page) -> None:
    errors = watch_errors(page)
    secret, version, _ = keys(server)
    token = service.display_token(secret, version, WARD)
    await page.goto(f"/man-hinh/{token}")
    await expect(page.locator("#hall-lines tr")).to_have_count(2)
    await expect(page.locator(".hall-qr-code svg")).to_be_visible()
    day = await page.locator("#hall").get_attribute("data-day")

    async def answer(route: Route) -> None:
        screen = {
            "agency_code": WARD,
            "day": day,
            "calls": [
                {
                    "code": "2007",
                    "counter_number": 2,
                    "times_called": 1,
                    "at": "2026-10-05T02:00:00Z",
                },
                {
                    "code": "1004",
                    "counter_number": 1,
                    "times_called": 2,
                    "at": "2026-10-05T01:59:00Z",
                },
            ],
            "counters": [
                {
                    "counter_number": 1,
                    "name_vi": "",
                    "name_en": "",
                    "serving": "1004",
                    "waiting": 3,
                },
                {
                    "counter_number": 2,
                    "name_vi": "",
                    "name_en": "",
                    "serving": "2007",
                    "waiting": 0,
                },
            ],
        }
        await route.fulfill(status=200, content_type="application/json", body=json.dumps(screen))

    await page.route("**/api/tickets/man-hinh/*", answer)
    await expect(page.locator("#hall-latest")).to_contain_text("2007", timeout=15_000)
    await expect(page.locator("#hall-latest")).to_contain_text("Quầy 2")
    await expect(page.locator("#hall-earlier li")).to_have_text([re.compile("1004.*Quầy 1")])
    await expect(page.locator('#hall-lines tr[data-counter="1"] [data-waiting]')).to_have_text("3")
    assert await csp_violations(page) == []
    assert errors == []
