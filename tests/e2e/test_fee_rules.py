"""Fee rules in a real Chromium (360×740) against a real `motcua serve` with the demo
catalogue: a citizen files online a household business registration, whose fee the
province waives online (Resolution 12/2025/NQ-HĐND), and sees 0 ₫ with the full fee
struck through and why; then files a temporary residence registration declaring a
poor household, is asked for the evidence, attaches it, and sees the exemption and
its legal basis; the commune police's reception official sees the group declared and
opens its evidence beside the fees."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import attach_to_every_document, csp_violations, loaded_width
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import enrolled_official, photo_of_a_document
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

WAIVED = "2.000720"  # Đăng ký thành lập hộ kinh doanh: 100.000 ₫, waived online
WARD = "000.01.40.H56"
RESIDENCE = "1.004194"  # Đăng ký tạm trú: 15.000 ₫ (7.000 online); exemptions by group
POLICE = "000.04.40.H56"


@pytest.fixture
async def fee_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_fee_rules") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-fee-rules")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def documents(page: Page, photo: Path) -> None:
    """The applicant's step as it comes, then a photo for every document."""
    await page.get_by_role("link", name="Nộp trực tuyến").click()
    await page.locator("#start-button").click()
    await expect(page.locator("#step-title")).to_have_text("Người nộp hồ sơ")
    await page.locator("#applicant_address").fill("Phố Mới, phường Hạc Thành")
    await page.get_by_role("button", name="Lưu và tiếp tục").click()
    await expect(page.locator("#step-title")).not_to_have_text("Người nộp hồ sơ")
    await attach_to_every_document(page, photo)


async def test_a_waiver_and_an_exemption_with_its_evidence(
    fee_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    server = fee_server
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Lê Thị Mai")
    await page.get_by_label("Số điện thoại di động").fill("0915 246 810")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    photo = photo_of_a_document(tmp_path / "giay-to.jpg")

    # Online, the household business registration costs nothing, and says why.
    await page.goto(f"/p/{WAIVED}?co-quan={WARD}")
    await documents(page, photo)
    await expect(page.locator("#step-title")).to_have_text("Kiểm tra lại và nộp hồ sơ")
    await page.locator("#submit-button").click()
    fees = page.locator("#phi-le-phi")
    # The base, what the rule takes off, and a total that adds up (issue 16).
    await expect(fees.locator(".fee-base .fee-amount")).to_have_text("100.000 ₫")
    await expect(fees.locator(".fee-reduction .fee-rule")).to_have_text(
        "Miễn 100% khi nộp hồ sơ trực tuyến – Nghị quyết số 12/2025/NQ-HĐND ngày 24/6/2025"
        " của HĐND tỉnh Thanh Hóa"
    )
    await expect(fees.locator(".fee-reduction .fee-amount")).to_have_text("−100.000 ₫")
    await expect(fees.locator(".fee-sum .fee-amount")).to_have_text("0 ₫")
    await expect(fees.locator(".fees-line")).to_contain_text("Không mất phí")
    await expect(fees.get_by_role("link", name="Thanh toán")).to_have_count(0)

    # Temporary residence: 7.000 ₫ online, nothing for a poor household with proof.
    await page.goto(f"/p/{RESIDENCE}?co-quan={POLICE}")
    await documents(page, photo)
    await expect(page.locator("#step-title")).to_have_text("Miễn, giảm phí, lệ phí")
    await page.get_by_label(re.compile("^Người thuộc hộ nghèo")).check()
    await page.locator("#group-next").click()
    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text("hãy đính kèm giấy tờ chứng minh")
    await expect(summary).to_contain_text("Giấy chứng nhận hộ nghèo")
    await expect(summary.get_by_role("link").first).to_have_attribute("href", "#file-evidence")
    await expect(page.locator("#file-evidence-error")).to_contain_text("Giấy chứng nhận hộ nghèo")
    await expect(page.get_by_label(re.compile("^Người thuộc hộ nghèo"))).to_be_checked()
    evidence = tmp_path / "giay-chung-nhan-ho-ngheo.jpg"
    evidence.write_bytes(photo.read_bytes())
    await page.locator("#file-evidence").set_input_files(str(evidence))
    await page.locator("#group-next").click()
    await expect(page.locator("#step-title")).to_have_text("Kiểm tra lại và nộp hồ sơ")
    await expect(page.locator("#declared-group")).to_contain_text("Người thuộc hộ nghèo")
    await expect(page.locator("#declared-group")).to_contain_text("giay-chung-nhan-ho-ngheo.jpg")
    await page.locator("#submit-button").click()
    await expect(fees.locator(".fee-base .fee-amount")).to_have_text("15.000 ₫")
    await expect(fees.locator(".fee-reduction .fee-rule")).to_have_text(
        "Miễn lệ phí cho người thuộc hộ nghèo – Thông tư số 75/2022/TT-BTC, Điều 4"
    )
    await expect(fees.locator(".fee-reduction .fee-amount")).to_have_text("−15.000 ₫")
    await expect(fees.locator(".fee-sum .fee-amount")).to_have_text("0 ₫")
    found = re.search(r"/ho-so/(\d+)/bien-nhan", page.url)
    assert found, page.url
    dossier_id = found.group(1)
    assert await csp_violations(page) == []
    # Only the refused step (its page answers 422, which Chromium logs).
    refused = [e for e in errors if "status of 422" in e and "/buoc/" in e]
    assert len(refused) == 1 and errors == refused, errors

    # The commune police's reception official: the group, its proof, beside the fees.
    _, official = await enrolled_official(
        new_context, server, "reception", "Cán bộ Công an phường", POLICE
    )
    official_errors = watch_errors(official)
    await official.goto(f"/can-bo/ho-so/{dossier_id}")
    group = official.locator("#doi-tuong")
    await expect(group.locator("#declared-group")).to_have_text("Người thuộc hộ nghèo")
    await expect(group).to_contain_text("Giấy chứng nhận hộ nghèo do Ủy ban nhân dân cấp xã cấp")
    await expect(official.locator("#thanh-toan .fee-rule")).to_contain_text(
        "Miễn lệ phí cho người thuộc hộ nghèo"
    )
    await group.get_by_role("link", name="Xem giay-chung-nhan-ho-ngheo.jpg").click()
    viewer = official.locator("#xem-tep img")
    await expect(viewer).to_be_visible()
    assert await loaded_width(viewer) > 0
    assert await csp_violations(official) == []
    assert official_errors == []
