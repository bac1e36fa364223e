"""The assistant's page in a real Chromium: typed, the answer comes from the server;
without speech recognition there is no microphone; with it (a stand-in for the
browser's own, which headless Chromium cannot drive) the words said fill the field;
and with JavaScript off the page still answers."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.helpers import csp_violations
from tests.e2e.server import MotcuaServer

pytestmark = pytest.mark.browser

# What a browser's SpeechRecognition does, reduced to one result: "said" once started.
FAKE_RECOGNITION = """
window.__speechLang = null;
class FakeRecognition extends EventTarget {
  start() {
    window.__speechLang = this.lang;
    setTimeout(() => {
      const result = [{ transcript: "mất bằng lái xe" }];
      result.isFinal = true;
      const event = new Event("result");
      event.results = [result];
      this.dispatchEvent(event);
      this.dispatchEvent(new Event("end"));
    }, 50);
  }
  stop() {}
}
window.SpeechRecognition = FakeRecognition;
window.webkitSpeechRecognition = FakeRecognition;
"""
NO_RECOGNITION = "delete window.SpeechRecognition; delete window.webkitSpeechRecognition;"


async def test_a_question_typed_is_answered(page: Page, console_errors: list[str]) -> None:
    await page.add_init_script(NO_RECOGNITION)
    await page.goto("/")
    await page.get_by_role("link", name="Hỏi Trợ lý").click()
    await expect(page.locator("#speak")).to_be_hidden()
    await page.get_by_label("Câu hỏi của bạn").fill("con tôi mới sinh thì làm giấy gì")
    await page.get_by_role("button", name="Gửi câu hỏi").click()
    answer = page.locator("#answer")
    await expect(answer.get_by_role("link", name="Thủ tục đăng ký khai sinh")).to_be_visible()
    await expect(answer.get_by_role("link", name="Đặt lịch hẹn").first).to_have_attribute(
        "href", "/dat-lich/1.001193"
    )
    assert await csp_violations(page) == []
    assert console_errors == []


async def test_speech_fills_the_question(context: BrowserContext) -> None:
    await context.add_init_script(FAKE_RECOGNITION)
    page = await context.new_page()
    await page.goto("/tro-ly")
    speak = page.get_by_role("button", name="Nói câu hỏi")
    await expect(speak).to_be_visible()
    await speak.click()
    await expect(page.get_by_label("Câu hỏi của bạn")).to_have_value("mất bằng lái xe")
    await expect(page.locator("#speech-status")).to_contain_text("Đã điền câu hỏi")
    assert await page.evaluate("window.__speechLang") == "vi-VN"
    await page.get_by_role("button", name="Gửi câu hỏi").click()
    await expect(page.locator("#answer")).to_contain_text("Cấp lại Giấy phép lái xe")


async def test_the_page_answers_without_javascript(server: MotcuaServer, browser: Browser) -> None:
    context = await browser.new_context(
        base_url=server.url, java_script_enabled=False, locale="vi-VN"
    )
    try:
        page = await context.new_page()
        await page.goto("/tro-ly")
        await page.get_by_label("Câu hỏi của bạn").fill("xin giay doc than de cuoi")
        await page.get_by_role("button", name="Gửi câu hỏi").click()
        await expect(page.locator("#answer")).to_contain_text(
            "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"
        )
        await expect(page.locator("#speak")).to_be_hidden()
    finally:
        await context.close()
