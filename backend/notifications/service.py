"""The rules of notifications: subscriptions, the inbox, preferences, and the two steps
of the worker: fan-out (outbox message → notices and push jobs) and delivery bookkeeping.

Both steps are idempotent and claim their work: on PostgreSQL several workers run at
once, each taking rows with ``FOR UPDATE SKIP LOCKED``; on SQLite writes are serialised
anyway. A fan-out commits the notices, the jobs and the outbox message's ``done_at``
together, so a worker killed in the middle leaves either all or nothing. A job is
claimed for a lease; a worker killed between sending and recording lets the lease run
out, and the job is sent again with the same Topic (the push service and the phone
keep only the newest message of a topic).
"""

from __future__ import annotations

import datetime as dt
import hmac
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec
from piccolo.columns import Column
from piccolo.query.functions.aggregate import Count

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import active_engine, fetch, write_transaction
from backend.errors import InvalidInput, NotFound
from backend.notifications import vapid
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.schemas import NoticePage, NoticeRead, Preferences, SubscriptionIn
from backend.notifications.tables import (
    Delivery,
    Notice,
    Preference,
    PushJob,
    PushSubscription,
)
from backend.outbox import service as outbox

# The events a person is told about, with their names in both languages.
KINDS: dict[str, tuple[str, str]] = {
    "dossier.received": ("Hồ sơ đã được tiếp nhận", "Dossier received"),
    "dossier.supplement_requested": ("Hồ sơ cần bổ sung", "Supplement needed"),
    "dossier.late": ("Hồ sơ trễ hẹn, có ngày hẹn mới", "Dossier late, with a new date"),
    "dossier.result_ready": ("Có kết quả", "Result ready"),
    "dossier.refused": ("Hồ sơ bị từ chối tiếp nhận", "Dossier refused"),
    "dossier.returned": ("Đã trả kết quả", "Result handed over"),
    "payment.confirmed": ("Đã thanh toán", "Payment confirmed"),
    "payment.failed": ("Thanh toán chưa thành công", "Payment not completed"),
    "payment.refunded": ("Đã hoàn phí", "Fee refunded"),
    "feedback.answered": ("Phản ánh đã được trả lời", "Feedback answered"),
}
# What the person must act on goes out at once even on a phone saving its battery.
URGENT = frozenset({"dossier.supplement_requested", "dossier.late", "dossier.refused"})
TTL_S = 3 * 24 * 3600  # a phone off for a weekend still gets it
LEASE_MS = 60_000
MAX_ATTEMPTS = 8
_BODIES: dict[str, tuple[str, str]] = {
    "dossier.received": (
        "Hồ sơ {code} đã được tiếp nhận. Hẹn trả kết quả ngày {date}.",
        "Dossier {code} was received. The result is due on {date}.",
    ),
    "dossier.supplement_requested": (
        "Hồ sơ {code} cần bổ sung giấy tờ. Bấm để xem cần gì.",
        "Dossier {code} needs more documents. Tap to see what.",
    ),
    "dossier.late": (
        "Hồ sơ {code} chậm so với hẹn. Ngày hẹn mới: {date}.",
        "Dossier {code} is late. The new date: {date}.",
    ),
    "dossier.result_ready": (
        "Hồ sơ {code} đã có kết quả. Bấm để xem cách nhận.",
        "Dossier {code} has its result. Tap to see how to get it.",
    ),
    "dossier.refused": (
        "Hồ sơ {code} không được tiếp nhận. Bấm để xem lý do.",
        "Dossier {code} was not accepted. Tap to see why.",
    ),
    "dossier.returned": (
        "Hồ sơ {code} đã trả kết quả. Bấm để đánh giá mức độ hài lòng.",
        "Dossier {code} is complete. Tap to rate the service.",
    ),
    "payment.confirmed": (
        "Đã nhận thanh toán cho hồ sơ {code}.",
        "The payment for dossier {code} was received.",
    ),
    "payment.failed": (
        "Thanh toán cho hồ sơ {code} chưa thành công. Bấm để thanh toán lại.",
        "The payment for dossier {code} did not go through. Tap to pay again.",
    ),
    "payment.refunded": (
        "Đã hoàn phí, lệ phí của hồ sơ {code}.",
        "The fees of dossier {code} were refunded.",
    ),
    "feedback.answered": (
        "Phản ánh {code} của bạn đã được trả lời.",
        "Your feedback {code} has been answered.",
    ),
}


def notice_text(kind: str, code: str | None, due: str | None, lang: str) -> tuple[str, str]:
    """(title, body) in the person's language: only the code, the state and a date."""
    vi = lang != "en"
    title = KINDS.get(kind, ("Thông báo", "Notice"))[0 if vi else 1]
    body_vi, body_en = _BODIES.get(kind, ("{code}", "{code}"))
    date = ""
    if due:
        day = dt.date.fromisoformat(due)
        date = f"{day:%d/%m/%Y}" if vi else f"{day:%d %b %Y}"
    return title, (body_vi if vi else body_en).format(code=code or "", date=date)


