"""The authorisation matrix of administration: every administration endpoint and page
(the catalogue's procedures and search synonyms, the working-day calendar, an agency's
details, counters, procedures carried out and officials) × every kind of person
(nobody, a resident, the counter's officials, the administrator of agency A, of agency
B, the province's catalogue administrator) × the agency (their own, another): the
status, and nothing changed in the database by a refused request.

Before roles were scoped, ``require_staff()`` let any "admin" through: the police
administrator of B changed a procedure's fee (``PUT /api/admin/catalogue/procedures``)
and the province's calendar (``PUT /api/admin/workdays``) with a 200; here both are 403.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.tables import Account, AuditEvent, EnrolmentLink
from backend.app import create_app
from backend.catalogue import service
from backend.catalogue.schemas import DemoProcedure
from backend.catalogue.tables import (
    Agency,
    Counter,
    FeeRule,
    Procedure,
    ProcedureComponent,
    ProcedureFee,
    Provision,
    Synonym,
)
from backend.db import Database
from backend.workdays import service as workdays
from backend.workdays.tables import WorkdayException
from tests.conftest import PUBLIC_URL, make_settings
from tests.support.asgi import lifespan

A = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành
B = "000.04.40.H56"  # Công an phường Hạc Thành: the police administrator of the issue
CENTRE = "000.00.01.H56"  # where the province's catalogue administrator works
# A procedure each agency carries out (with other agencies), and one of its level it
# does not carry out yet.
CARRIED = {A: "1.001193", B: "1.004222"}
NOT_CARRIED = {A: "1.004222", B: "1.001193"}
COUNTER, NEW_COUNTER = 77, 78
# A fee rule of the edited procedure, by a fixed id so that its address is known.
RULE = 9001
# A search synonym, by a fixed id too, and a term that is not one yet.
SYNONYM, NEW_TERM = 9001, "zz phạm vi"
EDITED, CREATED, DELETED = "9.500002", "9.500001", "9.500003"
ROLES = [
    "anonymous",
    "citizen",
    "reception",
    "processing",
    "leader",
    "admin_A",
    "admin_B",
    "catalogue",
]


@dataclasses.dataclass
class Site:
    app: Litestar
    people: dict[str, httpx.AsyncClient]
    ids: dict[str, int]
    # An official of each agency, for the officials' rows.
    targets: dict[str, int]


async def _account(kind: str, role: str | None, agency: str | None, name: str) -> int:
    rows = await Account.insert(
        Account(
            kind=kind,
            full_name=name,
            user_handle=f"scope-{name}-{dt.datetime.now().timestamp()}",
            role=role,
            agency_code=agency,
            created_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Account.id)
    return int(rows[0]["id"])


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """A database of this module's own: these requests change the catalogue."""
    settings = await make_settings(tmp_path_factory.mktemp("admin_scope"), "admin_scope")
    database = Database(settings)
    await database.open()
    await database.migrate()
    await service.seed_demo()
    app = create_app(settings)
    runtime: AccountsRuntime = app.state["accounts"]
    who = {
        "citizen": ("citizen", None, None),
        "reception": ("staff", "reception", A),
        "processing": ("staff", "processing", A),
        "leader": ("staff", "leader", A),
        "admin_A": ("staff", "admin", A),
        "admin_B": ("staff", "admin", B),
        "catalogue": ("staff", "catalogue", CENTRE),
    }
    async with lifespan(app):
        people: dict[str, httpx.AsyncClient] = {}
        ids: dict[str, int] = {}
        for role in ROLES:
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL)
            if role in who:
                ids[role] = await _account(*who[role], f"Thử {role}")
                token = await sessions.start(runtime, ids[role], "test")
                client.cookies.set(runtime.cookie_name, token)
            await client.get("/dang-nhap")  # the CSRF cookie
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
            people[role] = client
        targets = {
            agency: await _account("staff", "reception", agency, f"Đích {agency}")
            for agency in (A, B)
        }
        yield Site(app, people, ids, targets)
        for client in people.values():
            await client.aclose()
    await database.close()


# ---- the state a request starts from ---------------------------------------------------


def procedure_data(code: str, **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_vi": f"Thủ tục thử quyền {code}",
        "name_en": f"Scope test {code}",
        "field_vi": "Thử",
        "field_en": "Test",
        "agencies": [A],
        "level": "commune",
        "online_level": "info",
        "processing_days": 3,
        "components": [{"name_vi": "Đơn", "name_en": "Form"}],
        "fees": [{"kind": "le_phi", "label_vi": "Lệ phí", "label_en": "Fee", "amount": 10000}],
        **changes,
    }


