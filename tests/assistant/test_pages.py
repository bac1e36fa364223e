"""``/tro-ly``: a plain GET form that works without JavaScript, the reply rendered on
the server, light, escaped, with the errors tied to the field; the home page's link;
a signed-in person's own commune first."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.db import Database
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, new_browser
from tests.support.asgi import lifespan

BIRTH = "1.001193"
NGA_AN = "000.03.40.H56"  # Ủy ban nhân dân xã Nga An
ADDRESS = "thôn 3, xã Nga An, tỉnh Thanh Hóa"


def answer_of(html: str) -> str:
    found = re.search(r'<section class="answer".*?</section>', html, re.S)
    assert found, "an answer section"
    return found.group(0)


async def test_the_form_alone_without_a_question(client: httpx.AsyncClient) -> None:
    page = await client.get("/tro-ly")
    assert page.status_code == 200
    html = page.text
    assert '<form class="ask" action="/tro-ly" method="get"' in html
    assert '<label for="q">' in html and 'name="q"' in html and 'maxlength="300"' in html
    assert 'id="answer"' not in html
    # The microphone waits, hidden, for a browser that has speech recognition.
    assert re.search(r'<button type="button"[^>]*id="speak"[^>]*hidden', html)
    assert "/scripts/assistant/speech" in html


async def test_the_answer_is_on_the_page_without_javascript(client: httpx.AsyncClient) -> None:
    page = await client.get("/tro-ly", params={"q": "con tôi mới sinh thì làm giấy gì"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert len(page.content) < 20 * 1024
    answer = unescape(answer_of(page.text))
    assert f'<a href="/p/{BIRTH}">Thủ tục đăng ký khai sinh</a>' in answer
    assert "Tờ khai đăng ký khai sinh" in answer
    assert "Không mất phí" in answer and "1 ngày làm việc" in answer
    assert f'href="/p/{BIRTH}/nop"' in answer and "Nộp trực tuyến" in answer
    assert f'href="/dat-lich/{BIRTH}"' in answer and "Đặt lịch hẹn" in answer
    assert "Xem chi tiết" in answer
    assert "Xem cả 13 nơi nộp" in answer
    assert 'id="sources"' in answer
    # The question stays in the field.
    assert 'value="con tôi mới sinh thì làm giấy gì"' in unescape(page.text)


async def test_unknown_offers_the_search_and_the_centre(client: httpx.AsyncClient) -> None:
    page = await client.get("/tro-ly", params={"q": "giá lúa hôm nay bao nhiêu"})
    assert page.status_code == 200
    answer = unescape(answer_of(page.text))
    assert 'href="/thu-tuc?q=gi' in answer and "Tìm trong danh mục thủ tục" in answer
    assert "Hỏi bộ phận một cửa" in answer
    assert "Trung tâm Phục vụ hành chính công tỉnh Thanh Hóa" in answer


async def test_html_in_the_question_is_shown_as_text(client: httpx.AsyncClient) -> None:
    question = '<script>alert("x")</script> khai sinh cho con mới đẻ'
    page = await client.get("/tro-ly", params={"q": question})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert BIRTH in answer_of(page.text)


async def test_a_question_of_2000_characters_is_a_form_error(client: httpx.AsyncClient) -> None:
    page = await client.get("/tro-ly", params={"q": "mất bằng lái " * 160})
    assert page.status_code == 400
    html = unescape(page.text)
    assert 'id="error-summary"' in html and 'href="#q"' in html
    assert re.search(r'id="q-error">[^<]*300 ký tự', html)
    assert 'aria-invalid="true"' in html
    assert 'id="answer"' not in html


async def test_an_empty_question_is_a_form_error(client: httpx.AsyncClient) -> None:
    page = await client.get("/tro-ly", params={"q": "  "})
    assert page.status_code == 400
    assert 'id="q-error"' in page.text


async def test_the_page_in_english(client: httpx.AsyncClient) -> None:
    page = await client.get(
        "/tro-ly", params={"q": "I lost my driving licence"}, headers={"accept-language": "en"}
    )
    assert page.status_code == 200
    assert 'data-speech-lang="en-US"' in page.text
    answer = unescape(answer_of(page.text))
    assert "Reissue of a lost driving licence" in answer and "Submit online" in answer
    assert "Book a visit" in answer


async def test_another_language_is_answered_in_both(client: httpx.AsyncClient) -> None:
    page = await client.get("/tro-ly", params={"q": "我的孩子刚出生需要办理什么手续"})
    answer = unescape(answer_of(page.text))
    assert "tiếng Việt" in answer and 'lang="en"' in answer and "Vietnamese" in answer


async def test_the_home_page_links_the_assistant(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert 'href="/tro-ly"' in home.text


# ---- a signed-in person: their own commune first -----------------------------------


@pytest.fixture(scope="module")
async def accounts_app(settings: Settings, database: Database) -> AsyncIterator[Litestar]:
    app = create_app(fast_settings(settings))
    async with lifespan(app):
        yield app


@pytest.fixture
async def resident(accounts_app: Litestar) -> AsyncIterator[Browser]:
    browser = await new_browser(accounts_app)
    yield browser
    await browser.close()


async def test_a_resident_sees_their_own_commune_first(resident: Browser) -> None:
    await resident.sign_up(address=ADDRESS)
    reply = (await resident.get("/api/assistant", params={"q": "khai sinh cho con"})).json()
    first = reply["procedures"][0]
    assert first["your_place"] is True
    assert first["places"][0]["agency_code"] == NGA_AN
    assert first["file_online_url"] == f"/p/{BIRTH}/nop?co-quan={NGA_AN}"
    assert first["citation"]["url"] == f"/p/{BIRTH}?co-quan={NGA_AN}"
    page = unescape((await resident.get("/tro-ly", params={"q": "khai sinh cho con"})).text)
    assert "Theo địa chỉ của bạn:" in answer_of(page)
