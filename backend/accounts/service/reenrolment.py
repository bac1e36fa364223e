"""A counter re-enrolment, after the fact: what keeps the official who issued the link
from taking the account over.

- The person's devices and inbox are told, by an outbox message written in the
  enrolment's own transaction, with a "this was not me" link: a token signed with the
  app's key naming the re-enrolment, usable without signing in (the person may have
  nothing else) for ``DISOWN_TTL``, once (the link's purpose turns "disowned").
  Disowning removes every passkey, recovery code and session made since the
  re-enrolment; the person is asked to come back to a counter.
- Until then, what the account had before stays: its passkeys cannot be removed, and
  a session opened since (or a recovery code given at the counter) cannot end the
  sessions open before. So the old devices keep being told and keep signing in, and
  whoever holds them can disown what the counter added.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from typing import Any

import msgspec

from backend.accounts import audit, sessions
from backend.accounts.runtime import DISOWN_TTL, AccountsRuntime
from backend.accounts.schemas import CounterPasskeyRead, Disowned, Principal
from backend.accounts.service.links import LinkUnusable
from backend.accounts.service.people import Client
from backend.accounts.tables import Account, EnrolmentLink, Passkey, RecoveryCode
from backend.db import write_transaction
from backend.errors import AppError, Conflict, NotFound
from backend.i18n import N_, Moment, Text
from backend.outbox import service as outbox

NOTICE_KIND = "account.counter_passkey"
DISOWN_PATH = "/khong-phai-toi"
_ID_BYTES = 8
_MAC_BYTES = 16
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _Reenrolment(msgspec.Struct, frozen=True):
    id: int
    account: int
    purpose: str  # "reenrol" | "disowned"
    used_at: dt.datetime
    issued_by: int | None
    created_at: dt.datetime


def _mac(runtime: AccountsRuntime, link_id: int, account_id: int, created: dt.datetime) -> bytes:
    # The account and the link's creation time are signed too: on SQLite a row id can
    # be given again once the row is gone, and the token must not then name another.
    micros = (created - _EPOCH) // dt.timedelta(microseconds=1)
    message = f"disown:{link_id}:{account_id}:{micros}".encode()
    return hmac.new(runtime.link_key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def disown_token(
    runtime: AccountsRuntime, link_id: int, account_id: int, created: dt.datetime
) -> str:
    raw = link_id.to_bytes(_ID_BYTES, "big") + _mac(runtime, link_id, account_id, created)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parse(token: str) -> tuple[int, bytes] | None:
    if len(token) > 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _ID_BYTES + _MAC_BYTES:
        return None
    return int.from_bytes(raw[:_ID_BYTES], "big"), raw[_ID_BYTES:]


def _forged() -> NotFound:
    return NotFound(
        N_("Liên kết không đúng. Hãy mở lại liên kết trong thông báo bạn nhận được."),
        field="token",
    )


async def _found(runtime: AccountsRuntime, token: str, client: Client) -> _Reenrolment:
    """The re-enrolment a genuine token names; a forged or altered one is audited."""
    await runtime.limiter.check_address("disown", client.address)
    parsed = _parse(token)
    found = None
    if parsed is not None:
        rows = await EnrolmentLink.select(
            EnrolmentLink.id,
            EnrolmentLink.account,
            EnrolmentLink.purpose,
            EnrolmentLink.used_at,
            EnrolmentLink.issued_by,
            EnrolmentLink.created_at,
        ).where(
            (EnrolmentLink.id == parsed[0])
            & EnrolmentLink.purpose.is_in(["reenrol", "disowned"])
            & EnrolmentLink.used_at.is_not_null()
        )
        found = msgspec.convert(rows[0], _Reenrolment) if rows else None
    if (
        parsed is None
        or found is None
        or not hmac.compare_digest(
            parsed[1], _mac(runtime, found.id, found.account, found.created_at)
        )
    ):
        await audit.record(
            runtime, "reenrolment_disown_failed", address=client.address, reason="forged"
        )
        raise _forged()
    return found


async def _agency_of(official_id: int | None) -> str:
    if official_id is None:
        return ""
    rows = await Account.select(Account.agency_code).where(Account.id == official_id)
    return str(rows[0]["agency_code"] or "") if rows else ""


async def tell_devices(
    runtime: AccountsRuntime,
    *,
    link_id: int,
    account_id: int,
    link_created: dt.datetime,
    issued_by: int | None,
    now: dt.datetime,
) -> str:
    """The notice to the person's devices and inbox; call inside the transaction that
    registered the passkey. Returns the issuing official's agency."""
    agency = await _agency_of(issued_by)
    await outbox.enqueue(
        event_key=f"account:{account_id}:reenrol:{link_id}",
        kind=NOTICE_KIND,
        subject=f"account:{account_id}",
        account_ids=[account_id],
        payload={
            "code": disown_token(runtime, link_id, account_id, link_created),
            "agency_code": agency,
            "at": now.isoformat(),
        },
        now=now,
    )
    return agency


