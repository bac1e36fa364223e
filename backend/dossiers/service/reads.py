"""Reading dossiers: one dossier with its files, history and the steps the person may
take now (the hot read of every dossier page: fixed SQL, one conversion), a citizen's
list, an agency's queues and its officials."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts import service as accounts
from backend.accounts.schemas import OFFICIAL_ROLES, Principal
from backend.db import active_engine, fetch
from backend.dossiers import lifecycle
from backend.dossiers.lifecycle import Action
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import (
    DossierPage,
    DossierRead,
    DossierSummary,
    EventRead,
    FileRead,
    OfficialRead,
    OfflineDossier,
    OfflineDossiers,
    Queue,
)
from backend.dossiers.service.access import Access, readable
from backend.dossiers.service.rows import DossierRow, columns
from backend.dossiers.tables import Dossier
from backend.i18n import N_, format_date
from backend.workdays import service as workdays

_FILES = f"SELECT {columns(FileRead)} FROM dossiers_file WHERE dossier = {{}} ORDER BY id"  # noqa: S608
_EVENTS = f"SELECT {columns(EventRead)} FROM dossiers_event WHERE dossier = {{}} ORDER BY id"  # noqa: S608
_DETAILS = msgspec.json.Decoder(dict[str, Any])
# A citizen sees the result only once it is released.
RELEASED = frozenset({"result_ready", "returned"})


def is_overdue(
    status: str, due: dt.date | None, paused_at: dt.datetime | None, today: dt.date
) -> bool:
    return (
        due is not None and status in lifecycle.CLOCK_RUNNING and paused_at is None and today > due
    )


def _visible_actions(
    principal: Principal,
    row: DossierRow,
    access: Access,
    calendar: workdays.WorkCalendar,
    today: dt.date,
    supplemented: bool,
) -> list[Action]:
    if not access.may_act:
        return []
    actions = [
        a
        for a in lifecycle.actions_for(row.status, access.actor, supplemented=supplemented)
        if not lifecycle.waits_for_fees(
            a,
            payment_stage=row.payment_stage,
            fee_total=row.fee_total,
            payment_status=row.payment_status,
        )
    ]
    if principal.role == "processing" and row.assignee_id != principal.account_id:
        actions = [
            a
            for a in actions
            if a not in {"propose", "transfer", "request_supplement", "attach_result"}
        ]
    if "apologise" in actions:
        due = row.due_date
        if due is None or calendar.working_days_between(today, due) > 1:
            actions.remove("apologise")
    return actions


async def get_dossier(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int
) -> DossierRead:
    row, access = await readable(principal, dossier_id)
    return await read_of(runtime, principal, row, access)


async def read_of(
    runtime: DossiersRuntime, principal: Principal, row: DossierRow, access: Access
) -> DossierRead:
    citizen = access.actor == "citizen"
    files = [FileRead(**file) for file in await fetch(_FILES, row.id)]
    if citizen and row.status not in RELEASED:
        files = [f for f in files if f.purpose != "result"]
    events = []
    for event in await fetch(_EVENTS, row.id):
        event["details"] = _DETAILS.decode(event["details"])
        # Citizens see what happened and when, not which official did it.
        if citizen and event["actor_role"] != "citizen":
            event["actor_name"] = ""
        events.append(EventRead(**event))
    calendar = await workdays.load()
    today = runtime.today()
    fields = msgspec.structs.asdict(row)
    del fields["draft_key"], fields["fees"]
    return DossierRead(
        **fields,
        overdue=is_overdue(row.status, row.due_date, row.paused_at, today),
        files=files,
        events=events,
        actions=_visible_actions(
            principal,
            row,
            access,
            calendar,
            today,
            supplemented=any(e.action == "request_supplement" for e in events),
        ),
    )


_SUMMARY = (
    Dossier.id,
    Dossier.code,
    Dossier.procedure_code,
    Dossier.procedure_name_vi,
    Dossier.procedure_name_en,
    Dossier.status,
    Dossier.channel,
    Dossier.applicant_name,
    Dossier.receiving_agency,
    Dossier.agency_code,
    Dossier.organisation_id,
    Dossier.submitted_at,
    Dossier.due_date,
    Dossier.updated_at,
    Dossier.paused_at,
    Dossier.fee_total,
    Dossier.payment_status,
)


def _summaries(rows: list[dict[str, Any]], today: dt.date) -> list[DossierSummary]:
    """Piccolo's rows of ``_SUMMARY``, with whether each is late."""
    return msgspec.convert(
        [
            {**r, "overdue": is_overdue(r["status"], r["due_date"], r["paused_at"], today)}
            for r in rows
        ],
        list[DossierSummary],
        strict=False,
    )


