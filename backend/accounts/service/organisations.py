"""Organisations: registered by a resident (who becomes the owner), joined through
one-time invitation links (7 days), and what other domains ask before acting for one
(``membership_role``, the organisations of a person, the members of one)."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.accounts import audit, sessions, validation
from backend.accounts.runtime import INVITATION_TTL, AccountsRuntime
from backend.accounts.schemas import (
    InvitationRead,
    LinkIssued,
    OrganisationCreate,
    OrganisationDetail,
    OrganisationRead,
    Principal,
)
from backend.accounts.service.links import link_token, link_used, usable
from backend.accounts.service.people import Client
from backend.accounts.tables import Invitation, Membership, Organisation
from backend.db import write_transaction
from backend.errors import Conflict, Forbidden, NotFound, Problems
from backend.i18n import N_

_COLUMNS = (
    Membership.organisation.id.as_alias("id"),
    Membership.organisation.name.as_alias("name"),
    Membership.organisation.tax_code.as_alias("tax_code"),
    Membership.organisation.address.as_alias("address"),
    Membership.role.as_alias("my_role"),
)


class _Invitation(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    expires_at: dt.datetime
    used_at: dt.datetime | None
    organisation_id: int
    organisation_name: str
    tax_code: str


def _citizens_only() -> Forbidden:
    return Forbidden(N_("Chỉ người dân và doanh nghiệp dùng được chức năng này."))


def _member_key(organisation_id: int, account_id: int) -> str:
    return f"{organisation_id}:{account_id}"


def _check_organisation(data: OrganisationCreate) -> OrganisationCreate:
    """The details as stored, or every field's problem at once."""
    problems = Problems()
    with problems.noting():
        name = validation.text(
            data.name,
            field="name",
            low=2,
            high=200,
            problem=N_("Tên tổ chức phải có từ 2 đến 200 ký tự."),
        )
    with problems.noting():
        tax_code = validation.tax_code(data.tax_code)
    with problems.noting():
        address = validation.text(
            data.address,
            field="address",
            low=5,
            high=300,
            problem=N_("Địa chỉ phải có từ 5 đến 300 ký tự."),
        )
    problems.raise_any()
    return OrganisationCreate(name=name, tax_code=tax_code, address=address)


async def register_organisation(
    runtime: AccountsRuntime, principal: Principal, data: OrganisationCreate, client: Client
) -> OrganisationRead:
    if principal.kind != "citizen":
        raise _citizens_only()
    checked = _check_organisation(data)
    now = runtime.clock()
    async with write_transaction():
        if await Organisation.exists().where(Organisation.tax_code == checked.tax_code):
            raise Conflict(
                N_(
                    "Tổ chức có mã số thuế này đã được đăng ký. Hãy nhờ chủ tài khoản tổ chức "
                    "mời bạn làm thành viên; hoặc, nếu bạn là người đại diện theo pháp luật "
                    "hay chủ hộ kinh doanh, gửi yêu cầu đại diện tổ chức kèm giấy chứng nhận "
                    "đăng ký kinh doanh."
                ),
                field="tax_code",
            )
        rows = await Organisation.insert(
            Organisation(
                name=checked.name,
                tax_code=checked.tax_code,
                address=checked.address,
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
            member_key=_member_key(organisation_id, account_id),
            organisation=organisation_id,
            account=account_id,
            role=role,
            created_at=now,
        )
    )


async def membership_role(account_id: int, organisation_id: int) -> str | None:
    """ "owner", "member" or None: for other domains acting for an organisation."""
    rows = await Membership.select(Membership.role).where(
        Membership.member_key == _member_key(organisation_id, account_id)
    )
    return str(rows[0]["role"]) if rows else None


async def organisation_ids_of(account_id: int) -> list[int]:
    """The organisations a person acts for: for other domains' access checks."""
    rows = await Membership.select(Membership.organisation).where(Membership.account == account_id)
    return [int(row["organisation"]) for row in rows]


async def member_ids(organisation_id: int) -> list[int]:
    rows = await Membership.select(Membership.account).where(
        Membership.organisation == organisation_id
    )
    return [int(row["account"]) for row in rows]


async def my_organisations(principal: Principal) -> list[OrganisationRead]:
    rows = (
        await Membership.select(*_COLUMNS)
        .where(Membership.account == principal.account_id)
        .order_by(Membership.organisation.name)
    )
    return msgspec.convert(rows, list[OrganisationRead])


async def get_organisation(principal: Principal, organisation_id: int) -> OrganisationDetail:
    rows = await Membership.select(*_COLUMNS).where(
        Membership.member_key == _member_key(organisation_id, principal.account_id)
    )
    if not rows:
        raise NotFound(N_("Không tìm thấy tổ chức này."), field="id")
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
    return {key: str(value) for key, value in rows[0].items()} if rows else None


async def _owned(principal: Principal, organisation_id: int) -> OrganisationDetail:
    organisation = await get_organisation(principal, organisation_id)
    if organisation.my_role != "owner":
        raise Forbidden(N_("Chỉ chủ tài khoản tổ chức làm được việc này."))
    return organisation


def invitation_url(runtime: AccountsRuntime, token: str) -> str:
    return f"{runtime.public_url}/moi/{token}"


async def create_invitation(
    runtime: AccountsRuntime, principal: Principal, organisation_id: int, client: Client
) -> LinkIssued:
    await _owned(principal, organisation_id)
    token = link_token()
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


async def _invitation(runtime: AccountsRuntime, token: str) -> _Invitation:
    rows = await Invitation.select(
        Invitation.id,
        Invitation.expires_at,
        Invitation.used_at,
        Invitation.organisation.id.as_alias("organisation_id"),
        Invitation.organisation.name.as_alias("organisation_name"),
        Invitation.organisation.tax_code.as_alias("tax_code"),
    ).where(Invitation.token_hash == sessions.token_digest(token))
    return usable(runtime, msgspec.convert(rows[0], _Invitation) if rows else None)


async def invitation_info(runtime: AccountsRuntime, token: str) -> InvitationRead:
    invitation = await _invitation(runtime, token)
    return InvitationRead(
        organisation_name=invitation.organisation_name,
        tax_code=invitation.tax_code,
        expires_at=invitation.expires_at,
    )


async def accept_invitation(
    runtime: AccountsRuntime, principal: Principal, token: str, client: Client
) -> OrganisationRead:
    if principal.kind != "citizen":
        raise _citizens_only()
    invitation = await _invitation(runtime, token)
    organisation_id = invitation.organisation_id
    now = runtime.clock()
    async with write_transaction():
        if await membership_role(principal.account_id, organisation_id):
            raise Conflict(N_("Bạn đã là thành viên của tổ chức này."))
        spent = (
            await Invitation.update(
                {Invitation.used_at: now, Invitation.used_by: principal.account_id}
            )
            .where((Invitation.id == invitation.id) & Invitation.used_at.is_null())
            .returning(Invitation.id)
        )
        if not spent:
            raise link_used()
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
        raise NotFound(N_("Không tìm thấy thành viên này."), field="account_id")
    if member.role == "owner":
        raise Conflict(N_("Không thể xóa chủ tài khoản của tổ chức."))
    async with write_transaction():
        await Membership.delete().where(
            Membership.member_key == _member_key(organisation_id, account_id)
        )
    await audit.record(
        runtime,
        "member_removed",
        actor_id=principal.account_id,
        subject_id=account_id,
        address=client.address,
        organisation_id=organisation_id,
    )
