"""The calendar's API and page: the province's catalogue administrator marks and
unmarks days, nobody else may (not an agency's administrator either); bad dates and
kinds are refused in both languages; the calendar in memory sees an edit at once;
migrating again never undoes an edit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.schemas import StaffCreate
from backend.app import create_app
from backend.catalogue.service import seed_demo
from backend.db import Database
from backend.workdays import service
from backend.workdays.tables import WorkdayException
from tests.accounts.helpers import AGENCY, Browser, enrol, new_browser
from tests.conftest import make_settings
from tests.support.asgi import lifespan

API = "/api/admin/workdays"
PAGE = "/quan-tri/ngay-nghi"
D = dt.date


@dataclasses.dataclass
class Site:
    app: Litestar
    database: Database


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """A database of this module's own: these tests change the calendar."""
    settings = await make_settings(tmp_path_factory.mktemp("workdays"), "workdays")
    settings = dataclasses.replace(
        settings, argon2_memory_kib=64, argon2_time_cost=1, auth_rate_per_address=100_000
    )
    database = Database(settings)
    await database.open()
    await database.migrate()
    await seed_demo()  # the agency of the officials below
    app = create_app(settings)
    async with lifespan(app):
        yield Site(app, database)
    await database.close()


Person = Callable[..., Awaitable[tuple[Browser, int | None]]]


@pytest.fixture
async def person(site: Site) -> AsyncIterator[Person]:
    """A browser signed in as a resident ("citizen"), an official of a role, or nobody."""
    opened: list[Browser] = []

    async def make(role: str) -> tuple[Browser, int | None]:
        browser = await new_browser(site.app)
        opened.append(browser)
        if role == "anonymous":
            return browser, None
        if role == "citizen":
            result = await browser.sign_up()
            return browser, int(result["account"]["id"])
        created = await accounts.create_staff(
            site.app.state["accounts"],
            StaffCreate(full_name=f"Cán bộ {role}", role=role, agency_code=AGENCY),  # type: ignore[arg-type]
        )
        response = await enrol(browser, created.enrolment.url)
        assert response.status_code == 201, response.text
        return browser, created.official.id

    yield make
    for browser in opened:
        await browser.close()


async def put(browser: Browser, day: str, **body: Any) -> httpx.Response:
    return await browser.client.put(f"{API}/{day}", json=body, headers=await browser.headers())


async def post_form(browser: Browser, url: str, fields: dict[str, str]) -> httpx.Response:
    token = (await browser.headers())["x-csrftoken"]
    return await browser.client.post(url, data={**fields, "_csrf_token": token})


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def test_an_administrator_marks_and_unmarks_days_and_the_calendar_follows_at_once(
    person: Person,
) -> None:
    admin, admin_id = await person("catalogue")
    listed = await admin.get(API, params={"year": 2026})
    assert listed.status_code == 200, listed.text
    days = listed.json()
    assert [day["day"] for day in days][:3] == ["2026-01-01", "2026-01-02", "2026-01-10"]
    assert {"day": "2026-01-10", "kind": "working"}.items() <= days[2].items()
    this_year = await admin.get(API)
    assert (
        this_year.json() == (await admin.get(API, params={"year": service.current_year()})).json()
    )

    assert await service.is_working_day(D(2026, 3, 2))  # the copy in memory is warm now
    saved = await put(admin, "2026-03-02", kind="holiday", name_vi="Nghỉ thử", name_en="Test")
    assert saved.status_code == 200, saved.text
    assert saved.json()["updated_by"] == admin_id and saved.json()["name_vi"] == "Nghỉ thử"
    assert not await service.is_working_day(D(2026, 3, 2))
    assert await service.add_working_days(D(2026, 2, 27), 1) == D(2026, 3, 3)

    renamed = await put(admin, "2026-03-02", kind="holiday", name_vi="Nghỉ bù", name_en="In lieu")
    assert renamed.json()["name_en"] == "In lieu"
    assert [d.name_vi for d in await service.list_year(2026) if d.day == D(2026, 3, 2)] == [
        "Nghỉ bù"
    ]
    worked = await put(admin, "2026-03-07", kind="working", name_vi="Làm bù", name_en="Make-up")
    assert worked.status_code == 200
    assert await service.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)

    assert (await admin.delete(f"{API}/2026-03-02")).status_code == 204
    assert await service.is_working_day(D(2026, 3, 2))
    gone = await admin.delete(f"{API}/2026-03-02")
    assert gone.status_code == 404 and gone.json()["error"]["field"] == "day"
    assert (await admin.delete(f"{API}/2026-03-07")).status_code == 204
    assert not await service.is_working_day(D(2026, 3, 7))


