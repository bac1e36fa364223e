"""Figures by agency, by commune or ward, and the province's: who sees which (the page,
its CSV exports, the API), and that the rows add up.

The fixture of tests/stats/conftest.py, plus: a dossier at the police of phường Hạc
Thành (P, the same ward as A) still in progress and overdue, one at the provincial
Department of Justice (D), and one received at xã Nga An (B) that A resolved (T) and
its applicant rated through the feedback service, with two counter visits rated the
same way (at A's counter and at the provincial centre's). In October 1-20:

| row | received | resolved | ratings (satisfied) | overdue now |
| --- | --- | --- | --- | --- |
| Hạc Thành: A + P | 7 + 1 | 6 + 0 | 6 (5) + 0 | 2 + 1 |
| Nga An: B | 5 | 2 | 1 (0) | 0 |
| the province's agencies: D, the centre | 1 + 0 | 1 + 0 | 0 + 1 (1) | 0 |
| the province | 14 | 9 | 8 (6) | 3 |
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.app import create_app
from backend.catalogue import service as catalogue
from backend.errors import Forbidden, InvalidInput
from backend.feedback import service as feedback
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import CounterRatingIn, RatingIn
from backend.feedback.service import visits
from backend.stats import asking, service
from backend.stats.schemas import Line
from tests.conftest import PUBLIC_URL
from tests.stats.conftest import (
    FULL_A,
    FULL_B,
    NOW,
    A,
    B,
    account,
    build_world,
    card,
    d,
    dossier,
    open_database,
    refresh_all,
    sign_in,
    stats_app,
    vn,
)
from tests.support.asgi import client_for

CENTRE = "000.00.01.H56"  # Trung tâm Phục vụ hành chính công tỉnh: sees the province
D = "000.00.12.H56"  # Sở Tư pháp
P = "000.04.40.H56"  # Công an phường Hạc Thành
HAC_THANH, NGA_AN, PROVINCE_UNIT = "14797", "14824", "38"
LEADERS = "/lanh-dao/thong-ke"
OCTOBER = {"ky": "custom", "tu": "2026-10-01", "den": "2026-10-20"}
API_OCTOBER = {"period": "custom", "start": "2026-10-01", "end": "2026-10-20"}
TODAY = dt.date(2026, 10, 20)


@dataclass
class Scoped:
    app: Litestar
    transferred: int  # T's id


@pytest.fixture(scope="module")
async def scoped(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scoped]:
    settings, database = await open_database(tmp_path_factory.mktemp("stats_scope"), "scope")
    await build_world()
    await dossier(FULL_A, P, "counter", "processing", vn(7, 9), d(9))
    await dossier(FULL_B, D, "online", "returned", vn(8, 9), d(12), vn(9, 10))
    citizen = await account(None, None)
    transferred = await dossier(
        FULL_B, B, "counter", "returned", vn(9, 9), d(14), vn(12, 9), handled_by=A, owner=citizen
    )
    app = stats_app(create_app(settings))
    runtime: FeedbackRuntime = app.state["feedback"]
    runtime.now = lambda: vn(13, 10).astimezone(dt.UTC)
    resident = Principal(
        account_id=citizen,
        kind="citizen",
        name="Người nộp",
        role=None,
        agency_code=None,
        session_id="stats-scope",
    )
    await feedback.rate_dossier(runtime, resident, transferred, RatingIn(overall=5))
    for agency, number, stars in ((A, 1, 4), (CENTRE, 2, 5)):
        token = catalogue.counter_token(
            runtime.secret_key, runtime.counter_key_version, agency, number
        )
        # The code the counter's screen shows then: the proof of the visit (issue 15).
        step = visits.step_of(runtime, runtime.now())
        code = visits.code_at(runtime.secret_key, runtime.counter_key_version, agency, number, step)
        await feedback.rate_counter(
            runtime,
            app.state["accounts"].limiter,
            token,
            "stats-device",
            "192.0.2.1",
            CounterRatingIn(overall=stars, visit_code=code),  # type: ignore[arg-type]
        )
    await refresh_all()
    yield Scoped(app, transferred)
    await database.close()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asking, "now", lambda: NOW.astimezone(dt.UTC))


@pytest.fixture
async def client(scoped: Scoped) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(scoped.app, PUBLIC_URL) as client:
        yield client


def rows_of(html: str, table: str) -> dict[str, tuple[str | None, list[str]]]:
    """A table's rows (not its total) by their heading: the heading's link (or None)
    and the cells."""
    body = re.search(rf'<table class="stat-table" id="{table}">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, table
    found: dict[str, tuple[str | None, list[str]]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        heading = re.search(r'<th scope="row">(?:<a href="([^"]*)">)?([^<]*)', row)
        if heading:
            link = heading.group(1).replace("&amp;", "&") if heading.group(1) else None
            found[heading.group(2)] = (link, re.findall(r"<td[^>]*>([^<]*)</td>", row))
    return found


# ---------------------------------------------------------------------- the rule


async def test_who_sees_what(scoped: Scoped) -> None:
    province = await service.province_now()
    # A commune's leader: their agency, and nothing else, not even their own ward.
    mine = service.choose(service.PeriodQuery(), own_agency=A, province=province, today=TODAY)
    assert (mine.subject.kind, mine.subject.code) == ("agency", A)
    for asked in ({"agency": B}, {"unit": NGA_AN}, {"unit": HAC_THANH}, {"agency": "x"}):
        with pytest.raises(Forbidden):
            service.choose(
                service.PeriodQuery(**asked), own_agency=A, province=province, today=TODAY
            )
    # A provincial department's leader: their department.
    department = service.choose(service.PeriodQuery(), own_agency=D, province=province, today=TODAY)
    assert department.subject.code == D
    with pytest.raises(Forbidden):
        service.choose(
            service.PeriodQuery(unit=PROVINCE_UNIT), own_agency=D, province=province, today=TODAY
        )
    # The provincial centre's leader: the province, any unit, any agency.
    whole = service.choose(service.PeriodQuery(), own_agency=CENTRE, province=province, today=TODAY)
    assert (whole.subject.kind, whole.subject.code) == ("province", "*")
    assert set(whole.subject.agencies) == set(await catalogue.agency_codes())
    ward = service.choose(
        service.PeriodQuery(unit=HAC_THANH), own_agency=CENTRE, province=province, today=TODAY
    )
    assert (ward.subject.kind, ward.subject.agencies) == ("unit", (A, P))
    assert ward.subject.name_vi == "Phường Hạc Thành"
    assert ward.as_query().unit == HAC_THANH
    other = service.choose(
        service.PeriodQuery(agency=B), own_agency=CENTRE, province=province, today=TODAY
    )
    assert (other.subject.kind, other.subject.unit_code) == ("agency", NGA_AN)


async def test_every_wrong_field_is_named_at_once(scoped: Scoped) -> None:
    province = await service.province_now()
    query = service.PeriodQuery(
        agency="999.99.99.H56", unit="99999", period="custom", start="", end="x"
    )
    with pytest.raises(InvalidInput) as refused:
        service.choose(query, own_agency=CENTRE, province=province, today=TODAY)
    assert [p.field for p in refused.value.problems] == ["agency", "unit", "start", "end"]
    elsewhere = service.PeriodQuery(agency=B, unit=HAC_THANH)
    with pytest.raises(InvalidInput) as mismatch:
        service.choose(elsewhere, own_agency=CENTRE, province=province, today=TODAY)
    assert mismatch.value.field == "agency"
    assert "không thuộc xã, phường đã chọn" in mismatch.value.message("vi")


async def test_the_period_form_chooses(scoped: Scoped) -> None:
    province = await service.province_now()
    # An unknown period is 30 days.
    leader = service.choose(
        service.PeriodQuery(period="zzz"), own_agency=A, province=province, today=TODAY
    )
    assert (leader.start, leader.end, leader.step) == (d(21, 9), TODAY, "day")
    # Ten months by day would be too many bars: by week, and it says so.
    long = service.choose(
        service.PeriodQuery(period="custom", start="01/01/2026", end="2026-10-20", step="day"),
        own_agency=CENTRE,
        province=province,
        today=TODAY,
    )
    assert (long.start, long.step, long.step_changed) == (dt.date(2026, 1, 1), "week", True)
    assert long.as_query().start == "2026-01-01"


# ---------------------------------------------------------------------- the rows


async def test_rows_by_unit_and_agency_add_up_to_the_province(scoped: Scoped) -> None:
    province = await service.province_now()
    whole = province.whole()
    figures = await service.figures(whole, d(1), d(20), NOW)
    split = await service.breakdown(whole, province, d(1), d(20), NOW)
    units = {line.subject.code: line for line in split.units}
    agencies = {line.subject.code: line for line in split.agencies}
    assert figures.count("received") == 14 and figures.overdue_now == 3
    # Every unit of the catalogue has its row, the province's departments one more.
    assert set(units) == {unit.code for unit in await catalogue.list_units()}
    assert set(agencies) == set(await catalogue.agency_codes())
    assert units[PROVINCE_UNIT].subject.name_vi == "Các cơ quan cấp tỉnh"
    # Dossiers received at two communes' agencies are in their own rows.
    assert (units[HAC_THANH].received, units[NGA_AN].received) == (8, 5)
    assert (agencies[A].received, agencies[P].received, agencies[B].received) == (7, 1, 5)
    assert units[PROVINCE_UNIT].received == agencies[D].received == 1
    assert units[HAC_THANH].overdue_now == 3 and agencies[P].overdue_now == 1
    # Ratings count at the dossier's handling agency (T: received at B, resolved and
    # rated at A), a counter's at the counter's agency.
    assert agencies[A].totals["ratings.count"] == 6
    assert agencies[A].totals["ratings.dossier"] == 2
    assert agencies[B].totals["ratings.count"] == 1
    assert agencies[CENTRE].totals["ratings.counter"] == 1
    assert units[HAC_THANH].satisfaction.numerator == 5
    assert units[PROVINCE_UNIT].satisfaction.denominator == 1
    # The rows add up to the province, metric by metric, and so do the live counts.
    for rows in (split.units, split.agencies):
        for metric, total in figures.totals.items():
            assert sum(line.totals.get(metric, 0) for line in rows) == total, metric
        assert sum(line.overdue_now for line in rows) == figures.overdue_now
        assert sum(line.feedback_overdue_now for line in rows) == figures.feedback_overdue_now
    # A unit's own figures are its agencies' together, and its rows are theirs.
    ward = province.of_unit(HAC_THANH)
    assert ward is not None
    ward_figures = await service.figures(ward, d(1), d(20), NOW)
    assert Line.of_figures(ward_figures).totals == units[HAC_THANH].totals
    assert ward_figures.overdue_now == 3
    assert ward_figures.procedures_online.denominator >= 1
    inside = await service.breakdown(ward, province, d(1), d(20), NOW)
    assert inside.units == [] and [line.subject.code for line in inside.agencies] == [P, A]
    by_unit = await service.series(ward, d(1), d(20), "week")
    assert sum(bucket.count("received") for bucket in by_unit.buckets) == 8


async def test_an_agency_gone_from_the_catalogue_still_counts_in_a_row(scoped: Scoped) -> None:
    # The figures hold B's history; a catalogue without B (here: left out of the list)
    # puts it in the row of no known unit, so the rows still add up.
    province = await service.province_now()
    without_b = service.Province(
        province.units, [agency for agency in province.agencies if agency.code != B]
    )
    split = await service.breakdown(without_b.whole(), without_b, d(1), d(20), NOW)
    last = split.units[-1]
    assert (last.subject.code, last.subject.agencies, last.received) == ("", (B,), 5)
    assert last.subject.name_vi == "Chưa gắn đơn vị hành chính"
    assert sum(line.received for line in split.units) == 14
    assert split.agencies[-1].subject.name_vi == B  # by its code


# ---------------------------------------------------------------------- the page


async def test_the_province_leader_sees_every_commune_and_agency(
    client: httpx.AsyncClient, scoped: Scoped
) -> None:
    await sign_in(client, scoped.app, "leader", CENTRE)
    html = (await client.get(LEADERS, params=OCTOBER)).text
    assert "style=" not in html  # the CSP allows no inline style
    assert "Thống kê: Toàn tỉnh" in html
    assert card(html, "Hồ sơ tiếp nhận") == "14"
    assert 'name="don_vi"' in html and 'name="co_quan"' in html
    units = rows_of(html, "by-unit")
    agencies = rows_of(html, "by-agency")
    link, cells = units["Phường Hạc Thành"]
    assert cells[:3] == ["8", "37,5%", "6"] and cells[4] == "3"  # online: 3 of 8
    assert units["Xã Nga An"][1][0] == "5"
    assert units["Các cơ quan cấp tỉnh"][1][0] == "1"
    assert sum(int(cells[0]) for _, cells in units.values()) == 14
    assert sum(int(cells[1]) for _, cells in agencies.values()) == 14  # after the unit column
    assert agencies["Công an phường Hạc Thành"][1][:2] == ["Phường Hạc Thành", "1"]
    total = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S)
    assert total and "Cộng: Toàn tỉnh" in total.group(1) and "<td>14</td>" in total.group(1)
    # Each row links to its own page, for the same days.
    assert link is not None and f"don_vi={HAC_THANH}" in link and "tu=2026-10-01" in link
    ward = (await client.get(link)).text
    assert "Thống kê: Phường Hạc Thành" in ward
    assert card(ward, "Hồ sơ tiếp nhận") == "8"
    assert card(ward, "Đang quá hạn (hiện tại)") == "3"
    assert 'id="by-unit"' not in ward
    inside = rows_of(ward, "by-agency")
    assert set(inside) == {"Ủy ban nhân dân phường Hạc Thành", "Công an phường Hạc Thành"}
    agency_link = inside["Công an phường Hạc Thành"][0]
    assert agency_link is not None and f"co_quan={P}" in agency_link
    police = (await client.get(agency_link)).text
    assert card(police, "Hồ sơ tiếp nhận") == "1"
    assert 'href="/lanh-dao/thong-ke?ky=custom' in police  # back to the province
    assert f"don_vi={HAC_THANH}" in police  # and to the ward
    for name in ("Nguyễn Văn Thống Kê", "Người nộp", "STATS-"):
        assert name not in html + ward + police


async def test_a_wrong_choice_of_the_province_leader_is_named(
    client: httpx.AsyncClient, scoped: Scoped
) -> None:
    await sign_in(client, scoped.app, "leader", CENTRE)
    unknown = await client.get(LEADERS, params={**OCTOBER, "don_vi": "99999"})
    assert unknown.status_code == 422
    assert 'href="#unit"' in unknown.text and "Hãy chọn một xã, phường" in unknown.text
    mismatch = await client.get(LEADERS, params={**OCTOBER, "don_vi": HAC_THANH, "co_quan": B})
    assert mismatch.status_code == 422 and 'href="#agency"' in mismatch.text
    client.cookies.set("lang", "en")
    english = await client.get(LEADERS, params={**OCTOBER, "don_vi": "99999"})
    assert "Choose a commune or ward from the list." in english.text


async def test_a_commune_leader_cannot_see_another_commune(
    client: httpx.AsyncClient, scoped: Scoped
) -> None:
    await sign_in(client, scoped.app, "leader", B)
    own = (await client.get(LEADERS, params=OCTOBER)).text
    assert "Thống kê: Ủy ban nhân dân xã Nga An" in own
    assert card(own, "Hồ sơ tiếp nhận") == "5"
    assert 'id="by-unit"' not in own and 'id="by-agency"' not in own
    assert 'name="don_vi"' not in own
    for asked in ({"co_quan": A}, {"don_vi": HAC_THANH}, {"don_vi": NGA_AN}, {"co_quan": P}):
        page = await client.get(LEADERS, params={**OCTOBER, **asked})
        assert page.status_code == 403, asked
        export = await client.get(LEADERS + ".csv", params={**OCTOBER, **asked})
        assert export.status_code == 403, asked
        assert "received" not in export.text
    for table in ("don_vi", "co_quan", "zzz"):
        export = await client.get(LEADERS + ".csv", params={**OCTOBER, "bang": table})
        assert export.status_code == 404, table
    # A department's leader: their department, not the province.
    await sign_in(client, scoped.app, "leader", D)
    department = (await client.get(LEADERS, params=OCTOBER)).text
    assert card(department, "Hồ sơ tiếp nhận") == "1" and 'id="by-unit"' not in department
    assert (await client.get(LEADERS, params={"don_vi": PROVINCE_UNIT})).status_code == 403


# ---------------------------------------------------------------------- the CSV


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


async def test_the_csv_exports_follow_the_page(client: httpx.AsyncClient, scoped: Scoped) -> None:
    await sign_in(client, scoped.app, "leader", CENTRE)
    by_unit = await client.get(LEADERS + ".csv", params={**OCTOBER, "bang": "don_vi"})
    assert "theo-don-vi" in by_unit.headers["content-disposition"]
    rows = csv_rows(by_unit)
    received = {row[3]: int(row[7]) for row in rows if row[5] == "received"}
    assert (received[HAC_THANH], received[NGA_AN], received[PROVINCE_UNIT]) == (8, 5, 1)
    assert sum(received.values()) == 14
    assert {row[2] for row in rows} == {"Đơn vị hành chính"}
    assert all(row[:2] == ["2026-10-01", "2026-10-20"] for row in rows)
    # Every metric of the rows adds up to the province's (its export a day at a time).
    province = csv_rows(await client.get(LEADERS + ".csv", params=OCTOBER))
    assert {row[3] for row in province} == {"*"}
    for metric in service.METRICS:
        units_sum = sum(int(row[7]) for row in rows if row[5] == metric)
        days_sum = sum(int(row[7]) for row in province if row[5] == metric)
        assert units_sum == days_sum, metric
    ward = await client.get(
        LEADERS + ".csv", params={**OCTOBER, "don_vi": HAC_THANH, "bang": "co_quan"}
    )
    ward_rows = csv_rows(ward)
    assert {row[3] for row in ward_rows} == {A, P}
    assert {row[2] for row in ward_rows} == {"Cơ quan"}
    ward_days = csv_rows(await client.get(LEADERS + ".csv", params={**OCTOBER, "don_vi": NGA_AN}))
    assert {(row[2], row[3], row[4]) for row in ward_days} == {
        ("Đơn vị hành chính", NGA_AN, "Xã Nga An")
    }
    assert sum(int(row[7]) for row in ward_days if row[5] == "received") == 5
    # A unit's page has no table by unit.
    assert (
        await client.get(LEADERS + ".csv", params={"don_vi": NGA_AN, "bang": "don_vi"})
    ).status_code == 404


# ---------------------------------------------------------------------- the API


async def test_the_api_gives_the_same_figures_within_the_same_scope(
    client: httpx.AsyncClient, scoped: Scoped
) -> None:
    await sign_in(client, scoped.app, "leader", CENTRE)
    response = await client.get("/api/stats", params=API_OCTOBER)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    body = response.json()
    assert body["subject"]["kind"] == "province" and body["total"]["received"] == 14
    assert body["total"]["on_time"]["denominator"] == 9
    assert body["total"]["satisfaction"] == {"numerator": 6, "denominator": 8}
    units = {line["subject"]["code"]: line for line in body["units"]}
    assert (units[HAC_THANH]["received"], units[NGA_AN]["received"]) == (8, 5)
    assert sum(line["received"] for line in body["units"]) == 14
    assert sum(line["overdue_now"] for line in body["agencies"]) == body["total"]["overdue_now"]
    ward = (await client.get("/api/stats", params={**API_OCTOBER, "unit": HAC_THANH})).json()
    assert ward["total"]["received"] == 8 and ward["units"] == []
    assert {line["subject"]["code"] for line in ward["agencies"]} == {A, P}
    b = (await client.get("/api/stats", params={**API_OCTOBER, "agency": B})).json()
    assert b["total"]["received"] == 5 and b["total"]["totals"]["ratings.count"] == 1
    wrong = await client.get("/api/stats", params={"unit": "99999", "start": "x"})
    assert wrong.status_code == 422
    assert [p["name"] for p in wrong.json()["invalid_params"]] == ["unit"]
    # A commune's leader: their own agency, and a 403 for anything else.
    await sign_in(client, scoped.app, "leader", A)
    own = (await client.get("/api/stats", params=API_OCTOBER)).json()
    assert own["subject"]["code"] == A and own["units"] == own["agencies"] == []
    assert own["total"]["totals"]["ratings.count"] == 6
    for asked in ({"agency": B}, {"unit": NGA_AN}, {"unit": HAC_THANH}):
        refused = await client.get("/api/stats", params={**API_OCTOBER, **asked})
        assert refused.status_code == 403, asked
        assert refused.json()["error"]["message_en"] == (
            "You can only see the figures of your own agency."
        )
    # Nobody signed in: 401, not a redirect.
    client.cookies.clear()
    assert (await client.get("/api/stats")).status_code == 401
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["paths"]["/api/stats"]["get"]["operationId"] == "statsOverview"
