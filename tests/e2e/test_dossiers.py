"""A dossier's whole journey in a real Chromium against a real `motcua serve`.

A citizen signs up with a passkey (CDP virtual authenticator), fills the online form,
photographs a document, loses the network half-way and gets it back, submits and
sees the receipt. A reception official receives the dossier and asks for a
supplement; the citizen supplements; the dossier is processed and decided; the
official attaches and returns the result; the citizen downloads it."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.conftest import NewContext, watch_errors
from tests.e2e.helpers import attach_to_every_document, csp_violations
from tests.e2e.server import MotcuaServer, motcua_command
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

AGENCY = "000.00.12.H56"
PROCEDURE = "2.001680"  # Thủ tục yêu cầu trợ giúp pháp lý


@pytest.fixture
async def dossier_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_dossiers") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-dossiers")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


def photo_of_a_document(path: Path) -> Path:
    """A large phone photo: the page downscales it before upload."""
    image = Image.new("RGB", (3200, 2400), (236, 232, 220))
    for row in range(200, 2200, 120):
        image.paste((40, 40, 40), (300, row, 2900, row + 24))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    path.write_bytes(buffer.getvalue())
    return path


def qr_of_first_page(pdf: bytes) -> str:
    """The address of the QR code drawn on a PDF's first page, as a phone reads it."""
    document = pypdfium2.PdfDocument(pdf)
    document.init_forms()  # the signature block is a form field's appearance
    image = document[0].render(scale=4, may_draw_forms=True).to_pil()
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return str(found.text)


def a_result_pdf(path: Path) -> Path:
    image = Image.new("RGB", (600, 800), (255, 255, 255))
    image.save(path, "PDF")
    return path