def procedure_form(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name_vi": f"Thủ tục thử quyền {code}",
        "name_en": f"Scope test {code}",
        "field_vi": "Thử",
        "field_en": "Test",
        "agencies": [A],
        "level": "commune",
        "online_level": "info",
        "processing_days": "4",
        "payment_stage": "reception",
        "components-0-name_vi": "Đơn",
        "components-0-name_en": "Form",
        "components-0-originals": "1",
        "components-0-copies": "0",
        "components-0-required": "on",
    }


async def _has_procedure(code: str, present: bool) -> None:
    exists = await service.procedure_exists(code)
    if present and not exists:
        await service.save_procedure(msgspec.convert(procedure_data(code), DemoProcedure))
    elif not present and exists:
        await service.delete_procedure(code)


async def _has_counter(agency: str, number: int, present: bool) -> None:
    agency_id = (await Agency.select(Agency.id).where(Agency.code == agency))[0]["id"]
    await Counter.delete().where(Counter.agency == agency_id, Counter.number == number)
    if present:
        await Counter.insert(
            Counter(
                agency=agency_id,
                number=number,
                name_vi=f"Quầy {number}",
                name_en=f"Counter {number}",
                procedure_codes=[CARRIED[agency]],
            )
        )


async def _provides(agency: str, code: str, present: bool) -> None:
    agency_id = (await Agency.select(Agency.id).where(Agency.code == agency))[0]["id"]
    procedure_id = (await Procedure.select(Procedure.id).where(Procedure.code == code))[0]["id"]
    await Provision.delete().where(
        Provision.agency == agency_id, Provision.procedure == procedure_id
    )
    if present:
        await Provision.insert(
            Provision(agency=agency_id, procedure=procedure_id, note_vi="Tầng 1", note_en="1F")
        )


async def _has_rule() -> None:
    await _has_procedure(EDITED, True)
    procedure_id = (await Procedure.select(Procedure.id).where(Procedure.code == EDITED))[0]["id"]
    await FeeRule.delete().where(FeeRule.id == RULE)
    await FeeRule.insert(
        FeeRule(
            id=RULE,
            procedure=procedure_id,
            percent=100,
            channels=["online"],
            label_vi="Miễn",
            label_en="Waived",
        )
    )


async def _has_synonym() -> None:
    await _no_new_term()
    await Synonym.delete().where(Synonym.id == SYNONYM)
    await Synonym.insert(
        Synonym(id=SYNONYM, term="zz thử", folded="zz thu", replacement="khai sinh")
    )


async def _no_new_term() -> None:
    await Synonym.delete().where(Synonym.folded == service.fold(NEW_TERM))


async def _enabled(account_id: int) -> None:
    await Account.update({Account.disabled_at: None, Account.role: "reception"}).where(
        Account.id == account_id
    )


async def _day_marked(present: bool) -> None:
    await WorkdayException.delete().where(WorkdayException.day == dt.date(2026, 12, 29))
    if present:
        await workdays.set_day(None, "2026-12-29", "holiday", "Nghỉ thử", "Test day off")


async def snapshot() -> list[Any]:
    """Everything an administrator could change (the procedures' timestamps aside)."""
    return [
        await Agency.select().order_by(Agency.id),
        await Procedure.select(*Procedure.all_columns(exclude=[Procedure.updated_at])).order_by(
            Procedure.id
        ),
        await ProcedureComponent.select().order_by(ProcedureComponent.id),
        await ProcedureFee.select().order_by(ProcedureFee.id),
        await FeeRule.select().order_by(FeeRule.id),
        await Synonym.select().order_by(Synonym.id),
        await Provision.select().order_by(Provision.id),
        await Counter.select().order_by(Counter.id),
        await WorkdayException.select(
            *WorkdayException.all_columns(exclude=[WorkdayException.updated_at])
        ).order_by(WorkdayException.day),
        await Account.select(
            Account.id, Account.role, Account.agency_code, Account.disabled_at, Account.full_name
        ).order_by(Account.id),
        await EnrolmentLink.count(),
        await AuditEvent.count(),
    ]


# ---- the matrix --------------------------------------------------------------------------

Setup = Callable[[], Awaitable[None]]


@dataclasses.dataclass
class Row:
    method: str
    path: str
    allowed: dict[str, int]  # who may, and the status they get
    body: Any = None  # JSON for the API, a form for pages, bytes for an upload
    setup: Setup | None = None
    refused: dict[str, int] = dataclasses.field(default_factory=dict)  # not the default 403

    def expected(self, role: str) -> int:
        if role in self.allowed:
            return self.allowed[role]
        if role in self.refused:
            return self.refused[role]
        if role == "anonymous":
            return 401 if self.path.startswith("/api/") else 303
        return 403


