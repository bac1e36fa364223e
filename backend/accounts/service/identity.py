"""Signing in with an identity provider (VNeID) beside passkeys (issue 18).

``start_identity`` keeps the flow's ``state``, ``nonce`` and PKCE verifier in a
challenge row (flow "identity") found by the state's digest, for ten minutes; the page
also puts the state in an HttpOnly cookie, so a callback begun in another browser (a
login forged by someone else) matches nothing. ``finish_identity`` deletes the row at
its first use, so a replayed callback fails, then has the provider prove the identity.

What a proven identity means:
- one already linked signs in to its account;
- begun from the person's account page ("link"), it is linked to that account;
- begun from an official's enrolment link ("enrol"), it is linked to the link's
  account and the link is spent, as a passkey would spend it;
- otherwise it opens a new citizen account filled from the verified claims.

An account is never found by matching: an identity whose ID number already belongs to
another account is refused, with the way to link it (sign in with the passkey, then
link from the account page), and so is one whose ID number differs from the number
the account already has."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Literal

import msgspec

from backend.accounts import audit, sessions, validation
from backend.accounts.identity import (
    IdentityProvider,
    IdentityRefused,
    IdentityUnavailable,
    VerifiedIdentity,
)
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import AccountRead, Principal
from backend.accounts.service.enrolment import enrolment_info
from backend.accounts.service.links import link_used
from backend.accounts.service.people import (
    Client,
    account_disabled,
    get_account,
    new_user_handle,
)
from backend.accounts.tables import Account, Challenge, EnrolmentLink, Identity
from backend.db import write_transaction
from backend.errors import AppError, Conflict, InvalidInput, NotFound, Unauthorized, Unavailable
from backend.i18n import N_

IDENTITY_TTL = dt.timedelta(minutes=10)
CALLBACK_PATH = "/dang-nhap/dinh-danh/xong"
Intent = Literal["sign_in", "link", "enrol"]


class IdentityStarted(msgspec.Struct, frozen=True, kw_only=True):
    """Where to send the browser, and the state its cookie must carry back."""

    url: str
    state: str


class IdentityDone(msgspec.Struct, frozen=True, kw_only=True):
    account: AccountRead
    token: str
    next: str
    outcome: Literal["signed_in", "linked", "created"]


class _Flow(msgspec.Struct, frozen=True, kw_only=True):
    nonce: str
    verifier: str
    next: str
    intent: Intent
    link_id: int | None = None


class IdentityFailed(AppError):
    """The identity provider's sign-in did not end in a session; ``reason`` goes to the
    audit log."""

    def __init__(self, error: AppError, reason: str) -> None:
        super().__init__(error.text, field=error.field)
        self.status_code = error.status_code
        self.code = error.code
        self.reason = reason


def callback_url(runtime: AccountsRuntime) -> str:
    return runtime.public_url + CALLBACK_PATH


def identity_name(runtime: AccountsRuntime) -> str | None:
    """The provider's name for the buttons, or None where none is configured."""
    return runtime.identity.name if runtime.identity is not None else None


async def start_identity(
    runtime: AccountsRuntime,
    client: Client,
    *,
    intent: Intent,
    next_path: str,
    locale: str,
    principal: Principal | None = None,
    enrolment_token: str | None = None,
) -> IdentityStarted:
    provider = _provider(runtime)
    await runtime.limiter.check_address("identity", client.address)
    account_id: int | None = None
    link_id: int | None = None
    if intent == "link":
        if principal is None:
            raise Unauthorized(N_("Hãy đăng nhập trước khi liên kết."))
        account_id = principal.account_id
    elif intent == "enrol":
        info = await enrolment_info(runtime, enrolment_token or "")
        account_id, link_id = info.account_id, info.link_id
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    try:
        url = await provider.authorization_url(
            redirect_uri=callback_url(runtime),
            state=state,
            nonce=nonce,
            verifier=verifier,
            locale=locale,
        )
    except IdentityUnavailable:
        raise _unavailable(runtime) from None
    flow = _Flow(nonce=nonce, verifier=verifier, next=next_path, intent=intent, link_id=link_id)
    now = runtime.clock()
    async with write_transaction():
        await Challenge.insert(
            Challenge(
                challenge=_digest(state),
                flow="identity",
                account_id=account_id,
                data=msgspec.to_builtins(flow),
                expires_at=now + IDENTITY_TTL,
            )
        )
    return IdentityStarted(url=url, state=state)


async def finish_identity(
    runtime: AccountsRuntime,
    client: Client,
    *,
    state: str,
    cookie_state: str | None,
    code: str,
    error: str,
    principal: Principal | None,
    old_session: str | None = None,
) -> IdentityDone:
    """The provider's callback: a new session for the identity's account (the browser's
    previous one ends), or IdentityFailed (audited) saying why in the person's words."""
    await runtime.limiter.check_address("identity", client.address)
    account_id: int | None = principal.account_id if principal else None
    try:
        flow, account_id = await _take_flow(runtime, state, cookie_state, principal)
        if error:
            raise IdentityFailed(
                InvalidInput(
                    N_("Bạn đã dừng đăng nhập bằng %(provider)s.", provider=_name(runtime))
                ),
                "cancelled" if error == "access_denied" else f"provider_{error[:40]}",
            )
        identity = await _identify(runtime, flow, code)
        done = await _settle(runtime, flow, identity, account_id, client, old_session)
    except IdentityFailed as failure:
        await audit.record(
            runtime,
            "identity_failed",
            subject_id=account_id,
            address=client.address,
            reason=failure.reason,
        )
        raise
    return done


