"""Where a dossier's sync stands, and asking for it again: by an official of the
dossier's agency ("Gửi lại", audited), and by the nightly resend of everything out of
step (an error, a request stuck for too long, a synced copy older than the dossier's
history, or a received dossier the portal never had, as when the sync is turned on
after the dossiers were received)."""

from __future__ import annotations

import datetime as dt

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import write_transaction
from backend.dossiers import service as dossiers
from backend.errors import NotFound
from backend.i18n import N_
from backend.portal.runtime import PortalRuntime
from backend.portal.schemas import SyncState
from backend.portal.service.queue import upsert
from backend.portal.tables import PortalSync
from backend.vietnam import VIETNAM

# Rows asked for again in one transaction by the nightly resend.
_BATCH = 500


def _moment(ms: int | None) -> dt.datetime | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


async def state_of(dossier_id: int) -> SyncState | None:
    """The dossier's sync, or None if it was never asked for."""
    rows = await PortalSync.select().where(PortalSync.dossier_id == dossier_id)
    if not rows:
        return None
    row = rows[0]
    return SyncState(
        dossier_id=dossier_id,
        state=row["state"],
        problem=row["problem"],
        message=row["message"],
        attempts=row["attempts"],
        next_attempt_at=_moment(row["next_ms"]) if row["state"] == "error" else None,
        updated_at=row["updated_at"],
    )


async def request_resend(runtime: PortalRuntime, principal: Principal, dossier_id: int) -> None:
    """An official of the agency holding the dossier asks for it to be sent again now.
    Anyone else, a dossier not yet received, or no portal: not found, as elsewhere."""
    brief = await dossiers.brief(principal, dossier_id)  # raises "not found" for others
    records = await dossiers.sync_records([dossier_id]) if runtime.enabled else {}
    if principal.kind != "staff" or not brief.may_act or dossier_id not in records:
        raise NotFound(N_("Không có hồ sơ này."), field="dossier")
    async with write_transaction():
        await upsert(runtime, {dossier_id: records[dossier_id].last_event_id}, force=True)
    await accounts.record_audit(
        runtime.now(),
        "portal_resend_requested",
        actor_id=principal.account_id,
        dossier_id=dossier_id,
    )


async def resend_out_of_step(runtime: PortalRuntime) -> int:
    """Ask again for every received dossier whose sync is out of step; returns how many."""
    if not runtime.enabled:
        return 0
    versions = await dossiers.sync_versions()
    rows = {
        row["dossier_id"]: row
        for row in await PortalSync.select(
            PortalSync.dossier_id,
            PortalSync.state,
            PortalSync.sent_version,
            PortalSync.next_ms,
            PortalSync.requested_ms,
        )
    }
    now_ms = runtime.now_ms()
    again: dict[int, int] = {}
    for dossier_id, version in versions.items():
        row = rows.get(dossier_id)
        if row is None or row["state"] == "error":
            again[dossier_id] = version
        elif row["state"] == "requested":
            stuck = row["next_ms"] is None or now_ms - row["requested_ms"] >= runtime.stale_ms
            if stuck:
                again[dossier_id] = version
        elif (row["sent_version"] or 0) < version:
            again[dossier_id] = version
    items = sorted(again.items())
    for start in range(0, len(items), _BATCH):
        async with write_transaction():
            await upsert(runtime, dict(items[start : start + _BATCH]), force=True)
    return len(items)


async def nightly_resend(runtime: PortalRuntime) -> int:
    """``resend_out_of_step`` once a night, at the configured Vietnamese hour (the
    chore is looked at hourly; a worker started later that night still runs it)."""
    local = runtime.now().astimezone(VIETNAM)
    if local.hour < runtime.settings.resend_hour or runtime.last_resend == local.date():
        return 0
    runtime.last_resend = local.date()
    return await resend_out_of_step(runtime)