def catalogue_rows() -> list[Row]:
    """The province's: procedures and the calendar, for the catalogue administrator only."""
    only = {"catalogue": 200}
    demo = json.loads(service.DEMO_CATALOGUE.read_bytes())
    birth = next(p for p in demo["procedures"] if p["code"] == "1.001193")
    dearer = {**birth, "fees": [{**fee, "amount": 999_000} for fee in birth["fees"]]}
    upload = json.dumps({"procedures": [procedure_data(EDITED, processing_days=9)]}).encode()
    edited = _has_procedure_setup(EDITED, True)
    rules_api = f"/api/admin/catalogue/procedures/{EDITED}/fee-rules"
    rules_page = f"/quan-tri/thu-tuc/{EDITED}/phi"
    rule = {"percent": 50, "agency_code": A, "label_vi": "Giảm", "label_en": "Cut"}
    rule_form = {"percent": "50", "agency_code": A, "label_vi": "Giảm", "label_en": "Cut"}
    synonyms_api, synonyms_page = "/api/admin/catalogue/synonyms", "/quan-tri/tu-dong-nghia"
    new_synonym = {"term": NEW_TERM, "replacement": "kết hôn"}
    return [
        Row("GET", "/api/admin/catalogue/export", only),
        Row("POST", "/api/admin/catalogue/import?format=json", only, upload, edited),
        Row("PUT", "/api/admin/catalogue/procedures/1.001193", only, dearer),
        Row(
            "PUT",
            f"/api/admin/catalogue/procedures/{CREATED}",
            {"catalogue": 201},
            procedure_data(CREATED),
            _has_procedure_setup(CREATED, False),
        ),
        Row(
            "DELETE",
            f"/api/admin/catalogue/procedures/{DELETED}",
            {"catalogue": 204},
            setup=_has_procedure_setup(DELETED, True),
        ),
        Row("GET", "/api/admin/workdays?year=2026", only),
        Row(
            "PUT",
            "/api/admin/workdays/2026-12-28",
            only,
            {"kind": "holiday", "name_vi": "Nghỉ", "name_en": "Day off"},
        ),
        Row(
            "DELETE",
            "/api/admin/workdays/2026-12-29",
            {"catalogue": 204},
            setup=lambda: _day_marked(True),
        ),
        Row("GET", "/quan-tri/thu-tuc", only),
        Row("GET", "/quan-tri/thu-tuc/moi", only),
        Row("GET", f"/quan-tri/thu-tuc/{EDITED}", only, setup=edited),
        Row(
            "GET",
            f"/quan-tri/thu-tuc/{DELETED}/xoa",
            only,
            setup=_has_procedure_setup(DELETED, True),
        ),
        Row(
            "POST",
            "/quan-tri/thu-tuc/moi",
            {"catalogue": 303},
            procedure_form(CREATED),
            _has_procedure_setup(CREATED, False),
        ),
        Row(
            "POST",
            f"/quan-tri/thu-tuc/{EDITED}",
            {"catalogue": 303},
            procedure_form(EDITED),
            edited,
        ),
        Row(
            "POST",
            f"/quan-tri/thu-tuc/{DELETED}/xoa",
            {"catalogue": 303},
            {},
            _has_procedure_setup(DELETED, True),
        ),
        Row("POST", "/quan-tri/thu-tuc/nhap", only, upload, edited),
        # A procedure's fee rules: what citizens pay is the province's to set, so an
        # agency's administrator may not change even their own agency's base fee.
        Row("GET", f"{rules_api}", only, setup=edited),
        Row("POST", f"{rules_api}", {"catalogue": 201}, rule, edited),
        Row("PUT", f"{rules_api}/{RULE}", only, rule, _has_rule),
        Row("DELETE", f"{rules_api}/{RULE}", {"catalogue": 204}, setup=_has_rule),
        Row("GET", rules_page, only, setup=edited),
        Row("GET", f"{rules_page}/{RULE}", only, setup=_has_rule),
        Row("POST", rules_page, {"catalogue": 303}, rule_form, edited),
        Row("POST", f"{rules_page}/{RULE}", {"catalogue": 303}, rule_form, _has_rule),
        Row("POST", f"{rules_page}/{RULE}/xoa", {"catalogue": 303}, {}, _has_rule),
        # Search's synonyms: the province's, like the procedures' names they stand for.
        Row("GET", synonyms_api, only),
        Row("POST", synonyms_api, {"catalogue": 201}, new_synonym, _no_new_term),
        Row("PUT", f"{synonyms_api}/{SYNONYM}", only, new_synonym, _has_synonym),
        Row("DELETE", f"{synonyms_api}/{SYNONYM}", {"catalogue": 204}, setup=_has_synonym),
        Row("GET", synonyms_page, only),
        Row("GET", f"{synonyms_page}/{SYNONYM}", only, setup=_has_synonym),
        Row("POST", synonyms_page, {"catalogue": 303}, new_synonym, _no_new_term),
        Row("POST", f"{synonyms_page}/{SYNONYM}", {"catalogue": 303}, new_synonym, _has_synonym),
        Row("POST", f"{synonyms_page}/{SYNONYM}/xoa", {"catalogue": 303}, {}, _has_synonym),
        Row("GET", "/quan-tri/ngay-nghi", only),
        Row(
            "POST",
            "/quan-tri/ngay-nghi",
            {"catalogue": 303},
            {"day": "2026-12-28", "kind": "holiday", "name_vi": "Nghỉ", "name_en": "Day off"},
        ),
        Row(
            "POST",
            "/quan-tri/ngay-nghi/2026-12-29/xoa",
            {"catalogue": 303},
            {},
            lambda: _day_marked(True),
        ),
    ]