def notice_url(kind: str, dossier_id: int | None, code: str | None) -> str:
    if kind == "feedback.answered" and code:
        return f"/phan-anh/{code}"
    if kind == "dossier.returned" and dossier_id:
        return f"/ho-so/{dossier_id}/danh-gia"
    return f"/ho-so/{dossier_id}" if dossier_id else "/thong-bao"


# ----------------------------------------------------------------- subscriptions


def _invalid(vi: str, en: str, field: str) -> InvalidInput:
    return InvalidInput(vi, en, field=field)


def check_endpoint(runtime: NotificationsRuntime, endpoint: str) -> str:
    """Only https endpoints of the browsers' push services: anything else would make
    our server send requests where a stranger chose."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    loopback = runtime.allow_http_loopback and parts.scheme == "http" and host == "127.0.0.1"
    known = any(host == h or host.endswith("." + h) for h in runtime.push_hosts)
    if not loopback and (parts.scheme != "https" or not known or parts.username):
        raise _invalid(
            "Trình duyệt này gửi địa chỉ nhận thông báo không hợp lệ.",
            "This browser gave a push address we do not accept.",
            "endpoint",
        )
    return endpoint


def check_keys(p256dh: str, auth: str) -> None:
    try:
        point = vapid.unb64url(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65 or len(vapid.unb64url(auth)) != 16:
            raise ValueError("wrong length")
    except ValueError:
        raise _invalid(
            "Khóa mã hóa thông báo của trình duyệt không hợp lệ.",
            "The browser's push encryption keys are not valid.",
            "keys",
        ) from None


async def subscribe(
    runtime: NotificationsRuntime, principal: Principal, data: SubscriptionIn
) -> int:
    """This device's subscription, for this sign-in session; the same endpoint again
    (a browser re-subscribing, or another person on a shared phone) takes it over."""
    check_endpoint(runtime, data.endpoint)
    check_keys(data.keys.p256dh, data.keys.auth)
    values: dict[Column | str, Any] = {
        PushSubscription.account_id: principal.account_id,
        PushSubscription.session_id: principal.session_id,
        PushSubscription.p256dh: data.keys.p256dh,
        PushSubscription.auth: data.keys.auth,
        PushSubscription.lang: data.lang,
    }
    async with write_transaction():
        existing = await PushSubscription.select(PushSubscription.id).where(
            PushSubscription.endpoint == data.endpoint
        )
        if existing:
            await PushSubscription.update(values).where(PushSubscription.id == existing[0]["id"])
            return int(existing[0]["id"])
        rows = await PushSubscription.insert(
            PushSubscription(
                endpoint=data.endpoint,
                account_id=principal.account_id,
                session_id=principal.session_id,
                p256dh=data.keys.p256dh,
                auth=data.keys.auth,
                lang=data.lang,
                created_at=runtime.now(),
            )
        ).returning(PushSubscription.id)
    return int(rows[0]["id"])


async def unsubscribe(principal: Principal, endpoint: str) -> None:
    async with write_transaction():
        await PushSubscription.delete().where(
            (PushSubscription.endpoint == endpoint)
            & (PushSubscription.account_id == principal.account_id)
        )


async def change_subscription(
    runtime: NotificationsRuntime, old_endpoint: str, old_auth: str, new: SubscriptionIn
) -> None:
    """The browser replaced a subscription: move it, if the caller knows the old one's
    secret (the service worker does; nobody else has seen it)."""
    check_endpoint(runtime, new.endpoint)
    check_keys(new.keys.p256dh, new.keys.auth)
    async with write_transaction():
        rows = await PushSubscription.select().where(PushSubscription.endpoint == old_endpoint)
        if not rows or not hmac.compare_digest(rows[0]["auth"].encode(), old_auth.encode()):
            raise NotFound(
                "Không tìm thấy đăng ký nhận thông báo cũ.",
                "No such earlier subscription.",
                field="old_endpoint",
            )
        await PushSubscription.delete().where(
            (PushSubscription.endpoint == new.endpoint) & (PushSubscription.id != rows[0]["id"])
        )
        await PushSubscription.update(
            {
                PushSubscription.endpoint: new.endpoint,
                PushSubscription.p256dh: new.keys.p256dh,
                PushSubscription.auth: new.keys.auth,
            }
        ).where(PushSubscription.id == rows[0]["id"])


# ------------------------------------------------------------------------- inbox

PAGE_SIZE = 30


def _notice_read(row: dict[str, Any], lang: str) -> NoticeRead:
    title, body = notice_text(row["kind"], row["code"], row["due_date"], lang)
    return msgspec.convert(
        {
            **row,
            "title": title,
            "body": body,
            "url": notice_url(row["kind"], row["dossier_id"], row["code"]),
        },
        NoticeRead,
        strict=False,
    )


async def unread_count(account_id: int) -> int:
    return int(
        await Notice.count().where((Notice.account_id == account_id) & Notice.read_at.is_null())
    )


async def _unread_counts(account_ids: set[int]) -> dict[int, int]:
    rows = (
        await Notice.select(Notice.account_id, Count(Notice.id, alias="unread"))
        .where(Notice.account_id.is_in(sorted(account_ids)) & Notice.read_at.is_null())
        .group_by(Notice.account_id)
    )
    counts = {int(row["account_id"]): int(row["unread"]) for row in rows}
    return {account_id: counts.get(account_id, 0) for account_id in account_ids}


async def list_notices(principal: Principal, page: int = 1, lang: str = "vi") -> NoticePage:
    mine = Notice.account_id == principal.account_id
    rows = (
        await Notice.select()
        .where(mine)
        .order_by(Notice.id, ascending=False)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return NoticePage(
        items=[_notice_read(row, lang) for row in rows],
        unread=await unread_count(principal.account_id),
        page=page,
        page_size=PAGE_SIZE,
        total=await Notice.count().where(mine),
    )


async def mark_read(
    runtime: NotificationsRuntime, principal: Principal, notice_id: int, lang: str = "vi"
) -> NoticeRead:
    condition = (Notice.id == notice_id) & (Notice.account_id == principal.account_id)
    async with write_transaction():
        await Notice.update({Notice.read_at: runtime.now()}).where(
            condition & Notice.read_at.is_null()
        )
        rows = await Notice.select().where(condition)
    if not rows:
        raise NotFound("Không tìm thấy thông báo này.", "No such notice.", field="notice")
    return _notice_read(rows[0], lang)


async def mark_all_read(runtime: NotificationsRuntime, principal: Principal) -> None:
    async with write_transaction():
        await Notice.update({Notice.read_at: runtime.now()}).where(
            (Notice.account_id == principal.account_id) & Notice.read_at.is_null()
        )


# ------------------------------------------------------------------- preferences


async def get_preferences(principal: Principal) -> Preferences:
    rows = (
        await Preference.select(Preference.muted)
        .where(Preference.account_id == principal.account_id)
        .output(load_json=True)
    )
    return Preferences(muted=list(rows[0]["muted"]) if rows else [])


async def set_preferences(principal: Principal, muted: list[str]) -> Preferences:
    unknown = sorted(set(muted) - set(KINDS))
    if unknown:
        raise _invalid(
            "Có loại thông báo không tồn tại.", f"Unknown kinds: {', '.join(unknown)}.", "muted"
        )
    chosen = sorted(set(muted))
    async with write_transaction():
        await Preference.insert(
            Preference(account_id=principal.account_id, muted=chosen)
        ).on_conflict(target=Preference.account_id, action="DO UPDATE", values=[Preference.muted])
    return Preferences(muted=chosen)


# ---------------------------------------------------------------------- fan-out


async def fan_out(runtime: NotificationsRuntime, limit: int = 200) -> int:
    """Turn pending outbox messages into notices and push jobs; returns how many."""
    async with write_transaction():
        messages = await outbox.claim(sorted(KINDS), limit)
        if not messages:
            return 0
        recipients = {int(a) for m in messages for a in m["account_ids"]}
        devices = await _devices(recipients)
        muted = await _muted(recipients)
        now = runtime.now()
        now_ms = runtime.now_ms()
        await _fan_out(messages, devices, muted, now, now_ms)
        await outbox.mark_done([m["id"] for m in messages], now)
    return len(messages)


async def _devices(account_ids: set[int]) -> dict[int, list[int]]:
    """Each person's subscriptions whose sign-in session still exists; those of ended
    sessions (signed out) are deleted."""
    if not account_ids:
        return {}
    rows = await PushSubscription.select(
        PushSubscription.id, PushSubscription.account_id, PushSubscription.session_id
    ).where(PushSubscription.account_id.is_in(sorted(account_ids)))
    live = await accounts.live_sessions({row["session_id"] for row in rows})
    ended = [row["id"] for row in rows if row["session_id"] not in live]
    if ended:
        await PushSubscription.delete().where(PushSubscription.id.is_in(ended))
    devices: dict[int, list[int]] = {}
    for row in rows:
        if row["session_id"] in live:
            devices.setdefault(int(row["account_id"]), []).append(int(row["id"]))
    return devices


async def _muted(account_ids: set[int]) -> dict[int, set[str]]:
    if not account_ids:
        return {}
    rows = (
        await Preference.select()
        .where(Preference.account_id.is_in(sorted(account_ids)))
        .output(load_json=True)
    )
    return {int(row["account_id"]): set(row["muted"]) for row in rows}


async def _fan_out(
    messages: list[dict[str, Any]],
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
        payload = message["payload"]
        for account_id in sorted({int(a) for a in message["account_ids"]}):
            key = f"{message['event_key']}:{account_id}"
            notices.append(
                Notice(
                    notice_key=key,
                    account_id=account_id,
                    kind=message["kind"],
                    dossier_id=payload.get("dossier_id"),
                    code=payload.get("code"),
                    status=payload.get("status") or "",
                    due_date=payload.get("due_date"),
                    created_at=now,
                )
            )
            if message["kind"] not in muted.get(account_id, set()):
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


# --------------------------------------------------------------------- delivery


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job with everything needed to send it."""

    id: int
    attempt: int
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    topic: str
    urgency: str
    payload: dict[str, Any]


