"""An agency's administrator keeps their agency's own data: its details, its counters
(only procedures it carries out), which procedures it carries out and its note on
each; bad input is refused in both languages naming the field, nothing saved half-way;
the pages do the same without JavaScript."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import Principal
from backend.accounts.tables import Account
from backend.app import create_app
from backend.catalogue import service
from backend.catalogue.tables import Agency, Counter
from backend.db import Database, write_transaction
from backend.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from tests.conftest import PUBLIC_URL, make_settings
from tests.support.asgi import client_for

A = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành: counters 1 and 2 in the demo
B = "000.04.40.H56"  # Công an phường Hạc Thành
DEPARTMENT = "000.00.12.H56"  # Sở Tư pháp: the only agency of 2.001680
PAGE = f"/quan-tri/co-quan/{A}"


def official(role: str, agency: str | None = A) -> Principal:
    return Principal(
        account_id=1, kind="staff", name="Thử", role=role, agency_code=agency, session_id="x"
    )  # type: ignore[arg-type]


ADMIN_A = official("admin")
PROVINCE = official("catalogue", "000.00.01.H56")


def messages(error: AppError) -> dict[str | None, tuple[str, str]]:
    return {p.field: (p.message.render("vi"), p.message.render("en")) for p in error.problems}


@pytest.fixture(scope="module")
async def own(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Litestar]:
    """A database of this module's own: these tests change agencies."""
    settings = await make_settings(tmp_path_factory.mktemp("agency_admin"), "agency_admin")
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


async def sign_in(client: httpx.AsyncClient, app: Litestar, role: str, agency: str) -> None:
    runtime: AccountsRuntime = app.state["accounts"]
    rows = await Account.insert(
        Account(
            kind="staff",
            full_name=f"Quản trị {role} {agency}",
            user_handle=f"agency-admin-{role}-{dt.datetime.now().timestamp()}",
            role=role,
            agency_code=agency,
            created_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Account.id)
    client.cookies.set(runtime.cookie_name, await sessions.start(runtime, rows[0]["id"], "t"))
    await client.get("/")
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]


async def post_form(
    client: httpx.AsyncClient, url: str, fields: dict[str, object]
) -> httpx.Response:
    return await client.post(url, data={**fields, "_csrf_token": client.cookies["csrftoken"]})


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_details_are_checked_then_saved_whole(own: Litestar) -> None:
    before = await service.get_agency(A)
    bad = service.AgencyDetails(address="x" * 301, hours_vi="7:30", phone="gọi 0237")
    with pytest.raises(InvalidInput) as refused:
        await service.update_agency(ADMIN_A, A, bad)
    found = messages(refused.value)
    assert list(found) == ["address", "phone"]
    assert found["address"][1] == "“Address” is longer than 300 characters. Please shorten it."
    assert found["phone"][1].startswith("A phone number has only digits")
    assert await service.get_agency(A) == before  # nothing saved, not even the hours

    good = service.AgencyDetails(
        address=" Số 2 Trần Phú ", hours_vi="7:30–17:00", hours_en="7:30–17:00", phone="+84 237 385"
    )
    saved = await service.update_agency(ADMIN_A, A, good)
    assert (saved.address, saved.phone) == ("Số 2 Trần Phú", "+84 237 385")
    assert (saved.name_vi, saved.level, saved.unit_code) == (
        before.name_vi,
        before.level,
        before.unit_code,
    )
    with pytest.raises(Forbidden) as other:
        await service.update_agency(ADMIN_A, B, good)
    assert other.value.field == "agency_code"
    assert messages(other.value)["agency_code"][1] == (
        "You can only administer your own agency's data."
    )
    with pytest.raises(NotFound):
        await service.update_agency(PROVINCE, "000.99.99.H00", good)
    for nobody in (official("leader"), official("reception"), official("processing")):
        with pytest.raises(Forbidden):
            await service.update_agency(nobody, A, good)
    await service.update_agency(
        ADMIN_A,
        A,
        service.AgencyDetails(
            address=before.address,
            hours_vi=before.hours_vi,
            hours_en=before.hours_en,
            phone=before.phone,
        ),
    )


