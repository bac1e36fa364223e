"""How a state change is recorded: applied only if the dossier's version is still the
one the person saw, with its history line (append-only: database triggers refuse
UPDATE and DELETE), a "dossier.changed" outbox message for the systems outside and,
when the citizen must be told, a notice, all in the caller's write transaction."""

from __future__ import annotations

from typing import Any

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import fetch
from backend.dossiers.lifecycle import Action, Status
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.service.rows import DossierRow, stale
from backend.dossiers.service.tracking import tracking_token
from backend.dossiers.tables import Dossier, DossierEvent
from backend.outbox import service as outbox

# The outbox kind of every history line (``outbox.FAN_OUT`` gives each consumer a copy).
CHANGED = "dossier.changed"
# Outbox kinds: the events a citizen is told about (the notifications domain sends them).
NOTICES: dict[Action, str] = {
    "receive": "dossier.received",
    "request_supplement": "dossier.supplement_requested",
    "refuse": "dossier.refused",
    "apologise": "dossier.late",
    "transfer": "dossier.transferred",
    "attach_result": "dossier.result_ready",
    "return_result": "dossier.returned",
}


async def append_event(
    runtime: DossiersRuntime,
    principal: Principal,
    dossier_id: int,
    action: Action,
    from_status: Status,
    to_status: Status,
    agency_code: str,
    *,
    note: str,
    details: dict[str, Any],
) -> None:
    now = runtime.now()
    rows = await DossierEvent.insert(
        DossierEvent(
            dossier=dossier_id,
            at=now,
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor_id=principal.account_id,
            actor_role=principal.role if principal.kind == "staff" else "citizen",
            actor_name=principal.name,
            agency_code=agency_code,
            note=note,
            details=details,
        )
    ).returning(DossierEvent.id)
    dossier = await Dossier.select(
        Dossier.code,
        Dossier.owner_id,
        Dossier.organisation_id,
        Dossier.due_date,
        Dossier.applicant_phone,
        Dossier.procedure_code,
        Dossier.receiving_agency,
    ).where(Dossier.id == dossier_id)
    # Every history line, for the systems outside (webhooks; the national portal next):
    # codes and states only, never a person's details.
    await outbox.enqueue(
        event_key=f"dossier:{dossier_id}:changed:{rows[0]['id']}",
        kind=CHANGED,
        subject=f"dossier:{dossier_id}",
        account_ids=[],
        payload={
            "event_id": rows[0]["id"],
            "dossier_id": dossier_id,
            "code": dossier[0]["code"],
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "at": now.isoformat(),
            "agency_code": agency_code,
            "procedure_code": dossier[0]["procedure_code"],
            "receiving_agency": dossier[0]["receiving_agency"],
        },
        now=now,
    )
    kind = NOTICES.get(action)
    if kind is None:
        return
    due = dossier[0]["due_date"]
    told = await recipients(dossier[0]["owner_id"], dossier[0]["organisation_id"])
    await outbox.enqueue(
        event_key=f"dossier:{dossier_id}:event:{rows[0]['id']}",
        kind=kind,
        subject=f"dossier:{dossier_id}",
        account_ids=told,
        payload={
            # Filed at the counter for someone without an account (issue 16): their
            # phone is told by SMS or Zalo, with the tracking link (no sign-in needed).
            **(
                {
                    "contact": {
                        "phone": dossier[0]["applicant_phone"],
                        "url": "/tra-cuu/" + tracking_token(runtime.secret_key, dossier[0]["code"]),
                    }
                }
                if not told and dossier[0]["applicant_phone"]
                else {}
            ),
            "dossier_id": dossier_id,
            "code": dossier[0]["code"],
            "status": to_status,
            "due_date": due.isoformat() if due else None,
            # A transfer's notice names the agency now handling it.
            **({"agency_code": agency_code} if action == "transfer" else {}),
        },
        now=now,
    )


async def recipients(owner_id: int | None, organisation_id: int | None) -> list[int]:
    """Who is told about a dossier: every member of its organisation (whoever filed it
    is told only while a member), or else its owner."""
    if organisation_id is not None:
        return sorted(await accounts.member_ids(organisation_id))
    return [owner_id] if owner_id is not None else []


async def move(
    runtime: DossiersRuntime,
    principal: Principal,
    row: DossierRow,
    action: Action,
    to_status: Status,
    changes: dict[Any, Any],
    *,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Apply a transition if nobody changed the dossier since ``row`` was read."""
    changes = {
        **changes,
        Dossier.status: to_status,
        Dossier.version: row.version + 1,
        Dossier.updated_at: runtime.now(),
    }
    updated = (
        await Dossier.update(changes)
        .where((Dossier.id == row.id) & (Dossier.version == row.version))
        .returning(Dossier.id)
    )
    if not updated:
        raise stale()
    await append_event(
        runtime,
        principal,
        row.id,
        action,
        row.status,
        to_status,
        changes.get(Dossier.agency_code, row.agency_code),
        note=note,
        details=details or {},
    )


async def handlers_of(dossier_id: int) -> list[int]:
    """The officials who took a step of a dossier (whose work its rating judges)."""
    rows = await fetch(
        "SELECT DISTINCT actor_id FROM dossiers_event WHERE dossier = {}"
        " AND actor_role <> 'citizen' AND actor_id IS NOT NULL",
        dossier_id,
    )
    return sorted(int(row["actor_id"]) for row in rows)
