"""Issue 16 in a real Chromium: the person on their way to a form gets there whichever
way they sign in, the sign-in and sign-up pages do not move under their eyes, and the
background passkey-autofill request never shows an error nobody asked for.

From a counter QR, "Nộp trực tuyến" leads a signed-out person to
``/dang-nhap?next=/p/1.002809/nop``; the walk goes through "Đăng ký tài khoản" and the
recovery codes (and, on a new phone, through a recovery code and a new passkey) and
must end on the procedure's form, not on the devices page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

FORM = "/p/1.002809/nop"
FORM_NAME = "Đổi giấy phép lái xe"
# Records every layout shift without recent input, and how the page's background
# (conditional) passkey request ended, for the assertions below.
WATCH = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) {
      window.__shifts.push({
        value: entry.value,
        moved: (entry.sources || []).map((s) => (s.node && (s.node.id || s.node.nodeName)) || "?"),
      });
    }
  }
}).observe({ type: "layout-shift", buffered: true });
window.__conditional = "none";
if (navigator.credentials) {
  const get = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = (options) => {
    if (!options || options.mediation !== "conditional") return get(options);
    window.__conditional = "pending";
    return get(options).then(
      (value) => { window.__conditional = "resolved"; return value; },
      (error) => { window.__conditional = "rejected: " + error.name; throw error; },
    );
  };
}
"""


@pytest.fixture(scope="module")
async def localhost_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[MotcuaServer]:
    """One server for this file (each test signs up its own people)."""
    database_url = await fresh_postgres("e2e_destination") if POSTGRES_URL else None
    server = LocalhostServer(tmp_path_factory.mktemp("e2e-destination"), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def sign_up_from_the_sign_in_page(page: Page, phone: str) -> list[str]:
    await page.goto(f"/dang-nhap?next={FORM}")
    await page.get_by_role("link", name="Đăng ký tài khoản").click()
    await expect(page).to_have_url(re.compile(r"/dang-ky\?next=/p/1\.002809/nop$"))
    await page.get_by_label("Họ và tên").fill("Lê Thị Hoa")
    await page.get_by_label("Số điện thoại di động").fill(phone)
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    codes = page.locator("#recovery-codes-list li")
    await expect(codes).to_have_count(10)
    shown = [code.strip() for code in await codes.all_inner_texts()]
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    return shown


async def test_sign_up_from_the_sign_in_page_lands_on_the_form(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    context = await new_context(localhost_server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await sign_up_from_the_sign_in_page(page, "0912 000 111")
    await expect(page).to_have_url(f"{localhost_server.url}{FORM}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(FORM_NAME)
    await expect(page.get_by_role("button", name=re.compile("^Xóa khóa"))).to_have_count(0)
    assert await csp_violations(page) == [], "Content-Security-Policy violations"
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)


async def test_a_recovery_code_on_a_new_phone_leads_to_the_form(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    old = await new_context(localhost_server.url)
    await old.add_init_script(NO_AUTOFILL)
    page = await old.new_page()
    await virtual_authenticator(old, page)
    codes = await sign_up_from_the_sign_in_page(page, "0912 000 222")

    new = await new_context(localhost_server.url)
    await new.add_init_script(NO_AUTOFILL)
    page = await new.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(new, page)
    await page.goto(FORM)  # signed out: the guard sends the person to sign in
    await expect(page).to_have_url(re.compile(r"/dang-nhap\?next=/p/1\.002809/nop$"))
    await page.get_by_role("link", name="Đăng nhập bằng mã khôi phục").click()
    await page.get_by_label("Số điện thoại di động của tài khoản").fill("0912000222")
    await page.get_by_label("Mã khôi phục").fill(codes[0])
    await page.get_by_role("button", name="Đăng nhập", exact=True).click()
    await expect(page.get_by_text("Bạn vừa đăng nhập bằng mã khôi phục.")).to_be_visible()
    await expect(page.get_by_role("link", name="Để sau, tiếp tục việc đang làm")).to_have_attribute(
        "href", FORM
    )
    await page.get_by_role("button", name="Thêm khóa truy cập").click()
    await expect(page).to_have_url(f"{localhost_server.url}{FORM}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(FORM_NAME)
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)


async def late_script(context: BrowserContext) -> None:
    """The accounts script arrives a second after the page, as on slow 4G: whatever it
    reveals then would move what is already painted."""

    async def slow(route: Route) -> None:
        await asyncio.sleep(1)
        await route.continue_()

    await context.route(re.compile(r"/static/.*/scripts/accounts/pages\.js$"), slow)


@pytest.mark.parametrize(
    ("path", "button"),
    [
        (f"/dang-nhap?next={FORM}", "Đăng nhập bằng khóa truy cập"),
        (f"/dang-ky?next={FORM}", "Tạo tài khoản bằng khóa truy cập"),
    ],
)
async def test_nothing_moves_while_the_page_loads(
    localhost_server: MotcuaServer, new_context: NewContext, path: str, button: str
) -> None:
    context = await new_context(localhost_server.url)
    await context.add_init_script(WATCH)
    await late_script(context)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    # Not waiting for "load": that waits for the script too.
    await page.goto(path, wait_until="commit")
    # Once the script has come and set the form up:
    await expect(page.get_by_role("button", name=button)).to_be_enabled()
    await page.wait_for_load_state("networkidle")
    shifts = await page.evaluate("window.__shifts")
    assert sum(shift["value"] for shift in shifts) == 0, f"layout shifts: {shifts}"


async def test_a_refused_background_autofill_shows_no_error(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    """The page's conditional request is refused by the browser (Chromium's virtual
    authenticator without passkeys) or aborted by the button: no error box. A press of
    the button that fails is the person's own action: that one is explained."""
    context = await new_context(localhost_server.url)
    await context.add_init_script(WATCH)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await page.goto(f"/dang-nhap?next={FORM}")
    # Generous waits: Chromium decides in its own time on a machine under load.
    await page.wait_for_function(
        "() => window.__conditional.startsWith('rejected')", timeout=30_000
    )
    await page.wait_for_load_state("networkidle")
    await expect(page.locator("#script-error")).to_be_hidden()

    # No passkey on this phone: the person's own attempt fails, and is told.
    await page.get_by_role("button", name="Đăng nhập bằng khóa truy cập").click()
    await expect(page.locator("#script-error")).to_be_visible(timeout=30_000)
    await expect(page.locator("#script-error-text")).not_to_be_empty()
