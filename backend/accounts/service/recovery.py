"""Recovery codes: ten at sign-up (and at a re-enrolment), stored as argon2id hashes;
each signs in once, ends every other session and leads to adding a passkey."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import msgspec
from argon2.exceptions import InvalidHashError, VerificationError

from backend.accounts import audit, sessions, validation
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import AccountRead, Principal, RecoveryIn
from backend.accounts.service.people import Client, account_disabled, get_account
from backend.accounts.service.reenrolment import protected_since
from backend.accounts.tables import Account, RecoveryCode
from backend.db import write_transaction
from backend.errors import Forbidden, Unauthorized
from backend.i18n import N_

RECOVERY_CODE_COUNT = 10
# Crockford's base32 without I, L, O, U: nothing to confuse when copied by hand.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LOOKALIKES = str.maketrans("OIL", "011")
# Where a recovery leads: the devices page, offering to add a passkey at once.
AFTER_RECOVERY = "/tai-khoan/thiet-bi?them-khoa=1"


class _Candidate(msgspec.Struct, frozen=True):
    id: int
    code_hash: str


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    raw = "".join(code.split()).replace("-", "").upper()
    raw = raw.translate(_CODE_LOOKALIKES)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else raw


async def new_recovery_codes(runtime: AccountsRuntime) -> tuple[list[str], list[str]]:
    """Ten new codes (shown once) and their hashes (stored)."""
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    hashes = await asyncio.to_thread(lambda: [runtime.hasher.hash(code) for code in codes])
    return codes, hashes


async def store_recovery_codes(account_id: int, hashes: list[str], now: dt.datetime) -> None:
    """These codes replace the account's old ones (inside the caller's transaction)."""
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
            N_("Cán bộ khôi phục đăng nhập qua quản trị viên, không dùng mã khôi phục.")
        )
    codes, hashes = await new_recovery_codes(runtime)
    async with write_transaction():
        await store_recovery_codes(principal.account_id, hashes, runtime.clock())
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
    # The same answer for an unknown number and a wrong code: nobody learns which
    # numbers have accounts.
    error = Unauthorized(
        N_("Số điện thoại hoặc mã khôi phục không đúng, hoặc mã đã được dùng."), field="code"
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
    candidates = msgspec.convert(
        await RecoveryCode.select(RecoveryCode.id, RecoveryCode.code_hash).where(
            (RecoveryCode.account == account_id) & RecoveryCode.used_at.is_null()
        ),
        list[_Candidate],
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
        raise account_disabled()
    # After a counter re-enrolment, the codes are those it gave: whoever holds them
    # may not sign out the devices that were there before (they can disown it).
    await sessions.end_all(account_id, since=await protected_since(runtime, account_id))
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


def _match_code(runtime: AccountsRuntime, candidates: list[_Candidate], code: str) -> int | None:
    for candidate in candidates:
        try:
            runtime.hasher.verify(candidate.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        return candidate.id
    return None
