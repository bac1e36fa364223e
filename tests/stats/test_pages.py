"""The dashboard pages: a leader sees their own agency and is refused any other, other
officials are refused; charts are inline SVG with their tables; the CSV export; the
public page shows the province's figures and nobody's name. (The province's leaders,
the rows by unit and agency: tests/stats/test_scope.py.)"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.stats import asking, pages, service
from tests.conftest import PUBLIC_URL
from tests.stats.conftest import (
    NOW,
    A,
    B,
    build_world,
    card,
    open_database,
    refresh_all,
    sign_in,
    stats_app,
)
from tests.support.asgi import client_for

LEADERS = "/lanh-dao/thong-ke"
OCTOBER = {"ky": "custom", "tu": "2026-10-01", "den": "2026-10-20"}
NAMES = ("Nguyễn Văn Thống Kê", "Trần Thị Riêng Tư", "STATS-")


@pytest.fixture(scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Litestar]:
    settings, database = await open_database(tmp_path_factory.mktemp("stats_pages"), "stats_pages")
    await build_world()
    await refresh_all()
    yield stats_app(create_app(settings))
    await database.close()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages' clock at the fixture's "now" (20 October 2026)."""
    monkeypatch.setattr(asking, "now", lambda: NOW.astimezone(dt.UTC))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, PUBLIC_URL) as client:
        yield client


async def test_a_leader_sees_their_own_agency(client: httpx.AsyncClient, app: Litestar) -> None:
    await sign_in(client, app, "leader", A)
    response = await client.get(LEADERS, params=OCTOBER)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    html = response.text
    assert "Ủy ban nhân dân phường Hạc Thành" in html
    assert 'name="co_quan"' not in html and 'name="don_vi"' not in html  # nothing to choose
    assert "<tfoot>" not in html  # no rows by unit or agency
    assert card(html, "Hồ sơ tiếp nhận") == "7"  # A's, not B's 4
    assert card(html, "Giải quyết đúng hạn") == "60,0%"
    assert card(html, "Đang quá hạn (hiện tại)") == "2"
    assert card(html, "Tỷ lệ hồ sơ trực tuyến") == "42,9%"
    assert card(html, "Thời gian giải quyết trung bình") == "2,0 ngày"
    # Charts: inline SVG named by its title and description, a caption, a table.
    assert html.count('role="img"') == 2
    assert '<title id="received-title">' in html and '<desc id="on-time-desc">' in html
    assert html.count("<figcaption") == 2 and html.count("<table") == 2
    assert "style=" not in html  # the CSP allows no inline style
    # Each formula is on the page.
    assert "Tỷ lệ hài lòng trong tiếp nhận, giải quyết thủ tục hành chính" in html
    assert "Số hóa hồ sơ" in html and "Không tính được" in html
    for name in NAMES:
        assert name not in html


