"""The administrators' catalogue pages: a plain HTML form to create, edit and delete a
procedure with its documents and fees, import and export; nobody else reaches them,
and every form needs its CSRF token."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.tables import Account
from backend.app import create_app
from backend.catalogue import service, transfer
from backend.db import Database
from tests.conftest import PUBLIC_URL, make_settings
from tests.support.asgi import client_for

ADMIN = "/quan-tri/thu-tuc"
AGENCY = "000.00.01.H56"  # a provincial agency of the demo catalogue


@pytest.fixture(scope="module")
async def own(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Litestar]:
    """A database of this module's own: these tests change the catalogue."""
    settings = await make_settings(tmp_path_factory.mktemp("admin_pages"), "admin_pages")
    database = Database(settings)
    await database.open()
    await database.migrate()
    await service.seed_demo()
    yield create_app(settings)
    await database.close()


@pytest.fixture
async def client(own: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(own, PUBLIC_URL) as client:
        yield client


async def sign_in_as(client: httpx.AsyncClient, app: Litestar, kind: str, role: str | None) -> None:
    runtime: AccountsRuntime = app.state["accounts"]
    rows = await Account.insert(
        Account(
            kind=kind,
            full_name=f"Thử {kind} {role}",
            user_handle=f"admin-pages-{kind}-{role}-{dt.datetime.now().timestamp()}",
            role=role,
            agency_code=AGENCY if kind == "staff" else None,
            created_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Account.id)
    token = await sessions.start(runtime, rows[0]["id"], "test")
    client.cookies.set(runtime.cookie_name, token)


async def csrf(client: httpx.AsyncClient) -> str:
    await client.get("/dang-nhap")
    return client.cookies["csrftoken"]


def english(client: httpx.AsyncClient) -> None:
    client.cookies.set("lang", "en")


def form_fields(**changes: str) -> dict[str, str]:
    fields = {
        "code": "9.400001",
        "name_vi": "Cấp phép nuôi chim yến thử nghiệm",
        "name_en": "Licence to farm swiftlets (test)",
        "field_vi": "Nông nghiệp",
        "field_en": "Agriculture",
        "agencies": AGENCY,
        "level": "province",
        "online_level": "partial",
        "processing_days": "7",
        "purpose_vi": "Thử",
        "purpose_en": "Test",
        "steps_vi": "Nộp hồ sơ\nNhận kết quả",
        "steps_en": "Submit\nCollect",
        "result_vi": "Giấy phép",
        "result_en": "Licence",
        "legal_basis": "Luật Chăn nuôi 2018",
        "unconfirmed": "",
        "source": "https://dichvucong.gov.vn",
        "components-0-name_vi": "Đơn đề nghị",
        "components-0-name_en": "Application form",
        "components-0-originals": "1",
        "components-0-copies": "0",
        "components-0-required": "on",
        "components-0-template": "Mẫu 01",
        "components-1-name_vi": "Sơ đồ nhà nuôi",
        "components-1-name_en": "Plan of the building",
        "components-1-originals": "0",
        "components-1-copies": "2",
        "components-1-uploadable": "on",
        "components-2-name_vi": "",
        "components-2-name_en": "",
        "components-2-originals": "1",
        "components-2-copies": "0",
        "fees-0-kind": "le_phi",
        "fees-0-label_vi": "Lệ phí cấp phép",
        "fees-0-label_en": "Licence charge",
        "fees-0-amount": "150000",
        "fees-0-online_amount": "75000",
        "fees-1-kind": "le_phi",
        "fees-1-label_vi": "",
        "fees-1-label_en": "",
        "fees-1-amount": "",
        "fees-1-online_amount": "",
    }
    return {**fields, **changes}


async def post_form(client: httpx.AsyncClient, url: str, fields: dict[str, Any]) -> httpx.Response:
    return await client.post(url, data={**fields, "_csrf_token": await csrf(client)})


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_an_administrator_creates_edits_and_deletes_a_procedure(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    account = await client.get("/tai-khoan/thiet-bi")
    assert f'href="{ADMIN}"' in account.text
    listing = await client.get(ADMIN)
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    assert "Thêm thủ tục" in listing.text and 'name="_csrf_token"' in listing.text
    new = await client.get(f"{ADMIN}/moi")
    assert new.status_code == 200 and 'name="_csrf_token"' in new.text
    assert 'name="components-1-name_vi"' in new.text  # empty rows to fill, no script needed

    created = await post_form(client, f"{ADMIN}/moi", form_fields())
    assert created.status_code == 303, created.text
    assert created.headers["location"] == f"{ADMIN}/9.400001?xong=luu"
    procedure = await service.get_procedure("9.400001")
    assert [c.name_en for c in procedure.components] == ["Application form", "Plan of the building"]
    assert [(c.required, c.uploadable, c.template) for c in procedure.components] == [
        (True, False, "Mẫu 01"),
        (False, True, None),
    ]
    assert [(f.amount, f.online_amount) for f in procedure.fees] == [(150000, 75000)]
    assert procedure.steps_vi == ["Nộp hồ sơ", "Nhận kết quả"]
    public = await client.get("/p/9.400001")
    assert public.status_code == 200 and "Sơ đồ nhà nuôi" in text_of(public)
    found = await client.get("/api/procedures", params={"q": "nuoi chim yen"})
    assert [item["code"] for item in found.json()["items"]] == ["9.400001"]
    listed = await client.get(ADMIN, params={"q": "chim yến"})
    assert f'href="{ADMIN}/9.400001"' in listed.text

    edit = await client.get(f"{ADMIN}/9.400001", params={"xong": "luu"})
    assert "Đã lưu thủ tục." in edit.text
    assert 'value="Plan of the building"' in edit.text
    again = await post_form(client, f"{ADMIN}/9.400001", form_fields(processing_days="12"))
    assert again.status_code == 303
    assert (await service.get_procedure("9.400001")).processing_days == 12
    duplicate = await post_form(client, f"{ADMIN}/moi", form_fields())
    assert duplicate.status_code == 422 and 'href="#code"' in duplicate.text
    assert "Mã thủ tục: Đã có thủ tục mang mã 9.400001; hãy sửa thủ tục đó." in text_of(duplicate)

    added_row = await post_form(
        client, f"{ADMIN}/9.400001", {**form_fields(), "action": "add-component"}
    )
    assert added_row.status_code == 200 and 'name="components-3-name_vi"' in added_row.text
    assert 'name="components-4-name_vi"' not in added_row.text  # 3 rows sent, one more
    assert 'value="Sơ đồ nhà nuôi"' in text_of(added_row)
    assert (await service.get_procedure("9.400001")).processing_days == 12  # nothing saved

    confirm = await client.get(f"{ADMIN}/9.400001/xoa")
    assert confirm.status_code == 200 and 'action="/quan-tri/thu-tuc/9.400001/xoa"' in confirm.text
    assert await service.procedure_exists("9.400001")  # a GET deletes nothing
    deleted = await post_form(client, f"{ADMIN}/9.400001/xoa", {})
    assert deleted.status_code == 303
    assert not await service.procedure_exists("9.400001")
    assert "Đã xóa thủ tục 9.400001." in (await client.get(deleted.headers["location"])).text
    assert (await client.get("/p/9.400001")).status_code == 404


async def test_a_validation_error_keeps_the_input_and_names_the_field(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    fields = form_fields(
        code="9.400002",
        name_en="",
        processing_days="bảy",
        **{"components-1-copies": "-1", "components-0-originals": "²", "fees-0-label_en": ""},
    )
    response = await post_form(client, f"{ADMIN}/moi", fields)
    assert response.status_code == 422
    page = text_of(response)
    assert 'role="alert"' in page
    assert 'href="#processing_days"' in page and 'href="#components-1-copies"' in page
    assert 'href="#fees-0-label_en"' in page and 'href="#components-0-originals"' in page
    assert "Thời hạn (ngày làm việc): phải là một số nguyên không âm." in page
    assert "Thành phần hồ sơ 2 – Số bản sao: phải là một số nguyên không âm." in page
    assert 'value="bảy"' in page and 'value="Sơ đồ nhà nuôi"' in page  # the input is kept
    assert 'aria-describedby="processing_days-error"' in page
    # The service's rules speak at the same time, naming the field.
    assert 'href="#name_en"' in page
    assert "Tên thủ tục (tiếng Anh): Trường “name_en” không được để trống." in page
    # One summary, in the order of the page, whoever found the problem.
    links = ["name_en", "processing_days", "components-0-originals", "components-1-copies"]
    positions = [page.index(f'href="#{target}"') for target in [*links, "fees-0-label_en"]]
    assert positions == sorted(positions)
    assert not await service.procedure_exists("9.400002")

    english(client)
    fixed = await post_form(client, f"{ADMIN}/moi", {**form_fields(code="9.400002", name_en="")})
    assert fixed.status_code == 422
    page = text_of(fixed)
    assert 'href="#name_en"' in page
    assert "Name (English): The field “name_en” must not be empty." in page
    assert 'value="Cấp phép nuôi chim yến thử nghiệm"' in page
    assert not await service.procedure_exists("9.400002")
    client.cookies.delete("lang")


def _csv(*rows: dict[str, str]) -> bytes:
    lines = [",".join(transfer.CSV_COLUMNS)]
    for row in rows:
        lines.append(",".join(_cell(row.get(column, "")) for column in transfer.CSV_COLUMNS))
    return ("\r\n".join(lines) + "\r\n").encode()


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _row(code: str, **changes: str) -> dict[str, str]:
    return {
        "code": code,
        "name_vi": f"Thủ tục nhập thử {code}",
        "name_en": f"Imported test {code}",
        "field_vi": "Thử",
        "field_en": "Test",
        "agencies": f'["{AGENCY}"]',
        "level": "province",
        "online_level": "info",
        "processing_days": "3",
        "components": '[{"name_vi": "Đơn", "name_en": "Form"}]',
        **changes,
    }


async def test_import_is_all_or_nothing_and_export_downloads(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    bad = _csv(_row("9.400010"), _row("9.400011", processing_days="999"), _row("9.400012"))
    rejected = await client.post(
        f"{ADMIN}/nhap",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("catalogue.json", bad, "application/json")},  # the name is not believed
    )
    assert rejected.status_code == 422
    page = text_of(rejected)
    assert 'role="alert"' in page and "chưa có gì được nhập" in page
    assert re.search(r"<td>3</td><td>procedures</td><td>processing_days</td>", page)
    assert "Thời hạn phải từ 0 đến 365 ngày làm việc." in page
    assert not await service.procedure_exists("9.400010")

    english(client)
    rejected = await client.post(
        f"{ADMIN}/nhap",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("x.csv", bad, "text/csv")},
    )
    assert "The processing time must be 0 to 365 working days." in text_of(rejected)
    client.cookies.delete("lang")

    good = _csv(_row("9.400010"), _row("9.400011"))
    imported = await client.post(
        f"{ADMIN}/nhap",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("upload.bin", good, "application/octet-stream")},
    )
    assert imported.status_code == 200
    assert "Đã nhập xong: thêm 2 thủ tục, thay 0 thủ tục." in text_of(imported)
    assert await service.procedure_exists("9.400011")

    nothing = await client.post(
        f"{ADMIN}/nhap",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("empty.csv", b"", "text/csv")},
    )
    assert nothing.status_code == 422 and 'href="#file"' in nothing.text
    too_big = await client.post(
        f"{ADMIN}/nhap",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("big.csv", b"x" * (1024 * 1024 + 1), "text/csv")},
    )
    assert too_big.status_code == 413 and "quá lớn" in too_big.text
    assert "Tối đa 1024 KB" in text_of(await client.get(ADMIN))

    listing = await client.get(ADMIN)
    for fmt, media_type in (("json", "application/json"), ("csv", "text/csv")):
        assert f"/api/admin/catalogue/export?format={fmt}" in listing.text
        exported = await client.get("/api/admin/catalogue/export", params={"format": fmt})
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith(media_type)
        assert exported.headers["content-disposition"].startswith("attachment")
        assert b"9.400011" in exported.content
    exported = await client.get("/api/admin/catalogue/export", params={"format": "json"})
    again = await client.post(
        f"{ADMIN}/nhap",
        data={"_csrf_token": await csrf(client)},
        files={"file": ("catalogue.csv", exported.content, "text/csv")},
    )
    assert "thay 32 thủ tục" in text_of(again)  # the JSON export, read as JSON
    for code in ("9.400010", "9.400011"):
        await transfer.delete_procedure(code)