async def test_a_counter_receives_only_what_its_agency_carries_out(own: Litestar) -> None:
    create = service.CounterCreate(
        number=5,
        name_vi="",
        name_en="Counter 5",
        procedures=["1.001193", "1.004222", "1.001193", "9.999999"],
    )
    with pytest.raises(InvalidInput) as refused:
        await service.add_counter(ADMIN_A, A, create)
    problems = [(p.field, p.message.render("en")) for p in refused.value.problems]
    not_carried = "The agency does not carry out procedure %s, so its counters cannot receive it."
    assert problems == [
        ("name_vi", "Fill in “Counter name (Vietnamese)”."),
        ("procedures", not_carried % "1.004222"),
        ("procedures", "Procedure 1.001193 is chosen twice."),
        ("procedures", not_carried % "9.999999"),
    ]
    assert [c.number for c in await service.agency_counters(ADMIN_A, A)] == [1, 2]

    for number in (0, 10_000):
        with pytest.raises(InvalidInput) as wrong:
            await service.add_counter(
                ADMIN_A, A, service.CounterCreate(number=number, name_vi="Q", name_en="C")
            )
        assert list(messages(wrong.value)) == ["number"]
    with pytest.raises(Conflict) as taken:
        await service.add_counter(
            ADMIN_A, A, service.CounterCreate(number=1, name_vi="Q", name_en="C")
        )
    assert taken.value.field == "number"
    assert messages(taken.value)["number"] == (
        "Cơ quan đã có quầy số 1.",
        "The agency already has a counter 1.",
    )

    made = await service.add_counter(
        ADMIN_A,
        A,
        service.CounterCreate(
            number=5, name_vi="Quầy 5", name_en="Counter 5", procedures=["2.000815", "1.001193"]
        ),
    )
    assert [p.code for p in made.procedures] == ["2.000815", "1.001193"]  # in the order chosen
    changed = await service.save_counter(
        ADMIN_A, A, 5, service.CounterWrite(name_vi="Quầy năm", name_en="Counter five")
    )
    assert (changed.name_vi, changed.procedures) == ("Quầy năm", [])
    with pytest.raises(NotFound):
        await service.save_counter(ADMIN_A, A, 6, service.CounterWrite(name_vi="Q", name_en="C"))
    with pytest.raises(Forbidden):
        await service.remove_counter(official("admin", B), A, 5)
    await service.remove_counter(ADMIN_A, A, 5)
    with pytest.raises(NotFound):
        await service.get_counter(A, 5)  # its QR poster finds nothing now
    with pytest.raises(NotFound):
        await service.remove_counter(ADMIN_A, A, 5)


async def test_two_administrators_never_take_one_number(own: Litestar) -> None:
    def attempt(name: str) -> service.CounterCreate:
        return service.CounterCreate(number=9, name_vi=name, name_en=name)

    results = await asyncio.gather(
        service.add_counter(ADMIN_A, A, attempt("Một")),
        service.add_counter(PROVINCE, A, attempt("Hai")),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "CounterRead"]
    agency_id = (await Agency.select(Agency.id).where(Agency.code == A))[0]["id"]
    assert await Counter.count().where(Counter.agency == agency_id, Counter.number == 9) == 1
    await service.remove_counter(ADMIN_A, A, 9)


async def test_which_procedures_an_agency_carries_out_and_its_notes(own: Litestar) -> None:
    admin_b = official("admin", B)
    carried = [item.code for item in await service.agency_procedures(admin_b, B)]
    assert carried == ["1.004194", "1.004222", "1.010038"]
    offered = [item.code for item in await service.procedures_to_add(admin_b, B)]
    assert "1.001193" in offered and "2.001680" not in offered  # commune level only
    assert not set(carried) & set(offered)

    # A department's procedure at a commune's police: refused, named, nothing saved.
    with pytest.raises(InvalidInput) as level:
        await service.save_provision(admin_b, B, "2.001680", service.ProvisionWrite())
    assert messages(level.value)["procedure_code"][1] == (
        "Procedure 2.001680 is a province-level procedure: this agency cannot carry it out."
    )
    with pytest.raises(NotFound) as unknown:
        await service.save_provision(admin_b, B, "9.999999", service.ProvisionWrite())
    assert unknown.value.field == "procedure_code"
    with pytest.raises(InvalidInput) as long:
        await service.save_provision(
            admin_b, B, "1.004222", service.ProvisionWrite(note_vi="x" * 2001)
        )
    assert list(messages(long.value)) == ["note_vi"]
    assert not await service.carries_out(B, "2.001680")

    # A note people see on the agency's page of the procedure.
    added = await service.save_provision(
        admin_b, B, "1.004222", service.ProvisionWrite(note_vi="Nộp ở tầng 2", note_en="2nd floor")
    )
    assert added is False
    where = await service.provision("1.004222", B)
    assert (where.note_vi, where.note_en) == ("Nộp ở tầng 2", "2nd floor")
    assert (await service.provision("1.004222", "000.15.40.H56")).note_vi == ""  # theirs only

    # Taking one on, then off again: its counters stop receiving it.
    assert await service.save_provision(admin_b, B, "2.000815", service.ProvisionWrite()) is True
    assert await service.carries_out(B, "2.000815")
    await service.add_counter(
        admin_b,
        B,
        service.CounterCreate(
            number=1, name_vi="Quầy 1", name_en="Counter 1", procedures=["2.000815", "1.004222"]
        ),
    )
    await service.remove_provision(admin_b, B, "2.000815")
    assert not await service.carries_out(B, "2.000815")
    assert [p.code for p in (await service.get_counter(B, 1)).procedures] == ["1.004222"]
    with pytest.raises(NotFound):
        await service.remove_provision(admin_b, B, "2.000815")
    with pytest.raises(Forbidden):
        await service.remove_provision(ADMIN_A, B, "1.004222")
    await service.remove_counter(admin_b, B, 1)

    # The last agency of a procedure keeps it: nobody else could receive it.
    justice = official("admin", DEPARTMENT)
    with pytest.raises(Conflict) as last:
        await service.remove_provision(justice, DEPARTMENT, "2.001680")
    assert "only one carrying out procedure 2.001680" in messages(last.value)["procedure_code"][1]
    assert await service.carries_out(DEPARTMENT, "2.001680")


