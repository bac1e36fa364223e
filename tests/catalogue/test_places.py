"""Where to file a procedure carried out by many agencies: the procedure page's choice
(a commune typed without diacritics, or suggested from the address given at sign-up),
the page for one agency, posters and QR codes for one agency, the agencies API, and
search by agency.

On the session's database: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from html import unescape

import httpx
import msgspec
import pytest
import zxingcpp
from litestar import Litestar
from PIL import Image

from backend.app import create_app
from backend.catalogue import service
from backend.catalogue.schemas import DemoCatalogue
from backend.db import Database
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, new_browser, scan
from tests.conftest import PUBLIC_URL
from tests.support.asgi import lifespan

BIRTH = "1.001193"  # at one's own commune's People's Committee
COPIES = "2.000815"  # certified copies: at any commune of the province
RESIDENCE = "1.004222"  # at the commune's police
DRIVING = "1.002809"  # one provincial department
NGA_AN = "000.03.40.H56"  # Ủy ban nhân dân xã Nga An
NGA_AN_POLICE = "000.16.40.H56"
HAC_THANH = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành
HAC_THANH_POLICE = "000.04.40.H56"
SAM_SON = "000.02.40.H56"
NAM_SAM_SON = "000.08.40.H56"
CENTRE = "000.00.01.H56"  # receives the departments' procedures, carries out none
UNKNOWN = "000.99.99.H00"
ADDRESS = "thôn 3, xã Nga An, tỉnh Thanh Hóa"


def demo() -> DemoCatalogue:
    return msgspec.json.decode(service.DEMO_CATALOGUE.read_bytes(), type=DemoCatalogue)


def carried_out_by(agency: str) -> set[str]:
    return {p.code for p in demo().procedures if agency in p.agencies}


def where(html: str) -> str:
    """The page's "where to file" section."""
    found = re.search(r'<section class="where" id="noi-nop".*?</section>', html, re.S)
    assert found is not None, "the page has a where-to-file section"
    return found.group(0)


def listed(html: str) -> list[str]:
    """The agencies the chooser lists, by code."""
    section = where(html)
    found = re.search(r'<ul class="items places" id="places">.*?</ul>', section, re.S)
    if found is None:
        return []
    return re.findall(r'href="/p/[0-9.]+\?co-quan=([^"#]+)#noi-nop"', found.group(0))


# ---- choosing where to file -----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "typed", "expected"),
    [
        (BIRTH, "nga an", [NGA_AN]),
        (BIRTH, "Nga Ân", [NGA_AN]),
        (BIRTH, "xa nga an", [NGA_AN]),
        (BIRTH, "NGA", [NGA_AN]),
        # The ward's People's Committee, not its police, for a civil status procedure...
        (BIRTH, "hac thanh", [HAC_THANH]),
        # ... and its police for a residence one.
        (RESIDENCE, "hac thanh", [HAC_THANH_POLICE]),
        (RESIDENCE, "nga an", [NGA_AN_POLICE]),
        (BIRTH, "sam son", [SAM_SON, NAM_SAM_SON]),
        (COPIES, "phuong nam sam son", [NAM_SAM_SON]),
    ],
)
async def test_typing_a_commune_without_diacritics_finds_its_agency(
    client: httpx.AsyncClient, code: str, typed: str, expected: list[str]
) -> None:
    page = await client.get(f"/p/{code}", params={"xa": typed})
    assert page.status_code == 200
    assert sorted(listed(page.text)) == sorted(expected)
    section = where(page.text)
    assert 'aria-invalid="true"' not in section and "field-message" not in section
    assert f'value="{typed}"' in unescape(section), "what was typed stays in the input"
    names = {
        place["agency"]["code"]: place["agency"]["name_vi"]
        for place in (await client.get(f"/api/procedures/{code}/agencies")).json()
    }
    for agency in expected:
        assert names[agency] in section