def create_official(server: MotcuaServer, role: str, name: str, agency: str = AGENCY) -> str:
    result = subprocess.run(
        [*motcua_command(), "create-staff", "--name", name, "--agency", agency, "--role", role],
        env=server.environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return re.findall(r"https?://\S+", result.stdout)[-1]


async def enrolled_official(
    new_context: NewContext, server: MotcuaServer, role: str, name: str, agency: str = AGENCY
) -> tuple[BrowserContext, Page]:
    link = await asyncio.to_thread(create_official, server, role, name, agency)
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await page.goto(link)
    await page.get_by_role("button", name="Đăng ký khóa truy cập").click()
    await expect(page.get_by_role("heading", name="Thiết bị đăng nhập")).to_be_visible()
    return context, page


async def staff_api(page: Page, path: str, body: dict[str, object]) -> dict[str, object]:
    """An official's step through the JSON API, with the page's own session and CSRF."""
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    response = await page.request.post(
        path, data=body, headers={"x-csrftoken": cookies["csrftoken"]}
    )
    assert response.ok, await response.text()
    result: dict[str, object] = await response.json()
    return result


async def test_a_dossier_from_submission_to_result(
    dossier_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    server = dossier_server
    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)

    # Sign up.
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Hà Thị Nguyệt")
    await page.get_by_label("Số điện thoại di động").fill("0971 222 333")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()

    # From the procedure page to the form.
    await page.goto(f"/p/{PROCEDURE}")
    await page.get_by_role("link", name="Nộp trực tuyến").click()
    await page.locator("#start-button").click()
    await expect(page.locator("#step-title")).to_have_text("Người nộp hồ sơ")
    await expect(page.get_by_label("Họ và tên")).to_have_value("Hà Thị Nguyệt")
    # Autosave names every mistake at once, next to its field, and keeps the rest.
    await page.locator("#applicant_phone").fill("12345")
    await page.locator("#applicant_id_number").fill("0381")
    await page.locator("#applicant_address").fill("Thôn Đông, xã Quảng Phú")
    await page.locator("#applicant_address").blur()
    await expect(page.locator("#applicant_phone-error")).to_be_visible(timeout=15_000)
    await expect(page.locator("#applicant_id_number-error")).to_be_visible()
    await expect(page.locator("#applicant_address-error")).to_have_count(0)
    await page.locator("#applicant_phone").fill("0971 222 333")
    await page.locator("#applicant_id_number").fill("")
    await page.locator("#applicant_id_number").blur()
    await expect(page.locator("#applicant_phone-error")).to_have_count(0, timeout=15_000)
    await expect(page.locator("#applicant_id_number-error")).to_have_count(0)
    await page.get_by_role("button", name="Lưu và tiếp tục").click()

    await expect(page.locator("#step-title")).to_have_text("Thông tin cần khai")
    await page.get_by_label("Tóm tắt vụ việc cần trợ giúp").fill("Tranh chấp ranh giới đất")
    await page.get_by_label("Người thuộc hộ nghèo").check()
    # The network drops while the person types: the step is kept on the phone.
    await context.set_offline(True)
    await page.get_by_label("Tóm tắt vụ việc cần trợ giúp").fill(
        "Tranh chấp ranh giới đất với hộ liền kề"
    )
    await page.get_by_label("Tóm tắt vụ việc cần trợ giúp").blur()
    await expect(page.locator("#save-status")).to_contain_text("khi có mạng", timeout=15_000)
    await context.set_offline(False)
    await expect(page.locator("#save-status")).to_contain_text("Đã lưu", timeout=15_000)
    await page.get_by_role("button", name="Lưu và tiếp tục").click()

    # Documents: a large photo of the first one, downscaled in the page before upload.
    photo = photo_of_a_document(tmp_path / "giay-to.jpg")
    await expect(page.locator("#step-title")).not_to_have_text("Thông tin cần khai")
    await attach_to_every_document(page, photo)
    await expect(page.locator("#step-title")).to_have_text("Kiểm tra lại và nộp hồ sơ")
    await expect(page.get_by_text("Tranh chấp ranh giới đất với hộ liền kề")).to_be_visible()
    await page.locator("#submit-button").click()

    # The receipt.
    code = (await page.locator("#dossier-code").inner_text()).strip()
    assert re.fullmatch(rf"{re.escape(AGENCY)}-\d{{6}}-\d{{4}}", code), code
    await expect(page.locator("#due-date")).not_to_be_empty()
    stored = await page.request.get(
        page.url.replace("/bien-nhan", "").replace("/ho-so/", "/api/dossiers/")
    )
    dossier = await stored.json()
    dossier_id = dossier["id"]
    first_file = dossier["files"][0]
    assert first_file["media_type"] == "image/jpeg"
    assert first_file["size"] < photo.stat().st_size / 2, "the photo was not downscaled"

    # The reception official receives it and asks for a clearer copy.
    reception_context, reception = await enrolled_official(
        new_context, server, "reception", "Lê Văn Tiếp"
    )
    await reception.goto("/can-bo")
    await reception.get_by_role("link", name=code).click()
    await reception.locator("#action-receive").click()
    await expect(reception.locator("#dossier-status")).to_have_text("Đã tiếp nhận")
    component_id = first_file["component_id"]
    await reception.locator(f"#request_supplement-c{component_id}").check()
    await reception.locator("#action-request-supplement").click()
    await expect(reception.locator("#dossier-status")).to_have_text("Cần bổ sung")

    # The citizen sees what is needed and sends it.
    await page.goto(f"/ho-so/{dossier_id}")
    await expect(page.locator("#status-now")).to_have_text(re.compile("bổ sung"))
    await page.get_by_role("link", name=re.compile("Bổ sung")).first.click()
    await page.locator(f"#file-{component_id}").set_input_files(str(photo))
    await expect(page.locator(f"#files-{component_id} li")).to_have_count(1, timeout=30_000)
    await page.locator("#send-supplement").click()
    await expect(page.locator("#status-now")).not_to_have_text(re.compile("bổ sung"))

    # Processing and the leader's decision (their own sessions, through the API).
    officer_context, officer = await enrolled_official(
        new_context, server, "processing", "Phạm Thu Xử"
    )
    leader_context, leader = await enrolled_official(new_context, server, "leader", "Trịnh Lãnh")
    officials = await (await reception.request.get("/api/staff/dossiers/officials")).json()
    officer_id = next(o["id"] for o in officials if o["full_name"] == "Phạm Thu Xử")
    version = (await (await reception.request.get(f"/api/dossiers/{dossier_id}")).json())["version"]
    step = await staff_api(
        reception,
        f"/api/dossiers/{dossier_id}/actions",
        {"action": "assign", "version": version, "assignee_id": officer_id},
    )
    step = await staff_api(
        officer,
        f"/api/dossiers/{dossier_id}/actions",
        {"action": "propose", "version": step["version"], "decision": "approve"},
    )
    step = await staff_api(
        leader,
        f"/api/dossiers/{dossier_id}/actions",
        {"action": "decide", "version": step["version"], "decision": "approve"},
    )
    assert step["status"] == "approved"

    # The reception official attaches the result and records it returned.
    await reception.goto(f"/can-bo/ho-so/{dossier_id}")
    await reception.locator("#form-attach_result input[type=file]").set_input_files(
        str(a_result_pdf(tmp_path / "ket-qua.pdf"))
    )
    await reception.locator("#upload-result").click()
    await expect(reception.locator("#result-files li")).to_have_count(1)
    # The agency signs its results: the leader signs it in the console (issue 17).
    await expect(reception.get_by_text("Chờ lãnh đạo ký số")).to_be_visible()
    await leader.goto(f"/can-bo/ho-so/{dossier_id}")
    await leader.locator("[id^=sign-result-]").click()
    await expect(leader.locator("#thong-bao")).to_contain_text("Đã ký số văn bản kết quả")
    await expect(leader.locator(".badge-signed")).to_contain_text("Đã ký số")
    await reception.reload()
    await reception.locator("#action-attach-result").click()
    await expect(reception.locator("#dossier-status")).to_have_text("Có kết quả, chờ trả")
    await reception.locator("#action-return-result").click()
    await expect(reception.locator("#dossier-status")).to_have_text("Đã trả kết quả")

    # The citizen downloads the result.
    await page.goto(f"/ho-so/{dossier_id}")
    await expect(page.locator("#status-now")).to_have_text(re.compile("kết quả"))
    async with page.expect_download() as download_info:
        await page.locator("#results a").first.click()
    download = await download_info.value
    saved = tmp_path / "downloaded.pdf"
    await download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    # Anyone handed the PDF scans its QR code and checks it, then checks the file itself.
    address = qr_of_first_page(saved.read_bytes())
    assert address.startswith(f"{server.url}/xac-thuc/")
    clerk_context = await new_context(server.url)
    clerk = await clerk_context.new_page()
    await clerk.goto(address)
    await expect(clerk.locator("#verdict-title")).to_have_text("Văn bản hợp lệ")
    await expect(clerk.locator("#document-code")).to_have_text(address.rsplit("/", 1)[1])
    assert "Hà Thị Nguyệt" not in await clerk.content()
    await clerk.locator("#file").set_input_files(str(saved))
    await clerk.locator("#check-file").click()
    await expect(clerk.locator("#verdict-title")).to_have_text("Văn bản hợp lệ")
    assert await csp_violations(clerk) == [], "Content-Security-Policy violations"
    await clerk_context.close()

    # Public tracking shows the same progress without personal data.
    anonymous = await new_context(server.url)
    tracker = await anonymous.new_page()
    await tracker.goto("/tra-cuu")
    await tracker.get_by_label("Mã hồ sơ").fill(code)
    await tracker.get_by_label(re.compile("4 số cuối")).fill("2333")
    await tracker.get_by_role("button", name=re.compile("Tra cứu")).click()
    await expect(tracker.get_by_text("Đã trả kết quả").first).to_be_visible()
    assert "Hà Thị Nguyệt" not in await tracker.content()

    for each in (page, reception):
        assert await csp_violations(each) == [], "Content-Security-Policy violations"
    # The one request that failed while the phone was offline is expected, and so is
    # the autosave the server refused (422) for the mistakes typed on purpose.
    errors = [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e and "of 422" not in e]
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)
    for extra in (reception_context, officer_context, leader_context, anonymous):
        await extra.close()


