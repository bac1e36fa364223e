"""Recovery codes: ten at sign-up (and at a re-enrolment), stored as keyed HMACs; each
signs in once, ends every other session and leads to adding a passkey.

A code is a 60-bit random secret, not a password a person chose: an HMAC-SHA-256 keyed
from MOTCUA_SECRET_KEY makes a copy of the table as useless as argon2 did (2^60 guesses,
each needing the key), and an attempt costs one HMAC and one indexed UPDATE, the same
whether the number has an account or not. argon2 cost ~1.5 s of CPU on a known number
and nothing on an unknown one: the timing told which numbers were registered. Codes
hashed with argon2 before issue 15 still verify (see ``_spend_legacy``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor

import msgspec
from argon2.exceptions import InvalidHashError, VerificationError

from backend.accounts import audit, sessions, validation
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import AccountRead, Principal, RecoveryIn
from backend.accounts.service.people import Client, account_disabled, get_account
from backend.accounts.service.reenrolment import protected_since
from backend.accounts.tables import Account, RecoveryCode
from backend.db import write_transaction
from backend.errors import Forbidden, TooManyRequests, Unauthorized
from backend.i18n import N_

RECOVERY_CODE_COUNT = 10
# Crockford's base32 without I, L, O, U: nothing to confuse when copied by hand.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LOOKALIKES = str.maketrans("OIL", "011")
# Where a recovery leads: the devices page, offering to add a passkey at once.
AFTER_RECOVERY = "/tai-khoan/thiet-bi?them-khoa=1"
CODE_SCHEME = "hmac-sha256$"
LEGACY_SCHEME = "$argon2"
# argon2 verifications of the codes made before issue 15 run here, one at a time: 30
# attempts at once take one core, not all of them (the search got 4x slower).
_LEGACY_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recovery-argon2")
# At most this many attempts wait for it (~1.5 s each); more are asked to come back.
LEGACY_QUEUE = 8
_legacy_waiting = 0


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


def code_digest(runtime: AccountsRuntime, code: str) -> str:
    """What is stored of a (normalised) code."""
    return CODE_SCHEME + hmac.new(runtime.code_key, code.encode(), hashlib.sha256).hexdigest()


async def new_recovery_codes(runtime: AccountsRuntime) -> tuple[list[str], list[str]]:
    """Ten new codes (shown once) and their digests (stored)."""
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    return codes, [code_digest(runtime, code) for code in codes]


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


def _recovery_busy() -> TooManyRequests:
    return TooManyRequests(
        N_("Hệ thống đang bận kiểm tra mã khôi phục. Vui lòng thử lại sau ít phút."),
        retry_after=60,
    )


async def recover(
    runtime: AccountsRuntime, data: RecoveryIn, client: Client, old_session: str | None
) -> tuple[AccountRead, str]:
    """Sign in once with a recovery code: every other session ends, and the person is
    sent straight on to register a new passkey."""
    await runtime.limiter.check_address("recovery", client.address)
    phone = validation.phone(data.phone)
    # Per number, whether it has an account or not (the same answers for both); every
    # attempt counts, so rotating addresses buys no more guesses at one account.
    await runtime.limiter.check("recovery", f"phone:{phone}")
    code = normalise_code(data.code)
    rows = await Account.select(Account.id, Account.disabled_at).where(
        (Account.phone == phone) & (Account.kind == "citizen")
    )
    # No account has id 0: an unknown number goes through the same statements.
    account_id = int(rows[0]["id"]) if rows else 0
    if await _spend(runtime, account_id, code) is None:
        await audit.record(
            runtime,
            "recovery_failed",
            subject_id=account_id or None,
            address=client.address,
            reason="wrong_or_used_code" if rows else "unknown",
        )
        raise _recovery_failed()
    if rows[0]["disabled_at"] is not None:
        raise account_disabled()
    # After a counter re-enrolment, the codes are those it gave: whoever holds them
    # may not sign out the devices that were there before (they can disown it).
    await sessions.end_all(account_id, since=await protected_since(runtime, account_id))
    if old_session:
        await sessions.end_by_token(old_session)
    token = await sessions.start(runtime, account_id, client.device, method="recovery")
    left = await RecoveryCode.count().where(
        (RecoveryCode.account == account_id) & RecoveryCode.used_at.is_null()
    )
    await audit.record(
        runtime,
        "recovery_used",
        actor_id=account_id,
        subject_id=account_id,
        address=client.address,
        codes_left=int(left),
    )
    return await get_account(account_id), token


async def _spend(runtime: AccountsRuntime, account_id: int, code: str) -> int | None:
    """Mark the account's unused code ``code`` used: its id, or None."""
    async with write_transaction():
        used = (
            await RecoveryCode.update({RecoveryCode.used_at: runtime.clock()})
            .where(
                (RecoveryCode.account == account_id)
                & (RecoveryCode.code_hash == code_digest(runtime, code))
                & RecoveryCode.used_at.is_null()
            )
            .returning(RecoveryCode.id)
        )
    if used:
        return int(used[0]["id"])
    if await _legacy_codes_remain(runtime):
        return await _spend_legacy(runtime, account_id, code)
    return None


