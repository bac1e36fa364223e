"""The audit log is append-only (the database refuses changes) and holds no secrets."""

from __future__ import annotations

import json

import pytest

from backend.accounts.tables import AuditEvent
from tests.accounts.conftest import CitizenFactory
from tests.accounts.helpers import audit_events


async def test_the_audit_log_cannot_be_changed(citizen: CitizenFactory) -> None:
    _, account_id = await citizen()
    events = await audit_events(account_id)
    assert events and events[0]["event"] == "sign_up"
    assert events[0]["client_address"].startswith("10.")
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.event: "nothing"}).where(
            AuditEvent.id == events[0]["id"]
        )
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.delete().where(AuditEvent.id == events[0]["id"])
    assert (await audit_events(account_id))[0] == events[0]


async def test_no_secrets_in_the_audit_log(citizen: CitizenFactory) -> None:
    person, account_id = await citizen()
    await person.post(
        "/api/auth/recovery", {"phone": person.phone, "code": person.recovery_codes[0]}
    )
    text = json.dumps(await audit_events(account_id), default=str)
    for secret in [*person.recovery_codes, person.client.cookies.get("motcua_session") or "x" * 40]:
        assert secret not in text
    assert person.phone not in text


async def test_a_person_sees_their_own_security_events(citizen: CitizenFactory) -> None:
    person, account_id = await citizen()
    other, _ = await citizen()
    mine = (await person.get("/api/account/security-events")).json()
    assert {e["subject_id"] for e in mine} == {account_id}
    assert [e["event"] for e in mine][-1] == "sign_up"
    assert account_id not in {
        e["subject_id"] for e in (await other.get("/api/account/security-events")).json()
    }
