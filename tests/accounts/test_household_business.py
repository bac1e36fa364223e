"""Household businesses: the 12-digit personal ID number as a tax code, and the claim a
second representative files for an organisation someone else registered first,
decided by a reception official of the province's service centre."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
import re
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image

from backend.accounts.schemas import ClaimIn, Principal
from backend.accounts.service import Client, claims
from backend.accounts.tables import Membership, OrganisationClaim
from backend.accounts.validation import tax_code
from backend.app import create_app
from backend.attachments import MAX_FILE_BYTES
from backend.errors import Conflict, InvalidInput, TooManyRequests
from backend.notifications.service.notices import SECURITY, NoticeRow, notice_text, notice_url
from backend.outbox import service as outbox
from backend.settings import Settings
from tests.accounts.conftest import CitizenFactory, StaffFactory, fast_settings
from tests.accounts.helpers import Browser, audit_events
from tests.accounts.test_organisations import valid_tax_code
from tests.support.asgi import lifespan

CENTRE = "000.00.01.H56"
ELSEWHERE = "000.00.12.H56"


def personal_id() -> str:
    """A Thanh Hóa (038) man born in 1985: century digit 0, year 85, six random digits."""
    return "038085" + f"{random.randrange(10**6):06d}"


def png(size: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="GIAY CHUNG NHAN DANG KY HO KINH DOANH")
    return bytes(document.output())


def form_token(browser: Browser) -> dict[str, str]:
    return {"_csrf_token": browser.client.cookies["csrftoken"]}


# ----------------------------------------------------------------- the tax code


@pytest.mark.parametrize("value", ["038085123456", "001 203 004 567", "079.1.99.000001"])
def test_a_personal_id_number_is_a_tax_code(value: str) -> None:
    assert tax_code(value, year=2026) == re.sub(r"\D", "", value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("03808512345", "12 chữ số"),  # 11 digits
        ("03808512345678", "12 chữ số"),  # 14 digits
        ("03808512345A", "12 chữ số"),
        ("hộkinhdoanh1", "12 chữ số"),
        ("038427123456", "năm sinh"),  # born in 2127
        ("038399123456", "năm sinh"),  # born in 2099
        ("038540123456", "năm sinh"),  # the 22nd century
    ],
)
def test_what_is_not_a_tax_code(value: str, why: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        tax_code(value, year=2026)
    assert raised.value.field == "tax_code"
    vietnamese, english = raised.value.text.render("vi"), raised.value.text.render("en")
    assert vietnamese.startswith("Mã số thuế") and why in vietnamese
    assert english.startswith("A tax code") or english.startswith("A 12-digit tax code")


def test_ten_and_thirteen_digit_codes_are_checked_as_before() -> None:
    assert tax_code("0100233488") == "0100233488"
    assert tax_code("0100233488-001") == "0100233488001"
    for wrong in ("0100233480", "0100233488-000", "0100000000"):
        with pytest.raises(InvalidInput):
            tax_code(wrong)
    # A birth in the current year is someone's (a baby's ID number is issued at birth).
    assert tax_code("038226000001", year=2026) == "038226000001"


async def test_a_household_business_registers_with_its_owners_id(
    citizen: CitizenFactory,
) -> None:
    owner, _ = await citizen(full_name="Lê Văn Hộ")
    code = personal_id()
    created = await owner.post(
        "/api/organisations",
        {"name": "Hộ kinh doanh Lê Văn Hộ", "tax_code": code, "address": "5 Trần Phú, Sầm Sơn"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["tax_code"] == code and created.json()["my_role"] == "owner"

    refused = await owner.post(
        "/api/organisations",
        {"name": "Hộ kinh doanh Sai Số", "tax_code": code[:11], "address": "5 Trần Phú, Sầm Sơn"},
    )
    assert refused.status_code == 422
    problem = refused.json()["invalid_params"][0]
    assert problem["name"] == "tax_code" and "12 chữ số" in problem["reason"]


async def test_the_organisation_page_takes_a_12_digit_code(citizen: CitizenFactory) -> None:
    owner, _ = await citizen()
    await owner.get("/to-chuc")
    code = personal_id()
    made = await owner.client.post(
        "/to-chuc",
        data={
            **form_token(owner),
            "name": "Hộ kinh doanh Cơm Niêu",
            "tax_code": code,
            "address": "18 Lê Lai, Thanh Hóa",
        },
    )
    assert made.status_code == 303, made.text
    page = await owner.get(made.headers["location"])
    assert code in page.text and "Hộ kinh doanh Cơm Niêu" in page.text
    bad = await owner.client.post(
        "/to-chuc",
        data={
            **form_token(owner),
            "name": "Hộ kinh doanh Cơm Niêu",
            "tax_code": "0380851234567",
            "address": "18 Lê Lai, Thanh Hóa",
        },
    )
    assert bad.status_code == 422 and "số định danh cá nhân" in bad.text


# ---------------------------------------------------------------------- claims


async def registered(owner: Browser, code: str | None = None) -> dict[str, Any]:
    response = await owner.post(
        "/api/organisations",
        {
            "name": "Hộ kinh doanh Bánh Gai",
            "tax_code": code or personal_id(),
            "address": "3 Bà Triệu, Thọ Xuân",
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def file_claim(
    person: Browser, code: str, file: tuple[str, bytes, str] | None = None, reason: str = ""
) -> Any:
    files = {"file": file or ("giay-chung-nhan.png", png(), "image/png")}
    return await person.client.post(
        "/api/organisation-claims",
        data={"tax_code": code, "reason": reason or "Tôi là chủ hộ ghi trên giấy chứng nhận."},
        files=files,
        headers=await person.headers(),
    )


async def test_a_claim_from_filing_to_confirmation(
    citizen: CitizenFactory, staff: StaffFactory
) -> None:
    owner, owner_id = await citizen(full_name="Người Đăng Ký Trước")
    organisation = await registered(owner)
    code = organisation["tax_code"]
    claimant, claimant_id = await citizen(full_name="Chủ Hộ Thật")

    # Registering it again is refused, and the page names the claim path.
    again = await claimant.post(
        "/api/organisations",
        {"name": "Hộ kinh doanh Bánh Gai", "tax_code": code, "address": "3 Bà Triệu, Thọ Xuân"},
    )
    assert again.status_code == 409 and "yêu cầu đại diện" in again.json()["detail"]

    filed = await file_claim(claimant, code)
    assert filed.status_code == 201, filed.text
    claim = filed.json()
    assert claim["status"] == "pending" and claim["organisation_id"] == organisation["id"]
    assert claim["certificate_name"] == "giay-chung-nhan.png"
    assert (await claimant.get(f"/api/organisation-claims/{claim['id']}")).json() == claim

    # Nobody else sees it: another citizen, the owner, the claimant's certificate link.
    stranger, _ = await citizen()
    assert (await stranger.get(f"/api/organisation-claims/{claim['id']}")).status_code == 404
    assert (await owner.get(f"/api/organisation-claims/{claim['id']}")).status_code == 404
    assert (await owner.get("/api/organisation-claims")).json() == []
    certificate_url = f"/api/staff/organisation-claims/{claim['id']}/certificate"
    assert (await claimant.get(certificate_url)).status_code == 403
    # Nor does a reception official of another agency, nor the centre's processing official.
    elsewhere, _ = await staff("reception", ELSEWHERE)
    assert (await elsewhere.get(certificate_url)).status_code == 403
    assert (await elsewhere.get("/api/staff/organisation-claims")).status_code == 403
    processing, _ = await staff("processing", CENTRE)
    assert (await processing.get(certificate_url)).status_code == 403

    # A second claim while this one is open, and a claim by the owner, are refused.
    twice = await file_claim(claimant, code)
    assert twice.status_code == 409 and twice.json()["invalid_params"][0]["name"] == "tax_code"
    mine = await file_claim(owner, code)
    assert mine.status_code == 409 and "đã là chủ tài khoản" in mine.json()["detail"]

    official, official_id = await staff("reception", CENTRE)
    pending = (await official.get("/api/staff/organisation-claims")).json()
    listed = next(c for c in pending if c["id"] == claim["id"])
    assert listed["claimant_name"] == "Chủ Hộ Thật"
    assert listed["owners"] == ["Người Đăng Ký Trước"]
    download = await official.get(certificate_url)
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"

    decision_url = f"/api/staff/organisation-claims/{claim['id']}/decision"
    vague = await official.post(decision_url, {"confirm": True, "reason": "ok"})
    assert vague.status_code == 422 and vague.json()["invalid_params"][0]["name"] == "reason"
    decided = await official.post(
        decision_url, {"confirm": True, "reason": "Đã đối chiếu GCN đăng ký hộ kinh doanh."}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "confirmed"
    assert sorted(decided.json()["owners"]) == ["Chủ Hộ Thật", "Người Đăng Ký Trước"]

    # The claimant acts for it as an owner; the first owner stays one.
    detail = (await claimant.get(f"/api/organisations/{organisation['id']}")).json()
    assert detail["my_role"] == "owner"
    assert (
        await claimant.post(f"/api/organisations/{organisation['id']}/invitations")
    ).status_code == 201
    assert (await owner.get(f"/api/organisations/{organisation['id']}")).json()[
        "my_role"
    ] == "owner"

    # A replayed or second decision is refused and changes nothing.
    replay = await official.post(
        decision_url, {"confirm": False, "reason": "Đã đối chiếu GCN đăng ký hộ kinh doanh."}
    )
    assert replay.status_code == 409 and "đã được xử lý" in replay.json()["detail"]
    assert (await claimant.get(f"/api/organisation-claims/{claim['id']}")).json()["status"] == (
        "confirmed"
    )
    # Now an owner, the claimant cannot claim again.
    assert (await file_claim(claimant, code)).status_code == 409

    told = await outbox.messages_for(f"organisation:{organisation['id']}")
    by_kind = {message["kind"]: message for message in told}
    assert by_kind[claims.CLAIM_CONFIRMED]["account_ids"] == [claimant_id]
    assert by_kind[claims.ORGANISATION_CLAIMED]["account_ids"] == [owner_id]
    assert by_kind[claims.ORGANISATION_CLAIMED]["payload"]["code"] == str(organisation["id"])
    assert claims.CLAIM_REJECTED not in by_kind

    events = [
        e for e in await audit_events(claimant_id) if e["event"].startswith("organisation_claim")
    ]
    assert [e["event"] for e in events] == [
        "organisation_claim_filed",
        "organisation_claim_certificate_viewed",
        "organisation_claim_confirmed",
    ]
    assert all(e["details"]["claim_id"] == claim["id"] for e in events)
    assert events[0]["actor_id"] == claimant_id and events[2]["actor_id"] == official_id
    assert events[2]["details"]["agency"] == CENTRE
    # Ids only: neither reason nor tax code nor the certificate's name.
    assert all("reason" not in e["details"] and code not in str(e["details"]) for e in events)


async def test_a_rejected_claim_tells_the_claimant_why(
    citizen: CitizenFactory, staff: StaffFactory
) -> None:
    owner, owner_id = await citizen()
    organisation = await registered(owner, valid_tax_code(random.randrange(10**9)))
    claimant, claimant_id = await citizen()
    pdf = pdf_bytes()
    filed = await file_claim(
        claimant, organisation["tax_code"], ("gcn.pdf", pdf, "application/pdf")
    )
    assert filed.status_code == 201, filed.text
    claim_id = filed.json()["id"]
    official, _ = await staff("reception", CENTRE)
    rejected = await official.post(
        f"/api/staff/organisation-claims/{claim_id}/decision",
        {"confirm": False, "reason": "Ảnh mờ, không đọc được tên chủ hộ."},
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert await Membership.count().where(Membership.account == claimant_id) == 0

    seen = (await claimant.get(f"/api/organisation-claims/{claim_id}")).json()
    assert (
        seen["status"] == "rejected"
        and seen["decision_reason"] == "Ảnh mờ, không đọc được tên chủ hộ."
    )
    told = await outbox.messages_for(f"organisation:{organisation['id']}")
    assert [(m["kind"], m["account_ids"], m["payload"]["code"]) for m in told] == [
        (claims.CLAIM_REJECTED, [claimant_id], str(claim_id))
    ]
    assert [e["event"] for e in await audit_events(claimant_id, "organisation_claim_rejected")]
    assert not await audit_events(owner_id, "organisation_claim_rejected")
    # Decided, the claim is no longer open: another may be filed.
    assert (await file_claim(claimant, organisation["tax_code"])).status_code == 201


@pytest.mark.parametrize(
    ("file", "why"),
    [
        (("giay.txt", b"GIAY CHUNG NHAN DANG KY HO KINH DOANH", "text/plain"), "không phải ảnh"),
        (("giay.png", b"\x89PNG\r\n\x1a\n" + b"0" * MAX_FILE_BYTES, "image/png"), "10 MB"),
        (("giay.jpg", png(), "image/jpeg"), "không phải ảnh JPEG"),
    ],
)
async def test_a_certificate_that_is_not_an_image_or_pdf_is_refused(
    citizen: CitizenFactory, file: tuple[str, bytes, str], why: str
) -> None:
    owner, _ = await citizen()
    organisation = await registered(owner)
    claimant, claimant_id = await citizen()
    refused = await file_claim(claimant, organisation["tax_code"], file)
    assert refused.status_code == 422, refused.text
    problem = refused.json()["invalid_params"][0]
    assert problem["name"] == "file" and why in problem["reason"], problem
    assert await OrganisationClaim.count().where(OrganisationClaim.account == claimant_id) == 0


async def test_what_a_claim_needs(citizen: CitizenFactory) -> None:
    claimant, _ = await citizen()
    # Every problem at once: the tax code, the reason, the missing certificate.
    empty = await claimant.client.post(
        "/api/organisation-claims",
        data={"tax_code": "12345", "reason": "vì"},
        files={"file": ("", b"", "application/octet-stream")},
        headers=await claimant.headers(),
    )
    assert empty.status_code == 422
    assert [p["name"] for p in empty.json()["invalid_params"]] == ["tax_code", "reason", "file"]
    unknown = await file_claim(claimant, personal_id())
    assert unknown.status_code == 404 and "Chưa có tổ chức" in unknown.json()["detail"]
    assert unknown.json()["invalid_params"][0]["name"] == "tax_code"


async def test_claims_are_rate_limited_per_account(
    settings: Settings, citizen: CitizenFactory
) -> None:
    limited = dataclasses.replace(fast_settings(settings), auth_rate_per_account=2)  # type: ignore[arg-type]
    app = create_app(limited)
    async with lifespan(app):
        runtime = app.state["accounts"]
        owner, _ = await citizen()
        organisation = await registered(owner)
        _, claimant_id = await citizen()
        person = Principal(
            account_id=claimant_id,
            kind="citizen",
            name="Chủ hộ",
            role=None,
            agency_code=None,
            session_id="s",
        )
        data = ClaimIn(tax_code=organisation["tax_code"], reason="Tôi là chủ hộ kinh doanh.")
        client = Client(address="10.9.9.9", device="test")
        await claims.file_claim(runtime, person, data, (png(), "gcn.png"), client)
        with pytest.raises(Conflict):  # refused as already open, and counted
            await claims.file_claim(runtime, person, data, (png(), "gcn.png"), client)
        with pytest.raises(TooManyRequests) as raised:
            await claims.file_claim(runtime, person, data, (png(), "gcn.png"), client)
        assert raised.value.retry_after > 0


async def test_the_claim_pages(citizen: CitizenFactory, staff: StaffFactory) -> None:
    owner, owner_id = await citizen(full_name="Người Đăng Ký Trước")
    await owner.get("/to-chuc")
    code = personal_id()
    fields = {
        "name": "Hộ kinh doanh Nem Chua",
        "tax_code": code,
        "address": "9 Hàm Rồng, Thanh Hóa",
    }
    assert (
        await owner.client.post("/to-chuc", data={**form_token(owner), **fields})
    ).status_code == 303

    claimant, claimant_id = await citizen(full_name="Chủ Hộ Nem Chua")
    await claimant.get("/to-chuc")
    taken = await claimant.client.post("/to-chuc", data={**form_token(claimant), **fields})
    assert taken.status_code == 409
    assert f'href="/to-chuc/yeu-cau?mst={code}"' in taken.text

    form = await claimant.get(f"/to-chuc/yeu-cau?mst={code}")
    assert form.status_code == 200 and f'value="{code}"' in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", form.text) and " style=" not in form.text
    # A refused form keeps what was typed and points at the file.
    refused = await claimant.client.post(
        "/to-chuc/yeu-cau",
        data={**form_token(claimant), "tax_code": code, "reason": "Tôi là chủ hộ Nem Chua."},
        files={"file": ("giay.txt", b"khong phai anh", "text/plain")},
    )
    assert refused.status_code == 422
    assert 'href="#file"' in refused.text and "Tôi là chủ hộ Nem Chua." in refused.text
    sent = await claimant.client.post(
        "/to-chuc/yeu-cau",
        data={**form_token(claimant), "tax_code": code, "reason": "Tôi là chủ hộ Nem Chua."},
        files={"file": ("gcn.png", png(), "image/png")},
    )
    assert sent.status_code == 303, sent.text
    page = await claimant.get(sent.headers["location"])
    assert "Đang chờ cán bộ xem xét" in page.text and "gcn.png" in page.text
    english = await claimant.get(sent.headers["location"], headers={"Accept-Language": "en"})
    assert "Waiting for an official" in english.text
    claim_path = sent.headers["location"].split("?")[0]
    claim_id = int(claim_path.rsplit("/", 1)[1])
    stranger, _ = await citizen()
    assert (await stranger.get(claim_path)).status_code == 404

    official, _ = await staff("reception", CENTRE)
    devices = await official.get("/tai-khoan/thiet-bi")
    assert 'href="/can-bo/yeu-cau-to-chuc"' in devices.text
    listing = await official.get("/can-bo/yeu-cau-to-chuc")
    assert listing.status_code == 200 and f"/can-bo/yeu-cau-to-chuc/{claim_id}" in listing.text
    review = await official.get(f"/can-bo/yeu-cau-to-chuc/{claim_id}")
    assert "Chủ Hộ Nem Chua" in review.text and "Người Đăng Ký Trước" in review.text
    certificate = await official.get(f"/can-bo/yeu-cau-to-chuc/{claim_id}/giay-chung-nhan")
    assert certificate.status_code == 200 and certificate.content.startswith(b"\x89PNG")
    elsewhere, _ = await staff("reception", ELSEWHERE)
    assert (
        await elsewhere.get(f"/can-bo/yeu-cau-to-chuc/{claim_id}/giay-chung-nhan")
    ).status_code == 403
    assert 'href="/can-bo/yeu-cau-to-chuc"' not in (await elsewhere.get("/tai-khoan/thiet-bi")).text

    await official.get("/can-bo/yeu-cau-to-chuc")
    no_reason = await official.client.post(
        f"/can-bo/yeu-cau-to-chuc/{claim_id}",
        data={**form_token(official), "decision": "xac-nhan", "reason": ""},
    )
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.text
    confirmed = await official.client.post(
        f"/can-bo/yeu-cau-to-chuc/{claim_id}",
        data={**form_token(official), "decision": "xac-nhan", "reason": "Đã đối chiếu GCN."},
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/can-bo/yeu-cau-to-chuc?xong=xac-nhan"
    replay = await official.client.post(
        f"/can-bo/yeu-cau-to-chuc/{claim_id}",
        data={**form_token(official), "decision": "tu-choi", "reason": "Đã đối chiếu GCN."},
    )
    assert replay.status_code == 409 and "đã được xử lý" in replay.text

    done = await claimant.get(claim_path)
    assert "Đã xác nhận" in done.text and "Đã đối chiếu GCN." in done.text
    organisations = await claimant.get("/to-chuc")
    assert (
        "Hộ kinh doanh Nem Chua" in organisations.text
        and "bạn là chủ tài khoản" in organisations.text
    )
    assert await Membership.count().where(Membership.account.is_in([owner_id, claimant_id])) >= 2


@pytest.mark.parametrize(
    ("kind", "code", "url", "words"),
    [
        (claims.CLAIM_CONFIRMED, "41", "/to-chuc/41", "quyền như chủ tài khoản"),
        (claims.CLAIM_REJECTED, "7", "/to-chuc/yeu-cau/7", "không được chấp nhận"),
        (claims.ORGANISATION_CLAIMED, "41", "/to-chuc/41", "thêm một người đại diện"),
    ],
)
def test_what_the_people_concerned_read(kind: str, code: str, url: str, words: str) -> None:
    row = NoticeRow(
        id=1,
        account_id=1,
        kind=kind,
        dossier_id=None,
        code=code,
        status="",
        due_date=None,
        created_at=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        read_at=None,
    )
    (title_vi, body_vi), (title_en, body_en) = notice_text(row, "vi"), notice_text(row, "en")
    assert words in body_vi and title_vi != title_en and body_vi != body_en
    assert notice_url(row) == url
    # Told even when the person muted everything: who acts for an organisation changed.
    assert kind in SECURITY
