"""Integer path and query parameters are bounded on every route: an id no database
column can hold is a 404 (an object that cannot exist), a query number out of range a
400 naming the parameter, never a 500 with a traceback in the log."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from backend.accounts import service as accounts
from backend.accounts.schemas import StaffCreate
from backend.app import create_app
from backend.db import Database
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import AGENCY, Browser, enrol, new_browser
from tests.support.asgi import lifespan

TOO_BIG = 2**63
ID_MAX = 2**31 - 1  # our ids are PostgreSQL SERIAL columns
_INT_PARAM = re.compile(r"\{(\w+):int\}")
_PARAM = re.compile(r"\{(\w+):(\w+)\}")


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
async def bounds_app(settings: Settings, database: Database) -> AsyncIterator[Litestar]:
    app = create_app(fast_settings(settings))
    async with lifespan(app):
        yield app


@pytest.fixture(scope="module")
async def people(bounds_app: Litestar) -> AsyncIterator[dict[str, Browser]]:
    """A resident and an official of each role: each reaches different handlers."""
    browsers: dict[str, Browser] = {}
    citizen = await new_browser(bounds_app)
    await citizen.sign_up(full_name="Trần Thị Hoa")
    browsers["citizen"] = citizen
    for role in ("reception", "processing", "leader", "admin", "catalogue"):
        created = await accounts.create_staff(
            bounds_app.state["accounts"],
            StaffCreate(full_name=f"Cán bộ {role}", role=role, agency_code=AGENCY),  # type: ignore[arg-type]
        )
        browser = await new_browser(bounds_app)
        assert (await enrol(browser, created.enrolment.url)).status_code == 201
        browsers[role] = browser
    yield browsers
    for browser in browsers.values():
        await browser.close()


def int_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path template) of the app's route table with an integer in its path."""
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and _INT_PARAM.search(route.path):
            found.extend((method, route.path) for method in sorted(route.methods - {"OPTIONS"}))
    return found


def address(template: str, value: int) -> str:
    """The path with ``value`` for every integer and a plausible word for the rest."""

    def fill(match: re.Match[str]) -> str:
        return str(value) if match.group(2) == "int" else "x"

    return _PARAM.sub(fill, template)


async def call(browser: Browser, method: str, url: str) -> int:
    if method in {"GET", "HEAD"}:
        response = await browser.client.request(method, url)
    else:
        response = await browser.client.request(
            method, url, headers=await browser.headers(), data={}
        )
    return response.status_code


async def test_every_route_answers_404_for_an_id_no_column_can_hold(
    bounds_app: Litestar, people: dict[str, Browser]
) -> None:
    routes = int_routes(bounds_app)
    assert len(routes) > 60  # the walk covers the whole table, API and pages
    errors = Errors()
    logging.getLogger("motcua").addHandler(errors)
    answers: dict[tuple[str, str, str, int], int] = {}
    try:
        for who, browser in people.items():
            for method, template in routes:
                for value in (ID_MAX + 1, TOO_BIG, 10**30, -TOO_BIG - 1):
                    url = address(template, value)
                    answers[(who, method, url, value)] = await call(browser, method, url)
    finally:
        logging.getLogger("motcua").removeHandler(errors)
    not_found = {key: status for key, status in answers.items() if status != 404}
    assert not_found == {}
    assert [record.getMessage() for record in errors.records] == []


async def test_zero_is_not_an_id_but_the_counter_zero_is_a_counter(
    bounds_app: Litestar, people: dict[str, Browser]
) -> None:
    citizen, admin = people["citizen"], people["admin"]
    assert (await citizen.get("/api/dossiers/0")).status_code == 404
    assert (await citizen.get("/api/dossiers/-1")).status_code == 404
    # The counter numbers of an agency start at 0 (the handler says so): in range.
    response = await admin.get(f"/api/admin/agencies/{AGENCY}/counters/0")
    assert response.status_code != 500
    too_big = await admin.get(f"/api/admin/agencies/{AGENCY}/counters/1000001")
    assert too_big.status_code == 404


async def test_a_page_with_an_impossible_id_is_the_404_page(people: dict[str, Browser]) -> None:
    citizen = people["citizen"]
    for lang, words in (("vi", "Không tìm thấy"), ("en", "could not find")):
        response = await citizen.get(f"/ho-so/{TOO_BIG}", headers={"Accept-Language": lang})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert words.lower() in response.text.lower()


async def test_a_query_number_out_of_range_names_its_parameter(
    people: dict[str, Browser],
) -> None:
    citizen, catalogue = people["citizen"], people["catalogue"]
    response = await citizen.get(
        f"/api/dossiers/1/forms/01?event={TOO_BIG}", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    body = response.json()
    assert [p["name"] for p in body["invalid_params"]] == ["event"]
    assert body["invalid_params"][0]["reason_en"] == (
        f"“event” must be a whole number from 1 to {ID_MAX}."
    )
    assert body["invalid_params"][0]["reason_vi"] == (
        f"“event” phải là số nguyên từ 1 đến {ID_MAX}."
    )
    for year in (str(TOO_BIG), "99999", "-1"):
        response = await catalogue.get(f"/api/admin/workdays?year={year}")
        assert response.status_code == 400, (year, response.text)
        assert response.json()["error"]["field"] == "year"
    # A page's query number too: the error page, not a 500.
    response = await people["reception"].get(f"/can-bo/ho-so/1?su-kien={TOO_BIG}")
    assert response.status_code != 500
