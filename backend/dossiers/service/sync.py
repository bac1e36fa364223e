"""Received dossiers as they stand now, read for the systems they are synced with (the
National Public Service Portal): no principal, since the worker that sends them acts
for the province, and never a draft nor a dossier not yet received (``received_at``
is set by the reception and kept through every later step)."""

from __future__ import annotations

from collections.abc import Collection

import msgspec

from backend.db import fetch
from backend.db.dialect import Sql, list_param
from backend.dossiers.schemas import SyncRecord

_FACTS = (
    "d.id, d.code, d.procedure_code, d.procedure_name_vi, d.agency_code, d.receiving_agency,"
    " d.status, d.channel, d.organisation_id, d.applicant_name, d.applicant_phone,"
    " d.applicant_id_number, d.submitted_at, d.received_at, d.due_date, d.result_ready_at,"
    " d.finished_at, e.id AS last_event_id, e.action AS last_action, e.at AS last_event_at,"
    " e.actor_name AS last_actor_name"
)
# Each dossier with its latest history line (ids grow with time: the highest is the last).
_RECORDS = Sql(
    f"SELECT {_FACTS} FROM dossiers_dossier d JOIN dossiers_event e"  # noqa: S608
    " ON e.id = (SELECT MAX(x.id) FROM dossiers_event x WHERE x.dossier = d.id)"
    " WHERE d.id IN_IDS({}) AND d.received_at IS NOT NULL AND d.code IS NOT NULL"
)
_VERSIONS = (
    "SELECT e.dossier AS id, MAX(e.id) AS version FROM dossiers_event e"
    " JOIN dossiers_dossier d ON d.id = e.dossier"
    " WHERE d.received_at IS NOT NULL AND d.code IS NOT NULL GROUP BY e.dossier"
)


async def sync_records(dossier_ids: Collection[int]) -> dict[int, SyncRecord]:
    """The received ones among these dossiers, by id, as they stand now."""
    if not dossier_ids:
        return {}
    rows = await fetch(_RECORDS(), list_param(dossier_ids))
    records = msgspec.convert(rows, list[SyncRecord], strict=False)
    return {record.id: record for record in records}


async def sync_versions() -> dict[int, int]:
    """Every received dossier's version (its last history line's id), by id: what a
    synced copy must have caught up with."""
    return {int(row["id"]): int(row["version"]) for row in await fetch(_VERSIONS)}
