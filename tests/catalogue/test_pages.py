"""The catalogue's pages without JavaScript: procedure, search, poster, scanner."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from tests.conftest import PUBLIC_URL


async def test_the_procedure_page_holds_everything_to_prepare(client: httpx.AsyncClient) -> None:
    api = (await client.get("/api/procedures/1.002809")).json()
    page = await client.get("/p/1.002809")
    assert page.status_code == 200
    html = page.text
    # A plain checkbox per document, each with its label (works without JS).
    assert len(re.findall(r'<input type="checkbox" id="doc-\d+"', html)) == len(api["components"])
    for index in range(1, len(api["components"]) + 1):
        assert f'<label for="doc-{index}">' in html
    assert "Mẫu:" in html, "the template form is named"
    assert "ngày làm việc" in html
    # The fee, and its online amount as the counter amount less the discount (issue 16).
    assert "nộp trực tuyến: 135.000\u00a0₫ − 20.000\u00a0₫ = 115.000\u00a0₫" in html
    assert api["legal_basis"][0] in html
    # One agency carries it out (the provincial police): the page is for it at once.
    [agency] = api["agency_codes"]
    [place] = (await client.get("/api/procedures/1.002809/agencies")).json()
    assert place["agency"]["code"] == agency == "000.00.16.H56"
    assert place["agency"]["address"] in html and place["agency"]["name_vi"] in html
    assert f'href="/p/{api["code"]}/nop?co-quan={agency}"' in html and "Nộp trực tuyến" in html
    assert "Bạn nộp hồ sơ ở đâu?" not in html and "Chọn nơi khác" not in html
    assert f'href="/p/1.002809/poster?co-quan={agency}"' in html
    # Strict CSP: no inline scripts, styles or handlers.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)
    # Visited pages are kept by the service worker: nothing marks this one private.
    assert "private" not in page.headers.get("cache-control", "")
    assert "no-store" not in page.headers.get("cache-control", "")


async def test_information_only_procedures_offer_no_submission(client: httpx.AsyncClient) -> None:
    page = await client.get("/p/2.000884")
    assert page.status_code == 200
    assert "Chỉ cung cấp thông tin" in page.text
    assert "Nộp trực tuyến" not in page.text


async def test_the_procedure_page_in_english(client: httpx.AsyncClient) -> None:
    page = await client.get("/p/1.001193", headers={"Cookie": "lang=en"})
    assert "Birth registration" in page.text and "Documents to prepare" in page.text


async def test_the_search_page_filters(client: httpx.AsyncClient) -> None:
    page = await client.get(
        "/thu-tuc", params={"q": "giay phep", "level": "province", "field": "", "agency": ""}
    )
    assert page.status_code == 200
    assert 'href="/p/1.002809"' in page.text and 'href="/p/1.013225"' not in page.text
    assert '<option value="province" selected>' in page.text
    paged = await client.get("/thu-tuc", params={"level": "commune"})
    assert 'rel="next"' in paged.text and "level=commune" in paged.text
    second = await client.get("/thu-tuc", params={"level": "commune", "page": "2"})
    assert 'rel="prev"' in second.text


async def test_the_poster_page_is_print_ready(client: httpx.AsyncClient) -> None:
    page = await client.get("/p/2.000815/poster")
    assert page.status_code == 200
    html = page.text
    assert 'src="/api/procedures/2.000815/qr.svg"' in html
    assert "localhost:8000/p/2.000815<" in html
    # Carried out by every commune: the poster names the level, not one agency.
    assert "Thủ tục cấp xã: nộp tại Ủy ban nhân dân xã, phường" in html
    assert "Cần mang theo:" in html
    assert 'href="/api/procedures/2.000815/poster.pdf"' in html
    css = re.search(r'href="(/static/[^"]+/styles/catalogue.css)"', html)
    assert css is not None
    stylesheet = (await client.get(css.group(1))).text
    assert "@page { size: A4" in stylesheet


@pytest.mark.parametrize(
    ("entered", "location"),
    [
        ("1.001193", "/p/1.001193"),
        ("  1.001193 ", "/p/1.001193"),
        (f"{PUBLIC_URL}/p/1.000894", "/p/1.000894"),
        ("localhost:8000/p/2.000815", "/p/2.000815"),
        # A poster hung at an agency opens the procedure for filing there.
        (
            "localhost:8000/p/1.001193?co-quan=000.03.40.H56",
            "/p/1.001193?co-quan=000.03.40.H56",
        ),
        (f"{PUBLIC_URL}/c/1.abcd.efgh", "/c/1.abcd.efgh"),
    ],
)
async def test_codes_and_our_addresses_open(
    client: httpx.AsyncClient, entered: str, location: str
) -> None:
    response = await client.get("/quet-ma", params={"ma": entered})
    assert response.status_code == 303
    assert response.headers["location"] == location


@pytest.mark.parametrize(
    "entered",
    [
        "https://evil.example/p/1.001193",
        "http://localhost:8000.evil.example/p/1.001193",
        "http://localhost:9999/p/1.001193",
        "https://localhost:8000/p/1.001193",
        "//evil.example/p/1",
        "javascript:alert(1)",
        "http://localhost:8000//evil.example",
        "http://localhost:8000/\\evil.example",
        "<img src=x onerror=alert(1)>",
        "WIFI:S:cafe;T:WPA;P:secret;;",
    ],
)
async def test_anything_else_is_shown_as_text_with_a_warning(
    client: httpx.AsyncClient, entered: str
) -> None:
    response = await client.get("/quet-ma", params={"ma": entered})
    assert response.status_code == 200
    assert "không được mở" in response.text
    assert "<img src=x" not in response.text, "shown as text, escaped"
    assert f'href="{entered}"' not in response.text


async def test_an_unknown_code_offers_the_search(client: httpx.AsyncClient) -> None:
    response = await client.get("/quet-ma", params={"ma": "9.999999"})
    assert response.status_code == 200
    assert "Không có thủ tục nào mang mã này" in response.text
    assert 'href="/thu-tuc?q=9.999999"' in response.text


async def test_the_scanner_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/quet-ma")
    assert response.status_code == 200
    html = response.text
    assert 'action="/quet-ma"' in html and 'name="ma"' in html
    assert 'data-zxing-wasm="/vendor/zxing-wasm-3.1.4/reader/zxing_reader.wasm"' in html
    # Only this page may compile WebAssembly.
    assert "'wasm-unsafe-eval'" in response.headers["content-security-policy"]
    home = await client.get("/")
    assert "wasm-unsafe-eval" not in home.headers["content-security-policy"]


async def test_vendored_files_are_served_with_their_types(client: httpx.AsyncClient) -> None:
    wasm = await client.get("/vendor/zxing-wasm-3.1.4/reader/zxing_reader.wasm")
    assert wasm.status_code == 200
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.content[:4] == b"\0asm"
    module = await client.get("/vendor/zxing-wasm-3.1.4/es/reader/index.js")
    assert module.headers["content-type"].startswith("text/javascript")
    for path in (
        "/vendor/zxing-wasm-3.1.4/README.md",
        "/vendor/../backend/settings.py",
        "/vendor/%2e%2e/%2e%2e/pyproject.toml",
        "/vendor/zxing-wasm-3.1.4/nothing.js",
    ):
        assert (await client.get(path)).status_code == 404, path


async def test_the_wasm_is_never_precached(client: httpx.AsyncClient) -> None:
    worker = (await client.get("/sw.js")).text
    assert "/vendor/" not in worker and ".wasm" not in worker


async def test_the_procedure_page_explains_conditional_and_per_copy_fees(
    client: httpx.AsyncClient,
) -> None:
    page = unescape((await client.get("/p/2.000488")).text)
    reduced = "Thuộc đối tượng được giảm phí (sinh viên, người có công, thân nhân liệt sĩ)"
    assert f"(nếu {reduced}: Không): 200.000\u00a0₫" in page
    assert f"(nếu {reduced}: Có): 100.000\u00a0₫" in page
    assert "Nộp phí trước khi nhận kết quả." in page
    assert "Nộp phí trước khi cơ quan tiếp nhận hồ sơ." not in page

    copies = unescape((await client.get("/p/2.000635")).text)
    assert "8.000\u00a0₫ / mỗi Số bản sao cần cấp" in copies
    assert "Nộp phí trước khi cơ quan tiếp nhận hồ sơ." in copies

    english = unescape((await client.get("/p/2.000488", headers={"Cookie": "lang=en"})).text)
    assert "(if Eligible for the reduced fee" in english and "): Yes): ₫100,000" in english
    assert "Pay the fees before you collect the result." in english
    english = unescape((await client.get("/p/2.000635", headers={"Cookie": "lang=en"})).text)
    assert "₫8,000 per Number of copies" in english

    free = await client.get("/p/1.001193")
    assert (
        "Miễn phí" in free.text and "Nộp phí trước" not in free.text
    )  # nothing to pay, nothing to say when

    for code in ("2.000488", "2.000635", "1.002809"):
        wire = await client.get(f"/p/{code}", headers={"Accept-Encoding": "gzip"})
        assert wire.headers["content-encoding"] == "gzip"
        assert int(wire.headers["content-length"]) < 20 * 1024


async def test_the_procedure_page_tells_the_waivers_and_exemptions_in_force(
    client: httpx.AsyncClient,
) -> None:
    """Before filing, a person reads that the fee is waived online and who is exempt,
    with the text that says so (issue 14)."""
    html = unescape((await client.get("/p/1.004873?co-quan=000.01.40.H56")).text)
    listed = re.search(r'<ul class="plain" id="fee-reductions">(.*?)</ul>', html, re.S)
    assert listed, "the reductions are listed under the fees"
    items = [
        re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", listed.group(1))
    ]
    assert "Miễn 100% khi nộp hồ sơ trực tuyến (Nghị quyết số 12/2025/NQ-HĐND" in items[0]
    assert any("hộ nghèo" in item and "Luật Hộ tịch" in item for item in items)
    english = unescape((await client.get("/p/1.004873", headers={"accept-language": "en"})).text)
    # The Vietnamese title of the resolution marked as Vietnamese.
    assert 'Waived in full when filed online (<span lang="vi">Nghị quyết số 12/2025' in english
    # A procedure whose fee no rule lowers lists nothing.
    assert 'id="fee-reductions"' not in (await client.get("/p/1.002809")).text
