"""Import and export of the catalogue (service, CLI and the administrators' API): all
of a file or nothing, each bad row named; only administrators reach the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.tables import Account
from backend.app import create_app
from backend.catalogue import service, transfer
from backend.catalogue.schemas import DemoProcedure
from backend.catalogue.tables import (
    Agency,
    Counter,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    Provision,
    Unit,
)
from backend.db import Database
from tests.accounts.helpers import scan
from tests.conftest import PUBLIC_URL, make_settings
from tests.support.asgi import client_for

MOTCUA = str(Path(sys.executable).with_name("motcua"))


@pytest.fixture(scope="module")
async def own(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Litestar, Path]]:
    """A database of this module's own: these tests change the catalogue."""
    data_dir = tmp_path_factory.mktemp("transfer")
    settings = await make_settings(data_dir, "transfer")
    database = Database(settings)
    await database.open()
    await database.migrate()
    await service.seed_demo()
    app = create_app(settings)
    yield app, data_dir
    await database.close()


@pytest.fixture
async def client(own: tuple[Litestar, Path]) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(own[0], PUBLIC_URL) as client:
        yield client


async def dump() -> list[object]:
    return [
        await Agency.select().order_by(Agency.code),
        await Procedure.select(*Procedure.all_columns(exclude=[Procedure.updated_at])).order_by(
            Procedure.code
        ),
        await ProcedureComponent.select().order_by(ProcedureComponent.id),
        await ProcedureFee.select().order_by(ProcedureFee.id),
        await Counter.select().order_by(Counter.id),
        await Provision.select().order_by(Provision.id),
        await Unit.select().order_by(Unit.code),
    ]


async def test_json_and_csv_round_trip(own: object) -> None:
    first = await transfer.export_catalogue()
    assert len(first.procedures) == 30 and len(first.agencies) == 22 and len(first.counters) == 6
    assert len(first.units) == 14
    by_code = {item.code: item for item in first.procedures}
    assert len(by_code["1.001193"].agencies) == 13 and by_code["2.000815"].anywhere
    assert by_code["2.000488"].agencies == ["000.00.16.H56"]
    result = await transfer.import_catalogue(transfer.to_json(first), "json")
    assert (result.procedures_added, result.procedures_updated) == (0, 30)
    assert await transfer.export_catalogue() == first
    result = await transfer.import_catalogue(transfer.to_csv(first), "csv")
    assert (result.procedures_added, result.procedures_updated) == (0, 30)
    assert await transfer.export_catalogue() == first


def _procedure(code: str, **changes: object) -> dict[str, object]:
    base = msgspec.to_builtins(
        msgspec.json.decode(service.DEMO_CATALOGUE.read_bytes())["procedures"][0]
    )
    return {**base, "code": code, "name_vi": f"Thủ tục thử {code}", **changes}


async def test_a_file_with_bad_rows_changes_nothing_and_names_each_row(own: object) -> None:
    before = await dump()
    good_new = _procedure("9.100001")
    bad = {
        "procedures": [
            good_new,
            _procedure("not-a-code"),
            _procedure("9.100002", agencies=["000.01.40.H56", "000.99.99.H00"]),
            _procedure("9.100003", processing_days=-1),
            _procedure(
                "9.100004",
                fees=[
                    {
                        "kind": "phi",
                        "label_vi": "a",
                        "label_en": "a",
                        "amount": 10,
                        "online_amount": 20,
                    }
                ],
            ),
            _procedure("9.100005", components=[]),
            _procedure("9.100006", level="province"),
            _procedure("9.100007", name_en=""),
            {"code": "9.100008"},
            _procedure("9.100001"),
        ],
        "counters": [{"agency": "000.01.40.H56", "number": 0, "name_vi": "x", "name_en": "x"}],
    }
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_catalogue(json.dumps(bad).encode(), "json")
    named = {(e.section, e.row, e.field) for e in caught.value.errors}
    assert named == {
        ("procedures", 2, "code"),
        ("procedures", 3, "agencies"),
        ("procedures", 4, "processing_days"),
        ("procedures", 5, "fees"),
        ("procedures", 6, "components"),
        # A province-level procedure carried out by commune committees.
        ("procedures", 7, "agencies"),
        ("procedures", 8, "name_en"),
        ("procedures", 9, "name_vi"),
        ("procedures", 10, "code"),
        ("counters", 1, "number"),
    }
    assert all(e.message("vi") and e.message("en") for e in caught.value.errors)
    [unknown] = [e for e in caught.value.errors if e.row == 3]
    assert unknown.entry == 1 and "000.99.99.H00" in unknown.message("en")
    wrong_level = [e for e in caught.value.errors if e.row == 7]
    assert [e.entry for e in wrong_level] == list(range(13))
    assert await dump() == before, "nothing, not even the good row, was written"


