"""Passkeys in a real Chromium with its virtual authenticator (CDP WebAuthn): sign up
through the page, sign out, sign in again through the page.

WebAuthn refuses an IP address as relying-party ID, so this server is reached (and
configured) as http://localhost:<port>, a secure context for browsers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser


class LocalhostServer(MotcuaServer):
    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


@pytest.fixture
async def localhost_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_accounts") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-accounts")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def virtual_authenticator(context: BrowserContext, page: Page) -> None:
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


async def sign_up_and_out(
    page: Page, context: BrowserContext, server: MotcuaServer, phone: str
) -> None:
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Nguyễn Văn Khánh")
    await page.get_by_label("Số điện thoại di động").fill(phone)
    await page.get_by_label("Số căn cước công dân (không bắt buộc)").fill("038095000123")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()

    codes = page.locator("#recovery-codes-list li")
    await expect(codes, "ten recovery codes are shown").to_have_count(10)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", await codes.first.inner_text())
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    # Signed up with nowhere in particular to go: the home page (test_destination.py
    # goes from a procedure's form and back).
    await expect(page).to_have_url(f"{server.url}/")
    await page.goto("/tai-khoan/thiet-bi")
    await expect(page.get_by_role("heading", name="Thiết bị đăng nhập")).to_be_visible()
    await expect(page.get_by_text("Nguyễn Văn Khánh")).to_be_visible()
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["motcua_session"]["httpOnly"] and cookies["motcua_session"]["sameSite"] == "Lax"

    # Sign out with the plain form.
    await page.get_by_role("button", name="Đăng xuất", exact=True).click()
    await expect(page).to_have_url(f"{server.url}/")
    assert "motcua_session" not in {c["name"] for c in await context.cookies()}


async def test_sign_up_sign_out_sign_in_with_a_passkey(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    context = await new_context(localhost_server.url)
    # The button path (the autofill path is the next test).
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await sign_up_and_out(page, context, localhost_server, "0987 654 321")

    await page.goto("/tai-khoan/thiet-bi")
    await expect(page).to_have_url(re.compile(r"/dang-nhap\?next="))
    await page.get_by_role("button", name="Đăng nhập bằng khóa truy cập").click()
    await expect(page).to_have_url(f"{localhost_server.url}/tai-khoan/thiet-bi")
    await expect(page.get_by_text("Nguyễn Văn Khánh")).to_be_visible()

    assert await csp_violations(page) == [], "Content-Security-Policy violations"
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)


async def test_sign_in_through_passkey_autofill(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    """Conditional mediation: the page asks for a passkey as soon as it loads; choosing
    it (the virtual authenticator does at once) signs in without pressing the button."""
    context = await new_context(localhost_server.url)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await sign_up_and_out(page, context, localhost_server, "0356 111 222")

    await page.goto("/dang-nhap?next=/to-chuc")
    # The virtual authenticator may answer the page's conditional request before this
    # focus (the page then has navigated away): focus without waiting for the field.
    await page.evaluate("document.getElementById('username')?.focus()")
    await expect(page).to_have_url(f"{localhost_server.url}/to-chuc")
    await expect(page.get_by_role("heading", name="Tổ chức, doanh nghiệp")).to_be_visible()
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)


async def test_without_passkey_support_the_page_explains(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    context = await new_context(localhost_server.url)
    await context.add_init_script("delete window.PublicKeyCredential;")
    page = await context.new_page()
    await page.goto("/dang-nhap")
    await expect(page.locator("#no-passkeys")).to_be_visible()
    await expect(page.get_by_role("link", name="Tra cứu hồ sơ bằng mã hồ sơ")).to_be_visible()
    await expect(page.locator("#sign-in-form")).to_be_hidden()


async def test_sign_up_shows_every_refused_field_at_once(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    context = await new_context(localhost_server.url)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("A")
    await page.get_by_label("Số điện thoại di động").fill("0123")
    await page.get_by_label("Số căn cước công dân (không bắt buộc)").fill("12345")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()

    summary = page.locator("#script-error")
    await expect(summary).to_be_visible()
    links = page.locator("#script-error-list a")
    await expect(links).to_have_count(3)
    assert [await link.get_attribute("href") for link in await links.all()] == [
        "#full_name",
        "#phone",
        "#citizen_id",
    ]
    await expect(links.nth(1)).to_contain_text("di động")
    for field in ("full_name", "phone", "citizen_id"):
        await expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#email")).not_to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#recovery-codes")).to_be_hidden()


async def test_signing_up_again_with_a_registered_number(
    localhost_server: MotcuaServer, new_context: NewContext
) -> None:
    """The sign-up page asks for the passkey whatever the number (asking must not tell
    a stranger it is registered); once it is made, the owner who forgot they had an
    account is sent to sign in or to recovery, and no second account exists."""
    first = await new_context(localhost_server.url)
    await first.add_init_script(NO_AUTOFILL)
    page = await first.new_page()
    await virtual_authenticator(first, page)
    await sign_up_and_out(page, first, localhost_server, "0977 300 400")

    again = await new_context(localhost_server.url)
    page = await again.new_page()
    await virtual_authenticator(again, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Nguyễn Văn Khánh")
    await page.get_by_label("Số điện thoại di động").fill("0977300400")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await expect(page.locator("#script-error")).to_contain_text("dùng mã khôi phục")
    await expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#recovery-codes")).to_be_hidden()
    assert "motcua_session" not in {c["name"] for c in await again.cookies()}
