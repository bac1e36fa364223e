"""Officials: created from the command line (any agency, any role) or by an agency's
administrator (their own agency), each with a one-time enrolment link; administrators
change roles and disable accounts of their agency only (anyone else's is "not found").

The province's catalogue administrators ("catalogue") are made from the command line
only: an agency's administrator neither creates one nor gives the role, and does not
see, change or disable one who belongs to their agency (the role is the province's)."""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.accounts import audit, sessions, validation
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import (
    ROLES,
    LinkIssued,
    Principal,
    Role,
    StaffCreate,
    StaffCreated,
    StaffRead,
    StaffUpdate,
)
from backend.accounts.service.enrolment import issue_enrolment
from backend.accounts.service.people import Client, new_user_handle, no_such_account
from backend.accounts.tables import Account, Passkey
from backend.db import write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, Problems
from backend.i18n import N_


class _Official(msgspec.Struct, frozen=True):
    id: int
    full_name: str
    role: Role
    agency_code: str
    disabled_at: dt.datetime | None


# Given from the command line only (see the module's note).
PROVINCE_ROLE = "catalogue"
_COLUMNS = (Account.id, Account.full_name, Account.role, Account.agency_code, Account.disabled_at)


async def _check_agency(runtime: AccountsRuntime, code: str) -> None:
    try:
        await runtime.find_agency(code)
    except NotFound:
        raise InvalidInput(
            N_("Không có cơ quan nào có mã %(code)s.", code=code), field="agency_code"
        ) from None


async def create_staff(
    runtime: AccountsRuntime,
    data: StaffCreate,
    *,
    actor: Principal | None = None,
    address: str | None = None,
) -> StaffCreated:
    """A new official and their one-time enrolment link (24 hours). From the command
    line (no actor) any agency; an administrator creates officials of their agency."""
    agency_code = (data.agency_code if actor is None else actor.agency_code) or ""
    if data.agency_code is not None and actor is not None and data.agency_code != agency_code:
        raise Forbidden(N_("Bạn chỉ tạo được cán bộ của cơ quan mình."), field="agency_code")
    if actor is not None:
        _check_grantable(data.role)
    problems = Problems()
    with problems.noting():
        name = validation.full_name(data.full_name)
    if data.role not in ROLES:
        problems.add("role", N_("Vai trò không hợp lệ."))
    if not agency_code:
        problems.add("agency_code", N_("Hãy chọn cơ quan."))
    else:
        with problems.noting():
            await _check_agency(runtime, agency_code)
    problems.raise_any()
    async with write_transaction():
        rows = await Account.insert(
            Account(
                kind="staff",
                full_name=name,
                role=data.role,
                agency_code=agency_code,
                user_handle=new_user_handle(),
                created_at=runtime.clock(),
            )
        ).returning(Account.id)
    account_id = int(rows[0]["id"])
    actor_id = actor.account_id if actor else None
    link = await issue_enrolment(runtime, account_id, "staff", actor_id)
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
    return StaffCreated(official=await _staff(account_id, None), enrolment=link)


def _check_grantable(role: str) -> None:
    """What an agency's administrator may give: any role of an agency, not the
    province's catalogue administration."""
    if role == PROVINCE_ROLE:
        raise Forbidden(
            N_(
                "Vai trò quản trị danh mục của tỉnh chỉ được cấp bằng lệnh quản trị hệ thống, "
                "không cấp được từ trang của cơ quan."
            ),
            field="role",
        )


async def _staff(account_id: int, agency_code: str | None) -> StaffRead:
    """An official of this agency as its administrator sees them (not the province's
    catalogue administrators), or any official when None; else not found."""
    query = Account.select(*_COLUMNS).where((Account.id == account_id) & (Account.kind == "staff"))
    if agency_code is not None:
        query = query.where(Account.agency_code == agency_code, Account.role != PROVINCE_ROLE)
    rows = await query
    if not rows:
        raise NotFound(N_("Không tìm thấy cán bộ này."), field="id")
    return await _staff_read(msgspec.convert(rows[0], _Official))


async def _staff_read(official: _Official) -> StaffRead:
    return StaffRead(
        id=official.id,
        full_name=official.full_name,
        role=official.role,
        agency_code=official.agency_code,
        disabled=official.disabled_at is not None,
        passkeys=int(await Passkey.count().where(Passkey.account == official.id)),
    )


async def list_staff(admin: Principal) -> list[StaffRead]:
    rows = (
        await Account.select(*_COLUMNS)
        .where(
            (Account.kind == "staff")
            & (Account.agency_code == admin.agency_code)
            & (Account.role != PROVINCE_ROLE)
        )
        .order_by(Account.full_name)
    )
    return [await _staff_read(official) for official in msgspec.convert(rows, list[_Official])]


async def update_staff(
    runtime: AccountsRuntime,
    admin: Principal,
    staff_id: int,
    data: StaffUpdate,
    client: Client,
) -> StaffRead:
    current = await _staff(staff_id, admin.agency_code)
    if staff_id == admin.account_id:
        raise Conflict(N_("Bạn không thể tự đổi vai trò hoặc tự khóa tài khoản của mình."))
    if not isinstance(data.role, msgspec.UnsetType):
        _check_grantable(data.role)
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
    link = await issue_enrolment(runtime, staff_id, "staff", admin.account_id)
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
        raise no_such_account()
    if disabled:
        await sessions.end_all(account_id)
    await audit.record(
        runtime,
        "account_disabled" if disabled else "account_enabled",
        actor_id=actor_id,
        subject_id=account_id,
        address=address,
    )