@pytest.mark.parametrize(
    ("data", "fmt", "field"),
    [
        (b"{not json", "json", None),
        (b"[1, 2]", "json", None),
        (b'{"procedures": {"a": 1}}', "json", None),
        (b"\xff\xfe\x00bad", "csv", None),
        (b"name_vi,agencies\nx,y\n", "csv", "code"),
        # A file of the previous format (one "agency" a row) is refused, not misread.
        (b"code,name_vi,agency\n1.001193,a,000.01.40.H56\n", "csv", "agencies"),
        (
            b"code,name_vi,name_en,field_vi,field_en,agencies,level,online_level,processing_days,"
            b'components\n1.001193,a,b,c,d,"[""000.01.40.H56""]",commune,full,1,[not json\n',
            "csv",
            "components",
        ),
        (
            b"code,name_vi,name_en,field_vi,field_en,agencies,level,online_level,processing_days\n"
            b"1.001193,a,b,c,d,000.01.40.H56,commune,full,1\n",
            "csv",
            "agencies",
        ),
        (b"x" * (transfer.MAX_FILE_BYTES + 1), "json", None),
    ],
)
async def test_malformed_files_are_refused(
    own: object, data: bytes, fmt: str, field: str | None
) -> None:
    before = await dump()
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_catalogue(data, fmt)  # type: ignore[arg-type]
    assert caught.value.errors and caught.value.errors[0].field == field
    assert await dump() == before


async def test_csv_cells_that_look_like_formulas_are_guarded(own: object) -> None:
    item = _procedure("9.200001", name_vi='=HYPERLINK("http://x")', name_en="+1 test")
    await transfer.import_catalogue(json.dumps({"procedures": [item]}).encode(), "json")
    exported = transfer.to_csv(await transfer.export_catalogue())
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(exported.decode("utf-8-sig")))}
    assert rows["9.200001"]["name_vi"].startswith("'=")
    await transfer.import_catalogue(exported, "csv")
    procedure = await service.get_procedure("9.200001")
    assert procedure.name_vi == '=HYPERLINK("http://x")' and procedure.name_en == "+1 test"
    await transfer.delete_procedure("9.200001")


async def _session(runtime: AccountsRuntime, kind: str, role: str | None) -> str:
    rows = await Account.insert(
        Account(
            kind=kind,
            full_name=f"Thử {kind} {role}",
            user_handle=f"handle-{kind}-{role}-{dt.datetime.now().timestamp()}",
            role=role,
            agency_code="000.00.01.H56" if kind == "staff" else None,
            created_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Account.id)
    return await sessions.start(runtime, rows[0]["id"], "test")


async def _as(
    client: httpx.AsyncClient, own: tuple[Litestar, Path], kind: str, role: str | None
) -> None:
    runtime: AccountsRuntime = own[0].state["accounts"]
    client.cookies.set(runtime.cookie_name, await _session(runtime, kind, role))
    await client.get("/")  # the CSRF cookie
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]


async def test_only_administrators_reach_the_admin_api(
    client: httpx.AsyncClient, own: tuple[Litestar, Path]
) -> None:
    assert (await client.get("/api/admin/catalogue/export")).status_code == 401
    for kind, role in (
        ("citizen", None),
        ("staff", "reception"),
        ("staff", "leader"),
        ("staff", "admin"),  # an agency's administrator: never the province's catalogue
    ):
        await _as(client, own, kind, role)
        response = await client.get("/api/admin/catalogue/export")
        assert response.status_code == 403, (kind, role)
        put = await client.put(
            "/api/admin/catalogue/procedures/9.300001", json=_procedure("9.300001")
        )
        assert put.status_code == 403
    assert await service.procedure_exists("9.300001") is False


