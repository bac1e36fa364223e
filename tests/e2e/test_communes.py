"""One procedure, many communes, in a real Chromium against a real `motcua serve`.

Two residents file the same commune-level procedure (death registration, filed at
one's own commune): Lan, who wrote at sign-up that she lives in xã Nga An, takes the
suggestion; Minh types "hac thanh" without diacritics. Each dossier carries its own
commune's code and reaches that commune's console, and nobody else's."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import attach_to_every_document, csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import enrolled_official, photo_of_a_document
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

PROCEDURE = "1.000656"  # Thủ tục đăng ký khai tử
NGA_AN = "000.03.40.H56"
HAC_THANH = "000.01.40.H56"


@pytest.fixture
async def commune_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_communes") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-communes")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def resident(
    new_context: NewContext, server: MotcuaServer, name: str, phone: str, address: str
) -> tuple[BrowserContext, Page, list[str]]:
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill(name)
    await page.get_by_label("Số điện thoại di động").fill(phone)
    if address:
        await page.get_by_label(re.compile("Địa chỉ nơi ở")).fill(address)
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    return context, page, errors


async def file_it(page: Page, photo: Path) -> str:
    """From the chosen agency's procedure page to the receipt: the dossier's code."""
    await page.get_by_role("link", name="Nộp trực tuyến").click()
    await page.locator("#start-button").click()
    await expect(page.locator("#step-title")).to_have_text("Người nộp hồ sơ")
    await page.locator("#applicant_address").fill("Thôn 3, tỉnh Thanh Hóa")
    await page.get_by_role("button", name="Lưu và tiếp tục").click()
    await expect(page.locator("#step-title")).not_to_have_text("Người nộp hồ sơ")
    await attach_to_every_document(page, photo)
    await expect(page.locator("#step-title")).to_have_text("Kiểm tra lại và nộp hồ sơ")
    await page.locator("#submit-button").click()
    return (await page.locator("#dossier-code").inner_text()).strip()


async def test_two_communes_file_the_same_procedure(
    commune_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    server = commune_server
    photo = photo_of_a_document(tmp_path / "giay-to.jpg")

    # Lan lives in xã Nga An: the page suggests her commune.
    lan_context, lan, lan_errors = await resident(
        new_context, server, "Nguyễn Thị Lan", "0971 000 111", "Thôn 3, xã Nga An, tỉnh Thanh Hóa"
    )
    await lan.goto(f"/p/{PROCEDURE}")
    await expect(lan.get_by_role("heading", name="Bạn nộp hồ sơ ở đâu?")).to_be_visible()
    await expect(lan.get_by_text("Hãy chọn xã, phường nơi bạn cư trú.")).to_be_visible()
    await lan.locator("#suggested a").click()
    await expect(lan.locator(".where-agency")).to_contain_text("Ủy ban nhân dân xã Nga An")
    lan_code = await file_it(lan, photo)
    assert lan_code.startswith(f"{NGA_AN}-"), lan_code

    # Minh has no address on file: he types his ward's name without diacritics. A name
    # that is no commune says so at the box.
    minh_context, minh, minh_errors = await resident(
        new_context, server, "Trần Văn Minh", "0971 000 222", ""
    )
    await minh.goto(f"/p/{PROCEDURE}")
    await expect(minh.locator("#suggested")).to_have_count(0)
    await minh.get_by_label("Tên xã, phường").fill("xyz")
    await minh.get_by_role("button", name="Tìm").click()
    await expect(minh.locator("#xa-error")).to_contain_text("Không tìm thấy xã, phường")
    await minh.get_by_label("Tên xã, phường").fill("hac thanh")
    await minh.get_by_role("button", name="Tìm").click()
    await expect(minh.locator("#places li")).to_have_count(1)
    await minh.get_by_role("link", name="Ủy ban nhân dân phường Hạc Thành").click()
    await expect(minh.locator(".where-agency")).to_contain_text("Hạc Thành")
    minh_code = await file_it(minh, photo)
    assert minh_code.startswith(f"{HAC_THANH}-"), minh_code

    # Each commune's reception sees its own resident's dossier, and not the other's.
    nga_an_context, nga_an = await enrolled_official(
        new_context, server, "reception", "Lê Văn Nga", NGA_AN
    )
    hac_thanh_context, hac_thanh = await enrolled_official(
        new_context, server, "reception", "Phạm Thị Hạc", HAC_THANH
    )
    for official, own, other in ((nga_an, lan_code, minh_code), (hac_thanh, minh_code, lan_code)):
        await official.goto("/can-bo")
        await expect(official.get_by_role("link", name=own)).to_be_visible()
        await expect(official.get_by_role("link", name=other)).to_have_count(0)
        found = await official.request.get(f"/api/staff/dossiers/?q={other}")
        assert other not in await found.text()
    # Nor may it open the other's dossier by its address.
    mine = await (await lan.request.get("/api/dossiers/")).json()
    lan_id = next(d["id"] for d in mine if d["code"] == lan_code)
    refused = await hac_thanh.goto(f"/can-bo/ho-so/{lan_id}")
    assert refused is not None and refused.status == 404

    for each in (lan, minh, nga_an, hac_thanh):
        assert await csp_violations(each) == [], "Content-Security-Policy violations"
    assert lan_errors + minh_errors == [], "errors in the browser console"
    for context in (lan_context, minh_context, nga_an_context, hac_thanh_context):
        await context.close()
