"""Signing in with a passkey (username-less) and signing out: of this session, of one
of the person's sessions, or everywhere."""

from __future__ import annotations

import datetime as dt

import msgspec
from webauthn.helpers import bytes_to_base64url

from backend.accounts import audit, sessions
from backend.accounts import webauthn as ceremony
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import AccountRead, CredentialIn, Principal
from backend.accounts.service.people import (
    Client,
    account_disabled,
    get_account,
    identity_required,
)
from backend.accounts.service.reenrolment import check_session_end, session_end_since
from backend.accounts.tables import Passkey
from backend.accounts.webauthn import PasskeyRejected
from backend.db import write_transaction


class _Credential(msgspec.Struct, frozen=True):
    """A stored passkey and its account, found by the credential id an assertion names."""

    id: int
    public_key: bytes
    sign_count: int
    account_id: int
    user_handle: str
    kind: str
    disabled_at: dt.datetime | None


async def _credential(raw_id: bytes) -> _Credential:
    rows = await Passkey.select(
        Passkey.id,
        Passkey.public_key,
        Passkey.sign_count,
        Passkey.account.id.as_alias("account_id"),
        Passkey.account.user_handle.as_alias("user_handle"),
        Passkey.account.kind.as_alias("kind"),
        Passkey.account.disabled_at.as_alias("disabled_at"),
    ).where(Passkey.credential_id == bytes_to_base64url(raw_id))
    if not rows:
        raise PasskeyRejected("unknown_credential")
    return msgspec.convert({**rows[0], "public_key": bytes(rows[0]["public_key"])}, _Credential)


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
        stored = await _credential(parsed.raw_id)
        account_id = stored.account_id
        handle = parsed.response.user_handle
        if handle is not None and bytes_to_base64url(handle) != stored.user_handle:
            raise PasskeyRejected("wrong_account")
        # Only failures proven to come from the passkey (its signature checked) count
        # against the account: bogus assertions cost their sender's address, not the
        # owner's access.
        await runtime.limiter.check_failures("sign_in", f"acct:{account_id}")
        counter = ceremony.verify_authentication(
            runtime, parsed, consumed, public_key=stored.public_key
        )
        if ceremony.counter_regressed(stored.sign_count, counter):
            await runtime.limiter.record_failure("sign_in", f"acct:{account_id}")
            await audit.record(
                runtime,
                "possible_cloned_authenticator",
                subject_id=account_id,
                address=client.address,
                passkey_id=stored.id,
                stored_counter=stored.sign_count,
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
    refusal = account_disabled() if stored.disabled_at is not None else None
    if stored.kind == "staff" and runtime.staff_identity_required:
        refusal = refusal or identity_required()
    if refusal is not None:
        await audit.record(
            runtime,
            "sign_in_failed",
            subject_id=account_id,
            address=client.address,
            reason=refusal.code,
        )
        raise refusal
    async with write_transaction():
        await Passkey.update(
            {Passkey.sign_count: counter, Passkey.last_used_at: runtime.clock()}
        ).where(Passkey.id == stored.id)
    if old_session:
        await sessions.end_by_token(old_session)
    token = await sessions.start(runtime, account_id, client.device)
    await audit.record(
        runtime, "sign_in", actor_id=account_id, subject_id=account_id, address=client.address
    )
    return await get_account(account_id), token


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
    """Every session ends; but a session opened since a counter re-enrolment ends only
    those opened since it too (the old devices must go on being told)."""
    since = await session_end_since(runtime, principal)
    ended = await sessions.end_all(principal.account_id, since=since)
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
    await check_session_end(runtime, principal, public_id)
    await sessions.end_for_account(principal.account_id, public_id)
    await audit.record(
        runtime,
        "session_ended",
        actor_id=principal.account_id,
        subject_id=principal.account_id,
        address=client.address,
    )
