"""The notification pages without JavaScript: the inbox (newest first, unread marked,
a notice opened through its link is read and leads to its dossier, "mark all as read"),
the settings form (a checkbox per kind; unknown kinds refused), the header's count,
the receipt's offer, and who may see what (someone else's notice is "not found";
nobody signed in goes to the sign-in page)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.notifications import service
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.tables import Notice
from tests.accounts.helpers import Browser, new_browser
from tests.dossiers.conftest import PersonFactory, submitted


@dataclass
class Person:
    browser: Browser
    principal: Principal


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


@pytest.fixture
def notify(dossiers_app: Litestar) -> NotificationsRuntime:
    runtime: NotificationsRuntime = dossiers_app.state["notifications"]
    return runtime


async def citizen(app: Litestar, browsers: list[Browser], name: str = "Lê Thị Thu") -> Person:
    """A resident signed up through the API, with the browser's session and CSRF cookie."""
    browser = await new_browser(app)
    browsers.append(browser)
    result = await browser.sign_up(full_name=name)
    await browser.headers()
    principal = Principal(
        account_id=int(result["account"]["id"]),
        kind="citizen",
        name=name,
        role=None,
        agency_code=None,
        session_id="test",
    )
    return Person(browser, principal)


async def act(runtime: DossiersRuntime, who: Principal, dossier_id: int, action: str) -> None:
    current = await dossiers.get_dossier(runtime, who, dossier_id)
    await dossiers.act(runtime, who, dossier_id, ActionIn(action=action, version=current.version))


async def received_dossier(
    runtime: DossiersRuntime, notify: NotificationsRuntime, people: PersonFactory, person: Person
) -> DossierRead:
    """A dossier submitted by ``person`` and received at the counter: the outbox message
    the reception writes becomes a notice in the person's inbox (the worker's fan-out)."""
    dossier = await submitted(runtime, person.principal)
    await act(runtime, await people("staff", "reception"), dossier.id, "receive")
    while await service.fan_out(notify):
        continue
    return dossier


