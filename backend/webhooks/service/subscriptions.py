"""Subscriptions and their keys, as their administrators keep them.

Who may: the province's administrators (role "catalogue") every subscription, for one
agency's events or every agency's; an agency's administrator ("admin") those scoped to
their own agency only (another agency is refused naming ``agency_code``; someone else's
subscription is not found, as an unknown one). Nobody else (the guards refuse them).

A key is shown once, as it is made; rotating adds a new one and gives the others
``key_grace_ms`` more, during which deliveries carry both signatures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.db import write_transaction
from backend.errors import Forbidden, NotFound, Problems
from backend.i18n import N_
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.schemas import (
    EVENT_TYPES,
    KeyRead,
    NewKey,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)
from backend.webhooks.service import signing
from backend.webhooks.service.targets import check_url
from backend.webhooks.tables import Delivery, SigningKey, Subscription

PROVINCE_ADMIN = "catalogue"
AGENCY_ADMIN = "admin"
MAX_DESCRIPTION = 200


def _may_manage(principal: Principal, agency_code: str) -> bool:
    if principal.kind != "staff":
        return False
    if principal.role == PROVINCE_ADMIN:
        return True
    return (
        principal.role == AGENCY_ADMIN
        and bool(principal.agency_code)
        and agency_code == principal.agency_code
    )


def _administrator(principal: Principal) -> None:
    """The service's own check of who may (the guards say the same in front of it)."""
    if principal.kind != "staff" or principal.role not in {PROVINCE_ADMIN, AGENCY_ADMIN}:
        raise Forbidden(N_("Chỉ quản trị viên mới quản lý được việc gửi sự kiện."))


def not_found(subscription_id: int) -> NotFound:
    return NotFound(
        N_("Không có đăng ký nhận sự kiện số %(id)s.", id=subscription_id), field="subscription"
    )


def _moment(ms: int | None) -> dt.datetime | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


async def live_keys(subscription_ids: list[int], now_ms: int) -> dict[int, list[signing.Key]]:
    """The keys that sign now, newest first, of each subscription."""
    if not subscription_ids:
        return {}
    rows = (
        await SigningKey.select(SigningKey.subscription_id, SigningKey.key_id, SigningKey.secret)
        .where(
            SigningKey.subscription_id.is_in(subscription_ids)
            & (SigningKey.expires_ms.is_null() | (SigningKey.expires_ms > now_ms))
        )
        .order_by(SigningKey.id, ascending=False)
    )
    keys: dict[int, list[signing.Key]] = {}
    for row in rows:
        keys.setdefault(row["subscription_id"], []).append(
            signing.Key(key_id=row["key_id"], secret=row["secret"])
        )
    return keys


async def _read(runtime: WebhooksRuntime, rows: list[dict[str, Any]]) -> list[SubscriptionRead]:
    ids = [row["id"] for row in rows]
    now_ms = runtime.now_ms()
    key_rows = (
        await SigningKey.select(
            SigningKey.subscription_id,
            SigningKey.key_id,
            SigningKey.created_at,
            SigningKey.expires_ms,
        )
        .where(
            SigningKey.subscription_id.is_in(ids)
            & (SigningKey.expires_ms.is_null() | (SigningKey.expires_ms > now_ms))
        )
        .order_by(SigningKey.id, ascending=False)
        if ids
        else []
    )
    keys: dict[int, list[KeyRead]] = {}
    for key in key_rows:
        keys.setdefault(key["subscription_id"], []).append(
            KeyRead(
                key_id=key["key_id"],
                created_at=key["created_at"],
                expires_at=_moment(key["expires_ms"]),
            )
        )
    return [
        SubscriptionRead(
            id=row["id"],
            url=row["url"],
            events=list(row["events"]),
            agency_code=row["agency_code"] or None,
            ordered=bool(row["ordered"]),
            description=row["description"],
            created_at=row["created_at"],
            keys=keys.get(row["id"], []),
        )
        for row in rows
    ]


def _query() -> Any:
    return Subscription.select(*Subscription.all_columns()).output(load_json=True)


async def list_subscriptions(
    runtime: WebhooksRuntime, principal: Principal
) -> list[SubscriptionRead]:
    _administrator(principal)
    query = _query().order_by(Subscription.id)
    if principal.role != PROVINCE_ADMIN:
        query = query.where(Subscription.agency_code == (principal.agency_code or "-"))
    return await _read(runtime, list(await query))


async def owned_row(principal: Principal, subscription_id: int) -> dict[str, Any]:
    rows = await _query().where(Subscription.id == subscription_id)
    if not rows or not _may_manage(principal, rows[0]["agency_code"]):
        raise not_found(subscription_id)
    return dict(rows[0])