async def test_an_administrator_exports_imports_and_edits(
    client: httpx.AsyncClient, own: tuple[Litestar, Path]
) -> None:
    await _as(client, own, "staff", "catalogue")
    exported = await client.get("/api/admin/catalogue/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["cache-control"] == "no-store"
    imported = await client.post(
        "/api/admin/catalogue/import", params={"format": "csv"}, content=exported.content
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["procedures_added"] == 0

    bad = json.dumps({"procedures": [_procedure("9.300002"), _procedure("oops")]}).encode()
    rejected = await client.post("/api/admin/catalogue/import", content=bad)
    assert rejected.status_code == 422
    assert rejected.headers["content-type"].startswith("application/problem+json")
    rows = rejected.json()["error"]["rows"]
    assert [(r["row"], r["field"]) for r in rows] == [(2, "code")]
    assert rejected.json()["rows"] == rows
    assert rows[0]["message_en"] == "The procedure code “oops” is not of the form 1.001193."
    [param] = rejected.json()["invalid_params"]
    assert param["name"] == "procedures[2].code" and "oops" in param["reason_vi"]
    assert await service.procedure_exists("9.300002") is False

    new = _procedure("9.300003", name_vi="Cấp giấy chứng nhận nuôi ong mật thử nghiệm")
    created = await client.put("/api/admin/catalogue/procedures/9.300003", json=new)
    assert created.status_code == 201, created.text
    # Searchable at once: the index follows every write (triggers / expression indexes).
    found = await client.get("/api/procedures", params={"q": "nuoi ong mat"})
    assert [item["code"] for item in found.json()["items"]] == ["9.300003"]
    changed = await client.put(
        "/api/admin/catalogue/procedures/9.300003", json={**new, "processing_days": 9}
    )
    assert changed.status_code == 200 and changed.json()["processing_days"] == 9
    invalid = await client.put(
        "/api/admin/catalogue/procedures/9.300003", json={**new, "processing_days": 9999}
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["rows"][0]["field"] == "processing_days"
    mismatch = await client.put("/api/admin/catalogue/procedures/9.300004", json=new)
    assert mismatch.status_code == 422 and mismatch.json()["error"]["field"] == "code"
    removed = await client.delete("/api/admin/catalogue/procedures/9.300003")
    assert removed.status_code == 204
    assert (await client.get("/api/procedures/9.300003")).status_code == 404
    found = await client.get("/api/procedures", params={"q": "nuoi ong mat"})
    assert "9.300003" not in [item["code"] for item in found.json()["items"]]
    assert (await client.delete("/api/admin/catalogue/procedures/9.300003")).status_code == 404


async def test_the_cli(own: tuple[Litestar, Path], tmp_path: Path) -> None:
    import os

    from tests.support.databases import POSTGRES_URL

    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_") and k != "DATABASE_URL"
    }
    env.update(
        MOTCUA_DATA_DIR=str(own[1]), MOTCUA_LOG_LEVEL="WARNING", MOTCUA_PUBLIC_URL=PUBLIC_URL
    )
    if POSTGRES_URL:
        from urllib.parse import urlsplit, urlunsplit

        from tests.support.databases import POSTGRES_URL as base

        parts = urlsplit(base)
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"{parts.path}_transfer"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MOTCUA, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    out = tmp_path / "catalogue.csv"
    assert run("catalogue-export", "--format", "csv", "--out", str(out)).returncode == 0
    done = run("catalogue-import", str(out))
    assert done.returncode == 0, done.stderr
    assert "0 new and" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"procedures": [_procedure("x.1")]}))
    refused = run("catalogue-import", str(bad))
    assert refused.returncode == 1
    assert "procedures row 1 code" in refused.stderr

    posters = tmp_path / "posters"
    made = run("qr-posters", "--agency", "000.01.40.H56", "--out", str(posters))
    assert made.returncode == 0, made.stderr
    # A poster for each procedure the ward carries out, and one for each of its counters.
    catalogue = await transfer.export_catalogue()
    carried = [p.code for p in catalogue.procedures if "000.01.40.H56" in p.agencies]
    total = len(carried) + 2
    assert len(carried) == 20 and f"{total}/{total}" in made.stderr, "the progress bar ends"
    names = sorted(path.name for path in posters.iterdir())
    assert "quay-1.pdf" in names and "thu-tuc-1.001193.pdf" in names and "quay-2.svg" in names
    assert {f"thu-tuc-{code}.pdf" for code in carried} <= set(names)
    assert "thu-tuc-2.000488.pdf" not in names, "a department's procedure is not the ward's"
    # Hung at the ward, a poster's QR opens the procedure for filing there.
    svg = (posters / "thu-tuc-1.001193.svg").read_text()
    assert scan(svg) == [f"{PUBLIC_URL}/p/1.001193?co-quan=000.01.40.H56"]
    unknown = run("qr-posters", "--agency", "000.99.99.H00", "--out", str(tmp_path / "none"))
    assert unknown.returncode == 1 and "No agency" in unknown.stderr


async def test_fee_conditions_quantities_and_the_payment_stage_round_trip(own: object) -> None:
    exported = await transfer.export_catalogue()
    by_code = {item.code: item for item in exported.procedures}
    record = by_code["2.000488"]
    assert record.payment_stage == "result"
    assert [f.when and (f.when.field, f.when.equals) for f in record.fees] == [
        ("reduced", "khong"),
        ("reduced", "co"),
    ]
    assert by_code["2.000635"].fees[0].per_field == "copies"
    json_file = transfer.to_json(exported)
    assert b'"payment_stage": "result"' in json_file and b'"per_field": "copies"' in json_file
    csv_file = transfer.to_csv(exported)
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(csv_file.decode("utf-8-sig")))}
    assert rows["2.000488"]["payment_stage"] == "result"
    assert '"when":{"field":"reduced","equals":"co"}' in rows["2.000488"]["fees"]
    for data, fmt in ((json_file, "json"), (csv_file, "csv")):
        await transfer.import_catalogue(data, fmt)  # type: ignore[arg-type]
        assert await transfer.export_catalogue() == exported
    procedure = await service.get_procedure("2.000635")
    assert procedure.fees[0].per_field == "copies" and procedure.payment_stage == "reception"


