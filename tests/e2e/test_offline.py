"""Offline and slow networks in a real Chromium. Offline: the server is stopped for
real, and the service worker answers from what the person visited before (marked as a
saved copy), or with the offline page that lists what the phone keeps. Slow: the
network's answer is delayed (a route handler holding the response back, as a slow
first byte would), and the worker never says "offline" while an answer is coming."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, expect
from playwright.async_api import Error as PlaywrightError

from tests.e2e.conftest import NewContext
from tests.e2e.helpers import demo_procedures, wait_for_controller, wait_until_cached
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import photo_of_a_document
from tests.e2e.test_push import submit_a_dossier
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

OFFLINE_HEADING = "Bạn đang không có mạng"
HOME_HEADING = "Bạn cần làm thủ tục gì?"
# Past the worker's wait for a saved copy (3 s) and past the 4 s it once gave up at.
SLOW_FIRST_BYTE_S = 4.5
FRESH = '<meta name="motcua-test" content="fresh">'
# Every document the tab showed, in order: whether it was the fresh answer (the route
# marks those), a saved copy (and which banner), or the offline page.
RECORD_DOCUMENTS = """
addEventListener("DOMContentLoaded", () => {
  const shown = JSON.parse(sessionStorage.getItem("shown") || "[]");
  shown.push({
    url: location.href,
    fresh: !!document.querySelector('meta[name="motcua-test"]'),
    saved: (document.getElementById("saved-copy") || {dataset: {}}).dataset.savedCopy || "",
    heading: (document.querySelector("h1") || {}).textContent || "",
  });
  sessionStorage.setItem("shown", JSON.stringify(shown));
});
"""


async def heading_after_navigation(page: Page, path: str) -> str:
    try:
        response = await page.goto(path)
    except PlaywrightError as error:
        raise AssertionError(
            f"offline navigation to {path} failed: the service worker did not answer ({error})"
        ) from None
    assert response is not None, f"no response for {path} while offline"
    return await page.locator("h1").inner_text()


async def shown(page: Page) -> list[dict[str, object]]:
    documents: list[dict[str, object]] = await page.evaluate(
        "JSON.parse(sessionStorage.getItem('shown') || '[]')"
    )
    return documents


async def shown_once_fresh(page: Page) -> list[dict[str, object]]:
    """The documents shown, once the fresh one has recorded itself: its marker can be
    in the page before its DOMContentLoaded has run."""
    await page.wait_for_function(
        """() => {
          const shown = JSON.parse(sessionStorage.getItem("shown") || "[]");
          return shown.length > 0 && shown[shown.length - 1].fresh;
        }""",
        timeout=15_000,
    )
    return await shown(page)


def slowly() -> Callable[[Route], Awaitable[None]]:
    """Holds the answer back, then gives the server's own, marked as the fresh one."""

    async def handle(route: Route) -> None:
        await asyncio.sleep(SLOW_FIRST_BYTE_S)
        response = await route.fetch()
        body = await response.text()
        await route.fulfill(response=response, body=body.replace("<head>", f"<head>{FRESH}", 1))

    return handle


async def slow_down(context: BrowserContext, server: MotcuaServer, path: str) -> None:
    pattern = re.compile(rf"^{re.escape(server.url + path)}(\?.*)?$")
    await context.route(pattern, slowly())


async def installed(new_context: NewContext, server: MotcuaServer, first: str) -> Page:
    context = await new_context(server.url)
    await context.add_init_script(RECORD_DOCUMENTS)
    page = await context.new_page()
    await page.goto(first)
    await wait_for_controller(page)
    return page


