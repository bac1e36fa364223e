"""A person's passkeys: listing, adding another (another phone), renaming, removing;
and storing the passkey a ceremony registered (sign-up, enrolment, adding one)."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.accounts import audit, validation
from backend.accounts import webauthn as ceremony
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import CredentialIn, PasskeyRead, Principal
from backend.accounts.service.people import Client, registering
from backend.accounts.service.reenrolment import passkey_kept, protected_since
from backend.accounts.tables import Passkey
from backend.accounts.webauthn import PasskeyRejected
from backend.db import write_transaction
from backend.errors import Conflict, NotFound
from backend.i18n import N_

# Stored, not shown through gettext: the name a person gave is data, and so is this
# one when they gave none.
DEFAULT_NAME = "Khóa truy cập"
_READ = (Passkey.id, Passkey.name, Passkey.created_at, Passkey.last_used_at, Passkey.backed_up)


async def refuse_known_credential(credential_id: str) -> None:
    if await Passkey.exists().where(Passkey.credential_id == credential_id):
        raise PasskeyRejected("already_registered")


async def insert_passkey(
    account_id: int, passkey: ceremony.NewPasskey, name: str, now: dt.datetime
) -> int:
    rows = await Passkey.insert(
        Passkey(
            account=account_id,
            credential_id=passkey.credential_id,
            public_key=passkey.public_key,
            sign_count=passkey.sign_count,
            name=" ".join(name.split())[:60] or DEFAULT_NAME,
            transports=passkey.transports,
            backed_up=passkey.backed_up,
            created_at=now,
        )
    ).returning(Passkey.id)
    return int(rows[0]["id"])


async def list_passkeys(principal: Principal) -> list[PasskeyRead]:
    rows = (
        await Passkey.select(*_READ)
        .where(Passkey.account == principal.account_id)
        .order_by(Passkey.id)
    )
    return msgspec.convert(rows, list[PasskeyRead], strict=False)


async def add_passkey_options(
    runtime: AccountsRuntime, principal: Principal, client: Client
) -> bytes:
    await runtime.limiter.check_address("add_passkey", client.address)
    account = await registering(principal.account_id)
    existing = await Passkey.select(Passkey.credential_id).where(
        Passkey.account == principal.account_id
    )
    challenge = await ceremony.issue_challenge(
        runtime, "add_passkey", account_id=principal.account_id
    )
    return ceremony.registration_options(
        runtime,
        challenge,
        user_handle=account.user_handle,
        user_name=account.user_name,
        display_name=account.full_name,
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
        await refuse_known_credential(passkey.credential_id)
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
        passkey_id = await insert_passkey(
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
    rows = await Passkey.select(*_READ).where(
        (Passkey.id == passkey_id) & (Passkey.account == principal.account_id)
    )
    if not rows:
        raise NotFound(N_("Không tìm thấy khóa truy cập này."), field="id")
    return msgspec.convert(rows[0], PasskeyRead, strict=False)


async def rename_passkey(
    runtime: AccountsRuntime, principal: Principal, passkey_id: int, name: str, client: Client
) -> PasskeyRead:
    await _own_passkey(principal, passkey_id)
    clean = validation.text(
        name,
        field="name",
        low=1,
        high=60,
        problem=N_("Tên khóa truy cập phải có từ 1 đến 60 ký tự."),
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
        own = await _own_passkey(principal, passkey_id)
        since = await protected_since(runtime, principal.account_id)
        if since is not None and own.created_at < since:
            raise passkey_kept(since)
        if await Passkey.count().where(Passkey.account == principal.account_id) <= 1:
            raise Conflict(
                N_("Đây là khóa truy cập duy nhất của bạn. Hãy thêm khóa khác trước khi xóa nó."),
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
