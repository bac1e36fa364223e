"""The queue's pages as a phone and an official use them: taking a ticket from the
entrance QR (plain forms, no JavaScript), the ticket's page and its JSON, the console,
and the hall's screen."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import httpx
from litestar import Litestar

from backend.documents import qr_svg
from backend.tickets import service
from backend.tickets.runtime import TicketsRuntime
from tests.accounts.helpers import Browser, Clock, new_browser
from tests.feedback.conftest import citizen_browser, official_browser, send_form, visitor
from tests.tickets.conftest import CENTRE, NO_COUNTERS, WARD, entrance


def first_choice(page: str) -> str:
    found = re.search(r'<option value="(\d+:[\d.]+)"', page)
    assert found, "the entrance page offers the counters' procedures"
    return found.group(1)


async def take(browser: Browser, token: str, choice: str) -> httpx.Response:
    return await send_form(browser, f"/lay-so/{token}", {"choice": choice})


async def test_taking_a_ticket_without_an_account(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    token = entrance(tickets)
    page = await phone.client.get(f"/lay-so/{token}")
    assert page.status_code == 200
    assert "Trung tâm Phục vụ hành chính công" in page.text
    assert "Hàng chờ hôm nay" in page.text
    assert 'name="choice"' in page.text and "Việc khác" in page.text
    assert len(page.content) < 20_000
    cookie = page.headers["set-cookie"]
    assert "motcua_device=" in cookie and "HttpOnly" in cookie
    choice = first_choice(page.text)
    taken = await take(phone, token, choice)
    assert taken.status_code == 303
    ticket_url = taken.headers["location"]
    assert ticket_url.startswith("/so-thu-tu/")
    shown = await phone.client.get(ticket_url)
    assert shown.status_code == 200
    counter = int(choice.split(":")[0])
    assert f"{counter}001" in shown.text or re.search(rf">{counter}\d{{3}}<", shown.text)
    assert 'http-equiv="refresh" content="30"' in shown.text
    assert 'aria-live="assertive"' in shown.text
    assert "khoảng" in shown.text or "sắp đến lượt" in shown.text
    # The entrance page now lists it; a second take at that counter is refused.
    again = await phone.client.get(f"/lay-so/{token}")
    assert "Số của bạn hôm nay" in again.text and ticket_url in again.text
    refused = await take(phone, token, choice)
    assert refused.status_code == 409
    assert "đang chờ ở quầy" in refused.text
    # "Việc khác" goes to the first counter.
    other = await take(phone, token, "khac")
    if counter != 1:
        assert other.status_code == 303
    nothing = await take(phone, token, "")
    assert nothing.status_code == 422
    assert "Hãy chọn việc bạn cần làm" in nothing.text
    forged_choice = await take(phone, token, "9:1.000000")
    assert forged_choice.status_code == 422


async def test_a_signed_in_citizens_ticket_is_theirs(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    token = entrance(tickets, WARD)
    taken = await take(person.browser, token, "khac")
    assert taken.status_code == 303
    ticket = await service.by_public_id(taken.headers["location"].rsplit("/", 1)[-1])
    assert ticket.account_id == person.principal.account_id
    # Another phone of the same person (the same session, no device cookie) is refused
    # at the same counter: the limit follows the account.
    other_phone = await new_browser(dossiers_app)
    open_browsers.append(other_phone)
    for cookie in person.browser.client.cookies.jar:
        if cookie.name != "motcua_device":
            other_phone.client.cookies.jar.set_cookie(cookie)
    refused = await take(other_phone, token, "khac")
    assert refused.status_code == 409
    assert "đang chờ ở quầy 1" in refused.text


async def test_an_old_or_forged_entrance_qr_saves_nothing(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    yesterday = entrance(tickets, day=tickets.today() - dt.timedelta(days=1))
    page = await phone.client.get(f"/lay-so/{yesterday}")
    assert page.status_code == 410
    assert "mã QR của ngày khác" in page.text
    assert "hãy quét mã đang hiển thị trong sảnh hôm nay" in page.text
    posted = await take(phone, yesterday, "khac")
    assert posted.status_code == 410
    phone.client.cookies.set("lang", "en")
    english = await phone.client.get(f"/lay-so/{yesterday}")
    assert "from another day" in english.text
    good = entrance(tickets)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for bad in (tampered, "1.abcd.efgh", "x" * 150, good.replace(".", "!", 1)):
        refused = await phone.client.get(f"/lay-so/{bad}")
        assert refused.status_code == 404, bad
        assert "is not any centre" in refused.text
    assert (await take(phone, tampered, "khac")).status_code == 404
    before = await service.day_figures([CENTRE], tickets.today(), tickets.today())
    assert sum(f.issued for f in before) == 0


async def test_a_day_off_and_a_centre_without_counters(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    bare = await phone.client.get(f"/lay-so/{entrance(tickets, NO_COUNTERS)}")
    assert bare.status_code == 200
    assert "chưa có quầy nào" in bare.text and 'name="choice"' not in bare.text
    refused = await take(phone, entrance(tickets, NO_COUNTERS), "khac")
    assert refused.status_code == 422 and "chưa có quầy nào" in refused.text
    # Saturday: the day's own QR, and still no ticket.
    saturday = clock.now + dt.timedelta(days=(5 - clock.now.weekday()) % 7 or 7)
    clock.now = saturday
    token = entrance(tickets)
    shown = await phone.client.get(f"/lay-so/{token}")
    assert "không phải ngày làm việc" in shown.text and 'name="choice"' not in shown.text
    closed = await take(phone, token, "khac")
    assert closed.status_code == 409
    assert "không phải ngày làm việc" in closed.text


async def test_the_tickets_json_answers_304_while_nothing_changed(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    taken = await take(phone, entrance(tickets, WARD), "khac")
    public_id = taken.headers["location"].rsplit("/", 1)[-1]
    first = await phone.client.get(f"/api/tickets/{public_id}")
    assert first.status_code == 200
    body = first.json()
    assert body["state"] == "waiting" and body["counter_number"] == 1
    assert re.fullmatch(r"1\d{3}", body["code"])
    assert {"serving", "ahead", "wait_minutes"} <= body.keys()
    etag = first.headers["etag"]
    assert "no-cache" in first.headers["cache-control"]
    same = await phone.client.get(f"/api/tickets/{public_id}", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    # Called: a new answer.
    reception = await official_browser(dossiers_app, open_browsers, "reception", WARD)
    for _ in range(5):
        await send_form(reception.browser, "/can-bo/hang-cho/quay/1/goi-tiep", {})
        if (await service.status(public_id)).state == "called":
            break
    changed = await phone.client.get(f"/api/tickets/{public_id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["state"] == "called"
    assert (await phone.client.get("/api/tickets/no-such-ticket-here")).status_code == 404
    page = await phone.client.get(f"/so-thu-tu/{public_id}")
    assert "Đến lượt bạn" in page.text


async def test_the_console_calls_recalls_ends_and_transfers(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    token = entrance(tickets)
    await take(phone, token, "khac")
    reception = await official_browser(dossiers_app, open_browsers, "reception", CENTRE)
    browser = reception.browser
    home = await browser.client.get("/can-bo/hang-cho")
    assert home.status_code == 200
    assert "Hàng chờ, gọi số" in home.text and "/man-hinh/" in home.text
    line = await browser.client.get("/can-bo/hang-cho?quay=1")
    assert line.status_code == 200 and "Gọi số tiếp theo" in line.text
    waiting = await service.counter_tickets(CENTRE, tickets.today(), 1)
    ticket = waiting[1][-1]
    called = await send_form(browser, "/can-bo/hang-cho/quay/1/goi-tiep", {})
    assert called.status_code == 303 and "xong=goi" in called.headers["location"]
    now_called = await service.counter_tickets(CENTRE, tickets.today(), 1)
    assert ticket.id in {t.id for t in now_called[0]}
    shown = await browser.client.get(called.headers["location"])
    assert "Đã gọi số" in shown.text
    recalled = await send_form(browser, f"/can-bo/hang-cho/ve/{ticket.id}/goi-lai", {})
    assert recalled.status_code == 303
    assert (await service.by_id(ticket.id)).times_called == 2
    moved = await send_form(browser, f"/can-bo/hang-cho/ve/{ticket.id}/chuyen", {"counter": "3"})
    assert moved.status_code == 303
    page = await browser.client.get("/can-bo/hang-cho?quay=3")
    assert "chuyển từ quầy 1" in page.text and ticket.code in page.text
    mine = await phone.client.get(service.ticket_path(ticket))
    assert "Chuyển từ quầy 1" in mine.text
    refused = await send_form(browser, f"/can-bo/hang-cho/ve/{ticket.id}/bo-qua", {})
    assert refused.status_code == 409 and "không còn đang được gọi" in refused.text
    await send_form(browser, "/can-bo/hang-cho/quay/3/goi-tiep", {})
    done = await send_form(browser, f"/can-bo/hang-cho/ve/{ticket.id}/xong", {})
    assert done.status_code == 303
    assert (await service.by_id(ticket.id)).state == "served"
    printable = await browser.client.get("/can-bo/hang-cho/ma-qr")
    assert printable.status_code == 200 and "<svg" in printable.text


async def test_another_agencys_counter_and_ticket_are_404(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    taken = await take(phone, entrance(tickets), "khac")
    ticket = await service.by_public_id(taken.headers["location"].rsplit("/", 1)[-1])
    ward = await official_browser(dossiers_app, open_browsers, "reception", WARD)
    assert (await ward.browser.client.get("/can-bo/hang-cho?quay=4")).status_code == 404
    assert (
        await send_form(ward.browser, "/can-bo/hang-cho/quay/4/goi-tiep", {})
    ).status_code == 404
    for action in ("goi-lai", "xong", "bo-qua", "chuyen"):
        answer = await send_form(
            ward.browser, f"/can-bo/hang-cho/ve/{ticket.id}/{action}", {"counter": "2"}
        )
        assert answer.status_code == 404, action
    assert (await service.by_id(ticket.id)).state == "waiting"
    citizen = await citizen_browser(dossiers_app, open_browsers)
    assert (await citizen.browser.client.get("/can-bo/hang-cho")).status_code == 403


async def test_the_hall_display(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock, tickets: TicketsRuntime
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    taken = await take(phone, entrance(tickets, WARD), "khac")
    ticket = await service.by_public_id(taken.headers["location"].rsplit("/", 1)[-1])
    reception = await official_browser(dossiers_app, open_browsers, "reception", WARD)
    for _ in range(5):
        await send_form(reception.browser, "/can-bo/hang-cho/quay/1/goi-tiep", {})
        if (await service.by_id(ticket.id)).state == "called":
            break
    token = service.display_token(tickets.secret_key, tickets.key_version, WARD)
    screen = await phone.client.get(f"/man-hinh/{token}")
    assert screen.status_code == 200
    assert ticket.code in screen.text and "<svg" in screen.text
    assert 'http-equiv="refresh" content="5"' in screen.text
    assert "Quầy 1" in screen.text
    assert len(screen.content) < 40_000
    # Today's entrance QR, drawn from its address.
    url = f"{tickets.public_url}/lay-so/{entrance(tickets, WARD)}"
    assert qr_svg(url).decode() in screen.text
    data = await phone.client.get(f"/api/tickets/man-hinh/{token}")
    assert data.status_code == 200 and data.json()["calls"][0]["code"] == ticket.code
    old_key = dataclasses.replace(tickets, key_version=tickets.key_version + 1)
    newer = service.display_token(old_key.secret_key, old_key.key_version, WARD)
    for bad in (token[:-2] + "xx", "nothing", newer, entrance(tickets, WARD)):
        assert (await phone.client.get(f"/man-hinh/{bad}")).status_code == 404, bad
        assert (await phone.client.get(f"/api/tickets/man-hinh/{bad}")).status_code == 404, bad


async def test_the_api_is_in_the_openapi_document(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    schema = (await phone.client.get("/schema/openapi.json")).json()
    operations = {
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {"getTicketStatus", "getHallDisplay"} <= operations
    ticket = schema["paths"]["/api/tickets/{public_id}"]["get"]
    assert "404" in ticket["responses"]
