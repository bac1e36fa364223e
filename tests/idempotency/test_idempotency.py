"""Idempotency-Key on the endpoints that create something: a retried upload, feedback
or rating makes one thing and gets the first answer again; the same key for another
request is refused; keys are nobody else's; a failure frees the key; a day later it
is forgotten."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from litestar import Litestar

from backend.clock import epoch_ms, utc_now
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.tables import DossierFile
from backend.errors import Conflict
from backend.feedback.tables import Feedback, Rating
from backend.idempotency import prune, service
from tests.accounts.helpers import Browser
from tests.dossiers.conftest import AGENCY, PROCEDURE, PersonFactory, dossiers_app, jpeg, people
from tests.feedback.conftest import (
    citizen_browser,
    open_browsers,
    returned,
    runtime,
    visitor,
)

__all__ = ["dossiers_app", "open_browsers", "people", "runtime"]

KEY = "Idempotency-Key"


def new_key() -> str:
    return str(uuid.uuid4())


async def draft(browser: Browser) -> tuple[int, int]:
    created = await browser.post(
        "/api/dossiers", {"procedure_code": PROCEDURE, "draft_key": f"idem-{uuid.uuid4().hex}"}
    )
    assert created.status_code == 201, created.text
    dossier = created.json()
    return dossier["id"], next(c["id"] for c in dossier["components"] if c["uploadable"])


async def upload(
    browser: Browser, dossier_id: int, component_id: int, data: bytes, key: str | None
) -> httpx.Response:
    """As the page script sends it: multipart (httpx draws a new boundary each time)."""
    headers = await browser.headers()
    if key is not None:
        headers[KEY] = key
    return await browser.client.post(
        f"/api/dossiers/{dossier_id}/files",
        files={"file": ("anh.jpg", data, "image/jpeg")},
        data={"component_id": str(component_id)},
        headers=headers,
    )


async def post(browser: Browser, url: str, body: object, key: str) -> httpx.Response:
    headers = {**await browser.headers(), KEY: key}
    return await browser.client.post(url, json=body, headers=headers)


async def files_of(dossier_id: int) -> int:
    return await DossierFile.count().where(DossierFile.dossier == dossier_id)


async def test_an_upload_retried_with_its_key_is_kept_once_and_answered_alike(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    dossier_id, component_id = await draft(person.browser)
    key, photo = new_key(), jpeg(90, 60)

    first = await upload(person.browser, dossier_id, component_id, photo, key)
    again = await upload(person.browser, dossier_id, component_id, photo, key)

    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["content-type"].startswith("application/json")
    assert await files_of(dossier_id) == 1
    # Another file, another key: a second file (and without a key, as before).
    other = await upload(person.browser, dossier_id, component_id, jpeg(91, 60), new_key())
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert await files_of(dossier_id) == 2


async def test_the_same_key_for_another_request_is_refused_and_changes_nothing(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    dossier_id, component_id = await draft(person.browser)
    key = new_key()
    assert (await upload(person.browser, dossier_id, component_id, jpeg(), key)).status_code == 201

    other = await upload(person.browser, dossier_id, component_id, jpeg(70, 70), key)

    assert other.status_code == 422
    problem = other.json()["invalid_params"][0]
    assert problem["name"] == KEY
    assert "khóa mới" in problem["reason_vi"] and "new key" in problem["reason_en"]
    assert await files_of(dossier_id) == 1
    bad = await upload(person.browser, dossier_id, component_id, jpeg(), "x" * 256)
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == KEY
    assert await files_of(dossier_id) == 1


async def test_two_uploads_at_once_with_one_key_keep_one_file(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    dossier_id, component_id = await draft(person.browser)
    key, photo = new_key(), jpeg(400, 300)

    answers = await asyncio.gather(
        *(upload(person.browser, dossier_id, component_id, photo, key) for _ in range(4))
    )

    made = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(made) == 1
    for answer in answers:
        # The others came while it ran (409: try again) or after (its answer again).
        assert answer.status_code in {201, 409}, answer.text
        if answer.status_code == 201:
            assert answer.json() == made[0].json()
        else:
            assert answer.json()["invalid_params"][0]["name"] == KEY
    assert await files_of(dossier_id) == 1


async def test_a_request_in_flight_holds_its_key_until_it_is_older_than_any_request() -> None:
    key = service.request_key("account:1", "POST", "/api/x", new_key())
    now = epoch_ms(utc_now)
    first = await service.reserve(key, "a" * 64, now)
    assert isinstance(first, service.Reservation)
    with pytest.raises(Conflict) as busy:
        await service.reserve(key, "a" * 64, now + 1000)
    assert busy.value.status_code == 409 and busy.value.field == KEY
    # Its process died: past the in-flight limit, a retry takes the key over ...
    later = now + service.IN_FLIGHT_MS + 1
    taken = await service.reserve(key, "a" * 64, later)
    assert isinstance(taken, service.Reservation) and taken.created_ms == later
    # ... and the dead one's late word is not recorded over it.
    await service.complete(first, service.Answer(201, {}, b"{}"))
    with pytest.raises(Conflict):
        await service.reserve(key, "a" * 64, later + 1)


async def test_a_refused_first_attempt_frees_the_key(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    dossier_id, component_id = await draft(person.browser)
    key = new_key()
    refused = await upload(person.browser, dossier_id, component_id, b"%PDF-1.4 torn", key)
    assert refused.status_code in {400, 422}, refused.text
    again = await upload(person.browser, dossier_id, component_id, b"%PDF-1.4 torn", key)
    assert again.status_code == refused.status_code
    assert "idempotent-replayed" not in again.headers
    assert await files_of(dossier_id) == 0


async def test_keys_are_each_persons_own(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    one = await citizen_browser(dossiers_app, open_browsers)
    other = await citizen_browser(dossiers_app, open_browsers)
    key = new_key()
    body = {"procedure_code": PROCEDURE, "draft_key": f"idem-{uuid.uuid4().hex}"}
    mine = await post(one.browser, "/api/dossiers", body, key)
    theirs = await post(
        other.browser, "/api/dossiers", {**body, "draft_key": f"idem-{uuid.uuid4().hex}"}, key
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers


async def test_feedback_sent_twice_under_one_key_is_one_feedback(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    text = f"Quầy số 2 đóng cửa sớm hơn giờ niêm yết {uuid.uuid4().hex[:6]}."
    body = {"category": "thai_do", "text": text, "anonymous": True, "agency_code": AGENCY}
    key = new_key()
    first = await post(phone, "/api/feedback", body, key)
    # The same object, its keys in another order: the same request.
    again = await post(phone, "/api/feedback", dict(reversed(body.items())), key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await Feedback.count().where(Feedback.text == text) == 1


async def test_a_dossier_rating_replayed_under_its_key_gives_the_first_answer(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    owner = await citizen_browser(dossiers_app, open_browsers)
    dossier, _ = await returned(runtime, people, owner.principal)
    url = f"/api/dossiers/{dossier.id}/rating"
    headers = {**await owner.browser.headers(), KEY: new_key()}
    first = await owner.browser.client.put(url, json={"overall": 4}, headers=headers)
    again = await owner.browser.client.put(url, json={"overall": 4}, headers=headers)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await Rating.count().where(Rating.dossier_id == dossier.id) == 1


async def test_keys_are_forgotten_after_a_day(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    person = await citizen_browser(dossiers_app, open_browsers)
    dossier_id, component_id = await draft(person.browser)
    key, photo = new_key(), jpeg(92, 60)
    assert (await upload(person.browser, dossier_id, component_id, photo, key)).status_code == 201
    await prune(epoch_ms(utc_now))  # nothing of today goes
    kept = await upload(person.browser, dossier_id, component_id, photo, key)
    assert kept.headers["idempotent-replayed"] == "true"
    a_day_later = int(time.time() * 1000) + service.KEEP_MS + 1
    assert await prune(a_day_later) >= 1
    again = await upload(person.browser, dossier_id, component_id, photo, key)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert await files_of(dossier_id) == 2
