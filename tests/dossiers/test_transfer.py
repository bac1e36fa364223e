"""A dossier filed "regardless of boundaries" passed on to another agency of the
province: only to an agency of the catalogue that carries out its procedure, by the
agency holding it; the receiving agency's queue gets it and the first one's loses it;
the process-control slip (Form 05) records the handoff; the citizen is told (inbox and
push, in both languages) and tracking names the agency now handling it. Every refused
transfer changes nothing. Through the service, the JSON API and the console's form."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pypdfium2
import pytest
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal, StaffCreate
from backend.clock import utc_now
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn, DossierRead, DraftCreate, DraftUpdate
from backend.errors import AppError, InvalidInput, NotFound
from backend.notifications import service as notifications
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.schemas import SubscriptionIn, SubscriptionKeys
from backend.notifications.tables import PushJob
from backend.outbox.tables import OutboxMessage
from backend.payments import service as payments
from tests.accounts.helpers import Browser, Clock, enrol, new_browser
from tests.dossiers.conftest import ANSWERS, PersonFactory, photo
from tests.notifications.test_worker import drain, signed_in
from tests.support.fakepush import FakePushService

# Chứng thực bản sao từ bản chính: commune level, filed at any commune ("anywhere").
CERTIFY = "2.000815"
HAC_THANH = "000.01.40.H56"  # Ủy ban nhân dân phường Hạc Thành
NGA_AN = "000.03.40.H56"  # Ủy ban nhân dân xã Nga An
SAM_SON = "000.02.40.H56"  # a third commune carrying out the same procedure
JUSTICE = "000.00.12.H56"  # Sở Tư pháp: a department that does not carry it out
POLICE = "000.04.40.H56"  # Công an phường Hạc Thành: commune level, other procedures
UNKNOWN = "000.99.99.H99"  # no agency of the province
LEGAL_AID = "2.001680"  # carried out by the Department of Justice alone
CONSOLE = "/can-bo"
_keys = itertools.count(1)


# ----------------------------------------------------------------------- helpers


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


@pytest.fixture
def notify(dossiers_app: Litestar) -> NotificationsRuntime:
    runtime: NotificationsRuntime = dossiers_app.state["notifications"]
    return runtime


@pytest.fixture
async def push() -> AsyncIterator[FakePushService]:
    async with FakePushService() as fake:
        yield fake


async def official(
    app: Litestar, browsers: list[Browser], role: str, agency: str, name: str
) -> tuple[Browser, Principal]:
    """An official as ``motcua create-staff`` makes one, signed in with a passkey."""
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=name, role=role, agency_code=agency),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    browsers.append(browser)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    return browser, Principal(
        account_id=created.official.id,
        kind="staff",
        name=created.official.full_name,
        role=role,  # type: ignore[arg-type]
        agency_code=agency,
        session_id="test",
    )


async def step(
    runtime: DossiersRuntime, who: Principal, dossier_id: int, action: str, **fields: Any
) -> DossierRead:
    current = await service.get_dossier(runtime, who, dossier_id)
    return await service.act(
        runtime,
        who,
        dossier_id,
        ActionIn(action=action, version=current.version, **fields),  # type: ignore[arg-type]
    )


async def being_processed(
    app: Litestar,
    runtime: DossiersRuntime,
    citizen: Principal,
    reception: Principal,
    officer: Principal,
    procedure: str = CERTIFY,
    agency: str = HAC_THANH,
) -> DossierRead:
    """A dossier filed online at ``agency``, received (its fee paid in cash at the
    counter when due first) and assigned to ``officer``."""
    draft, _ = await service.create_draft(
        runtime,
        citizen,
        DraftCreate(
            procedure_code=procedure,
            draft_key=f"transfer-{next(_keys):06d}-{citizen.account_id}",
            agency_code=agency,
        ),
    )
    assert draft.receiving_agency == agency
    dossier = await service.submit(runtime, citizen, draft.id)
    if dossier.payment_stage == "reception" and dossier.payment_status == "unpaid":
        await payments.record_cash(app.state["payments"], reception, dossier.id, "vi")
    await step(runtime, reception, dossier.id, "receive")
    return await step(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def page_url(dossier_id: int) -> str:
    return f"{CONSOLE}/ho-so/{dossier_id}"


def version_in(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "no action form on the page"
    return found.group(1)


async def post_form(browser: Browser, url: str, fields: dict[str, Any]) -> httpx.Response:
    await browser.headers()  # the csrftoken cookie
    data = {**fields, "_csrf_token": browser.client.cookies["csrftoken"]}
    return await browser.client.post(url, data=data)


def options_of(page: str) -> dict[str, list[str]]:
    """The transfer form's choices, by group: {group label: [agency codes]}."""
    select = re.search(r'<select id="transfer-target_agency".*?</select>', page, re.S)
    assert select, "no transfer form"
    groups: dict[str, list[str]] = {}
    for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select[0], re.S):
        groups[html.unescape(label)] = re.findall(r'<option value="([^"]+)"', body)
    return groups


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in document)