async def my_dossiers(runtime: DossiersRuntime, principal: Principal) -> list[DossierSummary]:
    """The person's own dossiers and their organisations', newest first."""
    organisations = await accounts.organisation_ids_of(principal.account_id)
    # Filed for an organisation: listed while the person is one of its members only.
    condition: Combinable = (Dossier.owner_id == principal.account_id) & (
        Dossier.organisation_id.is_null()
    )
    if organisations:
        condition = condition | Dossier.organisation_id.is_in(organisations)
    rows = (
        await Dossier.select(*_SUMMARY)
        .where(condition)
        .order_by(Dossier.updated_at, ascending=False)
        .limit(200)
    )
    return _summaries(rows, runtime.today())


# A fee left unpaid matters only while the dossier can still go on.
_NO_LONGER_PAYABLE = frozenset({"refused", "withdrawn"})


async def offline_copy(
    runtime: DossiersRuntime, principal: Principal, lang: str
) -> OfflineDossiers:
    """The person's submitted dossiers (those with a code), as the offline page shows
    them: nothing more than a counter needs, so little is kept on the phone."""
    items = [
        OfflineDossier(
            id=d.id,
            code=d.code,
            procedure_name=d.procedure_name_vi if lang == "vi" else d.procedure_name_en,
            status=d.status,
            status_text=lifecycle.CITIZEN_STATUS_LABELS[d.status].render(lang),
            due_text=format_date(d.due_date, lang),
            unpaid=d.payment_status == "unpaid" and d.status not in _NO_LONGER_PAYABLE,
        )
        for d in await my_dossiers(runtime, principal)
        if d.code
    ]
    return OfflineDossiers(lang=lang, items=items)


async def queue(
    runtime: DossiersRuntime,
    principal: Principal,
    name: Queue,
    *,
    search: str = "",
    procedure_code: str = "",
    page: int = 1,
    page_size: int = 25,
) -> DossierPage:
    """One of the agency's queues, oldest first (first come, first served)."""
    if principal.role not in OFFICIAL_ROLES or not principal.agency_code:
        raise lifecycle.ActionForbidden(N_("Chỉ cán bộ một cửa xem được hàng đợi hồ sơ."))
    today = runtime.today()
    calendar = await workdays.load()
    running = sorted(lifecycle.CLOCK_RUNNING)
    waiting = (Dossier.status.is_in(running), Dossier.paused_at.is_null())
    by_queue: dict[Queue, tuple[Combinable, ...]] = {
        "new": (Dossier.status == "submitted",),
        "supplement": (Dossier.status == "supplement_requested",),
        "processing": (Dossier.status.is_in(running),),
        "due_soon": (
            *waiting,
            Dossier.due_date >= today,
            Dossier.due_date <= calendar.add_working_days(today, 2),
        ),
        "overdue": (*waiting, Dossier.due_date < today),
        "ready": (Dossier.status == "result_ready",),
        "done": (Dossier.status.is_in(sorted(lifecycle.FINAL)),),
    }
    conditions: list[Combinable] = [
        Dossier.agency_code == principal.agency_code,
        *by_queue[name],
    ]
    if principal.role == "processing" and name in {"processing", "due_soon", "overdue"}:
        conditions.append(Dossier.assignee_id == principal.account_id)
    if procedure_code:
        conditions.append(Dossier.procedure_code == procedure_code)
    text = search.strip()[:100]
    if text:
        # SQLite's LIKE ignores case (for ASCII) and has no ILIKE.
        sqlite = active_engine().engine_type == "sqlite"
        like = f"%{text}%"
        matched = (Dossier.code, Dossier.applicant_name, Dossier.procedure_name_vi)
        matches = [column.like(like) if sqlite else column.ilike(like) for column in matched]
        conditions.append(matches[0] | matches[1] | matches[2])
    total = await Dossier.count().where(*conditions)
    order = Dossier.due_date if name in {"due_soon", "overdue", "processing"} else Dossier.id
    rows = (
        await Dossier.select(*_SUMMARY)
        .where(*conditions)
        .order_by(order, Dossier.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return DossierPage(items=_summaries(rows, today), total=total, page=page, page_size=page_size)


async def queue_counts(runtime: DossiersRuntime, principal: Principal) -> dict[str, int]:
    names: tuple[Queue, ...] = ("new", "supplement", "processing", "due_soon", "overdue", "ready")
    # One after another: Piccolo's SQLite transactions live in context variables and
    # the pool is small; six counts are cheap with the queue index.
    return {n: (await queue(runtime, principal, n, page_size=1)).total for n in names}


async def officials(principal: Principal) -> list[OfficialRead]:
    if principal.role not in OFFICIAL_ROLES or not principal.agency_code:
        return []
    rows = await accounts.officials_of(principal.agency_code, ("processing", "leader"))
    return [OfficialRead(id=o.id, full_name=o.full_name, role=o.role or "") for o in rows]