def _has_procedure_setup(code: str, present: bool) -> Setup:
    return lambda: _has_procedure(code, present)


def agency_rows(agency: str) -> list[Row]:
    """One agency's own data: its administrator and the province's catalogue
    administrator may; the other agency's administrator is refused."""
    admin = "admin_A" if agency == A else "admin_B"

    def both(status: int) -> dict[str, int]:
        return {admin: status, "catalogue": status}

    api = f"/api/admin/agencies/{agency}"
    page = f"/quan-tri/co-quan/{agency}"
    carried, other = CARRIED[agency], NOT_CARRIED[agency]
    counter = {"name_vi": "Quầy thử", "name_en": "Test counter", "procedures": [carried]}

    async def counter_there() -> None:
        await _provides(agency, carried, True)
        await _has_counter(agency, COUNTER, True)

    def new_counter_free() -> Awaitable[None]:
        return _has_counter(agency, NEW_COUNTER, False)

    def provided() -> Awaitable[None]:
        return _provides(agency, carried, True)

    def not_provided() -> Awaitable[None]:
        return _provides(agency, other, False)

    details = {"address": "Số 1 Trần Phú", "hours_vi": "7:30–17:00", "hours_en": "7:30–17:00"}
    return [
        Row("GET", api, both(200)),
        Row("PUT", api, both(200), {**details, "phone": "0237 3852 345"}),
        Row("GET", f"{api}/counters", both(200)),
        Row(
            "POST",
            f"{api}/counters",
            both(201),
            {**counter, "number": NEW_COUNTER},
            new_counter_free,
        ),
        Row("GET", f"{api}/counters/{COUNTER}", both(200), setup=counter_there),
        Row("PUT", f"{api}/counters/{COUNTER}", both(200), counter, counter_there),
        Row("DELETE", f"{api}/counters/{COUNTER}", both(204), setup=counter_there),
        Row("GET", f"{api}/procedures", both(200)),
        Row(
            "PUT",
            f"{api}/procedures/{carried}",
            both(200),
            {"note_vi": "Phòng 2", "note_en": "Room 2"},
            provided,
        ),
        Row("PUT", f"{api}/procedures/{other}", both(201), {"note_vi": "Mới"}, not_provided),
        Row("DELETE", f"{api}/procedures/{carried}", both(204), setup=provided),
        Row("GET", page, both(200)),
        Row("GET", f"{page}/quay/moi", both(200)),
        Row("GET", f"{page}/quay/{COUNTER}", both(200), setup=counter_there),
        Row("GET", f"{page}/thu-tuc/{carried}", both(200), setup=provided),
        Row("POST", page, both(303), {**details, "phone": ""}),
        Row(
            "POST",
            f"{page}/thu-tuc",
            both(303),
            {"procedure_code": other, "note_vi": "", "note_en": ""},
            not_provided,
        ),
        Row("POST", f"{page}/thu-tuc/{carried}", both(303), {"note_vi": "Phòng 3"}, provided),
        Row("POST", f"{page}/thu-tuc/{carried}/xoa", both(303), {}, provided),
        Row(
            "POST",
            f"{page}/quay/moi",
            both(303),
            {"number": str(NEW_COUNTER), "name_vi": "Quầy", "name_en": "Counter"},
            new_counter_free,
        ),
        Row(
            "POST",
            f"{page}/quay/{COUNTER}",
            both(303),
            {"name_vi": "Quầy", "name_en": "Counter", "procedures": carried},
            counter_there,
        ),
        Row("POST", f"{page}/quay/{COUNTER}/xoa", both(303), {}, counter_there),
    ]


