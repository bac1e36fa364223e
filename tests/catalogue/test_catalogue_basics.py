"""The demo catalogue: its content, its loading, and the pages and API that read it."""

from __future__ import annotations

import httpx
import msgspec

from backend.catalogue.schemas import DemoCatalogue
from backend.catalogue.service import DEMO_CATALOGUE, fold, seed_demo
from backend.catalogue.tables import (
    Agency,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    Provision,
    Unit,
)
from backend.db import Database


def demo() -> DemoCatalogue:
    return msgspec.json.decode(DEMO_CATALOGUE.read_bytes(), type=DemoCatalogue)


def test_the_demo_catalogue_is_large_real_and_consistent() -> None:
    catalogue = demo()
    assert len(catalogue.procedures) >= 25
    codes = [p.code for p in catalogue.procedures]
    assert len(set(codes)) == len(codes)
    agencies = {a.code: a for a in catalogue.agencies}
    assert len(agencies) == len(catalogue.agencies)
    levels = {p.level for p in catalogue.procedures}
    assert levels == {"province", "commune"}
    units = {u.code: u for u in catalogue.units}
    communes = [u for u in catalogue.units if u.kind in ("ward", "commune")]
    assert len(communes) >= 12 and len(units) == len(catalogue.units)
    [province] = [u for u in catalogue.units if u.kind == "province"]
    assert all(u.parent_code == province.code for u in communes)
    assert len({fold(u.name_vi) for u in communes}) == len(communes), "names tell them apart"
    for agency in catalogue.agencies:
        unit = units[agency.unit_code]
        assert (unit.kind == "province") == (agency.level == "province"), agency.code
    committees = {a.code for a in catalogue.agencies if a.name_vi.startswith("Ủy ban nhân dân")}
    police = {
        a.code
        for a in catalogue.agencies
        if a.level == "commune" and a.name_vi.startswith("Công an")
    }
    # Every commune and ward has its People's Committee.
    assert {agencies[code].unit_code for code in committees} == {u.code for u in communes}
    for procedure in catalogue.procedures:
        assert procedure.agencies, procedure.code
        assert len(set(procedure.agencies)) == len(procedure.agencies), procedure.code
        for code in procedure.agencies:
            assert agencies[code].level == procedure.level, procedure.code
        if procedure.level == "commune":
            # Every commune carries out the commune-level procedures (residence: its police).
            assert set(procedure.agencies) in (committees, police), procedure.code
        assert procedure.processing_days >= 0
        assert procedure.components, f"{procedure.code} lists no documents"
        assert all(fee.amount >= 0 for fee in procedure.fees)
        assert all(
            fee.online_amount is None or fee.online_amount <= fee.amount for fee in procedure.fees
        )
        assert procedure.source, f"{procedure.code} names no source"
    names = " ".join(fold(p.name_vi) for p in catalogue.procedures)
    for expected in (
        "khai sinh",
        "ket hon",
        "giay phep lai xe",
        "ho kinh doanh",
        "ly lich tu phap",
    ):
        assert expected in names


async def _dump() -> list[object]:
    return [
        await Agency.select().order_by(Agency.code),
        await Procedure.select(*Procedure.all_columns(exclude=[Procedure.updated_at])).order_by(
            Procedure.code
        ),
        await ProcedureComponent.select().order_by(ProcedureComponent.id),
        await ProcedureFee.select().order_by(ProcedureFee.id),
        await Provision.select().order_by(Provision.id),
        await Unit.select().order_by(Unit.code),
    ]


async def test_seeding_twice_changes_nothing(database: Database) -> None:
    before = await _dump()
    catalogue = demo()
    assert len(before[1]) == len(catalogue.procedures)  # type: ignore[arg-type]
    assert len(before[4]) == sum(len(p.agencies) for p in catalogue.procedures)  # type: ignore[arg-type]
    assert len(before[5]) == len(catalogue.units)  # type: ignore[arg-type]
    result = await seed_demo()
    assert (result.agencies_added, result.procedures_added, result.units_added) == (0, 0, 0)
    assert await _dump() == before


def test_folding_matches_how_people_type() -> None:
    assert fold("Cấp đổi Giấy phép lái xe") == "cap doi giay phep lai xe"
    assert fold("ĐĂNG KÝ KHAI SINH") == "dang ky khai sinh"
    assert fold("  hộ   kinh-doanh!! ") == "ho kinh doanh"


async def test_search_without_diacritics_finds_the_procedure(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/procedures", params={"q": "giay phep lai xe"})
    assert response.status_code == 200
    names = [item["name_vi"] for item in response.json()["items"]]
    assert names and all("lái xe" in name.lower() for name in names)
    page = await client.get("/thu-tuc", params={"q": "khai sinh"})
    assert "Thủ tục đăng ký khai sinh" in page.text


async def test_a_procedure_page_shows_what_to_bring(client: httpx.AsyncClient) -> None:
    code = demo().procedures[0].code
    api = (await client.get(f"/api/procedures/{code}")).json()
    page = await client.get(f"/p/{code}")
    assert page.status_code == 200
    assert api["name_vi"] in page.text
    # Carried out by every commune: the page lists where one may file it.
    places = (await client.get(f"/api/procedures/{code}/agencies")).json()
    assert [place["agency"]["code"] for place in places] != []
    assert sorted(place["agency"]["code"] for place in places) == api["agency_codes"]
    for place in places:
        assert f'href="/p/{code}?co-quan={place["agency"]["code"]}#noi-nop"' in page.text
        assert place["agency"]["name_vi"] in page.text
    for component in api["components"]:
        assert component["name_vi"].replace("'", "&#39;").replace('"', "&#34;") in page.text


async def test_an_unknown_code_is_a_helpful_404(client: httpx.AsyncClient) -> None:
    page = await client.get("/p/9.999999")
    assert page.status_code == 404
    assert 'action="/thu-tuc"' in page.text, "the 404 page offers the search"
    api = await client.get("/api/procedures/9.999999")
    assert api.status_code == 404
    error = api.json()["error"]
    assert error["code"] == "not_found" and error["field"] == "code"
    assert "9.999999" in error["message_vi"]


async def test_odd_query_strings_are_bounded(client: httpx.AsyncClient) -> None:
    too_long = await client.get("/api/procedures", params={"q": "a" * 5000})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["field"] == "q"
    wrong_type = await client.get("/api/procedures", params={"page": "two"})
    assert wrong_type.status_code == 400
    assert wrong_type.json()["error"]["field"] == "page"
    symbols = await client.get("/api/procedures", params={"q": "%_'\";--"})
    assert symbols.status_code == 200


async def test_the_dashboard_reads_agencies_and_online_levels(database: Database) -> None:
    from backend.catalogue import service

    catalogue = demo()
    assert await service.agency_codes() == sorted(a.code for a in catalogue.agencies)
    by_level = await service.procedures_by_level()
    assert sum(by_level.values()) == len(catalogue.procedures)
    assert set(by_level) <= {"full", "partial", "info"}
    one = catalogue.procedures[0]
    agency = one.agencies[0]
    at_agency = await service.procedures_by_level(agency)
    assert at_agency[one.online_level] >= 1
    carried = sum(agency in p.agencies for p in catalogue.procedures)
    assert 1 < sum(at_agency.values()) == carried < len(catalogue.procedures)
    department = await service.procedures_by_level("000.00.16.H56")
    assert sum(department.values()) == 3
    assert await service.procedures_by_level("000.99.99.H00") == {}
    codes = await service.procedure_codes_by_level()
    assert one.code in codes[one.online_level]
    assert {level: len(of) for level, of in codes.items()} == by_level
