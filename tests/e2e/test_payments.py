"""Paying a dossier's fees in a real Chromium against a real `motcua serve` and its
demo gateway (the sandbox, which speaks VNPay's protocol and calls our IPN).

A citizen with a driving licence exchange (115.000 đồng online, 135.000 at the
counter) opens the dossier, taps "Thanh toán", chooses the sandbox, cancels there
and is told so, pays again, and while a second tab watches the order's page turn to
"Đã thanh toán" by itself, completes the payment; then opens the receipt (the amount
in words) and follows its verification link."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import photo_of_a_document
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

LICENCE = "1.002809"  # Đổi giấy phép lái xe: paid before reception


@pytest.fixture
async def payment_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_payments") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-payments")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def csrf(page: Page) -> dict[str, str]:
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    return {"x-csrftoken": cookies["csrftoken"]}


async def submit_a_licence_dossier(page: Page, photo: Path) -> dict[str, Any]:
    """The dossier through the JSON API (the pages are driven in test_dossiers)."""
    image = await asyncio.to_thread(photo.read_bytes)
    headers = await csrf(page)
    draft = await page.request.post(
        "/api/dossiers",
        data={"procedure_code": LICENCE, "draft_key": "payments-e2e-draft-0001"},
        headers=headers,
    )
    assert draft.ok, await draft.text()
    dossier: dict[str, Any] = await draft.json()
    saved = await page.request.patch(
        f"/api/dossiers/{dossier['id']}",
        data={
            "applicant_name": "Đỗ Thị Thông",
            "applicant_phone": "0912 345 678",
            "form_data": {
                "licence_number": "790123456789",
                "licence_class": "B",
                "delivery": "tai_quay",
            },
        },
        headers=headers,
    )
    assert saved.ok, await saved.text()
    for component in dossier["components"]:
        if component["required"] and component["uploadable"]:
            uploaded = await page.request.post(
                f"/api/dossiers/{dossier['id']}/files",
                multipart={
                    "file": {"name": "giay-to.jpg", "mimeType": "image/jpeg", "buffer": image},
                    "component_id": str(component["id"]),
                },
                headers=headers,
            )
            assert uploaded.ok, await uploaded.text()
    submitted = await page.request.post(f"/api/dossiers/{dossier['id']}/submit", headers=headers)
    assert submitted.ok, await submitted.text()
    result: dict[str, Any] = await submitted.json()
    return result


async def choose_the_sandbox_and_pay(page: Page) -> None:
    await expect(page.get_by_role("heading", name="Thanh toán phí, lệ phí")).to_be_visible()
    await expect(page.locator("#total")).to_have_text("115.000 ₫")
    await expect(page.locator(".fee-rule")).to_have_text("Mức thu khi nộp hồ sơ trực tuyến")
    await page.get_by_role("radio", name=re.compile("bản trình diễn, không mất tiền")).check()
    await page.get_by_role("button", name="Thanh toán 115.000 ₫").click()
    await expect(page.get_by_role("heading", name="Cổng thanh toán thử nghiệm")).to_be_visible()
    await expect(page.locator("#sandbox-amount")).to_have_text("115.000 ₫")


async def test_a_citizen_pays_gets_a_receipt_and_checks_it(
    payment_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    server = payment_server
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)

    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Đỗ Thị Thông")
    await page.get_by_label("Số điện thoại di động").fill("0912 345 678")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    dossier = await submit_a_licence_dossier(page, photo_of_a_document(tmp_path / "giay-to.jpg"))

    # The dossier says what is owed and when; its button leads to the pay step.
    await page.goto(f"/ho-so/{dossier['id']}")
    box = page.locator("#phi-le-phi")
    await expect(box).to_contain_text("115.000 ₫")
    await expect(box).to_contain_text("Chưa thanh toán")
    await expect(box).to_contain_text("Cần thanh toán để cơ quan tiếp nhận hồ sơ.")
    await box.get_by_role("link", name="Thanh toán", exact=True).click()

    # First time: cancelled at the gateway, and told so on our page.
    await choose_the_sandbox_and_pay(page)
    await page.get_by_role("button", name="Hủy giao dịch").click()
    await expect(page.get_by_role("heading", name="Bạn đã hủy thanh toán")).to_be_visible()
    assert "/ket-qua?" in page.url
    await page.get_by_role("link", name="Thanh toán lại").click()

    # Second time: a second tab watches the order's page while the payment completes.
    await choose_the_sandbox_and_pay(page)
    reference = re.search(r"vnp_TxnRef=(MC[A-Z0-9]+)", page.url)
    assert reference, page.url
    watcher = await context.new_page()
    watcher_errors = watch_errors(watcher)
    await watcher.goto(f"/thanh-toan/{reference.group(1)}")
    status = watcher.locator("#payment-status")
    await expect(status.get_by_role("heading", name="Đang xử lý thanh toán…")).to_be_visible()
    await expect(status.get_by_role("link", name="Tiếp tục thanh toán")).to_be_visible()

    await page.get_by_role("button", name="Thanh toán thành công").click()
    await expect(page.get_by_role("heading", name="Đã thanh toán")).to_be_visible()
    await expect(page.get_by_text("Đã nhận 115.000 ₫")).to_be_visible()
    # The watching tab found out by itself (it asks every few seconds), no reload.
    await expect(status.get_by_role("heading", name="Đã thanh toán")).to_be_visible(timeout=20_000)
    await expect(status).to_have_attribute("data-status", "paid")
    assert "/thanh-toan/" in watcher.url and "ket-qua" not in watcher.url

    # The receipt: the amount in words, and the link its QR code holds.
    await page.get_by_role("link", name="Xem biên lai").click()
    await expect(page.get_by_role("heading", name="Biên lai thu phí, lệ phí")).to_be_visible()
    await expect(page.locator("#amount-words")).to_have_text("Một trăm mười lăm nghìn đồng")
    await expect(page.locator("#payer-name")).to_have_text("Đỗ Thị Thông")
    await expect(page.get_by_role("button", name="In")).to_be_visible()
    await page.locator("#verify-link").click()
    await expect(page.get_by_role("heading", name="Biên lai hợp lệ")).to_be_visible()
    await expect(page.locator("#payer-name")).to_have_text("Đ* T** Thông")
    await expect(page.locator("#receipt-total")).to_have_text("115.000 ₫")

    # Back on the dossier: paid, with the receipt linked.
    await page.goto(f"/ho-so/{dossier['id']}")
    await expect(box).to_contain_text("Đã thanh toán")
    await expect(box.get_by_role("link", name=re.compile("Biên lai thanh toán"))).to_be_visible()

    for tab in (page, watcher):
        assert await csp_violations(tab) == []
    assert errors == [] and watcher_errors == []