async def test_other_officials_and_residents_are_refused(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    assert (await client.get(LEADERS)).status_code == 303  # to the sign-in page
    # An agency's administrator and the province's catalogue administrator are no
    # leaders: they do not see the dashboard, not even the one of their own agency.
    for role in ("processing", "reception", "admin", "catalogue"):
        await sign_in(client, app, role)
        assert (await client.get(LEADERS)).status_code == 403, role
        assert (await client.get(LEADERS + ".csv")).status_code == 403, role
        assert (await client.get("/api/stats")).status_code == 403, role
    await sign_in(client, app, None)
    assert (await client.get(LEADERS)).status_code == 403


async def test_another_agency_is_refused_not_swapped_for_ones_own(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    await sign_in(client, app, "leader", A)
    for params in ({"co_quan": B}, {"co_quan": "999.99.99.H56"}, {"don_vi": "14797"}):
        response = await client.get(LEADERS, params={**OCTOBER, **params})
        assert response.status_code == 403, params
        assert "Bạn chỉ xem được số liệu của cơ quan mình." in response.text
        assert "Hồ sơ tiếp nhận" not in response.text
    assert (await client.get(LEADERS, params={**OCTOBER, "co_quan": A})).status_code == 200


async def test_a_wrong_period_is_named(client: httpx.AsyncClient, app: Litestar) -> None:
    await sign_in(client, app, "leader", A)
    response = await client.get(
        LEADERS, params={"ky": "custom", "tu": "2026-10-20", "den": "1/10/2026"}
    )
    assert response.status_code == 422
    assert "Ngày kết thúc phải sau ngày bắt đầu." in response.text
    assert 'value="1/10/2026"' in response.text  # what was typed stays
    # The message is also next to its field, which points to it.
    assert 'id="end-error"' in response.text and 'aria-describedby="end-error"' in response.text
    missing = await client.get(LEADERS, params={"ky": "custom", "tu": "", "den": "x"})
    assert 'href="#start"' in missing.text and 'href="#end"' in missing.text


async def test_a_long_period_is_charted_by_coarser_steps(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    await sign_in(client, app, "leader", A)
    params = {"ky": "custom", "tu": "2026-01-01", "den": "2026-10-20", "buoc": "day"}
    html = (await client.get(LEADERS, params=params)).text
    assert "biểu đồ được gộp theo từng tuần" in html
    assert '<option value="week" selected>' in html
    yearly = (await client.get(LEADERS, params={"ky": "year"})).text
    assert card(yearly, "Hồ sơ tiếp nhận") == "7"


async def test_the_csv_export(client: httpx.AsyncClient, app: Litestar) -> None:
    await sign_in(client, app, "leader", A)
    response = await client.get(LEADERS + ".csv", params={**OCTOBER, "buoc": "week"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Từ ngày",
        "Đến ngày",
        "Phạm vi",
        "Mã",
        "Tên",
        "Mã chỉ số",
        "Chỉ số",
        "Giá trị",
    ]
    name = "Ủy ban nhân dân phường Hạc Thành"
    week = ["2026-10-05", "2026-10-11", "Cơ quan", A, name]
    assert [*week, "received", "Hồ sơ tiếp nhận", "6"] in rows
    assert [*week, "ratings.count", "Lượt đánh giá", "4"] in rows
    assert len(rows) == 1 + 4 * len(service.METRICS)
    # The tables of a page a leader of one agency has not: none to export.
    assert (await client.get(LEADERS + ".csv", params={"bang": "co_quan"})).status_code == 404
    client.cookies.set("lang", "en")
    english = await client.get(LEADERS + ".csv", params=OCTOBER)
    lines = english.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "From,To,Scope,Code,Name,Metric,Label,Value"
    name = "Hac Thanh Ward People's Committee"
    assert lines[1].startswith(f"2026-10-01,2026-10-01,Agency,{A},{name},")


async def test_the_page_in_english(client: httpx.AsyncClient, app: Litestar) -> None:
    await sign_in(client, app, "leader", A)
    client.cookies.set("lang", "en")
    html = (await client.get(LEADERS, params=OCTOBER)).text
    assert card(html, "Dossiers received") == "7"
    assert card(html, "Resolved on time") == "60.0%"
    assert "Satisfaction with receiving and processing dossiers" in html


async def test_the_public_page_shows_the_province(client: httpx.AsyncClient) -> None:
    response = await client.get("/thong-ke")
    assert response.status_code == 200
    assert response.headers["cache-control"] == f"public, max-age={pages.PUBLIC_MAX_AGE}"
    html = response.text
    assert "Thống kê dịch vụ công của tỉnh" in html
    # The last 30 days (21 September to 20 October) and the year: both hold October.
    assert html.count('<span class="stat-name">Hồ sơ tiếp nhận</span>') == 2
    assert card(html, "Hồ sơ tiếp nhận") == "11"
    assert html.split("Từ đầu năm")[1].count(">12<") >= 1  # June's dossier too
    assert 'role="img"' in html and "<table" in html
    assert "style=" not in html
    for name in NAMES:
        assert name not in html