@pytest.mark.parametrize(
    ("day", "body", "field", "vietnamese"),
    [
        ("2026-02-30", {"kind": "holiday"}, "day", "“2026-02-30” không phải là một ngày có thật"),
        ("hom-nay", {"kind": "holiday"}, "day", "không phải là một ngày có thật"),
        ("1999-03-01", {"kind": "holiday"}, "day", "chỉ gồm các năm từ 2000 đến 2100"),
        (
            "2026-03-07",
            {"kind": "holiday"},
            "kind",
            "Thứ Bảy, 07/03/2026 vốn đã là ngày nghỉ",
        ),
        (
            "2026-03-03",
            {"kind": "working"},
            "kind",
            "Thứ Ba, 03/03/2026 vốn đã là ngày làm",
        ),
        ("2026-03-03", {"kind": "nghi"}, "kind", "Loại ngày phải là “holiday”"),
        (
            "2026-03-03",
            {"kind": "holiday", "name_vi": " "},
            "name_vi",
            "Tên ngày (tiếng Việt) không",
        ),
        ("2026-03-03", {"kind": "holiday", "name_en": ""}, "name_en", "Tên ngày (tiếng Anh) không"),
    ],
)
async def test_bad_dates_and_kinds_are_refused_in_both_languages(
    person: Person, day: str, body: dict[str, str], field: str, vietnamese: str
) -> None:
    admin, _ = await person("catalogue")
    before = await service.list_year(2026)
    response = await put(admin, day, **{"name_vi": "Thử", "name_en": "Test", **body})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert vietnamese in error["message_vi"] and error["message"] == error["message_vi"]
    assert error["message_en"] and error["message_en"] != error["message_vi"]
    english = await admin.client.put(
        f"{API}/{day}",
        json={"name_vi": "Thử", "name_en": "Test", **body},
        headers={**await admin.headers(), "Accept-Language": "en"},
    )
    assert english.json()["error"]["message"] == error["message_en"]
    assert await service.list_year(2026) == before


async def test_a_year_out_of_range_is_refused(person: Person) -> None:
    admin, _ = await person("catalogue")
    response = await admin.get(API, params={"year": 1800})
    assert response.status_code == 400 and response.json()["error"]["field"] == "year"


async def test_nobody_but_the_catalogue_administrator_reaches_the_calendar(person: Person) -> None:
    body = {"kind": "holiday", "name_vi": "Thử", "name_en": "Test"}
    # An agency's administrator too: the calendar is the province's.
    for role in ("anonymous", "citizen", "reception", "processing", "leader", "admin"):
        browser, _ = await person(role)
        api = 401 if role == "anonymous" else 403
        assert (await browser.get(API, params={"year": 2026})).status_code == api, role
        assert (await put(browser, "2026-03-02", **body)).status_code == api, role
        assert (await browser.delete(f"{API}/2026-02-16")).status_code == api, role
        page = await browser.get(PAGE)
        saved = await post_form(browser, PAGE, {"day": "2026-03-02", **body})
        removed = await post_form(browser, f"{PAGE}/2026-02-16/xoa", {})
        for response in (page, saved, removed):
            if role == "anonymous":
                assert response.status_code == 303, role
                assert response.headers["location"].startswith("/dang-nhap?next=")
            else:
                assert response.status_code == 403, role
    assert await service.is_working_day(D(2026, 3, 2))
    assert not await service.is_working_day(D(2026, 2, 16))