async def queue_codes(runtime: DossiersRuntime, who: Principal) -> set[str]:
    """Every code in every queue of the official's agency."""
    found: set[str] = set()
    for queue in ("new", "supplement", "processing", "due_soon", "overdue", "ready", "done"):
        page = await service.queue(runtime, who, queue, page_size=200)
        found |= {item.code or "" for item in page.items}
    return found


async def transfer_messages(dossier_id: int) -> list[dict[str, Any]]:
    rows = (
        await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.payload)
        .where(
            (OutboxMessage.subject == f"dossier:{dossier_id}")
            & (OutboxMessage.kind == "dossier.transferred")
        )
        .output(load_json=True)
    )
    return list(rows)


# ------------------------------------------------------------ the transfer itself


async def test_a_dossier_filed_at_hac_thanh_is_handled_at_nga_an(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
    notify: NotificationsRuntime,
    push: FakePushService,
) -> None:
    # Earlier tests' messages are not this test's to send.
    await OutboxMessage.update({OutboxMessage.done_at: utc_now()}).where(
        OutboxMessage.done_at.is_null()
    )
    await PushJob.update({PushJob.status: "dead"}).where(PushJob.status == "pending")
    citizen = await signed_in(people)
    phone = push.new_subscription()
    await notifications.subscribe(
        notify,
        citizen,
        SubscriptionIn(
            endpoint=phone.endpoint,
            keys=SubscriptionKeys(p256dh=phone.p256dh, auth=phone.auth),
            lang="vi",
        ),
    )
    _, here_reception = await official(
        dossiers_app, open_browsers, "reception", HAC_THANH, "Trần Văn Nhận"
    )
    here_browser, here_officer = await official(
        dossiers_app, open_browsers, "processing", HAC_THANH, "Lê Thị Chuyển"
    )
    there_browser, there_reception = await official(
        dossiers_app, open_browsers, "reception", NGA_AN, "Phạm Văn Tiếp"
    )
    _, there_officer = await official(
        dossiers_app, open_browsers, "processing", NGA_AN, "Vũ Thị Giải"
    )
    dossier = await being_processed(dossiers_app, runtime, citizen, here_reception, here_officer)
    assert dossier.code and dossier.code.startswith(f"{HAC_THANH}-")
    due = dossier.due_date
    assert due is not None

    # The form offers the communes carrying out the procedure, by name, but not the
    # one holding it; no department carries it out, no police station either.
    page = await here_browser.get(page_url(dossier.id))
    assert page.status_code == 200 and 'id="form-transfer"' in page.text
    groups = options_of(page.text)
    assert list(groups) == ["Cơ quan cấp xã, phường"]
    offered = groups["Cơ quan cấp xã, phường"]
    assert NGA_AN in offered and SAM_SON in offered and len(offered) == 12
    assert HAC_THANH not in offered and POLICE not in offered and JUSTICE not in offered
    select = re.search(r'<select id="transfer-target_agency".*?</select>', page.text, re.S)
    assert select
    names = re.findall(r'<option value="000\.\d\d\.40\.H56">([^<]+) \(', select[0])
    assert names[0] == "Ủy ban nhân dân phường Bỉm Sơn"  # by the commune's name
    assert "Ủy ban nhân dân xã Nga An" in names
    assert f"thủ tục {CERTIFY}" in text_of(page)

    passed = await post_form(
        here_browser,
        f"{page_url(dossier.id)}/thao-tac",
        {
            "action": "transfer",
            "version": version_in(page.text),
            "target_agency": NGA_AN,
            "note": "Người dân xin nhận kết quả tại xã Nga An",
        },
    )
    assert passed.status_code == 303, text_of(passed)
    home = await here_browser.get(passed.headers["location"])
    assert f"Đã chuyển hồ sơ {dossier.code} sang cơ quan khác." in text_of(home)
    # The queue no longer lists it (the header's language link keeps this address).
    main = re.search(r"<main.*?</main>", home.text, re.S)
    assert main and dossier.code not in main.group(0).replace(f"hồ sơ {dossier.code}", "")

    moved = await service.get_dossier(runtime, there_reception, dossier.id)
    assert (moved.agency_code, moved.receiving_agency) == (NGA_AN, HAC_THANH)
    assert moved.status == "received" and moved.assignee_id is None
    assert moved.code == dossier.code  # the code the citizen holds stays
    assert moved.due_date == due  # the appointment stays; the clock ran on
    assert moved.events[-1].details == {
        "from_agency": HAC_THANH,
        "to_agency": NGA_AN,
        "from_agency_name": "Ủy ban nhân dân phường Hạc Thành",
        "to_agency_name": "Ủy ban nhân dân xã Nga An",
    }

    # Nga An's queue has it, to assign; Hạc Thành's queues no longer do.
    assert dossier.code in await queue_codes(runtime, there_reception)
    assert "assign" in moved.actions
    for who in (here_reception, here_officer):
        assert dossier.code not in await queue_codes(runtime, who)
        assert (await service.get_dossier(runtime, who, dossier.id)).actions == []
    kept = await here_browser.get(page_url(dossier.id))
    assert kept.status_code == 200 and 'id="no-actions"' in kept.text
    assert "Chuyển đến: Ủy ban nhân dân xã Nga An" in text_of(kept)
    theirs = await there_browser.get(page_url(dossier.id))
    assert 'id="form-assign"' in theirs.text
    assert "chuyển từ Ủy ban nhân dân phường Hạc Thành" in text_of(theirs)
    listing = await there_browser.get(CONSOLE, params={"hang": "dang-xu-ly"})
    assert dossier.code in listing.text

    # Nga An takes it up; the slip lists the handoff, then Nga An's lines.
    await step(runtime, there_reception, dossier.id, "assign", assignee_id=there_officer.account_id)
    slip = await there_browser.get(f"/api/dossiers/{dossier.id}/forms/05")
    assert slip.status_code == 200
    text = pdf_text(slip.content)
    assert "Cơ quan (bộ phận) giải quyết hồ sơ: Ủy ban nhân dân xã Nga An" in text
    assert "Cơ quan phối hợp giải quyết hồ sơ: Ủy ban nhân dân phường Hạc Thành" in text
    handoff = text.index("Chuyển cơ quan khác.")
    row = text[text.rindex(" 4 ", 0, handoff) : handoff]
    assert "Lê Thị Chuyển Cán bộ xử lý (Ủy ban nhân dân phường Hạc Thành)" in row
    assert "Phạm Văn Tiếp Cán bộ tiếp nhận (Ủy ban nhân dân xã Nga An)" in row
    after = text[handoff:]
    assert "Chuyển cán bộ xử lý." in after
    assert "Vũ Thị Giải Cán bộ xử lý (Ủy ban nhân dân xã Nga An)" in after

    # The citizen is told, in the inbox and on the phone, by the change's outbox message.
    [message] = await transfer_messages(dossier.id)
    assert message["payload"]["agency_code"] == NGA_AN
    await drain(notify)
    told = f"Hồ sơ {dossier.code} đã được chuyển đến Ủy ban nhân dân xã Nga An để giải quyết."
    inbox = await notifications.list_notices(citizen)
    transferred = [n for n in inbox.items if n.kind == "dossier.transferred"]
    assert [n.body for n in transferred] == [told]
    assert transferred[0].url == f"/ho-so/{dossier.id}"
    english = await notifications.list_notices(citizen, lang="en")
    assert f"Dossier {dossier.code} was transferred to Nga An Commune People's Committee" in next(
        n.body for n in english.items if n.kind == "dossier.transferred"
    )
    pushed = [r.data for r in push.received_for(phone) if r.data["kind"] == "dossier.transferred"]
    assert [(p["title"], p["body"]) for p in pushed] == [
        ("Hồ sơ được chuyển cơ quan giải quyết", told)
    ]

    # Tracking names the agency handling it now.
    visitor = await new_browser(dossiers_app)
    open_browsers.append(visitor)
    link = service.tracking_url(runtime, dossier.code).removeprefix("http://localhost:8000")
    tracked = text_of(await visitor.get(link))
    handling = re.search(r'<dd id="handling-agency">(.*?)</dd>', tracked, re.S)
    assert handling and "Ủy ban nhân dân xã Nga An" in handling[1]
    assert "(hồ sơ đã được chuyển đến cơ quan này)" in handling[1]
    assert "Chuyển sang cơ quan khác giải quyết" in tracked


