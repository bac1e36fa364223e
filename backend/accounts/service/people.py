"""Accounts as the other parts of accounts, and other domains, read them: a person by
id, officials of an agency, names for a list; and who is asking (``Client``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import msgspec
from webauthn.helpers import bytes_to_base64url

from backend.accounts.schemas import AccountRead, Principal
from backend.accounts.tables import Account
from backend.errors import Forbidden, NotFound
from backend.i18n import N_

ACCOUNT_COLUMNS = (
    Account.id,
    Account.kind,
    Account.full_name,
    Account.phone,
    Account.email,
    Account.citizen_id,
    Account.role,
    Account.agency_code,
    Account.address,
)


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request comes from, for rate limits and the audit log."""

    address: str
    device: str


def no_such_account() -> NotFound:
    return NotFound(N_("Không tìm thấy tài khoản."), field="account")


def account_disabled() -> Forbidden:
    error = Forbidden(
        N_("Tài khoản này đã bị khóa. Vui lòng liên hệ bộ phận một cửa để được hỗ trợ.")
    )
    error.code = "account_disabled"
    return error


def identity_required() -> Forbidden:
    """An official's passkey where the province requires the identity provider."""
    error = Forbidden(
        N_(
            "Cán bộ đăng nhập bằng định danh điện tử (VNeID) theo quy định của tỉnh. "
            "Hãy chọn “Đăng nhập bằng VNeID”."
        )
    )
    error.code = "identity_required"
    return error


def new_user_handle() -> str:
    """The WebAuthn user handle of a new account: random, tied to nothing personal."""
    return bytes_to_base64url(secrets.token_bytes(32))


async def get_account(account_id: int) -> AccountRead:
    rows = await Account.select(*ACCOUNT_COLUMNS).where(Account.id == account_id)
    if not rows:
        raise no_such_account()
    return msgspec.convert(rows[0], AccountRead)


async def home_address(principal: Principal) -> str:
    """Where a citizen said they live ("" for officials and for those who did not say)."""
    if principal.kind != "citizen":
        return ""
    rows = await Account.select(Account.address).where(Account.id == principal.account_id)
    return str(rows[0]["address"]) if rows else ""


async def officials_of(agency_code: str, roles: tuple[str, ...]) -> list[AccountRead]:
    """Active officials of an agency with one of these roles, by name."""
    rows = (
        await Account.select(*ACCOUNT_COLUMNS)
        .where(
            (Account.kind == "staff")
            & (Account.agency_code == agency_code)
            & Account.role.is_in(list(roles))
            & Account.disabled_at.is_null()
        )
        .order_by(Account.full_name)
    )
    return msgspec.convert(rows, list[AccountRead])


async def names_of(account_ids: set[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    rows = await Account.select(Account.id, Account.full_name).where(
        Account.id.is_in(sorted(account_ids))
    )
    return {int(row["id"]): str(row["full_name"]) for row in rows}


class Registering(msgspec.Struct, frozen=True):
    """What a registration ceremony needs of an existing account (adding a passkey,
    an enrolment link)."""

    user_handle: str
    phone: str | None
    full_name: str

    @property
    def user_name(self) -> str:
        return self.phone or self.full_name


async def registering(account_id: int) -> Registering:
    rows = await Account.select(Account.user_handle, Account.phone, Account.full_name).where(
        Account.id == account_id
    )
    if not rows:
        raise no_such_account()
    return msgspec.convert(rows[0], Registering)