async def test_an_unknown_commune_name_is_an_error_tied_to_its_input(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get(f"/p/{BIRTH}", params={"xa": "xyz"})
    assert page.status_code == 200
    section = where(page.text)
    assert listed(page.text) == [] and 'id="places"' not in section
    error = re.search(r'<span class="field-message" id="xa-error"[^>]*>([^<]+)</span>', section)
    assert error is not None
    assert "Không tìm thấy xã, phường nào tên “xyz”" in unescape(error.group(1))
    assert 'aria-describedby="xa-hint xa-error"' in section and 'aria-invalid="true"' in section
    assert "/nop" not in section, "nothing to file at"

    english = await client.get(f"/p/{BIRTH}", params={"xa": "xyz"}, headers={"Cookie": "lang=en"})
    assert "No commune or ward named “xyz” carries out this procedure" in unescape(english.text)

    # What was typed is shown back as text.
    odd = await client.get(f"/p/{BIRTH}", params={"xa": '<b>"x'})
    assert odd.status_code == 200 and "<b>" not in where(odd.text)
    assert "&lt;b&gt;" in where(odd.text)
    too_long = await client.get(f"/p/{BIRTH}", params={"xa": "a" * 101})
    assert too_long.status_code == 400


@pytest.mark.parametrize("agency", [NGA_AN_POLICE, CENTRE, UNKNOWN, "a'b<c"])
async def test_an_agency_that_does_not_carry_out_the_procedure_is_refused(
    client: httpx.AsyncClient, agency: str
) -> None:
    page = await client.get(f"/p/{BIRTH}", params={"co-quan": agency})
    assert page.status_code == 200
    section = where(page.text)
    assert "Cơ quan này không thực hiện thủ tục 1.001193." in section
    assert 'data-field="co-quan"' in section and 'aria-invalid="true"' in section
    assert "/nop" not in section and "Nơi nộp hồ sơ" not in section
    # The choice is offered again: every commune's committee.
    assert sorted(listed(page.text)) == sorted(
        p.agency.code for p in await service.places_for(BIRTH)
    )
    english = await client.get(
        f"/p/{BIRTH}", params={"co-quan": agency}, headers={"Cookie": "lang=en"}
    )
    assert "This agency does not carry out procedure 1.001193." in english.text


async def test_a_chosen_agency_shows_where_when_and_at_which_counter(
    client: httpx.AsyncClient,
) -> None:
    [place] = (
        await client.get(f"/api/procedures/{BIRTH}/agencies", params={"q": "hac thanh"})
    ).json()
    agency = place["agency"]
    assert agency["code"] == HAC_THANH
    page = await client.get(f"/p/{BIRTH}", params={"co-quan": HAC_THANH})
    assert page.status_code == 200
    section = unescape(where(page.text))
    assert "Nơi nộp hồ sơ" in section and agency["name_vi"] in section
    assert agency["address"] in section and agency["hours_vi"] in section
    # Counter 1 of the ward receives birth registrations; counter 2 does not.
    assert "Quầy tiếp nhận" in section and "Quầy 1 – Hộ tịch, chứng thực" in section
    assert "Quầy 2" not in section
    assert f'href="/p/{BIRTH}/nop?co-quan={HAC_THANH}"' in section and "Nộp trực tuyến" in section
    assert f'href="/p/{BIRTH}#noi-nop">Chọn nơi khác' in section
    assert "Bạn nộp hồ sơ ở đâu?" not in section and 'id="places"' not in section
    # The poster and the feedback of the page are for that agency too.
    assert f'href="/p/{BIRTH}/poster?co-quan={HAC_THANH}"' in page.text
    assert f"/phan-anh/gui?p={BIRTH}&amp;co-quan={HAC_THANH}" in page.text

    building = await client.get("/p/1.013225", params={"co-quan": HAC_THANH})
    assert "Quầy 2 – Xây dựng, hộ kinh doanh" in where(building.text)
    assert "Quầy 1" not in where(building.text)
    # Nga An has no counter in the catalogue: no counter is named.
    nga_an = where((await client.get(f"/p/{BIRTH}", params={"co-quan": NGA_AN})).text)
    assert "Ủy ban nhân dân xã Nga An" in nga_an and "Quầy tiếp nhận" not in nga_an

    english = await client.get(
        f"/p/{BIRTH}", params={"co-quan": HAC_THANH}, headers={"Cookie": "lang=en"}
    )
    shown = unescape(where(english.text))
    assert "Where to file" in shown and agency["name_en"] in shown
    assert agency["hours_en"] in shown and "Counter 1 – Civil status and certification" in shown


async def test_filing_anywhere_or_at_ones_own_commune_is_said(client: httpx.AsyncClient) -> None:
    anywhere = where((await client.get(f"/p/{COPIES}")).text)
    assert "không phụ thuộc địa giới hành chính" in anywhere
    assert "bạn nộp ở bất kỳ xã, phường nào của tỉnh cũng được" in anywhere
    assert "Hãy chọn xã, phường nơi bạn cư trú." not in anywhere
    own = where((await client.get(f"/p/{BIRTH}")).text)
    assert "Hãy chọn xã, phường nơi bạn cư trú." in own
    assert "không phụ thuộc địa giới hành chính" not in own
    # Thirteen committees: all listed before anything is typed.
    assert len(listed(own)) == 13
    english = where((await client.get(f"/p/{COPIES}", headers={"Cookie": "lang=en"})).text)
    assert "regardless of administrative boundaries" in english


# ---- a suggestion from the address given at sign-up --------------------------------------


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


def suggestion(html: str) -> str | None:
    found = re.search(
        r'<p class="suggested" id="suggested">[^<]*<a href="/p/[0-9.]+\?co-quan=([^"#]+)#noi-nop"',
        where(html),
    )
    return found.group(1) if found else None


async def test_a_resident_is_offered_their_own_commune(
    client: httpx.AsyncClient, resident: Browser
) -> None:
    await resident.sign_up(address=ADDRESS)
    page = await resident.get(f"/p/{BIRTH}")
    assert page.status_code == 200
    assert suggestion(page.text) == NGA_AN
    assert "Theo địa chỉ của bạn:" in where(page.text)
    assert suggestion((await resident.get(f"/p/{RESIDENCE}")).text) == NGA_AN_POLICE
    # A procedure of one department: nothing to choose.
    driving = (await resident.get(f"/p/{DRIVING}")).text
    assert suggestion(driving) is None and "Nơi nộp hồ sơ" in where(driving)
    # Chosen already: the agency's page, no suggestion.
    chosen = (await resident.get(f"/p/{BIRTH}", params={"co-quan": HAC_THANH})).text
    assert suggestion(chosen) is None and "Ủy ban nhân dân phường Hạc Thành" in where(chosen)
    # Nobody signed in: no suggestion.
    assert suggestion((await client.get(f"/p/{BIRTH}")).text) is None


@pytest.mark.parametrize("address", ["", "số 5, đường Trần Phú, tỉnh Nghệ An", "Hà Nội"])
async def test_an_address_naming_no_commune_of_the_province_suggests_nothing(
    resident: Browser, address: str
) -> None:
    fields = {"address": address} if address else {}
    await resident.sign_up(**fields)
    page = await resident.get(f"/p/{BIRTH}")
    assert page.status_code == 200 and suggestion(page.text) is None
    assert len(listed(page.text)) == 13


# ---- posters and QR codes for one agency ------------------------------------------------


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


async def test_a_poster_for_an_agency_opens_the_procedure_there(
    client: httpx.AsyncClient,
) -> None:
    url = f"{PUBLIC_URL}/p/{BIRTH}?co-quan={NGA_AN}"
    page = await client.get(f"/p/{BIRTH}/poster", params={"co-quan": NGA_AN})
    assert page.status_code == 200
    html = unescape(page.text)
    assert "Ủy ban nhân dân xã Nga An" in html
    assert f"localhost:8000/p/{BIRTH}?co-quan={NGA_AN}" in html
    # The code printed on the page is that of the agency's address.
    src = re.search(r'<img class="poster-qr" src="([^"]+)"', html)
    assert src is not None and src.group(1) == f"/api/procedures/{BIRTH}/qr.svg?agency={NGA_AN}"
    svg = await client.get(src.group(1))
    assert svg.status_code == 200 and f"<title>{url}</title>" in unescape(svg.text)
    assert scan(svg.text) == [url]
    assert f'href="/api/procedures/{BIRTH}/poster.pdf?agency={NGA_AN}"' in html

    png = await client.get(f"/api/procedures/{BIRTH}/qr.png", params={"agency": NGA_AN})
    assert decode(Image.open(io.BytesIO(png.content))) == [url]
    # Without an agency, the code opens the procedure's own page (the choice).
    plain = await client.get(f"/api/procedures/{BIRTH}/qr.svg")
    assert scan(plain.text) == [f"{PUBLIC_URL}/p/{BIRTH}"]


@pytest.mark.parametrize("agency", [NGA_AN_POLICE, CENTRE, UNKNOWN])
async def test_no_poster_for_an_agency_that_does_not_carry_it_out(
    client: httpx.AsyncClient, agency: str
) -> None:
    page = await client.get(f"/p/{BIRTH}/poster", params={"co-quan": agency})
    assert page.status_code == 404
    main = re.search(r"<main.*?</main>", page.text, re.S)  # not the header's own links
    assert main and agency not in main.group(0)
    for suffix in ("qr.svg", "qr.png", "poster.pdf"):
        response = await client.get(f"/api/procedures/{BIRTH}/{suffix}", params={"agency": agency})
        assert response.status_code == 422, suffix
        error = response.json()["error"]
        assert error["field"] == "agency", suffix
        assert error["message_vi"] == "Cơ quan này không thực hiện thủ tục 1.001193."
        assert error["message_en"] == "This agency does not carry out procedure 1.001193."
    too_long = await client.get(f"/api/procedures/{BIRTH}/qr.svg", params={"agency": "x" * 40})
    assert too_long.status_code == 400 and too_long.json()["error"]["field"] == "agency"


# ---- the agencies API ----------------------------------------------------------------------


async def test_the_agencies_of_a_procedure_found_by_commune(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/procedures/{BIRTH}/agencies", params={"q": "nga an"})
    assert response.status_code == 200
    [place] = response.json()
    assert place["agency"]["code"] == NGA_AN
    assert place["agency"]["name_vi"] == "Ủy ban nhân dân xã Nga An"
    assert place["agency"]["unit_code"] == place["unit"]["code"]
    assert {key: place["unit"][key] for key in ("name_vi", "kind", "parent_code")} == {
        "name_vi": "Xã Nga An",
        "kind": "commune",
        "parent_code": "38",
    }
    every = (await client.get(f"/api/procedures/{BIRTH}/agencies")).json()
    assert {p["agency"]["code"] for p in every} == {
        p.agency.code for p in await service.places_for(BIRTH)
    }
    assert len(every) == 13 and all(p["unit"]["kind"] in ("ward", "commune") for p in every)
    police = (
        await client.get(f"/api/procedures/{RESIDENCE}/agencies", params={"q": "Hạc Thành"})
    ).json()
    assert [p["agency"]["code"] for p in police] == [HAC_THANH_POLICE]
    [department] = (await client.get(f"/api/procedures/{DRIVING}/agencies")).json()
    assert department["agency"]["code"] == "000.00.16.H56"
    assert department["unit"]["kind"] == "province"

    none = await client.get(f"/api/procedures/{BIRTH}/agencies", params={"q": "xyz"})
    assert none.status_code == 200 and none.json() == []
    unknown = await client.get("/api/procedures/9.999999/agencies")
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "code"
    too_long = await client.get(f"/api/procedures/{BIRTH}/agencies", params={"q": "a" * 101})
    assert too_long.status_code == 400 and too_long.json()["error"]["field"] == "q"


# ---- search by agency ------------------------------------------------------------------------


@pytest.mark.parametrize("agency", [NGA_AN, NGA_AN_POLICE, HAC_THANH, "000.00.16.H56"])
async def test_search_by_agency_lists_what_it_carries_out(database: Database, agency: str) -> None:
    expected = carried_out_by(agency)
    everything = await service.list_procedures(agency=agency, page_size=100)
    assert {item.code for item in everything.items} == expected
    assert everything.total == len(expected)
    # With words typed (the full-text path of each engine), the same rule.
    for q in ("dang ky", "khai sinh", "giay phep", "chung thuc"):
        found = await service.list_procedures(q=q, agency=agency, page_size=100)
        codes = {item.code for item in found.items}
        assert codes <= expected, (q, codes - expected)
        # Whatever a search of everything finds that the agency carries out is found.
        unfiltered = await service.list_procedures(q=q, page_size=100)
        assert {item.code for item in unfiltered.items} & expected <= codes, q


async def test_search_by_agency_with_words(database: Database, client: httpx.AsyncClient) -> None:
    police = await service.list_procedures(q="dang ky", agency=NGA_AN_POLICE)
    codes = [item.code for item in police.items]
    assert sorted(codes[:2]) == ["1.004194", "1.004222"]
    assert set(codes) <= carried_out_by(NGA_AN_POLICE)
    assert (await service.list_procedures(q="khai sinh", agency=NGA_AN_POLICE)).total == 0
    birth = await service.list_procedures(q="khai sinh", agency=NGA_AN)
    assert birth.items[0].code == BIRTH
    # The driving licences are the provincial police's: never among a commune's.
    driving = await service.list_procedures(q="giay phep lai xe", agency=NGA_AN, page_size=100)
    assert {item.code for item in driving.items} <= carried_out_by(NGA_AN)
    assert not {"1.002809", "1.002820"} & {item.code for item in driving.items}
    # A misspelling widens the words, still within the agency's procedures.
    widened = await service.list_procedures(q="dang ky tam truu", agency=NGA_AN_POLICE)
    assert [item.code for item in widened.items][:1] == ["1.004194"]
    for agency in (CENTRE, UNKNOWN):
        assert (await service.list_procedures(agency=agency)).total == 0
        assert (await service.list_procedures(q="dang ky", agency=agency)).total == 0

    response = await client.get("/api/procedures", params={"q": "chung thuc", "agency": NGA_AN})
    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["items"]}
    assert codes and codes <= carried_out_by(NGA_AN)
    page = await client.get("/thu-tuc", params={"agency": NGA_AN_POLICE})
    assert page.status_code == 200
    shown = set(re.findall(r'href="/p/([0-9.]+)"', page.text))
    assert shown == carried_out_by(NGA_AN_POLICE)
