"""A dossier's result signed in the console by a leader of the agency handling it,
downloaded by the citizen as it was signed, and checked by anyone on the public page:
by its code (the QR code's address) and by the file itself."""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.catalogue import service as catalogue
from backend.db import Database
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.signing import verify
from backend.signing.runtime import SigningRuntime
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import AGENCY, OTHER_AGENCY, new_browser
from tests.conftest import make_settings
from tests.dossiers import test_console as console
from tests.dossiers.test_console import (
    Person,
    act,
    followed,
    page_url,
    pdf,
    png,
    post_form,
    submitted,
    text_of,
)
from tests.support.asgi import lifespan
from tests.support.pki import signing_env

# The console tests' fixtures, on this module's app (``console_app``).
clock, runtime, people = console.clock, console.runtime, console.people


@pytest.fixture(scope="module")
async def console_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Litestar]:
    """An app whose agencies sign with the session's test CA."""
    settings = fast_settings(
        await make_settings(tmp_path_factory.mktemp("signing"), "signing", **signing_env())
    )
    database = Database(settings)
    await database.open()
    await database.migrate()
    await catalogue.seed_demo()
    app = create_app(settings)
    async with lifespan(app):
        yield app
    await database.close()


async def decided(runtime: DossiersRuntime, people: Any) -> tuple[int, dict[str, Person]]:
    """A dossier approved by the leader, and the officials who took it there."""
    citizen = await people["citizen"]()
    dossier = await submitted(runtime, citizen)
    staff = {
        "citizen": citizen,
        "reception": await people["official"]("reception"),
        "processing": await people["official"]("processing", name="Lê Văn Xử"),
        "leader": await people["official"]("leader", name="Phạm Minh Lãnh"),
    }
    await followed(
        staff["reception"].browser, await act(staff["reception"].browser, dossier.id, "receive")
    )
    await followed(
        staff["reception"].browser,
        await act(
            staff["reception"].browser,
            dossier.id,
            "assign",
            assignee_id=str(staff["processing"].id),
        ),
    )
    await followed(
        staff["processing"].browser,
        await act(staff["processing"].browser, dossier.id, "propose", decision="approve"),
    )
    await followed(
        staff["leader"].browser,
        await act(staff["leader"].browser, dossier.id, "decide", decision="approve"),
    )
    return dossier.id, staff


async def upload(person: Person, dossier_id: int, name: str, data: bytes, kind: str) -> None:
    response = await post_form(
        person.browser, f"{page_url(dossier_id)}/ket-qua", {}, files={"file": (name, data, kind)}
    )
    assert response.status_code == 303, text_of(response)


async def results(runtime: DossiersRuntime, person: Person, dossier_id: int) -> list[Any]:
    dossier = await service.get_dossier(runtime, person.principal, dossier_id)
    return [f for f in dossier.files if f.purpose == "result"]


def anonymous(app: Litestar) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000"
    )


