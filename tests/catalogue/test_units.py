"""The province's administrative units as data (``motcua units-import``, and the
"units" of a catalogue file), and the agencies carrying out each procedure in a
catalogue file: all of a file or nothing, each bad row named; an agency's own note on a
procedure survives a re-import of the catalogue.

A database of this module's own: these tests change the catalogue."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.catalogue import service, tokens, transfer
from backend.catalogue.schemas import DemoCatalogue
from backend.catalogue.tables import Agency, Procedure, Provision, Unit
from backend.db import Database
from backend.settings import Settings
from tests.catalogue.test_transfer import MOTCUA, _as, dump
from tests.conftest import PUBLIC_URL, make_settings
from tests.support.asgi import client_for
from tests.support.databases import POSTGRES_URL

BIRTH = "1.001193"
NGA_AN = "000.03.40.H56"  # Ủy ban nhân dân xã Nga An
HAC_THANH = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành
NGA_AN_POLICE = "000.16.40.H56"
DEPARTMENT = "000.00.12.H56"  # Sở Tư pháp
UNIT_HEADER = "code,name_vi,name_en,kind,parent_code,unconfirmed\n"


@pytest.fixture(scope="module")
async def own(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Litestar, Path, Settings]]:
    data_dir = tmp_path_factory.mktemp("units")
    settings = await make_settings(data_dir, "units")
    database = Database(settings)
    await database.open()
    await database.migrate()
    await service.seed_demo()
    yield create_app(settings), data_dir, settings
    await database.close()


@pytest.fixture
async def client(own: tuple[Litestar, Path, Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(own[0], PUBLIC_URL) as client:
        yield client


def demo() -> DemoCatalogue:
    return msgspec.json.decode(service.DEMO_CATALOGUE.read_bytes(), type=DemoCatalogue)


async def units() -> list[dict[str, Any]]:
    return list(await Unit.select(*Unit.all_columns(exclude=[Unit.id])).order_by(Unit.code))


async def names() -> dict[str, str]:
    return {unit.code: unit.name_vi for unit in await service.list_units()}


def rejected(caught: pytest.ExceptionInfo[transfer.ImportRejected]) -> set[tuple[int, str | None]]:
    return {(error.row, error.field) for error in caught.value.errors}


# ---- importing the units ------------------------------------------------------------------


async def test_units_import_from_csv_and_json_and_replace_names(own: object) -> None:
    assert (await names())["14824"] == "Xã Nga An"
    data = (
        UNIT_HEADER + "38,Tỉnh Thanh Hóa,Thanh Hoa Province,province,,\n"
        "14824,Xã Nga An (tên mới),Nga An Commune (new name),commune,38,\n"
        "14836,Xã Thử Nghiệm,Test Commune,commune,38,x\n"
    ).encode()
    result = await transfer.import_units(data, "csv")
    assert (result.units_added, result.units_updated) == (1, 2)
    assert (result.procedures_added, result.agencies_added) == (0, 0)
    found = {unit.code: unit for unit in await service.list_units()}
    assert found["14824"].name_vi == "Xã Nga An (tên mới)"
    assert found["14824"].name_en == "Nga An Commune (new name)"
    assert found["14836"].unconfirmed and found["14836"].parent_code == "38"
    assert (await service.list_units())[0].kind == "province", "the province comes first"
    # The chooser finds the commune by its new name.
    places = service.matching(await service.places_for(BIRTH), "ten moi")
    assert [place.agency.code for place in places] == [NGA_AN]

    back = json.dumps(
        {
            "units": [
                {
                    "code": "14824",
                    "name_vi": "Xã Nga An",
                    "name_en": "Nga An Commune",
                    "kind": "commune",
                    "parent_code": "38",
                    "unconfirmed": True,
                }
            ]
        }
    ).encode()
    result = await transfer.import_units(back, "json")
    assert (result.units_added, result.units_updated) == (0, 1)
    assert (await names())["14824"] == "Xã Nga An"
    assert (await service.find_unit("14824")).unconfirmed  # type: ignore[union-attr]


async def test_every_bad_unit_row_is_named_and_nothing_is_written(own: object) -> None:
    before = await units()
    data = (
        (
            UNIT_HEADER + "14839,Xã Tốt,Good Commune,commune,38,\n"  # line 2: good
            "1234,Xã Sai Mã,Bad Code,commune,38,\n"  # 3: four digits
            "1483A,Xã Chữ,Letter,commune,38,\n"  # 4: a letter
            "14839,Xã Lặp,Duplicate,commune,38,\n"  # 5: the code of line 2
            "14842,Xã Mồ Côi,Orphan,commune,99,\n"  # 6: no such parent
            "14845,Xã Không Cha,No Parent,ward,,\n"  # 7: no parent at all
            "14848,Xã Con,Child of a commune,commune,14824,\n"  # 8: a commune's child
            "40,Tỉnh Lạ,Odd Province,province,38,\n"  # 9: a province with a parent
            "14851,,No Vietnamese name,commune,38,\n"  # 10: no name
            "14854,Xã Không Tên Anh,   ,commune,38,\n"  # 11: no English name
            "14857,Huyện Cũ,Old District,district,38,\n"  # 12: no such kind any more
        ).encode()
    )
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_units(data, "csv")
    assert rejected(caught) == {
        (3, "code"),
        (4, "code"),
        (5, "code"),
        (6, "parent_code"),
        (7, "parent_code"),
        (8, "parent_code"),
        (9, "parent_code"),
        (10, "name_vi"),
        (11, "name_en"),
        (12, "kind"),
    }
    assert all(error.section == "units" for error in caught.value.errors)
    assert all(e.message("vi") and e.message("en") for e in caught.value.errors)
    by_row = {error.row: error for error in caught.value.errors}
    assert by_row[3].message("en") == "The administrative unit code “1234” must have 2 or 5 digits."
    assert by_row[5].message("vi") == "Mã đơn vị 14839 bị lặp."
    assert by_row[6].message("en") == "A commune or ward must belong to a province on the list."
    assert by_row[9].message("vi") == "Tỉnh không thuộc đơn vị nào khác."
    assert await units() == before, "not even the good row was written"

    # The same rules in JSON, rows counted from 1, named as paths into the file.
    bad_json = {
        "units": [
            {"code": "14860", "name_vi": "Xã A", "name_en": "A", "kind": "commune"},
            {
                "code": "14863",
                "name_vi": "Xã B",
                "name_en": "",
                "kind": "ward",
                "parent_code": "38",
            },
            {
                "code": "38",
                "name_vi": "Tỉnh",
                "name_en": "P",
                "kind": "province",
                "parent_code": "1",
            },
        ]
    }
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_units(json.dumps(bad_json).encode(), "json")
    assert [p.field for p in caught.value.problems] == [
        "units[2].name_en",
        "units[1].parent_code",
        "units[3].parent_code",
    ]
    assert await units() == before


@pytest.mark.parametrize(
    ("data", "fmt", "field"),
    [
        (b"code,name_vi,name_en\n14866,x,y\n", "csv", "kind"),
        (b"\xff\xfe bad", "csv", None),
        (b"{not json", "json", None),
        (b'{"units": {"code": "38"}}', "json", None),
        (b'{"units": [{"code": 38}]}', "json", "code"),
    ],
)
async def test_malformed_unit_files_are_refused(
    own: object, data: bytes, fmt: str, field: str | None
) -> None:
    before = await units()
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_units(data, fmt)  # type: ignore[arg-type]
    assert caught.value.errors[0].field == field
    assert await units() == before


async def test_an_agency_must_serve_a_known_unit(own: object) -> None:
    before = await dump()
    agency = {
        "code": "000.17.40.H56",
        "name_vi": "Ủy ban nhân dân xã Ở Đâu",
        "name_en": "Nowhere Commune People's Committee",
        "level": "commune",
        "unit_code": "99999",
    }
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_catalogue(json.dumps({"agencies": [agency]}).encode(), "json")
    [problem] = caught.value.problems
    assert problem.field == "agencies[1].unit_code"
    assert problem.message.render("en") == "There is no administrative unit with code 99999."
    assert await dump() == before
    # A commune's agency serving the province, or a department serving a commune: refused.
    department = {**agency, "code": "000.00.99.H56", "level": "province", "unit_code": "14824"}
    wrong = {"agencies": [{**agency, "unit_code": "38"}, department]}
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_catalogue(json.dumps(wrong).encode(), "json")
    assert [p.field for p in caught.value.problems] == [
        "agencies[1].unit_code",
        "agencies[2].unit_code",
    ]
    assert await dump() == before
    # With its unit in the same file, it is welcome.
    unit = {
        "code": "14869",
        "name_vi": "Xã Ở Đâu",
        "name_en": "O Dau Commune",
        "kind": "commune",
        "parent_code": "38",
    }
    result = await transfer.import_catalogue(
        json.dumps({"units": [unit], "agencies": [{**agency, "unit_code": "14869"}]}).encode(),
        "json",
    )
    assert (result.units_added, result.agencies_added) == (1, 1)
    assert (await service.get_agency("000.17.40.H56")).unit_code == "14869"
    await Agency.delete().where(Agency.code == "000.17.40.H56")
    await Unit.delete().where(Unit.code == "14869")


async def test_the_units_import_command(
    own: tuple[Litestar, Path, Settings], tmp_path: Path
) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_") and k != "DATABASE_URL"
    }
    env.update(
        MOTCUA_DATA_DIR=str(own[1]), MOTCUA_LOG_LEVEL="WARNING", MOTCUA_PUBLIC_URL=PUBLIC_URL
    )
    if POSTGRES_URL:
        env["DATABASE_URL"] = str(own[2].database_url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MOTCUA, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    good = tmp_path / "units.csv"
    good.write_text(
        UNIT_HEADER + "38,Tỉnh Thanh Hóa,Thanh Hoa Province,province,,\n"
        "14872,Xã Dòng Lệnh,Command Line Commune,commune,38,x\n",
        encoding="utf-8",
    )
    done = run("units-import", str(good))
    assert done.returncode == 0, done.stderr
    assert "imported 1 new and 1 updated unit(s)" in done.stdout
    assert (await names())["14872"] == "Xã Dòng Lệnh"

    bad = tmp_path / "units.json"
    bad.write_text(
        json.dumps(
            {
                "units": [
                    {"code": "14875", "name_vi": "Xã", "name_en": "C", "kind": "commune"},
                    {
                        "code": "123",
                        "name_vi": "Xã",
                        "name_en": "C",
                        "kind": "commune",
                        "parent_code": "38",
                    },
                ]
            }
        )
    )
    refused = run("units-import", str(bad))
    assert refused.returncode == 1 and refused.stdout == ""
    assert "nothing was imported" in refused.stderr
    assert "units row 1 parent_code: A commune or ward must belong to a province" in refused.stderr
    assert "units row 2 code: The administrative unit code “123”" in refused.stderr
    assert await service.find_unit("14875") is None

    missing = run("units-import", str(tmp_path / "none.csv"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    await Unit.delete().where(Unit.code == "14872")


# ---- the agencies of each procedure in a catalogue file -------------------------------------


def agencies_by_procedure(catalogue: DemoCatalogue) -> dict[str, list[str]]:
    return {item.code: sorted(item.agencies) for item in catalogue.procedures}


async def test_a_round_trip_keeps_each_procedures_agencies(own: object) -> None:
    expected = agencies_by_procedure(demo())
    exported = await transfer.export_catalogue()
    assert agencies_by_procedure(exported) == expected
    json_file, csv_file = transfer.to_json(exported), transfer.to_csv(exported)
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(csv_file.decode("utf-8-sig")))}
    assert json.loads(rows["2.000488"]["agencies"]) == ["000.00.16.H56"]
    assert json.loads(rows["2.000815"]["anywhere"]) is True
    for data, fmt in ((json_file, "json"), (csv_file, "csv")):
        await transfer.import_catalogue(data, fmt)  # type: ignore[arg-type]
        again = await transfer.export_catalogue()
        assert agencies_by_procedure(again) == expected, fmt
        assert {p.code: p.anywhere for p in again.procedures} == {
            p.code: p.anywhere for p in exported.procedures
        }
    procedure = await service.get_procedure(BIRTH)
    assert procedure.agency_codes == expected[BIRTH] and len(procedure.agency_codes) == 13


async def _note(code: str, agency: str) -> list[dict[str, Any]]:
    return list(
        await Provision.select(Provision.note_vi, Provision.note_en).where(
            Provision.procedure.code == code, Provision.agency.code == agency
        )
    )


async def test_a_reimport_keeps_the_notes_of_agencies_still_listed(
    own: tuple[Litestar, Path, Settings], client: httpx.AsyncClient
) -> None:
    settings = own[2]
    birth = await Procedure.select(Procedure.id).where(Procedure.code == BIRTH).first()
    assert birth is not None
    for agency, note in ((NGA_AN, "Nộp tại tầng 1, phòng Tư pháp"), (HAC_THANH, "Quầy 1")):
        ids = await Agency.select(Agency.id).where(Agency.code == agency).first()
        assert ids is not None
        await Provision.update({Provision.note_vi: note, Provision.note_en: f"EN {note}"}).where(
            (Provision.procedure == birth["id"]) & (Provision.agency == ids["id"])
        )
    # Searches made before the change: their cached results must not outlive it.
    assert BIRTH in {i.code for i in (await service.list_procedures(agency=HAC_THANH)).items}
    before = await service.list_procedures(q="khai sinh", agency=HAC_THANH)
    assert BIRTH in {i.code for i in before.items}

    original = await transfer.export_catalogue()
    item = next(p for p in original.procedures if p.code == BIRTH)
    fewer = msgspec.structs.replace(item, agencies=[a for a in item.agencies if a != HAC_THANH])
    result = await transfer.import_catalogue(
        json.dumps({"procedures": [msgspec.to_builtins(fewer)]}).encode(), "json"
    )
    assert result.procedures_updated == 1

    assert await _note(BIRTH, NGA_AN) == [
        {"note_vi": "Nộp tại tầng 1, phòng Tư pháp", "note_en": "EN Nộp tại tầng 1, phòng Tư pháp"}
    ]
    assert await _note(BIRTH, HAC_THANH) == [], "the ward no longer carries it out"
    assert HAC_THANH not in (await service.get_procedure(BIRTH)).agency_codes
    assert not await service.carries_out(HAC_THANH, BIRTH)
    # What a person sees: the note at Nga An; the ward refused; the ward's searches,
    # and its counter's link, without the procedure.
    nga_an = await client.get(f"/p/{BIRTH}", params={"co-quan": NGA_AN})
    assert "Lưu ý của cơ quan" in nga_an.text and "Nộp tại tầng 1, phòng Tư pháp" in nga_an.text
    english = await client.get(
        f"/p/{BIRTH}", params={"co-quan": NGA_AN}, headers={"Cookie": "lang=en"}
    )
    assert "Note from the agency" in english.text and "EN Nộp tại tầng 1" in english.text
    ward = await client.get(f"/p/{BIRTH}", params={"co-quan": HAC_THANH})
    assert "Cơ quan này không thực hiện thủ tục 1.001193." in ward.text
    assert BIRTH not in {i.code for i in (await service.list_procedures(agency=HAC_THANH)).items}
    after = await service.list_procedures(q="khai sinh", agency=HAC_THANH)
    assert BIRTH not in {i.code for i in after.items}
    token = tokens.sign_counter(settings.secret_key, settings.counter_key_version, HAC_THANH, 1)
    counter = await client.get(f"/c/{token}")
    assert f'href="/p/{BIRTH}"' in counter.text
    assert f'href="/p/{BIRTH}?co-quan={HAC_THANH}"' not in counter.text

    # Listed again: the ward carries it out again, with no note; Nga An keeps its own.
    await transfer.import_catalogue(transfer.to_json(original), "json")
    assert await _note(BIRTH, HAC_THANH) == [{"note_vi": "", "note_en": ""}]
    assert (await _note(BIRTH, NGA_AN))[0]["note_vi"] == "Nộp tại tầng 1, phòng Tư pháp"
    assert agencies_by_procedure(await transfer.export_catalogue()) == agencies_by_procedure(demo())


def _procedure(code: str, **changes: object) -> dict[str, object]:
    base = msgspec.to_builtins(
        next(p for p in demo().procedures if p.code == BIRTH)  # commune level, 13 agencies
    )
    return {**base, "code": code, "name_vi": f"Thủ tục thử {code}", **changes}


async def test_bad_agencies_of_a_procedure_are_named_with_their_entry(
    own: tuple[Litestar, Path, Settings], client: httpx.AsyncClient
) -> None:
    before = await dump()
    bad = {
        "procedures": [
            _procedure("9.700001", agencies=["000.99.99.H00", NGA_AN]),
            _procedure("9.700002", agencies=[NGA_AN, HAC_THANH, NGA_AN]),
            _procedure("9.700003", agencies=[NGA_AN, DEPARTMENT]),
            _procedure("9.700004", agencies=[]),
            _procedure("9.700005", level="province", agencies=[DEPARTMENT, NGA_AN_POLICE]),
            _procedure("9.700006", agencies=[NGA_AN]),
        ]
    }
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_catalogue(json.dumps(bad).encode(), "json")
    problems = {p.field: p.message.render("en") for p in caught.value.problems}
    assert problems == {
        "procedures[1].agencies[0]": "No agency has the code 000.99.99.H00.",
        "procedures[2].agencies[2]": f"Agency {NGA_AN} is repeated.",
        "procedures[3].agencies[1]": (f"Agency {DEPARTMENT} is not at the procedure's level."),
        "procedures[4].agencies": "Name at least one agency that carries it out.",
        "procedures[5].agencies[1]": (f"Agency {NGA_AN_POLICE} is not at the procedure's level."),
    }
    assert all(p.message.render("vi") != p.message.render("en") for p in caught.value.problems)
    assert await dump() == before, "not even the good procedure was written"

    # The administrators' API says the same, as problem+json naming each entry.
    await _as(client, own, "staff", "catalogue")  # type: ignore[arg-type]
    response = await client.post("/api/admin/catalogue/import", content=json.dumps(bad).encode())
    assert response.status_code == 422
    named = [param["name"] for param in response.json()["invalid_params"]]
    assert named == list(problems)
    # A CSV whose agencies cell is not a list is refused, naming the cell.
    header = ",".join(transfer.CSV_COLUMNS)
    row = {column: "" for column in transfer.CSV_COLUMNS}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=transfer.CSV_COLUMNS)
    writer.writeheader()
    writer.writerow({**row, "code": "9.700007", "agencies": NGA_AN})
    assert out.getvalue().startswith(header)
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_catalogue(out.getvalue().encode(), "csv")
    assert ("procedures", 2, "agencies") in {
        (e.section, e.row, e.field) for e in caught.value.errors
    }
    assert await dump() == before