async def test_a_refused_transfer_changes_nothing(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=HAC_THANH)
    browser, officer = await official(
        dossiers_app, open_browsers, "processing", HAC_THANH, "Đỗ Văn Giữ"
    )
    dossier = await being_processed(dossiers_app, runtime, citizen, reception, officer)
    before = await service.get_dossier(runtime, officer, dossier.id)

    async def unchanged() -> None:
        after = await service.get_dossier(runtime, officer, dossier.id)
        assert (after.version, after.status, after.agency_code, after.assignee_id) == (
            before.version,
            "processing",
            HAC_THANH,
            officer.account_id,
        )
        assert [e.id for e in after.events] == [e.id for e in before.events]
        assert await transfer_messages(dossier.id) == []

    refusals = {
        UNKNOWN: ("000.99.99.H99", "000.99.99.H99"),
        JUSTICE: (
            "Sở Tư pháp tỉnh Thanh Hóa không thực hiện thủ tục 2.000815",
            "does not carry out procedure 2.000815",
        ),
        POLICE: ("Công an phường Hạc Thành không thực hiện thủ tục 2.000815", "2.000815"),
        HAC_THANH: ("chính cơ quan này", "already handles"),
        "": ("Hãy chọn cơ quan nhận hồ sơ.", "agency"),
    }
    for target, (vi, en) in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            await step(runtime, officer, dossier.id, "transfer", target_agency=target or None)
        assert refused.value.field == "target_agency"
        assert vi in refused.value.message("vi") and en in refused.value.message("en")
        await unchanged()

    # An official of a third agency does not even see it; a citizen may not transfer.
    stranger = await people("staff", "leader", agency=SAM_SON)
    with pytest.raises(NotFound):
        await step(runtime, stranger, dossier.id, "transfer", target_agency=NGA_AN)
    with pytest.raises(NotFound):
        await service.act(
            runtime,
            stranger,
            dossier.id,
            ActionIn(action="transfer", version=before.version, target_agency=SAM_SON),
        )
    with pytest.raises(AppError) as forbidden:
        await step(runtime, citizen, dossier.id, "transfer", target_agency=NGA_AN)
    assert forbidden.value.status_code == 403
    # The reception official who assigned it is not the one to pass it on.
    with pytest.raises(AppError) as not_theirs:
        await step(runtime, reception, dossier.id, "transfer", target_agency=NGA_AN)
    assert not_theirs.value.status_code == 403
    await unchanged()

    # The JSON API answers with a problem naming the field.
    answer = await browser.post(
        f"/api/dossiers/{dossier.id}/actions",
        json={"action": "transfer", "version": before.version, "target_agency": UNKNOWN},
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert problem["error"]["field"] == "target_agency" and UNKNOWN in problem["detail"]
    assert [param["name"] for param in problem["invalid_params"]] == ["target_agency"]
    assert "catalogue" in problem["error"]["message_en"]
    english = await browser.client.post(
        f"/api/dossiers/{dossier.id}/actions",
        json={"action": "transfer", "version": before.version, "target_agency": JUSTICE},
        headers={**await browser.headers(), "accept-language": "en"},
    )
    assert english.status_code == 422 and "does not carry out" in english.json()["detail"]
    await unchanged()

    # The console shows the refusal at the select, with the choice kept.
    page = await browser.get(page_url(dossier.id))
    refused_page = await post_form(
        browser,
        f"{page_url(dossier.id)}/thao-tac",
        {"action": "transfer", "version": version_in(page.text), "target_agency": JUSTICE},
    )
    assert refused_page.status_code == 422
    error = re.search(r'id="transfer-target_agency-error"[^>]*>(.*?)</', refused_page.text, re.S)
    assert error and "không thực hiện thủ tục 2.000815" in html.unescape(error[1])
    assert 'aria-invalid="true"' in refused_page.text
    await unchanged()

    # A page someone else moved on since is refused too.
    await step(runtime, officer, dossier.id, "transfer", target_agency=NGA_AN)
    replay = await post_form(
        browser,
        f"{page_url(dossier.id)}/thao-tac",
        {"action": "transfer", "version": version_in(page.text), "target_agency": SAM_SON},
    )
    assert replay.status_code in {403, 409}
    assert (await service.get_dossier(runtime, officer, dossier.id)).agency_code == NGA_AN
    assert len(await transfer_messages(dossier.id)) == 1


async def test_a_procedure_only_one_agency_carries_out_offers_no_transfer(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=JUSTICE)
    browser, officer = await official(
        dossiers_app, open_browsers, "processing", JUSTICE, "Hồ Văn Một"
    )
    draft, _ = await service.create_draft(
        runtime,
        citizen,
        DraftCreate(procedure_code=LEGAL_AID, draft_key=f"transfer-aid-{next(_keys):010d}"),
    )
    await service.update_draft(runtime, citizen, draft.id, DraftUpdate(form_data=ANSWERS))
    for component in draft.components:
        if component.required and component.uploadable:
            await service.add_file(runtime, citizen, draft.id, photo(), component_id=component.id)
    submitted = await service.submit(runtime, citizen, draft.id)
    await step(runtime, reception, submitted.id, "receive")
    await step(runtime, reception, submitted.id, "assign", assignee_id=officer.account_id)
    page = await browser.get(page_url(submitted.id))
    assert 'id="transfer-none"' in page.text and 'id="form-transfer"' not in page.text
    assert "Không có cơ quan nào khác của tỉnh thực hiện thủ tục 2.001680" in text_of(page)
    with pytest.raises(InvalidInput) as refused:
        await step(runtime, officer, submitted.id, "transfer", target_agency=NGA_AN)
    assert refused.value.field == "target_agency"
