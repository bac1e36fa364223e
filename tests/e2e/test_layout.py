"""Layout in a real Chromium (issue 16): nothing on a citizen's page moves while it
loads, the header keeps to one or two rows on a 320 px phone and shows each person
their own links, a file input styled as a button shows the keyboard focus, the app
turns with the phone, Vietnamese citations are marked as Vietnamese in English.

Moves are counted as Chromium reports them (``layout-shift`` entries through a
PerformanceObserver, without those right after an input: the CLS of Web Vitals).
On this machine a page's scripts arrive before its first paint; on a slow phone
network they arrive after it, and whatever a script shows then pushes the page down.
The tests hold every script back until the page has painted, which is that case.
Lighthouse's scores over every page: tests/audit/lighthouse.py (on demand).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, expect
from playwright.async_api import Error as PlaywrightError

from tests.e2e.conftest import NewContext
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import enrolled_official
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

# Web Vitals' "good" is 0.1; the issue's goal for every citizen page is 0.02.
MOST_SHIFT = 0.02
SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__shifts.push({
      value: entry.value,
      moved: entry.sources.map((s) => s.node && (s.node.id || s.node.className || s.node.nodeName)),
    });
  }
}).observe({ type: "layout-shift", buffered: true });
"""
PUBLIC_PAGES = [
    "/",
    "/quet-ma",
    "/p/1.001193",
    "/thu-tuc?q=khai+sinh",
    "/tra-cuu",
    "/phan-anh/cong-khai",
    "/thong-ke",
]
# A network condition, not a measurement: long enough for Chromium to paint first.
SCRIPT_DELAY_S = 1.0
CITIZEN_PAGES = ["/ho-so", "/thong-bao", "/tai-khoan/thong-bao"]
CITIZEN_LINKS = ["Hồ sơ của tôi", "Thông báo", "Tài khoản"]


@pytest.fixture(scope="module")
async def layout_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    # "localhost": passkeys need a host name as their relying party.
    database_url = await fresh_postgres("e2e_layout") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-layout")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def scripts_after_first_paint(page: Page) -> None:
    """Every script arrives a second late, as on a slow phone network: the page has
    painted what the HTML and styles give before any script runs."""

    async def later(route: Route) -> None:
        await asyncio.sleep(SCRIPT_DELAY_S)
        # The page may have gone away meanwhile: its script is not needed then.
        with contextlib.suppress(PlaywrightError):
            await route.continue_()

    await page.route("**/static/**/*.js", later)


async def shifts_while_loading(page: Page, path: str) -> list[dict[str, Any]]:
    await page.goto(path)
    await page.wait_for_load_state("networkidle")
    # Two frames more, so the last script's changes are laid out and reported.
    await page.evaluate("new Promise((done) => requestAnimationFrame(() => setTimeout(done, 100)))")
    shifts: list[dict[str, Any]] = await page.evaluate("window.__shifts")
    return shifts


async def citizen(
    new_context: NewContext, server: MotcuaServer, phone: str
) -> tuple[BrowserContext, Page]:
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Phạm Thị Bố Cục")
    await page.get_by_label("Số điện thoại di động").fill(phone)
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    await page.wait_for_load_state()
    return context, page


def total(shifts: list[dict[str, Any]]) -> float:
    return sum(float(s["value"]) for s in shifts)


async def test_nothing_moves_while_public_pages_load_on_a_slow_network(
    server: MotcuaServer, new_context: NewContext
) -> None:
    context = await new_context(server.url)
    await context.add_init_script(SHIFTS)
    page = await context.new_page()
    await scripts_after_first_paint(page)
    moved = {}
    for path in PUBLIC_PAGES:
        shifts = await shifts_while_loading(page, path)
        if total(shifts) > MOST_SHIFT:
            moved[path] = shifts
    assert moved == {}, f"content moved while loading (layout shift over {MOST_SHIFT}): {moved}"


async def test_nothing_moves_while_a_citizens_pages_load_on_a_slow_network(
    layout_server: MotcuaServer, new_context: NewContext
) -> None:
    context, page = await citizen(new_context, layout_server, "0913 222 444")
    await context.add_init_script(SHIFTS)
    await scripts_after_first_paint(page)
    moved = {}
    for path in CITIZEN_PAGES:
        shifts = await shifts_while_loading(page, path)
        if total(shifts) > MOST_SHIFT:
            moved[path] = shifts
    assert moved == {}, f"content moved while loading (layout shift over {MOST_SHIFT}): {moved}"


async def header_rows(page: Page) -> dict[str, Any]:
    """The header's rows (distinct tops of its links), and whether it is wider than
    the screen."""
    result: dict[str, Any] = await page.evaluate(
        """() => {
          const header = document.querySelector(".site-header");
          const tops = new Set();
          for (const link of header.querySelectorAll("a")) {
            if (!link.offsetParent) continue;
            for (const box of link.getClientRects()) tops.add(Math.round(box.top + box.height / 2));
          }
          const rows = [...tops].sort((a, b) => a - b)
            .filter((top, i, all) => i === 0 || top - all[i - 1] > 8);
          return {
            rows: rows.length,
            overflow: header.scrollWidth > document.documentElement.clientWidth,
            links: [...header.querySelectorAll("a")].filter((a) => a.offsetParent)
              .map((a) => a.innerText.trim()),
          };
        }"""
    )
    return result


