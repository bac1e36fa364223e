"""Issue 15: a public figure must not move by one person's hand.

The rating-stuffing test, as the sweep found it: clearing the cookie and posting
``{"overall": 1}`` to a counter again and again. Without the code the counter shows,
nothing is stored; with it, one phone that drops its cookies makes a burst, held for a
leader's review and not counted; every phone on a centre's shared Wi-Fi address still
rates once, far beyond any per-address limit. The province's public satisfaction rate
does not move. And feedback: a burst about one target is held without a deadline, a
flood refused."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.feedback import service
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import CounterRatingIn
from backend.feedback.tables import Feedback, Rating
from backend.settings import Settings
from backend.stats import service as stats
from backend.vietnam import VIETNAM
from backend.workdays import service as workdays
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import MONDAY
from tests.feedback.conftest import counter_token, official_browser, visit_code, visitor
from tests.support.asgi import lifespan

PER_ADDRESS = 12  # the centre app's per-address limit of a minute (sign-in, feedback)
CENTRE = "000.00.01.H56"  # the provincial centre, with counters 1 to 4 in the demo
COUNTERS = (1, 2, 3, 4)
WIFI = "203.0.113.10"  # every phone in the centre's hall comes from this address
# Two weeks after the other tests' Monday: this module's figures are its own.
DAY = MONDAY + dt.timedelta(days=14)


@pytest.fixture(scope="module")
async def centre_app(settings: Settings, database: Any) -> AsyncIterator[Litestar]:
    """An app with a real per-address limit, as the sweep ran it."""
    app = create_app(
        fast_settings(dataclasses.replace(settings), auth_rate_per_address=PER_ADDRESS)
    )
    async with lifespan(app):
        yield app


@pytest.fixture
def centre_clock(centre_app: Litestar) -> Iterator[Clock]:
    clock = Clock(DAY)
    accounts, feedback = centre_app.state["accounts"], centre_app.state["feedback"]
    old = accounts.now, feedback.now
    accounts.now = feedback.now = clock
    yield clock
    accounts.now, feedback.now = old


async def satisfaction(clock: Clock) -> tuple[int, int]:
    """The province's public figure of the day: (satisfied, ratings), after the
    figures' refresh the worker runs."""
    done = False
    while not done:
        done = (await stats.refresh_once(clock.now, budget_s=60)).done
    day = clock.now.astimezone(VIETNAM).date()
    rate = (await stats.figures(None, day, day, now=clock.now)).satisfaction
    return rate.numerator, rate.denominator


async def rate(
    app: Litestar, browsers: list[Browser], number: int, answers: dict[str, Any], **options: Any
) -> tuple[Browser, Any]:
    """A phone that scanned the counter's QR code rates it (a new device each time)."""
    feedback: FeedbackRuntime = app.state["feedback"]
    phone = await visitor(app, browsers, **options)
    response = await phone.post(
        f"/api/counters/{counter_token(feedback, number=number)}/ratings", answers
    )
    return phone, response


