"""Rules and queries of accounts: sign-up and sign-in with passkeys, passkeys and
sessions of a person, recovery, organisations and their members, officials.

Every function that changes something records an audit event; every function that
reads or changes an object of a person checks it is theirs and answers "not found"
otherwise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec
from argon2.exceptions import InvalidHashError, VerificationError
from webauthn.helpers import bytes_to_base64url

from backend.accounts import audit, sessions, validation
from backend.accounts import webauthn as ceremony
from backend.accounts.runtime import ENROLMENT_TTL, INVITATION_TTL, AccountsRuntime
from backend.accounts.schemas import (
    ROLES,
    AccountRead,
    CredentialIn,
    EnrolmentIn,
    InvitationRead,
    LinkIssued,
    OrganisationCreate,
    OrganisationDetail,
    OrganisationRead,
    PasskeyRead,
    Principal,
    RecoveryIn,
    ReenrolmentIn,
    ReenrolmentIssued,
    SignUp,
    StaffCreate,
    StaffCreated,
    StaffRead,
    StaffUpdate,
)
from backend.accounts.tables import (
    Account,
    EnrolmentLink,
    Invitation,
    Membership,
    Organisation,
    Passkey,
    RecoveryCode,
    Session,
)
from backend.accounts.webauthn import PasskeyRejected
from backend.catalogue import service as catalogue
from backend.db import write_transaction
from backend.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized

RECOVERY_CODE_COUNT = 10
# Crockford's base32 without I, L, O, U: nothing to confuse when copied by hand.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LOOKALIKES = str.maketrans("OIL", "011")
AFTER_RECOVERY = "/tai-khoan/thiet-bi?them-khoa=1"


class LinkUnusable(AppError):
    """An enrolment or invitation link that was used already or has expired."""

    status_code = 410
    code = "link_unusable"


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request comes from, for rate limits and the audit log."""

    address: str
    device: str


# ----------------------------------------------------------------------- accounts


async def get_account(account_id: int) -> AccountRead:
    rows = await Account.select(*_ACCOUNT_COLUMNS).where(Account.id == account_id)
    if not rows:
        raise NotFound("Không tìm thấy tài khoản.", "No such account.", field="account")
    return msgspec.convert(rows[0], AccountRead)


_ACCOUNT_COLUMNS = (
    Account.id,
    Account.kind,
    Account.full_name,
    Account.phone,
    Account.email,
    Account.citizen_id,
    Account.role,
    Account.agency_code,
)


def _new_user_handle() -> str:
    return bytes_to_base64url(secrets.token_bytes(32))


def _phone_taken() -> Conflict:
    return Conflict(
        "Số điện thoại này đã có tài khoản. Hãy đăng nhập, hoặc dùng mã khôi phục nếu mất "
        "điện thoại.",
        "This phone number already has an account. Sign in, or use a recovery code if you "
        "lost your phone.",
        field="phone",
    )


def _sign_up_fields(data: SignUp) -> dict[str, Any]:
    return {
        "full_name": validation.full_name(data.full_name),
        "phone": validation.phone(data.phone),
        "email": validation.email(data.email) if data.email and data.email.strip() else None,
        "citizen_id": validation.citizen_id(data.citizen_id)
        if data.citizen_id and data.citizen_id.strip()
        else None,
    }


async def sign_up_options(runtime: AccountsRuntime, data: SignUp, client: Client) -> bytes:
    await runtime.limiter.check_address("sign_up", client.address)
    fields = _sign_up_fields(data)
    if await Account.exists().where(Account.phone == fields["phone"]):
        raise _phone_taken()
    user_handle = _new_user_handle()
    challenge = await ceremony.issue_challenge(
        runtime, "sign_up", data={**fields, "user_handle": user_handle}
    )
    return ceremony.registration_options(
        runtime,
        challenge,
        user_handle=user_handle,
        user_name=fields["phone"],
        display_name=fields["full_name"],
    )


async def finish_sign_up(
    runtime: AccountsRuntime, data: CredentialIn, client: Client
) -> tuple[AccountRead, list[str], str]:
    """Create the account with its first passkey and recovery codes; return it, the
    codes (shown once) and the new session's token."""
    await runtime.limiter.check_address("sign_up", client.address)
    try:
        parsed, challenge = ceremony.parse_registration(data.credential)
        consumed = await ceremony.consume_challenge(runtime, challenge, "sign_up")
        passkey = ceremony.verify_registration(runtime, parsed, consumed)
    except PasskeyRejected as error:
        await audit.record(runtime, "sign_up_failed", address=client.address, reason=error.code)
        raise
    fields = consumed.data
    codes, hashes = await _new_recovery_codes(runtime)
    now = runtime.clock()
    async with write_transaction():
        if await Account.exists().where(Account.phone == fields["phone"]):
            raise _phone_taken()
        await _refuse_known_credential(passkey.credential_id)
        rows = await Account.insert(
            Account(
                kind="citizen",
                full_name=fields["full_name"],
                phone=fields["phone"],
                email=fields["email"],
                citizen_id=fields["citizen_id"],
                user_handle=fields["user_handle"],
                created_at=now,
            )
        ).returning(Account.id)
        account_id = rows[0]["id"]
        await _insert_passkey(account_id, passkey, data.name or client.device, now)
        await _insert_recovery_codes(account_id, hashes, now)
    await audit.record(
        runtime, "sign_up", actor_id=account_id, subject_id=account_id, address=client.address
    )
    token = await sessions.start(runtime, account_id, client.device)
    return await get_account(account_id), codes, token