async def test_a_counter_dossier_is_claimed_with_the_code_on_form_01(
    dossier_server: MotcuaServer, new_context: NewContext, tmp_path: Path
) -> None:
    """Issue 15: reception prints form 01, which carries the claim code; the citizen
    types it with the dossier's code and phone in "my dossiers"."""
    import pypdfium2

    server = dossier_server
    _, reception = await enrolled_official(new_context, server, "reception", "Lê Tiếp Nhận")
    entered = await staff_api(
        reception,
        "/api/staff/dossiers",
        {
            "procedure_code": PROCEDURE,
            "channel": "counter",
            "applicant_name": "Đỗ Văn Quầy",
            "applicant_phone": "0971 444 555",
            "form_data": {"case_summary": "Tranh chấp đất", "beneficiary_group": "ngheo"},
        },
    )
    await reception.goto(f"/can-bo/ho-so/{entered['id']}?xong=nhap")
    async with reception.expect_download() as download_info:
        await reception.locator("#print-receipt").click()
    pdf = tmp_path / "mau-01.pdf"
    await (await download_info.value).save_as(pdf)
    text = " ".join(
        " ".join(page.get_textpage().get_text_range().split())
        for page in pypdfium2.PdfDocument(pdf.read_bytes())
    )
    printed = re.search(r"Mã nhận hồ sơ trên ứng dụng Một Cửa: (\w{4}-\w{4})", text)
    assert printed, text

    context = await new_context(server.url)
    await context.add_init_script(NO_AUTOFILL)
    page = await context.new_page()
    errors = watch_errors(page)
    await virtual_authenticator(context, page)
    await page.goto("/dang-ky")
    await page.get_by_label("Họ và tên").fill("Đỗ Văn Quầy")
    await page.get_by_label("Số điện thoại di động").fill("0971 444 555")
    await page.get_by_role("button", name="Tạo tài khoản bằng khóa truy cập").click()
    await page.get_by_role("link", name="Tôi đã cất mã, tiếp tục").click()
    await page.goto("/ho-so")
    await page.get_by_label("Mã hồ sơ", exact=True).fill(str(entered["code"]))
    await page.get_by_label("Số điện thoại đã khai khi nộp").fill("0971 444 555")
    # A wrong code first: refused at its field, nothing else lost.
    await page.get_by_label("Mã nhận hồ sơ", exact=True).fill("0000-0000")
    await page.get_by_role("button", name="Nhận hồ sơ", exact=True).click()
    await expect(page.locator("#claim-code-error")).to_be_visible()
    await expect(page.get_by_label("Mã hồ sơ", exact=True)).to_have_value(str(entered["code"]))
    await page.get_by_label("Mã nhận hồ sơ", exact=True).fill(printed.group(1).lower())
    await page.get_by_role("button", name="Nhận hồ sơ", exact=True).click()
    await expect(page.get_by_text("Đã thêm hồ sơ này vào tài khoản của bạn.")).to_be_visible()
    assert not [e for e in errors if "404" not in e], errors
