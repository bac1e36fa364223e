"""The security audit log: append-only, no secrets, no personal data beyond ids and
the client address, each entry chained to the one before it by its hash (``chain``).
A line also goes to the application log, with ids only."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec

from backend.accounts import chain
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import AuditRead
from backend.accounts.tables import AuditEvent
from backend.db import fetch, write_transaction

logger = logging.getLogger("motcua.audit")

EVENTS = frozenset(
    {
        "sign_up",
        "sign_in",
        "sign_in_failed",
        "sign_up_failed",
        "sign_out",
        "sign_out_everywhere",
        "session_ended",
        "passkey_added",
        "passkey_renamed",
        "passkey_removed",
        "passkey_rejected",
        "possible_cloned_authenticator",
        "recovery_used",
        "recovery_failed",
        "recovery_codes_renewed",
        "reenrolment_issued",
        "reenrolment_disowned",
        "reenrolment_disown_failed",
        "enrolment_issued",
        "enrolment_used",
        "enrolment_failed",
        "staff_created",
        "role_changed",
        "account_disabled",
        "account_enabled",
        "organisation_registered",
        "invitation_created",
        "invitation_accepted",
        "member_removed",
        "organisation_claim_filed",
        "organisation_claim_certificate_viewed",
        "organisation_claim_confirmed",
        "organisation_claim_rejected",
        # A dossier entered at a counter taken into an account (issue 15): the code
        # printed on form 01 issued, a wrong attempt, the claim, and its revocation.
        "dossier_claim_code_issued",
        "dossier_claim_failed",
        "dossier_claimed",
        "dossier_claim_revoked",
        # A result signed with the agency's key, and a signed result taken back before
        # it was released (issue 17).
        "result_signed",
        "signed_result_withdrawn",
        # An official asked for a dossier to be sent to the national portal again (issue 18).
        "portal_resend_requested",
        # Signing in with an identity provider (issue 18): its refusals, and an identity
        # linked to an existing account (its sign-ins and sign-ups are the events above,
        # with method "identity").
        "identity_failed",
        "identity_linked",
        # A person's data rights (issue 20): their archive downloaded, their account
        # deleted (counts only: the entry outlives the person's details).
        "data_exported",
        "account_deleted",
    }
)

# Each entry carries the hash of the one before it (``backend.accounts.chain``).
_INSERT = (
    "INSERT INTO accounts_audit (at, event, actor_id, subject_id, client_address, details,"
    " seq, prev_hash, hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})"
)


async def record(
    runtime: AccountsRuntime,
    event: str,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    address: str | None = None,
    **details: Any,
) -> None:
    await record_at(
        runtime.clock(),
        event,
        actor_id=actor_id,
        subject_id=subject_id,
        address=address,
        **details,
    )


async def record_at(
    at: dt.datetime,
    event: str,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    address: str | None = None,
    **details: Any,
) -> None:
    """``record`` with the time given: for other domains, which keep their own clock."""
    assert event in EVENTS, event
    at = chain.utc(at)
    text = chain.canonical_details(details)
    async with write_transaction():
        # Inside another domain's transaction, the chain's lock is held until it commits.
        seq, prev_hash = await chain.last_link()
        seq += 1
        digest = chain.entry_hash(
            prev_hash,
            seq=seq,
            at=at,
            event=event,
            actor_id=actor_id,
            subject_id=subject_id,
            client_address=address,
            details=text,
        )
        await fetch(_INSERT, at, event, actor_id, subject_id, address, text, seq, prev_hash, digest)
    logger.info(
        event,
        extra={"fields": {"actor_id": actor_id, "subject_id": subject_id, **_safe(details)}},
    )


def _safe(details: dict[str, Any]) -> dict[str, Any]:
    """Only short codes go to the application log (reasons, kinds, ids)."""
    return {key: value for key, value in details.items() if key in {"reason", "kind", "role"}}


async def events_for(subject_id: int, limit: int = 50) -> list[AuditRead]:
    rows = (
        await AuditEvent.select()
        .where(AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    return msgspec.convert(rows, list[AuditRead], strict=False)
