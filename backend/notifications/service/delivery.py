"""The worker's second step, its bookkeeping: due push jobs are claimed for a lease,
sent (``push.py``), and every attempt is recorded in one transaction a round.

A job is claimed for a lease (60 s) in one ``UPDATE ... RETURNING`` (on PostgreSQL
skipping rows other workers hold), renewed while the push services keep the worker
waiting (``leases_kept``), so a slow receiver never lets another worker take the job;
a worker killed between sending and recording lets the lease run out, and the job is
sent again with the same Topic, which push services and phones collapse to one
message. 2xx: sent; 404/410: the subscription is deleted; 429, 5xx and
no answer: retried with exponential backoff and full jitter, never sooner than
Retry-After; any other answer closes the job."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import msgspec

from backend import jobs
from backend.db import active_engine, fetch, write_transaction
from backend.i18n import Localized
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.service.inbox import COLUMNS, unread_counts
from backend.notifications.service.notices import (
    URGENT,
    NoticeRow,
    agency_names,
    notice_text,
    notice_url,
)
from backend.notifications.tables import Delivery, Notice, PushJob, PushSubscription

TTL_S = 3 * 24 * 3600  # a phone off for a weekend still gets it
MAX_ATTEMPTS = 8
logger = logging.getLogger("motcua.worker")


class PushPayload(msgspec.Struct, frozen=True, kw_only=True):
    """What the service worker gets: the notice in the device's language, the link, a
    tag (one notification a dossier on the screen) and the unread count for the badge;
    no name, no answers."""

    notice_id: int
    kind: str
    title: str
    body: str
    url: str
    tag: str
    unread: int


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job with everything needed to send it."""

    id: int
    attempt: int
    subscription_id: int
    # The claim's end as written by the claim (and each renewal): it names this
    # worker's lease, since a later claim by another worker always ends later.
    claimed_until_ms: int
    endpoint: str
    p256dh: str
    auth: str
    topic: str
    urgency: str
    payload: PushPayload


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave: ``status_code`` None when no answer came."""

    status_code: int | None
    retry_after_s: int | None = None
    detail: str = ""


class _Claimed(msgspec.Struct, frozen=True):
    id: int
    notice_id: int
    subscription_id: int
    attempts: int
    claimed_until_ms: int


class _Device(msgspec.Struct, frozen=True):
    id: int
    endpoint: str
    p256dh: str
    auth: str
    lang: str


# Due jobs, taken for a lease in one statement; on PostgreSQL rows another worker is
# claiming right now are skipped rather than waited for.
_CLAIM = (
    "UPDATE notifications_push_job SET claimed_until_ms = {}, attempts = attempts + 1"
    " WHERE id IN (SELECT id FROM notifications_push_job WHERE status = 'pending'"
    " AND available_ms <= {} AND (claimed_until_ms IS NULL OR claimed_until_ms < {})"
    " ORDER BY available_ms, id LIMIT {}%s)"
    " RETURNING id, notice_id, subscription_id, attempts, claimed_until_ms"
)
# A lease renewed only while it is still this worker's (the end it wrote).
_RENEW = (
    "UPDATE notifications_push_job SET claimed_until_ms = {} WHERE status = 'pending'"
    " AND claimed_until_ms = {} AND id IN (SELECT CAST(value AS %s) FROM %s({}))"
    " RETURNING id"
)
_RENEW_POSTGRES = _RENEW % ("bigint", "json_array_elements_text")
_RENEW_SQLITE = _RENEW % ("integer", "json_each")
_CLAIM_POSTGRES = _CLAIM % " FOR UPDATE SKIP LOCKED"
_CLAIM_SQLITE = _CLAIM % ""


async def claim_jobs(runtime: NotificationsRuntime, limit: int = 100) -> list[Job]:
    """Take up to ``limit`` due jobs for a lease. Jobs whose device is gone are closed."""
    now_ms = runtime.now_ms()
    postgres = active_engine().engine_type == "postgres"
    async with write_transaction():
        rows = await fetch(
            _CLAIM_POSTGRES if postgres else _CLAIM_SQLITE,
            now_ms + runtime.lease_ms,
            now_ms,
            now_ms,
            limit,
        )
    if not rows:
        return []
    claimed = sorted(msgspec.convert(rows, list[_Claimed]), key=lambda c: c.id)
    devices = {
        device.id: device
        for device in msgspec.convert(
            await PushSubscription.select(
                PushSubscription.id,
                PushSubscription.endpoint,
                PushSubscription.p256dh,
                PushSubscription.auth,
                PushSubscription.lang,
            ).where(PushSubscription.id.is_in(sorted({c.subscription_id for c in claimed}))),
            list[_Device],
        )
    }
    notices = {
        notice.id: notice
        for notice in msgspec.convert(
            await Notice.select(*COLUMNS).where(
                Notice.id.is_in(sorted({c.notice_id for c in claimed}))
            ),
            list[NoticeRow],
        )
    }
    unread = await unread_counts({notice.account_id for notice in notices.values()})
    agencies = await agency_names(notices.values())
    jobs: list[Job] = []
    orphans: list[int] = []
    for row in claimed:
        device = devices.get(row.subscription_id)
        notice = notices.get(row.notice_id)
        if device is None or notice is None:
            orphans.append(row.id)
            continue
        jobs.append(_job(row, device, notice, unread[notice.account_id], agencies))
    if orphans:
        async with write_transaction():
            await PushJob.update({PushJob.status: "dead"}).where(PushJob.id.is_in(orphans))
    return jobs


def _job(
    row: _Claimed,
    device: _Device,
    notice: NoticeRow,
    unread: int,
    agencies: dict[str, Localized],
) -> Job:
    """The message for this device: in its language, with no name and no answers."""
    title, body = notice_text(notice, device.lang, agencies)
    # One topic per dossier: a newer notice replaces an undelivered older one. Not an
    # urgent one (a supplement asked for, say): it has a Topic of its own, so a later
    # "received" cannot replace it at the push service while the phone is off.
    tag = f"dossier-{notice.dossier_id or f'n{notice.id}'}"
    urgent = notice.kind in URGENT
    return Job(
        id=row.id,
        attempt=row.attempts,
        subscription_id=device.id,
        claimed_until_ms=row.claimed_until_ms,
        endpoint=device.endpoint,
        p256dh=device.p256dh,
        auth=device.auth,
        topic=f"urgent-{notice.id}" if urgent else tag,
        urgency="high" if urgent else "normal",
        payload=PushPayload(
            notice_id=notice.id,
            kind=notice.kind,
            title=title,
            body=body,
            url=notice_url(notice),
            tag=tag,
            unread=unread,
        ),
    )


@contextlib.asynccontextmanager
async def leases_kept(runtime: NotificationsRuntime, jobs: Sequence[Job]) -> AsyncIterator[None]:
    """Renew the lease of ``jobs`` every third of it while the block runs (sending to
    push services that may take their time), so that no other worker sends them again."""
    if not jobs:
        yield
        return
    stop = asyncio.Event()
    renewing = asyncio.create_task(_renew(runtime, jobs, stop))
    try:
        yield
    finally:
        stop.set()
        await renewing


async def _renew(runtime: NotificationsRuntime, jobs: Sequence[Job], stop: asyncio.Event) -> None:
    held: dict[int, list[int]] = {}
    for job in jobs:
        held.setdefault(job.claimed_until_ms, []).append(job.id)
    postgres = active_engine().engine_type == "postgres"
    while held:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), runtime.lease_ms / 3000)
        if stop.is_set():
            return
        until = runtime.now_ms() + runtime.lease_ms
        try:
            async with write_transaction():
                for old, ids in list(held.items()):
                    rows = await fetch(
                        _RENEW_POSTGRES if postgres else _RENEW_SQLITE,
                        until,
                        old,
                        msgspec.json.encode(ids).decode(),
                    )
                    del held[old]
                    if rows:
                        held.setdefault(until, []).extend(row["id"] for row in rows)
        except Exception:
            # A database hiccup: the lease still runs; the next renewal tries again.
            logger.exception("push lease not renewed")


def backoff_ms(attempt: int, retry_after_s: int | None) -> int:
    """1 s, 2 s, 4 s … up to an hour (the shared rule); a Retry-After given by the push
    service is honoured as the least wait."""
    return jobs.backoff_ms(attempt, first_ms=1000, least_ms=(retry_after_s or 0) * 1000)


def _result(job: Job, outcome: Outcome) -> str:
    code = outcome.status_code
    if code is not None and 200 <= code < 300:
        return "sent"
    if code in {404, 410}:
        return "gone"
    if code is None or code == 429 or code >= 500:
        return "retry" if job.attempt < MAX_ATTEMPTS else "failed"
    return "failed"


async def record(runtime: NotificationsRuntime, attempts: list[tuple[Job, Outcome]]) -> list[str]:
    """Write a round's attempts and move each job on, in one transaction; returns each
    attempt's outcome name."""
    results = [_result(job, outcome) for job, outcome in attempts]
    if not attempts:
        return results
    now = runtime.now()
    now_ms = runtime.now_ms()
    by_result: dict[str, list[Job]] = {}
    for (job, _), result in zip(attempts, results, strict=True):
        by_result.setdefault(result, []).append(job)
    async with write_transaction():
        await Delivery.insert(
            *(
                Delivery(
                    job_id=job.id,
                    attempt=job.attempt,
                    at=now,
                    status_code=outcome.status_code,
                    outcome=result,
                    detail=outcome.detail[:500],
                )
                for (job, outcome), result in zip(attempts, results, strict=True)
            )
        )
        sent = [job.id for job in by_result.get("sent", [])]
        if sent:
            await PushJob.update(
                {PushJob.status: "sent", PushJob.sent_at: now, PushJob.claimed_until_ms: None}
            ).where(PushJob.id.is_in(sent))
            await PushSubscription.update({PushSubscription.last_sent_at: now}).where(
                PushSubscription.id.is_in(sorted({j.subscription_id for j in by_result["sent"]}))
            )
        for (job, outcome), result in zip(attempts, results, strict=True):
            if result == "retry":
                await PushJob.update(
                    {
                        PushJob.available_ms: now_ms
                        + backoff_ms(job.attempt, outcome.retry_after_s),
                        PushJob.claimed_until_ms: None,
                    }
                ).where(PushJob.id == job.id)
        closed = [job.id for name in ("gone", "failed") for job in by_result.get(name, [])]
        if closed:
            await PushJob.update({PushJob.status: "dead", PushJob.claimed_until_ms: None}).where(
                PushJob.id.is_in(closed)
            )
        gone = sorted({job.subscription_id for job in by_result.get("gone", [])})
        if gone:
            # The browser dropped the subscription: no later notice goes there.
            await PushSubscription.delete().where(PushSubscription.id.is_in(gone))
    return results