async def _refuse_known_credential(credential_id: str) -> None:
    if await Passkey.exists().where(Passkey.credential_id == credential_id):
        raise PasskeyRejected("already_registered")


async def _insert_passkey(
    account_id: int, passkey: ceremony.NewPasskey, name: str, now: dt.datetime
) -> int:
    rows = await Passkey.insert(
        Passkey(
            account=account_id,
            credential_id=passkey.credential_id,
            public_key=passkey.public_key,
            sign_count=passkey.sign_count,
            name=_passkey_name(name),
            transports=passkey.transports,
            backed_up=passkey.backed_up,
            created_at=now,
        )
    ).returning(Passkey.id)
    return int(rows[0]["id"])


def _passkey_name(name: str) -> str:
    clean = " ".join(name.split())[:60]
    return clean or "Khóa truy cập"


# ------------------------------------------------------------------------ sign-in


async def sign_in_options(runtime: AccountsRuntime, client: Client) -> bytes:
    await runtime.limiter.check_address("sign_in", client.address)
    challenge = await ceremony.issue_challenge(runtime, "sign_in")
    return ceremony.authentication_options(runtime, challenge)


async def finish_sign_in(
    runtime: AccountsRuntime, data: CredentialIn, client: Client, old_session: str | None
) -> tuple[AccountRead, str]:
    """Check the assertion; a new session (the old one, if any, ends); its token."""
    await runtime.limiter.check_address("sign_in", client.address)
    account_id: int | None = None
    try:
        parsed, challenge = ceremony.parse_authentication(data.credential)
        consumed = await ceremony.consume_challenge(runtime, challenge, "sign_in")
        rows = await Passkey.select(
            Passkey.id,
            Passkey.public_key,
            Passkey.sign_count,
            Passkey.account.id.as_alias("account_id"),
            Passkey.account.user_handle.as_alias("user_handle"),
            Passkey.account.disabled_at.as_alias("disabled_at"),
        ).where(Passkey.credential_id == bytes_to_base64url(parsed.raw_id))
        if not rows:
            raise PasskeyRejected("unknown_credential")
        row = rows[0]
        account_id = int(row["account_id"])
        handle = parsed.response.user_handle
        if handle is not None and bytes_to_base64url(handle) != row["user_handle"]:
            raise PasskeyRejected("wrong_account")
        await runtime.limiter.check_account("sign_in", account_id)
        counter = ceremony.verify_authentication(
            runtime, parsed, consumed, public_key=bytes(row["public_key"])
        )
        if ceremony.counter_regressed(int(row["sign_count"]), counter):
            await audit.record(
                runtime,
                "possible_cloned_authenticator",
                subject_id=account_id,
                address=client.address,
                passkey_id=row["id"],
                stored_counter=int(row["sign_count"]),
                reported_counter=counter,
            )
            raise PasskeyRejected("cloned_authenticator")
    except PasskeyRejected as error:
        error.status_code = 401
        await audit.record(
            runtime,
            "sign_in_failed",
            subject_id=account_id,
            address=client.address,
            reason=error.code,
        )
        raise
    if row["disabled_at"] is not None:
        await audit.record(
            runtime,
            "sign_in_failed",
            subject_id=account_id,
            address=client.address,
            reason="account_disabled",
        )
        raise _disabled()
    async with write_transaction():
        await Passkey.update(
            {Passkey.sign_count: counter, Passkey.last_used_at: runtime.clock()}
        ).where(Passkey.id == row["id"])
    if old_session:
        await sessions.end_by_token(old_session)
    token = await sessions.start(runtime, account_id, client.device)
    await audit.record(
        runtime, "sign_in", actor_id=account_id, subject_id=account_id, address=client.address
    )
    return await get_account(account_id), token


def _disabled() -> Forbidden:
    error = Forbidden(
        "Tài khoản này đã bị khóa. Vui lòng liên hệ bộ phận một cửa để được hỗ trợ.",
        "This account is disabled. Please contact the one-stop counter for help.",
    )
    error.code = "account_disabled"
    return error


async def sign_out(runtime: AccountsRuntime, principal: Principal, client: Client) -> None:
    await sessions.end(principal.session_id)
    await audit.record(
        runtime,
        "sign_out",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
    )


async def sign_out_everywhere(
    runtime: AccountsRuntime, principal: Principal, client: Client
) -> int:
    ended = await sessions.end_all(principal.account_id)
    await audit.record(
        runtime,
        "sign_out_everywhere",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        sessions=ended,
    )
    return ended


