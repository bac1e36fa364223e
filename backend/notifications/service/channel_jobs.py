"""Notices over e-mail, SMS and ZNS: the outbox bookkeeping every channel shares.

*Planning* (inside the fan-out's transaction): one ``ChannelJob`` per notice and
channel the person chose (their preferences), or, for someone without an account an
event names (a counter applicant, a feedback sender), per address they left; the job
key (event, recipient, channel) is unique, so a second fan-out adds nothing.

*Delivery* (each worker round): due jobs are claimed for a lease in one ``UPDATE ...
RETURNING`` (skipping rows other workers hold, on PostgreSQL) and marked ``sending``;
each send is bounded by the channel's timeout; every attempt is recorded. A job is
sent at most once: only a provider that drops repeats of our tracking id (eSMS's
RequestId) gets a send that went unanswered, or one a dead worker left ``sending``,
again; for the others (SMTP, ZNS) such a job ends ``unknown``, never a duplicate.
Nothing was sent (refused connection, 429, 5xx, 4xx SMTP, a transient code): retried
with the push jobs' backoff, never sooner than Retry-After."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.accounts import service as accounts
from backend.db import active_engine, fetch, write_transaction
from backend.errors import AppError, NotFound
from backend.i18n import N_, Localized, Moment, Text
from backend.notifications.channels import sms_esms
from backend.notifications.channels.base import Channel, Message, Sent, carries
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.service.delivery import backoff_ms
from backend.notifications.service.notices import (
    KINDS,
    NoticeRow,
    agency_names,
    notice_text,
    notice_url,
)
from backend.notifications.tables import (
    ChannelAttempt,
    ChannelJob,
    ChannelOptOut,
    Notice,
    Preference,
)

MAX_ATTEMPTS = 6
# Where someone without an account stops our e-mails (the page is ``pages.py``'s).
STOP_PATH = "/thong-bao/ngung"
# A phone gets one message a notice: Zalo when it has a template for the kind (free
# to read, richer), else SMS.
PHONE_CHANNELS = ("zns", "sms")


class Contact(msgspec.Struct, frozen=True):
    """Someone without an account an event names: what they left at the counter or on
    the feedback form, and a path they can open without signing in."""

    phone: str = ""
    email: str = ""
    lang: str = "vi"
    url: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """An outbox message as the fan-out read it."""

    event_key: str
    kind: str
    account_ids: Sequence[int]
    dossier_id: int | None
    code: str | None
    due_date: str | None
    agency_code: str
    contact: Contact | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    channel: str
    attempt: int
    claimed_until_ms: int
    message: Message


class _Choice(msgspec.Struct, frozen=True):
    account_id: int
    channels: dict[str, list[str]]
    email: str
    lang: str


class _Claimed(msgspec.Struct, frozen=True):
    id: int
    channel: str
    notice_id: int | None
    kind: str
    dossier_id: int | None
    code: str | None
    due_date: str | None
    agency_code: str
    note: str
    lang: str
    url: str
    address: str
    attempts: int
    claimed_until_ms: int
    created_at: dt.datetime


# ------------------------------------------------------------------------- planning


async def plan(runtime: NotificationsRuntime, events: Sequence[Event], now: dt.datetime) -> int:
    """Channel jobs for a batch of events, inside the fan-out's transaction."""
    if not runtime.channels or not events:
        return 0
    choices = await _choices({a for event in events for a in event.account_ids})
    wanted = {
        account_id
        for event in events
        for account_id in event.account_ids
        if account_id in choices and choices[account_id].channels.get(event.kind)
    }
    addresses = await _addresses(wanted, choices)
    notices = await _notice_ids(
        f"{event.event_key}:{account_id}"
        for event in events
        for account_id in event.account_ids
        if account_id in wanted
    )
    planned: list[tuple[str, dict[str, Any]]] = []  # (recipient key, job)
    for event in events:
        for account_id in sorted(set(event.account_ids) & wanted):
            choice = choices[account_id]
            phone, mail = addresses.get(account_id, ("", ""))
            notice_id = notices.get(f"{event.event_key}:{account_id}")
            for name in choice.channels.get(event.kind, []):
                address = mail if name == "email" else phone
                if address and _offered(runtime, name, event.kind):
                    who = f"a{account_id}"
                    job = _job(runtime, event, who, name, address, choice.lang, now)
                    planned.append((who, job | {"notice_id": notice_id}))
        if event.contact is not None:
            planned.extend(_contact_jobs(runtime, event, event.contact, now))
    stopped = await _opted_out({who for who, _ in planned})
    jobs = [job for who, job in planned if who not in stopped]
    if jobs:
        await ChannelJob.insert(*(ChannelJob(**job) for job in jobs)).on_conflict(
            target=ChannelJob.job_key, action="DO NOTHING"
        )
    return len(jobs)