async def get_subscription(
    runtime: WebhooksRuntime, principal: Principal, subscription_id: int
) -> SubscriptionRead:
    return (await _read(runtime, [await owned_row(principal, subscription_id)]))[0]


async def _scope(problems: Problems, principal: Principal, asked: str | None) -> str:
    """The agency a new subscription is for: "" for every agency's events."""
    if asked is None or not asked.strip():
        return "" if principal.role == PROVINCE_ADMIN else principal.agency_code or ""
    code = asked.strip()
    if not _may_manage(principal, code):
        raise Forbidden(
            N_("Bạn chỉ đăng ký nhận được sự kiện của cơ quan mình."), field="agency_code"
        )
    try:
        await catalogue.get_agency(code)
    except NotFound:
        problems.add("agency_code", N_("Không có cơ quan nào có mã %(code)s.", code=code))
    return code


def _events(problems: Problems, events: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(event.strip() for event in events))
    unknown = [event for event in wanted if event not in EVENT_TYPES]
    if unknown:
        problems.add(
            "events",
            N_(
                "Không có loại sự kiện “%(event)s”. Các loại có: %(known)s.",
                event=unknown[0][:60],
                known=", ".join(EVENT_TYPES),
            ),
        )
    elif not wanted:
        problems.add("events", N_("Hãy chọn ít nhất một loại sự kiện."))
    return [event for event in EVENT_TYPES if event in wanted]


async def create_subscription(
    runtime: WebhooksRuntime, principal: Principal, data: SubscriptionCreate
) -> SubscriptionCreated:
    _administrator(principal)
    problems = Problems()
    scope = await _scope(problems, principal, data.agency_code)
    if principal.role != PROVINCE_ADMIN and not scope:
        raise Forbidden(
            N_("Bạn chỉ đăng ký nhận được sự kiện của cơ quan mình."), field="agency_code"
        )
    url = ""
    with problems.noting():
        url = await check_url(runtime, data.url)
    events = _events(problems, data.events)
    description = " ".join(data.description.split())
    if len(description) > MAX_DESCRIPTION:
        problems.add("description", N_("Mô tả dài quá %(limit)s ký tự.", limit=MAX_DESCRIPTION))
    problems.raise_any()
    key = signing.new_key()
    now = runtime.now()
    async with write_transaction():
        rows = await Subscription.insert(
            Subscription(
                url=url,
                events=events,
                agency_code=scope,
                ordered=data.ordered,
                description=description,
                created_by=principal.account_id,
                created_at=now,
            )
        ).returning(Subscription.id)
        subscription_id = rows[0]["id"]
        await SigningKey.insert(
            SigningKey(
                subscription_id=subscription_id,
                key_id=key.key_id,
                secret=key.secret,
                created_at=now,
            )
        )
    return SubscriptionCreated(
        subscription=await get_subscription(runtime, principal, subscription_id),
        key=NewKey(key_id=key.key_id, secret=key.secret),
    )


async def rotate_key(
    runtime: WebhooksRuntime, principal: Principal, subscription_id: int
) -> NewKey:
    """A new secret; the ones before it keep signing for the grace period."""
    await owned_row(principal, subscription_id)
    key = signing.new_key()
    now_ms = runtime.now_ms()
    async with write_transaction():
        await SigningKey.update({SigningKey.expires_ms: now_ms + runtime.key_grace_ms}).where(
            (SigningKey.subscription_id == subscription_id) & SigningKey.expires_ms.is_null()
        )
        await SigningKey.insert(
            SigningKey(
                subscription_id=subscription_id,
                key_id=key.key_id,
                secret=key.secret,
                created_at=runtime.now(),
            )
        )
    return NewKey(key_id=key.key_id, secret=key.secret)


async def remove_subscription(principal: Principal, subscription_id: int) -> None:
    """The subscription, its keys and its log: nothing more is sent to it."""
    await owned_row(principal, subscription_id)
    async with write_transaction():
        await Delivery.delete().where(Delivery.subscription_id == subscription_id)
        await SigningKey.delete().where(SigningKey.subscription_id == subscription_id)
        await Subscription.delete().where(Subscription.id == subscription_id)


class Matching(msgspec.Struct, frozen=True):
    id: int
    events: list[str]
    agency_code: str
    ordered: bool


async def all_subscriptions() -> list[Matching]:
    """Every subscription, for the dispatcher to match events against."""
    rows = await Subscription.select(
        Subscription.id, Subscription.events, Subscription.agency_code, Subscription.ordered
    ).output(load_json=True)
    return msgspec.convert(rows, list[Matching], strict=False)