async def test_a_stuffer_moves_no_public_figure_and_the_centre_wifi_blocks_no_one(
    centre_app: Litestar, centre_clock: Clock, open_browsers: list[Browser]
) -> None:
    feedback: FeedbackRuntime = centre_app.state["feedback"]
    reception = await official_browser(centre_app, open_browsers, "reception", CENTRE)

    # Twenty phones in the hall, one shared address, five at each counter within a
    # minute: each reads the code on its counter's screen and rates once.
    for number in COUNTERS:
        screen = await reception.browser.get(f"/api/staff/counters/{number}/visit-code")
        assert screen.status_code == 200 and screen.headers["cache-control"] == "no-store"
        code = screen.json()["code"]
        assert code == visit_code(feedback, CENTRE, number)
        for n in range(5):
            phone, response = await rate(
                centre_app,
                open_browsers,
                number,
                {"overall": 4 + n % 2, "comment": f"Quầy {number}, người {n}", "visit_code": code},
                address=WIFI,
            )
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "counted"
            centre_clock.advance(seconds=3)
        again = await phone.post(
            f"/api/counters/{counter_token(feedback, number=number)}/ratings",
            {"overall": 1, "visit_code": code},
        )
        assert again.status_code == 409  # once a device
    assert await satisfaction(centre_clock) == (20, 20)  # 100 %

    # The sweep's stuffer: no cookie, no code, 28 times. Refused, nothing stored.
    centre_clock.advance(minutes=11)
    before = await Rating.count()
    for _ in range(28):
        _, response = await rate(
            centre_app, open_browsers, 1, {"overall": 1}, address="198.51.100.66"
        )
        assert response.status_code in {422, 429}
        if response.status_code == 422:
            assert response.json()["error"]["field"] == "visit_code"
    assert await Rating.count() == before
    assert await satisfaction(centre_clock) == (20, 20)

    # The same stuffer standing at counter 1 with its code: a burst of the same
    # answers. The first ones were counted when sent; the burst holds them all.
    code = visit_code(feedback, CENTRE, 1)
    statuses = []
    for _ in range(28):
        _, response = await rate(
            centre_app, open_browsers, 1, {"overall": 1, "visit_code": code}, address=WIFI
        )
        assert response.status_code == 201
        statuses.append(response.json()["status"])
    assert statuses[:3] == ["counted"] * 3 and set(statuses[3:]) == {"held"}
    stuffed = await Rating.select(Rating.status, Rating.held_reason).where(
        (Rating.agency_code == CENTRE) & (Rating.overall == 1) & (Rating.day == DAY.date())
    )
    assert len(stuffed) == 28 and {row["status"] for row in stuffed} == {"held"}
    # The fourth identical answer held the three before it; the sixth made a burst.
    assert {row["held_reason"] for row in stuffed} == {"identical", "burst"}
    assert await satisfaction(centre_clock) == (20, 20)

    # Varied answers do not help: more ratings than the counter serves are a burst.
    centre_clock.advance(minutes=11)
    code = visit_code(feedback, CENTRE, 2)
    statuses = []
    for n in range(feedback.counter_rating_burst + 3):
        _, response = await rate(
            centre_app,
            open_browsers,
            2,
            {"overall": 1 + n % 2, "comment": f"tệ {n}", "visit_code": code},
            address=WIFI,
        )
        statuses.append(response.json()["status"])
    burst = feedback.counter_rating_burst
    assert statuses == ["counted"] * burst + ["held"] * 3
    assert await satisfaction(centre_clock) == (20, 20)

    # The page tells the person theirs is checked first.
    phone = await visitor(centre_app, open_browsers, address=WIFI)
    token = counter_token(feedback, number=2)
    page = await phone.client.post(
        f"/c/{token}/danh-gia",
        data={"_csrf_token": phone.client.cookies["csrftoken"], "overall": "2", "visit_code": code},
    )
    assert page.status_code == 303 and page.headers["location"] == f"/c/{token}/danh-gia?xong=cho"
    thanks = (await phone.get(page.headers["location"])).text
    assert "lãnh đạo cơ quan sẽ xem lại" in thanks

    # A leader reviews: the reception official (whose counter is judged) cannot.
    leader = await official_browser(centre_app, open_browsers, "leader", CENTRE)
    assert (await reception.browser.get("/api/staff/ratings/held")).status_code == 403
    held = (await leader.browser.get("/api/staff/ratings/held")).json()
    assert len(held) == 28 + burst + 3 + 1 and {r["status"] for r in held} == {"held"}
    first, second = held[0]["id"], held[1]["id"]
    refused = await reception.browser.post(
        f"/api/staff/ratings/{first}/review", {"decision": "release"}
    )
    assert refused.status_code == 403
    released = await leader.browser.post(
        f"/api/staff/ratings/{first}/review", {"decision": "release"}
    )
    assert released.status_code == 200 and released.json()["status"] == "counted"
    twice = await leader.browser.post(f"/api/staff/ratings/{first}/review", {"decision": "reject"})
    assert twice.status_code == 409
    rejected = await leader.browser.post(
        f"/api/staff/ratings/{second}/review", {"decision": "reject"}
    )
    assert rejected.json()["status"] == "rejected"
    # Released, it counts (a 2 out of 5): one more rating, not satisfied.
    assert await satisfaction(centre_clock) == (20, 21)
    other = await official_browser(centre_app, open_browsers, "leader", "000.01.40.H56")
    foreign = await other.browser.post(
        f"/api/staff/ratings/{held[2]['id']}/review", {"decision": "release"}
    )
    assert foreign.status_code == 404