async def test_the_pages_edit_an_agency_without_javascript(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in(client, own, "admin", A)
    home = await client.get("/quan-tri/co-quan")
    assert home.status_code == 303 and home.headers["location"] == PAGE
    page = await client.get(PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    shown = text_of(page)
    assert "Ủy ban nhân dân phường Hạc Thành" in shown and 'name="_csrf_token"' in shown
    assert 'id="nav-agency" aria-current="page"' in shown  # the console's section
    assert 'href="/quan-tri/thu-tuc"' not in shown  # the procedures are the province's
    assert f'href="{PAGE}/can-bo"' in shown
    assert f'href="{PAGE}/quay/1"' in shown and 'value="1.004222"' in shown

    refused = await post_form(
        client, PAGE, {"address": "Số 3", "hours_vi": "", "hours_en": "", "phone": "abc"}
    )
    assert refused.status_code == 422
    text = text_of(refused)
    assert 'href="#phone"' in text and 'value="abc"' in text and 'value="Số 3"' in text
    assert (await service.get_agency(A)).address != "Số 3"
    saved = await post_form(
        client, PAGE, {"address": "Số 3", "hours_vi": "7:30", "hours_en": "7:30", "phone": ""}
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?xong=luu"
    assert "Đã lưu thông tin cơ quan." in text_of(await client.get(saved.headers["location"]))
    assert (await service.get_agency(A)).address == "Số 3"

    # A counter: its form lists only what the agency carries out.
    new = text_of(await client.get(f"{PAGE}/quay/moi"))
    assert 'value="3"' in new and 'value="1.001193"' in new and 'value="1.004222"' not in new
    client.cookies.set("lang", "en")
    wrong = await post_form(
        client,
        f"{PAGE}/quay/moi",
        {"number": "1", "name_vi": "Quầy", "name_en": "Counter", "procedures": ["1.004222"]},
    )
    assert wrong.status_code == 422
    assert "The agency does not carry out procedure 1.004222" in text_of(wrong)
    client.cookies.delete("lang")
    taken = await post_form(
        client, f"{PAGE}/quay/moi", {"number": "1", "name_vi": "Quầy", "name_en": "Counter"}
    )
    assert taken.status_code == 409 and "Cơ quan đã có quầy số 1." in text_of(taken)
    made = await post_form(
        client,
        f"{PAGE}/quay/moi",
        {"number": "3", "name_vi": "Quầy 3", "name_en": "Counter 3", "procedures": ["1.000656"]},
    )
    assert made.status_code == 303, text_of(made)
    assert [p.code for p in (await service.get_counter(A, 3)).procedures] == ["1.000656"]
    removed = await post_form(client, f"{PAGE}/quay/3/xoa", {})
    assert removed.status_code == 303 and removed.headers["location"].endswith("xong=xoa-quay&ma=3")

    # A procedure taken on with a note, the note changed, then given up.
    added = await post_form(
        client, f"{PAGE}/thu-tuc", {"procedure_code": "1.004222", "note_vi": "Phòng 1"}
    )
    assert added.status_code == 303
    assert (await service.provision("1.004222", A)).note_vi == "Phòng 1"
    province_level = await post_form(client, f"{PAGE}/thu-tuc", {"procedure_code": "2.001680"})
    assert province_level.status_code == 422 and 'href="#procedure_code"' in province_level.text
    note = await post_form(client, f"{PAGE}/thu-tuc/1.004222", {"note_vi": "Phòng 2"})
    assert note.status_code == 303
    assert (await service.provision("1.004222", A)).note_vi == "Phòng 2"
    gone = await post_form(client, f"{PAGE}/thu-tuc/1.004222/xoa", {})
    assert gone.status_code == 303 and not await service.carries_out(A, "1.004222")

    # Another agency's pages are refused, and the province's are not theirs.
    assert (await client.get(f"/quan-tri/co-quan/{B}")).status_code == 403
    assert (await client.get("/quan-tri/thu-tuc")).status_code == 403


async def test_the_centre_receives_for_the_departments_and_strays_are_fixed(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    """The provincial service centre's counters receive the departments' procedures
    (the centre does not carry them out itself); a commune's procedure is no centre
    counter's, and one a counter lists from an older import is shown to be unticked."""
    centre = "000.00.01.H56"
    await sign_in(client, own, "catalogue", centre)
    page = text_of(await client.get(f"/quan-tri/co-quan/{centre}/quay/1"))
    assert 'value="2.000488" checked' in page and "hãy bỏ chọn" not in page
    kept = await post_form(
        client,
        f"/quan-tri/co-quan/{centre}/quay/1",
        {"name_vi": "Quầy 1", "name_en": "Counter 1", "procedures": ["2.000488", "2.001680"]},
    )
    assert kept.status_code == 303
    assert [p.code for p in (await service.get_counter(centre, 1)).procedures] == [
        "2.000488",
        "2.001680",
    ]
    # The department's procedure page names the centre's counter that receives it.
    where = text_of(await client.get("/p/2.001680"))
    assert "Quầy 1 – Trung tâm Phục vụ hành chính công tỉnh Thanh Hóa" in where
    async with write_transaction():
        await Counter.update({Counter.procedure_codes: ["2.000488", "1.001193"]}).where(
            Counter.number == 1,
            Counter.agency.is_in(Agency.select(Agency.id).where(Agency.code == centre)),
        )
    page = text_of(await client.get(f"/quan-tri/co-quan/{centre}/quay/1"))
    assert "cơ quan không thực hiện thủ tục này: hãy bỏ chọn" in page
    refused = await post_form(
        client,
        f"/quan-tri/co-quan/{centre}/quay/1",
        {"name_vi": "Quầy 1", "name_en": "Counter 1", "procedures": ["2.000488", "1.001193"]},
    )
    assert refused.status_code == 422 and 'href="#procedures"' in refused.text
    assert "1.001193" in [p.code for p in (await service.get_counter(centre, 1)).procedures]
    fixed = await post_form(
        client,
        f"/quan-tri/co-quan/{centre}/quay/1",
        {"name_vi": "Quầy 1", "name_en": "Counter 1", "procedures": ["2.000488"]},
    )
    assert fixed.status_code == 303
    # The province's administrator chooses among every agency, by level.
    listing = text_of(await client.get("/quan-tri/co-quan"))
    assert f'href="/quan-tri/co-quan/{B}"' in listing and "Cấp tỉnh: các sở, ngành" in listing
    nav = text_of(await client.get(f"/quan-tri/co-quan/{centre}"))
    for href in ("/quan-tri/co-quan", "/quan-tri/thu-tuc", "/quan-tri/ngay-nghi"):
        assert f'href="{href}"' in nav
    # Officials are each agency's own administrator's.
    assert (await client.get(f"/quan-tri/co-quan/{centre}/can-bo")).status_code == 403


async def test_an_agency_administrator_manages_officials_on_the_page(
    client: httpx.AsyncClient, own: Litestar
) -> None:
    await sign_in(client, own, "admin", B)
    base = f"/quan-tri/co-quan/{B}/can-bo"
    page = text_of(await client.get(base))
    assert 'value="catalogue"' not in page  # not theirs to give
    created = await post_form(client, base, {"full_name": "Hà Văn Công", "role": "processing"})
    assert created.status_code == 200
    text = text_of(created)
    assert "/kich-hoat/" in text and "Hà Văn Công" in text
    rows = await Account.select(Account.id, Account.agency_code, Account.role).where(
        Account.full_name == "Hà Văn Công"
    )
    assert [(r["agency_code"], r["role"]) for r in rows] == [(B, "processing")]
    forged = await post_form(client, base, {"full_name": "Người Tỉnh", "role": "catalogue"})
    assert forged.status_code == 422 and 'href="#role"' in forged.text
    assert not await Account.exists().where(Account.full_name == "Người Tỉnh")
    disabled = await post_form(client, f"{base}/{rows[0]['id']}", {"action": "disable"})
    assert disabled.status_code == 200 and "Đã lưu thay đổi." in text_of(disabled)
    assert (await Account.select(Account.disabled_at).where(Account.id == rows[0]["id"]))[0][
        "disabled_at"
    ] is not None