GETS = [ADMIN, f"{ADMIN}/moi", f"{ADMIN}/1.001193", f"{ADMIN}/1.001193/xoa"]
POSTS = [f"{ADMIN}/moi", f"{ADMIN}/1.001193", f"{ADMIN}/1.001193/xoa", f"{ADMIN}/nhap"]


async def test_nobody_but_an_administrator_reaches_the_pages(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    code = (await service.list_procedures()).items[0].code
    gets = [url.replace("1.001193", code) for url in GETS]
    posts = [url.replace("1.001193", code) for url in POSTS]
    for url in gets:
        response = await client.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/dang-nhap?next=")
    token = await csrf(client)
    for url in posts:
        response = await client.post(url, data={**form_fields(code=code), "_csrf_token": token})
        assert response.status_code == 303 and "/dang-nhap" in response.headers["location"]
    for kind, role in (
        ("citizen", None),
        ("staff", "reception"),
        ("staff", "leader"),
        ("staff", "admin"),  # an agency's administrator: never the procedures
    ):
        await sign_in_as(client, own, kind, role)
        account = await client.get("/tai-khoan/thiet-bi")
        assert account.status_code == 200 and f'href="{ADMIN}"' not in account.text
        for url in gets:
            assert (await client.get(url)).status_code == 403, (kind, role, url)
        token = await csrf(client)
        for url in posts:
            response = await client.post(url, data={**form_fields(code=code), "_csrf_token": token})
            assert response.status_code == 403, (kind, role, url)
    assert await service.procedure_exists(code)
    assert not await service.procedure_exists("9.400001")


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    await csrf(client)
    code = (await service.list_procedures()).items[0].code
    for url, fields in (
        (f"{ADMIN}/moi", form_fields(code="9.400020")),
        (f"{ADMIN}/{code}/xoa", {}),
        (f"{ADMIN}/{code}", form_fields(code=code, processing_days="1")),
    ):
        assert (await client.post(url, data=fields)).status_code == 403, url
        forged = await client.post(url, data={**fields, "_csrf_token": "forged"})
        assert forged.status_code == 403, url
    upload = await client.post(
        f"{ADMIN}/nhap", files={"file": ("a.csv", _csv(_row("9.400021")), "text/csv")}
    )
    assert upload.status_code == 403
    assert await service.procedure_exists(code)
    assert not await service.procedure_exists("9.400020")
    assert not await service.procedure_exists("9.400021")


class _FormReader(HTMLParser):
    """What a browser would send for the page's form, untouched by the person (the
    default submit button aside)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") != "checkbox":
            self.fields[name] = a.get("value", "")
        elif tag == "input" and name and "checked" in a:
            value = a.get("value", "on")
            if name in CHECKLISTS:
                self.fields.setdefault(name, []).append(value)
            else:
                self.fields[name] = value
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


# Checkboxes sent once for each one ticked.
CHECKLISTS = {"agencies"}


def form_of_page(page: str) -> dict[str, Any]:
    reader = _FormReader()
    reader.feed(page)
    reader.fields.pop("_csrf_token", None)
    return reader.fields


async def test_editing_keeps_fee_conditions_quantities_and_the_payment_stage(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    before = await service.get_procedure("2.000488")
    assert before.payment_stage == "result" and before.fees[0].when is not None
    page = await client.get(f"{ADMIN}/2.000488")
    assert page.status_code == 200
    shown = text_of(page)
    assert 'id="payment_stage"' in shown and "Trước khi trả kết quả" in shown
    assert "Chỉ áp dụng khi câu hỏi" in shown and "Nhân theo số lượng ở câu hỏi" in shown
    assert "<code>reduced</code> (khong, co)" in shown  # the questions the fees may name
    fields = form_of_page(shown)
    assert fields["payment_stage"] == "result"
    assert (fields["fees-0-when_field"], fields["fees-0-when_equals"]) == ("reduced", "khong")
    assert (fields["fees-1-when_field"], fields["fees-1-when_equals"]) == ("reduced", "co")

    # Saved as shown, with one change elsewhere: nothing else moves.
    saved = await post_form(client, f"{ADMIN}/2.000488", {**fields, "processing_days": "11"})
    assert saved.status_code == 303, text_of(saved)
    after = await service.get_procedure("2.000488")
    assert after.processing_days == 11
    assert after.fees == before.fees and after.payment_stage == "result"
    assert after.form_fields == before.form_fields, "the online form's questions are kept"

    # Changed through the form.
    changed = {
        **fields,
        "payment_stage": "reception",
        "fees-0-when_field": "",
        "fees-0-when_equals": "",
        "fees-0-per_field": "copies",
    }
    saved = await post_form(client, f"{ADMIN}/2.000488", changed)
    assert saved.status_code == 303, text_of(saved)
    after = await service.get_procedure("2.000488")
    assert after.payment_stage == "reception"
    assert (after.fees[0].when, after.fees[0].per_field) == (None, "copies")
    assert after.fees[1].when == before.fees[1].when
    shown = text_of(await client.get(f"{ADMIN}/2.000488"))
    assert form_of_page(shown)["fees-0-per_field"] == "copies"

    # Wrong names are refused and named; what was typed stays.
    bad = {
        **fields,
        "fees-0-per_field": "purpose",
        "fees-1-when_field": "Số bản",
        "fees-1-when_equals": "co",
    }
    refused = await post_form(client, f"{ADMIN}/2.000488", bad)
    assert refused.status_code == 422
    page_text = text_of(refused)
    assert 'href="#fees-1-when_field"' in page_text
    assert "Phí, lệ phí 2 – Chỉ áp dụng khi câu hỏi: là tên câu hỏi trên mẫu trực tuyến" in (
        page_text
    )
    assert "câu hỏi “purpose” không phải dạng số" in page_text
    assert 'value="Số bản"' in page_text
    english(client)
    refused = await post_form(client, f"{ADMIN}/2.000488", {**fields, "fees-0-per_field": "nope"})
    assert refused.status_code == 422
    assert "Fee 1: the online form has no question “nope” to multiply by." in text_of(refused)
    client.cookies.delete("lang")
    assert (await service.get_procedure("2.000488")).payment_stage == "reception"

    # Put back as it was for the other tests of the module.
    restored = await post_form(client, f"{ADMIN}/2.000488", fields)
    assert restored.status_code == 303
    assert (await service.get_procedure("2.000488")).fees == before.fees


async def test_a_new_procedure_is_paid_at_reception_unless_chosen(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    new = text_of(await client.get(f"{ADMIN}/moi"))
    assert form_of_page(new)["payment_stage"] == "reception"
    created = await post_form(
        client, f"{ADMIN}/moi", form_fields(code="9.400030", payment_stage="result")
    )
    assert created.status_code == 303, text_of(created)
    assert (await service.get_procedure("9.400030")).payment_stage == "result"
    # A condition on a procedure without online questions names nothing that exists.
    refused = await post_form(
        client,
        f"{ADMIN}/9.400030",
        form_fields(
            code="9.400030", **{"fees-0-when_field": "student", "fees-0-when_equals": "co"}
        ),
    )
    assert refused.status_code == 422
    assert "Thủ tục chưa có câu hỏi nào trên mẫu trực tuyến." in text_of(refused)
    assert "điều kiện nêu câu hỏi “student”" in text_of(refused)
    bogus = await post_form(
        client, f"{ADMIN}/9.400030", form_fields(code="9.400030", payment_stage="later")
    )
    assert bogus.status_code == 422 and 'href="#payment_stage"' in bogus.text
    await transfer.delete_procedure("9.400030")


def content(procedure: object) -> dict[str, Any]:
    """A procedure as the editor shows it (its documents' ids change on each save)."""
    data: dict[str, Any] = msgspec.to_builtins(procedure)
    for component in data["components"]:
        del component["id"]
    return data


COMMITTEES = [f"000.{n:02d}.40.H56" for n in (1, 2, 3, *range(5, 15))]
POLICE = ["000.04.40.H56", "000.15.40.H56", "000.16.40.H56"]


async def test_the_editor_chooses_the_agencies_and_filing_anywhere(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    before = await service.get_procedure("1.001193")
    assert sorted(before.agency_codes) == sorted(COMMITTEES) and not before.anywhere
    page = text_of(await client.get(f"{ADMIN}/1.001193"))
    assert "Cấp tỉnh: các sở, ngành" in page and "Cấp xã: cơ quan của các xã, phường" in page
    assert 'value="all-communes"' in page and 'id="anywhere"' in page
    fields = form_of_page(page)
    assert sorted(fields["agencies"]) == sorted(COMMITTEES) and "anywhere" not in fields

    # The shortcuts tick or untick every commune-level agency; nothing is saved yet.
    none = await post_form(client, f"{ADMIN}/1.001193", {**fields, "action": "no-communes"})
    assert none.status_code == 200 and "agencies" not in form_of_page(text_of(none))
    every = await post_form(client, f"{ADMIN}/1.001193", {**fields, "action": "all-communes"})
    assert sorted(form_of_page(text_of(every))["agencies"]) == sorted(COMMITTEES + POLICE)
    assert await service.get_procedure("1.001193") == before

    # Saved: three communes' committees, filed anywhere.
    chosen = COMMITTEES[:3]
    saved = await post_form(
        client, f"{ADMIN}/1.001193", {**fields, "agencies": chosen, "anywhere": "on"}
    )
    assert saved.status_code == 303, text_of(saved)
    after = await service.get_procedure("1.001193")
    assert sorted(after.agency_codes) == chosen and after.anywhere
    fields_now = form_of_page(text_of(await client.get(f"{ADMIN}/1.001193")))
    assert sorted(fields_now["agencies"]) == chosen and fields_now["anywhere"] == "on"

    # A department for a commune-level procedure, an unknown code, or nobody: refused,
    # named, nothing saved.
    wrong = await post_form(
        client, f"{ADMIN}/1.001193", {**fields, "agencies": [*chosen, "000.00.12.H56", "9.9.9"]}
    )
    assert wrong.status_code == 422
    shown = text_of(wrong)
    assert 'href="#agencies"' in shown
    assert "Cơ quan thực hiện: Cơ quan 000.00.12.H56 không cùng cấp với thủ tục." in shown
    assert "Cơ quan thực hiện: Không có cơ quan mã 9.9.9." in shown
    nobody = await post_form(client, f"{ADMIN}/1.001193", {**fields, "agencies": []})
    assert nobody.status_code == 422
    assert "Cơ quan thực hiện: Hãy nêu ít nhất một cơ quan thực hiện." in text_of(nobody)
    english(client)
    nobody = await post_form(client, f"{ADMIN}/1.001193", {**fields, "agencies": []})
    assert "Agencies carrying it out:" in text_of(nobody)
    client.cookies.delete("lang")
    assert await service.get_procedure("1.001193") == after

    # Put back as it was for the other tests of the module.
    restored = await post_form(client, f"{ADMIN}/1.001193", fields)
    assert restored.status_code == 303
    assert content(await service.get_procedure("1.001193")) == content(before)


async def test_an_administrator_keeps_a_procedures_fee_rules(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in_as(client, own, "staff", "catalogue")
    code = "9.400009"
    assert (await post_form(client, f"{ADMIN}/moi", form_fields(code=code))).status_code == 303
    edit = await client.get(f"{ADMIN}/{code}")
    assert f'href="{ADMIN}/{code}/phi"' in edit.text and "(0 quy tắc)" in edit.text
    page = await client.get(f"{ADMIN}/{code}/phi")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "chưa có quy tắc thu nào" in text_of(page) and 'name="_csrf_token"' in page.text
    assert 'value="ho_ngheo"' in page.text and 'value="assisted"' in page.text

    waiver = {
        "position": "1",
        "percent": "100",
        "channels": ["online", "assisted"],
        "valid_from": "24/06/2025",
        "label_vi": "Miễn 100% khi nộp hồ sơ trực tuyến",
        "label_en": "Waived in full when filed online",
        "basis": "Nghị quyết số 12/2025/NQ-HĐND",
    }
    added = await post_form(client, f"{ADMIN}/{code}/phi", waiver)
    assert added.status_code == 303 and added.headers["location"] == f"{ADMIN}/{code}/phi?xong=them"
    [rule] = (await service.get_procedure(code)).fee_rules
    assert (rule.position, rule.percent, rule.channels) == (0, 100, ["online", "assisted"])
    assert rule.valid_from == dt.date(2025, 6, 24) and rule.valid_to is None
    listed = text_of(await client.get(added.headers["location"]))
    assert (
        "Đã thêm quy tắc." in listed and "Giảm 100%" in listed and "từ 24/06/2025 đến …" in listed
    )

    # Refused: each problem next to its input, in both languages, the input kept.
    bad = {**waiver, "percent": "150", "valid_to": "01/01/2025", "group": "sinh_vien"}
    refused = await post_form(client, f"{ADMIN}/{code}/phi/{rule.id}", bad)
    assert refused.status_code == 422
    shown = text_of(refused)
    assert "Tỷ lệ giảm phải từ 0 đến 100" in shown and 'href="#percent"' in refused.text
    assert "Ngày hết hiệu lực không được trước ngày bắt đầu." in shown
    assert "Không có nhóm đối tượng “sinh_vien”." in shown
    assert 'value="150"' in refused.text
    english(client)
    in_english = text_of(await post_form(client, f"{ADMIN}/{code}/phi/{rule.id}", bad))
    assert "The reduction must be between 0 and 100" in in_english
    assert "The end date cannot be before the start date." in in_english
    client.cookies.set("lang", "vi")
    not_a_day = await post_form(client, f"{ADMIN}/{code}/phi", {**waiver, "valid_from": "hôm qua"})
    assert not_a_day.status_code == 422 and "hãy nhập một ngày" in text_of(not_a_day)
    assert len((await service.get_procedure(code)).fee_rules) == 1  # nothing saved

    changed = await post_form(
        client, f"{ADMIN}/{code}/phi/{rule.id}", {**waiver, "percent": "50", "channels": []}
    )
    assert changed.status_code == 303
    [rule] = (await service.get_procedure(code)).fee_rules
    assert (rule.percent, rule.channels) == (50, [])
    # Saving the procedure's own form keeps its rules.
    kept = await post_form(client, f"{ADMIN}/{code}", form_fields(code=code, processing_days="9"))
    assert kept.status_code == 303
    assert [r.id for r in (await service.get_procedure(code)).fee_rules] == [rule.id]

    no_token = await client.post(f"{ADMIN}/{code}/phi/{rule.id}/xoa", data={})
    assert no_token.status_code == 403
    removed = await post_form(client, f"{ADMIN}/{code}/phi/{rule.id}/xoa", {})
    assert removed.status_code == 303 and (await service.get_procedure(code)).fee_rules == []
    assert (await client.get(f"{ADMIN}/{code}/phi/{rule.id}")).status_code == 404
    await service.delete_procedure(code)
