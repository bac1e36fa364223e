"""The sync's bookkeeping: the outbox's copies of history lines become sync requests,
due requests are claimed for a lease, and each send's outcome is recorded.

- **Intake**: each ``portal:dossier.changed`` copy raises its dossier's wanted version
  (the history line's id) and makes it "requested" if the portal has not had that
  version yet; drafts and dossiers not yet received get no row (they are never sent).
  Copies are marked done in the same transaction: all or nothing.
- **Claim**: one ``UPDATE ... RETURNING`` takes due rows for a lease (on PostgreSQL
  skipping those another worker is claiming); a dossier is only ever in one worker's
  hands, and what is sent is the dossier as it stands when sent (never an older state
  after a newer one: the lease outlasts a send, settings check it).
- **Record**: only while the lease is still ours. Synced: "synced" at the version
  sent, or "requested" again at once if a newer line came meanwhile. Retry later:
  "error" with the message, due again after a backoff (30 s, 1 min, 2 min ... at most an
  hour apart) until the retry window since the first failure ends. Rejected: "error",
  message kept, not retried until a newer line, the nightly resend or "Gửi lại".
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from backend.db import fetch, write_transaction
from backend.db.dialect import is_postgres
from backend.dossiers import service as dossiers
from backend.jobs import backoff_ms
from backend.outbox import service as outbox
from backend.portal.adapters import Outcome
from backend.portal.runtime import PortalRuntime

CONSUMER = "portal"
KINDS = sorted(
    outbox.consumer_kind(CONSUMER, kind)
    for kind, consumers in outbox.FAN_OUT.items()
    if CONSUMER in consumers
)

_INSERT = (
    "INSERT INTO portal_sync (dossier_id, wanted_version, sent_version, state, problem,"
    " message, attempts, next_ms, claimed_until_ms, requested_ms, failing_since_ms,"
    " updated_at) VALUES ({}, {}, NULL, 'requested', '', '', 0, {}, NULL, {}, NULL, {})"
    " ON CONFLICT (dossier_id) DO UPDATE SET"
    " wanted_version = CASE WHEN portal_sync.wanted_version < excluded.wanted_version"
    " THEN excluded.wanted_version ELSE portal_sync.wanted_version END,"
    " state = CASE WHEN NEW THEN 'requested' ELSE portal_sync.state END,"
    " next_ms = CASE WHEN NEW THEN excluded.next_ms ELSE portal_sync.next_ms END,"
    " requested_ms = CASE WHEN NEW THEN excluded.requested_ms ELSE portal_sync.requested_ms END,"
    " attempts = CASE WHEN NEW THEN 0 ELSE portal_sync.attempts END,"
    " failing_since_ms = CASE WHEN NEW THEN NULL ELSE portal_sync.failing_since_ms END,"
    " updated_at = CASE WHEN NEW THEN excluded.updated_at ELSE portal_sync.updated_at END"
)
# A newer version asks again; one already known changes nothing (the portal has it, or
# it is on its way). A resend asks again whatever the version.
_UPSERT = _INSERT.replace("NEW", "excluded.wanted_version > portal_sync.wanted_version")
_FORCE = _INSERT.replace("NEW", "1 = 1")
_CLAIM = (
    "UPDATE portal_sync SET claimed_until_ms = {}, attempts = attempts + 1"
    " WHERE id IN (SELECT s.id FROM portal_sync s WHERE s.next_ms IS NOT NULL"
    " AND s.next_ms <= {} AND (s.claimed_until_ms IS NULL OR s.claimed_until_ms < {})"
    " ORDER BY s.next_ms, s.id LIMIT {}%s)"
    " RETURNING dossier_id, sent_version, attempts, claimed_until_ms, failing_since_ms"
)
_CLAIM_POSTGRES = _CLAIM % " FOR UPDATE OF s SKIP LOCKED"
_CLAIM_SQLITE = _CLAIM % ""
_MINE = " WHERE dossier_id = {} AND claimed_until_ms = {}"
# The placeholders in order: the version sent (twice), now, the version (three times),
# the time of the update.
_SYNCED = (
    (
        "UPDATE portal_sync SET"
        " state = CASE WHEN wanted_version > V THEN 'requested' ELSE 'synced' END,"
        " next_ms = CASE WHEN wanted_version > V THEN N ELSE NULL END,"
        " wanted_version = CASE WHEN wanted_version > V THEN wanted_version ELSE V END,"
        " sent_version = V, problem = '', message = '', attempts = 0,"
        " failing_since_ms = NULL, claimed_until_ms = NULL, updated_at = {}"
    )
    .replace("V", "CAST({} AS BIGINT)")
    .replace(" N ", " CAST({} AS BIGINT) ")
)
# PostgreSQL cannot tell a parameter's type inside CASE or COALESCE: each is cast.
_FAILED = (
    "UPDATE portal_sync SET state = 'error', problem = {}, message = {},"
    " next_ms = CAST({} AS BIGINT), failing_since_ms = CAST({} AS BIGINT),"
    " claimed_until_ms = NULL, updated_at = {}"
)
_REJECTED = (
    "UPDATE portal_sync SET state = 'error', problem = {}, message = {},"
    " next_ms = CASE WHEN wanted_version > CAST({} AS BIGINT) THEN CAST({} AS BIGINT)"
    " ELSE NULL END,"
    " failing_since_ms = COALESCE(failing_since_ms, CAST({} AS BIGINT)),"
    " claimed_until_ms = NULL, updated_at = {}"
)
_FORGET = "DELETE FROM portal_sync WHERE dossier_id = {} AND claimed_until_ms = {}"


class _Message(msgspec.Struct, frozen=True):
    id: int
    payload: dict[str, object]


@dataclass(frozen=True, slots=True)
class Claim:
    """A dossier claimed for sending, with what recording its outcome needs."""

    dossier_id: int
    sent_version: int | None
    attempt: int
    claimed_until_ms: int
    failing_since_ms: int | None

    @property
    def updating(self) -> bool:
        # Once the portal may have it (an earlier attempt may have gone through).
        return self.sent_version is not None or self.attempt > 1


async def upsert(runtime: PortalRuntime, versions: dict[int, int], *, force: bool = False) -> None:
    """Ask for these dossiers' sync at these versions (inside a write transaction);
    ``force``: even if that version is known here already (a resend)."""
    now = runtime.now()
    now_ms = runtime.now_ms()
    for dossier_id, version in sorted(versions.items()):
        await fetch(_FORCE if force else _UPSERT, dossier_id, version, now_ms, now_ms, now)


async def intake(runtime: PortalRuntime, limit: int = 500) -> int:
    """Turn pending outbox copies into sync requests; returns how many copies."""
    async with write_transaction():
        claimed = await outbox.claim(KINDS, limit)
        if not claimed:
            return 0
        messages = msgspec.convert(claimed, list[_Message], strict=False)
        if runtime.enabled:
            wanted: dict[int, int] = {}
            for message in messages:
                dossier_id = message.payload.get("dossier_id")
                event_id = message.payload.get("event_id")
                if isinstance(dossier_id, int) and isinstance(event_id, int):
                    wanted[dossier_id] = max(wanted.get(dossier_id, 0), event_id)
            received = await dossiers.sync_records(list(wanted))
            await upsert(runtime, {i: v for i, v in wanted.items() if i in received})
        # Without a portal the copies are done with: the nightly resend catches every
        # received dossier up once one is configured.
        await outbox.mark_done([m.id for m in messages], runtime.now())
    return len(messages)


async def claim(runtime: PortalRuntime, limit: int = 50) -> list[Claim]:
    now_ms = runtime.now_ms()
    async with write_transaction():
        rows = await fetch(
            _CLAIM_POSTGRES if is_postgres() else _CLAIM_SQLITE,
            now_ms + runtime.lease_ms,
            now_ms,
            now_ms,
            limit,
        )
    claims = [
        Claim(
            dossier_id=row["dossier_id"],
            sent_version=row["sent_version"],
            attempt=row["attempts"],
            claimed_until_ms=row["claimed_until_ms"],
            failing_since_ms=row["failing_since_ms"],
        )
        for row in rows
    ]
    return sorted(claims, key=lambda c: c.dossier_id)


# The first retry's wait; each later one doubles (backend.jobs.backoff_ms).
FIRST_RETRY_MS = 30_000


async def record(
    runtime: PortalRuntime, results: list[tuple[Claim, int | None, Outcome | None]]
) -> None:
    """Write a round's outcomes, in one transaction: (claim, version sent, outcome);
    no version: the dossier is no longer one to sync (its row goes)."""
    if not results:
        return
    now = runtime.now()
    now_ms = runtime.now_ms()
    async with write_transaction():
        for claim, version, outcome in results:
            mine = (claim.dossier_id, claim.claimed_until_ms)
            if version is None or outcome is None:
                await fetch(_FORGET, *mine)
            elif outcome.kind == "synced":
                await fetch(
                    _SYNCED + _MINE, version, version, now_ms, version, version, version, now, *mine
                )
            elif outcome.kind == "rejected":
                await fetch(
                    _REJECTED + _MINE,
                    outcome.problem,
                    outcome.message,
                    version,
                    now_ms,
                    now_ms,
                    now,
                    *mine,
                )
            else:
                since = claim.failing_since_ms or now_ms
                window_over = now_ms - since >= runtime.retry_for_ms
                due = (
                    None
                    if window_over
                    else now_ms + backoff_ms(claim.attempt, first_ms=FIRST_RETRY_MS)
                )
                await fetch(
                    _FAILED + _MINE, outcome.problem, outcome.message, due, since, now, *mine
                )
