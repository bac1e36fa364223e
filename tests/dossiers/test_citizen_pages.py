"""The citizen's dossier pages without JavaScript: start, each step (mistakes shown
next to the fields and in a summary, nothing typed lost), uploads through the page's
multipart form, review, submission, receipt, "my dossiers", claiming a counter
dossier, the supplement flow, withdrawal, and public tracking (never personal data)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.schemas import OrganisationCreate, Principal, StaffCreate
from backend.accounts.service import Client
from backend.accounts.validation import tax_code_check_digit
from backend.app import create_app
from backend.db import Database
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DraftCreate, DraftUpdate
from backend.i18n import format_day
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, Clock, enrol, new_browser
from tests.dossiers.conftest import PersonFactory, photo
from tests.dossiers.conftest import jpeg as make_jpeg
from tests.support.asgi import lifespan

# Đổi giấy phép lái xe: full online; text, choice (a list and radios), an optional
# date and a question asked only for delivery by post; three required documents
# and an optional one.
PROCEDURE = "1.002809"
PROCEDURE_AGENCY = "000.00.16.H56"
# Trợ giúp pháp lý: two required documents, a required free-text answer.
LEGAL_AID = "2.001680"
LEGAL_AID_AGENCY = "000.00.12.H56"
LEGAL_AID_ANSWERS = {"case_summary": "Tranh chấp đất với hàng xóm", "beneficiary_group": "ngheo"}


@dataclasses.dataclass
class Person:
    browser: Browser
    principal: Principal
    phone: str


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def citizen(app: Litestar, browsers: list[Browser], name: str = "Trần Thị Hoa") -> Person:
    browser = await new_browser(app)
    browsers.append(browser)
    result = await browser.sign_up(full_name=name)
    await browser.headers()  # the CSRF cookie
    principal = Principal(
        account_id=int(result["account"]["id"]),
        kind="citizen",
        name=name,
        role=None,
        agency_code=None,
        session_id="test",
    )
    assert browser.phone is not None
    return Person(browser, principal, browser.phone)


async def official(app: Litestar, browsers: list[Browser], role: str, agency: str) -> Browser:
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=f"Cán bộ {role}", role=role, agency_code=agency),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    browsers.append(browser)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    return browser


async def send(
    browser: Browser, url: str, data: dict[str, str], files: Any = None
) -> httpx.Response:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    token = browser.client.cookies["csrftoken"]
    return await browser.client.post(url, data={"_csrf_token": token, **data}, files=files)


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline handler"


def summary(html: str) -> str:
    found = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert found, "no error summary"
    return found.group(0)


def file_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="remove" value="(\d+)"', html)]


async def submitted_legal_aid(
    runtime: DossiersRuntime, person: Person, key: str
) -> tuple[int, str]:
    """A legal-aid dossier submitted by the service (the pages are tested elsewhere)."""
    dossier, _ = await service.create_draft(
        runtime,
        person.principal,
        DraftCreate(procedure_code=LEGAL_AID, draft_key=key),
    )
    await service.update_draft(
        runtime, person.principal, dossier.id, DraftUpdate(form_data=LEGAL_AID_ANSWERS)
    )
    for component in dossier.components:
        if component.required and component.uploadable:
            await service.add_file(
                runtime, person.principal, dossier.id, photo(), component_id=component.id
            )
    done = await service.submit(runtime, person.principal, dossier.id)
    assert done.code is not None
    return done.id, done.code


# ----------------------------------------------------------------------------- tests


async def test_signing_in_comes_first(dossiers_app: Litestar, open_browsers: list[Browser]) -> None:
    browser = await new_browser(dossiers_app)
    open_browsers.append(browser)
    for path in ("/p/1.002809/nop", "/ho-so", "/ho-so/1", "/ho-so/1/buoc/1"):
        response = await browser.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dang-nhap?next=/")


async def test_the_whole_path_without_javascript(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    browser = hoa.browser

    procedure = await browser.get(f"/p/{PROCEDURE}")
    # One agency carries it out: the page is for it, and so is the link.
    assert f'href="/p/{PROCEDURE}/nop?co-quan=000.00.16.H56"' in procedure.text
    start = await browser.get(f"/p/{PROCEDURE}/nop")
    assert start.status_code == 200
    assert start.headers["cache-control"] == "no-store"
    assert "Mỗi tệp tối đa 10 MB, cả hồ sơ 50 MB; ảnh JPEG/PNG/HEIC hoặc PDF" in start.text
    assert "Giấy khám sức khỏe" in start.text
    assert_no_inline_code(start.text)
    found = re.search(r'name="draft_key" value="([A-Za-z0-9_-]{16,})"', start.text)
    assert found
    key = found.group(1)
    created = await send(browser, f"/p/{PROCEDURE}/nop", {"draft_key": key})
    assert created.status_code == 303
    location = created.headers["location"]
    match = re.fullmatch(r"/ho-so/(\d+)/buoc/1", location)
    assert match
    dossier_id = int(match.group(1))
    # Pressing twice (or a replayed request) never makes a second draft.
    again = await send(browser, f"/p/{PROCEDURE}/nop", {"draft_key": key})
    assert again.headers["location"] == location

    # Step 1: the applicant, filled in from the account.
    step1 = await browser.get(location)
    assert step1.status_code == 200 and "Bước 1/7" in step1.text
    assert 'value="Trần Thị Hoa"' in step1.text and f'value="{hoa.phone}"' in step1.text
    assert_no_inline_code(step1.text)
    bad = await send(
        browser,
        location,
        {
            "applicant_name": "",
            "applicant_phone": "12345",
            "applicant_id_number": "0381 9200 1234",
            "applicant_address": "Thôn Đông, xã Quảng Phú",
        },
    )
    assert bad.status_code == 422
    errors = summary(bad.text)
    assert 'href="#applicant_name"' in errors and "Hãy nhập họ và tên người nộp." in errors
    assert 'href="#applicant_phone"' in errors and "Số điện thoại di động không hợp lệ" in errors
    assert 'id="applicant_phone-error"' in bad.text and 'aria-invalid="true"' in bad.text
    # What was typed is all still there.
    assert 'value="12345"' in bad.text and 'value="0381 9200 1234"' in bad.text
    assert 'value="Thôn Đông, xã Quảng Phú"' in bad.text
    good = await send(
        browser,
        location,
        {
            "applicant_name": "Trần Thị Hoa",
            "applicant_phone": hoa.phone,
            "applicant_id_number": "038192001234",
            "applicant_address": "Thôn Đông, xã Quảng Phú",
        },
    )
    assert good.status_code == 303 and good.headers["location"] == f"/ho-so/{dossier_id}/buoc/2"

    # Step 2: the procedure's own questions.
    step2_url = f"/ho-so/{dossier_id}/buoc/2"
    step2 = await browser.get(step2_url)
    assert "Bước 2/7" in step2.text
    assert 'type="date"' in step2.text and 'type="radio"' in step2.text and "<select" in step2.text
    assert 'data-when-field="delivery"' in step2.text and "Chỉ trả lời nếu" in step2.text
    bad = await send(
        browser,
        step2_url,
        {
            "licence_number": "",
            "licence_class": "B",
            "expiry_date": "31/02/2027",
            "delivery": "buu_dien",
            "delivery_address": "",
        },
    )
    assert bad.status_code == 422
    errors = summary(bad.text)
    assert 'href="#f-licence_number"' in errors
    assert 'href="#f-expiry_date"' in errors and "phải là một ngày" in errors
    assert 'href="#f-delivery_address"' in errors  # asked because of the post delivery
    assert 'value="31/02/2027"' in bad.text
    assert '<option value="B" selected>' in bad.text
    assert re.search(r'value="buu_dien" checked', bad.text)
    saved = await service.get_dossier(dossiers_app.state["dossiers"], hoa.principal, dossier_id)
    assert saved.form_data == {"licence_class": "B", "delivery": "buu_dien"}, "valid ones kept"
    good = await send(
        browser,
        step2_url,
        {
            "licence_number": "380123456789",
            "licence_class": "B",
            "expiry_date": "2027-03-15",
            "delivery": "tai_quay",
            "delivery_address": "not asked any more",
        },
    )
    assert good.status_code == 303 and good.headers["location"] == f"/ho-so/{dossier_id}/buoc/3"
    saved = await service.get_dossier(dossiers_app.state["dossiers"], hoa.principal, dossier_id)
    assert "delivery_address" not in saved.form_data, "a question that does not apply"
    assert saved.form_data["expiry_date"] == "2027-03-15"

    # Steps 3-5: the required documents, through the multipart form.
    for number in (3, 4, 5):
        url = f"/ho-so/{dossier_id}/buoc/{number}"
        page = await browser.get(url)
        assert f"Bước {number}/7" in page.text
        assert 'enctype="multipart/form-data"' in page.text
        assert 'accept="image/*,application/pdf" capture' in page.text
        assert "Mỗi tệp tối đa 10 MB" in page.text
        if number == 3:
            skipped = await send(browser, url, {"action": "next"})
            assert skipped.status_code == 422
            assert "Hãy chụp ảnh hoặc chọn tệp" in summary(skipped.text)
            wrong = await send(
                browser,
                url,
                {"action": "upload"},
                files={"file": ("don.jpg", b"<html>not a photo</html>", "image/jpeg")},
            )
            assert wrong.status_code == 422
            assert "don.jpg" in summary(wrong.text) and "JPEG" in summary(wrong.text)
            extra = await send(
                browser,
                url,
                {"action": "upload"},
                files={"file": ("thua.jpg", make_jpeg(), "image/jpeg")},
            )
            assert extra.status_code == 303
            listed = await browser.get(extra.headers["location"])
            assert "thua.jpg" in listed.text and "Đã tải lên." in listed.text
            removed = await send(
                browser, url, {"action": "upload", "remove": str(file_ids(listed.text)[0])}
            )
            assert removed.status_code == 303
            assert "thua.jpg" not in (await browser.get(url)).text
        # A photo taken with the camera; the empty "choose a file" input comes along.
        uploaded = await send(
            browser,
            url,
            {"action": "next"},
            files=[
                ("photo", (f"anh-{number}.jpg", make_jpeg(), "image/jpeg")),
                ("file", ("", b"", "application/octet-stream")),
            ],
        )
        assert uploaded.status_code == 303, uploaded.text
        assert uploaded.headers["location"] == f"/ho-so/{dossier_id}/buoc/{number + 1}"

    # Step 6: the optional portrait can be skipped.
    step6 = await browser.get(f"/ho-so/{dossier_id}/buoc/6")
    assert "Bỏ qua, tiếp tục" in step6.text
    skipped = await send(browser, f"/ho-so/{dossier_id}/buoc/6", {"action": "next"})
    assert skipped.headers["location"] == f"/ho-so/{dossier_id}/buoc/7"

    # Step 7: the review.
    review = await browser.get(f"/ho-so/{dossier_id}/buoc/7")
    assert "Bước 7/7" in review.text and "Kiểm tra lại và nộp hồ sơ" in review.text
    assert "380123456789" in review.text and "15/03/2027" in review.text
    assert "Nhận tại bộ phận một cửa" in review.text or "tai_quay" not in review.text
    assert "anh-3.jpg" in review.text and "Hồ sơ còn thiếu" not in review.text
    assert_no_inline_code(review.text)
    submitted = await send(browser, f"/ho-so/{dossier_id}/buoc/7", {})
    assert submitted.status_code == 303
    assert submitted.headers["location"] == f"/ho-so/{dossier_id}/bien-nhan"
    # A second press goes to the receipt too.
    replay = await send(browser, f"/ho-so/{dossier_id}/buoc/7", {})
    assert replay.headers["location"] == f"/ho-so/{dossier_id}/bien-nhan"

    receipt = await browser.get(f"/ho-so/{dossier_id}/bien-nhan")
    assert receipt.status_code == 200 and receipt.headers["cache-control"] == "no-store"
    code_match = re.search(r'<p class="dossier-code" id="dossier-code">([^<]+)</p>', receipt.text)
    assert code_match
    code = code_match.group(1)
    assert re.fullmatch(rf"^{re.escape(PROCEDURE_AGENCY)}-\d{{6}}-\d{{4}}$", code)
    dossier = await service.get_dossier(dossiers_app.state["dossiers"], hoa.principal, dossier_id)
    assert dossier.due_date is not None
    assert f'<strong id="due-date">{format_day(dossier.due_date, "vi")}</strong>' in receipt.text
    assert "<svg" in receipt.text and "segno" in receipt.text
    assert f'href="/api/dossiers/{dossier_id}/forms/01"' in receipt.text
    assert "Giấy khám sức khỏe" in receipt.text
    assert_no_inline_code(receipt.text)
    pdf = await browser.get(f"/api/dossiers/{dossier_id}/forms/01")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # The steps are closed now.
    closed = await browser.get(f"/ho-so/{dossier_id}/buoc/1")
    assert closed.status_code == 303 and closed.headers["location"] == f"/ho-so/{dossier_id}"

    mine = await browser.get("/ho-so")
    assert mine.status_code == 200 and code in mine.text
    assert f'href="/ho-so/{dossier_id}"' in mine.text
    assert "Đã nộp, chờ cán bộ kiểm tra" in mine.text
    page = await browser.get(f"/ho-so/{dossier_id}")
    assert "Hồ sơ được nộp trực tuyến" in page.text and "Rút hồ sơ" in page.text
    assert_no_inline_code(page.text)

    # Someone else finds nothing there.
    lan = await citizen(dossiers_app, open_browsers, "Lê Văn Lâm")
    for path in (
        f"/ho-so/{dossier_id}",
        f"/ho-so/{dossier_id}/bien-nhan",
        f"/ho-so/{dossier_id}/buoc/1",
        f"/ho-so/{dossier_id}/bo-sung",
        f"/ho-so/{dossier_id}/rut",
    ):
        assert (await lan.browser.get(path)).status_code == 404, path
    assert code not in (await lan.browser.get("/ho-so")).text
    stolen = await send(lan.browser, f"/ho-so/{dossier_id}/rut", {"version": "1"})
    assert stolen.status_code == 404


async def test_a_large_file_is_refused_kindly(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    start = await hoa.browser.get(f"/p/{LEGAL_AID}/nop")
    key = re.search(r'name="draft_key" value="([^"]+)"', start.text)
    assert key
    created = await send(hoa.browser, f"/p/{LEGAL_AID}/nop", {"draft_key": key.group(1)})
    dossier_id = int(created.headers["location"].split("/")[2])
    url = f"/ho-so/{dossier_id}/buoc/3"
    big = b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 10)
    refused = await send(
        hoa.browser, url, {"action": "upload"}, files={"file": ("to.jpg", big, "image/jpeg")}
    )
    assert refused.status_code == 422 and "lớn hơn 10 MB" in summary(refused.text)
    huge = b"\x00" * (21 * 1024 * 1024)
    too_much = await send(
        hoa.browser, url, {"action": "upload"}, files={"file": ("rat-to.jpg", huge, "image/jpeg")}
    )
    assert too_much.status_code == 413


async def test_a_draft_is_listed_and_continued(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    start = await hoa.browser.get(f"/p/{LEGAL_AID}/nop")
    key = re.search(r'name="draft_key" value="([^"]+)"', start.text)
    assert key
    created = await send(hoa.browser, f"/p/{LEGAL_AID}/nop", {"draft_key": key.group(1)})
    dossier_id = int(created.headers["location"].split("/")[2])
    mine = await hoa.browser.get("/ho-so")
    assert "Đang soạn, chưa nộp" in mine.text
    assert f'href="/ho-so/{dossier_id}/tiep-tuc"' in mine.text and "Tiếp tục" in mine.text
    # Submitting too early says what is missing, with links to the steps.
    review_url = f"/ho-so/{dossier_id}/buoc/6"
    review = await hoa.browser.get(review_url)
    assert "Hồ sơ còn thiếu" in review.text and f'href="/ho-so/{dossier_id}/buoc/3"' in review.text
    early = await send(hoa.browser, review_url, {})
    assert early.status_code == 422
    assert "Hãy điền" in summary(early.text) or "Còn thiếu" in summary(early.text)
    # An information-only procedure offers no online submission.
    info = await hoa.browser.get("/p/2.000884/nop")
    assert info.status_code == 200 and "chưa nộp trực tuyến được" in info.text
    # A stale or forged key is refused kindly.
    stale = await send(hoa.browser, f"/p/{LEGAL_AID}/nop", {"draft_key": "short"})
    assert stale.status_code == 422 and "Trang này đã cũ" in stale.text


async def test_pages_in_english(dossiers_app: Litestar, open_browsers: list[Browser]) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    english = {"Accept-Language": "en"}
    start = await hoa.browser.get(f"/p/{LEGAL_AID}/nop", headers=english)
    assert '<html lang="en">' in start.text and "Submit online" in start.text
    key = re.search(r'name="draft_key" value="([^"]+)"', start.text)
    assert key
    created = await send(hoa.browser, f"/p/{LEGAL_AID}/nop", {"draft_key": key.group(1)})
    step = await hoa.browser.get(created.headers["location"], headers=english)
    assert "Step 1/6" in step.text and "Full name" in step.text
    tracking = await hoa.browser.get("/tra-cuu", headers=english)
    assert "Track a dossier" in tracking.text


async def test_tracking_shows_steps_and_dates_only(
    dossiers_app: Litestar, open_browsers: list[Browser], runtime: DossiersRuntime
) -> None:
    hoa = await citizen(dossiers_app, open_browsers, "Phạm Thị Tra")
    _, code = await submitted_legal_aid(runtime, hoa, "track-pages-00000001")
    visitor = await new_browser(dossiers_app)
    open_browsers.append(visitor)
    form = await visitor.get("/tra-cuu")
    assert form.status_code == 200 and 'name="phone_last4"' in form.text
    assert "Tính năng này đang được hoàn thiện" not in form.text
    assert_no_inline_code(form.text)

    found = await send(visitor, "/tra-cuu", {"code": code.lower(), "phone_last4": hoa.phone[-4:]})
    assert found.status_code == 200
    assert code in found.text and "Đã nộp, chờ cán bộ kiểm tra" in found.text
    assert "Hồ sơ được nộp trực tuyến" in found.text
    assert found.headers["cache-control"] == "no-store"
    for private in ("Phạm Thị Tra", hoa.phone, "Tranh chấp đất"):
        assert private not in found.text

    wrong = await send(visitor, "/tra-cuu", {"code": code, "phone_last4": "0000"})
    assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in summary(wrong.text)
    assert f'value="{code}"' in wrong.text, "the code typed is kept"
    short = await send(visitor, "/tra-cuu", {"code": code, "phone_last4": "12"})
    assert short.status_code == 422 and 'href="#phone_last4"' in summary(short.text)

    link = service.tracking_url(runtime, code).removeprefix("http://localhost:8000")
    by_link = await visitor.get(link)
    assert by_link.status_code == 200 and code in by_link.text
    assert 'name="phone_last4"' not in by_link.text
    assert "Phạm Thị Tra" not in by_link.text and hoa.phone not in by_link.text
    forged = await visitor.get(f"/tra-cuu/{code}.{'0' * 24}")
    assert forged.status_code == 404 and "không hợp lệ" in forged.text


async def test_tracking_page_is_rate_limited(settings: Settings, database: Database) -> None:
    app = create_app(fast_settings(settings, auth_rate_per_address=2))
    async with lifespan(app):
        visitor = await new_browser(app)
        try:
            await visitor.headers()
            statuses = []
            for _ in range(3):
                response = await send(
                    visitor,
                    "/tra-cuu",
                    {"code": "000.00.12.H56-260101-9999", "phone_last4": "1234"},
                )
                statuses.append(response.status_code)
            assert statuses == [404, 404, 429]
            assert "đợi khoảng" in response.text and "tra cứu nhiều lần" in response.text
            assert int(response.headers["retry-after"]) > 0
        finally:
            await visitor.close()


async def test_tracking_guesses_are_limited_per_dossier_from_any_address(
    dossiers_app: Litestar, open_browsers: list[Browser], runtime: DossiersRuntime
) -> None:
    """Four digits are ten thousand guesses: five wrong ones in an hour close the code
    to guessing, whatever addresses send them, while the receipt's QR link still
    works. A code that does not exist answers the same way."""
    hoa = await citizen(dossiers_app, open_browsers, "Phạm Thị Đoán")
    _, code = await submitted_legal_aid(runtime, hoa, "track-guesses-000001")
    wrong = "0000" if hoa.phone[-4:] != "0000" else "1111"
    for target in (code, "000.00.12.H56-260101-9998"):
        answers = []
        for _ in range(6):
            guesser = await new_browser(dossiers_app)  # a new address each time
            open_browsers.append(guesser)
            response = await guesser.post("/api/tracking", {"code": target, "phone_last4": wrong})
            answers.append(response.status_code)
        assert answers == [404] * 5 + [429], target
    owner_now = await new_browser(dossiers_app)
    open_browsers.append(owner_now)
    right = await owner_now.post("/api/tracking", {"code": code, "phone_last4": hoa.phone[-4:]})
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    page = await send(owner_now, "/tra-cuu", {"code": code, "phone_last4": hoa.phone[-4:]})
    assert page.status_code == 429 and "tra cứu nhiều lần" in page.text
    link = service.tracking_url(runtime, code).removeprefix("http://localhost:8000")
    assert (await owner_now.get(link)).status_code == 200


async def test_the_supplement_flow(
    dossiers_app: Litestar, open_browsers: list[Browser], runtime: DossiersRuntime
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id, _ = await submitted_legal_aid(runtime, hoa, "supplement-pages-001")
    dossier = await service.get_dossier(runtime, hoa.principal, dossier_id)
    component = next(c for c in dossier.components if c.required and c.uploadable)
    reception = await official(dossiers_app, open_browsers, "reception", LEGAL_AID_AGENCY)
    asked = await reception.post(
        f"/api/dossiers/{dossier_id}/actions",
        {
            "action": "request_supplement",
            "version": dossier.version,
            "note": "Ảnh đơn bị mờ.",
            "items": [
                {"label": "Ảnh đơn rõ nét hơn", "component_id": component.id},
                {"label": "Tóm tắt vụ việc chi tiết hơn", "field": "case_summary"},
                {"label": "Mang bản chính giấy tờ khi nhận kết quả"},
            ],
        },
    )
    assert asked.status_code == 200, asked.text

    mine = await hoa.browser.get("/ho-so")
    assert 'class="badge badge-action"' in mine.text and "Cần bạn bổ sung" in mine.text
    page = await hoa.browser.get(f"/ho-so/{dossier_id}")
    assert "Ảnh đơn rõ nét hơn" in page.text and "Ảnh đơn bị mờ." in page.text
    assert f'href="/ho-so/{dossier_id}/bo-sung"' in page.text
    assert f'href="/api/dossiers/{dossier_id}/forms/02?event=' in page.text

    url = f"/ho-so/{dossier_id}/bo-sung"
    form = await hoa.browser.get(url)
    assert form.status_code == 200
    assert f'name="photo-{component.id}"' in form.text and 'id="f-case_summary"' in form.text
    assert "Mang bản chính giấy tờ khi nhận kết quả" in form.text
    assert_no_inline_code(form.text)
    early = await send(hoa.browser, url, {"action": "send", "case_summary": ""})
    assert early.status_code == 422
    errors = summary(early.text)
    assert 'href="#f-case_summary"' in errors
    kept = await send(
        hoa.browser,
        url,
        {"action": "save", "case_summary": "Tranh chấp ranh giới đất từ năm 2020"},
        files={f"file-{component.id}": ("don-moi.jpg", make_jpeg(), "image/jpeg")},
    )
    assert kept.status_code == 303 and kept.headers["location"] == f"{url}?xong=luu"
    again = await hoa.browser.get(kept.headers["location"])
    assert "don-moi.jpg" in again.text and "Tranh chấp ranh giới đất từ năm 2020" in again.text
    sent = await send(
        hoa.browser,
        url,
        {"action": "send", "case_summary": "Tranh chấp ranh giới đất từ năm 2020"},
    )
    assert (
        sent.status_code == 303 and sent.headers["location"] == f"/ho-so/{dossier_id}?xong=bo-sung"
    )
    after = await service.get_dossier(runtime, hoa.principal, dossier_id)
    assert after.status == "submitted" and not after.supplement_items
    assert after.form_data["case_summary"] == "Tranh chấp ranh giới đất từ năm 2020"
    page = await hoa.browser.get(sent.headers["location"])
    assert "Đã gửi bổ sung" in page.text
    assert (await hoa.browser.get(url)).status_code == 303  # nothing to add any more


async def test_withdrawal_needs_a_confirmation(
    dossiers_app: Litestar, open_browsers: list[Browser], runtime: DossiersRuntime
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id, _ = await submitted_legal_aid(runtime, hoa, "withdraw-pages-0001")
    page = await hoa.browser.get(f"/ho-so/{dossier_id}")
    assert f'href="/ho-so/{dossier_id}/rut"' in page.text
    confirm = await hoa.browser.get(f"/ho-so/{dossier_id}/rut")
    assert confirm.status_code == 200 and "Có, rút hồ sơ" in confirm.text
    version = re.search(r'name="version" value="(\d+)"', confirm.text)
    assert version
    stale = await send(
        hoa.browser, f"/ho-so/{dossier_id}/rut", {"version": str(int(version.group(1)) - 1)}
    )
    assert stale.status_code == 409 and "vừa được người khác cập nhật" in stale.text
    done = await send(
        hoa.browser,
        f"/ho-so/{dossier_id}/rut",
        {"version": version.group(1), "note": "Tôi đã giải quyết xong"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/ho-so/{dossier_id}?xong=rut"
    page = await hoa.browser.get(done.headers["location"])
    assert "Bạn đã rút hồ sơ" in page.text and f'href="/ho-so/{dossier_id}/rut"' not in page.text
    assert (await hoa.browser.get(f"/ho-so/{dossier_id}/rut")).status_code == 303
    assert (await service.get_dossier(runtime, hoa.principal, dossier_id)).status == "withdrawn"


async def test_a_counter_dossier_is_claimed(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    reception = await official(dossiers_app, open_browsers, "reception", LEGAL_AID_AGENCY)
    entered = await reception.post(
        "/api/staff/dossiers",
        {
            "procedure_code": LEGAL_AID,
            "channel": "counter",
            "applicant_name": "Trần Thị Hoa",
            "applicant_phone": hoa.phone,
            "form_data": LEGAL_AID_ANSWERS,
        },
    )
    assert entered.status_code == 201, entered.text
    code = entered.json()["code"]
    issued = await reception.post(f"/api/staff/dossiers/{entered.json()['id']}/claim-code")
    claim_code = issued.json()["claim_code"]
    missing = await send(hoa.browser, "/ho-so/nhan", {"code": code, "phone": hoa.phone})
    assert missing.status_code == 422 and 'href="#claim-secret"' in summary(missing.text)
    wrong = await send(
        hoa.browser, "/ho-so/nhan", {"code": code, "phone": "0912000000", "claim_code": claim_code}
    )
    assert wrong.status_code == 404 and 'href="#claim-code"' in summary(wrong.text)
    assert f'value="{code}"' in wrong.text and claim_code not in wrong.text
    claimed = await send(
        hoa.browser, "/ho-so/nhan", {"code": code, "phone": hoa.phone, "claim_code": claim_code}
    )
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/ho-so/{entered.json()['id']}?xong=nhan"
    page = await hoa.browser.get(claimed.headers["location"])
    assert "Đã thêm hồ sơ này vào tài khoản của bạn." in page.text
    assert "Cơ quan đã nhận hồ sơ" in page.text and "Cơ quan đang xử lý, hẹn trả ngày" in page.text
    assert code in (await hoa.browser.get("/ho-so")).text


async def test_officials_have_no_citizen_pages(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    reception = await official(dossiers_app, open_browsers, "reception", LEGAL_AID_AGENCY)
    assert (await reception.get(f"/p/{LEGAL_AID}/nop")).status_code == 403
    assert (await reception.get("/ho-so")).status_code == 403


async def act(
    runtime: DossiersRuntime, who: Principal, dossier_id: int, action: str, **fields: Any
) -> None:
    current = await service.get_dossier(runtime, who, dossier_id)
    await service.act(
        runtime,
        who,
        dossier_id,
        ActionIn(action=action, version=current.version, **fields),  # type: ignore[arg-type]
    )


async def test_the_result_is_offered_for_download(
    dossiers_app: Litestar,
    open_browsers: list[Browser],
    runtime: DossiersRuntime,
    people: PersonFactory,
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id, code = await submitted_legal_aid(runtime, hoa, "result-pages-000001")
    reception = await people("staff", "reception", LEGAL_AID_AGENCY)
    officer = await people("staff", "processing", LEGAL_AID_AGENCY)
    leader = await people("staff", "leader", LEGAL_AID_AGENCY)
    await act(runtime, reception, dossier_id, "receive")
    page = await hoa.browser.get(f"/ho-so/{dossier_id}")
    assert "Cơ quan đang xử lý, hẹn trả ngày" in page.text and "Cơ quan đã nhận hồ sơ" in page.text
    assert reception.name not in page.text, "no official's name"
    await act(runtime, reception, dossier_id, "assign", assignee_id=officer.account_id)
    await act(runtime, officer, dossier_id, "propose", decision="approve")
    await act(runtime, leader, dossier_id, "decide", decision="approve")
    page = await hoa.browser.get(f"/ho-so/{dossier_id}")
    assert "Đã được duyệt, đang làm kết quả" in page.text and "Rút hồ sơ" not in page.text
    result = await service.add_file(runtime, officer, dossier_id, photo(), component_id=None)
    assert f"/files/{result.id}" not in page.text
    await act(runtime, officer, dossier_id, "attach_result")

    page = await hoa.browser.get(f"/ho-so/{dossier_id}")
    assert "Đã có kết quả" in page.text
    assert f'href="/api/dossiers/{dossier_id}/files/{result.id}"' in page.text
    download = await hoa.browser.get(f"/api/dossiers/{dossier_id}/files/{result.id}")
    assert download.status_code == 200 and download.content[:2] == b"\xff\xd8"
    mine = await hoa.browser.get("/ho-so")
    assert 'class="badge badge-ready"' in mine.text
    visitor = await new_browser(dossiers_app)
    open_browsers.append(visitor)
    await visitor.headers()
    tracked = await send(visitor, "/tra-cuu", {"code": code, "phone_last4": hoa.phone[-4:]})
    assert "Đã có kết quả" in tracked.text and "Hồ sơ được duyệt" in tracked.text


async def test_a_refusal_says_why(
    dossiers_app: Litestar,
    open_browsers: list[Browser],
    runtime: DossiersRuntime,
    people: PersonFactory,
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id, _ = await submitted_legal_aid(runtime, hoa, "refused-pages-00001")
    reception = await people("staff", "reception", LEGAL_AID_AGENCY)
    await act(runtime, reception, dossier_id, "refuse", reasons=["Không thuộc diện trợ giúp"])
    page = await hoa.browser.get(f"/ho-so/{dossier_id}")
    assert "Hồ sơ không được nhận" in page.text and "Không thuộc diện trợ giúp" in page.text
    assert f'href="/api/dossiers/{dossier_id}/forms/03?event=' in page.text
    assert "Rút hồ sơ" not in page.text


async def test_a_dossier_for_an_organisation(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    seed = hoa.principal.account_id * 7919
    while True:
        head = f"{seed % 10**9:09d}"
        check = tax_code_check_digit(head)
        if head[2:] != "0000000" and check is not None:
            break
        seed += 1
    organisation = await accounts.register_organisation(
        dossiers_app.state["accounts"],
        hoa.principal,
        OrganisationCreate(
            name="Hộ kinh doanh Hoa Mai", tax_code=head + str(check), address="Thôn Đông"
        ),
        Client(address="10.0.0.1", device="test"),
    )
    start = await hoa.browser.get(f"/p/{LEGAL_AID}/nop")
    assert "Bạn nộp hồ sơ cho ai?" in start.text and "Hộ kinh doanh Hoa Mai" in start.text
    key = re.search(r'name="draft_key" value="([^"]+)"', start.text)
    assert key
    created = await send(
        hoa.browser,
        f"/p/{LEGAL_AID}/nop",
        {"draft_key": key.group(1), "organisation_id": str(organisation.id)},
    )
    assert created.status_code == 303
    dossier_id = int(created.headers["location"].split("/")[2])
    dossier = await service.get_dossier(dossiers_app.state["dossiers"], hoa.principal, dossier_id)
    assert dossier.organisation_id == organisation.id
    # Not a member of that organisation: refused, and nothing is made.
    lan = await citizen(dossiers_app, open_browsers, "Lê Văn Lâm")
    start = await lan.browser.get(f"/p/{LEGAL_AID}/nop")
    key = re.search(r'name="draft_key" value="([^"]+)"', start.text)
    assert key
    refused = await send(
        lan.browser,
        f"/p/{LEGAL_AID}/nop",
        {"draft_key": key.group(1), "organisation_id": str(organisation.id)},
    )
    assert refused.status_code == 404 and "Không tìm thấy tổ chức này." in summary(refused.text)