async def _take_flow(
    runtime: AccountsRuntime, state: str, cookie_state: str | None, principal: Principal | None
) -> tuple[_Flow, int | None]:
    """The flow this callback ends, deleted so that it ends once."""
    restart = Unauthorized(
        N_("Phiên đăng nhập này đã hết hạn hoặc không bắt đầu từ trình duyệt này. Hãy bắt đầu lại.")
    )
    if not state or not cookie_state or not hmac.compare_digest(state, cookie_state):
        raise IdentityFailed(restart, "state_mismatch")
    async with write_transaction():
        rows = (
            await Challenge.delete()
            .where((Challenge.challenge == _digest(state)) & (Challenge.flow == "identity"))
            .returning(Challenge.account_id, Challenge.data, Challenge.expires_at)
        )
    if not rows:
        raise IdentityFailed(restart, "state_unknown")
    if rows[0]["expires_at"] <= runtime.clock():
        raise IdentityFailed(restart, "state_expired")
    data = rows[0]["data"]
    flow = msgspec.convert(json.loads(data) if isinstance(data, str) else data, _Flow)
    account_id = rows[0]["account_id"]
    # A link ends in the session that began it: another person's browser cannot end it.
    if flow.intent == "link" and (principal is None or principal.account_id != account_id):
        raise IdentityFailed(restart, "link_session")
    return flow, account_id


async def _identify(runtime: AccountsRuntime, flow: _Flow, code: str) -> VerifiedIdentity:
    provider = _provider(runtime)
    if not code:
        raise IdentityFailed(_not_verified(runtime), "no_code")
    try:
        return await provider.identify(
            redirect_uri=callback_url(runtime),
            code=code,
            verifier=flow.verifier,
            nonce=flow.nonce,
        )
    except IdentityRefused as refused:
        raise IdentityFailed(_not_verified(runtime), refused.code) from None
    except IdentityUnavailable:
        raise IdentityFailed(_unavailable(runtime), "unavailable") from None


async def _settle(
    runtime: AccountsRuntime,
    flow: _Flow,
    identity: VerifiedIdentity,
    account_id: int | None,
    client: Client,
    old_session: str | None,
) -> IdentityDone:
    citizen_id = _valid(validation.citizen_id, identity.citizen_id)
    now = runtime.clock()
    key = _digest(f"{identity.issuer} {identity.subject}")
    outcome: Literal["signed_in", "linked", "created"]
    async with write_transaction():
        known = await Identity.select(Identity.id, Identity.account).where(
            Identity.identity_key == key
        )
        if known:
            owner = int(known[0]["account"])
            if flow.intent != "sign_in" and owner != account_id:
                raise IdentityFailed(
                    Conflict(
                        N_(
                            "Tài khoản %(provider)s này đã liên kết với một tài khoản "
                            "Một Cửa khác.",
                            provider=_name(runtime),
                        )
                    ),
                    "identity_elsewhere",
                )
            await Identity.update({Identity.last_used_at: now}).where(Identity.id == known[0]["id"])
            if flow.intent == "enrol":
                await _spend_link(flow, now)
            account_id, outcome = owner, "signed_in"
        elif flow.intent == "sign_in":
            await _refuse_taken(runtime, citizen_id, None)
            account_id, outcome = await _new_account(runtime, identity, citizen_id, now), "created"
            await _link(identity, key, account_id, now)
        else:
            assert account_id is not None
            await _refuse_taken(runtime, citizen_id, account_id)
            await _refuse_other_number(runtime, account_id, citizen_id)
            if flow.intent == "enrol":
                await _spend_link(flow, now)
            await _link(identity, key, account_id, now)
            await _fill(account_id, identity, citizen_id)
            outcome = "linked"
        disabled = await Account.exists().where(
            (Account.id == account_id) & Account.disabled_at.is_not_null()
        )
        if disabled:
            raise IdentityFailed(account_disabled(), "account_disabled")
    if flow.intent == "enrol":
        await sessions.end_all(account_id)
    if old_session:
        await sessions.end_by_token(old_session)
    token = await sessions.start(runtime, account_id, client.device, method="identity")
    event = {"signed_in": "sign_in", "linked": "identity_linked", "created": "sign_up"}[outcome]
    await audit.record(
        runtime,
        event,
        actor_id=account_id,
        subject_id=account_id,
        address=client.address,
        method="identity",
    )
    return IdentityDone(
        account=await get_account(account_id), token=token, next=flow.next, outcome=outcome
    )


