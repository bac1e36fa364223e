"""Fee rules on a dossier: the online waiver of a provincial resolution, the period it
is in force, exemptions by applicant group with the evidence the group attaches, at the
counter as online, and what the citizen and the official are shown. The demo catalogue
gives the rules (backend/catalogue/demo_catalogue.json)."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re

import msgspec
import pytest
from litestar import Litestar

from backend.accounts.schemas import Principal
from backend.attachments import inspect_upload
from backend.dossiers import lifecycle, service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import AssistedCreate, DossierRead, DraftCreate, DraftUpdate
from backend.errors import InvalidInput, NotFound
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import PersonFactory, jpeg, photo
from tests.dossiers.test_citizen_pages import citizen, official, open_browsers, send

__all__ = ["open_browsers"]  # a fixture of the pages' tests, used here too

# Đăng ký thành lập hộ kinh doanh: 100.000 đồng at the counter, waived in full online
# from 24/6/2025 (Resolution 12/2025/NQ-HĐND of Thanh Hóa).
WAIVED = "2.000720"
WARD = "000.01.40.H56"
# Đăng ký tạm trú: 15.000 đồng, 7.000 online; exempt for the groups of Circular
# 75/2022 Art. 4.
RESIDENCE = "1.004194"
POLICE = "000.04.40.H56"
# Xác nhận tình trạng hôn nhân: waived online, exempt for poor households at the counter.
MARITAL = "1.004873"
MARITAL_ANSWERS = {"purpose": "Đăng ký kết hôn", "marital_status": "doc_than"}
POOR = "ho_ngheo"
_keys = itertools.count(1)


async def draft(
    runtime: DossiersRuntime,
    person: Principal,
    procedure: str,
    agency: str,
    answers: dict[str, str] | None = None,
) -> DossierRead:
    """A draft with its answers and every required document: ready but for the group."""
    key = f"fee-groups-{next(_keys):06d}-{person.account_id}"
    dossier, _ = await service.create_draft(
        runtime, person, DraftCreate(procedure_code=procedure, draft_key=key, agency_code=agency)
    )
    if answers:
        await service.update_draft(runtime, person, dossier.id, DraftUpdate(form_data=answers))
    for component in dossier.components:
        if component.required and component.uploadable:
            await service.add_file(runtime, person, dossier.id, photo(), component_id=component.id)
    return await service.get_dossier(runtime, person, dossier.id)


async def declare(
    runtime: DossiersRuntime, person: Principal, dossier_id: int, group: str
) -> DossierRead:
    return await service.update_draft(
        runtime, person, dossier_id, DraftUpdate(applicant_group=group)
    )


async def attach_evidence(runtime: DossiersRuntime, person: Principal, dossier_id: int) -> None:
    checked = inspect_upload(jpeg(), "giay-chung-nhan-ho-ngheo.jpg")
    await service.add_file(runtime, person, dossier_id, checked, component_id=None, evidence=True)


def fields_of(error: InvalidInput) -> dict[str, str]:
    return {p.field or "": p.message.render("vi") for p in error.problems}


# ----------------------------------------------------------------------------- rules


async def test_an_online_waiver_applies_and_says_why(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    person = await people()
    dossier = await draft(runtime, person, WAIVED, WARD)
    assert await service.groups_offered(runtime, person, dossier.id) == []
    done = await service.submit(runtime, person, dossier.id)
    assert (done.fee_total, done.payment_status) == (0, "none")
    [line] = done.fee_lines
    assert (line.amount, line.full_amount) == (0, 100_000)
    assert line.rule_vi.startswith("Miễn 100% khi nộp hồ sơ trực tuyến")
    assert "Nghị quyết số 12/2025/NQ-HĐND" in line.rule_vi
    assert line.rule_en.startswith("Waived in full when filed online")


async def test_the_waiver_is_not_in_force_before_the_resolution(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    # 23 June 2025, 23:30 in Vietnam (16:30 UTC): the day before the rule's first day.
    clock.now = dt.datetime(2025, 6, 23, 16, 30, tzinfo=dt.UTC)
    person = await people()
    done = await service.submit(runtime, person, (await draft(runtime, person, WAIVED, WARD)).id)
    assert done.fee_total == 100_000 and done.payment_status == "unpaid"
    assert done.fee_lines[0].rule_vi == ""
    # Half an hour later it is the 24th in Vietnam (still the 23rd in UTC): waived.
    clock.advance(minutes=30)
    later = await service.submit(runtime, person, (await draft(runtime, person, WAIVED, WARD)).id)
    assert later.fee_total == 0


async def test_a_declared_group_with_its_evidence_is_exempted(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    person = await people()
    plain = await service.submit(
        runtime, person, (await draft(runtime, person, RESIDENCE, POLICE)).id
    )
    assert plain.fee_total == 7_000
    assert plain.fee_lines[0].rule_vi == "Mức thu khi nộp hồ sơ trực tuyến"

    dossier = await draft(runtime, person, RESIDENCE, POLICE)
    offered = [g.code for g in await service.groups_offered(runtime, person, dossier.id)]
    assert POOR in offered and "tre_em" in offered and "nguoi_co_cong" in offered
    assert (await declare(runtime, person, dossier.id, POOR)).applicant_group == POOR

    with pytest.raises(InvalidInput) as refused:
        await service.submit(runtime, person, dossier.id)
    problems = fields_of(refused.value)
    assert list(problems) == [service.EVIDENCE_FIELD]
    assert "Người thuộc hộ nghèo" in problems[service.EVIDENCE_FIELD]
    assert "Giấy chứng nhận hộ nghèo" in problems[service.EVIDENCE_FIELD]
    english = refused.value.problems[0].message.render("en")
    assert "Members of a poor household" in english and "attach" in english
    assert (await service.get_dossier(runtime, person, dossier.id)).status == "draft"

    await attach_evidence(runtime, person, dossier.id)
    done = await service.submit(runtime, person, dossier.id)
    assert (done.fee_total, done.payment_status, done.applicant_group) == (0, "none", POOR)
    [line] = done.fee_lines
    assert (line.amount, line.full_amount) == (0, 15_000)
    assert (
        line.rule_vi == "Miễn lệ phí cho người thuộc hộ nghèo – Thông tư số 75/2022/TT-BTC, Điều 4"
    )
    assert line.rule_en.startswith("Exempt: members of a poor household")
    assert [f.display_name for f in done.files if f.purpose == "evidence"] == [
        "giay-chung-nhan-ho-ngheo.jpg"
    ]
    # Fixed once submitted: the group cannot be changed any more.
    with pytest.raises(lifecycle.TransitionRefused):
        await declare(runtime, person, dossier.id, "")


async def test_a_group_the_rules_do_not_offer_is_refused(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    person = await people()
    waived = await draft(runtime, person, WAIVED, WARD)
    for code in (POOR, "khong-co-nhom-nay"):
        with pytest.raises(InvalidInput) as refused:
            await declare(runtime, person, waived.id, code)
        assert list(fields_of(refused.value)) == [service.GROUP_FIELD]
    # Exempt at the counter, but online the fee is waived for everyone already: the
    # group would change nothing, so it is neither offered nor taken.
    marital = await draft(runtime, person, MARITAL, WARD, MARITAL_ANSWERS)
    assert await service.groups_offered(runtime, person, marital.id) == []
    with pytest.raises(InvalidInput) as refused:
        await declare(runtime, person, marital.id, POOR)
    assert "không được miễn, giảm thêm" in fields_of(refused.value)[service.GROUP_FIELD]
    assert (await service.get_dossier(runtime, person, marital.id)).applicant_group == ""
    # A group declared that is no longer offered when the dossier is submitted.
    residence = await draft(runtime, person, RESIDENCE, POLICE)
    await declare(runtime, person, residence.id, POOR)
    await attach_evidence(runtime, person, residence.id)
    declared = await service.get_dossier(runtime, person, residence.id)
    assert service.submission_problems(declared, [])[0].field == service.GROUP_FIELD


async def test_evidence_belongs_to_the_group_declared(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    person = await people()
    dossier = await draft(runtime, person, RESIDENCE, POLICE)
    with pytest.raises(InvalidInput) as first:
        await attach_evidence(runtime, person, dossier.id)
    assert first.value.field == service.GROUP_FIELD
    await declare(runtime, person, dossier.id, POOR)
    await attach_evidence(runtime, person, dossier.id)
    # Another group: the evidence of the first is dropped, and asked for again.
    changed = await declare(runtime, person, dossier.id, "khuyet_tat")
    assert [f for f in changed.files if f.purpose == "evidence"] == []
    with pytest.raises(InvalidInput) as refused:
        await service.submit(runtime, person, dossier.id)
    assert "Giấy xác nhận khuyết tật" in fields_of(refused.value)[service.EVIDENCE_FIELD]
    # None at all: nothing asked for, the online rate applies.
    await declare(runtime, person, dossier.id, "")
    done = await service.submit(runtime, person, dossier.id)
    assert done.fee_total == 7_000 and done.applicant_group == ""
    with pytest.raises(lifecycle.TransitionRefused):
        await attach_evidence(runtime, person, dossier.id)


async def test_someone_elses_draft_is_not_found(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    owner, stranger = await people(), await people()
    dossier = await draft(runtime, owner, RESIDENCE, POLICE)
    with pytest.raises(NotFound):
        await declare(runtime, stranger, dossier.id, POOR)
    with pytest.raises(NotFound):
        await service.groups_offered(runtime, stranger, dossier.id)
    await declare(runtime, owner, dossier.id, POOR)
    with pytest.raises(NotFound):
        await attach_evidence(runtime, stranger, dossier.id)


async def test_at_the_counter_the_official_checks_the_paper_evidence(
    runtime: DossiersRuntime, people: PersonFactory, clock: Clock
) -> None:
    clerk = await people("staff", "reception", POLICE)
    entry = AssistedCreate(
        procedure_code=RESIDENCE,
        channel="counter",
        applicant_name="Lò Văn Páo",
        applicant_phone="0912 345 678",
        applicant_group=POOR,
    )
    with pytest.raises(InvalidInput) as unchecked:
        await service.create_assisted(runtime, clerk, entry)
    assert list(fields_of(unchecked.value)) == ["group_evidence_received"]
    with pytest.raises(InvalidInput) as unknown:
        await service.create_assisted(
            runtime,
            clerk,
            msgspec.structs.replace(
                entry, applicant_group="khong-co-nhom-nay", group_evidence_received=True
            ),
        )
    assert list(fields_of(unknown.value)) == [service.GROUP_FIELD]

    counter = await service.create_assisted(
        runtime, clerk, msgspec.structs.replace(entry, group_evidence_received=True)
    )
    assert (counter.fee_total, counter.applicant_group, counter.status) == (0, POOR, "received")
    assert counter.fee_lines[0].full_amount == 15_000
    assert counter.fee_lines[0].rule_vi.startswith("Miễn lệ phí cho người thuộc hộ nghèo")
    assert counter.events[0].details["group_evidence_received"] is True
    # The same at the counter without a group: the full fee, paid before reception.
    full = await service.create_assisted(
        runtime, clerk, msgspec.structs.replace(entry, applicant_group="")
    )
    assert (full.fee_total, full.fee_lines[0].rule_vi, full.status) == (15_000, "", "submitted")


# ----------------------------------------------------------------------------- HTTP


async def test_the_api_names_each_bad_input(
    dossiers_app: Litestar, runtime: DossiersRuntime, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen(dossiers_app, open_browsers, "Hà Thị Nghèo")
    other = await citizen(dossiers_app, open_browsers, "Người Khác")
    dossier = await draft(runtime, person.principal, RESIDENCE, POLICE)
    url = f"/api/dossiers/{dossier.id}"

    stranger = await other.browser.patch(url, {"applicant_group": POOR})
    assert stranger.status_code == 404
    bad = await person.browser.patch(url, {"applicant_group": "vua"})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == service.GROUP_FIELD
    assert (await person.browser.patch(url, {"applicant_group": POOR})).status_code == 200

    headers = await person.browser.headers()
    text = await person.browser.client.post(
        f"{url}/files",
        files={"file": ("giay.txt", b"toi thuoc ho ngheo", "text/plain")},
        data={"evidence": "true"},
        headers=headers,
    )
    assert text.status_code == 422, text.text
    theirs = await other.browser.client.post(
        f"{url}/files",
        files={"file": ("giay.jpg", jpeg(), "image/jpeg")},
        data={"evidence": "true"},
        headers=await other.browser.headers(),
    )
    assert theirs.status_code == 404

    without = await person.browser.post(f"{url}/submit")
    assert without.status_code == 422
    problem = without.json()["invalid_params"][0]
    assert problem["name"] == service.EVIDENCE_FIELD
    assert "Giấy chứng nhận hộ nghèo" in problem["reason"] or "poor-household" in problem["reason"]

    sent = await person.browser.client.post(
        f"{url}/files",
        files={"file": ("giay.jpg", jpeg(), "image/jpeg")},
        data={"evidence": "true"},
        headers=headers,
    )
    assert sent.status_code == 201 and sent.json()["purpose"] == "evidence"
    done = await person.browser.post(f"{url}/submit")
    assert done.status_code == 200 and done.json()["fee_total"] == 0


def visible(page: str) -> str:
    """The page's text, tags dropped and spaces joined (what a person reads)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def test_the_pages_show_the_group_the_rule_and_the_evidence(
    dossiers_app: Litestar, runtime: DossiersRuntime, open_browsers: list[Browser], clock: Clock
) -> None:
    person = await citizen(dossiers_app, open_browsers, "Hà Thị Nghèo")
    dossier = await draft(runtime, person.principal, RESIDENCE, POLICE)
    # The group's step comes before the review; a plain multipart form.
    steps = len([c for c in dossier.components if c.uploadable]) + 3
    group_step = f"/ho-so/{dossier.id}/buoc/{steps - 1}"
    page = await person.browser.get(group_step)
    assert page.status_code == 200
    assert "Tôi thuộc đối tượng được miễn/giảm phí" in page.text
    assert "Giấy chứng nhận hộ nghèo" in page.text
    assert len(page.content) < 20 * 1024  # a light page, for cheap phones
    going_on = await send(person.browser, group_step, {"applicant_group": POOR, "action": "next"})
    assert going_on.status_code == 400 or going_on.status_code == 422, going_on.status_code
    assert 'href="#file-evidence"' in going_on.text
    sent = await send(
        person.browser,
        group_step,
        {"applicant_group": POOR, "action": "next"},
        files={"file": ("ho-ngheo.jpg", jpeg(), "image/jpeg")},
    )
    assert sent.status_code == 303, sent.text
    review = visible((await person.browser.get(f"/ho-so/{dossier.id}/buoc/{steps}")).text)
    assert "Người thuộc hộ nghèo" in review and "ho-ngheo.jpg" in review
    submitted = await send(person.browser, f"/ho-so/{dossier.id}/buoc/{steps}", {})
    assert submitted.status_code == 303

    box = visible((await person.browser.get(f"/ho-so/{dossier.id}")).text)
    # The base, what the exemption takes off, and the total (issue 16).
    assert (
        "15.000 ₫ Miễn lệ phí cho người thuộc hộ nghèo – Thông tư số 75/2022/TT-BTC, Điều 4"
        " −15.000 ₫ Tổng cộng 0 ₫"
    ) in box
    receipt = visible((await person.browser.get(f"/ho-so/{dossier.id}/bien-nhan")).text)
    assert "Miễn lệ phí cho người thuộc hộ nghèo" in receipt

    clerk = await official(dossiers_app, open_browsers, "reception", POLICE)
    console = await clerk.get(f"/can-bo/ho-so/{dossier.id}")
    assert console.status_code == 200
    text = visible(console.text)
    assert "Đối tượng miễn, giảm phí" in text and "Người thuộc hộ nghèo" in text
    assert "Giấy chứng nhận hộ nghèo do Ủy ban nhân dân cấp xã cấp" in text
    assert "ho-ngheo.jpg" in text
    evidence = re.search(
        r'id="evidence-files".*?href="(/api/dossiers/\d+/files/\d+)"', console.text, re.S
    )
    assert evidence is not None
    assert (await clerk.get(evidence.group(1))).headers["content-type"] == "image/jpeg"

    # The pay page of a dossier that owes the online rate says why it is lower.
    owing = await service.submit(
        runtime, person.principal, (await draft(runtime, person.principal, RESIDENCE, POLICE)).id
    )
    pay = visible((await person.browser.get(f"/ho-so/{owing.id}/thanh-toan")).text)
    assert "15.000 ₫ Mức thu khi nộp hồ sơ trực tuyến −8.000 ₫ Tổng cộng 7.000 ₫" in pay
