"""The dossiers API over HTTP with signed-in browsers: uploads checked by content and
refused without losing anything, files served only to those allowed and never as a
page, body limits, the forms as PDF, and public tracking with its rate limit."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from PIL import Image

from backend.accounts import service as accounts
from backend.accounts.schemas import StaffCreate
from backend.app import create_app
from backend.db import Database
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import Browser, enrol, new_browser
from tests.dossiers.conftest import AGENCY, ANSWERS, PROCEDURE, jpeg
from tests.support.asgi import lifespan


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def citizen(app: Litestar, browsers: list[Browser]) -> Browser:
    browser = await new_browser(app)
    browsers.append(browser)
    await browser.sign_up(full_name="Trần Thị Hoa")
    return browser


async def official(
    app: Litestar, browsers: list[Browser], role: str, agency: str = AGENCY
) -> Browser:
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=f"Cán bộ {role}", role=role, agency_code=agency),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    browsers.append(browser)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    return browser


async def draft(browser: Browser, key: str) -> dict:  # type: ignore[type-arg]
    response = await browser.post("/api/dossiers", {"procedure_code": PROCEDURE, "draft_key": key})
    assert response.status_code in {200, 201}, response.text
    return dict(response.json())


async def upload(
    browser: Browser, dossier_id: int, component_id: int, data: bytes, name: str = "anh.jpg"
) -> httpx.Response:
    return await browser.client.post(
        f"/api/dossiers/{dossier_id}/files",
        files={"file": (name, data, "image/jpeg")},
        data={"component_id": str(component_id)},
        headers=await browser.headers(),
    )


def exif_photo() -> bytes:
    image = Image.new("RGB", (80, 60), (10, 200, 30))
    exif = Image.Exif()
    exif[0x8825] = {2: (21.0, 1.0, 0.0), 1: "N"}  # GPS latitude
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def test_a_citizen_submits_through_the_api(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    created = await draft(hoa, "api-flow-0000000001")
    again = await draft(hoa, "api-flow-0000000001")
    assert again["id"] == created["id"]
    dossier_id = created["id"]
    saved = await hoa.patch(f"/api/dossiers/{dossier_id}", {"form_data": ANSWERS})
    assert saved.status_code == 200 and saved.json()["form_data"] == ANSWERS
    bad = await hoa.patch(
        f"/api/dossiers/{dossier_id}", {"form_data": {"household_members": "abc"}}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "form_data.household_members"
    assert "phải là một số" in bad.json()["error"]["message_vi"]

    components = [c for c in created["components"] if c["required"] and c["uploadable"]]
    early = await hoa.post(f"/api/dossiers/{dossier_id}/submit")
    assert early.status_code == 422 and early.json()["error"]["field"] == "files"
    for component in components:
        response = await upload(hoa, dossier_id, component["id"], exif_photo())
        assert response.status_code == 201, response.text
    file_id = response.json()["id"]
    stored = await hoa.get(f"/api/dossiers/{dossier_id}/files/{file_id}")
    assert stored.status_code == 200
    assert stored.headers["content-disposition"].startswith("attachment;")
    assert stored.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in stored.headers["content-security-policy"]
    assert "no-store" in stored.headers["cache-control"]
    reread = Image.open(io.BytesIO(stored.content))
    assert not reread.getexif(), "EXIF (and GPS) must be stripped"

    submitted = await hoa.post(f"/api/dossiers/{dossier_id}/submit")
    assert submitted.status_code == 200, submitted.text
    code = submitted.json()["code"]
    assert code.startswith(f"{AGENCY}-")
    twice = await hoa.post(f"/api/dossiers/{dossier_id}/submit")
    assert twice.status_code == 409 and code in twice.json()["error"]["message_vi"]
    receipt = await hoa.get(f"/api/dossiers/{dossier_id}/forms/01")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert receipt.headers["content-disposition"].startswith("attachment;")
    slip = await hoa.get(f"/api/dossiers/{dossier_id}/forms/05")
    assert slip.status_code == 404  # the process-control slip is for officials
    listed = await hoa.get("/api/dossiers")
    assert dossier_id in {d["id"] for d in listed.json()}

    # After submission the documents are part of the record.
    removed = await hoa.delete(f"/api/dossiers/{dossier_id}/files/{file_id}")
    assert removed.status_code == 409

    reception = await official(dossiers_app, open_browsers, "reception")
    queue = await reception.get(f"/api/staff/dossiers?queue=new&q={code}")
    assert dossier_id in {d["id"] for d in queue.json()["items"]}
    version = submitted.json()["version"]
    received = await reception.post(
        f"/api/dossiers/{dossier_id}/actions", {"action": "receive", "version": version}
    )
    assert received.status_code == 200 and received.json()["status"] == "received"
    replay = await reception.post(
        f"/api/dossiers/{dossier_id}/actions", {"action": "receive", "version": version}
    )
    assert replay.status_code == 409
    slip = await reception.get(f"/api/dossiers/{dossier_id}/forms/05")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")


async def test_every_mistake_of_a_step_is_listed_at_once(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id = (await draft(hoa, "api-all-at-once-001"))["id"]
    bad = await hoa.patch(
        f"/api/dossiers/{dossier_id}",
        {
            "applicant_phone": "12345",
            "applicant_id_number": "0381",
            "form_data": {
                "case_summary": "Tranh chấp đất với hàng xóm",
                "household_members": "nhiều",
                "beneficiary_group": "vip",
            },
        },
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    problems = {param["name"]: param for param in bad.json()["invalid_params"]}
    assert set(problems) == {
        "applicant_phone",
        "applicant_id_number",
        "form_data.household_members",
        "form_data.beneficiary_group",
    }
    assert "phải là một số" in problems["form_data.household_members"]["reason_vi"]
    assert "must be a number" in problems["form_data.household_members"]["reason_en"]
    assert bad.json()["error"]["field"] in problems  # the first, for older scripts
    # What was right is kept; what was wrong is not.
    saved = (await hoa.get(f"/api/dossiers/{dossier_id}")).json()
    assert saved["form_data"] == {"case_summary": "Tranh chấp đất với hàng xóm"}
    assert saved["applicant_phone"] == hoa.phone


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("anh.jpg", b"GIF89a" + b"\x00" * 100, "JPEG"),
        ("anh.jpg", b"<html><script>alert(1)</script></html>", "JPEG"),
        ("../../etc/passwd.jpg", jpeg(), "tên"),
        ("anh.pdf", jpeg(), "PDF"),
        ("anh.jpg", jpeg() + b"PK\x03\x04" + b"\x00" * 200, ""),
        ("anh.jpg", b"", ""),
    ],
    ids=["gif", "html", "path", "mismatch", "polyglot", "empty"],
)
async def test_bad_uploads_are_refused_and_nothing_is_lost(
    dossiers_app: Litestar, open_browsers: list[Browser], name: str, data: bytes, expected: str
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    created = await draft(
        hoa,
        f"bad-upload-{len(open_browsers):04d}-{name[:3]}-{len(data)}".replace(".", "x").replace(
            "/", "x"
        ),
    )
    component = created["components"][0]["id"]
    good = await upload(hoa, created["id"], component, jpeg())
    assert good.status_code == 201
    refused = await upload(hoa, created["id"], component, data, name)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["field"] == "file" and expected in error["message_vi"]
    after = (await hoa.get(f"/api/dossiers/{created['id']}")).json()
    assert [f["id"] for f in after["files"]] == [good.json()["id"]]


async def test_an_oversized_body_is_refused(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    created = await draft(hoa, "oversized-000000001")
    response = await upload(
        hoa,
        created["id"],
        created["components"][0]["id"],
        b"\xff\xd8" + b"\x00" * (11 * 1024 * 1024),
    )
    assert response.status_code == 413
    # The rest of the API keeps its small limit.
    response = await hoa.patch(
        f"/api/dossiers/{created['id']}", {"form_data": {"case_summary": "x" * (1100 * 1024)}}
    )
    assert response.status_code == 413


async def test_someone_elses_dossier_and_files_are_not_found(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    owner = await citizen(dossiers_app, open_browsers)
    other = await citizen(dossiers_app, open_browsers)
    elsewhere = await official(dossiers_app, open_browsers, "reception", "000.00.13.H56")
    created = await draft(owner, "someone-else-0000001")
    file_id = (await upload(owner, created["id"], created["components"][0]["id"], jpeg())).json()[
        "id"
    ]
    base = f"/api/dossiers/{created['id']}"
    for intruder in (other, elsewhere):
        assert (await intruder.get(base)).status_code == 404
        assert (await intruder.get(f"{base}/files/{file_id}")).status_code == 404
        assert (await intruder.patch(base, {"form_data": ANSWERS})).status_code == 404
        assert (await intruder.delete(f"{base}/files/{file_id}")).status_code == 404
        assert (await intruder.post(f"{base}/submit")).status_code == 404
        response = await upload(intruder, created["id"], created["components"][0]["id"], jpeg())
        assert response.status_code == 404
    anonymous = await new_browser(dossiers_app)
    open_browsers.append(anonymous)
    assert (await anonymous.get(base)).status_code == 401
    assert (await owner.get(base)).json()["files"][0]["id"] == file_id
    # Without the CSRF header a cookie session cannot change anything.
    response = await owner.client.patch(base, json={"form_data": ANSWERS})
    assert response.status_code == 403


async def test_tracking_is_rate_limited(settings: Settings, database: Database) -> None:
    app = create_app(dataclasses.replace(fast_settings(settings), auth_rate_per_address=5))
    async with lifespan(app):
        browser = await new_browser(app)
        try:
            statuses = [
                (
                    await browser.post("/api/tracking", {"code": "X-1", "phone_last4": "1234"})
                ).status_code
                for _ in range(7)
            ]
        finally:
            await browser.close()
    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429, 429]
