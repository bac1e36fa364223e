"""Satisfaction and feedback in a real Chromium against a real `motcua serve`.

A phone scans a counter's QR code with its camera (a fake camera plays a y4m video of
the code), opens the counter's page, rates the visit (no account) with the code the
counter's screen shows (refused without it, the answers kept), and its rating is
stored (the same phone is refused a second one today; the agency's official sees it).
From the same counter, the person sends feedback with a photo and gets a code; an
official of the agency answers it from the console and publishes the answer; the
person reads the answer and rates it with stars."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from backend.catalogue.service import counter_token
from backend.settings import Settings
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_FOUND,
    CSP_WATCH,
    MOBILE_USER_AGENT,
    watch_errors,
)
from tests.e2e.helpers import csp_violations, loaded_width
from tests.e2e.server import MotcuaServer, motcua_command
from tests.e2e.test_accounts import NO_AUTOFILL, LocalhostServer, virtual_authenticator
from tests.e2e.test_scanner import write_y4m
from tests.support.databases import POSTGRES_URL, fresh_postgres

pytestmark = pytest.mark.browser

# Counter 1 of the provincial public administration centre, in the demo catalogue.
COUNTER_AGENCY, COUNTER_NUMBER = "000.00.01.H56", 1


@pytest.fixture
async def feedback_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[MotcuaServer]:
    database_url = await fresh_postgres("e2e_feedback") if POSTGRES_URL else None
    server = LocalhostServer(Path(tmp_path_factory.mktemp("e2e-feedback")), database_url)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


def token_of(server: MotcuaServer) -> str:
    """The counter's QR token, signed with the key the server keeps in its data dir."""
    settings = Settings.from_env(server.environment())
    return counter_token(
        settings.secret_key, settings.counter_key_version, COUNTER_AGENCY, COUNTER_NUMBER
    )


@pytest.fixture
async def camera_browser(
    feedback_server: MotcuaServer, tmp_path: Path
) -> AsyncIterator[tuple[Browser, str]]:
    """Chromium whose camera films the counter's QR code."""
    if not CHROMIUM_FOUND:
        pytest.fail(f"no Chromium at {CHROMIUM}: run ./dev test, which installs it")
    token = token_of(feedback_server)
    video = tmp_path / "counter-qr.y4m"
    write_y4m(video, f"{feedback_server.url}/c/{token}")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        yield browser, token
        await browser.close()


async def phone_context(browser: Browser, server: MotcuaServer) -> BrowserContext:
    context = await browser.new_context(
        base_url=server.url,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=MOBILE_USER_AGENT,
        locale="vi-VN",
    )
    context.set_default_timeout(15_000)
    await context.add_init_script(CSP_WATCH)
    return context