async def test_visited_pages_open_offline_and_others_show_offline_page(
    own_server: MotcuaServer, new_context: NewContext
) -> None:
    visited, unvisited, other = demo_procedures()[:3]
    # The first visit is a procedure page (from a poster): the home page is never opened.
    page = await installed(new_context, own_server, f"/p/{other.code}")
    await page.goto(f"/p/{visited.code}")
    await expect(page.locator("h1")).to_have_text(visited.name_vi)
    await page.goto("/thu-tuc?q=khai+sinh")
    home = f"{own_server.url}/"
    await wait_until_cached(
        page, [home, f"{own_server.url}/p/{visited.code}", f"{own_server.url}/thu-tuc?q=khai+sinh"]
    )

    # The network really goes away: nothing listens on the port any more.
    await asyncio.to_thread(own_server.stop)
    assert not own_server.running, "the server is still running"

    # The installed app's start URL, kept at install, and with a share link's tracking.
    for start in ("/?source=pwa", "/?source=pwa&utm_source=zalo&utm_medium=zalo&zarsrc=30"):
        heading = await heading_after_navigation(page, start)
        assert HOME_HEADING in heading, f"{start} offline shows {heading!r}"
        await expect(page.locator("#saved-copy")).to_be_visible()
        await expect(page.locator("#saved-copy")).to_contain_text(
            re.compile(r"Bản lưu lúc \d\d:\d\d.*\d\d/\d\d/\d{4}")
        )
        await expect(page.locator("#saved-offline")).to_be_visible()
        await expect(page.locator("#saved-waiting")).to_be_hidden()
    heading = await heading_after_navigation(
        page, f"/p/{visited.code}?fbclid=IwAR0abc&utm_campaign=x"
    )
    assert heading == visited.name_vi, f"visited page with tracking offline shows {heading!r}"
    heading = await heading_after_navigation(page, "/thu-tuc?utm_source=zalo&q=khai+sinh")
    assert heading != OFFLINE_HEADING, "a saved search with tracking added is not found"

    # A query that changes the page is not tracking: another search is not the saved one.
    for path in (f"/p/{unvisited.code}", "/thu-tuc?q=xyz", f"/p/{visited.code}?q=xyz"):
        heading = await heading_after_navigation(page, path)
        assert heading == OFFLINE_HEADING, f"unvisited {path} offline shows {heading!r}"
    await expect(page.locator("#saved-copy")).to_be_hidden()

    # The offline page lists the procedures opened lately: saved ones open, others say so.
    recent = page.locator("#offline-recent-list li")
    await expect(recent).to_have_count(2)
    await expect(recent.nth(0).get_by_role("link", name=visited.name_vi)).to_have_attribute(
        "href", f"/p/{visited.code}"
    )
    # The first page loaded before the worker took over: listed, but not kept.
    await expect(recent.nth(1)).to_contain_text(other.name_vi)
    await expect(recent.nth(1)).to_contain_text("chưa lưu trên máy")
    await expect(recent.nth(1).get_by_role("link")).to_have_count(0)
    await expect(page.locator("#offline-dossiers")).to_be_hidden()  # nobody signed in
    await recent.nth(0).get_by_role("link").click()
    await expect(page.locator("h1")).to_have_text(visited.name_vi)
    assert await page.evaluate("window.__cspViolations") == []


async def test_a_slow_answer_is_awaited_never_called_offline(
    server: MotcuaServer, new_context: NewContext
) -> None:
    visited, unvisited = demo_procedures()[3:5]
    page = await installed(new_context, server, f"/p/{visited.code}")
    await page.goto(f"/p/{visited.code}")
    await wait_until_cached(page, [f"{server.url}/p/{visited.code}"])
    for procedure in (visited, unvisited):
        await slow_down(page.context, server, f"/p/{procedure.code}")

    # Never opened: the browser keeps waiting, and the page comes.
    await page.goto(f"/p/{unvisited.code}", timeout=20_000)
    await expect(page.locator("h1")).to_have_text(unvisited.name_vi)
    last = (await shown_once_fresh(page))[-1]
    assert not last["saved"], last

    # Opened before: the saved copy shows at once, saying so, then the answer replaces it.
    await page.goto(f"/p/{visited.code}", timeout=20_000)
    banner = page.locator("#saved-copy")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Bản lưu lúc")
    await expect(page.locator("#saved-waiting")).to_be_visible()
    await expect(page.locator('meta[name="motcua-test"]')).to_have_count(1, timeout=15_000)
    await expect(page.locator("h1")).to_have_text(visited.name_vi)
    await expect(banner).to_be_hidden()
    documents = await shown_once_fresh(page)
    headings = [d["heading"] for d in documents]
    assert OFFLINE_HEADING not in headings, documents
    assert [(d["saved"], d["fresh"]) for d in documents[-2:]] == [("waiting", False), ("", True)]

    # Slow, and then the network fails after all: the saved copy stays and says so.
    await page.context.unroute_all()

    async def slow_then_gone(route: Route) -> None:
        await asyncio.sleep(SLOW_FIRST_BYTE_S)
        await route.abort("internetdisconnected")

    await page.context.route(re.compile(rf"/p/{re.escape(visited.code)}$"), slow_then_gone)
    await page.goto(f"/p/{visited.code}", timeout=20_000)
    await expect(page.locator("#saved-waiting")).to_be_visible()
    await expect(page.locator("#saved-offline")).to_be_visible(timeout=15_000)
    await expect(page.locator("#saved-waiting")).to_be_hidden()
    await expect(page.locator("h1")).to_have_text(visited.name_vi)


