"""The feedback JSON API, and abuse: one device rates a counter once a day however often
it tries, wrong visit codes from one address are refused with 429, a forged
X-Forwarded-For from a peer that is not a configured proxy changes nothing, oversized
bodies and photos are refused, and nothing is stored from any of them. The stuffing of
a counter's ratings and the bursts held for review: ``test_stuffing``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from backend.app import create_app
from backend.dossiers.runtime import DossiersRuntime
from backend.feedback import service
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.service import visits
from backend.feedback.tables import Feedback, Rating
from backend.settings import Settings
from backend.web import device as devices
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import AGENCY, MONDAY, OTHER_AGENCY, PersonFactory, jpeg
from tests.feedback.conftest import (
    COUNTER_AGENCY,
    citizen_browser,
    counter_token,
    official_browser,
    returned,
    visit_code,
    visitor,
    wrong_code,
)
from tests.support.asgi import lifespan

PER_ADDRESS = 12  # requests a minute from one address, in the limited app
PROXY = "10.99.0.7"  # a proxy the limited app trusts


@pytest.fixture(scope="module")
async def limited_app(settings: Settings, database: Any) -> AsyncIterator[Litestar]:
    """An app with a real per-address limit and one trusted proxy."""
    app = create_app(
        fast_settings(
            dataclasses.replace(settings, trusted_proxies=("10.99.0.0/24",)),
            auth_rate_per_address=PER_ADDRESS,
        )
    )
    async with lifespan(app):
        yield app


@pytest.fixture
def limited_clock(limited_app: Litestar) -> Any:
    """The limited app's clocks (rate windows, ratings' days) at a known minute, a week
    before the other tests' (its floods are in no other test's window)."""
    clock = Clock(MONDAY - dt.timedelta(days=7))
    accounts, feedback = limited_app.state["accounts"], limited_app.state["feedback"]
    old = accounts.now, feedback.now
    accounts.now = feedback.now = clock
    yield clock
    accounts.now, feedback.now = old


def device_in(browser: Browser, feedback: FeedbackRuntime) -> str:
    device = devices.device_of(feedback.secret_key, browser.client.cookies.get("motcua_device"))
    assert device
    return device


async def ratings_of(device: str) -> int:
    return int(await Rating.count().where(Rating.rating_key.like(f"counter:%:{device}:%")))


FEEDBACK = {
    "category": "thai_do",
    "text": "Cán bộ quầy 1 trả lời cộc lốc, không hướng dẫn.",
    "contact_name": "Trịnh Văn Gửi",
    "contact_phone": "0987654321",
    "publish_consent": True,
}


# ------------------------------------------------------------------ dossier rating


async def test_a_dossier_is_rated_through_the_api(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    owner = await citizen_browser(dossiers_app, open_browsers)
    stranger = await citizen_browser(dossiers_app, open_browsers)
    dossier, _ = await returned(runtime, people, owner.principal)
    url = f"/api/dossiers/{dossier.id}/rating"
    assert (await owner.browser.get(url)).json() is None
    too_long = await owner.browser.client.put(
        url, json={"overall": 5, "comment": "x" * 1001}, headers=await owner.browser.headers()
    )
    assert too_long.status_code == 400 and too_long.json()["error"]["field"] == "comment"
    bad_level = await owner.browser.client.put(
        url, json={"overall": 6}, headers=await owner.browser.headers()
    )
    assert bad_level.status_code == 400
    for who in (stranger.browser,):
        refused = await who.client.put(url, json={"overall": 1}, headers=await who.headers())
        assert refused.status_code == 404
        assert (await who.get(url)).status_code == 404
    assert await Rating.count().where(Rating.dossier_id == dossier.id) == 0

    rated = await owner.browser.client.put(
        url,
        json={"overall": 4, "convenience": 5, "comment": "Tốt"},
        headers=await owner.browser.headers(),
    )
    assert rated.status_code == 200, rated.text
    body = rated.json()
    assert body["overall"] == 4 and body["source"] == "dossier" and body["editable_until"]
    again = await owner.browser.client.put(
        url, json={"overall": 3}, headers=await owner.browser.headers()
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert (await owner.browser.get(url)).json()["overall"] == 3
    assert await Rating.count().where(Rating.dossier_id == dossier.id) == 1
    unauthenticated = await (await visitor(dossiers_app, open_browsers)).get(url)
    assert unauthenticated.status_code == 401


# ------------------------------------------------------------------ counter rating


async def test_one_token_used_fifty_times_from_one_device_stores_one_rating(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    token = counter_token(feedback)
    code = visit_code(feedback)
    phone = await visitor(dossiers_app, open_browsers)
    statuses = []
    for n in range(50):
        response = await phone.post(
            f"/api/counters/{token}/ratings", {"overall": 1 + n % 5, "visit_code": code}
        )
        statuses.append(response.status_code)
        if n == 0:
            assert response.status_code == 201, response.text
            assert "motcua_device=" in response.headers["set-cookie"]
            assert "HttpOnly" in response.headers["set-cookie"]
    assert statuses == [201] + [409] * 49
    device = device_in(phone, feedback)
    assert await ratings_of(device) == 1
    [row] = await Rating.select().where(Rating.rating_key.like(f"counter:%:{device}:%"))
    assert row["overall"] == 1 and row["agency_code"] == COUNTER_AGENCY
    # The pages and the API share the device: the form refuses it too.
    again = await phone.client.post(
        f"/c/{token}/danh-gia",
        data={
            "_csrf_token": phone.client.cookies["csrftoken"],
            "overall": "5",
            "visit_code": code,
        },
    )
    assert again.status_code == 409
    # A cookie we did not sign is a new device, not the one it imitates.
    phone.client.cookies.set("motcua_device", device + ".forged")
    forged = await phone.post(f"/api/counters/{token}/ratings", {"overall": 5, "visit_code": code})
    assert forged.status_code == 201
    assert await ratings_of(device) == 1


async def test_bad_counter_tokens_and_oversized_comments_store_nothing(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    token = counter_token(feedback)
    code = visit_code(feedback)
    phone = await visitor(dossiers_app, open_browsers)
    before = await Rating.count()
    forged = await phone.post(
        f"/api/counters/{token[:-4]}AAAA/ratings", {"overall": 5, "visit_code": code}
    )
    assert forged.status_code == 404 and forged.json()["error"]["code"] == "invalid_token"
    long = await phone.post(
        f"/api/counters/{token}/ratings", {"overall": 5, "comment": "x" * 1001, "visit_code": code}
    )
    assert long.status_code == 400 and long.json()["error"]["field"] == "comment"
    feedback.counter_key_version += 1
    try:
        revoked = await phone.post(
            f"/api/counters/{token}/ratings", {"overall": 5, "visit_code": code}
        )
        assert revoked.status_code == 410 and revoked.json()["error"]["code"] == "revoked_token"
    finally:
        feedback.counter_key_version -= 1
    assert await Rating.count() == before


async def test_wrong_visit_codes_from_one_address_get_429_and_store_nothing(
    limited_app: Litestar, limited_clock: Clock, open_browsers: list[Browser]
) -> None:
    feedback: FeedbackRuntime = limited_app.state["feedback"]
    limited_clock.advance(hours=1)  # windows of its own
    token = counter_token(feedback, number=2)
    address = "203.0.113.77"
    stored_before = await Rating.count()
    statuses = []
    for n in range(visits.ADDRESS_FAILURES + 5):
        # A script that drops its cookies and guesses the code.
        phone = await visitor(limited_app, open_browsers, address=address)
        guess = wrong_code(feedback, n, number=2) if n % 2 else ""
        response = await phone.post(
            f"/api/counters/{token}/ratings", {"overall": 5, "visit_code": guess}
        )
        statuses.append(response.status_code)
    assert statuses[: visits.ADDRESS_FAILURES] == [422] * visits.ADDRESS_FAILURES
    assert set(statuses[visits.ADDRESS_FAILURES :]) == {429}
    assert await Rating.count() == stored_before
    refused = await phone.post(f"/api/counters/{token}/ratings", {"overall": 5})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "too_many_requests"
    # The page says so in words, with the same limit, keeping what was chosen.
    page = await phone.client.post(
        f"/c/{token}/danh-gia",
        data={"_csrf_token": phone.client.cookies["csrftoken"], "overall": "5"},
    )
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "quá nhiều lần" in page.text and 'id="overall-5" name="overall" value="5" checked' in (
        page.text
    )
    # Once the wrong guesses have slid out of the window, the address may rate again.
    limited_clock.advance(minutes=21)
    fresh = await visitor(limited_app, open_browsers, address=address)
    code = visit_code(feedback, number=2)
    rated = await fresh.post(f"/api/counters/{token}/ratings", {"overall": 4, "visit_code": code})
    assert rated.status_code == 201


async def test_a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing(
    limited_app: Litestar, limited_clock: Clock, open_browsers: list[Browser]
) -> None:
    feedback: FeedbackRuntime = limited_app.state["feedback"]
    limited_clock.advance(hours=2)  # windows of its own
    token = counter_token(feedback, number=3)
    statuses = []
    for n in range(visits.ADDRESS_FAILURES + 5):
        phone = await visitor(
            limited_app,
            open_browsers,
            address="198.51.100.9",
            headers={"X-Forwarded-For": f"192.0.2.{n + 1}"},
        )
        response = await phone.post(
            f"/api/counters/{token}/ratings",
            {"overall": 3, "visit_code": wrong_code(feedback, number=3)},
        )
        statuses.append(response.status_code)
    assert statuses[: visits.ADDRESS_FAILURES] == [422] * visits.ADDRESS_FAILURES
    assert set(statuses[visits.ADDRESS_FAILURES :]) == {429}
    # Through the trusted proxy, each client's own address is what counts.
    other = counter_token(feedback, number=4)
    for n in range(visits.ADDRESS_FAILURES + 5):
        phone = await visitor(
            limited_app,
            open_browsers,
            address=PROXY,
            headers={"X-Forwarded-For": f"192.0.2.{n + 1}"},
        )
        response = await phone.post(
            f"/api/counters/{other}/ratings",
            {"overall": 3, "visit_code": wrong_code(feedback, number=4)},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == "visit_code"


async def test_a_flood_of_feedback_from_one_address_gets_429(
    limited_app: Litestar, limited_clock: Clock, open_browsers: list[Browser]
) -> None:
    limited_clock.advance(minutes=10)
    phone = await visitor(limited_app, open_browsers, address="203.0.113.200")
    before = await Feedback.count()
    statuses = []
    for _ in range(PER_ADDRESS + 3):
        response = await phone.post(
            "/api/feedback", {**FEEDBACK, "agency_code": COUNTER_AGENCY, "anonymous": True}
        )
        statuses.append(response.status_code)
    assert statuses[:PER_ADDRESS] == [201] * PER_ADDRESS
    assert set(statuses[PER_ADDRESS:]) == {429}
    assert await Feedback.count() == before + PER_ADDRESS
    form = await phone.client.post(
        "/phan-anh/gui",
        data={
            "_csrf_token": phone.client.cookies["csrftoken"],
            "agency_code": COUNTER_AGENCY,
            "category": "khac",
            "text": "Thêm một phản ánh nữa trong cùng phút.",
            "anonymous": "1",
        },
    )
    assert form.status_code == 429 and "quá nhiều lần" in form.text
    assert "Thêm một phản ánh nữa trong cùng phút." in form.text  # what was typed is kept
    assert await Feedback.count() == before + PER_ADDRESS


# ------------------------------------------------------------------------ feedback


async def test_feedback_through_the_api_from_sending_to_the_rated_answer(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    token = counter_token(feedback)
    sent = await phone.post("/api/feedback", {**FEEDBACK, "counter_token": token})
    assert sent.status_code == 201, sent.text
    body = sent.json()
    code = body["feedback"]["code"]
    assert body["tracking_url"].endswith(
        f"/phan-anh/{code}?k={service.tracking_token(feedback.secret_key, code)}"
    )
    assert body["feedback"]["status"] == "open" and body["feedback"]["photos"] == 0
    k = body["tracking_url"].rsplit("k=", 1)[1]
    assert (await phone.get(f"/api/feedback/{code}?k={k}")).json()["code"] == code
    assert (await phone.get(f"/api/feedback/{code}?k=nope")).status_code == 404
    assert (await phone.get(f"/api/feedback/{code}")).status_code == 404
    early = await phone.post(f"/api/feedback/{code}/rating?k={k}", {"stars": 5})
    assert early.status_code == 409

    official = await official_browser(dossiers_app, open_browsers, "reception", COUNTER_AGENCY)
    outsider = await official_browser(dossiers_app, open_browsers, "reception", OTHER_AGENCY)
    queue = (await official.browser.get("/api/staff/feedback")).json()
    item = next(i for i in queue["items"] if i["code"] == code)
    assert item["contact_phone"] == "0987654321" and not item["overdue"]
    assert queue["open"] >= 1
    assert (await outsider.browser.get(f"/api/staff/feedback/{item['id']}")).status_code == 404
    assert (await phone.get("/api/staff/feedback")).status_code == 401
    answer = await official.browser.post(
        f"/api/staff/feedback/{item['id']}/answer",
        {"answer": "Chúng tôi đã nhắc nhở cán bộ và xin lỗi anh.", "publish": True},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "answered" and answer.json()["on_time"]
    tracked = (await phone.get(f"/api/feedback/{code}?k={k}")).json()
    assert tracked["answer"].startswith("Chúng tôi") and tracked["published"]
    rated = await phone.post(f"/api/feedback/{code}/rating?k={k}", {"stars": 5})
    assert rated.status_code == 200 and rated.json()["answer_rating"] == 5
    assert (await phone.post(f"/api/feedback/{code}/rating?k={k}", {"stars": 1})).status_code == 409
    published = (await phone.get(f"/api/feedback/published?agency={COUNTER_AGENCY}")).json()
    entry = next(p for p in published if p["code"] == code)
    assert "contact_name" not in entry and entry["answer"].startswith("Chúng tôi")
    ratings = await official.browser.get("/api/staff/ratings")
    assert ratings.status_code == 200 and set(ratings.json()) == {"mine", "agency", "recent"}


async def test_feedback_with_photos_as_multipart_and_its_refusals(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    fields = {
        "agency_code": AGENCY,
        "category": "co_so",
        "text": "Phòng chờ không có nước uống, trời nóng.",
        "anonymous": "true",
    }
    headers = await phone.headers()
    sent = await phone.client.post(
        "/api/feedback",
        data=fields,
        files=[("photos", ("phong.jpg", jpeg(), "image/jpeg"))],
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["feedback"]["photos"] == 1
    code = sent.json()["feedback"]["code"]
    official = await official_browser(dossiers_app, open_browsers, "processing", AGENCY)
    [row] = await Feedback.select(Feedback.id).where(Feedback.code == code)
    photo = await official.browser.get(f"/api/staff/feedback/{row['id']}/photos/1")
    assert photo.status_code == 200 and photo.headers["x-content-type-options"] == "nosniff"
    assert photo.headers["content-disposition"].startswith("attachment")

    before = await Feedback.count()
    four = await phone.client.post(
        "/api/feedback",
        data=fields,
        files=[("photos", (f"{n}.jpg", jpeg(), "image/jpeg")) for n in range(4)],
        headers=headers,
    )
    assert four.status_code == 422 and four.json()["error"]["field"] == "photos"
    text = await phone.client.post(
        "/api/feedback",
        data=fields,
        files=[("photos", ("ghi-chu.txt", b"not an image at all", "image/jpeg"))],
        headers=headers,
    )
    assert text.status_code == 422
    huge = b"\xff\xd8\xff" + b"\0" * (service.MAX_PHOTOS * 10 * 1024 * 1024 + 300 * 1024)
    oversized = await phone.client.post(
        "/api/feedback",
        data=fields,
        files=[("photos", ("lon.jpg", huge, "image/jpeg"))],
        headers=headers,
    )
    assert oversized.status_code == 413
    long = await phone.post("/api/feedback", {**fields, "anonymous": True, "text": "x" * 2001})
    assert long.status_code == 422 and long.json()["error"]["field"] == "text"
    assert "2.000 ký tự" in long.json()["error"]["message_vi"]
    assert await Feedback.count() == before


async def test_officials_forward_through_the_api_and_citizens_cannot(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    citizen = await citizen_browser(dossiers_app, open_browsers)
    sent = await citizen.browser.post(
        "/api/feedback", {**FEEDBACK, "agency_code": COUNTER_AGENCY, "contact_phone": ""}
    )
    assert sent.status_code == 201, sent.text
    code = sent.json()["feedback"]["code"]
    # The signed-in sender follows it without the key.
    assert (await citizen.browser.get(f"/api/feedback/{code}")).status_code == 200
    official = await official_browser(dossiers_app, open_browsers, "leader", COUNTER_AGENCY)
    [row] = await Feedback.select(Feedback.id).where(Feedback.code == code)
    forbidden = await citizen.browser.post(
        f"/api/staff/feedback/{row['id']}/forward", {"agency_code": AGENCY}
    )
    assert forbidden.status_code == 403
    moved = await official.browser.post(
        f"/api/staff/feedback/{row['id']}/forward", {"agency_code": AGENCY, "note": "Sở Tư pháp"}
    )
    assert moved.status_code == 200 and moved.json()["agency_code"] == AGENCY
    assert moved.json()["history"][0]["note"] == "Sở Tư pháp"
    unknown = await official.browser.post(
        f"/api/staff/feedback/{row['id']}/forward", {"agency_code": "9.9.9"}
    )
    assert unknown.status_code == 404  # no longer theirs


async def test_the_api_is_described(dossiers_app: Litestar, open_browsers: list[Browser]) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    schema = (await phone.get("/schema/openapi.json")).json()
    operations = {
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {
        "rateDossier",
        "myDossierRating",
        "rateCounter",
        "sendFeedback",
        "trackFeedback",
        "rateFeedbackAnswer",
        "publishedAnswers",
        "feedbackQueue",
        "feedbackDetail",
        "answerFeedback",
        "forwardFeedback",
        "officialRatings",
    } <= operations
