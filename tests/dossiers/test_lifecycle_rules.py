"""The province's lifecycle rules the audit found broken: a supplement is requested at
most once per dossier (Decree 61/2018), a dossier whose fees are due at reception is
received only once paid (at the counter too: the cash first), and a mobile team's
entry, submitted electronically on the official's device, is charged the online fee.
Through the service, the JSON API and the officials' console."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal, StaffCreate
from backend.catalogue import service as catalogue
from backend.dossiers import lifecycle, service
from backend.dossiers.lifecycle import ACTORS, RULES, STATUSES, Action
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import (
    ActionIn,
    AssistedCreate,
    DossierRead,
    DraftCreate,
    DraftUpdate,
    SupplementItem,
)
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.payments import service as payments
from backend.workdays import service as workdays
from tests.accounts.helpers import Browser, Clock, enrol, new_browser, unique_phone
from tests.dossiers.conftest import AGENCY, MONDAY, OTHER_AGENCY, PersonFactory, photo, submitted

# Đổi giấy phép lái xe: 135.000 đồng, 115.000 online; paid before reception; 5 days.
LICENCE = "1.002809"
LICENCE_AGENCY = "000.00.16.H56"
LICENCE_ANSWERS = {"licence_number": "790123456789", "licence_class": "B", "delivery": "tai_quay"}
# Phiếu lý lịch tư pháp: 200.000 đồng (no online reduction), paid with the result.
RECORD = "2.000488"
RECORD_ANSWERS = {"purpose": "so1", "copies": "1", "residence": "Thôn 3", "reduced": "khong"}
CONSOLE = "/can-bo"
_keys = itertools.count(1)


# ----------------------------------------------------------------------- helpers


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


async def submitted_online(
    runtime: DossiersRuntime, citizen: Principal, procedure: str, answers: dict[str, str]
) -> DossierRead:
    draft, _ = await service.create_draft(
        runtime,
        citizen,
        DraftCreate(procedure_code=procedure, draft_key=f"rules-{next(_keys):06d}-{citizen.name}"),
    )
    await service.update_draft(runtime, citizen, draft.id, DraftUpdate(form_data=answers))
    for component in draft.components:
        if component.required and component.uploadable:
            await service.add_file(runtime, citizen, draft.id, photo(), component_id=component.id)
    return await service.submit(runtime, citizen, draft.id)


def entry(procedure: str, answers: dict[str, str], channel: str) -> AssistedCreate:
    return AssistedCreate(
        procedure_code=procedure,
        channel=channel,  # type: ignore[arg-type]
        applicant_name="Lê Văn Lưu Động",
        applicant_phone="0912 345 679",
        form_data=answers,
        components_received=[],
    )


async def take_cash(app: Litestar, cashier: Principal, dossier_id: int) -> None:
    await payments.record_cash(app.state["payments"], cashier, dossier_id, "vi")


def unchanged(before: DossierRead, after: DossierRead) -> None:
    """A refused step left the dossier exactly as it was."""
    assert after.version == before.version and after.status == before.status
    assert after.supplement_items == before.supplement_items
    assert [e.id for e in after.events] == [e.id for e in before.events]
    assert (after.received_at, after.due_date, after.payment_status) == (
        before.received_at,
        before.due_date,
        before.payment_status,
    )


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


async def signed_in(
    app: Litestar, browsers: list[Browser], role: str, agency: str = AGENCY
) -> tuple[Browser, Principal]:
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=f"Cán bộ {role}", role=role, agency_code=agency),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    browsers.append(browser)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    principal = Principal(
        account_id=created.official.id,
        kind="staff",
        name=created.official.full_name,
        role=role,  # type: ignore[arg-type]
        agency_code=agency,
        session_id="test",
    )
    return browser, principal


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


async def post_form(browser: Browser, url: str, fields: dict[str, Any]) -> httpx.Response:
    await browser.headers()  # the csrftoken cookie
    return await browser.client.post(
        url, data={**fields, "_csrf_token": browser.client.cookies["csrftoken"]}
    )


def version_in(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "no action form on the page"
    return found.group(1)


def summary_of(page: str) -> str:
    found = re.search(r'<div class="error-summary" role="alert".*?</div>', page, re.S)
    assert found, "no error summary"
    return html.unescape(found.group(0))


# ------------------------------------------------------------- the machine itself


def test_the_machine_takes_one_supplement_request_and_refuses_a_second() -> None:
    sources = RULES["request_supplement"].sources
    for actor, statuses in sources.items():
        for status in statuses:
            assert lifecycle.transition(status, "request_supplement", actor) == (
                "supplement_requested"
            )
            with pytest.raises(lifecycle.SupplementAlreadyRequested) as again:
                lifecycle.transition(status, "request_supplement", actor, supplemented=True)
            assert again.value.status_code == 409 and again.value.field == "action"
            assert "chỉ được yêu cầu bổ sung một lần" in again.value.message("vi")
            assert "Nghị định 61/2018" in again.value.message("vi")
            assert "only once per dossier" in again.value.message("en")
            assert "Decree 61/2018" in again.value.message("en")
    for status in STATUSES:
        for actor in ACTORS:
            first = lifecycle.actions_for(status, actor)
            later = lifecycle.actions_for(status, actor, supplemented=True)
            assert later == [a for a in first if a != "request_supplement"]
    # Every other step still follows the table: a supplied dossier moves on.
    assert lifecycle.transition("submitted", "receive", "reception", supplemented=True) == (
        "received"
    )


@pytest.mark.parametrize(
    ("action", "stage", "total", "status", "waits"),
    [
        ("receive", "reception", 115_000, "unpaid", True),
        ("receive", "reception", 115_000, "refunded", True),
        ("receive", "reception", 115_000, "paid", False),
        ("receive", "reception", 0, "none", False),
        ("receive", "result", 200_000, "unpaid", False),
        ("return_result", "result", 200_000, "unpaid", True),
        ("return_result", "reception", 115_000, "paid", False),
        ("return_result", "result", 0, "none", False),
        ("withdraw", "reception", 115_000, "unpaid", False),
        ("refuse", "reception", 115_000, "unpaid", False),
        ("request_supplement", "reception", 115_000, "unpaid", False),
    ],
)
def test_which_steps_wait_for_the_fees(
    action: Action, stage: str, total: int, status: str, waits: bool
) -> None:
    assert (
        lifecycle.waits_for_fees(
            action, payment_stage=stage, fee_total=total, payment_status=status
        )
        is waits
    )


# --------------------------------------------------------------- once, on the service


async def test_a_supplement_is_requested_at_most_once_per_dossier(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception")
    officer = await people("staff", "processing")
    leader = await people("staff", "leader")
    dossier = await submitted(runtime, citizen)
    asked = await step(
        runtime,
        reception,
        dossier.id,
        "request_supplement",
        items=[SupplementItem(label="Bản sao sổ hộ nghèo có chứng thực")],
    )
    assert asked.status == "supplement_requested"
    # Waiting for the citizen: a second request is refused by the state already.
    with pytest.raises(lifecycle.TransitionRefused):
        await step(
            runtime, reception, dossier.id, "request_supplement", items=[SupplementItem(label="X")]
        )
    supplied = await step(runtime, citizen, dossier.id, "supplement")
    assert supplied.status == "submitted" and supplied.supplement_items == []

    seen = await service.get_dossier(runtime, reception, dossier.id)
    assert "request_supplement" not in seen.actions
    assert {"receive", "refuse"} <= set(seen.actions), "the other steps are still offered"
    with pytest.raises(lifecycle.SupplementAlreadyRequested) as again:
        await step(
            runtime,
            reception,
            dossier.id,
            "request_supplement",
            items=[SupplementItem(label="Ảnh chân dung 4x6")],
            note="Lần hai",
        )
    assert again.value.status_code == 409
    assert "một lần" in again.value.message("vi") and "once" in again.value.message("en")
    unchanged(seen, await service.get_dossier(runtime, reception, dossier.id))

    # Nor later, by whoever handles it: the assigned officer, the leader.
    await step(runtime, reception, dossier.id, "receive")
    await step(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)
    for who in (officer, leader):
        before = await service.get_dossier(runtime, who, dossier.id)
        assert before.status == "processing" and "request_supplement" not in before.actions
        with pytest.raises(lifecycle.SupplementAlreadyRequested):
            await step(
                runtime, who, dossier.id, "request_supplement", items=[SupplementItem(label="Y")]
            )
        unchanged(before, await service.get_dossier(runtime, who, dossier.id))
    proposed = await step(runtime, officer, dossier.id, "propose", decision="reject")
    with pytest.raises(lifecycle.SupplementAlreadyRequested):
        await step(
            runtime, leader, dossier.id, "request_supplement", items=[SupplementItem(label="Z")]
        )
    assert (await service.get_dossier(runtime, leader, dossier.id)).version == proposed.version
    events = (await service.get_dossier(runtime, leader, dossier.id)).events
    assert [e.action for e in events].count("request_supplement") == 1


async def test_a_first_request_during_processing_is_still_taken(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    """The rule counts requests, not steps: a dossier never asked may be asked once."""
    citizen = await people()
    reception = await people("staff", "reception")
    officer = await people("staff", "processing")
    dossier = await submitted(runtime, citizen)
    await step(runtime, reception, dossier.id, "receive")
    await step(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)
    assert "request_supplement" in (await service.get_dossier(runtime, officer, dossier.id)).actions
    asked = await step(
        runtime, officer, dossier.id, "request_supplement", items=[SupplementItem(label="Ảnh")]
    )
    assert asked.status == "supplement_requested"
    back = await step(runtime, citizen, dossier.id, "supplement")
    assert back.status == "processing"
    assert (
        "request_supplement"
        not in (await service.get_dossier(runtime, officer, dossier.id)).actions
    )


# ------------------------------------------------------- the fees due at reception


async def test_a_dossier_owing_its_fee_at_reception_is_received_only_once_paid(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    officer = await people("staff", "processing", agency=LICENCE_AGENCY)
    stranger = await people("staff", "reception", agency=OTHER_AGENCY)
    dossier = await submitted_online(runtime, citizen, LICENCE, LICENCE_ANSWERS)
    assert (dossier.fee_total, dossier.payment_status) == (115_000, "unpaid")

    seen = await service.get_dossier(runtime, reception, dossier.id)
    assert "receive" not in seen.actions
    assert {"refuse", "request_supplement"} <= set(seen.actions)
    with pytest.raises(InvalidInput) as unpaid:
        await step(runtime, reception, dossier.id, "receive")
    assert unpaid.value.status_code == 422 and unpaid.value.field == "payment"
    assert "115.000" in unpaid.value.message("vi") and "chưa nộp" in unpaid.value.message("vi")
    assert "unpaid" in unpaid.value.message("en")
    unchanged(seen, await service.get_dossier(runtime, reception, dossier.id))
    # Cash is taken only by the agency's cashiers, and only once.
    with pytest.raises(NotFound):
        await take_cash(dossiers_app, stranger, dossier.id)
    with pytest.raises(Forbidden):
        await take_cash(dossiers_app, officer, dossier.id)
    assert (await service.get_dossier(runtime, reception, dossier.id)).payment_status == "unpaid"

    await take_cash(dossiers_app, reception, dossier.id)
    with pytest.raises(InvalidInput):
        await take_cash(dossiers_app, reception, dossier.id)
    paid = await service.get_dossier(runtime, reception, dossier.id)
    assert paid.payment_status == "paid" and "receive" in paid.actions
    received = await step(runtime, reception, dossier.id, "receive")
    assert received.status == "received" and received.received_at is not None
    calendar = await workdays.load()
    assert received.due_date == calendar.add_working_days(MONDAY.date(), 5)


async def test_fees_due_with_the_result_hold_the_return_not_the_reception(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    officer = await people("staff", "processing", agency=LICENCE_AGENCY)
    leader = await people("staff", "leader", agency=LICENCE_AGENCY)
    dossier = await submitted_online(runtime, citizen, RECORD, RECORD_ANSWERS)
    assert (dossier.fee_total, dossier.payment_stage) == (200_000, "result")
    assert "receive" in (await service.get_dossier(runtime, reception, dossier.id)).actions
    dossier = await step(runtime, reception, dossier.id, "receive")
    assert dossier.status == "received" and dossier.payment_status == "unpaid"
    await step(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)
    await step(runtime, officer, dossier.id, "propose", decision="approve")
    await step(runtime, leader, dossier.id, "decide", decision="approve")
    await service.add_file(runtime, officer, dossier.id, photo(), component_id=None)
    await step(runtime, officer, dossier.id, "attach_result")
    ready = await service.get_dossier(runtime, reception, dossier.id)
    assert ready.status == "result_ready" and "return_result" not in ready.actions
    with pytest.raises(InvalidInput) as unpaid:
        await step(runtime, reception, dossier.id, "return_result")
    assert unpaid.value.field == "payment"
    unchanged(ready, await service.get_dossier(runtime, reception, dossier.id))
    await take_cash(dossiers_app, reception, dossier.id)
    assert "return_result" in (await service.get_dossier(runtime, reception, dossier.id)).actions
    assert (await step(runtime, reception, dossier.id, "return_result")).status == "returned"


async def test_a_citizen_may_withdraw_a_dossier_they_have_not_paid_for(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted_online(runtime, citizen, LICENCE, LICENCE_ANSWERS)
    assert dossier.payment_status == "unpaid" and "withdraw" in dossier.actions
    withdrawn = await step(runtime, citizen, dossier.id, "withdraw", note="Nộp nhầm")
    assert withdrawn.status == "withdrawn" and withdrawn.finished_at is not None
    assert withdrawn.payment_status == "unpaid"


# ------------------------------------------------------------------ counter entry


@pytest.mark.parametrize(
    ("channel", "owed"),
    [("assisted", 115_000), ("counter", 135_000), ("post", 135_000)],
)
async def test_a_mobile_teams_entry_is_charged_the_online_fee(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory, channel: str, owed: int
) -> None:
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    dossier = await service.create_assisted(
        runtime, reception, entry(LICENCE, LICENCE_ANSWERS, channel)
    )
    assert dossier.channel == channel
    assert dossier.fee_total == owed and dossier.payment_status == "unpaid"
    [line] = dossier.fee_lines
    assert (line.unit_amount, line.amount, line.full_amount) == (owed, owed, 135_000)


async def test_a_counter_entry_owing_a_fee_at_reception_waits_for_the_cash(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    paper = (await catalogue.get_procedure(LICENCE)).components[0].id
    data = msgspec.structs.replace(
        entry(LICENCE, LICENCE_ANSWERS, "counter"), components_received=[paper]
    )
    dossier = await service.create_assisted(runtime, reception, data)
    assert dossier.status == "submitted" and dossier.received_at is None
    assert dossier.code and dossier.code.startswith(LICENCE_AGENCY + "-")
    assert (dossier.fee_total, dossier.payment_status) == (135_000, "unpaid")
    assert [e.action for e in dossier.events] == ["submit"]
    assert dossier.events[0].details["channel"] == "counter"
    assert dossier.events[0].details["components_received"] == [paper]
    assert "receive" not in dossier.actions
    with pytest.raises(InvalidInput):
        await step(runtime, reception, dossier.id, "receive")

    await take_cash(dossiers_app, reception, dossier.id)
    received = await step(runtime, reception, dossier.id, "receive")
    assert received.status == "received" and received.payment_status == "paid"
    assert [e.action for e in received.events] == ["submit", "receive"]


async def test_a_counter_entry_with_nothing_due_before_reception_is_received_at_once(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    reception = await people("staff", "reception", agency=LICENCE_AGENCY)
    record = await service.create_assisted(
        runtime, reception, entry(RECORD, RECORD_ANSWERS, "assisted")
    )
    assert record.status == "received" and record.received_at is not None
    assert (record.fee_total, record.payment_status) == (200_000, "unpaid")  # with the result
    assert [e.action for e in record.events] == ["receive"]
    legal_aid = await people("staff", "reception")
    free = await service.create_assisted(
        runtime,
        legal_aid,
        entry(
            "2.001680",
            {"case_summary": "Tranh chấp đất", "beneficiary_group": "ngheo"},
            "counter",
        ),
    )
    assert free.status == "received" and free.payment_status == "none"


# ------------------------------------------------------------ the API and the console


async def test_the_api_refuses_a_second_supplement_request(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    citizen = await people()
    dossier = await submitted(runtime, citizen)
    browser, reception = await signed_in(dossiers_app, open_browsers, "reception")
    url = f"/api/dossiers/{dossier.id}/actions"
    items = [{"label": "Bản sao sổ hộ nghèo có chứng thực"}]
    first = await browser.post(
        url, {"action": "request_supplement", "version": dossier.version, "items": items}
    )
    assert first.status_code == 200 and first.json()["status"] == "supplement_requested"
    await step(runtime, citizen, dossier.id, "supplement")
    seen = await browser.get(f"/api/dossiers/{dossier.id}")
    assert seen.status_code == 200 and seen.json()["status"] == "submitted"
    assert "request_supplement" not in seen.json()["actions"]
    before = await service.get_dossier(runtime, reception, dossier.id)
    second = await browser.post(
        url, {"action": "request_supplement", "version": before.version, "items": items}
    )
    assert second.status_code == 409
    problem = second.json()
    assert problem["code"] == "supplement_already_requested"
    assert problem["error"]["field"] == "action"
    assert "chỉ được yêu cầu bổ sung một lần" in problem["error"]["message_vi"]
    assert "only once per dossier" in problem["error"]["message_en"]
    unchanged(before, await service.get_dossier(runtime, reception, dossier.id))
    # Wrong types are refused as such, not taken as a request.
    bad = await browser.post(url, {"action": "request_supplement", "version": "x", "items": 3})
    assert bad.status_code in {400, 422}
    unchanged(before, await service.get_dossier(runtime, reception, dossier.id))


async def test_the_console_explains_and_refuses_a_second_supplement_request(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    citizen = await people()
    dossier = await submitted(runtime, citizen)
    browser, reception = await signed_in(dossiers_app, open_browsers, "reception")
    url = f"{CONSOLE}/ho-so/{dossier.id}"
    fresh = await browser.get(url)
    assert (
        'id="action-request-supplement"' in fresh.text and 'id="supplement-once"' not in fresh.text
    )
    await step(
        runtime, reception, dossier.id, "request_supplement", items=[SupplementItem(label="Ảnh")]
    )
    await step(runtime, citizen, dossier.id, "supplement")

    page = await browser.get(url)
    assert page.status_code == 200
    assert 'id="action-request-supplement"' not in page.text
    assert 'id="action-receive"' in page.text and 'id="action-refuse"' in page.text
    assert 'id="supplement-once"' in page.text
    assert "chỉ được yêu cầu bổ sung một lần" in text_of(page)
    before = await service.get_dossier(runtime, reception, dossier.id)
    sent = await post_form(
        browser,
        f"{url}/thao-tac",
        {
            "action": "request_supplement",
            "version": version_in(page.text),
            "items_other": "Ảnh chân dung 4x6",
        },
    )
    assert sent.status_code == 409
    assert "chỉ được yêu cầu bổ sung một lần" in summary_of(sent.text)
    unchanged(before, await service.get_dossier(runtime, reception, dossier.id))

    browser.client.cookies.set("lang", "en")
    english = text_of(await browser.get(url))
    assert "only once per dossier" in english and "Decree 61/2018" in english


async def test_the_console_holds_reception_until_the_fee_is_paid(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    citizen = await people()
    dossier = await submitted_online(runtime, citizen, LICENCE, LICENCE_ANSWERS)
    browser, reception = await signed_in(dossiers_app, open_browsers, "reception", LICENCE_AGENCY)
    url = f"{CONSOLE}/ho-so/{dossier.id}"
    page = await browser.get(url)
    assert page.status_code == 200
    assert 'id="action-receive"' not in page.text
    held = re.search(
        r'<section class="action-form" id="held-receive".*?</section>', page.text, re.S
    )
    assert held, "the missing step is explained"
    assert "115.000" in html.unescape(held.group(0)) and 'href="#form-cash"' in held.group(0)
    assert 'id="form-cash"' in page.text and 'id="no-actions"' not in page.text
    before = await service.get_dossier(runtime, reception, dossier.id)
    sent = await post_form(
        browser, f"{url}/thao-tac", {"action": "receive", "version": version_in(page.text)}
    )
    assert sent.status_code == 422 and "chưa nộp phí, lệ phí" in summary_of(sent.text)
    unchanged(before, await service.get_dossier(runtime, reception, dossier.id))

    cash = await post_form(browser, f"{url}/thu-tien-mat", {"confirm": "1"})
    assert cash.status_code == 303, text_of(cash)
    paid = await browser.get(url)
    assert 'id="action-receive"' in paid.text and 'id="held-receive"' not in paid.text
    received = await post_form(
        browser, f"{url}/thao-tac", {"action": "receive", "version": version_in(paid.text)}
    )
    assert received.status_code == 303
    assert (await service.get_dossier(runtime, reception, dossier.id)).status == "received"


async def test_a_mobile_teams_entry_at_the_console_owes_the_online_fee_before_reception(
    dossiers_app: Litestar, clock: Clock, open_browsers: list[Browser]
) -> None:
    browser, _ = await signed_in(dossiers_app, open_browsers, "reception", LICENCE_AGENCY)
    paper = (await catalogue.get_procedure(LICENCE)).components[0].id
    created = await post_form(
        browser,
        f"{CONSOLE}/nhap-ho-so",
        {
            "procedure_code": LICENCE,
            "channel": "assisted",
            "applicant_name": "Hoàng Văn Minh",
            "applicant_phone": unique_phone(),
            "f-licence_number": "790123456789",
            "f-licence_class": "B",
            "f-delivery": "tai_quay",
            "components_received": str(paper),
        },
    )
    assert created.status_code == 303, text_of(created)
    page = await browser.get(created.headers["location"])
    text = text_of(page)
    assert "thu phí, lệ phí rồi tiếp nhận" in text and "115.000" in text
    assert 'id="collect-cash"' in page.text and 'id="form-cash"' in page.text
    assert 'id="print-receipt"' not in page.text and 'id="held-receive"' in page.text
    assert "đã nhận bản giấy tại quầy" in text