async def end_session(
    runtime: AccountsRuntime, principal: Principal, public_id: str, client: Client
) -> None:
    await sessions.end_for_account(principal.account_id, public_id)
    await audit.record(
        runtime,
        "session_ended",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
    )


# ----------------------------------------------------------------------- passkeys


async def list_passkeys(principal: Principal) -> list[PasskeyRead]:
    rows = (
        await Passkey.select(
            Passkey.id, Passkey.name, Passkey.created_at, Passkey.last_used_at, Passkey.backed_up
        )
        .where(Passkey.account == principal.account_id)
        .order_by(Passkey.id)
    )
    return msgspec.convert(rows, list[PasskeyRead], strict=False)


async def add_passkey_options(
    runtime: AccountsRuntime, principal: Principal, client: Client
) -> bytes:
    await runtime.limiter.check_address("add_passkey", client.address)
    rows = await Account.select(Account.user_handle, Account.phone, Account.full_name).where(
        Account.id == principal.account_id
    )
    existing = await Passkey.select(Passkey.credential_id).where(
        Passkey.account == principal.account_id
    )
    challenge = await ceremony.issue_challenge(
        runtime, "add_passkey", account_id=principal.account_id
    )
    return ceremony.registration_options(
        runtime,
        challenge,
        user_handle=rows[0]["user_handle"],
        user_name=rows[0]["phone"] or rows[0]["full_name"],
        display_name=rows[0]["full_name"],
        exclude=[row["credential_id"] for row in existing],
    )


async def finish_add_passkey(
    runtime: AccountsRuntime, principal: Principal, data: CredentialIn, client: Client
) -> PasskeyRead:
    await runtime.limiter.check_address("add_passkey", client.address)
    try:
        parsed, challenge = ceremony.parse_registration(data.credential)
        consumed = await ceremony.consume_challenge(
            runtime, challenge, "add_passkey", account_id=principal.account_id
        )
        passkey = ceremony.verify_registration(runtime, parsed, consumed)
        await _refuse_known_credential(passkey.credential_id)
    except PasskeyRejected as error:
        await audit.record(
            runtime,
            "passkey_rejected",
            actor_id=principal.account_id,
            subject_id=principal.account_id,
            address=client.address,
            reason=error.code,
        )
        raise
    async with write_transaction():
        passkey_id = await _insert_passkey(
            principal.account_id, passkey, data.name or client.device, runtime.clock()
        )
    await audit.record(
        runtime,
        "passkey_added",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        passkey_id=passkey_id,
    )
    return await _own_passkey(principal, passkey_id)


async def _own_passkey(principal: Principal, passkey_id: int) -> PasskeyRead:
    rows = await Passkey.select(
        Passkey.id, Passkey.name, Passkey.created_at, Passkey.last_used_at, Passkey.backed_up
    ).where((Passkey.id == passkey_id) & (Passkey.account == principal.account_id))
    if not rows:
        raise NotFound("Không tìm thấy khóa truy cập này.", "No such passkey.", field="id")
    return msgspec.convert(rows[0], PasskeyRead, strict=False)


async def rename_passkey(
    runtime: AccountsRuntime, principal: Principal, passkey_id: int, name: str, client: Client
) -> PasskeyRead:
    await _own_passkey(principal, passkey_id)
    clean = validation.optional_text(
        name, field="name", low=1, high=60, vi="Tên khóa truy cập", en="The passkey's name"
    )
    async with write_transaction():
        await Passkey.update({Passkey.name: clean}).where(
            (Passkey.id == passkey_id) & (Passkey.account == principal.account_id)
        )
    await audit.record(
        runtime,
        "passkey_renamed",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        passkey_id=passkey_id,
    )
    return await _own_passkey(principal, passkey_id)


async def remove_passkey(
    runtime: AccountsRuntime, principal: Principal, passkey_id: int, client: Client
) -> None:
    async with write_transaction():
        await _own_passkey(principal, passkey_id)
        if await Passkey.count().where(Passkey.account == principal.account_id) <= 1:
            raise Conflict(
                "Đây là khóa truy cập duy nhất của bạn. Hãy thêm khóa khác trước khi xóa nó.",
                "This is your only passkey. Add another one before removing it.",
                field="id",
            )
        await Passkey.delete().where(
            (Passkey.id == passkey_id) & (Passkey.account == principal.account_id)
        )
    await audit.record(
        runtime,
        "passkey_removed",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        passkey_id=passkey_id,
    )


# ----------------------------------------------------------------------- recovery


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    raw = "".join(code.split()).replace("-", "").upper()
    raw = raw.translate(_CODE_LOOKALIKES)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else raw


async def _new_recovery_codes(runtime: AccountsRuntime) -> tuple[list[str], list[str]]:
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    hashes = await asyncio.to_thread(lambda: [runtime.hasher.hash(code) for code in codes])
    return codes, hashes