async def _opted_out(recipients: set[str]) -> set[str]:
    """The recipients without an account (``c…``) who asked for nothing more."""
    keys = sorted(key for key in recipients if key.startswith("c"))
    if not keys:
        return set()
    rows = await ChannelOptOut.select(ChannelOptOut.recipient).where(
        ChannelOptOut.recipient.is_in(keys)
    )
    return {row["recipient"] for row in rows}


def stop_token(runtime: NotificationsRuntime, address: str) -> str:
    """The opt-out link's last part: the recipient key and a MAC of it (no guessing)."""
    who = _who(runtime, address)
    mac = hmac.new(runtime.secret_key.encode(), f"stop:{who}".encode(), hashlib.sha256)
    return f"{who}.{mac.hexdigest()[:16]}"


def _recipient_of(runtime: NotificationsRuntime, token: str) -> str:
    who, _, mac = token.partition(".")
    expected = hmac.new(runtime.secret_key.encode(), f"stop:{who}".encode(), hashlib.sha256)
    if not who.startswith("c") or not hmac.compare_digest(mac, expected.hexdigest()[:16]):
        raise NotFound(N_("Không tìm thấy trang bạn cần."))
    return who


def check_stop(runtime: NotificationsRuntime, token: str) -> None:
    """Raises NotFound unless ``token`` is one of our opt-out links."""
    _recipient_of(runtime, token)


async def opt_out(runtime: NotificationsRuntime, token: str) -> None:
    """Send the address of this opt-out link nothing more (a phone has its own key)."""
    who = _recipient_of(runtime, token)
    async with write_transaction():
        await ChannelOptOut.insert(ChannelOptOut(recipient=who, at=runtime.now())).on_conflict(
            target=ChannelOptOut.recipient, action="DO NOTHING"
        )


def _offered(runtime: NotificationsRuntime, name: str, kind: str) -> bool:
    channel = runtime.channels.get(name)
    return channel is not None and carries(channel, kind)


def _contact_jobs(
    runtime: NotificationsRuntime, event: Event, contact: Contact, now: dt.datetime
) -> list[tuple[str, dict[str, Any]]]:
    """A phone gets one message (ZNS if it carries the kind, else SMS), an e-mail address
    one e-mail. The recipient key is an HMAC of the address: the key names nobody."""
    lang = contact.lang if contact.lang in {"vi", "en"} else "vi"
    wanted: list[tuple[str, str]] = []  # (channel, address)
    phone = _valid_phone(contact.phone)
    by_phone = next((n for n in PHONE_CHANNELS if _offered(runtime, n, event.kind)), None)
    if phone and by_phone is not None:
        wanted.append((by_phone, phone))
    if contact.email and _offered(runtime, "email", event.kind):
        wanted.append(("email", contact.email.strip()[:254]))
    planned: list[tuple[str, dict[str, Any]]] = []
    for channel, address in wanted:
        who = _who(runtime, address)
        job = _job(runtime, event, who, channel, address, lang, now)
        planned.append((who, job | {"url": contact.url[:300]}))
    return planned


def _valid_phone(raw: str) -> str:
    try:
        return accounts.normalise_phone(raw) if raw else ""
    except AppError:
        return ""


def _who(runtime: NotificationsRuntime, address: str) -> str:
    digest = hmac.new(runtime.secret_key.encode(), address.lower().encode(), hashlib.sha256)
    return "c" + digest.hexdigest()[:24]


def _job(
    runtime: NotificationsRuntime,
    event: Event,
    recipient: str,
    channel: str,
    address: str,
    lang: str,
    now: dt.datetime,
) -> dict[str, Any]:
    row = _row(
        0,
        event.kind,
        event.dossier_id,
        event.code,
        event.due_date,
        event.agency_code,
        note=event.note,
    )
    return {
        "job_key": f"{event.event_key}:{recipient}:{channel}"[:200],
        "channel": channel,
        "notice_id": None,
        "kind": event.kind,
        "dossier_id": event.dossier_id,
        "code": event.code,
        "due_date": event.due_date,
        "agency_code": event.agency_code,
        "note": event.note,
        "lang": lang,
        "url": notice_url(row),
        "address": address,
        "available_ms": runtime.now_ms(),
        "created_at": now,
    }


