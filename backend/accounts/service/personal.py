"""A person's own data and its erasure (the Personal Data Protection Law, in force
2026): what the accounts domain holds of them, for the archive ``backend.privacy``
builds, and the account's deletion.

Deleting an account keeps its row, pseudonymised: dossiers, payments and the audit log
refer to it by id, and the laws on archives and on one-stop handling require the
agencies to keep those. Everything that lets anyone sign in as the person, or reach
them, goes.
"""

from __future__ import annotations

import secrets
from typing import Any

from backend.accounts import audit
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.service.people import Client, no_such_account
from backend.accounts.tables import (
    Account,
    AuditEvent,
    Challenge,
    EnrolmentLink,
    Identity,
    Invitation,
    Membership,
    OrganisationClaim,
    Passkey,
    RecoveryCode,
    Session,
)
from backend.db import write_transaction
from backend.errors import Conflict, Forbidden
from backend.i18n import N_

DELETED_NAME = "Người dùng đã xóa #{id}"


def deleted_name(account_id: int) -> str:
    return DELETED_NAME.format(id=account_id)


async def personal_data(account_id: int) -> dict[str, Any]:
    """The account as its person may read it: never key material, token or code
    hashes (a passkey's public key is no secret, but it is of no use to the person)."""
    rows = await Account.select(
        Account.id,
        Account.kind,
        Account.full_name,
        Account.phone,
        Account.email,
        Account.citizen_id,
        Account.address,
        Account.created_at,
    ).where(Account.id == account_id)
    if not rows:
        raise no_such_account()
    memberships = await Membership.select(
        Membership.organisation.id,
        Membership.organisation.name,
        Membership.organisation.tax_code,
        Membership.organisation.address,
        Membership.role,
        Membership.created_at,
    ).where(Membership.account == account_id)
    return {
        "account": rows[0],
        "identities": await Identity.select(
            Identity.issuer, Identity.subject, Identity.created_at, Identity.last_used_at
        ).where(Identity.account == account_id),
        "passkeys": await Passkey.select(
            Passkey.name,
            Passkey.created_at,
            Passkey.last_used_at,
            Passkey.backed_up,
            Passkey.transports,
        )
        .where(Passkey.account == account_id)
        .output(load_json=True),
        "recovery_codes_left": await RecoveryCode.count().where(
            (RecoveryCode.account == account_id) & RecoveryCode.used_at.is_null()
        ),
        "sessions": await Session.select(
            Session.created_at, Session.last_seen_at, Session.device, Session.method
        ).where(Session.account == account_id),
        "organisations": [
            {
                "id": m["organisation.id"],
                "name": m["organisation.name"],
                "tax_code": m["organisation.tax_code"],
                "address": m["organisation.address"],
                "role": m["role"],
                "joined_at": m["created_at"],
            }
            for m in memberships
        ],
        "organisation_claims": await OrganisationClaim.select(
            OrganisationClaim.organisation.name,
            OrganisationClaim.status,
            OrganisationClaim.reason,
            OrganisationClaim.created_at,
            OrganisationClaim.decided_at,
            OrganisationClaim.decision_reason,
        ).where(OrganisationClaim.account == account_id),
        "security_events": await AuditEvent.select(
            AuditEvent.at, AuditEvent.event, AuditEvent.client_address
        )
        .where(AuditEvent.subject_id == account_id)
        .order_by(AuditEvent.id),
    }


async def _sole_ownerships(account_id: int) -> list[str]:
    """The organisations this person alone owns while others belong to them."""
    owned = await Membership.select(Membership.organisation.id, Membership.organisation.name).where(
        (Membership.account == account_id) & (Membership.role == "owner")
    )
    names = []
    for row in owned:
        organisation_id = row["organisation.id"]
        others = await Membership.select(Membership.role).where(
            (Membership.organisation == organisation_id) & (Membership.account != account_id)
        )
        if others and not any(other["role"] == "owner" for other in others):
            names.append(row["organisation.name"])
    return names


async def check_deletable(account_id: int) -> None:
    """Refuse what deleting this account would break: an official's account (their
    acts are the agency's record; the agency's administrator disables it), or an
    organisation its members would be left in without an owner."""
    rows = await Account.select(Account.kind, Account.full_name, Account.phone).where(
        Account.id == account_id
    )
    if not rows or (rows[0]["full_name"] == deleted_name(account_id) and not rows[0]["phone"]):
        raise no_such_account()
    if rows[0]["kind"] != "citizen":
        raise Forbidden(
            N_(
                "Tài khoản cán bộ không tự xóa được. Khi thôi công tác, quản trị viên của "
                "cơ quan khóa tài khoản; các việc đã làm được lưu theo quy định."
            )
        )
    names = await _sole_ownerships(account_id)
    if names:
        raise Conflict(
            N_(
                "Bạn là chủ sở hữu duy nhất của %(names)s, nơi vẫn còn thành viên khác. "
                "Hãy xóa các thành viên đó khỏi tổ chức (ở trang Tổ chức), hoặc để một "
                "thành viên đề nghị được công nhận là người đại diện, rồi xóa tài khoản.",
                names=", ".join(f"“{name}”" for name in names),
            ),
            field="organisation",
        )


async def forget_account(runtime: AccountsRuntime, account_id: int, client: Client) -> None:
    """Every way in and every personal detail gone; the row stays, renamed, for the
    records that name it by id. Officials and sole owners are refused first
    (``check_deletable``). The audit entry records counts, not the person."""
    await check_deletable(account_id)
    now = runtime.clock()
    async with write_transaction():
        passkeys = await Passkey.delete().where(Passkey.account == account_id).returning(Passkey.id)
        sessions = await Session.delete().where(Session.account == account_id).returning(Session.id)
        await RecoveryCode.delete().where(RecoveryCode.account == account_id)
        identities = (
            await Identity.delete().where(Identity.account == account_id).returning(Identity.id)
        )
        await EnrolmentLink.delete().where(EnrolmentLink.account == account_id)
        await Challenge.delete().where(Challenge.account_id == account_id)
        await Invitation.delete().where(
            (Invitation.created_by == account_id) & Invitation.used_at.is_null()
        )
        organisations = (
            await Membership.delete()
            .where(Membership.account == account_id)
            .returning(Membership.id)
        )
        # Open claims go; decided ones are the service centre's record.
        await OrganisationClaim.delete().where(
            (OrganisationClaim.account == account_id) & (OrganisationClaim.status == "pending")
        )
        await Account.update(
            {
                Account.full_name: deleted_name(account_id),
                # NULL frees the number: signing up with it again makes a new account.
                Account.phone: None,
                Account.email: None,
                Account.citizen_id: None,
                Account.address: "",
                # A new handle: a passkey still on the phone names the old one.
                Account.user_handle: "deleted-" + secrets.token_urlsafe(24),
                Account.disabled_at: now,
            }
        ).where(Account.id == account_id)
        await audit.record(
            runtime,
            "account_deleted",
            actor_id=account_id,
            subject_id=account_id,
            address=client.address,
            passkeys=len(passkeys),
            sessions=len(sessions),
            identities=len(identities),
            organisations=len(organisations),
        )


__all__ = [
    "check_deletable",
    "deleted_name",
    "forget_account",
    "personal_data",
]
