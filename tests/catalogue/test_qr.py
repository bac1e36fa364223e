"""QR codes and posters: every one decodes back to its exact URL with a real decoder
(zxing-cpp). The SVG is rasterised by a real browser in tests/e2e/test_catalogue_qr.py."""

from __future__ import annotations

import io

import httpx
import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from backend.documents import make_qr
from tests.conftest import PUBLIC_URL

CODES = ["1.001193", "2.000815", "1.012790"]


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_make_qr_never_gives_a_micro_qr() -> None:
    assert make_qr("1").designator.startswith(("1", "2", "3"))
    assert "M" not in make_qr("1").designator


@pytest.mark.parametrize("code", CODES)
async def test_png_decodes_to_the_procedure_url(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"/api/procedures/{code}/qr.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert decode(Image.open(io.BytesIO(response.content))) == [f"{PUBLIC_URL}/p/{code}"]


async def test_svg_is_an_svg_of_the_url(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/procedures/1.001193/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg")
    assert f"<title>{PUBLIC_URL}/p/1.001193</title>" in response.text


# (procedure, the agency the poster hangs at: none for one naming the level)
POSTERS = [
    ("1.001193", "000.03.40.H56"),
    ("2.000815", ""),
    ("1.012790", "000.01.40.H56"),
    ("2.000488", ""),
]
LEVEL_HEADINGS = {
    "commune": "Thủ tục cấp xã: nộp tại Ủy ban nhân dân xã, phường",
    "province": "Thủ tục cấp tỉnh",
}


@pytest.mark.parametrize(("code", "agency"), POSTERS)
async def test_poster_pdf_decodes_and_carries_vietnamese_text(
    client: httpx.AsyncClient, code: str, agency: str
) -> None:
    procedure = (await client.get(f"/api/procedures/{code}")).json()
    places = {
        place["agency"]["code"]: place["agency"]
        for place in (await client.get(f"/api/procedures/{code}/agencies")).json()
    }
    params = {"agency": agency} if agency else {}
    response = await client.get(f"/api/procedures/{code}/poster.pdf", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    assert len(document) == 1
    page = document[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842), "A4 in points"
    image = page.render(scale=2).to_pil()
    # Hung at an agency, the poster opens the procedure there; a procedure only one
    # agency carries out is always that agency's.
    at = agency or (next(iter(places)) if len(places) == 1 else "")
    url = f"{PUBLIC_URL}/p/{code}" + (f"?co-quan={at}" if at else "")
    assert decode(image) == [url]
    text = page.get_textpage().get_text_range()
    flat = " ".join(text.split())
    assert (places[at]["name_vi"] if at else LEVEL_HEADINGS[procedure["level"]]) in flat
    # The name wraps over lines; each of its words is there, with its diacritics.
    assert all(word in flat for word in procedure["name_vi"].split())
    assert url.split("://", 1)[1] in flat
    assert "Cần mang theo:" in flat
    required_first = sorted(procedure["components"], key=lambda c: not c["required"])
    assert required_first[0]["name_vi"][:40] in flat


async def test_unknown_codes_have_no_qr(client: httpx.AsyncClient) -> None:
    for suffix in ("qr.svg", "qr.png", "poster.pdf"):
        response = await client.get(f"/api/procedures/9.999999/{suffix}")
        assert response.status_code == 404
        assert response.json()["error"]["field"] == "code"
    odd = await client.get("/api/procedures/%3Cscript%3E/qr.svg")
    assert odd.status_code in {400, 404}


async def test_posters_speak_vietnamese_whatever_the_reader(
    client: httpx.AsyncClient, database: object
) -> None:
    from backend.catalogue import service

    procedure = await service.get_procedure("1.001193")
    poster = service.procedure_poster(PUBLIC_URL, procedure, None)
    assert poster.code_label == "Mã thủ tục: 1.001193"
    assert poster.lines_title == "Cần mang theo:" and poster.lines
    assert poster.agency == LEVEL_HEADINGS["commune"]
    nga_an = await service.get_agency("000.03.40.H56")
    at_nga_an = service.procedure_poster(PUBLIC_URL, procedure, nga_an)
    assert at_nga_an.agency == "Ủy ban nhân dân xã Nga An"
    assert at_nga_an.url == f"{PUBLIC_URL}/p/1.001193?co-quan=000.03.40.H56"
    client.cookies.set("lang", "en")
    page = await client.get("/p/1.001193/poster")
    at_agency = await client.get("/p/1.001193/poster", params={"co-quan": "000.03.40.H56"})
    client.cookies.delete("lang")
    assert page.status_code == 200
    assert "Mã thủ tục: 1.001193" in page.text and "Cần mang theo:" in page.text
    assert LEVEL_HEADINGS["commune"] in page.text
    assert "Ủy ban nhân dân xã Nga An" in at_agency.text
