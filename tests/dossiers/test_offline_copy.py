"""GET /api/dossiers/offline: what the phone keeps to show at a counter without signal
(public/sw.js stores it until sign-out): only the signed-in person's submitted
dossiers, their code and status in the reader's language, never for a shared cache."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from tests.accounts.helpers import Browser, new_browser
from tests.dossiers.conftest import ANSWERS, PROCEDURE, jpeg

URL = "/api/dossiers/offline"


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def person(app: Litestar, browsers: list[Browser], **headers: str) -> Browser:
    browser = await new_browser(app, headers=headers or None)
    browsers.append(browser)
    await browser.sign_up(full_name="Lò Văn Pá")
    return browser


async def submitted(browser: Browser, key: str) -> dict[str, object]:
    draft = (
        await browser.post("/api/dossiers", {"procedure_code": PROCEDURE, "draft_key": key})
    ).json()
    assert (await browser.patch(f"/api/dossiers/{draft['id']}", {"form_data": ANSWERS})).is_success
    for component in draft["components"]:
        if component["required"] and component["uploadable"]:
            response = await browser.client.post(
                f"/api/dossiers/{draft['id']}/files",
                files={"file": ("anh.jpg", jpeg(), "image/jpeg")},
                data={"component_id": str(component["id"])},
                headers=await browser.headers(),
            )
            assert response.status_code == 201, response.text
    response = await browser.post(f"/api/dossiers/{draft['id']}/submit")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_only_the_persons_submitted_dossiers_with_code_and_status(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    pa = await person(dossiers_app, open_browsers)
    filed = await submitted(pa, "offline-copy-000000001")
    await pa.post("/api/dossiers", {"procedure_code": PROCEDURE, "draft_key": "offline-draft-001"})

    response = await pa.get(URL)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    copy = response.json()
    assert copy["lang"] == "vi"
    # The draft has no code yet: nothing to show at a counter.
    assert [d["code"] for d in copy["items"]] == [filed["code"]]
    item = copy["items"][0]
    assert item["status"] == "submitted"
    assert item["status_text"] == "Đã nộp, chờ cán bộ kiểm tra"  # as their own pages say it
    assert item["procedure_name"] == filed["procedure_name_vi"]
    assert item["due_text"].count("/") == 2, item  # 25/11/2026
    # Nothing a counter does not need: no name, phone or ID number on the phone.
    assert set(item) == {
        "id",
        "code",
        "procedure_name",
        "status",
        "status_text",
        "due_text",
        "unpaid",
    }

    stranger = await person(dossiers_app, open_browsers)
    assert (await stranger.get(URL)).json()["items"] == []


async def test_in_english_for_an_english_reader(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    reader = await person(dossiers_app, open_browsers, **{"Accept-Language": "en-GB,en;q=0.8"})
    filed = await submitted(reader, "offline-copy-english-01")
    copy = (await reader.get(URL)).json()
    assert copy["lang"] == "en"
    assert copy["items"][0]["status_text"] == "Submitted, waiting to be checked"
    assert copy["items"][0]["procedure_name"] == filed["procedure_name_en"]
    assert any(c.isalpha() for c in copy["items"][0]["due_text"]), copy  # 25 Nov 2026


async def test_nobody_signed_in_or_signed_out_gets_401(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    """The worker deletes its copy on a 401: the session ended (here or elsewhere)."""
    anonymous = await new_browser(dossiers_app)
    open_browsers.append(anonymous)
    response = await anonymous.get(URL)
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"

    leaving = await person(dossiers_app, open_browsers)
    await submitted(leaving, "offline-copy-leaving-1")
    assert (await leaving.get(URL)).status_code == 200
    ended = leaving.session
    assert (await leaving.post("/api/auth/logout-everywhere")).is_success
    # The cookie a phone still holds after a sign-out on another device.
    for cookie in (ended, "not-a-session"):
        anonymous.client.cookies.set("motcua_session", cookie or "")
        response = await anonymous.get(URL)
        assert response.status_code == 401, cookie