async def test_the_page_lists_adds_changes_and_removes_days(person: Person) -> None:
    admin, admin_id = await person("catalogue")
    page = await admin.get(PAGE, params={"nam": 2026})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = text_of(page)
    assert "Lịch ngày nghỉ, ngày làm bù năm 2026" in text
    assert "16/02/2026" in text and "Tết Nguyên đán (mùng 1)" in text
    assert "Ngày làm bù" in text and 'name="_csrf_token"' in text
    assert "Ngày Văn hóa Việt Nam (24/11) (dự kiến)" in text
    assert 'action="/quan-tri/ngay-nghi/2026-02-16/xoa"' in text
    assert 'href="?nam=2027"' in text

    saved = await post_form(
        admin,
        PAGE,
        {"nam": "2026", "day": "02/03/2026", "kind": "holiday", "name_vi": "Nghỉ thử",
         "name_en": "Test day off"},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{PAGE}?nam=2026&xong=luu&ngay=2026-03-02"
    assert not await service.is_working_day(D(2026, 3, 2))
    shown = text_of(await admin.get(saved.headers["location"]))
    assert "Đã lưu ngày 02/03/2026." in shown and "Nghỉ thử" in shown
    row = next(d for d in await service.list_year(2026) if d.day == D(2026, 3, 2))
    assert row.updated_by == admin_id

    change = text_of(await admin.get(PAGE, params={"nam": 2026, "ngay": "2026-03-02"}))
    assert 'value="2026-03-02"' in change and 'value="Test day off"' in change

    removed = await post_form(admin, f"{PAGE}/2026-03-02/xoa", {})
    assert removed.status_code == 303
    assert "Đã bỏ ngày 02/03/2026 khỏi lịch" in text_of(
        await admin.get(removed.headers["location"])
    )
    assert await service.is_working_day(D(2026, 3, 2))
    again = await post_form(admin, f"{PAGE}/2026-03-02/xoa", {})
    assert again.status_code == 303  # pressed twice: nothing to remove, no error

    empty = text_of(await admin.get(PAGE, params={"nam": 2031}))
    assert "Năm 2031 chưa có ngày nghỉ lễ hay ngày làm bù nào" in empty


async def test_a_refused_form_says_why_and_keeps_the_input(person: Person) -> None:
    admin, _ = await person("catalogue")
    before = await service.list_year(2026)
    fields = {"nam": "2026", "day": "2026-03-08", "kind": "holiday", "name_vi": "Chủ nhật thử",
              "name_en": "Sunday test"}  # fmt: skip
    refused = await post_form(admin, PAGE, fields)
    assert refused.status_code == 422
    text = text_of(refused)
    assert 'role="alert"' in text and 'href="#kind"' in text
    assert "Chủ Nhật, 08/03/2026 vốn đã là ngày nghỉ" in text
    assert 'value="Chủ nhật thử"' in text and 'value="2026-03-08"' in text
    assert "16/02/2026" in text  # the year's table is still there

    bad_day = text_of(await post_form(admin, PAGE, {**fields, "day": "31/02/2026"}))
    assert 'href="#day"' in bad_day and "“31/02/2026” không phải là một ngày có thật" in bad_day

    admin.client.cookies.set("lang", "en")
    try:
        english = text_of(await post_form(admin, PAGE, fields))
        assert "Days off and make-up working days in 2026" in english
        assert "Sunday, 8 Mar 2026 is already a day off" in english
    finally:
        admin.client.cookies.delete("lang")
    assert await service.list_year(2026) == before


async def test_a_form_without_its_csrf_token_is_refused(person: Person) -> None:
    admin, _ = await person("catalogue")
    await admin.headers()
    fields = {"day": "2026-03-02", "kind": "holiday", "name_vi": "Thử", "name_en": "Test"}
    assert (await admin.client.post(PAGE, data=fields)).status_code == 403
    assert (await admin.client.post(f"{PAGE}/2026-02-16/xoa", data={})).status_code == 403
    forged = await admin.client.post(PAGE, data={**fields, "_csrf_token": "forged"})
    assert forged.status_code == 403
    assert await service.is_working_day(D(2026, 3, 2))
    assert not await service.is_working_day(D(2026, 2, 16))


async def test_an_edit_by_another_process_shows_within_a_minute(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(service._cache, "clock", lambda: now[0])
    service._cache.invalidate()
    assert await service.is_working_day(D(2026, 3, 4))
    # Another process writes straight to the table; this one cannot know.
    await WorkdayException.insert(
        WorkdayException(
            day=D(2026, 3, 4),
            kind="holiday",
            name_vi="Từ nơi khác",
            name_en="From elsewhere",
            updated_at=dt.datetime.now(dt.UTC),
        )
    )
    try:
        now[0] += 59
        assert await service.is_working_day(D(2026, 3, 4))
        now[0] += 2
        assert not await service.is_working_day(D(2026, 3, 4))
    finally:
        await service.remove_day(D(2026, 3, 4))


async def test_migrating_again_never_undoes_an_administrators_edit(
    site: Site, person: Person
) -> None:
    admin, _ = await person("catalogue")
    assert (await admin.delete(f"{API}/2026-11-24")).status_code == 204
    renamed = await put(admin, "2027-02-04", kind="holiday", name_vi="Tết (đã xác nhận)",
                        name_en="Tết (confirmed)")  # fmt: skip
    assert renamed.status_code == 200
    assert await site.database.migrate() == []
    days = {d.day: d for d in await service.list_year(2026) + await service.list_year(2027)}
    assert D(2026, 11, 24) not in days
    assert days[D(2027, 2, 4)].name_vi == "Tết (đã xác nhận)"


async def test_every_problem_of_a_day_is_reported_at_once(person: Person) -> None:
    admin, _ = await person("catalogue")
    before = await service.list_year(2026)
    response = await put(admin, "2026-03-08", kind="holiday", name_vi=" ", name_en="x" * 201)
    assert response.status_code == 422, response.text
    problems = response.json()["invalid_params"]
    assert [p["name"] for p in problems] == ["kind", "name_vi", "name_en"]
    assert "dài quá 200 ký tự" in problems[2]["reason_vi"]

    fields = {"nam": "2026", "day": "31/02/2026", "kind": "nghi", "name_vi": "", "name_en": "Test"}
    page = text_of(await post_form(admin, PAGE, fields))
    for field in ("day", "kind", "name_vi"):
        assert f'href="#{field}"' in page and f'id="{field}-error"' in page
    assert 'href="#name_en"' not in page and 'value="Test"' in page
    assert await service.list_year(2026) == before