# Due jobs, taken for a lease in one statement; on PostgreSQL rows another worker is
# claiming right now are skipped rather than waited for.
_CLAIM = (
    "UPDATE notifications_push_job SET claimed_until_ms = {}, attempts = attempts + 1"
    " WHERE id IN (SELECT id FROM notifications_push_job WHERE status = 'pending'"
    " AND available_ms <= {} AND (claimed_until_ms IS NULL OR claimed_until_ms < {})"
    " ORDER BY available_ms, id LIMIT {}%s)"
    " RETURNING id, notice_id, subscription_id, attempts"
)
_CLAIM_POSTGRES = _CLAIM % " FOR UPDATE SKIP LOCKED"
_CLAIM_SQLITE = _CLAIM % ""


async def claim_jobs(runtime: NotificationsRuntime, limit: int = 100) -> list[Job]:
    """Take up to ``limit`` due jobs for a lease. Jobs whose device is gone are closed."""
    now_ms = runtime.now_ms()
    postgres = active_engine().engine_type == "postgres"
    async with write_transaction():
        claimed = await fetch(
            _CLAIM_POSTGRES if postgres else _CLAIM_SQLITE, now_ms + LEASE_MS, now_ms, now_ms, limit
        )
    if not claimed:
        return []
    subscriptions = {
        row["id"]: row
        for row in await PushSubscription.select().where(
            PushSubscription.id.is_in(sorted({c["subscription_id"] for c in claimed}))
        )
    }
    notices = {
        row["id"]: row
        for row in await Notice.select().where(
            Notice.id.is_in(sorted({c["notice_id"] for c in claimed}))
        )
    }
    unread = await _unread_counts({n["account_id"] for n in notices.values()})
    jobs: list[Job] = []
    orphans: list[int] = []
    for row in sorted(claimed, key=lambda c: c["id"]):
        subscription = subscriptions.get(row["subscription_id"])
        notice = notices.get(row["notice_id"])
        if subscription is None or notice is None:
            orphans.append(row["id"])
            continue
        title, body = notice_text(
            notice["kind"], notice["code"], notice["due_date"], subscription["lang"]
        )
        subject = notice["dossier_id"] or f"n{notice['id']}"
        jobs.append(
            Job(
                id=row["id"],
                attempt=row["attempts"],
                subscription_id=subscription["id"],
                endpoint=subscription["endpoint"],
                p256dh=subscription["p256dh"],
                auth=subscription["auth"],
                # One topic per dossier: a newer notice replaces an undelivered older one.
                topic=f"dossier-{subject}",
                urgency="high" if notice["kind"] in URGENT else "normal",
                payload={
                    "notice_id": notice["id"],
                    "kind": notice["kind"],
                    "title": title,
                    "body": body,
                    "url": notice_url(notice["kind"], notice["dossier_id"], notice["code"]),
                    "tag": f"dossier-{subject}",
                    "unread": unread[notice["account_id"]],
                },
            )
        )
    if orphans:
        async with write_transaction():
            await PushJob.update({PushJob.status: "dead"}).where(PushJob.id.is_in(orphans))
    return jobs


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave: ``status_code`` None when no answer came."""

    status_code: int | None
    retry_after_s: int | None = None
    detail: str = ""


def backoff_ms(attempt: int, retry_after_s: int | None) -> int:
    """Exponential with full jitter (1 s, 2 s, 4 s … up to an hour); a Retry-After given
    by the push service is honoured as the least wait."""
    ceiling = min(3_600_000, 1000 * 2 ** max(0, attempt - 1))
    wait = random.randint(ceiling // 2, ceiling)  # noqa: S311 - jitter, not a secret
    if retry_after_s is not None:
        wait = max(wait, retry_after_s * 1000)
    return wait


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
