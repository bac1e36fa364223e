"""Claiming a counter dossier (issue 15, sweep 1): the dossier's code and the phone are
not enough; the claim code printed on form 01 is needed, wrong attempts lock the
dossier (however many arrive at once) until reception prints a new code, reception can
revoke a claim, and every step is in the audit log."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from litestar import Litestar

from backend.accounts.tables import AuditEvent
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import AssistedCreate
from backend.dossiers.tables import Dossier
from backend.errors import Conflict, NotFound
from tests.accounts.helpers import Browser
from tests.dossiers.conftest import ANSWERS, PROCEDURE, PersonFactory
from tests.dossiers.test_citizen_pages import (
    LEGAL_AID,
    LEGAL_AID_AGENCY,
    LEGAL_AID_ANSWERS,
    citizen,
    official,
    open_browsers,
    send,
)
from tests.dossiers.test_forms import read

__all__ = ["open_browsers"]  # the fixture, used by name


async def _enter(reception: Browser, phone: str) -> dict[str, Any]:
    entered = await reception.post(
        "/api/staff/dossiers",
        {
            "procedure_code": LEGAL_AID,
            "channel": "counter",
            "applicant_name": "Trần Thị Hoa",
            "applicant_phone": phone,
            "form_data": LEGAL_AID_ANSWERS,
        },
    )
    assert entered.status_code == 201, entered.text
    return dict(entered.json())


async def _audit(event: str, dossier_id: int) -> list[dict[str, Any]]:
    rows = await AuditEvent.select().where(AuditEvent.event == event).output(load_json=True)
    return [row for row in rows if row["details"].get("dossier_id") == dossier_id]


async def test_a_stranger_cannot_take_a_counter_dossier_with_its_code_and_phone(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    owner = await citizen(dossiers_app, open_browsers)
    stranger = await citizen(dossiers_app, open_browsers, "Kẻ Lạ")
    reception = await official(dossiers_app, open_browsers, "reception", LEGAL_AID_AGENCY)
    entered = await _enter(reception, owner.phone)
    code, dossier_id = entered["code"], entered["id"]

    # The sweep's request: the code and the phone only.
    bare = await stranger.browser.post("/api/dossiers/claim", {"code": code, "phone": owner.phone})
    assert bare.status_code in {400, 422}, bare.text
    assert "Trần Thị Hoa" not in bare.text
    issued = await reception.post(f"/api/staff/dossiers/{dossier_id}/claim-code")
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    claim_code = issued.json()["claim_code"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", claim_code)
    # Only its HMAC is kept.
    stored = await Dossier.select(Dossier.claim_code_hash).where(Dossier.id == dossier_id)
    assert claim_code.replace("-", "") not in str(stored)

    guesses = [f"{n:04d}-{n:04d}" for n in range(service.MAX_CLAIM_FAILURES)]
    for guess in guesses:
        wrong = await stranger.browser.post(
            "/api/dossiers/claim", {"code": code, "phone": owner.phone, "claim_code": guess}
        )
        assert wrong.status_code == 404, wrong.text
        assert "Trần Thị Hoa" not in wrong.text and "withdraw" not in wrong.text
    # Locked now, even for the right code.
    locked = await stranger.browser.post(
        "/api/dossiers/claim", {"code": code, "phone": owner.phone, "claim_code": claim_code}
    )
    assert locked.status_code == 409 and "bị khóa" in locked.text, locked.text
    assert "Retry-After" not in locked.headers
    assert len(await _audit("dossier_claim_failed", dossier_id)) == service.MAX_CLAIM_FAILURES

    # Reception prints a new code: the old one is dead, the new one works once.
    reissued = (await reception.post(f"/api/staff/dossiers/{dossier_id}/claim-code")).json()
    assert reissued["claim_code"] != claim_code
    old = await owner.browser.post(
        "/api/dossiers/claim", {"code": code, "phone": owner.phone, "claim_code": claim_code}
    )
    assert old.status_code == 404
    typed = reissued["claim_code"].lower().replace("-", " ")  # as people type it
    claimed = await owner.browser.post(
        "/api/dossiers/claim", {"code": code, "phone": owner.phone, "claim_code": typed}
    )
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["owner_id"] == owner.principal.account_id
    again = await stranger.browser.post(
        "/api/dossiers/claim",
        {"code": code, "phone": owner.phone, "claim_code": reissued["claim_code"]},
    )
    assert again.status_code == 404
    assert (await stranger.browser.get(f"/api/dossiers/{dossier_id}")).status_code == 404
    assert len(await _audit("dossier_claimed", dossier_id)) == 1
    assert len(await _audit("dossier_claim_code_issued", dossier_id)) == 2
    # Nothing secret in the audit log.
    for row in await _audit("dossier_claim_failed", dossier_id):
        assert owner.phone not in str(row) and claim_code not in str(row)


async def test_guesses_sent_at_once_are_counted_before_any_is_compared(
    runtime: DossiersRuntime, people: PersonFactory
) -> None:
    reception = await people("staff", "reception")
    entry = AssistedCreate(
        procedure_code=PROCEDURE,
        channel="counter",
        applicant_name="Lò Thị Mai",
        applicant_phone="0912888666",
        form_data=ANSWERS,
    )
    dossier = await service.create_assisted(runtime, reception, entry)
    _, claim_code = await service.issue_claim_code(runtime, reception, dossier.id)
    attackers = [await people() for _ in range(4)]

    async def guess(n: int) -> BaseException | None:
        try:
            await service.claim(
                runtime,
                attackers[n % 4],
                dossier.code or "",
                "0912888666",
                f"{n:08d}",
            )
        except (NotFound, Conflict) as error:
            return error
        return None

    outcomes = await asyncio.gather(*(guess(n) for n in range(24)))
    assert all(outcome is not None for outcome in outcomes)
    assert sum(isinstance(o, NotFound) for o in outcomes) == service.MAX_CLAIM_FAILURES
    failures = await Dossier.select(Dossier.claim_failures).where(Dossier.id == dossier.id)
    assert failures[0]["claim_failures"] == service.MAX_CLAIM_FAILURES
    with pytest.raises(Conflict):
        await service.claim(runtime, await people(), dossier.code or "", "0912888666", claim_code)
    # The console says it is locked.
    state = await service.claim_state(reception, dossier)
    assert state is not None and state.locked and not state.claimed


async def test_reception_revokes_a_claim_and_the_claimant_loses_it_at_once(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    owner = await citizen(dossiers_app, open_browsers)
    neighbour = await citizen(dossiers_app, open_browsers, "Hàng Xóm")
    reception = await official(dossiers_app, open_browsers, "reception", LEGAL_AID_AGENCY)
    processing = await official(dossiers_app, open_browsers, "processing", LEGAL_AID_AGENCY)
    entered = await _enter(reception, owner.phone)
    dossier_id = entered["id"]
    # The neighbour saw the paper and claimed first.
    claim_code = (await reception.post(f"/api/staff/dossiers/{dossier_id}/claim-code")).json()[
        "claim_code"
    ]
    taken = await neighbour.browser.post(
        "/api/dossiers/claim",
        {"code": entered["code"], "phone": owner.phone, "claim_code": claim_code},
    )
    assert taken.status_code == 201
    assert (await reception.post(f"/api/staff/dossiers/{dossier_id}/claim-code")).status_code == 409
    refused = await processing.delete(f"/api/staff/dossiers/{dossier_id}/claim")
    assert refused.status_code == 403
    revoked = await reception.delete(f"/api/staff/dossiers/{dossier_id}/claim")
    assert revoked.status_code == 204, revoked.text
    assert (await neighbour.browser.get(f"/api/dossiers/{dossier_id}")).status_code == 404
    listed = (await neighbour.browser.get("/api/dossiers")).json()
    assert dossier_id not in {d["id"] for d in listed}
    audit = await _audit("dossier_claim_revoked", dossier_id)
    assert [row["subject_id"] for row in audit] == [neighbour.principal.account_id]
    # The console offers a new paper; the owner claims with it.
    page = await reception.get(f"/can-bo/ho-so/{dossier_id}")
    assert 'id="issue-claim-code"' in page.text and 'id="revoke-claim"' not in page.text
    pdf = await send(reception, f"/can-bo/ho-so/{dossier_id}/ma-nhan", {})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(read(pdf.content))
    printed = re.search(r"Mã nhận hồ sơ trên ứng dụng Một Cửa: (\w{4}-\w{4})", text)
    assert printed, text
    claimed = await send(
        owner.browser,
        "/ho-so/nhan",
        {"code": entered["code"], "phone": owner.phone, "claim_code": printed.group(1)},
    )
    assert claimed.status_code == 303, claimed.text
    # A reprint of form 01 (anyone's) never carries a code.
    plain = await owner.browser.get(f"/api/dossiers/{dossier_id}/forms/01")
    assert "Mã nhận hồ sơ trên ứng dụng" not in " ".join(read(plain.content))
    page = await reception.get(f"/can-bo/ho-so/{dossier_id}")
    assert 'id="revoke-claim"' in page.text


async def test_an_online_dossier_has_no_claim_code(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    from tests.dossiers.test_citizen_pages import submitted_legal_aid

    owner = await citizen(dossiers_app, open_browsers)
    reception = await official(dossiers_app, open_browsers, "reception", LEGAL_AID_AGENCY)
    dossier_id, code = await submitted_legal_aid(
        dossiers_app.state["dossiers"], owner, "claims-online-1"
    )
    issued = await reception.post(f"/api/staff/dossiers/{dossier_id}/claim-code")
    assert issued.status_code == 409
    assert (await reception.delete(f"/api/staff/dossiers/{dossier_id}/claim")).status_code == 409
    assert 'id="nhan-ho-so"' not in (await reception.get(f"/can-bo/ho-so/{dossier_id}")).text
    assert code