async def _refuse_taken(
    runtime: AccountsRuntime, citizen_id: str | None, account_id: int | None
) -> None:
    if citizen_id is None:
        return
    query = Account.exists().where(Account.citizen_id == citizen_id)
    if account_id is not None:
        query = query.where(Account.id != account_id)
    if await query:
        raise IdentityFailed(
            Conflict(
                N_(
                    "Số định danh cá nhân của bạn đã có tài khoản trên Một Cửa. Hãy đăng nhập "
                    "bằng khóa truy cập, rồi bấm \u201cLiên kết %(provider)s\u201d trong trang "
                    "Tài khoản. Nếu đó không phải tài khoản của bạn, hãy mang căn cước đến "
                    "quầy một cửa.",
                    provider=_name(runtime),
                )
            ),
            "citizen_id_taken",
        )


async def _refuse_other_number(
    runtime: AccountsRuntime, account_id: int, citizen_id: str | None
) -> None:
    rows = await Account.select(Account.citizen_id).where(Account.id == account_id)
    held = rows[0]["citizen_id"] if rows else None
    if held and citizen_id and held != citizen_id:
        raise IdentityFailed(
            Conflict(
                N_(
                    "Số định danh trong %(provider)s khác với số căn cước của tài khoản này, "
                    "nên không thể liên kết.",
                    provider=_name(runtime),
                )
            ),
            "citizen_id_differs",
        )


async def _new_account(
    runtime: AccountsRuntime, identity: VerifiedIdentity, citizen_id: str | None, now: dt.datetime
) -> int:
    name = _valid(validation.full_name, identity.full_name)
    if name is None:
        raise IdentityFailed(_not_verified(runtime), "no_name")
    phone = _valid(validation.phone, identity.phone)
    if phone is not None and await Account.exists().where(Account.phone == phone):
        phone = None  # another account's number: this one goes without
    rows = await Account.insert(
        Account(
            kind="citizen",
            full_name=name,
            phone=phone,
            email=_valid(validation.email, identity.email),
            citizen_id=citizen_id,
            user_handle=new_user_handle(),
            created_at=now,
        )
    ).returning(Account.id)
    return int(rows[0]["id"])


async def _link(identity: VerifiedIdentity, key: str, account_id: int, now: dt.datetime) -> None:
    account_key = f"{_digest(identity.issuer)[:16]}:{account_id}"
    if await Identity.exists().where(Identity.account_key == account_key):
        raise IdentityFailed(
            Conflict(
                N_("Tài khoản Một Cửa này đã liên kết với một tài khoản định danh điện tử khác.")
            ),
            "account_has_identity",
        )
    await Identity.insert(
        Identity(
            identity_key=key,
            account_key=account_key,
            issuer=identity.issuer,
            subject=identity.subject[:255],
            account=account_id,
            created_at=now,
            last_used_at=now,
        )
    )


async def _fill(account_id: int, identity: VerifiedIdentity, citizen_id: str | None) -> None:
    """The verified name and ID number replace what the person typed."""
    values: dict[object, object] = {}
    name = _valid(validation.full_name, identity.full_name)
    if name is not None:
        values[Account.full_name] = name
    if citizen_id is not None:
        values[Account.citizen_id] = citizen_id
    if values:
        await Account.update(values).where(Account.id == account_id)  # type: ignore[arg-type]


async def _spend_link(flow: _Flow, now: dt.datetime) -> None:
    spent = (
        await EnrolmentLink.update({EnrolmentLink.used_at: now})
        .where((EnrolmentLink.id == flow.link_id) & EnrolmentLink.used_at.is_null())
        .returning(EnrolmentLink.id)
    )
    if not spent:
        raise IdentityFailed(link_used(), "link_used")


async def identity_of(runtime: AccountsRuntime, account_id: int) -> dt.datetime | None:
    """When the account was linked to the configured provider, if it is."""
    if runtime.identity is None:
        return None
    rows = await Identity.select(Identity.created_at).where(
        (Identity.account == account_id) & (Identity.issuer == runtime.identity.issuer)
    )
    return rows[0]["created_at"] if rows else None


def _valid(check: Callable[[str], str], value: str | None) -> str | None:
    """A claim through our own validation, or no value: a provider's odd claim never
    blocks the sign-in, it only leaves a field empty."""
    if value is None:
        return None
    try:
        return check(value)
    except InvalidInput:
        return None


def _provider(runtime: AccountsRuntime) -> IdentityProvider:
    if runtime.identity is None:
        raise NotFound(N_("Đăng nhập bằng định danh điện tử chưa được bật ở đây."))
    return runtime.identity


def _name(runtime: AccountsRuntime) -> str:
    return identity_name(runtime) or "VNeID"


def _unavailable(runtime: AccountsRuntime) -> Unavailable:
    return Unavailable(
        N_(
            "Chưa kết nối được với %(provider)s. Vui lòng thử lại sau ít phút, hoặc đăng "
            "nhập bằng khóa truy cập.",
            provider=_name(runtime),
        )
    )


def _not_verified(runtime: AccountsRuntime) -> Unauthorized:
    return Unauthorized(
        N_(
            "Không xác minh được thông tin đăng nhập từ %(provider)s. Hãy thử lại.",
            provider=_name(runtime),
        )
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