async def _insert_recovery_codes(account_id: int, hashes: list[str], now: dt.datetime) -> None:
    await RecoveryCode.delete().where(RecoveryCode.account == account_id)
    await RecoveryCode.insert(
        *(RecoveryCode(account=account_id, code_hash=h, created_at=now) for h in hashes)
    )


async def renew_recovery_codes(
    runtime: AccountsRuntime, principal: Principal, client: Client
) -> list[str]:
    """New codes replace the old ones (which stop working); citizens only."""
    if principal.kind != "citizen":
        raise Forbidden(
            "Cán bộ khôi phục đăng nhập qua quản trị viên, không dùng mã khôi phục.",
            "Officials recover access through an administrator, not recovery codes.",
        )
    codes, hashes = await _new_recovery_codes(runtime)
    async with write_transaction():
        await _insert_recovery_codes(principal.account_id, hashes, runtime.clock())
    await audit.record(
        runtime,
        "recovery_codes_renewed",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
    )
    return codes


async def recovery_codes_left(principal: Principal) -> int:
    return int(
        await RecoveryCode.count().where(
            (RecoveryCode.account == principal.account_id) & RecoveryCode.used_at.is_null()
        )
    )


def _recovery_failed() -> Unauthorized:
    error = Unauthorized(
        "Số điện thoại hoặc mã khôi phục không đúng, hoặc mã đã được dùng.",
        "The phone number or the recovery code is wrong, or the code was used already.",
        field="code",
    )
    error.code = "recovery_failed"
    return error


async def recover(
    runtime: AccountsRuntime, data: RecoveryIn, client: Client, old_session: str | None
) -> tuple[AccountRead, str]:
    """Sign in once with a recovery code: every other session ends, and the person is
    sent straight on to register a new passkey."""
    await runtime.limiter.check_address("recovery", client.address)
    phone = validation.phone(data.phone)
    code = normalise_code(data.code)
    rows = await Account.select(Account.id, Account.disabled_at).where(
        (Account.phone == phone) & (Account.kind == "citizen")
    )
    if not rows:
        await audit.record(runtime, "recovery_failed", address=client.address, reason="unknown")
        raise _recovery_failed()
    account_id = int(rows[0]["id"])
    await runtime.limiter.check_account("recovery", account_id)
    candidates = await RecoveryCode.select(RecoveryCode.id, RecoveryCode.code_hash).where(
        (RecoveryCode.account == account_id) & RecoveryCode.used_at.is_null()
    )
    matched = await asyncio.to_thread(_match_code, runtime, candidates, code)
    used = []
    if matched is not None:
        async with write_transaction():
            used = (
                await RecoveryCode.update({RecoveryCode.used_at: runtime.clock()})
                .where((RecoveryCode.id == matched) & RecoveryCode.used_at.is_null())
                .returning(RecoveryCode.id)
            )
    if not used:
        await audit.record(
            runtime,
            "recovery_failed",
            subject_id=account_id,
            address=client.address,
            reason="wrong_or_used_code",
        )
        raise _recovery_failed()
    if rows[0]["disabled_at"] is not None:
        raise _disabled()
    await sessions.end_all(account_id)
    if old_session:
        await sessions.end_by_token(old_session)
    token = await sessions.start(runtime, account_id, client.device)
    await audit.record(
        runtime,
        "recovery_used",
        actor_id=account_id,
        subject_id=account_id,
        address=client.address,
        codes_left=len(candidates) - 1,
    )
    return await get_account(account_id), token


def _match_code(
    runtime: AccountsRuntime, candidates: list[dict[str, Any]], code: str
) -> int | None:
    for candidate in candidates:
        try:
            runtime.hasher.verify(candidate["code_hash"], code)
        except (VerificationError, InvalidHashError):
            continue
        return int(candidate["id"])
    return None


# ---------------------------------------------------------------- enrolment links


def _link_token() -> str:
    return secrets.token_urlsafe(32)


def enrolment_url(runtime: AccountsRuntime, token: str) -> str:
    return f"{runtime.public_url}/kich-hoat/{token}"


async def _issue_enrolment(
    runtime: AccountsRuntime, account_id: int, purpose: str, issued_by: int | None
) -> LinkIssued:
    token = _link_token()
    now = runtime.clock()
    expires_at = now + ENROLMENT_TTL
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


def _link_used() -> LinkUnusable:
    return LinkUnusable(
        "Liên kết này đã được dùng. Mỗi liên kết chỉ dùng được một lần; hãy xin liên kết mới.",
        "This link was used already. Each link works once; ask for a new one.",
    )


def _link_expired() -> LinkUnusable:
    return LinkUnusable(
        "Liên kết này đã hết hạn. Hãy xin liên kết mới.",
        "This link has expired. Ask for a new one.",
    )


def _link_unknown() -> NotFound:
    return NotFound(
        "Liên kết không đúng. Hãy kiểm tra lại, hoặc xin liên kết mới.",
        "This link is not right. Check it, or ask for a new one.",
        field="token",
    )


