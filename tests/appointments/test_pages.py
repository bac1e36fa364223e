"""Booking as a person does it in a browser without JavaScript (GET choices, plain form
posts with the CSRF token), the booking's own page, the agency's day and hours pages,
the arrival from the queue's entrance page, the reminder's notice, and the API."""

from __future__ import annotations

import datetime as dt
import html
import re

import httpx
from litestar import Litestar

from backend.appointments import service
from backend.appointments.tables import Booking
from backend.notifications.service import notices
from backend.tickets import service as tickets
from backend.tickets.runtime import TicketsRuntime
from tests.accounts.helpers import Browser, Clock
from tests.appointments.conftest import BIRTH, CENTRE, WARD, open_day
from tests.feedback.conftest import citizen_browser, official_browser, send_form, visitor


def text_of(response: httpx.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))


async def book_by_form(browser: Browser, day: dt.date, time: str = "09:00") -> httpx.Response:
    return await send_form(
        browser, f"/dat-lich/{BIRTH}", {"agency_code": WARD, "day": day.isoformat(), "time": time}
    )


async def test_booking_without_javascript(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    browser = person.browser
    # The procedure page offers it; the form walks place (only one here), day, time.
    page = await browser.get(f"/dat-lich/{BIRTH}")
    assert page.status_code == 200
    assert "phường Hạc Thành" in text_of(page)
    day = await open_day(clock)
    chosen = await browser.get(f"/dat-lich/{BIRTH}?co_quan={WARD}&ngay={day.isoformat()}")
    assert 'name="time" value="09:00"' in chosen.text
    done = await book_by_form(browser, day)
    assert done.status_code == 303
    where = done.headers["location"]
    assert where.startswith("/lich-hen/LH") and where.endswith("?xong=1")
    shown = await browser.get(where)
    words = text_of(shown)
    assert "Đã đặt lịch" in words and "09:00–09:30" in words and "Quầy 1" in words
    assert "<svg" in shown.text  # the QR code for the counter
    assert shown.headers["cache-control"] == "no-store"
    listed = await browser.get("/lich-hen")
    assert where.split("?")[0] in listed.text
    # The same again: refused on the same page, the choice kept, nothing saved.
    before = await Booking.count()
    again = await book_by_form(browser, day)
    assert again.status_code == 409
    assert "Bạn đã có lịch hẹn" in text_of(again)
    assert await Booking.count() == before


async def test_a_bad_choice_is_named_in_the_person_s_language(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    day = await open_day(clock)
    no_time = await send_form(
        person.browser, f"/dat-lich/{BIRTH}", {"agency_code": WARD, "day": day.isoformat()}
    )
    assert no_time.status_code == 422 and "Hãy chọn “Giờ”" in text_of(no_time)
    person.browser.client.cookies.set("lang", "en")
    holiday = await send_form(
        person.browser,
        f"/dat-lich/{BIRTH}",
        {
            "agency_code": WARD,
            "day": (day + dt.timedelta(days=(5 - day.weekday()) % 7 or 7)).isoformat(),
            "time": "09:00",
        },
    )
    assert holiday.status_code == 422
    assert "day off" in text_of(holiday).lower() or "weekend" in text_of(holiday).lower()
    bad_day = await send_form(
        person.browser, f"/dat-lich/{BIRTH}", {"agency_code": WARD, "day": "31/02", "time": "9h"}
    )
    assert bad_day.status_code == 422


async def test_a_stranger_is_sent_to_sign_in(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    browser = await visitor(dossiers_app, open_browsers)
    page = await browser.get(f"/dat-lich/{BIRTH}")
    assert page.status_code == 303 and page.headers["location"].startswith("/dang-nhap?next=")


async def test_someone_else_s_booking_is_not_found(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    owner = await citizen_browser(dossiers_app, open_browsers)
    other = await citizen_browser(dossiers_app, open_browsers, name="Trần Văn Bình")
    day = await open_day(clock)
    code = (
        (await book_by_form(owner.browser, day)).headers["location"].split("?")[0].rsplit("/", 1)[1]
    )
    assert (await other.browser.get(f"/lich-hen/{code}")).status_code == 404
    assert (await send_form(other.browser, f"/lich-hen/{code}/huy", {})).status_code == 404
    assert (await other.browser.get(f"/api/appointments/{code}")).status_code == 404
    # The owner cancels; the page says so and the slot is free again.
    cancelled = await send_form(owner.browser, f"/lich-hen/{code}/huy", {})
    assert cancelled.status_code == 303
    assert "Đã hủy lịch hẹn" in text_of(await owner.browser.get(cancelled.headers["location"]))
    slots = await service.availability(BIRTH, WARD, day, now=clock())
    assert next(s for s in slots.slots if s.time == "09:00").free == 2


async def test_changing_by_form(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    day = await open_day(clock)
    code = (
        (await book_by_form(person.browser, day))
        .headers["location"]
        .split("?")[0]
        .rsplit("/", 1)[1]
    )
    picker = await person.browser.get(f"/lich-hen/{code}?ngay={day.isoformat()}")
    assert 'action="/lich-hen/' + code + '/doi"' in picker.text
    moved = await send_form(
        person.browser, f"/lich-hen/{code}/doi", {"day": day.isoformat(), "time": "10:30"}
    )
    assert moved.status_code == 303
    assert "10:30–11:00" in text_of(await person.browser.get(f"/lich-hen/{code}"))
    past = await send_form(
        person.browser, f"/lich-hen/{code}/doi", {"day": "2020-01-06", "time": "10:30"}
    )
    assert past.status_code == 422 and "Giờ này đã qua" in text_of(past)


async def test_the_agency_s_day_and_an_arrival(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    today = clock().astimezone(service.vietnam_now(clock()).tzinfo).date()
    code = (
        (await book_by_form(person.browser, today, "11:00"))
        .headers["location"]
        .split("?")[0]
        .rsplit("/", 1)[1]
    )
    official = await official_browser(dossiers_app, open_browsers, "reception", WARD)
    elsewhere = await official_browser(dossiers_app, open_browsers, "reception", CENTRE)
    day = await official.browser.get("/can-bo/lich-hen")
    assert day.status_code == 200 and code in day.text and "Lê Thị Mai" in text_of(day)
    assert code not in (await elsewhere.browser.get("/can-bo/lich-hen")).text
    assert (
        await send_form(elsewhere.browser, f"/can-bo/lich-hen/{code}/den", {})
    ).status_code == 404
    # The booking's QR code opens its day on the desk.
    scanned = await official.browser.get(f"/can-bo/lich-hen/{code}")
    assert scanned.status_code == 303 and scanned.headers["location"].endswith(f"#{code}")
    early = await send_form(official.browser, f"/can-bo/lich-hen/{code}/khong-den", {})
    assert early.status_code == 409 and "Chưa đến giờ hẹn" in text_of(early)
    arrived = await send_form(official.browser, f"/can-bo/lich-hen/{code}/den", {})
    assert arrived.status_code == 303
    mine = await person.browser.get(f"/lich-hen/{code}")
    assert "Đã đến" in text_of(mine)
    ticket = re.search(r'href="(/so-thu-tu/[^"]+)"', mine.text)
    assert ticket and (await person.browser.get(ticket.group(1))).status_code == 200


async def test_arriving_from_the_entrance_page(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    today = service.vietnam_now(clock()).date()
    code = (
        (await book_by_form(person.browser, today, "13:30"))
        .headers["location"]
        .split("?")[0]
        .rsplit("/", 1)[1]
    )
    runtime: TicketsRuntime = dossiers_app.state["tickets"]
    token = tickets.entrance_token(runtime.secret_key, runtime.key_version, WARD, today)
    entrance = await person.browser.get(f"/lay-so/{token}")
    assert entrance.status_code == 200
    assert "Bạn có lịch hẹn hôm nay" in text_of(entrance)
    assert f'action="/lich-hen/{code}/den-noi"' in entrance.text
    # Another centre's entrance code: refused, nothing changed.
    other = tickets.entrance_token(runtime.secret_key, runtime.key_version, CENTRE, today)
    wrong = await send_form(person.browser, f"/lich-hen/{code}/den-noi", {"entrance": other})
    assert wrong.status_code == 409 and "trung tâm khác" in text_of(wrong)
    yesterday = tickets.entrance_token(
        runtime.secret_key, runtime.key_version, WARD, today - dt.timedelta(days=1)
    )
    stale = await send_form(person.browser, f"/lich-hen/{code}/den-noi", {"entrance": yesterday})
    assert stale.status_code == 410
    forged = await send_form(
        person.browser, f"/lich-hen/{code}/den-noi", {"entrance": token[:-2] + "xx"}
    )
    assert forged.status_code == 404
    assert (await service.booking_of(person.principal.account_id, code)).state == "booked"
    arrived = await send_form(person.browser, f"/lich-hen/{code}/den-noi", {"entrance": token})
    assert arrived.status_code == 303 and arrived.headers["location"].startswith("/so-thu-tu/")
    assert "Bạn có lịch hẹn hôm nay" not in text_of(await person.browser.get(f"/lay-so/{token}"))


async def test_the_administrator_sets_the_hours_and_a_closure(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    admin = await official_browser(dossiers_app, open_browsers, "admin", WARD)
    page = await admin.browser.get("/can-bo/gio-tiep-nhan")
    assert page.status_code == 200 and 'value="07:30-11:30"' in page.text
    form = {f"d{d}s{i}": "" for d in range(7) for i in range(2)}
    bad = await send_form(
        admin.browser,
        "/can-bo/gio-tiep-nhan",
        {**form, "d0s0": "7h-11h", "slot_minutes": "30", "per_counter": "2"},
    )
    assert bad.status_code == 422 and "07:30-11:30" in text_of(bad)
    assert await service.week_of(WARD) == service.DEFAULT_WEEK
    day = await open_day(clock, skip=2)
    closed = await send_form(
        admin.browser,
        "/can-bo/gio-tiep-nhan/ngay-nghi",
        {"day": day.isoformat(), "reason_vi": "Bầu cử"},
    )
    assert closed.status_code == 303
    assert day not in [d.day for d in (await service.availability(BIRTH, WARD, now=clock())).days]
    reopened = await send_form(
        admin.browser, f"/can-bo/gio-tiep-nhan/ngay-nghi/{day.isoformat()}/xoa", {}
    )
    assert reopened.status_code == 303
    reception = await official_browser(dossiers_app, open_browsers, "reception", WARD)
    assert (await reception.browser.get("/can-bo/gio-tiep-nhan")).status_code == 403


async def test_the_reminder_reads_well(clock: Clock) -> None:
    row = notices.NoticeRow(
        id=1,
        account_id=1,
        kind="appointment.reminder",
        dossier_id=None,
        code="LH23456789",
        status="09:30",
        due_date="2027-03-09",
        agency_code=WARD,
        created_at=clock(),
        read_at=None,
    )
    agencies = await notices.agency_names([row])
    title, body = notices.notice_text(row, "vi", agencies)
    assert title == "Nhắc lịch hẹn"
    assert "09:30" in body and "09/03/2027" in body and "phường Hạc Thành" in body
    assert notices.notice_url(row) == "/lich-hen/LH23456789"
    assert "09:30" in notices.notice_text(row, "en", agencies)[1]


async def test_the_api(dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    browser = person.browser
    day = await open_day(clock)
    open_slots = await browser.get(
        f"/api/appointments/availability?procedure={BIRTH}&day={day.isoformat()}"
    )
    assert open_slots.status_code == 200
    assert open_slots.json()["agency_code"] == WARD and open_slots.json()["slots"]
    body = {"procedure_code": BIRTH, "agency_code": WARD, "day": day.isoformat(), "time": "15:30"}
    made = await browser.post("/api/appointments", body)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    assert (await browser.post("/api/appointments", {**body, "time": 1530})).status_code == 400
    assert (await browser.post("/api/appointments", {**body, "extra": 1})).status_code == 400
    assert [b["code"] for b in (await browser.get("/api/appointments")).json()] == [code]
    moved = await browser.post(
        f"/api/appointments/{code}/change", {"day": day.isoformat(), "time": "16:00"}
    )
    assert moved.status_code == 201 or moved.status_code == 200
    assert moved.json()["time"] == "16:00"
    cancelled = await browser.post(f"/api/appointments/{code}/cancel")
    assert cancelled.json()["state"] == "cancelled"
    stranger = await visitor(dossiers_app, open_browsers)
    assert (await stranger.post("/api/appointments", body)).status_code == 401


async def test_the_leaders_see_each_counter_s_days(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    today = service.vietnam_now(clock()).date()
    code = (await book_by_form(person.browser, today, "14:00")).headers["location"]
    code = code.split("?")[0].rsplit("/", 1)[1]
    await service.mark_arrived(WARD, code, now=clock())
    reception = await official_browser(dossiers_app, open_browsers, "reception", WARD)
    clock.advance(minutes=12)
    called = await tickets.call_next(reception.principal, 1, clock())
    assert called is not None and called.booked
    leader = await official_browser(dossiers_app, open_browsers, "leader", WARD)
    day = today.strftime("%d/%m/%Y")
    page = await leader.browser.get(f"/lanh-dao/thong-ke?ky=custom&tu={day}&den={day}")
    assert page.status_code == 200, text_of(page)
    table = re.search(r'<section class="counter-days".*?</section>', page.text, re.S)
    assert table, "the counters' table is on the dashboard"
    cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", table.group(0), re.S)]
    assert cells[1].endswith("Quầy 1")
    # Booked, arrived, no-show; tickets issued, served; the wait from arrival to the call.
    assert cells[2:6] == ["1", "1", "0", "1"]
    assert cells[7] == "12 phút"


async def test_a_ticket_s_notices_lead_to_its_page(clock: Clock) -> None:
    row = notices.NoticeRow(
        id=1,
        account_id=1,
        kind="ticket.called",
        dossier_id=None,
        code="1007",
        status="AbCdEfGhIjKlMnOpQrStUv",
        due_date=None,
        agency_code=WARD,
        created_at=clock(),
        read_at=None,
    )
    title, body = notices.notice_text(row, "vi")
    assert (title, body) == ("Đến lượt bạn", "Mời số 1007 đến quầy. Bấm để xem quầy nào.")
    assert notices.notice_url(row) == "/so-thu-tu/AbCdEfGhIjKlMnOpQrStUv"


async def test_the_api_names_an_unknown_procedure(
    dossiers_app: Litestar, open_browsers: list[Browser], clock: Clock
) -> None:
    browser = await visitor(dossiers_app, open_browsers)
    unknown = await browser.get("/api/appointments/availability?procedure=9.999999")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "procedure"