def create_official(server: MotcuaServer, name: str) -> str:
    result = subprocess.run(
        [
            *motcua_command(),
            "create-staff",
            "--name",
            name,
            "--agency",
            COUNTER_AGENCY,
            "--role",
            "reception",
        ],
        env=server.environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return re.findall(r"https?://\S+", result.stdout)[-1]


async def enrolled_official(browser: Browser, server: MotcuaServer, name: str) -> Page:
    link = await asyncio.to_thread(create_official, server, name)
    context = await browser.new_context(base_url=server.url, locale="vi-VN")
    context.set_default_timeout(15_000)
    await context.add_init_script(NO_AUTOFILL)
    await context.add_init_script(CSP_WATCH)
    page = await context.new_page()
    await virtual_authenticator(context, page)
    await page.goto(link)
    await page.get_by_role("button", name="Đăng ký khóa truy cập").click()
    await expect(page.get_by_role("heading", name="Thiết bị đăng nhập")).to_be_visible()
    return page


def a_camera_photo(path: Path) -> Path:
    """A phone camera's photo: 4000 × 3000, several megabytes."""
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(path, "JPEG", quality=92)
    return path


def a_photo(path: Path) -> Path:
    image = Image.new("RGB", (1200, 900), (180, 160, 140))
    image.paste((90, 60, 40), (300, 300, 900, 700))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


async def test_a_counter_visit_rated_and_feedback_answered_and_rated(
    feedback_server: MotcuaServer, camera_browser: tuple[Browser, str], tmp_path: Path
) -> None:
    server = feedback_server
    browser, token = camera_browser
    context = await phone_context(browser, server)
    await context.grant_permissions(["camera"], origin=server.url)
    phone = await context.new_page()
    errors = watch_errors(phone)

    # The camera reads the counter's code: its page opens.
    await phone.goto("/quet-ma")
    await phone.get_by_role("button", name="Bật camera").click()
    await phone.wait_for_url(f"{server.url}/c/{token}", timeout=30_000)
    await expect(phone.locator("h1")).to_contain_text("Quầy 1")

    # The counter's screen, opened by its official, shows the code that proves a visit.
    official = await enrolled_official(browser, server, "Hoàng Thị Đáp")
    await official.goto("/can-bo/danh-gia")
    await official.locator("#counter-screens").get_by_role("link", name="Quầy 1").click()
    await expect(official.locator("#visit-code")).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    await expect(official.locator("#visit-code-qr svg")).to_be_visible()
    shown = (await official.locator("#visit-code").inner_text()).strip()

    # Rate the visit, no account: the page says where the code is, in plain words.
    await phone.get_by_role("link", name="Đánh giá quầy này").click()
    await expect(phone.locator("h1")).to_contain_text("Bạn hài lòng")
    await expect(phone.locator("#visit_code-hint")).to_contain_text(
        "Mã hiện trên màn hình đặt ở quầy"
    )
    await expect(phone.locator("#visit_code-hint")).to_contain_text("hỏi cán bộ tại quầy")
    await phone.locator("label[for=overall-4]").click()
    await expect(phone.locator("#overall-4")).to_be_checked()
    await phone.get_by_text("Đánh giá chi tiết hơn").click()
    await phone.locator("label[for=attitude-5]").click()
    await phone.get_by_label("Ý kiến thêm").fill("Cán bộ hướng dẫn rất kỹ")
    # Sent without the code: refused at the code, every answer kept.
    await phone.get_by_role("button", name="Gửi đánh giá").click()
    await expect(phone.locator(".error-summary")).to_contain_text("Hãy nhập mã đánh giá")
    # Chromium logs the refused page's 422 as a failed load: that one is expected.
    refused = [e for e in errors if "status of 422" in e and "/danh-gia)" in e]
    assert len(refused) == 1, errors
    errors.remove(refused[0])
    await expect(phone.locator("#overall-4")).to_be_checked()
    await expect(phone.get_by_label("Ý kiến thêm")).to_have_value("Cán bộ hướng dẫn rất kỹ")
    # The code as the screen shows it (with its space).
    await phone.get_by_label(re.compile("Mã đánh giá")).fill(shown)
    await phone.get_by_role("button", name="Gửi đánh giá").click()
    await expect(phone.get_by_role("heading", name="Cảm ơn bạn đã đánh giá!")).to_be_visible()
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["motcua_device"]["httpOnly"] and cookies["motcua_device"]["sameSite"] == "Lax"

    # Stored: the same phone is told at once that it has rated this counter today.
    await phone.goto(f"/c/{token}/danh-gia")
    await expect(phone.locator("h1")).to_have_text("Bạn đã đánh giá quầy này hôm nay")
    await expect(phone.get_by_role("button", name="Gửi đánh giá")).to_have_count(0)

    # Feedback about the same counter, with a photo and a way to be answered.
    await phone.get_by_role("link", name="Gửi phản ánh, kiến nghị").click()
    await expect(phone.locator("#about")).to_contain_text("Quầy 1")
    await phone.get_by_label("Thái độ, hành vi của cán bộ").check()
    question = "Cán bộ yêu cầu nộp thêm bản sao không có trong danh mục giấy tờ."
    await phone.get_by_label("Nội dung phản ánh, kiến nghị").fill(question)
    await phone.locator("#photos").set_input_files(str(a_photo(tmp_path / "quay.jpg")))
    await phone.get_by_label("Họ và tên").fill("Lê Văn Phản")
    await phone.get_by_label("Số điện thoại", exact=True).fill("0903 111 222")
    await phone.locator("#publish_consent").check()
    await phone.get_by_role("button", name="Gửi phản ánh").click()
    await expect(phone.get_by_role("heading", name="Đã gửi phản ánh")).to_be_visible()
    code = (await phone.locator("#feedback-code").inner_text()).strip()
    assert re.fullmatch(r"PA-\d{6}-[A-Z2-9]{6}", code), code
    tracking = phone.url
    assert "k=" in tracking
    await expect(phone.locator("#feedback-status")).to_have_text("Đang chờ trả lời")

    # An official of the agency finds it in the console and answers it.
    await official.goto("/can-bo")
    await official.get_by_role("link", name="Phản ánh, kiến nghị").first.click()
    await official.get_by_role("link", name=code).click()
    await expect(official.locator("#feedback-text")).to_have_text(question)
    photo = official.locator("#feedback-photos img").first
    await expect(photo).to_be_visible()
    assert await loaded_width(photo) > 0
    answer = "Chúng tôi đã nhắc cán bộ: chỉ yêu cầu giấy tờ có trong danh mục."
    await official.get_by_label("Câu trả lời", exact=True).fill(answer)
    await official.get_by_label("Công khai câu trả lời").check()
    await official.get_by_role("button", name="Gửi câu trả lời").click()
    await expect(official.locator("#thong-bao")).to_contain_text("Đã gửi câu trả lời.")

    # The agency's ratings show the counter visit.
    await official.goto("/can-bo/danh-gia")
    await expect(official.locator("#agency .rating-count")).to_contain_text("1 ")
    await expect(official.locator("#recent-comments")).to_contain_text("Cán bộ hướng dẫn rất kỹ")

    # The person reads the answer and rates it.
    await phone.goto(tracking)
    await expect(phone.locator("#answer-text")).to_have_text(answer)
    await phone.locator("label[for=stars-5]").click()
    await phone.get_by_role("button", name="Gửi đánh giá").click()
    await expect(phone.get_by_text("Cảm ơn bạn đã đánh giá câu trả lời!")).to_be_visible()
    await expect(phone.locator(".stars-given")).to_have_text("★★★★★")

    # Others with the same question read it, without the sender.
    await phone.goto("/phan-anh/cong-khai")
    await expect(phone.locator("#published-answers")).to_contain_text(answer)
    assert "Lê Văn Phản" not in await phone.content()

    for page in (phone, official):
        assert await csp_violations(page) == [], "Content-Security-Policy violations"
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)
    await official.context.close()
    await context.close()