async def test_after_sending_feedback_the_slow_confirmation_is_awaited(
    server: MotcuaServer, new_context: NewContext
) -> None:
    """The issue's walk: the confirmation with the code and tracking link came after
    4.5 s and the worker had shown the offline page instead."""
    procedure = demo_procedures()[0]
    page = await installed(new_context, server, f"/phan-anh/gui?p={procedure.code}")
    await page.context.route(re.compile(r"/phan-anh/PA-[^/?]+\?"), slowly())
    await page.locator("input[name=category]").first.check()
    await page.locator("#text").fill("Bảng hướng dẫn tại quầy ghi sai giờ làm việc buổi chiều.")
    await page.locator("#anonymous").check()
    agency = page.locator("select#agency_code")
    if await agency.count():
        await agency.select_option(index=1)
    await page.locator("#text").evaluate("text => text.form.requestSubmit()")
    await expect(page.locator("#feedback-code")).to_have_text(
        re.compile(r"PA-\d{6}-[A-Z2-9]{6}"), timeout=20_000
    )
    confirmation = (await shown_once_fresh(page))[-1]
    assert confirmation["fresh"] and not confirmation["saved"], confirmation
    assert OFFLINE_HEADING not in [d["heading"] for d in await shown(page)]


PERSONAL_COPY = """async () => {
  if (!(await caches.has("motcua-personal-v1"))) return null;
  const kept = await (await caches.open("motcua-personal-v1")).match("/api/dossiers/offline");
  return kept ? (await kept.json()).items.map((d) => d.code) : null;
}"""
POLLS = 100  # every 0.1 s: 10 s


@pytest.fixture
async def localhost_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    """Passkeys need a host name (WebAuthn refuses an IP address as relying party)."""
    database_url = await fresh_postgres("e2e_offline") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-offline")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def personal_copy_becomes(page: Page, wanted: list[str] | None, what: str) -> None:
    kept: Any = None
    for _ in range(POLLS):
        kept = await page.evaluate(PERSONAL_COPY)
        if kept == wanted:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: the phone keeps {kept!r}, not {wanted!r}")


async def sign_in(page: Page, server: MotcuaServer) -> None:
    await page.goto("/ho-so")
    await expect(page).to_have_url(re.compile(r"/dang-nhap\?next="))
    await page.get_by_role("button", name="Đăng nhập bằng khóa truy cập").click()
    await expect(page).to_have_url(f"{server.url}/ho-so")


async def end_session_elsewhere(page: Page, server: MotcuaServer) -> None:
    """What signing this phone out from another device does: the session ends on the
    server while this phone still holds its cookie."""
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies, trust_env=False) as other:
        response = await other.post(
            "/api/auth/logout",
            headers={"x-csrftoken": cookies["csrftoken"], "origin": server.url},
        )
    assert response.is_success, response.text


async def test_own_dossiers_kept_on_the_phone_until_sign_out(
    localhost_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    server = localhost_server
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    await context.add_init_script(RECORD_DOCUMENTS)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await page.goto("/")
    await wait_for_controller(page)

    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Hà Thị Mỷ")
    await page.get_by_label("Số điện thoại di động").fill("0977 123 456")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    dossier = await submit_a_dossier(page, photo_of_a_document(tmp_path / "giay-to.jpg"))
    code = str(dossier["code"])
    await page.goto("/ho-so")
    await personal_copy_becomes(page, [code], "after opening my dossiers")

    # Signing out with the plain form: the copy goes, and the home page it lands on is
    # the server's answer even when slow, never the saved one.
    await page.goto("/tai-khoan/thiet-bi")
    await slow_down(context, server, "/")
    before = len(await shown(page))
    await page.get_by_role("button", name="Đăng xuất", exact=True).click()
    await expect(page.locator('meta[name="motcua-test"]')).to_have_count(1, timeout=15_000)
    await expect(page).to_have_url(f"{server.url}/")
    after = (await shown_once_fresh(page))[before:]
    assert [(d["saved"], d["fresh"]) for d in after] == [("", True)], after
    await personal_copy_becomes(page, None, "after signing out")
    await context.unroute_all()

    # Signed out elsewhere (the cookie is still here): the next look at the server says
    # the session is gone, and the copy goes.
    await sign_in(page, server)
    await personal_copy_becomes(page, [code], "after signing in again")
    await end_session_elsewhere(page, server)
    await page.goto("/ho-so")
    await personal_copy_becomes(page, None, "after the session ended elsewhere")

    # Without signal: the offline page shows the code and where the dossier stands.
    await sign_in(page, server)
    await personal_copy_becomes(page, [code], "after signing in once more")
    await asyncio.to_thread(server.stop)
    heading = await heading_after_navigation(page, f"/p/{demo_procedures()[5].code}")
    assert heading == OFFLINE_HEADING
    mine = page.locator("#offline-dossiers")
    await expect(mine).to_be_visible()
    await expect(mine.locator(".code")).to_have_text([code])
    await expect(mine).to_contain_text("Đã nộp, chờ cán bộ kiểm tra")
    await expect(mine).to_contain_text(str(dossier["procedure_name_vi"]))
    await expect(page.locator("#offline-dossiers-at")).to_have_text(re.compile(r"\d\d:\d\d"))
    assert await page.evaluate("window.__cspViolations") == []
