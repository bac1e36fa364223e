"""A dossier entered at a counter taken into the citizen's account (issue 15).

Neither the dossier's code (sequential) nor the applicant's phone (known to many) is a
secret: the claim code printed on the citizen's form 01 is. It is random (8 characters
of Crockford's base32, 40 bits) and kept only as an HMAC keyed by the secret key, so a
copy of the table gives nothing to guess offline. A dossier takes at most
``MAX_CLAIM_FAILURES`` wrong attempts: each is reserved by a conditional update before
anything is compared, so guesses sent at once cannot exceed it; then it is locked until
reception prints a new code, which also replaces the one on any earlier paper.
Reception can revoke a claim (the account loses the dossier at once). Issuing a code,
a wrong attempt, a claim and a revocation go to the audit log (ids only)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import msgspec

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal
from backend.db import fetch, write_transaction
from backend.dossiers import lifecycle
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import DossierRead
from backend.dossiers.service.access import readable
from backend.dossiers.service.reads import get_dossier
from backend.dossiers.service.rows import DossierRow, stale
from backend.errors import Conflict, Forbidden, NotFound
from backend.i18n import N_, Number

# Crockford's base32: no I, L, O or U, so nothing read off paper is ambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CLAIM_CODE_LENGTH = 8
MAX_CLAIM_FAILURES = 5
CLAIM_ROLES = frozenset({"reception", "leader"})
# What people type for what is printed (Crockford's reading rules).
_READ_AS = str.maketrans("OIL", "011", " -")

_FIND = (
    "SELECT id, owner_id, entered_by, claim_code_hash, claim_failures"
    " FROM dossiers_dossier WHERE code = {}"
)
# One attempt reserved before the code is compared: at most MAX_CLAIM_FAILURES
# comparisons a code, however many requests arrive together.
_RESERVE = (
    "UPDATE dossiers_dossier SET claim_failures = claim_failures + 1"
    " WHERE id = {} AND owner_id IS NULL AND claim_code_hash IS NOT NULL"
    " AND claim_failures < {} RETURNING claim_code_hash, applicant_phone, claim_failures"
)
_TAKE = (
    "UPDATE dossiers_dossier SET owner_id = {}, claim_code_hash = NULL, claim_failures = 0,"
    " updated_at = {} WHERE id = {} AND owner_id IS NULL RETURNING id"
)
_ISSUE = (
    "UPDATE dossiers_dossier SET claim_code_hash = {}, claim_failures = 0"
    " WHERE id = {} AND owner_id IS NULL RETURNING id"
)
_REVOKE = (
    "UPDATE dossiers_dossier SET owner_id = NULL, claim_code_hash = NULL, claim_failures = 0,"
    " updated_at = {} WHERE id = {} AND owner_id = {} RETURNING id"
)
_STATE = "SELECT claim_code_hash, claim_failures FROM dossiers_dossier WHERE id = {}"


class ClaimState(msgspec.Struct, kw_only=True, frozen=True):
    """What the console says of a counter dossier's claim."""

    claimed: bool
    code_issued: bool
    locked: bool


def new_claim_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CLAIM_CODE_LENGTH))


def shown(code: str) -> str:
    """As printed: two groups of four, easier to copy."""
    return f"{code[:4]}-{code[4:]}"


def read_claim_code(typed: str) -> str:
    return typed.upper().translate(_READ_AS)[: CLAIM_CODE_LENGTH * 2]


def _digest(secret_key: str, dossier_id: int, code: str) -> str:
    message = f"dossier-claim:{dossier_id}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _no_match() -> NotFound:
    return NotFound(
        N_(
            "Không tìm thấy hồ sơ với mã hồ sơ, số điện thoại và mã nhận hồ sơ này, hoặc hồ "
            "sơ đã có người nhận."
        ),
        field="code",
    )


def _locked() -> Conflict:
    # Nothing unlocks it with time (no Retry-After): reception issues a new code.
    return Conflict(
        N_(
            "Hồ sơ này đã bị khóa vì nhập sai mã nhận hồ sơ %(count)s lần. Hãy đến bộ phận "
            "một cửa để được in giấy tiếp nhận với mã mới.",
            count=Number(MAX_CLAIM_FAILURES),
        ),
        field="claim_code",
    )