async def test_a_burst_of_feedback_about_one_target_starts_no_deadline(
    centre_app: Litestar, centre_clock: Clock, open_browsers: list[Browser]
) -> None:
    feedback: FeedbackRuntime = centre_app.state["feedback"]
    centre_clock.advance(days=1, hours=1)  # a day of its own
    target = "000.00.12.H56"  # Sở Tư pháp
    burst = feedback.feedback_burst

    async def send(n: int) -> httpx.Response:
        # A script from ever new addresses: the per-address limit never stops it.
        phone = await visitor(centre_app, open_browsers, address=f"192.0.2.{n + 1}")
        return await phone.post(
            "/api/feedback",
            {
                "category": "thai_do",
                "text": f"Cán bộ thái độ không tốt, lần {n}.",
                "agency_code": target,
                "anonymous": True,
            },
        )

    # What came later (a clock that went back, another test's day) is no part of
    # this hour's burst.
    centre_clock.advance(days=2)
    assert (await send(200)).status_code == 201
    centre_clock.advance(days=-2)
    sent = []
    for n in range(burst * 4 + 2):
        sent.append(await send(n))
    statuses = [r.status_code for r in sent]
    assert statuses == [201] * (burst * 4) + [429, 429]
    assert int(sent[-1].headers["retry-after"]) >= 60
    assert "quá nhiều phản ánh" in sent[-1].json()["error"]["message"]
    states = [r.json()["feedback"]["status"] for r in sent[: burst * 4]]
    assert states == ["open"] * burst + ["held"] * (burst * 3)
    # Whoever sent a held one reads that it waits, with no deadline yet.
    tracking = sent[burst].json()["tracking_url"].removeprefix(feedback.public_url)
    phone = await visitor(centre_app, open_browsers)
    page = (await phone.get(tracking)).text
    assert "Đang chờ kiểm tra trước khi tiếp nhận" in page and "Hạn trả lời:" not in page
    # Another target is not held for this one's burst.
    elsewhere = await phone.post(
        "/api/feedback",
        {
            "category": "khac",
            "text": "Phòng chờ thiếu ghế ngồi.",
            "agency_code": "000.00.13.H56",
            "anonymous": True,
        },
    )
    assert elsewhere.json()["feedback"]["status"] == "open"

    # The agency's queue and figures count only what was accepted.
    leader = await official_browser(centre_app, open_browsers, "leader", target)
    queue = (await leader.browser.get("/api/staff/feedback?status=held")).json()
    day = centre_clock.now.astimezone(VIETNAM).date()
    assert queue["held"] == queue["total"] >= burst * 3
    opened_today = await Feedback.count().where(
        (Feedback.agency_code == target)
        & (Feedback.received_day == day)
        & (Feedback.status == "open")
    )
    assert opened_today == burst
    done = False
    while not done:
        done = (await stats.refresh_once(centre_clock.now, budget_s=60)).done
    figures = await stats.figures(target, day, day, now=centre_clock.now)
    assert figures.totals.get("feedback.received", 0) == burst

    # Released two days later: its deadline runs from then.
    held = (await leader.browser.get("/api/staff/feedback?status=held")).json()["items"]
    centre_clock.advance(days=2)
    leader = await official_browser(centre_app, open_browsers, "leader", target)  # signed out
    released = await leader.browser.post(
        f"/api/staff/feedback/{held[0]['id']}/review", {"decision": "release"}
    )
    assert released.status_code == 200, released.text
    calendar = await workdays.load()
    today = centre_clock.now.astimezone(VIETNAM).date()
    body = released.json()
    assert body["status"] == "open" and body["received_day"] == today.isoformat()
    assert body["due_date"] == calendar.add_working_days(today, 10).isoformat()
    # The console's review list, and the form on a held one.
    tab = (await leader.browser.get("/can-bo/phan-anh?loai=cho-duyet")).text
    assert 'id="held-note"' in tab and held[1]["code"] in tab
    item = (await leader.browser.get(f"/can-bo/phan-anh/{held[1]['id']}")).text
    assert 'id="form-review"' in item and 'id="review-reject"' in item
    assert "Hạn trả lời" not in item
    rejected = await leader.browser.client.post(
        f"/can-bo/phan-anh/{held[1]['id']}/duyet",
        data={"_csrf_token": leader.browser.client.cookies["csrftoken"], "decision": "reject"},
    )
    assert rejected.status_code == 303 and "xong=duyet" in rejected.headers["location"]
    [row] = await Feedback.select(Feedback.status).where(Feedback.id == held[1]["id"])
    assert row["status"] == "rejected"
    reception = await official_browser(centre_app, open_browsers, "reception", target)
    refused = await reception.browser.post(
        f"/api/staff/feedback/{held[2]['id']}/review", {"decision": "release"}
    )
    assert refused.status_code == 403
    assert await Feedback.count().where(Feedback.status == "held") >= burst * 3 - 2


