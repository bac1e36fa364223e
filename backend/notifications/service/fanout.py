"""The worker's first step: pending outbox messages become one inbox notice per
person, one push job per device of theirs and one channel job per channel they chose
(``channel_jobs``), and are marked done, all in one
transaction (a worker killed half-way leaves all or nothing). Unique keys built from
the outbox event make a second pass over the same message change nothing."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.accounts import service as accounts
from backend.db import write_transaction
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.service import channel_jobs
from backend.notifications.service.channel_jobs import Contact
from backend.notifications.service.notices import TOLD
from backend.notifications.service.preferences import muted_of
from backend.notifications.tables import Notice, PushJob, PushSubscription
from backend.outbox import service as outbox


class _Payload(msgspec.Struct, frozen=True):
    """What a domain's event says about itself (other keys are not for notices)."""

    dossier_id: int | None = None
    code: str | None = None
    status: str | None = None
    due_date: str | None = None
    agency_code: str = ""
    # When it happened, if the event says (a notice dated by a late worker would lie).
    at: dt.datetime | None = None
    # Someone without an account to tell by SMS, ZNS or e-mail (issue 16).
    contact: Contact | None = None


class _Message(msgspec.Struct, frozen=True):
    id: int
    event_key: str
    kind: str
    account_ids: list[int]
    payload: _Payload


class _Device(msgspec.Struct, frozen=True):
    id: int
    account_id: int
    session_id: str


async def fan_out(runtime: NotificationsRuntime, limit: int = 200) -> int:
    """Turn pending outbox messages into notices and push jobs; returns how many."""
    async with write_transaction():
        claimed = await outbox.claim(sorted(TOLD), limit)
        if not claimed:
            return 0
        messages = msgspec.convert(claimed, list[_Message], strict=False)
        recipients = {account_id for m in messages for account_id in m.account_ids}
        devices = await _devices(recipients)
        muted = await muted_of(recipients)
        now = runtime.now()
        await _fan_out(messages, devices, muted, now, runtime.now_ms())
        await channel_jobs.plan(runtime, [_event(m) for m in messages], now)
        await outbox.mark_done([m.id for m in messages], now)
    return len(messages)


def _event(message: _Message) -> channel_jobs.Event:
    payload = message.payload
    return channel_jobs.Event(
        event_key=message.event_key,
        kind=message.kind,
        account_ids=message.account_ids,
        dossier_id=payload.dossier_id,
        code=payload.code,
        due_date=payload.due_date,
        agency_code=payload.agency_code,
        contact=payload.contact,
        note=payload.status or "",
    )


async def _devices(account_ids: set[int]) -> dict[int, list[int]]:
    """Each person's subscriptions whose sign-in session still exists; those of ended
    sessions (signed out) are deleted."""
    if not account_ids:
        return {}
    rows = await PushSubscription.select(
        PushSubscription.id, PushSubscription.account_id, PushSubscription.session_id
    ).where(PushSubscription.account_id.is_in(sorted(account_ids)))
    found = msgspec.convert(rows, list[_Device])
    live = await accounts.live_sessions({device.session_id for device in found})
    ended = [device.id for device in found if device.session_id not in live]
    if ended:
        await PushSubscription.delete().where(PushSubscription.id.is_in(ended))
    devices: dict[int, list[int]] = {}
    for device in found:
        if device.session_id in live:
            devices.setdefault(device.account_id, []).append(device.id)
    return devices


async def _fan_out(
    messages: list[_Message],
    devices: dict[int, list[int]],
    muted: dict[int, set[str]],
    now: dt.datetime,
    now_ms: int,
) -> None:
    """Notices for every recipient, then jobs for their devices: three statements for
    the whole batch, not three a message."""
    notices: list[Notice] = []
    wanted: dict[str, list[int]] = {}  # notice key -> subscriptions to push to
    for message in messages:
        payload = message.payload
        for account_id in sorted(set(message.account_ids)):
            key = f"{message.event_key}:{account_id}"
            notices.append(
                Notice(
                    notice_key=key,
                    account_id=account_id,
                    kind=message.kind,
                    dossier_id=payload.dossier_id,
                    code=payload.code,
                    status=payload.status or "",
                    due_date=payload.due_date,
                    agency_code=payload.agency_code,
                    created_at=payload.at or now,
                )
            )
            if message.kind not in muted.get(account_id, set()):
                wanted[key] = devices.get(account_id, [])
    if not notices:
        return
    await Notice.insert(*notices).on_conflict(target=Notice.notice_key, action="DO NOTHING")
    keys = [key for key, subscriptions in wanted.items() if subscriptions]
    if not keys:
        return
    ids = {
        row["notice_key"]: row["id"]
        for row in await Notice.select(Notice.id, Notice.notice_key).where(
            Notice.notice_key.is_in(keys)
        )
    }
    jobs = [
        PushJob(
            job_key=f"{key}:{subscription_id}",
            notice_id=ids[key],
            subscription_id=subscription_id,
            available_ms=now_ms,
        )
        for key in keys
        for subscription_id in wanted[key]
    ]
    await PushJob.insert(*jobs).on_conflict(target=PushJob.job_key, action="DO NOTHING")
