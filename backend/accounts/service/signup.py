"""Signing up: a resident's details are checked (every field's problem at once), kept
with the registration challenge, and become an account with its first passkey and ten
recovery codes when the passkey comes back."""

from __future__ import annotations

import msgspec

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
    await runtime.limiter.check_address("sign_up", client.address)
    details = check_sign_up(data)
    if await Account.exists().where(Account.phone == details.phone):
        raise _phone_taken()
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
