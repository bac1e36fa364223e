"""The in-app scanner in a real Chromium: a fake camera plays a y4m video of a QR code
(headless Chromium on Linux has no BarcodeDetector, so this drives the ZXing-wasm
fallback we host), a photo is chosen, a code is typed, a foreign URL is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import segno
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, watch_errors
from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480
CODE = "1.001193"
HAS_CHROMIUM = Path(CHROMIUM).exists()


def qr_rows(text: str, size: int) -> list[list[bool]]:
    """The QR code of ``text`` (with its quiet zone) scaled to about ``size`` pixels."""
    matrix = [list(row) for row in segno.make_qr(text, error="m").matrix]
    border = 4
    modules = len(matrix) + 2 * border
    scale = size // modules
    dark = [[False] * modules for _ in range(border)]
    padded = dark + [[False] * border + [bool(v) for v in row] + [False] * border for row in matrix]
    padded += [[False] * modules for _ in range(border)]
    return [[cell for cell in row for _ in range(scale)] for row in padded for _ in range(scale)]


def write_y4m(path: Path, text: str, frames: int = 3) -> None:
    """A YUV 4:2:0 video (pure Python): grey luma with the QR code in the middle."""
    rows = qr_rows(text, 400)
    top, left = (HEIGHT - len(rows)) // 2, (WIDTH - len(rows[0])) // 2
    luma = bytearray(b"\xeb" * (WIDTH * HEIGHT))
    for y, row in enumerate(rows):
        start = (top + y) * WIDTH + left
        luma[start : start + len(row)] = bytes(0x10 if dark else 0xEB for dark in row)
    chroma = b"\x80" * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The server's address is only known once it runs: the video is written by the
    # fixture below, here only its place is chosen.
    return tmp_path_factory.mktemp("camera") / "qr.y4m"


@pytest.fixture(scope="module")
async def camera_browser(server: MotcuaServer, camera_file: Path) -> AsyncIterator[Browser]:
    if not HAS_CHROMIUM:
        pytest.skip(f"no Chromium at {CHROMIUM}")
    write_y4m(camera_file, f"{server.url}/p/{CODE}")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera_file}",
            ],
        )
        yield browser
        await browser.close()


@pytest.fixture
async def scanner_page(camera_browser: Browser, server: MotcuaServer) -> AsyncIterator[Page]:
    context = await camera_browser.new_context(
        base_url=server.url, viewport={"width": 360, "height": 740}, locale="vi-VN"
    )
    await context.grant_permissions(["camera"], origin=server.url)
    context.set_default_timeout(20_000)
    await context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = await context.new_page()
    yield page
    await context.close()


async def test_the_camera_reads_the_qr_code_and_opens_the_procedure(
    scanner_page: Page, server: MotcuaServer
) -> None:
    page = scanner_page
    errors = watch_errors(page)
    wasm_requests: list[str] = []
    page.on("request", lambda r: wasm_requests.append(r.url) if r.url.endswith(".wasm") else None)
    await page.goto("/quet-ma")
    has_native = await page.evaluate("'BarcodeDetector' in window")
    await page.get_by_role("button", name="Bật camera").click()
    await page.wait_for_url(f"{server.url}/p/{CODE}", timeout=30_000)
    await expect(page.locator("h1")).to_have_text("Thủ tục đăng ký khai sinh")
    if not has_native:
        assert wasm_requests == [f"{server.url}/vendor/zxing-wasm-3.1.4/reader/zxing_reader.wasm"]
    assert errors == [], errors


async def test_the_reader_is_loaded_only_when_needed(
    scanner_page: Page, server: MotcuaServer
) -> None:
    requests: list[str] = []
    scanner_page.on("request", lambda r: requests.append(r.url))
    await scanner_page.goto("/quet-ma")
    await expect(scanner_page.get_by_role("button", name="Bật camera")).to_be_visible()
    await scanner_page.wait_for_load_state("networkidle")
    assert not [url for url in requests if "/vendor/" in url], requests
    assert await csp_violations(scanner_page) == []


async def test_typing_the_code_opens_the_procedure(
    scanner_page: Page, server: MotcuaServer
) -> None:
    await scanner_page.goto("/quet-ma")
    await scanner_page.get_by_label("Hoặc nhập mã số in dưới mã QR").fill("1.000894")
    await scanner_page.get_by_role("button", name="Mở", exact=True).click()
    await scanner_page.wait_for_url(f"{server.url}/p/1.000894")
    await expect(scanner_page.locator("h1")).to_have_text("Thủ tục đăng ký kết hôn")


async def test_a_photo_of_a_foreign_code_is_shown_not_opened(
    scanner_page: Page, tmp_path: Path
) -> None:
    foreign = "https://dichvucong-gov.example/p/1.001193?login=1"
    photo = tmp_path / "foreign.png"
    segno.make_qr(foreign).save(photo, scale=10, border=4)
    page = scanner_page
    await page.goto("/quet-ma")
    await page.locator("#scanner-photo").set_input_files(photo)
    warning = page.locator("#scanner-foreign")
    await expect(warning).to_be_visible(timeout=20_000)
    await expect(page.locator("#scanner-foreign-text")).to_have_text(foreign)
    await expect(warning).to_contain_text("không được mở")
    assert page.url.endswith("/quet-ma")
    assert await page.locator(f'a[href="{foreign}"]').count() == 0


async def test_a_photo_of_our_code_opens_it(
    scanner_page: Page, server: MotcuaServer, tmp_path: Path
) -> None:
    photo = tmp_path / "ours.png"
    segno.make_qr(f"{server.url}/p/2.000815").save(photo, scale=10, border=4)
    await scanner_page.goto("/quet-ma")
    await scanner_page.locator("#scanner-photo").set_input_files(photo)
    await scanner_page.wait_for_url(f"{server.url}/p/2.000815")