def _usable_link(runtime: AccountsRuntime, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The row of a one-time link (enrolment or invitation) found by its token, if it
    can still be used: known, unused and unexpired."""
    if not rows:
        raise _link_unknown()
    row = rows[0]
    if row["used_at"] is not None:
        raise _link_used()
    if row["expires_at"] <= runtime.clock():
        raise _link_expired()
    return dict(row)


@dataclass(frozen=True, slots=True)
class EnrolmentInfo:
    link_id: int
    account_id: int
    purpose: str
    full_name: str
    kind: str


async def enrolment_info(runtime: AccountsRuntime, token: str) -> EnrolmentInfo:
    rows = await EnrolmentLink.select(
        EnrolmentLink.id,
        EnrolmentLink.purpose,
        EnrolmentLink.expires_at,
        EnrolmentLink.used_at,
        EnrolmentLink.account.id.as_alias("account_id"),
        EnrolmentLink.account.full_name.as_alias("full_name"),
        EnrolmentLink.account.kind.as_alias("kind"),
        EnrolmentLink.account.disabled_at.as_alias("disabled_at"),
    ).where(EnrolmentLink.token_hash == sessions.token_digest(token))
    row = _usable_link(runtime, rows)
    if row["disabled_at"] is not None:
        raise _disabled()
    return EnrolmentInfo(
        link_id=row["id"],
        account_id=row["account_id"],
        purpose=row["purpose"],
        full_name=row["full_name"],
        kind=row["kind"],
    )


async def enrolment_options(runtime: AccountsRuntime, token: str, client: Client) -> bytes:
    await runtime.limiter.check_address("enrol", client.address)
    info = await enrolment_info(runtime, token)
    rows = await Account.select(Account.user_handle, Account.phone, Account.full_name).where(
        Account.id == info.account_id
    )
    challenge = await ceremony.issue_challenge(
        runtime, "enrol", account_id=info.account_id, data={"link_id": info.link_id}
    )
    return ceremony.registration_options(
        runtime,
        challenge,
        user_handle=rows[0]["user_handle"],
        user_name=rows[0]["phone"] or rows[0]["full_name"],
        display_name=rows[0]["full_name"],
    )


async def finish_enrolment(
    runtime: AccountsRuntime, data: EnrolmentIn, client: Client, old_session: str | None
) -> tuple[AccountRead, list[str], str]:
    """Register the passkey of an enrolment link; the link is spent. A re-enrolment
    (a person who lost every passkey) also replaces the old passkeys and recovery codes.
    Returns the account, new recovery codes (re-enrolment only) and the session token."""
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
    codes, hashes = await _new_recovery_codes(runtime) if reenrol else ([], [])
    now = runtime.clock()
    async with write_transaction():
        spent = (
            await EnrolmentLink.update({EnrolmentLink.used_at: now})
            .where((EnrolmentLink.id == info.link_id) & EnrolmentLink.used_at.is_null())
            .returning(EnrolmentLink.id)
        )
        if not spent:
            raise _link_used()
        await _refuse_known_credential(passkey.credential_id)
        if reenrol:
            await Passkey.delete().where(Passkey.account == info.account_id)
            await _insert_recovery_codes(info.account_id, hashes, now)
        await _insert_passkey(info.account_id, passkey, data.name or client.device, now)
    await sessions.end_all(info.account_id)
    if old_session:
        await sessions.end_by_token(old_session)
    token = await sessions.start(runtime, info.account_id, client.device)
    await audit.record(
        runtime,
        "enrolment_used",
        actor_id=info.account_id,
        subject_id=info.account_id,
        address=client.address,
        kind=info.purpose,
    )
    return await get_account(info.account_id), codes, token


async def issue_reenrolment(
    runtime: AccountsRuntime, official: Principal, data: ReenrolmentIn, client: Client
) -> ReenrolmentIssued:
    """At a counter, after checking the person's ID card: a one-time link to register
    a new passkey for a person who lost every passkey and recovery code."""
    if not data.identity_checked:
        raise InvalidInput(
            "Hãy kiểm tra căn cước công dân của người dân trước khi cấp liên kết.",
            "Check the person's citizen ID card before issuing the link.",
            field="identity_checked",
        )
    phone = validation.phone(data.phone)
    rows = await Account.select(Account.id, Account.full_name).where(
        (Account.phone == phone) & (Account.kind == "citizen")
    )
    if not rows:
        raise NotFound(
            "Không có tài khoản nào dùng số điện thoại này.",
            "No account uses this phone number.",
            field="phone",
        )
    account_id = int(rows[0]["id"])
    link = await _issue_enrolment(runtime, account_id, "reenrol", official.account_id)
    await audit.record(
        runtime,
        "reenrolment_issued",
        actor_id=official.account_id,
        subject_id=account_id,
        address=client.address,
        agency=official.agency_code,
    )
    return ReenrolmentIssued(
        url=link.url,
        expires_at=link.expires_at,
        account_id=account_id,
        full_name=rows[0]["full_name"],
    )


# ---------------------------------------------------------------------- officials


async def _check_agency(code: str) -> str:
    try:
        agency = await catalogue.get_agency(code)
    except NotFound:
        raise InvalidInput(
            f"Không có cơ quan nào có mã {code}.",
            f"No agency has the code {code}.",
            field="agency_code",
        ) from None
    return agency.code


async def create_staff(
    runtime: AccountsRuntime,
    data: StaffCreate,
    *,
    actor: Principal | None = None,
    address: str | None = None,
) -> StaffCreated:
    """A new official and their one-time enrolment link (24 hours). From the command
    line (no actor) any agency; an administrator creates officials of their agency."""
    if data.role not in ROLES:
        raise InvalidInput("Vai trò không hợp lệ.", "Unknown role.", field="role")
    name = validation.full_name(data.full_name)
    agency_code = data.agency_code if actor is None else actor.agency_code
    if data.agency_code is not None and actor is not None and data.agency_code != agency_code:
        raise Forbidden(
            "Bạn chỉ tạo được cán bộ của cơ quan mình.",
            "You can only create officials of your own agency.",
            field="agency_code",
        )
    if not agency_code:
        raise InvalidInput("Hãy chọn cơ quan.", "Choose an agency.", field="agency_code")
    agency_code = await _check_agency(agency_code)
    async with write_transaction():
        rows = await Account.insert(
            Account(
                kind="staff",
                full_name=name,
                role=data.role,
                agency_code=agency_code,
                user_handle=_new_user_handle(),
                created_at=runtime.clock(),
            )
        ).returning(Account.id)
    account_id = int(rows[0]["id"])
    link = await _issue_enrolment(runtime, account_id, "staff", actor.account_id if actor else None)
    actor_id = actor.account_id if actor else None
    await audit.record(
        runtime,
        "staff_created",
        actor_id=actor_id,
        subject_id=account_id,
        address=address,
        role=data.role,
        agency=agency_code,
    )
    await audit.record(
        runtime, "enrolment_issued", actor_id=actor_id, subject_id=account_id, address=address
    )
    return StaffCreated(official=await _staff(account_id, agency_code), enrolment=link)


async def _staff(account_id: int, agency_code: str | None) -> StaffRead:
    """An official of this agency (any agency when None), else not found."""
    query = Account.select(
        Account.id, Account.full_name, Account.role, Account.agency_code, Account.disabled_at
    ).where((Account.id == account_id) & (Account.kind == "staff"))
    if agency_code is not None:
        query = query.where(Account.agency_code == agency_code)
    rows = await query
    if not rows:
        raise NotFound("Không tìm thấy cán bộ này.", "No such official.", field="id")
    return await _staff_read(rows[0])


async def _staff_read(row: dict[str, Any]) -> StaffRead:
    return StaffRead(
        id=row["id"],
        full_name=row["full_name"],
        role=row["role"],
        agency_code=row["agency_code"],
        disabled=row["disabled_at"] is not None,
        passkeys=int(await Passkey.count().where(Passkey.account == row["id"])),
    )


async def list_staff(admin: Principal) -> list[StaffRead]:
    rows = (
        await Account.select(
            Account.id, Account.full_name, Account.role, Account.agency_code, Account.disabled_at
        )
        .where((Account.kind == "staff") & (Account.agency_code == admin.agency_code))
        .order_by(Account.full_name)
    )
    return [await _staff_read(row) for row in rows]


async def update_staff(
    runtime: AccountsRuntime,
    admin: Principal,
    staff_id: int,
    data: StaffUpdate,
    client: Client,
) -> StaffRead:
    current = await _staff(staff_id, admin.agency_code)
    if staff_id == admin.account_id:
        raise Conflict(
            "Bạn không thể tự đổi vai trò hoặc tự khóa tài khoản của mình.",
            "You cannot change your own role or disable your own account.",
        )
    if not isinstance(data.role, msgspec.UnsetType) and data.role != current.role:
        async with write_transaction():
            await Account.update({Account.role: data.role}).where(Account.id == staff_id)
        await sessions.end_all(staff_id)  # the new role applies from the next sign-in
        await audit.record(
            runtime,
            "role_changed",
            actor_id=admin.account_id,
            subject_id=staff_id,
            address=client.address,
            role=data.role,
            previous=current.role,
        )
    if not isinstance(data.disabled, msgspec.UnsetType) and data.disabled != current.disabled:
        await set_disabled(
            runtime, staff_id, data.disabled, actor_id=admin.account_id, address=client.address
        )
    return await _staff(staff_id, admin.agency_code)


async def issue_staff_enrolment(
    runtime: AccountsRuntime, admin: Principal, staff_id: int, client: Client
) -> LinkIssued:
    """A new enrolment link for an official who lost their passkey."""
    await _staff(staff_id, admin.agency_code)
    link = await _issue_enrolment(runtime, staff_id, "staff", admin.account_id)
    await audit.record(
        runtime,
        "enrolment_issued",
        actor_id=admin.account_id,
        subject_id=staff_id,
        address=client.address,
    )
    return link


async def set_disabled(
    runtime: AccountsRuntime,
    account_id: int,
    disabled: bool,
    *,
    actor_id: int | None = None,
    address: str | None = None,
) -> None:
    """Disable (every session ends at once) or enable an account."""
    async with write_transaction():
        rows = (
            await Account.update({Account.disabled_at: runtime.clock() if disabled else None})
            .where(Account.id == account_id)
            .returning(Account.id)
        )
    if not rows:
        raise NotFound("Không tìm thấy tài khoản.", "No such account.", field="account")
    if disabled:
        await sessions.end_all(account_id)
    await audit.record(
        runtime,
        "account_disabled" if disabled else "account_enabled",
        actor_id=actor_id,
        subject_id=account_id,
        address=address,
    )


# ------------------------------------------------------------------ organisations


def _citizens_only() -> Forbidden:
    return Forbidden(
        "Chỉ người dân và doanh nghiệp dùng được chức năng này.",
        "Only residents and businesses can use this.",
    )


async def register_organisation(
    runtime: AccountsRuntime, principal: Principal, data: OrganisationCreate, client: Client
) -> OrganisationRead:
    if principal.kind != "citizen":
        raise _citizens_only()
    name = validation.optional_text(
        data.name, field="name", low=2, high=200, vi="Tên tổ chức", en="The organisation's name"
    )
    tax_code = validation.tax_code(data.tax_code)
    address = validation.optional_text(
        data.address, field="address", low=5, high=300, vi="Địa chỉ", en="The address"
    )
    now = runtime.clock()
    async with write_transaction():
        if await Organisation.exists().where(Organisation.tax_code == tax_code):
            raise Conflict(
                "Tổ chức có mã số thuế này đã được đăng ký. Hãy nhờ chủ tài khoản tổ chức mời "
                "bạn làm thành viên.",
                "An organisation with this tax code is registered already. Ask its owner to "
                "invite you as a member.",
                field="tax_code",
            )
        rows = await Organisation.insert(
            Organisation(
                name=name,
                tax_code=tax_code,
                address=address,
                created_by=principal.account_id,
                created_at=now,
            )
        ).returning(Organisation.id)
        organisation_id = int(rows[0]["id"])
        await _add_member(organisation_id, principal.account_id, "owner", now)
    await audit.record(
        runtime,
        "organisation_registered",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        organisation_id=organisation_id,
    )
    return await get_organisation(principal, organisation_id)


async def _add_member(organisation_id: int, account_id: int, role: str, now: dt.datetime) -> None:
    await Membership.insert(
        Membership(
            member_key=f"{organisation_id}:{account_id}",
            organisation=organisation_id,
            account=account_id,
            role=role,
            created_at=now,
        )
    )


async def membership_role(account_id: int, organisation_id: int) -> str | None:
    """ "owner", "member" or None: for other domains acting for an organisation."""
    rows = await Membership.select(Membership.role).where(
        Membership.member_key == f"{organisation_id}:{account_id}"
    )
    return str(rows[0]["role"]) if rows else None


async def live_sessions(public_ids: set[str]) -> set[str]:
    """Which of these sessions still exist (for other domains' per-device records:
    signing out of a device ends what was tied to it)."""
    if not public_ids:
        return set()
    rows = await Session.select(Session.public_id).where(
        Session.public_id.is_in(sorted(public_ids))
    )
    return {str(row["public_id"]) for row in rows}


async def organisation_ids_of(account_id: int) -> list[int]:
    """The organisations a person acts for: for other domains' access checks."""
    rows = await Membership.select(Membership.organisation).where(Membership.account == account_id)
    return [int(row["organisation"]) for row in rows]


async def member_ids(organisation_id: int) -> list[int]:
    rows = await Membership.select(Membership.account).where(
        Membership.organisation == organisation_id
    )
    return [int(row["account"]) for row in rows]


async def officials_of(agency_code: str, roles: tuple[str, ...]) -> list[AccountRead]:
    """Active officials of an agency with one of these roles, by name."""
    rows = (
        await Account.select(*_ACCOUNT_COLUMNS)
        .where(
            (Account.kind == "staff")
            & (Account.agency_code == agency_code)
            & Account.role.is_in(list(roles))
            & Account.disabled_at.is_null()
        )
        .order_by(Account.full_name)
    )
    return msgspec.convert(rows, list[AccountRead])


async def names_of(account_ids: set[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    rows = await Account.select(Account.id, Account.full_name).where(
        Account.id.is_in(sorted(account_ids))
    )
    return {int(row["id"]): str(row["full_name"]) for row in rows}


_ORGANISATION_COLUMNS = (
    Membership.organisation.id.as_alias("id"),
    Membership.organisation.name.as_alias("name"),
    Membership.organisation.tax_code.as_alias("tax_code"),
    Membership.organisation.address.as_alias("address"),
    Membership.role.as_alias("my_role"),
)


async def my_organisations(principal: Principal) -> list[OrganisationRead]:
    rows = (
        await Membership.select(*_ORGANISATION_COLUMNS)
        .where(Membership.account == principal.account_id)
        .order_by(Membership.organisation.name)
    )
    return msgspec.convert(rows, list[OrganisationRead])


def _organisation_not_found() -> NotFound:
    return NotFound("Không tìm thấy tổ chức này.", "No such organisation.", field="id")


async def get_organisation(principal: Principal, organisation_id: int) -> OrganisationDetail:
    rows = await Membership.select(*_ORGANISATION_COLUMNS).where(
        Membership.member_key == f"{organisation_id}:{principal.account_id}"
    )
    if not rows:
        raise _organisation_not_found()
    members = (
        await Membership.select(
            Membership.account.id.as_alias("account_id"),
            Membership.account.full_name.as_alias("full_name"),
            Membership.role,
            Membership.created_at.as_alias("joined_at"),
        )
        .where(Membership.organisation == organisation_id)
        .order_by(Membership.id)
    )
    return msgspec.convert({**rows[0], "members": members}, OrganisationDetail, strict=False)


async def organisation_card(organisation_id: int) -> dict[str, str] | None:
    """An organisation's name, tax code and address, as printed on its receipts: for
    a caller that has already checked the person may act for it."""
    rows = await Organisation.select(
        Organisation.name, Organisation.tax_code, Organisation.address
    ).where(Organisation.id == organisation_id)
    return rows[0] if rows else None


async def _owned(principal: Principal, organisation_id: int) -> OrganisationDetail:
    organisation = await get_organisation(principal, organisation_id)
    if organisation.my_role != "owner":
        raise Forbidden(
            "Chỉ chủ tài khoản tổ chức làm được việc này.",
            "Only the organisation's owner can do this.",
        )
    return organisation


def invitation_url(runtime: AccountsRuntime, token: str) -> str:
    return f"{runtime.public_url}/moi/{token}"


async def create_invitation(
    runtime: AccountsRuntime, principal: Principal, organisation_id: int, client: Client
) -> LinkIssued:
    await _owned(principal, organisation_id)
    token = _link_token()
    now = runtime.clock()
    expires_at = now + INVITATION_TTL
    async with write_transaction():
        await Invitation.insert(
            Invitation(
                token_hash=sessions.token_digest(token),
                organisation=organisation_id,
                created_by=principal.account_id,
                expires_at=expires_at,
                created_at=now,
            )
        )
    await audit.record(
        runtime,
        "invitation_created",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        organisation_id=organisation_id,
    )
    return LinkIssued(url=invitation_url(runtime, token), expires_at=expires_at)


async def _invitation(runtime: AccountsRuntime, token: str) -> dict[str, Any]:
    rows = await Invitation.select(
        Invitation.id,
        Invitation.expires_at,
        Invitation.used_at,
        Invitation.organisation.id.as_alias("organisation_id"),
        Invitation.organisation.name.as_alias("organisation_name"),
        Invitation.organisation.tax_code.as_alias("tax_code"),
    ).where(Invitation.token_hash == sessions.token_digest(token))
    return _usable_link(runtime, rows)


async def invitation_info(runtime: AccountsRuntime, token: str) -> InvitationRead:
    return msgspec.convert(await _invitation(runtime, token), InvitationRead, strict=False)


async def accept_invitation(
    runtime: AccountsRuntime, principal: Principal, token: str, client: Client
) -> OrganisationRead:
    if principal.kind != "citizen":
        raise _citizens_only()
    invitation = await _invitation(runtime, token)
    organisation_id = int(invitation["organisation_id"])
    now = runtime.clock()
    async with write_transaction():
        if await membership_role(principal.account_id, organisation_id):
            raise Conflict(
                "Bạn đã là thành viên của tổ chức này.",
                "You are a member of this organisation already.",
            )
        spent = (
            await Invitation.update(
                {Invitation.used_at: now, Invitation.used_by: principal.account_id}
            )
            .where((Invitation.id == invitation["id"]) & Invitation.used_at.is_null())
            .returning(Invitation.id)
        )
        if not spent:
            raise _link_used()
        await _add_member(organisation_id, principal.account_id, "member", now)
    await audit.record(
        runtime,
        "invitation_accepted",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
        organisation_id=organisation_id,
    )
    return await get_organisation(principal, organisation_id)


async def remove_member(
    runtime: AccountsRuntime,
    principal: Principal,
    organisation_id: int,
    account_id: int,
    client: Client,
) -> None:
    organisation = await _owned(principal, organisation_id)
    member = next((m for m in organisation.members if m.account_id == account_id), None)
    if member is None:
        raise NotFound("Không tìm thấy thành viên này.", "No such member.", field="account_id")
    if member.role == "owner":
        raise Conflict(
            "Không thể xóa chủ tài khoản của tổ chức.",
            "The organisation's owner cannot be removed.",
        )
    async with write_transaction():
        await Membership.delete().where(Membership.member_key == f"{organisation_id}:{account_id}")
    await audit.record(
        runtime,
        "member_removed",
        actor_id=principal.account_id,
        subject_id=account_id,
        address=client.address,
        organisation_id=organisation_id,
    )