async def expect_header(page: Page, path: str, links: list[str], rows: int) -> None:
    for lang, switch in (("vi", "English"), ("en", "Tiếng Việt")):
        await page.goto(path)
        if lang == "en":
            await page.get_by_role("link", name="English").click()
            await expect(page.locator("html")).to_have_attribute("lang", "en")
        found = await header_rows(page)
        assert found["rows"] <= rows, f"{path} ({lang}): header takes {found['rows']} rows: {found}"
        assert not found["overflow"], f"{path} ({lang}): the header is wider than the screen"
        if lang == "vi":
            # The brand is an icon with a label; the rest are the person's own links.
            assert found["links"] == ["", switch, *links], found
    await page.get_by_role("link", name="Tiếng Việt").click()


async def test_the_header_shows_each_person_their_links_in_two_rows_at_320_px(
    layout_server: MotcuaServer, new_context: NewContext
) -> None:
    anonymous = await (await new_context(layout_server.url)).new_page()
    await anonymous.set_viewport_size({"width": 320, "height": 640})
    await expect_header(anonymous, "/p/1.001193", ["Đăng nhập"], rows=1)
    sign_in = anonymous.locator(".site-header").get_by_role("link", name="Đăng nhập")
    await expect(sign_in).to_have_attribute("href", "/dang-nhap?next=/p/1.001193")

    _, resident = await citizen(new_context, layout_server, "0913 222 555")
    await resident.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/ho-so", "/thong-bao"):
        await expect_header(resident, path, CITIZEN_LINKS, rows=2)

    _, official = await enrolled_official(new_context, layout_server, "reception", "Lê Bố Cục")
    await official.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/can-bo"):
        await expect_header(official, path, ["Trang cán bộ", "Tài khoản"], rows=2)
    header = official.locator(".site-header")
    await expect(header.get_by_role("link", name="Hồ sơ của tôi")).to_have_count(0)


async def test_the_photo_button_of_the_scanner_shows_the_keyboard_focus(
    server: MotcuaServer, page: Page
) -> None:
    await page.goto("/quet-ma")
    label = page.locator("label[for=scanner-photo]")
    await expect(label).to_be_visible()
    before = await label.evaluate("(l) => getComputedStyle(l).outlineStyle")
    await page.get_by_role("button", name="Bật camera").focus()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "scanner-photo"
    ring = await label.evaluate(
        "(l) => { const s = getComputedStyle(l); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert before == "none" and ring[0] != "none" and ring[1] != "0px", (
        f"no focus ring on the label: {before} then {ring}"
    )


async def test_the_app_is_not_locked_to_portrait(server: MotcuaServer, page: Page) -> None:
    response = await page.request.get("/manifest.webmanifest")
    manifest = await response.json()
    assert "orientation" not in manifest, manifest
    assert manifest["display"] == "standalone"


async def test_vietnamese_citations_are_marked_in_english(server: MotcuaServer, page: Page) -> None:
    await page.goto("/ngon-ngu?lang=en&next=/p/1.001193")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    heading = page.get_by_role("heading", name="Legal basis")
    basis = heading.locator("xpath=following-sibling::ul[1]")
    await expect(basis).to_have_attribute("lang", "vi")
    await expect(basis).to_contain_text("Luật Hộ tịch")
    template = page.locator(".checklist .template span").first
    await expect(template).to_have_attribute("lang", "vi")
    await expect(template).to_contain_text("Mẫu Tờ khai")
    # In Vietnamese nothing needs marking.
    await page.goto("/ngon-ngu?lang=vi&next=/p/1.001193")
    await expect(page.locator("[lang=vi]:not(html)")).to_have_count(0)


async def test_without_scripts_the_scanner_leaves_only_the_typed_code(
    server: MotcuaServer, browser: Browser
) -> None:
    context = await browser.new_context(
        base_url=server.url,
        viewport={"width": 360, "height": 740},
        locale="vi-VN",
        java_script_enabled=False,
    )
    try:
        page = await context.new_page()
        await page.goto("/quet-ma")
        await expect(page.locator("#scanner")).to_be_hidden()
        await expect(page.get_by_label("Hoặc nhập mã số in dưới mã QR")).to_be_visible()
        # Nothing blank where the camera would be: the form follows the heading.
        gap = await page.evaluate(
            "document.querySelector('form.search').getBoundingClientRect().top"
            " - document.querySelector('h1').getBoundingClientRect().bottom"
        )
        assert gap < 100, f"{gap:.0f} px of blank space above the form"
    finally:
        await context.close()