async def counter_passkey(
    runtime: AccountsRuntime, token: str, client: Client
) -> CounterPasskeyRead:
    """What the "this was not me" link is about."""
    found = await _found(runtime, token, client)
    code = await _agency_of(found.issued_by)
    name_vi = name_en = code
    if code:
        try:
            agency = await runtime.find_agency(code)
        except AppError:
            pass  # an agency since removed from the catalogue: its code says enough
        else:
            name_vi = str(getattr(agency, "name_vi", code))
            name_en = str(getattr(agency, "name_en", code))
    return CounterPasskeyRead(
        agency_code=code,
        agency_name_vi=name_vi,
        agency_name_en=name_en,
        added_at=found.used_at,
        disowned=found.purpose == "disowned",
        disown_until=found.used_at + DISOWN_TTL,
        expired=found.purpose == "reenrol" and found.used_at + DISOWN_TTL <= runtime.clock(),
    )


def _made_since(rows: list[dict[str, Any]], since: dt.datetime) -> list[int]:
    # Compared in Python: SQLite keeps timestamps as text.
    return [int(row["id"]) for row in rows if row["created_at"] >= since]


async def disown(runtime: AccountsRuntime, token: str, client: Client) -> Disowned:
    """The person says "this was not me": every passkey, recovery code and session made
    since the re-enrolment goes. Once; a replay changes nothing and says so."""
    found = await _found(runtime, token, client)
    already = Disowned(already=True, passkeys_removed=0, sessions_ended=0)
    if found.purpose == "disowned":
        return already
    if found.used_at + DISOWN_TTL <= runtime.clock():
        raise LinkUnusable(
            N_(
                "Liên kết này đã hết hạn. Nếu trong tài khoản có khóa truy cập bạn không "
                "biết, hãy xóa nó ở trang Thiết bị đăng nhập, hoặc đến quầy một cửa."
            )
        )
    since = found.used_at
    async with write_transaction():
        turned = (
            await EnrolmentLink.update({EnrolmentLink.purpose: "disowned"})
            .where((EnrolmentLink.id == found.id) & (EnrolmentLink.purpose == "reenrol"))
            .returning(EnrolmentLink.id)
        )
        if turned:
            account = found.account
            passkeys = _made_since(
                await Passkey.select(Passkey.id, Passkey.created_at).where(
                    Passkey.account == account
                ),
                since,
            )
            codes = _made_since(
                await RecoveryCode.select(RecoveryCode.id, RecoveryCode.created_at).where(
                    RecoveryCode.account == account
                ),
                since,
            )
            if passkeys:
                await Passkey.delete().where(Passkey.id.is_in(passkeys))
            if codes:
                await RecoveryCode.delete().where(RecoveryCode.id.is_in(codes))
            ended = await sessions.end_all(account, since=since)
    if not turned:  # another request disowned it a moment ago
        return already
    await audit.record(
        runtime,
        "reenrolment_disowned",
        subject_id=found.account,
        address=client.address,
        link_id=found.id,
        issued_by=found.issued_by,
        agency=await _agency_of(found.issued_by),
        passkeys=len(passkeys),
        codes=len(codes),
        sessions=ended,
    )
    return Disowned(already=False, passkeys_removed=len(passkeys), sessions_ended=ended)


# ------------------------------------------------------------ what stays meanwhile


async def protected_since(runtime: AccountsRuntime, account_id: int) -> dt.datetime | None:
    """The earliest counter re-enrolment of the account that can still be disowned:
    what existed before it stays until it no longer can."""
    rows = await EnrolmentLink.select(EnrolmentLink.used_at).where(
        (EnrolmentLink.account == account_id)
        & (EnrolmentLink.purpose == "reenrol")
        & EnrolmentLink.used_at.is_not_null()
    )
    now = runtime.clock()
    recent: list[dt.datetime] = [
        row["used_at"] for row in rows if now - row["used_at"] < DISOWN_TTL
    ]
    return min(recent, default=None)


def kept_until(since: dt.datetime) -> dt.datetime:
    return since + DISOWN_TTL


def _kept(message: Text) -> Conflict:
    error = Conflict(message, field="id")
    error.code = "kept_after_counter_reenrolment"
    return error


def passkey_kept(since: dt.datetime) -> Conflict:
    return _kept(
        N_(
            "Khóa truy cập này có từ trước lần cấp lại khóa tại quầy. Để không ai chiếm được "
            "tài khoản của bạn qua việc cấp lại, khóa cũ chỉ xóa được từ %(date)s.",
            date=Moment(kept_until(since)),
        )
    )


async def session_end_since(runtime: AccountsRuntime, principal: Principal) -> dt.datetime | None:
    """The counter re-enrolment whose earlier sessions this session may not end (it
    began since), or None."""
    since = await protected_since(runtime, principal.account_id)
    if since is None:
        return None
    mine = (await sessions.started_at(principal.account_id)).get(principal.session_id)
    return since if mine is not None and mine >= since else None


async def check_session_end(runtime: AccountsRuntime, principal: Principal, public_id: str) -> None:
    """A session opened since a counter re-enrolment cannot end one open before it."""
    since = await session_end_since(runtime, principal)
    if since is None or public_id == principal.session_id:
        return
    started = (await sessions.started_at(principal.account_id)).get(public_id)
    if started is not None and started < since:
        raise _kept(
            N_(
                "Phiên này mở từ trước lần cấp lại khóa tại quầy. Để thiết bị cũ vẫn được "
                "báo, chỉ kết thúc được phiên này từ chính thiết bị đó, hoặc từ %(date)s.",
                date=Moment(kept_until(since)),
            )
        )