async def claim(
    runtime: DossiersRuntime,
    principal: Principal,
    code: str,
    phone: str,
    claim_code: str,
    *,
    address: str | None = None,
) -> DossierRead:
    """A citizen takes a counter dossier into their account: its code, the phone given
    at the counter and the claim code on form 01 must all match, and nobody may have
    claimed it. A dossier without a claim code (entered before issue 15, or not printed
    yet) cannot be claimed until reception prints one."""
    if principal.kind != "citizen":
        raise Forbidden(N_("Chỉ người dân nhận hồ sơ."))
    normalised = accounts.normalise_phone(phone, "phone")
    rows = await fetch(_FIND, code.strip().upper())
    if not rows or rows[0]["owner_id"] is not None or rows[0]["entered_by"] is None:
        raise _no_match()
    dossier_id = int(rows[0]["id"])
    now = runtime.now()
    matches = False
    async with write_transaction():
        reserved = await fetch(_RESERVE, dossier_id, MAX_CLAIM_FAILURES)
        if reserved:
            expected = _digest(runtime.secret_key, dossier_id, read_claim_code(claim_code))
            # Both compared, whichever fails, so the time taken tells nothing.
            same_code = hmac.compare_digest(reserved[0]["claim_code_hash"], expected)
            same_phone = hmac.compare_digest(reserved[0]["applicant_phone"], normalised)
            matches = same_code and same_phone
        if matches:
            if not await fetch(_TAKE, principal.account_id, now, dossier_id):
                raise stale()
            await accounts.record_audit(
                now,
                "dossier_claimed",
                actor_id=principal.account_id,
                subject_id=principal.account_id,
                address=address,
                dossier_id=dossier_id,
            )
        elif reserved:
            await accounts.record_audit(
                now,
                "dossier_claim_failed",
                actor_id=principal.account_id,
                address=address,
                dossier_id=dossier_id,
                attempt=int(reserved[0]["claim_failures"]),
            )
    if matches:
        return await get_dossier(runtime, principal, dossier_id)
    # Committed above: the wrong attempt counts.
    if not reserved and rows[0]["claim_code_hash"] is not None:
        raise _locked()
    raise _no_match()


async def _counter_dossier(principal: Principal, dossier_id: int) -> DossierRow:
    """A counter dossier the official's agency holds, for a reception official."""
    if principal.role not in CLAIM_ROLES:
        raise lifecycle.ActionForbidden(
            N_("Chỉ cán bộ tiếp nhận cấp mã hoặc thu hồi việc nhận hồ sơ.")
        )
    row, access = await readable(principal, dossier_id)
    if not access.may_act:
        raise Forbidden(N_("Hồ sơ này đang do cơ quan khác giải quyết."), field="dossier")
    if row.entered_by is None:
        raise Conflict(
            N_("Hồ sơ nộp trực tuyến thuộc tài khoản người nộp: không có mã nhận hồ sơ."),
            field="dossier",
        )
    return row


async def issue_claim_code(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, *, address: str | None = None
) -> tuple[DossierRead, str]:
    """A new claim code for a counter dossier nobody has claimed, to print on form 01
    (shown once: only its HMAC is kept). It replaces any earlier code and unlocks a
    dossier locked by wrong attempts."""
    row = await _counter_dossier(principal, dossier_id)
    if row.owner_id is not None:
        raise Conflict(
            N_(
                "Hồ sơ đã được nhận vào một tài khoản. Nếu người nhận không phải người nộp, "
                "hãy thu hồi trước khi cấp mã mới."
            ),
            field="dossier",
        )
    code = new_claim_code()
    async with write_transaction():
        if not await fetch(_ISSUE, _digest(runtime.secret_key, dossier_id, code), dossier_id):
            raise stale()
        await accounts.record_audit(
            runtime.now(),
            "dossier_claim_code_issued",
            actor_id=principal.account_id,
            address=address,
            dossier_id=dossier_id,
        )
    return await get_dossier(runtime, principal, dossier_id), shown(code)


async def revoke_claim(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int, *, address: str | None = None
) -> DossierRead:
    """Reception takes a counter dossier back from the account that claimed it (someone
    else's, the citizen says): that account loses it at once, and a new code is
    printed for the real applicant."""
    row = await _counter_dossier(principal, dossier_id)
    if row.owner_id is None:
        raise Conflict(N_("Hồ sơ chưa được ai nhận vào tài khoản."), field="dossier")
    now = runtime.now()
    async with write_transaction():
        if not await fetch(_REVOKE, now, dossier_id, row.owner_id):
            raise stale()
        await accounts.record_audit(
            now,
            "dossier_claim_revoked",
            actor_id=principal.account_id,
            subject_id=row.owner_id,
            address=address,
            dossier_id=dossier_id,
        )
    return await get_dossier(runtime, principal, dossier_id)


async def claim_state(principal: Principal, dossier: DossierRead) -> ClaimState | None:
    """For the console: None for a dossier filed online (nothing to claim)."""
    if dossier.entered_by is None or principal.kind == "citizen":
        return None
    rows = await fetch(_STATE, dossier.id)
    issued = bool(rows) and rows[0]["claim_code_hash"] is not None
    return ClaimState(
        claimed=dossier.owner_id is not None,
        code_issued=issued,
        locked=issued and int(rows[0]["claim_failures"]) >= MAX_CLAIM_FAILURES,
    )