async def test_a_burst_sent_all_at_once_is_held_whole(
    centre_app: Litestar, centre_clock: Clock
) -> None:
    """One rating more than a burst, all at the same instant (each a new device), in
    three rounds: counted one at a time under the counter's lock, so the last always
    sees the others and holds them all (without the lock, two that each saw too few
    left all six counted on PostgreSQL)."""
    feedback: FeedbackRuntime = centre_app.state["feedback"]
    limiter = centre_app.state["accounts"].limiter
    centre_clock.advance(days=5)
    token = counter_token(feedback, number=3)
    for round_ in range(3):
        centre_clock.advance(minutes=11)
        since = centre_clock.now
        code = visit_code(feedback, CENTRE, 3)
        await asyncio.gather(
            *(
                service.rate_counter(
                    feedback,
                    limiter,
                    token,
                    f"device-{round_}-{n}",
                    WIFI,
                    CounterRatingIn(overall=1 + n % 5, comment=f"lần {n}", visit_code=code),  # type: ignore[arg-type]
                )
                for n in range(feedback.counter_rating_burst + 1)
            )
        )
        rows = await Rating.select(Rating.status).where(
            (Rating.agency_code == CENTRE)
            & (Rating.counter_number == 3)
            & (Rating.created_at >= since)
        )
        assert len(rows) == feedback.counter_rating_burst + 1
        assert {row["status"] for row in rows} == {"held"}


async def test_the_counter_screen_and_the_leaders_review_pages(
    centre_app: Litestar, centre_clock: Clock, open_browsers: list[Browser]
) -> None:
    feedback: FeedbackRuntime = centre_app.state["feedback"]
    centre_clock.advance(days=9)
    reception = await official_browser(centre_app, open_browsers, "reception", CENTRE)
    # The screen of counter 4: its code in big digits, a QR code of the survey with the
    # code filled in, and a reload when the code changes.
    screen = await reception.browser.get("/can-bo/danh-gia/quay/4")
    assert screen.status_code == 200 and screen.headers["cache-control"] == "no-store"
    code = visit_code(feedback, CENTRE, 4)
    assert f'id="visit-code">{code[:3]} {code[3:]}<' in screen.text
    assert '<meta http-equiv="refresh" content="' in screen.text and "<svg" in screen.text
    api = (await reception.browser.get("/api/staff/counters/4/visit-code")).json()
    token = counter_token(feedback, number=4)
    assert api["rating_url"] == f"{feedback.public_url}/c/{token}/danh-gia?ma={code}"
    # Another agency's official has no such counter; a resident no screen at all.
    other = await official_browser(centre_app, open_browsers, "reception", "000.00.12.H56")
    assert (await other.browser.get("/api/staff/counters/4/visit-code")).status_code == 404
    resident = await visitor(centre_app, open_browsers)
    assert (await resident.get("/api/staff/counters/4/visit-code")).status_code == 401

    # A burst at counter 4, then the leader's list with a form for each held rating.
    for n in range(feedback.counter_rating_burst + 1):
        await rate(
            centre_app,
            open_browsers,
            4,
            {"overall": 1 + n % 3, "comment": f"ý kiến {n}", "visit_code": code},
            address=WIFI,
        )
    leader = await official_browser(centre_app, open_browsers, "leader", CENTRE)
    page = (await leader.browser.get("/can-bo/danh-gia")).text
    assert 'id="held-ratings"' in page and "nhiều đánh giá trong thời gian ngắn" in page
    held = (await leader.browser.get("/api/staff/ratings/held")).json()
    assert f'action="/can-bo/danh-gia/{held[0]["id"]}/duyet"' in page
    assert 'href="/can-bo/danh-gia/quay/4"' in page
    assert 'id="held-ratings"' not in (await reception.browser.get("/can-bo/danh-gia")).text
    done = await leader.browser.client.post(
        f"/can-bo/danh-gia/{held[0]['id']}/duyet",
        data={"_csrf_token": leader.browser.client.cookies["csrftoken"], "decision": "reject"},
    )
    assert (
        done.status_code == 303
        and done.headers["location"] == "/can-bo/danh-gia?xong=duyet#cho-duyet"
    )
    again = await leader.browser.client.post(
        f"/can-bo/danh-gia/{held[0]['id']}/duyet",
        data={"_csrf_token": leader.browser.client.cookies["csrftoken"], "decision": "release"},
    )
    assert again.status_code == 409 and "đã được duyệt rồi" in again.text