async def test_files_from_before_fee_conditions_still_import(own: object) -> None:
    old_fee = {"kind": "phi", "label_vi": "Phí", "label_en": "Fee", "amount": 5000}
    item = _procedure("9.500001", fees=[old_fee])
    item.pop("payment_stage", None)
    await transfer.import_catalogue(json.dumps({"procedures": [item]}).encode(), "json")
    procedure = await service.get_procedure("9.500001")
    assert procedure.payment_stage == "reception"
    assert [(f.amount, f.when, f.per_field) for f in procedure.fees] == [(5000, None, None)]

    # A CSV written before the payment_stage column, and one with that cell left empty.
    old_columns = [c for c in transfer.CSV_COLUMNS if c != "payment_stage"]
    cells = {
        c: json.dumps(item.get(c, [])) if c in transfer.JSON_COLUMNS else str(item.get(c, ""))
        for c in old_columns
    }
    for header, code in ((old_columns, "9.500002"), (transfer.CSV_COLUMNS, "9.500003")):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerow({**cells, "code": code})
        await transfer.import_catalogue(out.getvalue().encode(), "csv")
        assert (await service.get_procedure(code)).payment_stage == "reception"
    for code in ("9.500001", "9.500002", "9.500003"):
        await transfer.delete_procedure(code)


async def test_a_bad_fee_condition_rejects_the_file(own: object) -> None:
    before = await dump()
    bad_fee = {
        "kind": "phi",
        "label_vi": "Phí",
        "label_en": "Fee",
        "amount": 5000,
        "when": {"field": "nobody", "equals": "x"},
    }
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.import_catalogue(
            json.dumps(
                {
                    "procedures": [
                        _procedure("9.500010", fees=[bad_fee]),
                        _procedure("9.500011", payment_stage="later"),
                    ]
                }
            ).encode(),
            "json",
        )
    assert {(e.row, e.field) for e in caught.value.errors} == {(1, "fees"), (2, "payment_stage")}
    [condition] = [e for e in caught.value.errors if e.field == "fees"]
    assert "“nobody”" in condition.message("vi") and "“nobody”" in condition.message("en")
    assert await dump() == before


async def test_one_procedure_is_refused_with_every_problem_at_once(own: object) -> None:
    """The rules of a procedure all speak in one refusal, each naming its field and, in
    the documents and fees, the entry (the administrators' form points at the input)."""
    item = msgspec.convert(
        _procedure(
            "9.600001",
            name_en="",
            processing_days=999,
            components=[
                {"name_vi": "Đơn", "name_en": "Form"},
                {"name_vi": "Ảnh", "name_en": "", "copies": -1},
            ],
            fees=[
                {"kind": "phi", "label_vi": "Phí", "label_en": "", "amount": 5000},
                {"kind": "le_phi", "label_vi": "a", "label_en": "a", "amount": -1},
            ],
        ),
        DemoProcedure,
    )
    found = await transfer.check_procedure(item)
    assert [(e.field, e.entry, e.part) for e in found] == [
        ("name_en", None, None),
        ("processing_days", None, None),
        ("components", 1, "name_en"),
        ("components", 1, "copies"),
        ("fees", 0, "label_en"),
        ("fees", 1, "amount"),
    ]
    with pytest.raises(transfer.ImportRejected) as caught:
        await transfer.save_procedure(item)
    assert [p.field for p in caught.value.problems] == [
        "procedures[1].name_en",
        "procedures[1].processing_days",
        "procedures[1].components[1].name_en",
        "procedures[1].components[1].copies",
        "procedures[1].fees[0].label_en",
        "procedures[1].fees[1].amount",
    ]
    assert caught.value.problems[4].message.render("en") == (
        "Each fee needs a Vietnamese and an English label."
    )
    assert not await service.procedure_exists("9.600001")


async def test_a_new_procedure_cannot_take_a_code_in_use(own: object) -> None:
    taken = msgspec.convert(_procedure("1.001193"), DemoProcedure)
    [error] = await transfer.check_procedure(taken, new=True)
    assert (error.field, error.message("en")) == (
        "code",
        "A procedure already has the code 1.001193; edit that one instead.",
    )
    before = await dump()
    with pytest.raises(transfer.ImportRejected):
        await transfer.save_procedure(taken, new=True)
    assert await dump() == before
    assert await transfer.check_procedure(taken) == [], "replacing it is allowed"
