"""A bank transfer paid from the phone that shows it, in a real Chromium against a
real `motcua serve` with VietQR configured: the citizen chooses the transfer, copies
the account, the amount and the transfer content with "Sao chép" (read back from the
clipboard), saves the QR picture (a real download, decoded with a QR reader) and, where
the browser can share files, shares it."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Page, expect

from backend.payments.gateways import vietqr
from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_dossiers import photo_of_a_document
from tests.e2e.test_payments import submit_a_licence_dossier
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

BANK_BIN = "970405"  # Agribank
ACCOUNT = "3500201012345"
HOLDER = "KHO BAC NHA NUOC THANH HOA"

# Chromium on Linux has no Web Share: a stand-in that records what the page shares,
# to check the page's side of it (a file, not a link, when files can be shared).
SHARE_STAND_IN = """
  window.shared = [];
  navigator.canShare = (data) => Boolean(data && data.files);
  navigator.share = async (data) => {
    const file = data.files && data.files[0];
    window.shared.push({
      title: data.title, url: data.url || null,
      name: file ? file.name : null, type: file ? file.type : null, size: file ? file.size : 0,
    });
  };
"""


class TransferServer(LocalhostServer):
    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "MOTCUA_VIETQR_BANK_BIN": BANK_BIN,
            "MOTCUA_VIETQR_ACCOUNT": ACCOUNT,
            "MOTCUA_VIETQR_WEBHOOK_SECRET": "e2e-vietqr-webhook-secret-0123456789abcdef",
            "MOTCUA_VIETQR_ACCOUNT_NAME": HOLDER,
        }


@pytest.fixture
async def transfer_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_vietqr") if POSTGRES_URL else None
    server = TransferServer(Path(tmp_path_factory.mktemp("e2e-vietqr")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def clipboard(page: Page) -> str:
    text: str = await page.evaluate("navigator.clipboard.readText()")
    return text


async def test_a_citizen_copies_the_details_and_saves_the_qr_picture(
    transfer_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    server = transfer_server
    context = await new_context(server.url)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
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

    await page.goto(f"/ho-so/{dossier['id']}/thanh-toan")
    await page.get_by_role("radio", name=re.compile("quét mã VietQR")).check()
    await page.get_by_role("button", name="Thanh toán 115.000 ₫").click()
    await expect(page.get_by_role("heading", name="Đang xử lý thanh toán…")).to_be_visible()
    found = re.search(r"/thanh-toan/(MC[A-Z0-9]{10})$", page.url)
    assert found, page.url
    reference = found.group(1)

    # The details, each with its own "Sao chép": what lands on the clipboard is what
    # the banking app's field takes (the amount as digits).
    await expect(page.locator("#transfer-bank")).to_have_text("Agribank")
    await expect(page.locator("#transfer-holder")).to_have_text(HOLDER)
    for name, expected in [
        ("Sao chép số tài khoản", ACCOUNT),
        ("Sao chép số tiền", "115000"),
        ("Sao chép nội dung chuyển khoản", reference),
    ]:
        button = page.get_by_role("button", name=name)
        await button.click()
        await expect(button).to_have_text("Đã sao chép")
        assert await clipboard(page) == expected
        await expect(page.locator("#copy-status")).to_have_text(f"Đã sao chép: {expected}")
        await expect(button).to_have_text("Sao chép", timeout=5_000)

    # "Lưu ảnh mã QR" downloads the code as a picture a QR reader decodes.
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Lưu ảnh mã QR").click()
    download = await downloading.value
    assert download.suggested_filename == f"ma-qr-{reference}.png"
    saved = Path(await download.path())
    image = Image.open(io.BytesIO(await asyncio.to_thread(saved.read_bytes)))
    texts = [result.text for result in zxingcpp.read_barcodes(image)]
    assert texts == [
        vietqr.payload(bank_bin=BANK_BIN, account=ACCOUNT, amount_vnd=115_000, reference=reference)
    ]

    # No Web Share in this Chromium: no share button. At 360 px nothing overflows, and
    # the controls come in reading order: the picture, then each detail.
    await expect(page.get_by_role("button", name="Chia sẻ mã QR")).to_be_hidden()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.get_by_role("link", name="Lưu ảnh mã QR").focus()
    order = []
    for _ in range(3):
        await page.keyboard.press("Tab")
        order.append(await page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert order == [
        "Sao chép số tài khoản",
        "Sao chép số tiền",
        "Sao chép nội dung chuyển khoản",
    ]

    # Where files can be shared, the button shares the picture itself.
    sharing = await context.new_page()
    await sharing.add_init_script(SHARE_STAND_IN)
    sharing_errors = watch_errors(sharing)
    await sharing.goto(f"/thanh-toan/{reference}")
    share = sharing.get_by_role("button", name="Chia sẻ mã QR")
    await expect(share).to_be_visible()
    await share.click()
    await sharing.wait_for_function("() => window.shared.length === 1")
    shared = (await sharing.evaluate("window.shared"))[0]
    assert shared["name"] == f"ma-qr-{reference}.png" and shared["type"] == "image/png"
    assert shared["size"] > 1000 and shared["url"] is None
    assert shared["title"] == f"Mã VietQR {reference}"

    for tab in (page, sharing):
        assert await csp_violations(tab) == []
    assert errors == [] and sharing_errors == []