async def _choices(account_ids: set[int]) -> dict[int, _Choice]:
    if not account_ids:
        return {}
    rows = (
        await Preference.select(
            Preference.account_id, Preference.channels, Preference.email, Preference.lang
        )
        .where(Preference.account_id.is_in(sorted(account_ids)))
        .output(load_json=True)
    )
    return {row["account_id"]: msgspec.convert(row, _Choice) for row in rows}


async def _addresses(
    account_ids: Iterable[int], choices: dict[int, _Choice]
) -> dict[int, tuple[str, str]]:
    """(phone, e-mail) of each person: the e-mail they gave for notices, else their
    account's."""
    found: dict[int, tuple[str, str]] = {}
    for account_id in sorted(account_ids):
        try:
            account = await accounts.get_account(account_id)
        except AppError:
            continue
        found[account_id] = (
            account.phone or "",
            choices[account_id].email or account.email or "",
        )
    return found


async def _notice_ids(keys: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await Notice.select(Notice.id, Notice.notice_key).where(Notice.notice_key.is_in(wanted))
    return {row["notice_key"]: row["id"] for row in rows}


def _row(
    id_: int,
    kind: str,
    dossier_id: int | None,
    code: str | None,
    due_date: str | None,
    agency_code: str,
    created_at: dt.datetime | None = None,
    *,
    note: str = "",
) -> NoticeRow:
    return NoticeRow(
        id=id_,
        account_id=0,
        kind=kind,
        dossier_id=dossier_id,
        code=code,
        status=note,
        due_date=due_date,
        agency_code=agency_code,
        created_at=created_at or dt.datetime.now(dt.UTC),
        read_at=None,
    )


# ------------------------------------------------------------------------- delivery

_CLAIM = (
    "UPDATE notifications_channel_job SET status = 'sending', claimed_until_ms = {},"
    " attempts = attempts + 1"
    " WHERE id IN (SELECT id FROM notifications_channel_job WHERE status = 'pending'"
    " AND available_ms <= {} ORDER BY available_ms, id LIMIT {}%s)"
    " RETURNING id, channel, notice_id, kind, dossier_id, code, due_date, agency_code,"
    " note, lang, url, address, attempts, claimed_until_ms, created_at"
)
_CLAIM_POSTGRES = _CLAIM % " FOR UPDATE SKIP LOCKED"
_CLAIM_SQLITE = _CLAIM % ""


async def claim(runtime: NotificationsRuntime, limit: int = 100) -> list[Claim]:
    """Due jobs taken for a lease, each with its message; jobs a dead worker left
    ``sending`` first go back (idempotent providers) or end ``unknown`` (the others)."""
    now_ms = runtime.now_ms()
    postgres = active_engine().engine_type == "postgres"
    async with write_transaction():
        await _expire(runtime, now_ms)
        rows = await fetch(
            _CLAIM_POSTGRES if postgres else _CLAIM_SQLITE,
            now_ms + runtime.lease_ms,
            now_ms,
            limit,
        )
    if not rows:
        return []
    claimed = sorted(msgspec.convert(rows, list[_Claimed], strict=False), key=lambda c: c.id)
    rows_of = {
        c.id: _row(
            c.id, c.kind, c.dossier_id, c.code, c.due_date, c.agency_code, c.created_at, note=c.note
        )
        for c in claimed
    }
    agencies = await agency_names(rows_of.values())
    claims: list[Claim] = []
    gone: list[int] = []
    for c in claimed:
        channel = runtime.channels.get(c.channel)
        if channel is None:
            gone.append(c.id)  # the channel was configured when planned, no longer
            continue
        claims.append(
            Claim(c.id, c.channel, c.attempts, c.claimed_until_ms, _message(runtime, c, agencies))
        )
    if gone:
        async with write_transaction():
            await ChannelJob.update(
                {ChannelJob.status: "failed", ChannelJob.detail: "channel not configured"}
            ).where(ChannelJob.id.is_in(gone))
    return claims


async def _expire(runtime: NotificationsRuntime, now_ms: int) -> None:
    stale = (ChannelJob.status == "sending") & (ChannelJob.claimed_until_ms < now_ms)
    idempotent = sorted(name for name, ch in runtime.channels.items() if ch.idempotent)
    if idempotent:
        await ChannelJob.update({ChannelJob.status: "pending"}).where(
            stale & ChannelJob.channel.is_in(idempotent)
        )
    await ChannelJob.update(
        {ChannelJob.status: "unknown", ChannelJob.detail: "worker lost while sending"}
    ).where(stale)


def _message(
    runtime: NotificationsRuntime, job: _Claimed, agencies: dict[str, Localized]
) -> Message:
    row = _row(
        job.id,
        job.kind,
        job.dossier_id,
        job.code,
        job.due_date,
        job.agency_code,
        job.created_at,
        note=job.note,
    )
    title, body = notice_text(row, job.lang, agencies)
    url = runtime.public_url.rstrip("/") + (job.url or notice_url(row))
    date = Moment(dt.date.fromisoformat(job.due_date)).render(job.lang) if job.due_date else ""
    base = runtime.public_url.rstrip("/")
    settings_url = base + "/tai-khoan/thong-bao"
    # Someone without an account stops our e-mails with a link naming their key.
    stop_url = "" if job.notice_id else f"{base}{STOP_PATH}/{stop_token(runtime, job.address)}"
    return Message(
        tracking_id=f"motcua-{job.channel}-{job.id}",
        address=job.address,
        kind=job.kind,
        title=title,
        body=body,
        url=url,
        params={"code": job.code or "", "title": title, "date": date},
        callback_url=(
            f"{runtime.public_url.rstrip('/')}/api/channels/esms/{job.id}/"
            f"{sms_esms.callback_token(runtime.secret_key, job.id)}"
            if job.channel == "sms"
            else ""
        ),
        footer=_footer(settings_url, stop_url).render(job.lang),
        unsubscribe_url=stop_url or settings_url,
    )


def _footer(settings_url: str, stop_url: str) -> Text:
    """Why the person gets this e-mail and how to stop it."""
    if not stop_url:
        return N_(
            "Bạn nhận thư này vì đã chọn nhận thông báo qua thư điện tử. Đổi lựa chọn tại %(url)s",
            url=settings_url,
        )
    return N_(
        "Bạn nhận thư này vì đã để lại địa chỉ thư điện tử khi gửi hồ sơ hoặc phản ánh"
        " cho cơ quan nhà nước. Thư được gửi tự động, xin đừng trả lời. Không muốn nhận"
        " nữa: %(url)s",
        url=stop_url,
    )


async def send(channel: Channel, claim: Claim, timeout_s: float) -> Sent:
    """One send, bounded as a whole (a provider dripping its answer cannot hold the
    worker past the lease)."""
    try:
        return await asyncio.wait_for(channel.send(claim.message), timeout_s)
    except TimeoutError:
        return Sent("retry" if channel.idempotent else "unknown", detail="timeout")


async def record(runtime: NotificationsRuntime, attempts: Sequence[tuple[Claim, Sent]]) -> None:
    """A round's attempts and each job's next state, in one transaction; a job whose
    lease another worker took over (its claim end changed) is left alone."""
    if not attempts:
        return
    now, now_ms = runtime.now(), runtime.now_ms()
    async with write_transaction():
        await ChannelAttempt.insert(
            *(
                ChannelAttempt(
                    job_id=claim.id,
                    attempt=claim.attempt,
                    at=now,
                    outcome=sent.result,
                    detail=sent.detail[:500],
                )
                for claim, sent in attempts
            )
        )
        for claim, sent in attempts:
            changes: dict[object, object] = {
                ChannelJob.claimed_until_ms: None,
                ChannelJob.detail: sent.detail[:500],
            }
            if sent.result == "sent":
                changes |= {
                    ChannelJob.status: "sent",
                    ChannelJob.sent_at: now,
                    ChannelJob.provider_id: sent.provider_id or None,
                }
            elif sent.result == "retry" and claim.attempt < MAX_ATTEMPTS:
                changes |= {
                    ChannelJob.status: "pending",
                    ChannelJob.available_ms: now_ms + backoff_ms(claim.attempt, sent.retry_after_s),
                }
            else:
                changes[ChannelJob.status] = "unknown" if sent.result == "unknown" else "failed"
            await ChannelJob.update(changes).where(  # type: ignore[arg-type]
                (ChannelJob.id == claim.id)
                & (ChannelJob.status == "sending")
                & (ChannelJob.claimed_until_ms == claim.claimed_until_ms)
            )


def kinds_offered(runtime: NotificationsRuntime) -> dict[str, list[str]]:
    """For the settings page: the channels each kind may go by."""
    return {
        kind: [name for name, ch in runtime.channels.items() if carries(ch, kind)] for kind in KINDS
    }