def officials_rows(site: Site) -> list[Row]:
    """An agency's officials: its own administrator only (not the province's catalogue
    administrator); another agency's officials are "not found"."""
    target = site.targets[A]

    def enabled() -> Awaitable[None]:
        return _enabled(target)

    new = {"full_name": "Người Mới", "role": "processing"}
    return [
        Row("GET", "/api/staff/officials", {"admin_A": 200, "admin_B": 200}),
        Row("POST", "/api/staff/officials", {"admin_A": 201, "admin_B": 201}, new),
        # The province's role, or an official of another agency: nobody from here.
        Row("POST", "/api/staff/officials", {}, {**new, "role": "catalogue"}),
        Row("POST", "/api/staff/officials", {"admin_A": 201}, {**new, "agency_code": A}),
        Row(
            "PATCH",
            f"/api/staff/officials/{target}",
            {"admin_A": 200},
            {"disabled": True},
            enabled,
            refused={"admin_B": 404},
        ),
        Row(
            "PATCH",
            f"/api/staff/officials/{target}",
            {},
            {"role": "catalogue"},
            enabled,
            {"admin_B": 404},
        ),
        Row(
            "POST",
            f"/api/staff/officials/{target}/enrolment",
            {"admin_A": 201},
            {},
            refused={"admin_B": 404},
        ),
        Row("GET", "/quan-tri/co-quan", {"admin_A": 303, "admin_B": 303, "catalogue": 200}),
        Row("GET", f"/quan-tri/co-quan/{A}/can-bo", {"admin_A": 200}),
        Row("GET", f"/quan-tri/co-quan/{B}/can-bo", {"admin_B": 200}),
        Row("POST", f"/quan-tri/co-quan/{A}/can-bo", {"admin_A": 200}, new),
        Row(
            "POST",
            f"/quan-tri/co-quan/{A}/can-bo/{target}",
            {"admin_A": 200},
            {"action": "disable"},
            enabled,
        ),
        # An administrator posting about another agency's official through their own page.
        Row(
            "POST",
            f"/quan-tri/co-quan/{B}/can-bo/{target}",
            {},
            {"action": "disable"},
            enabled,
            refused={"admin_B": 404},
        ),
    ]


async def _send(client: httpx.AsyncClient, row: Row) -> httpx.Response:
    if row.path.startswith("/api/"):
        if isinstance(row.body, bytes):
            return await client.request(row.method, row.path, content=row.body)
        return await client.request(
            row.method, row.path, json=row.body if row.method != "GET" else None
        )
    if row.method == "GET":
        return await client.get(row.path)
    token = {"_csrf_token": client.cookies["csrftoken"]}
    if isinstance(row.body, bytes):
        return await client.post(
            row.path, data=token, files={"file": ("catalogue.json", row.body, "application/json")}
        )
    return await client.post(row.path, data={**(row.body or {}), **token})


async def _run(site: Site, rows: list[Row]) -> list[str]:
    wrong = []
    for row in rows:
        # The refused first, each from the same state, then those who may.
        for role in sorted(ROLES, key=lambda r: r in row.allowed):
            if row.setup is not None:
                await row.setup()
            before = None if role in row.allowed else await snapshot()
            response = await _send(site.people[role], row)
            expected = row.expected(role)
            where = f"{row.method} {row.path} as {role}"
            if response.status_code != expected:
                wrong.append(f"{where}: {response.status_code}, expected {expected}")
                continue
            if role in row.allowed:
                continue
            if await snapshot() != before:
                wrong.append(f"{where}: refused ({expected}) but the database changed")
            if expected == 303:
                assert response.headers["location"].startswith("/dang-nhap?next="), where
            elif row.path.startswith("/api/") and expected in (403, 404):
                problem = response.json()["error"]
                assert problem["message_vi"] and problem["message_en"], where
    return wrong


async def test_the_province_s_catalogue_and_calendar_are_the_catalogue_administrator_s(
    site: Site,
) -> None:
    wrong = await _run(site, catalogue_rows())
    assert not wrong, "\n".join(wrong)


async def test_each_agency_s_data_is_its_administrator_s_and_the_province_s(site: Site) -> None:
    wrong = await _run(site, agency_rows(A) + agency_rows(B))
    assert not wrong, "\n".join(wrong)


async def test_officials_are_their_own_agency_administrator_s(site: Site) -> None:
    wrong = await _run(site, officials_rows(site))
    assert not wrong, "\n".join(wrong)
