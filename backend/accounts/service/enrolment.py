"""Enrolment links: how an official registers their first passkey, and how a person
who lost every passkey and recovery code registers a new one after an ID check at a
counter (a re-enrolment: the link reaches the person's own phone only as a QR code,
lives minutes, adds the passkey and replaces the recovery codes; what it leaves behind
so that the official cannot take the account over is ``reenrolment``'s)."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.accounts import audit, sessions, validation
from backend.accounts import webauthn as ceremony
from backend.accounts.runtime import ENROLMENT_TTL, AccountsRuntime
from backend.accounts.schemas import (
    AccountRead,
    EnrolmentIn,
    LinkIssued,
    Principal,
    ReenrolmentIn,
    ReenrolmentIssued,
)
from backend.accounts.service.links import link_token, link_used, usable
from backend.accounts.service.passkeys import insert_passkey, refuse_known_credential
from backend.accounts.service.people import (
    Client,
    account_disabled,
    get_account,
    identity_required,
    registering,
)
from backend.accounts.service.recovery import new_recovery_codes, store_recovery_codes
from backend.accounts.service.reenrolment import tell_devices
from backend.accounts.tables import Account, EnrolmentLink
from backend.accounts.webauthn import PasskeyRejected
from backend.db import write_transaction
from backend.documents import qr_svg
from backend.errors import AppError, NotFound, Problems
from backend.i18n import N_


class EnrolmentInfo(msgspec.Struct, frozen=True, kw_only=True):
    """An enrolment link and the account it is for."""

    link_id: int
    purpose: str  # "staff" (a new official) | "reenrol"
    expires_at: dt.datetime
    used_at: dt.datetime | None
    created_at: dt.datetime
    issued_by: int | None
    account_id: int
    full_name: str
    kind: str
    disabled_at: dt.datetime | None


def enrolment_url(runtime: AccountsRuntime, token: str) -> str:
    return f"{runtime.public_url}/kich-hoat/{token}"


async def issue_enrolment(
    runtime: AccountsRuntime,
    account_id: int,
    purpose: str,
    issued_by: int | None,
    ttl: dt.timedelta = ENROLMENT_TTL,
) -> LinkIssued:
    token = link_token()
    now = runtime.clock()
    expires_at = now + ttl
    async with write_transaction():
        await EnrolmentLink.insert(
            EnrolmentLink(
                token_hash=sessions.token_digest(token),
                account=account_id,
                purpose=purpose,
                issued_by=issued_by,
                expires_at=expires_at,
                created_at=now,
            )
        )
    return LinkIssued(url=enrolment_url(runtime, token), expires_at=expires_at)


async def enrolment_info(runtime: AccountsRuntime, token: str) -> EnrolmentInfo:
    rows = await EnrolmentLink.select(
        EnrolmentLink.id.as_alias("link_id"),
        EnrolmentLink.purpose,
        EnrolmentLink.expires_at,
        EnrolmentLink.used_at,
        EnrolmentLink.created_at,
        EnrolmentLink.issued_by,
        EnrolmentLink.account.id.as_alias("account_id"),
        EnrolmentLink.account.full_name.as_alias("full_name"),
        EnrolmentLink.account.kind.as_alias("kind"),
        EnrolmentLink.account.disabled_at.as_alias("disabled_at"),
    ).where(EnrolmentLink.token_hash == sessions.token_digest(token))
    info = usable(runtime, msgspec.convert(rows[0], EnrolmentInfo) if rows else None)
    if info.disabled_at is not None:
        raise account_disabled()
    return info


async def enrolment_options(runtime: AccountsRuntime, token: str, client: Client) -> bytes:
    await runtime.limiter.check_address("enrol", client.address)
    info = await enrolment_info(runtime, token)
    if info.kind == "staff" and runtime.staff_identity_required:
        raise identity_required()
    account = await registering(info.account_id)
    challenge = await ceremony.issue_challenge(
        runtime, "enrol", account_id=info.account_id, data={"link_id": info.link_id}
    )
    return ceremony.registration_options(
        runtime,
        challenge,
        user_handle=account.user_handle,
        user_name=account.user_name,
        display_name=account.full_name,
    )


async def finish_enrolment(
    runtime: AccountsRuntime, data: EnrolmentIn, client: Client, old_session: str | None
) -> tuple[AccountRead, list[str], str]:
    """Register the passkey of an enrolment link; the link is spent. A re-enrolment
    (a person who lost every passkey) also replaces the recovery codes and tells the
    person's devices and inbox; their old passkeys and sessions stay, so that whoever
    holds them can disown it. Returns the account, new recovery codes (re-enrolment
    only) and the session token."""
    await runtime.limiter.check_address("enrol", client.address)
    try:
        info = await enrolment_info(runtime, data.token)
    except AppError as error:
        await audit.record(runtime, "enrolment_failed", address=client.address, reason=error.code)
        raise
    try:
        parsed, challenge = ceremony.parse_registration(data.credential)
        consumed = await ceremony.consume_challenge(
            runtime, challenge, "enrol", account_id=info.account_id
        )
        if consumed.data.get("link_id") != info.link_id:
            raise PasskeyRejected("wrong_flow")
        passkey = ceremony.verify_registration(runtime, parsed, consumed)
    except PasskeyRejected as error:
        await audit.record(
            runtime,
            "enrolment_failed",
            subject_id=info.account_id,
            address=client.address,
            reason=error.code,
        )
        raise
    reenrol = info.purpose == "reenrol"
    codes, hashes = await new_recovery_codes(runtime) if reenrol else ([], [])
    now = runtime.clock()
    async with write_transaction():
        spent = (
            await EnrolmentLink.update({EnrolmentLink.used_at: now})
            .where((EnrolmentLink.id == info.link_id) & EnrolmentLink.used_at.is_null())
            .returning(EnrolmentLink.id)
        )
        if not spent:
            raise link_used()
        await refuse_known_credential(passkey.credential_id)
        passkey_id = await insert_passkey(info.account_id, passkey, data.name or client.device, now)
        agency = None
        if reenrol:
            await store_recovery_codes(info.account_id, hashes, now)
            agency = await tell_devices(
                runtime,
                link_id=info.link_id,
                account_id=info.account_id,
                link_created=info.created_at,
                issued_by=info.issued_by,
                now=now,
            )
    if not reenrol:
        await sessions.end_all(info.account_id)
    if old_session:
        await sessions.end_by_token(old_session)
    token = await sessions.start(runtime, info.account_id, client.device, method="enrolment")
    await audit.record(
        runtime,
        "enrolment_used",
        actor_id=info.account_id,
        subject_id=info.account_id,
        address=client.address,
        kind=info.purpose,
        link_id=info.link_id,
        passkey_id=passkey_id,
        **({"issued_by": info.issued_by, "agency": agency} if reenrol else {}),
    )
    return await get_account(info.account_id), codes, token


async def issue_reenrolment(
    runtime: AccountsRuntime, official: Principal, data: ReenrolmentIn, client: Client
) -> ReenrolmentIssued:
    """At a counter, after checking the person's ID card: a one-time link, for minutes,
    to register a new passkey for a person who lost every passkey and recovery code.
    The official gets it only as a QR code for the person's own phone to scan; a new
    link replaces any unused one of the same person."""
    problems = Problems()
    with problems.noting():
        phone = validation.phone(data.phone)
    if not data.identity_checked:
        problems.add(
            "identity_checked",
            N_("Hãy kiểm tra căn cước công dân của người dân trước khi cấp liên kết."),
        )
    problems.raise_any()
    rows = await Account.select(Account.id, Account.full_name).where(
        (Account.phone == phone) & (Account.kind == "citizen")
    )
    if not rows:
        raise NotFound(N_("Không có tài khoản nào dùng số điện thoại này."), field="phone")
    account_id = int(rows[0]["id"])
    async with write_transaction():
        await EnrolmentLink.delete().where(
            (EnrolmentLink.account == account_id)
            & (EnrolmentLink.purpose == "reenrol")
            & EnrolmentLink.used_at.is_null()
        )
        link = await issue_enrolment(
            runtime, account_id, "reenrol", official.account_id, runtime.reenrol_ttl
        )
    await audit.record(
        runtime,
        "reenrolment_issued",
        actor_id=official.account_id,
        subject_id=account_id,
        address=client.address,
        agency=official.agency_code,
        expires_at=link.expires_at.isoformat(),
    )
    return ReenrolmentIssued(
        # No title in the SVG: it would carry the link as text.
        qr_svg=qr_svg(link.url).decode(),
        expires_at=link.expires_at,
        account_id=account_id,
        full_name=str(rows[0]["full_name"]),
    )
