"""Signing up: a resident's details are checked (every field's problem at once), kept
with the registration challenge, and become an account with its first passkey and ten
recovery codes when the passkey comes back."""

from __future__ import annotations

import datetime as dt

import msgspec
from webauthn.helpers import bytes_to_base64url

from backend.accounts import audit, sessions, validation
from backend.accounts import webauthn as ceremony
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import AccountRead, CredentialIn, SignUp
from backend.accounts.service.passkeys import insert_passkey, refuse_known_credential
from backend.accounts.service.people import Client, get_account, new_user_handle
from backend.accounts.service.recovery import new_recovery_codes, store_recovery_codes
from backend.accounts.tables import Account
from backend.accounts.webauthn import PasskeyRejected
from backend.db import write_transaction
from backend.errors import Conflict, Problems
from backend.i18n import N_
from backend.outbox import service as outbox

# What the owner of a number is told when someone signs up with it.
SIGN_UP_ATTEMPTED = "account.sign_up_attempted"


class SignUpDetails(msgspec.Struct, frozen=True, kw_only=True):
    """The checked details, kept with the challenge until the passkey comes back."""

    full_name: str
    phone: str
    email: str | None
    citizen_id: str | None
    user_handle: str
    address: str = ""


def _phone_taken() -> Conflict:
    return Conflict(
        N_(
            "Số điện thoại này đã có tài khoản. Hãy đăng nhập, hoặc dùng mã khôi phục nếu mất "
            "điện thoại."
        ),
        field="phone",
    )


async def _tell_owner(account_id: int, challenge: bytes, now: dt.datetime) -> None:
    """The number's owner hears of the attempt on their own devices and inbox (if it
    was them, the notice leads to signing in or to recovery)."""
    await outbox.enqueue(
        event_key=f"account:{account_id}:sign-up:{bytes_to_base64url(challenge)}",
        kind=SIGN_UP_ATTEMPTED,
        subject=f"account:{account_id}",
        account_ids=[account_id],
        payload={"at": now.isoformat()},
        now=now,
    )


def _filled(value: str | None) -> str | None:
    return value if value and value.strip() else None


def check_sign_up(data: SignUp) -> SignUpDetails:
    """The details as stored, or every field's problem at once."""
    problems = Problems()
    email: str | None = None
    citizen_id: str | None = None
    with problems.noting():
        full_name = validation.full_name(data.full_name)
    with problems.noting():
        phone = validation.phone(data.phone)
    if (given_email := _filled(data.email)) is not None:
        with problems.noting():
            email = validation.email(given_email)
    if (given_id := _filled(data.citizen_id)) is not None:
        with problems.noting():
            citizen_id = validation.citizen_id(given_id)
    problems.raise_any()
    return SignUpDetails(
        full_name=full_name,
        phone=phone,
        email=email,
        citizen_id=citizen_id,
        user_handle=new_user_handle(),
        address=" ".join((data.address or "").split()),
    )


async def sign_up_options(runtime: AccountsRuntime, data: SignUp, client: Client) -> bytes:
    """The registration options, whether the number has an account or not: asking
    costs nothing, so it must not tell (the check waits for a passkey, in
    ``finish_sign_up``)."""
    await runtime.limiter.check_address("sign_up", client.address)
    details = check_sign_up(data)
    await runtime.limiter.check("sign_up", f"phone:{details.phone}")
    challenge = await ceremony.issue_challenge(
        runtime, "sign_up", data=msgspec.to_builtins(details)
    )
    return ceremony.registration_options(
        runtime,
        challenge,
        user_handle=details.user_handle,
        user_name=details.phone,
        display_name=details.full_name,
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
    details = msgspec.convert(consumed.data, SignUpDetails)
    codes, hashes = await new_recovery_codes(runtime)
    now = runtime.clock()
    async with write_transaction():
        owner = await Account.select(Account.id).where(Account.phone == details.phone)
        if owner:
            await _tell_owner(int(owner[0]["id"]), challenge, now)
    if owner:
        await audit.record(
            runtime,
            "sign_up_failed",
            subject_id=int(owner[0]["id"]),
            address=client.address,
            reason="phone_taken",
        )
        raise _phone_taken()
    async with write_transaction():
        if await Account.exists().where(Account.phone == details.phone):
            raise _phone_taken()
        await refuse_known_credential(passkey.credential_id)
        rows = await Account.insert(
            Account(
                kind="citizen",
                full_name=details.full_name,
                phone=details.phone,
                email=details.email,
                citizen_id=details.citizen_id,
                user_handle=details.user_handle,
                address=details.address,
                created_at=now,
            )
        ).returning(Account.id)
        account_id = int(rows[0]["id"])
        await insert_passkey(account_id, passkey, data.name or client.device, now)
        await store_recovery_codes(account_id, hashes, now)
    await audit.record(
        runtime, "sign_up", actor_id=account_id, subject_id=account_id, address=client.address
    )
    token = await sessions.start(runtime, account_id, client.device)
    return await get_account(account_id), codes, token