async def _legacy_codes_remain(runtime: AccountsRuntime) -> bool:
    """Whether any unused argon2 code is left anywhere (asked once, and again after one
    is spent): the answer is the database's, never one number's."""
    if runtime.legacy_codes is None:
        runtime.legacy_codes = await RecoveryCode.exists().where(
            RecoveryCode.code_hash.like(LEGACY_SCHEME + "%") & RecoveryCode.used_at.is_null()
        )
    return runtime.legacy_codes


async def _spend_legacy(runtime: AccountsRuntime, account_id: int, code: str) -> int | None:
    """Codes made before issue 15 cannot be turned into HMACs (only their argon2 hashes
    were kept), so they verify as before until spent or renewed. Every attempt then
    does the same argon2 work, whatever the number (see ``_match_legacy``)."""
    candidates = msgspec.convert(
        await RecoveryCode.select(RecoveryCode.id, RecoveryCode.code_hash).where(
            (RecoveryCode.account == account_id)
            & RecoveryCode.used_at.is_null()
            & RecoveryCode.code_hash.like(LEGACY_SCHEME + "%")
        ),
        list[_Candidate],
    )
    global _legacy_waiting
    if _legacy_waiting >= LEGACY_QUEUE:
        raise _recovery_busy()
    _legacy_waiting += 1
    try:
        loop = asyncio.get_running_loop()
        matched = await loop.run_in_executor(_LEGACY_POOL, _match_legacy, runtime, candidates, code)
    finally:
        _legacy_waiting -= 1
    if matched is None:
        return None
    async with write_transaction():
        used = (
            await RecoveryCode.update({RecoveryCode.used_at: runtime.clock()})
            .where((RecoveryCode.id == matched) & RecoveryCode.used_at.is_null())
            .returning(RecoveryCode.id)
        )
    runtime.legacy_codes = None  # perhaps that was the last one
    return matched if used else None


def _match_legacy(runtime: AccountsRuntime, candidates: list[_Candidate], code: str) -> int | None:
    """Exactly RECOVERY_CODE_COUNT verifications: the candidates, then a stand-in hash
    for each missing one (an unknown number has none), and no early stop on a match."""
    stand_in = _stand_in(runtime)
    hashes = [c.code_hash for c in candidates][:RECOVERY_CODE_COUNT]
    hashes += [stand_in] * (RECOVERY_CODE_COUNT - len(hashes))
    matched = None
    for index, code_hash in enumerate(hashes):
        try:
            runtime.hasher.verify(code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        if index < len(candidates) and matched is None:
            matched = candidates[index].id
    return matched


_STAND_INS: dict[tuple[int, int], str] = {}


def _stand_in(runtime: AccountsRuntime) -> str:
    """An argon2 hash (of the runtime's cost) that no code matches: a code has 14
    characters, this is longer."""
    hasher = runtime.hasher
    cost = (hasher.time_cost, hasher.memory_cost)
    if cost not in _STAND_INS:
        _STAND_INS[cost] = hasher.hash(secrets.token_urlsafe(24))
    return _STAND_INS[cost]