async def test_a_feedback_photo_travels_small_once_and_a_refused_form_keeps_it(
    feedback_server: MotcuaServer, browser: Browser, tmp_path: Path
) -> None:
    server = feedback_server
    context = await phone_context(browser, server)
    phone = await context.new_page()
    errors = watch_errors(phone)
    posts: list[int] = []
    phone.on(
        "request",
        lambda r: (
            posts.append(len(r.post_data_buffer or b""))
            if r.method == "POST" and r.url.endswith("/phan-anh/gui")
            else None
        ),
    )
    camera = a_camera_photo(tmp_path / "cua-so.jpg")
    assert camera.stat().st_size > 3 * 1024 * 1024
    broken = tmp_path / "hong.jpg"
    broken.write_bytes(b"not a photo at all, whatever its name says")

    await phone.goto(f"/phan-anh/gui?c={token_of(server)}")
    await expect(
        phone.get_by_label("Họ và tên (bắt buộc nếu không gửi ẩn danh)")
    ).to_have_attribute("aria-required", "true")
    await phone.get_by_label("Cơ sở vật chất").check()
    await phone.get_by_label("Nội dung phản ánh, kiến nghị").fill(
        "Cửa sổ phòng chờ bị vỡ kính, rất nguy hiểm cho trẻ em."
    )
    await phone.locator("#photos").set_input_files([str(camera), str(broken)])
    # No name, no way to answer: said at once, nothing sent.
    await phone.get_by_role("button", name="Gửi phản ánh").click()
    summary = phone.locator("#error-summary")
    await expect(summary).to_be_focused()
    await expect(summary).to_contain_text("Hãy cho biết họ tên")
    await expect(summary).to_contain_text("Hãy để lại số điện thoại hoặc thư điện tử")
    await expect(phone.locator("#contact_name")).to_have_attribute("aria-invalid", "true")
    assert posts == []
    # Anonymous: the name is no longer required (and hidden with the contact).
    await phone.locator("#anonymous").check()
    await expect(phone.locator("#contact_name")).to_be_hidden()
    assert await phone.locator("#contact_name").evaluate("input => input.required") is False
    await phone.locator("#anonymous").uncheck()
    assert await phone.locator("#contact_name").evaluate("input => input.required") is True
    await phone.get_by_label("Họ và tên").fill("Lê Văn Kính")
    await phone.get_by_label("Số điện thoại", exact=True).fill("0903 111 222")

    # Sent: the server refuses the broken photo; the good one, made small by the
    # browser, is kept and shown, not to be chosen again.
    await phone.get_by_role("button", name="Gửi phản ánh").click()
    await expect(phone.locator("#error-summary")).to_contain_text("hong.jpg")
    refused = [e for e in errors if "status of 422" in e]
    assert len(refused) == 1, errors
    errors.remove(refused[0])
    assert len(posts) == 1 and posts[0] < 1024 * 1024, posts
    thumbnail = phone.locator("#kept-photos img")
    await expect(thumbnail).to_have_count(1)
    await expect(thumbnail).to_have_attribute("alt", "cua-so.jpg")
    assert await loaded_width(thumbnail) > 0
    await expect(phone.locator("#kept-note")).to_contain_text("Đã nhận 1 ảnh")
    await expect(phone.get_by_label("Họ và tên")).to_have_value("Lê Văn Kính")

    # Sent again as it is: received with the kept photo.
    await phone.get_by_role("button", name="Gửi phản ánh").click()
    await expect(phone.get_by_role("heading", name="Đã gửi phản ánh")).to_be_visible()
    await expect(phone.get_by_text("1 ảnh đã gửi")).to_be_visible()
    assert len(posts) == 2 and posts[1] < 64 * 1024, "the photo did not travel again"
    # What the server keeps is at most 1600 px (it would keep 2400 of a full-size one).
    kept = [
        path
        for path in (server.data_dir / "files").rglob("*")
        if path.is_file() and path.read_bytes()[:2] == b"\xff\xd8"
    ]
    assert len(kept) == 2  # the kept photo and the feedback's own copy
    for path in kept:
        with Image.open(path) as image:
            assert max(image.size) == 1600, image.size

    assert await csp_violations(phone) == [], "Content-Security-Policy violations"
    assert errors == [], "errors in the browser console:\n" + "\n".join(errors)
    await context.close()
