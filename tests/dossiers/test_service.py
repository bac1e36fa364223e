"""The dossier service on a real database: the lifecycle end to end, dossier codes
under concurrency, deadlines in working days, the clock stopping for a supplement,
access for every kind of person, and nothing lost when a step is refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from litestar import Litestar

from backend.accounts.ratelimit import MemoryCounters, RateLimiter
from backend.accounts.tables import Membership, Organisation
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime, utc_now
from backend.dossiers.schemas import (
    ActionIn,
    AssistedCreate,
    DraftCreate,
    DraftUpdate,
    SupplementItem,
)
from backend.dossiers.tables import DossierEvent
from backend.errors import AppError, Conflict, InvalidInput, NotFound
from backend.outbox import service as outbox
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import (
    AGENCY,
    ANSWERS,
    OTHER_AGENCY,
    PROCEDURE,
    PersonFactory,
    draft_with_files,
    photo,
    submitted,
)
from tests.dossiers.test_transfer import HAC_THANH, NGA_AN, being_processed

JUSTICE = "000.00.16.H56"  # receives 2.000488, the criminal record certificate
CODE = re.compile(r"^000\.00\.12\.H56-(\d{6})-(\d{4})$")


async def step(runtime: DossiersRuntime, who, dossier_id: int, action: str, **fields):  # type: ignore[no-untyped-def]
    current = await service.get_dossier(runtime, who, dossier_id)
    return await service.act(
        runtime, who, dossier_id, ActionIn(action=action, version=current.version, **fields)
    )


async def test_the_whole_life_of_a_dossier(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception")
    officer = await people("staff", "processing")
    leader = await people("staff", "leader")

    dossier = await submitted(runtime, citizen)
    match = CODE.match(dossier.code or "")
    assert match and match.group(1) == "261005"
    assert dossier.status == "submitted" and dossier.channel == "online"

    dossier = await step(runtime, reception, dossier.id, "receive")
    assert dossier.status == "received"
    assert dossier.due_date == dt.date(2026, 10, 5)  # a same-day procedure
    dossier = await step(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)
    assert dossier.assignee_id == officer.account_id
    assert "propose" in (await service.get_dossier(runtime, officer, dossier.id)).actions
    dossier = await step(runtime, officer, dossier.id, "propose", decision="approve", note="Đủ")
    dossier = await step(runtime, leader, dossier.id, "decide", decision="approve")
    assert dossier.status == "approved"
    with pytest.raises(InvalidInput, match="result"):
        await step(runtime, officer, dossier.id, "attach_result")
    result = await service.add_file(runtime, officer, dossier.id, photo(), component_id=None)
    # The citizen does not see the result before it is released.
    assert result.id not in {
        f.id for f in (await service.get_dossier(runtime, citizen, dossier.id)).files
    }
    with pytest.raises(NotFound):
        await service.open_file(runtime, citizen, dossier.id, result.id)
    dossier = await step(runtime, officer, dossier.id, "attach_result")
    assert dossier.status == "result_ready"
    file, data = await service.open_file(runtime, citizen, dossier.id, result.id)
    assert file.purpose == "result" and data[:2] == b"\xff\xd8"
    dossier = await step(runtime, reception, dossier.id, "return_result")
    assert dossier.status == "returned" and dossier.finished_at is not None

    citizen_view = await service.get_dossier(runtime, citizen, dossier.id)
    assert [e.action for e in citizen_view.events] == [
        "submit", "receive", "assign", "propose", "decide", "attach_result", "return_result",
    ]  # fmt: skip
    # Citizens see what happened, not which official did it; officials see the names.
    assert all(e.actor_name == "" for e in citizen_view.events[1:])
    staff_view = await service.get_dossier(runtime, reception, dossier.id)
    assert staff_view.events[2].actor_name == reception.name
    assert citizen_view.actions == [] and staff_view.actions == []

    notices = await outbox.messages_for(f"dossier:{dossier.id}")
    assert [m["kind"] for m in notices] == [
        "dossier.received",
        "dossier.result_ready",
        "dossier.returned",
    ]
    assert all(m["account_ids"] == [citizen.account_id] for m in notices)
    assert notices[0]["payload"] == {
        "dossier_id": dossier.id,
        "code": dossier.code,
        "status": "received",
        "due_date": "2026-10-05",
    }


async def test_fifty_concurrent_submissions_get_fifty_consecutive_codes(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    # A day of its own, so other tests' dossiers do not share the sequence.
    runtime.now = Clock(dt.datetime(2027, 3, 3, 3, 0, tzinfo=dt.UTC))
    try:
        citizens = [await people() for _ in range(50)]
        drafts = [await draft_with_files(runtime, c) for c in citizens]
        results = await asyncio.gather(
            *(service.submit(runtime, c, d.id) for c, d in zip(citizens, drafts, strict=True))
        )
    finally:
        runtime.now = utc_now
    codes = sorted(r.code or "" for r in results)
    assert len(set(codes)) == 50
    assert [int(code[-4:]) for code in codes] == list(range(1, 51))
    assert all(code.startswith(f"{AGENCY}-270303-") for code in codes)


async def test_a_second_submission_is_refused_and_changes_nothing(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted(runtime, citizen)
    with pytest.raises(Conflict) as refused:
        await service.submit(runtime, citizen, dossier.id)
    assert dossier.code in refused.value.message("vi")
    again = await service.get_dossier(runtime, citizen, dossier.id)
    assert again.code == dossier.code and again.version == dossier.version


async def test_a_draft_replayed_with_its_key_is_the_same_draft(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    citizen = await people()
    data = DraftCreate(procedure_code=PROCEDURE, draft_key=f"replay-{citizen.account_id:012d}")
    first, created = await service.create_draft(runtime, citizen, data)
    second, created_again = await service.create_draft(runtime, citizen, data)
    assert created and not created_again and first.id == second.id
    other = await people()
    with pytest.raises(Conflict):
        await service.create_draft(runtime, other, data)


async def test_bad_answers_are_refused_and_saved_answers_stay(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    citizen = await people()
    data = DraftCreate(procedure_code=PROCEDURE, draft_key=f"answers-{citizen.account_id:012d}")
    draft, _ = await service.create_draft(runtime, citizen, data)
    await service.update_draft(runtime, citizen, draft.id, DraftUpdate(form_data=ANSWERS))
    bad = [
        ({"household_members": "nhiều"}, "form_data.household_members"),
        ({"household_members": "0"}, "form_data.household_members"),
        ({"beneficiary_group": "vip"}, "form_data.beneficiary_group"),
        ({"opponent_id": "12345"}, "form_data.opponent_id"),
        ({"not_a_field": "x"}, "form_data.not_a_field"),
        ({"case_summary": "x" * 2001}, None),
    ]
    for answers, field in bad:
        with pytest.raises((InvalidInput, Exception)) as error:
            await service.update_draft(runtime, citizen, draft.id, DraftUpdate(form_data=answers))
        if field:
            assert isinstance(error.value, InvalidInput) and error.value.field == field
    kept = await service.get_dossier(runtime, citizen, draft.id)
    assert kept.form_data == ANSWERS
    with pytest.raises(InvalidInput) as missing:
        await service.submit(runtime, citizen, draft.id)
    assert missing.value.field == "files" and "Còn thiếu giấy tờ" in missing.value.message("vi")
    assert (await service.get_dossier(runtime, citizen, draft.id)).status == "draft"


async def test_supplement_stops_the_clock(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=JUSTICE)
    officer = await people("staff", "processing", agency=JUSTICE)
    # Phiếu lý lịch tư pháp: ten working days, at the same agency.
    draft = await draft_with_files(runtime, citizen, "2.000488")
    await service.update_draft(
        runtime,
        citizen,
        draft.id,
        DraftUpdate(
            form_data={"purpose": "so1", "copies": "1", "residence": "Thôn 3", "reduced": "khong"}
        ),
    )
    dossier = await service.submit(runtime, citizen, draft.id)
    dossier = await step(runtime, reception, dossier.id, "receive")
    assert dossier.due_date == dt.date(2026, 10, 19)  # ten working days after Mon 5/10
    dossier = await step(runtime, reception, dossier.id, "assign", assignee_id=officer.account_id)
    component = dossier.components[0]
    dossier = await step(
        runtime,
        officer,
        dossier.id,
        "request_supplement",
        items=[
            SupplementItem(label="Ảnh CCCD rõ hơn", component_id=component.id),
            SupplementItem(label="Ghi lại nơi thường trú", field="residence"),
        ],
        note="Ảnh bị mờ",
    )
    assert dossier.status == "supplement_requested" and dossier.paused_at is not None
    notices = await outbox.messages_for(f"dossier:{dossier.id}")
    assert notices[-1]["kind"] == "dossier.supplement_requested"

    # Only what was asked may change.
    with pytest.raises(InvalidInput):
        await service.update_draft(
            runtime, citizen, dossier.id, DraftUpdate(form_data={"copies": "3"})
        )
    await service.update_draft(
        runtime, citizen, dossier.id, DraftUpdate(form_data={"residence": "Thôn 4, xã Yên Định"})
    )
    with pytest.raises(InvalidInput) as missing:
        await step(runtime, citizen, dossier.id, "supplement")
    assert "Ảnh CCCD rõ hơn" in missing.value.message("vi")
    clock.advance(days=3)  # Thursday: three working days waited
    await service.add_file(runtime, citizen, dossier.id, photo(), component_id=component.id)
    dossier = await step(runtime, citizen, dossier.id, "supplement")
    assert dossier.status == "processing" and dossier.paused_at is None
    assert dossier.due_date == dt.date(2026, 10, 22)
    assert dossier.form_data["residence"] == "Thôn 4, xã Yên Định"
    assert dossier.events[-1].details == {"waited_days": 3, "new_due_date": "2026-10-22"}


async def test_apology_only_when_late_and_for_a_working_day(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=JUSTICE)
    leader = await people("staff", "leader", agency=JUSTICE)
    draft = await draft_with_files(runtime, citizen, "2.000488")
    await service.update_draft(
        runtime,
        citizen,
        draft.id,
        DraftUpdate(form_data={"purpose": "so2", "copies": "2", "residence": "x", "reduced": "co"}),
    )
    dossier = await service.submit(runtime, citizen, draft.id)
    dossier = await step(runtime, reception, dossier.id, "receive")
    assert "apologise" not in dossier.actions
    with pytest.raises(InvalidInput):
        await step(
            runtime,
            leader,
            dossier.id,
            "apologise",
            new_due_date=dt.date(2026, 10, 26),
            note="Chậm",
        )
    clock.advance(days=14)  # Monday 19/10, the appointment day
    dossier = await service.get_dossier(runtime, leader, dossier.id)
    assert "apologise" in dossier.actions
    with pytest.raises(InvalidInput) as weekend:
        await step(
            runtime,
            leader,
            dossier.id,
            "apologise",
            new_due_date=dt.date(2026, 10, 24),
            note="Chậm",
        )
    assert weekend.value.field == "new_due_date"
    dossier = await step(
        runtime,
        leader,
        dossier.id,
        "apologise",
        new_due_date=dt.date(2026, 10, 26),
        note="Cần xác minh thêm",
    )
    assert dossier.due_date == dt.date(2026, 10, 26) and dossier.status == "received"
    assert dossier.events[-1].details == {
        "old_due_date": "2026-10-19",
        "new_due_date": "2026-10-26",
    }
    assert (await outbox.messages_for(f"dossier:{dossier.id}"))[-1]["kind"] == "dossier.late"
    clock.advance(days=8)
    overdue = await service.queue(runtime, leader, "overdue")
    assert dossier.id in {d.id for d in overdue.items}


async def test_who_may_see_and_do_what(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    owner = await people()
    stranger = await people()
    colleague = await people()
    reception = await people("staff", "reception")
    officer = await people("staff", "processing")
    other_officer = await people("staff", "processing")
    leader = await people("staff", "leader")
    elsewhere = await people("staff", "reception", agency=OTHER_AGENCY)
    admin = await people("staff", "admin")
    now = utc_now()
    rows = await Organisation.insert(
        Organisation(
            name="HTX Yên Định",
            tax_code=f"{owner.account_id:010d}",
            address="x",
            created_by=owner.account_id,
            created_at=now,
        )
    ).returning(Organisation.id)
    organisation = rows[0]["id"]
    for person, role in ((owner, "owner"), (colleague, "member")):
        await Membership.insert(
            Membership(
                member_key=f"{organisation}:{person.account_id}",
                organisation=organisation,
                account=person.account_id,
                role=role,
                created_at=now,
            )
        )
    draft = await draft_with_files(runtime, owner, organisation_id=organisation)
    # A draft is the citizen's own business: no official sees it.
    for official in (reception, leader):
        with pytest.raises(NotFound):
            await service.get_dossier(runtime, official, draft.id)
    dossier = await service.submit(runtime, owner, draft.id)
    file_id = dossier.files[0].id

    assert (await service.get_dossier(runtime, colleague, dossier.id)).id == dossier.id
    assert dossier.id in {d.id for d in await service.my_dossiers(runtime, colleague)}
    for outsider in (stranger, elsewhere, admin):
        with pytest.raises(NotFound):
            await service.get_dossier(runtime, outsider, dossier.id)
        with pytest.raises(NotFound):
            await service.open_file(runtime, outsider, dossier.id, file_id)
        with pytest.raises(NotFound):
            await service.act(
                runtime, outsider, dossier.id, ActionIn(action="withdraw", version=dossier.version)
            )
    with pytest.raises(NotFound):
        await service.open_file(runtime, owner, dossier.id + 100_000, file_id)

    # Roles: a citizen cannot receive, an officer cannot receive, a leader cannot refuse.
    for person, action in ((owner, "receive"), (officer, "receive"), (leader, "refuse")):
        with pytest.raises(AppError) as refused:
            await step(runtime, person, dossier.id, action, reasons=["x"])
        assert refused.value.status_code == 403
    dossier = await step(runtime, reception, dossier.id, "receive")
    dossier = await step(runtime, leader, dossier.id, "assign", assignee_id=officer.account_id)
    # Only the assignee proposes; someone else's stale version is refused.
    with pytest.raises(AppError) as not_theirs:
        await step(runtime, other_officer, dossier.id, "propose", decision="approve")
    assert not_theirs.value.status_code == 403
    assert "propose" not in (await service.get_dossier(runtime, other_officer, dossier.id)).actions
    with pytest.raises(Conflict) as stale:
        await service.act(
            runtime,
            officer,
            dossier.id,
            ActionIn(action="propose", version=dossier.version - 1, decision="approve"),
        )
    assert stale.value.field == "version"
    # The organisation's member withdraws it for everyone.
    dossier = await step(runtime, colleague, dossier.id, "withdraw", note="Nộp nhầm")
    assert dossier.status == "withdrawn"
    with pytest.raises(AppError) as final:
        await step(runtime, owner, dossier.id, "withdraw")
    assert final.value.status_code == 409


async def test_a_transfer_hands_the_dossier_to_the_other_agency(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    # Only to an agency carrying out the procedure: a commune's, passed to another
    # commune (what is refused: tests/dossiers/test_transfer.py).
    citizen = await people()
    reception = await people("staff", "reception", agency=HAC_THANH)
    officer = await people("staff", "processing", agency=HAC_THANH)
    there = await people("staff", "reception", agency=NGA_AN)
    dossier = await being_processed(dossiers_app, runtime, citizen, reception, officer)
    dossier = await step(runtime, officer, dossier.id, "transfer", target_agency=NGA_AN)
    assert dossier.agency_code == NGA_AN and dossier.status == "received"
    assert dossier.events[-1].details["from_agency"] == HAC_THANH
    assert dossier.events[-1].details["to_agency"] == NGA_AN
    assert "assign" in (await service.get_dossier(runtime, there, dossier.id)).actions
    # The receiving agency still sees it but no longer acts on it.
    seen = await service.get_dossier(runtime, reception, dossier.id)
    assert seen.actions == []


async def test_assisted_submission_and_claim(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    reception = await people("staff", "reception")
    citizen = await people()
    data = AssistedCreate(
        procedure_code=PROCEDURE,
        channel="assisted",
        applicant_name="Lò Thị Mai",
        applicant_phone="0912 345 678",
        form_data=ANSWERS,
        components_received=[],
    )
    dossier = await service.create_assisted(runtime, reception, data)
    assert dossier.status == "received" and dossier.channel == "assisted"
    assert dossier.entered_by == reception.account_id and dossier.owner_id is None
    assert dossier.applicant_phone == "0912345678"
    _, claim_code = await service.issue_claim_code(runtime, reception, dossier.id)
    with pytest.raises(NotFound):
        await service.claim(runtime, citizen, dossier.code or "", "0912345679", claim_code)
    claimed = await service.claim(
        runtime, citizen, (dossier.code or "").lower(), "0912345678", claim_code
    )
    assert claimed.owner_id == citizen.account_id
    with pytest.raises(NotFound):
        await service.claim(runtime, await people(), dossier.code or "", "0912345678", claim_code)
    with pytest.raises(AppError) as foreign:
        await service.create_assisted(
            runtime,
            reception,
            AssistedCreate(
                procedure_code="2.001610",  # another agency's procedure
                channel="counter",
                applicant_name="Lò Thị Mai",
                applicant_phone="0912345678",
            ),
        )
    assert foreign.value.status_code == 403


async def test_tracking_shows_progress_only(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier = await submitted(runtime, citizen)
    phone = dossier.applicant_phone
    limiter = RateLimiter(MemoryCounters(), utc_now, per_address=100, per_account=100)
    tracked = await service.track(limiter, dossier.code or "", phone[-4:])
    assert tracked.status == "submitted" and [s.action for s in tracked.steps] == ["submit"]
    text = repr(tracked)
    assert citizen.name not in text and phone not in text
    with pytest.raises(NotFound):
        await service.track(limiter, dossier.code or "", "0000" if phone[-4:] != "0000" else "1111")
    with pytest.raises(InvalidInput):
        await service.track(limiter, dossier.code or "", "12")
    token = service.tracking_token(runtime.secret_key, dossier.code or "")
    assert (await service.track_by_token(runtime.secret_key, token)).code == dossier.code
    with pytest.raises(NotFound):
        await service.track_by_token(
            runtime.secret_key, token[:-1] + ("0" if token[-1] != "0" else "1")
        )


async def test_history_is_append_only(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    dossier = await submitted(runtime, await people())
    with pytest.raises(Exception, match="append-only"):
        await DossierEvent.update({DossierEvent.note: "rewritten"}).where(
            DossierEvent.dossier == dossier.id
        )
    with pytest.raises(Exception, match="append-only"):
        await DossierEvent.delete().where(DossierEvent.dossier == dossier.id)


# ------------------------------------------------------------ every problem at once


def fields_of(error: pytest.ExceptionInfo[InvalidInput]) -> set[str | None]:
    return {problem.field for problem in error.value.problems}


async def test_a_step_keeps_what_is_right_and_names_everything_wrong(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    citizen = await people()
    data = DraftCreate(procedure_code=PROCEDURE, draft_key=f"all-once-{citizen.account_id:012d}")
    draft, _ = await service.create_draft(runtime, citizen, data)
    with pytest.raises(InvalidInput) as refused:
        await service.update_draft(
            runtime,
            citizen,
            draft.id,
            DraftUpdate(
                applicant_name="",
                applicant_phone="0912 345 678",
                applicant_id_number="0381",
                applicant_address="  Thôn   Đông  ",
                form_data={
                    "case_summary": "",
                    "beneficiary_group": "",
                    "household_members": "3",
                    "opponent_id": "1",
                },
            ),
            complete=True,
        )
    assert fields_of(refused) == {
        "applicant_name",
        "applicant_id_number",
        "form_data.case_summary",
        "form_data.beneficiary_group",
        "form_data.opponent_id",
    }
    by_field = {p.field: p.message.render("vi") for p in refused.value.problems}
    assert by_field["applicant_name"] == "Hãy nhập họ và tên người nộp."
    assert "Hãy chọn một câu trả lời" in by_field["form_data.beneficiary_group"]
    kept = await service.get_dossier(runtime, citizen, draft.id)
    assert kept.applicant_phone == "0912345678" and kept.applicant_address == "Thôn Đông"
    assert kept.applicant_name == draft.applicant_name, "a refused value keeps the saved one"
    assert kept.form_data == {"household_members": "3"}
    # Without ``complete`` a step may be left half done; only what it asks is required.
    saved = await service.update_draft(
        runtime, citizen, draft.id, DraftUpdate(form_data={"case_summary": "Đất đai"})
    )
    assert saved.form_data == {"household_members": "3", "case_summary": "Đất đai"}


async def test_submission_names_everything_missing_at_once(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    citizen = await people()
    data = DraftCreate(procedure_code=PROCEDURE, draft_key=f"submit-all-{citizen.account_id:010d}")
    draft, _ = await service.create_draft(runtime, citizen, data)
    await service.update_draft(runtime, citizen, draft.id, DraftUpdate(applicant_phone=""))
    with pytest.raises(InvalidInput) as refused:
        await service.submit(runtime, citizen, draft.id)
    assert fields_of(refused) == {
        "applicant_phone",
        "form_data.case_summary",
        "form_data.beneficiary_group",
        "files",
    }
    files = next(p for p in refused.value.problems if p.field == "files")
    assert "Đơn yêu cầu trợ giúp pháp lý" in files.message.render("vi")
    assert (await service.get_dossier(runtime, citizen, draft.id)).status == "draft"


async def test_counter_entry_and_a_supplement_request_name_every_mistake(
    runtime: DossiersRuntime, clock: Clock, people: PersonFactory
) -> None:
    reception = await people("staff", "reception")
    with pytest.raises(InvalidInput) as refused:
        await service.create_assisted(
            runtime,
            reception,
            AssistedCreate(
                procedure_code=PROCEDURE,
                channel="counter",
                applicant_name="",
                applicant_phone="12",
                form_data={"case_summary": "Đất đai", "household_members": "nhiều"},
                components_received=[999_999],
            ),
        )
    assert fields_of(refused) == {
        "applicant_name",
        "applicant_phone",
        "form_data.beneficiary_group",
        "form_data.household_members",
        "components_received",
    }
    dossier = await submitted(runtime, await people())
    with pytest.raises(InvalidInput) as asked:
        await step(
            runtime,
            reception,
            dossier.id,
            "request_supplement",
            items=[
                SupplementItem(label="Giấy không có", component_id=999_999),
                SupplementItem(label="Ô không có", field="not_a_field"),
            ],
        )
    assert fields_of(asked) == {"items[0].component_id", "items[1].field"}
    received = await step(runtime, reception, dossier.id, "receive")
    with pytest.raises(InvalidInput) as apology:
        await step(runtime, reception, received.id, "apologise", new_due_date=None, note=" ")
    assert fields_of(apology) == {"new_due_date", "note"}
