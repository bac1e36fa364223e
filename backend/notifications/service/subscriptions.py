"""Web Push subscriptions: one per device, tied to the sign-in session it was made in.

Endpoints must be https URLs of the browsers' push services, and keys a valid P-256
point and a 16-byte secret: anything else would make the server send requests where a
stranger chose, or fail at every send."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec
from piccolo.columns import Column

from backend import vapid
from backend.accounts.schemas import Principal
from backend.db import write_transaction
from backend.errors import InvalidInput, NotFound, Problems
from backend.i18n import N_
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.schemas import SubscriptionIn
from backend.notifications.tables import PushSubscription


class _Known(msgspec.Struct, frozen=True):
    id: int
    auth: str


def check_endpoint(runtime: NotificationsRuntime, endpoint: str) -> str:
    """Only https endpoints of the browsers' push services."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    loopback = runtime.allow_http_loopback and parts.scheme == "http" and host == "127.0.0.1"
    known = any(host == h or host.endswith("." + h) for h in runtime.push_hosts)
    if not loopback and (parts.scheme != "https" or not known or parts.username):
        raise InvalidInput(
            N_("Trình duyệt này gửi địa chỉ nhận thông báo không hợp lệ."), field="endpoint"
        )
    return endpoint


def check_keys(p256dh: str, auth: str) -> None:
    try:
        point = vapid.unb64url(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65 or len(vapid.unb64url(auth)) != 16:
            raise ValueError("wrong length")
    except ValueError:
        raise InvalidInput(
            N_("Khóa mã hóa thông báo của trình duyệt không hợp lệ."), field="keys"
        ) from None


def _check(runtime: NotificationsRuntime, data: SubscriptionIn) -> None:
    """The endpoint and the keys, both problems at once."""
    problems = Problems()
    with problems.noting():
        check_endpoint(runtime, data.endpoint)
    with problems.noting():
        check_keys(data.keys.p256dh, data.keys.auth)
    problems.raise_any()


async def subscribe(
    runtime: NotificationsRuntime, principal: Principal, data: SubscriptionIn
) -> int:
    """This device's subscription, for this sign-in session; the same endpoint again
    (a browser re-subscribing, or another person on a shared phone) takes it over."""
    _check(runtime, data)
    values: dict[Column | str, Any] = {
        PushSubscription.account_id: principal.account_id,
        PushSubscription.session_id: principal.session_id,
        PushSubscription.p256dh: data.keys.p256dh,
        PushSubscription.auth: data.keys.auth,
        PushSubscription.lang: data.lang,
    }
    async with write_transaction():
        existing = await PushSubscription.select(PushSubscription.id).where(
            PushSubscription.endpoint == data.endpoint
        )
        if existing:
            await PushSubscription.update(values).where(PushSubscription.id == existing[0]["id"])
            return int(existing[0]["id"])
        rows = await PushSubscription.insert(
            PushSubscription(
                endpoint=data.endpoint,
                account_id=principal.account_id,
                session_id=principal.session_id,
                p256dh=data.keys.p256dh,
                auth=data.keys.auth,
                lang=data.lang,
                created_at=runtime.now(),
            )
        ).returning(PushSubscription.id)
    return int(rows[0]["id"])


async def unsubscribe(principal: Principal, endpoint: str) -> None:
    async with write_transaction():
        await PushSubscription.delete().where(
            (PushSubscription.endpoint == endpoint)
            & (PushSubscription.account_id == principal.account_id)
        )


async def change_subscription(
    runtime: NotificationsRuntime, old_endpoint: str, old_auth: str, new: SubscriptionIn
) -> None:
    """The browser replaced a subscription: move it, if the caller knows the old one's
    secret (the service worker does; nobody else has seen it)."""
    _check(runtime, new)
    async with write_transaction():
        rows = await PushSubscription.select(PushSubscription.id, PushSubscription.auth).where(
            PushSubscription.endpoint == old_endpoint
        )
        old = msgspec.convert(rows[0], _Known) if rows else None
        if old is None or not hmac.compare_digest(old.auth.encode(), old_auth.encode()):
            raise NotFound(N_("Không tìm thấy đăng ký nhận thông báo cũ."), field="old_endpoint")
        await PushSubscription.delete().where(
            (PushSubscription.endpoint == new.endpoint) & (PushSubscription.id != old.id)
        )
        await PushSubscription.update(
            {
                PushSubscription.endpoint: new.endpoint,
                PushSubscription.p256dh: new.keys.p256dh,
                PushSubscription.auth: new.keys.auth,
            }
        ).where(PushSubscription.id == old.id)