async def send(browser: Browser, url: str, data: list[tuple[str, str]]) -> httpx.Response:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    token = browser.client.cookies["csrftoken"]
    return await browser.client.post(
        url,
        content=urlencode([("_csrf_token", token), *data]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline handler"


def notice_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/thong-bao/(\d+)"', html)]


def header_count(html: str) -> str | None:
    """The unread count shown next to "Thông báo" in the header, None when hidden."""
    found = re.search(r'<span id="unread-count"([^>]*)>.*?id="unread-number">(\d+)<', html, re.S)
    assert found, "no unread count in the header"
    return None if "hidden" in found.group(1) else found.group(2)


async def test_the_inbox_lists_notices_newest_first_and_opening_one_reads_it(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    first = await received_dossier(runtime, notify, people, person)
    second = await received_dossier(runtime, notify, people, person)

    response = await person.browser.get("/thong-bao")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert_no_inline_code(html)
    ids = notice_links(html)
    assert len(ids) == 2 and ids == sorted(ids, reverse=True), "newest first"
    assert html.index(str(second.code)) < html.index(str(first.code))
    assert html.count('class="notice-line unread"') == 2
    assert "Hồ sơ đã được tiếp nhận" in html
    assert "Bạn có 2 thông báo chưa đọc." in html
    assert header_count(html) == "2"
    assert 'action="/thong-bao/doc-het"' in html

    # Opening the older one: read, and on to its dossier.
    opened = await person.browser.get(f"/thong-bao/{ids[1]}")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/ho-so/{first.id}"
    html = (await person.browser.get("/thong-bao")).text
    assert html.count('class="notice-line unread"') == 1
    assert "Bạn có 1 thông báo chưa đọc." in html
    assert header_count(html) == "1"
    # Opening it again changes nothing and still leads there.
    again = await person.browser.get(f"/thong-bao/{ids[1]}")
    assert again.headers["location"] == f"/ho-so/{first.id}"
    assert await service.unread_count(person.principal.account_id) == 1


async def test_mark_all_as_read(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    await received_dossier(runtime, notify, people, person)
    await received_dossier(runtime, notify, people, person)

    # Without the CSRF token the form is refused.
    forged = await person.browser.client.post("/thong-bao/doc-het", data={})
    assert forged.status_code == 403
    assert await service.unread_count(person.principal.account_id) == 2
    count = await person.browser.get("/api/notices/unread")
    assert count.json() == {"unread": 2}

    response = await send(person.browser, "/thong-bao/doc-het", [])
    assert response.status_code == 303 and response.headers["location"] == "/thong-bao?xong=doc-het"
    html = (await person.browser.get(response.headers["location"])).text
    assert "Đã đánh dấu tất cả thông báo là đã đọc." in html
    assert "Bạn đã đọc hết thông báo." in html
    assert 'class="notice-line unread"' not in html
    assert 'action="/thong-bao/doc-het"' not in html, "nothing left to mark"
    assert header_count(html) is None
    assert await service.unread_count(person.principal.account_id) == 0
    assert (await person.browser.get("/api/notices/unread")).json() == {"unread": 0}


async def test_an_empty_inbox_in_english(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    response = await person.browser.get("/thong-bao", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "No notices yet." in response.text
    assert ">Notices<" in response.text  # the header's link, in English


async def test_someone_elses_notice_is_not_found(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    owner = await citizen(dossiers_app, open_browsers, "Chủ Hồ Sơ")
    stranger = await citizen(dossiers_app, open_browsers, "Người Lạ")
    await received_dossier(runtime, notify, people, owner)
    [notice_id] = notice_links((await owner.browser.get("/thong-bao")).text)

    response = await stranger.browser.get(f"/thong-bao/{notice_id}")
    assert response.status_code == 404
    assert "location" not in response.headers
    assert notice_links((await stranger.browser.get("/thong-bao")).text) == []
    unread = await Notice.select(Notice.read_at).where(Notice.id == notice_id)
    assert unread[0]["read_at"] is None, "the stranger's visit read the owner's notice"
    assert (await stranger.browser.get("/thong-bao/999999999")).status_code == 404


async def test_signed_out_people_are_sent_to_sign_in(dossiers_app: Litestar) -> None:
    browser = await new_browser(dossiers_app)
    try:
        for path in ("/thong-bao", "/thong-bao/1", "/tai-khoan/thong-bao"):
            response = await browser.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/dang-nhap?next=/"), path
        await browser.headers()
        response = await send(browser, "/tai-khoan/thong-bao", [("kind", "dossier.late")])
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dang-nhap")
    finally:
        await browser.close()


async def test_the_settings_form_saves_what_to_be_told_about(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    html = (await person.browser.get("/tai-khoan/thong-bao")).text
    assert_no_inline_code(html)
    boxes = re.findall(
        r'<input type="checkbox" id="kind-\d+" name="kind" value="([a-z._]+)"( checked)?', html
    )
    assert [kind for kind, _ in boxes] == list(service.KINDS)
    assert all(checked for _, checked in boxes), "everything is on at first"
    for label in service.KINDS.values():
        assert label.render("vi") in html
    assert "Bật thông báo trên thiết bị này" in html and 'id="device-enable"' in html
    assert 'data-session="' in html

    # Keep only "supplement needed" and "result ready".
    wanted = ["dossier.supplement_requested", "dossier.result_ready"]
    response = await send(
        person.browser, "/tai-khoan/thong-bao", [("kind", kind) for kind in wanted]
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/tai-khoan/thong-bao?xong=luu"
    preferences = await service.get_preferences(person.principal)
    assert sorted(preferences.muted) == sorted(set(service.KINDS) - set(wanted))

    html = (await person.browser.get(response.headers["location"])).text
    assert "Đã lưu lựa chọn của bạn." in html
    ticked = re.findall(r'name="kind" value="([a-z._]+)" checked', html)
    assert ticked == wanted

    # Nothing ticked: every kind muted (the inbox still gets them).
    await send(person.browser, "/tai-khoan/thong-bao", [])
    assert sorted((await service.get_preferences(person.principal)).muted) == sorted(service.KINDS)


async def test_the_settings_form_refuses_unknown_kinds(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    before = await service.set_preferences(person.principal, ["dossier.late"])
    response = await send(
        person.browser,
        "/tai-khoan/thong-bao",
        [("kind", "dossier.received"), ("kind", "dossier.exploded")],
    )
    assert response.status_code == 422
    assert 'class="error-summary" role="alert"' in response.text
    assert "Có loại thông báo không tồn tại." in response.text
    # What was ticked is kept on the page; nothing was saved.
    assert re.findall(r'name="kind" value="([a-z._]+)" checked', response.text) == [
        "dossier.received"
    ]
    assert (await service.get_preferences(person.principal)).muted == before.muted

    response = await send(
        person.browser,
        "/tai-khoan/thong-bao",
        [("kind", "x" * 5000)],
    )
    assert response.status_code == 422


async def test_the_header_count_comes_from_a_script_on_other_signed_in_pages(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    notify: NotificationsRuntime,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    dossier = await received_dossier(runtime, notify, people, person)
    page = (await person.browser.get(f"/ho-so/{dossier.id}")).text
    assert 'href="/thong-bao"' in page
    assert "scripts/notifications/unread.js" in page, "signed in: the script fills the count"
    assert header_count(page) is None and 'data-known="1"' not in page
    # Nobody signed in: the sign-in link instead (issue 16), and no script asking for a count.
    anonymous = await new_browser(dossiers_app)
    try:
        home = (await anonymous.get("/")).text
    finally:
        await anonymous.close()
    assert 'href="/thong-bao"' not in home and "notifications/unread.js" not in home
    assert 'href="/dang-nhap?next=/"' in home
    devices = (await person.browser.get("/tai-khoan/thiet-bi")).text
    assert 'href="/tai-khoan/thong-bao"' in devices


async def test_the_receipt_offers_notifications_only_through_its_script(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    open_browsers: list[Browser],
) -> None:
    person = await citizen(dossiers_app, open_browsers)
    dossier = await submitted(runtime, person.principal)
    html = (await person.browser.get(f"/ho-so/{dossier.id}/bien-nhan")).text
    assert_no_inline_code(html)
    offer = re.search(r'<section class="notice push-offer no-print" id="push-offer"[^>]*>', html)
    assert offer and " hidden" in offer.group(0), "hidden until the script finds Web Push"
    assert "Bật thông báo" in html and "scripts/notifications/offer.js" in html
    assert "Thêm vào MH chính" in html  # the iPhone steps, shown by the script there