async def test_a_leader_signs_the_result_the_citizen_gets_it_signed_anyone_checks_it(
    runtime: DossiersRuntime, people: Any, console_app: Litestar
) -> None:
    dossier_id, staff = await decided(runtime, people)
    processing, leader = staff["processing"], staff["leader"]
    await upload(processing, dossier_id, "Quyết định trợ giúp.pdf", pdf(2), "application/pdf")
    await upload(processing, dossier_id, "bien-ban.png", png(), "image/png")
    signed_one, photo = await results(runtime, processing, dossier_id)
    original = await runtime.attachments.storage.get(await _key_of(signed_one.id))

    # Nothing goes out unsigned where the agency signs.
    refused = await act(processing.browser, dossier_id, "attach_result")
    assert refused.status_code == 422
    assert "còn 2 văn bản chưa được lãnh đạo ký số" in text_of(refused)

    # Only a leader signs, and only a PDF.
    page = await processing.browser.get(page_url(dossier_id))
    assert f'id="sign-result-{signed_one.id}"' not in page.text
    assert "Chờ lãnh đạo ký số" in text_of(page) and "Cần bản PDF để ký số" in text_of(page)
    not_leader = await post_form(
        processing.browser, f"{page_url(dossier_id)}/ket-qua/{signed_one.id}/ky-so", {}
    )
    assert not_leader.status_code == 403
    assert "Chỉ lãnh đạo cơ quan đang giải quyết hồ sơ ký số kết quả." in text_of(not_leader)
    page = await leader.browser.get(page_url(dossier_id))
    assert f'id="sign-result-{signed_one.id}"' in page.text
    assert f'id="sign-result-{photo.id}"' not in page.text
    a_photo = await post_form(
        leader.browser, f"{page_url(dossier_id)}/ket-qua/{photo.id}/ky-so", {}
    )
    assert a_photo.status_code == 422 and "Chỉ ký số được văn bản PDF." in text_of(a_photo)

    done = await followed(
        leader.browser,
        await post_form(
            leader.browser, f"{page_url(dossier_id)}/ket-qua/{signed_one.id}/ky-so", {}
        ),
    )
    assert "Đã ký số văn bản kết quả bằng chứng thư số của cơ quan." in text_of(done)
    (signed_file, _) = await results(runtime, leader, dossier_id)
    code = signed_file.signature_code
    assert code and re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", code)
    assert f"Đã ký số · {code}" in text_of(done)
    # Signing again (a second tap) changes nothing.
    again = await post_form(
        leader.browser, f"{page_url(dossier_id)}/ket-qua/{signed_one.id}/ky-so", {}
    )
    assert again.status_code == 303
    assert (await results(runtime, leader, dossier_id))[0].signature_code == code

    # With the photo taken away, the result goes out.
    removed = await post_form(
        processing.browser, f"{page_url(dossier_id)}/ket-qua/{photo.id}/xoa", {}
    )
    assert removed.status_code == 303
    attached = await followed(
        processing.browser, await act(processing.browser, dossier_id, "attach_result")
    )
    assert "Có kết quả, chờ trả" in text_of(attached)

    # The citizen downloads the signed file and is told how others can check it.
    citizen = staff["citizen"]
    mine = await citizen.browser.get(f"/ho-so/{dossier_id}")
    assert f'href="/xac-thuc/{code}"' in mine.text
    download = await citizen.browser.get(f"/api/dossiers/{dossier_id}/files/{signed_file.id}")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    signed = download.content
    assert signed.startswith(original) and len(signed) > len(original)  # an incremental update
    signing: SigningRuntime = console_app.state["signing"]
    found = await asyncio.to_thread(verify.check_pdf, signed, signing.trust_roots, fetch=False)
    assert found.outcome == "valid"

    # Form 01 as issued at reception: sealed with the agency's key, the same copy each time.
    form01 = await citizen.browser.get(f"/api/dossiers/{dossier_id}/forms/01")
    again01 = await citizen.browser.get(f"/api/dossiers/{dossier_id}/forms/01")
    assert form01.status_code == 200 and form01.content == again01.content
    sealed = await asyncio.to_thread(
        verify.check_pdf, form01.content, signing.trust_roots, fetch=False
    )
    assert sealed.outcome == "valid"

    # Anyone: the code's page, then the file checked against it; nothing personal.
    async with anonymous(console_app) as visitor:
        by_code = await visitor.get(f"/xac-thuc/{code}")
        text = html.unescape(by_code.text)
        assert by_code.status_code == 200 and "Văn bản hợp lệ" in text
        assert "Sở Tư pháp" in text and hashlib.sha256(signed).hexdigest() in text
        assert "Nguyễn Thị Hoa" not in text
        assert by_code.headers["cache-control"] == "no-store"
        lower = await visitor.get(f"/xac-thuc/{code.lower()}")
        assert "Văn bản hợp lệ" in html.unescape(lower.text)
        typed = await visitor.get("/xac-thuc", params={"ma": f" {code[:5]} {code[5:]} "})
        assert typed.status_code == 303 and typed.headers["location"] == f"/xac-thuc/{code}"

        api = await visitor.get(f"/api/verification/{code}")
        assert api.status_code == 200
        body = api.json()
        assert body["outcome"] == "valid" and body["document"]["kind"] == "result"
        assert body["document"]["url"] == f"http://localhost:8000/xac-thuc/{code}"
        assert body["signatures"][0]["signer_code"] == AGENCY

        checked = await visitor.post(
            "/api/verification",
            files={"file": ("ket-qua.pdf", signed, "application/pdf")},
            data={"code": code},
        )
        assert checked.status_code == 200 and checked.json()["outcome"] == "valid"
        unsigned = await visitor.post(
            "/api/verification", files={"file": ("ban-chua-ky.pdf", original, "application/pdf")}
        )
        assert unsigned.json()["outcome"] == "unsigned"
        flipped = bytearray(signed)
        flipped[len(original) // 2] ^= 0x01
        modified = await visitor.post(
            "/api/verification",
            files={"file": ("ket-qua.pdf", bytes(flipped), "application/pdf")},
            data={"code": code},
        )
        assert modified.json()["outcome"] == "modified"


async def _key_of(file_id: int) -> str:
    from backend.dossiers.tables import DossierFile

    rows = await DossierFile.select(DossierFile.storage_key).where(DossierFile.id == file_id)
    return str(rows[0]["storage_key"])


async def test_a_signed_result_taken_back_before_release_is_told_withdrawn(
    runtime: DossiersRuntime, people: Any, console_app: Litestar
) -> None:
    dossier_id, staff = await decided(runtime, people)
    leader = staff["leader"]
    await upload(leader, dossier_id, "Quyết định.pdf", pdf(1), "application/pdf")
    (file,) = await results(runtime, leader, dossier_id)
    await service.sign_result(runtime, leader.principal, dossier_id, file.id)
    (file,) = await results(runtime, leader, dossier_id)
    removed = await post_form(leader.browser, f"{page_url(dossier_id)}/ket-qua/{file.id}/xoa", {})
    assert removed.status_code == 303
    async with anonymous(console_app) as visitor:
        page = html.unescape((await visitor.get(f"/xac-thuc/{file.signature_code}")).text)
    assert "Văn bản đã bị cơ quan thu hồi" in page and "Cơ quan thu hồi lúc" in page


async def test_strangers_cannot_sign_and_bad_files_and_codes_are_answered_clearly(
    runtime: DossiersRuntime, people: Any, console_app: Litestar
) -> None:
    dossier_id, staff = await decided(runtime, people)
    await upload(staff["leader"], dossier_id, "Quyết định.pdf", pdf(1), "application/pdf")
    (file,) = await results(runtime, staff["leader"], dossier_id)
    other_leader = await people["official"]("leader", agency=OTHER_AGENCY)
    elsewhere = await post_form(
        other_leader.browser, f"{page_url(dossier_id)}/ket-qua/{file.id}/ky-so", {}
    )
    assert elsewhere.status_code == 404
    citizen = await new_browser(console_app)
    try:
        await citizen.sign_up(full_name="Người Lạ")
        await citizen.headers()
        forged = await citizen.client.post(
            f"{page_url(dossier_id)}/ket-qua/{file.id}/ky-so",
            data={"_csrf_token": citizen.client.cookies["csrftoken"]},
        )
        assert forged.status_code in {302, 303, 403}
    finally:
        await citizen.close()
    assert (await results(runtime, staff["leader"], dossier_id))[0].signature_code is None

    async with anonymous(console_app) as visitor:
        unknown = await visitor.get("/xac-thuc/ABCDEFGHJK")
        assert unknown.status_code == 404
        assert "Không có văn bản nào mang mã này." in html.unescape(unknown.text)
        nonsense = await visitor.get("/api/verification/not-a-code")
        assert nonsense.status_code in {400, 404}
        photo = await visitor.post(
            "/api/verification",
            files={"file": ("anh.jpg", b"\xff\xd8\xff\xe0 photo", "image/jpeg")},
        )
        assert photo.status_code == 422
        assert "không phải là tệp PDF" in photo.json()["detail"]
        big = b"%PDF-1.7\n" + b"0" * (50 * 1024 * 1024)
        too_big = await visitor.post(
            "/api/verification", files={"file": ("to.pdf", big, "application/pdf")}
        )
        assert too_big.status_code == 413
        page = await visitor.get("/xac-thuc")
        token = visitor.cookies["csrftoken"]
        too_big_page = await visitor.post(
            "/xac-thuc",
            files={"file": ("to.pdf", big, "application/pdf")},
            data={"_csrf_token": token},
        )
        # Refused before a byte of it is parsed, in the page's language.
        assert page.status_code == 200 and too_big_page.status_code == 413
        assert "Dữ liệu gửi lên quá lớn." in html.unescape(too_big_page.text)
        in_english = await visitor.post(
            "/xac-thuc",
            files={"file": ("anh.jpg", b"\xff\xd8\xff photo", "image/jpeg")},
            data={"_csrf_token": token},
            headers={"Accept-Language": "en"},
        )
        assert in_english.status_code == 422 and "not a PDF" in html.unescape(in_english.text)
